//! The `pipeline:` and `strategies:` sections, and how they combine into
//! the engine's [`Pipeline`] and [`WatermarkConfig`].

use super::duration::Dur;
use super::short_form::{short_or_full, short_or_full_schema};
use super::{
    AccumulationSpec, AggregateSpec, OnTimeSpec, TimestampCombinerSpec, TriggerSpec, WindowSpec,
};
use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use tidemark_engine::{Pipeline, WatermarkConfig, WatermarkStrategy};

/// What every strategy shares: windows, watermark, lateness, aggregation,
/// deduplication and parallelism. A strategy may override the fields that
/// don't change the delivered trace (see [`StrategySpec`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    /// How elements are assigned to windows.
    pub window: WindowSpec,
    /// How the watermark is derived.
    pub watermark: WatermarkSpec,
    /// Processing-time interval between watermark emissions (default 200ms).
    #[serde(default = "default_watermark_interval")]
    pub watermark_interval: Dur,
    /// An input channel silent this long stops holding the watermark back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<Dur>,
    /// How long after a window's end late data is still admitted (default 0s).
    #[serde(default)]
    pub allowed_lateness: Dur,
    /// Which timestamp panes carry (default `end_of_window`).
    #[serde(default)]
    pub timestamp_combiner: TimestampCombinerSpec,
    /// Aggregation per pane (default `sum`).
    #[serde(default)]
    pub aggregate: AggregateSpec,
    /// Whether an empty on-time pane fires (default `always`).
    #[serde(default)]
    pub on_time: OnTimeSpec,
    /// Drop records whose event id was already seen (default false).
    #[serde(default)]
    pub dedup: bool,
    /// Keyed engine workers, at least 1 (default 1); each worker's watermark
    /// is the minimum of its input channels.
    #[serde(default = "one")]
    pub workers: u32,
}

fn default_watermark_interval() -> Dur {
    Dur(200)
}

fn one() -> u32 {
    1
}

/// How the watermark is derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "a watermark: perfect, {bounded_out_of_orderness: 5s} or {punctuated: 1s}"
)]
pub enum WatermarkSpec {
    /// The harness knows every undelivered event and supplies the true low
    /// watermark: nothing is ever late.
    Perfect,
    /// Max event time seen on a channel minus this delay (Flink's
    /// `forBoundedOutOfOrderness`): a heuristic that may be wrong.
    BoundedOutOfOrderness(Dur),
    /// Sources send their own low watermark: `{punctuated: 1s}` or
    /// `{punctuated: {interval: 1s}}`.
    Punctuated(
        #[serde(deserialize_with = "punctuated_short_or_full")]
        #[schemars(schema_with = "punctuated_schema")]
        Punctuated,
    ),
}

/// Parameters of the punctuated watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Punctuated {
    /// Each source sends its low watermark this often (processing time), positive.
    pub interval: Dur,
}

fn punctuated_short_or_full<'de, D: Deserializer<'de>>(d: D) -> Result<Punctuated, D::Error> {
    short_or_full(d, "an interval like 1s, or {interval}", |interval| {
        Punctuated { interval }
    })
}

fn punctuated_schema(gen: &mut SchemaGenerator) -> Schema {
    short_or_full_schema::<Dur, Punctuated>(gen, "The punctuation interval, or {interval}.")
}

/// One trigger + accumulation combination, run on the same delivered trace
/// as the others. The optional fields override `pipeline`'s for this
/// strategy only, so one scenario can show, say, allowed lateness or
/// deduplication on and off side by side. Consumers should read the
/// resolved values from [`super::Scenario::strategies_resolved`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StrategySpec {
    /// Unique name, shown in reports.
    pub name: String,
    /// When windows fire (default `default`).
    #[serde(default = "default_trigger")]
    pub trigger: TriggerSpec,
    /// What later panes hold (default `discarding`).
    #[serde(default = "default_accumulation")]
    pub accumulation: AccumulationSpec,
    /// Overrides `pipeline.watermark`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<WatermarkSpec>,
    /// Overrides `pipeline.idle_timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<Dur>,
    /// Overrides `pipeline.allowed_lateness`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_lateness: Option<Dur>,
    /// Overrides `pipeline.dedup`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup: Option<bool>,
    /// Overrides `pipeline.on_time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_time: Option<OnTimeSpec>,
    /// Overrides the scenario's `expect` thresholds for this strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Thresholds>,
    /// Overrides `processing.sink`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sink: Option<super::SinkSpec>,
    /// Overrides `processing.crashes` and `processing.crash_rate` for this
    /// strategy (`[]`: no crashes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crashes: Option<Vec<super::CrashSpec>>,
}

fn default_trigger() -> TriggerSpec {
    TriggerSpec::Default
}

fn default_accumulation() -> AccumulationSpec {
    AccumulationSpec::Discarding
}

/// Thresholds that make a seed fail.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Most dead letters allowed, as a fraction of generated events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_fraction_max: Option<f64>,
    /// Least share of windows whose final value equals the truth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_min: Option<f64>,
    /// Liveness: most processing time from a window's end to its on-time pane.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_time_latency_max: Option<Dur>,
    /// Liveness: `all` or `none` of the on-time panes before the input ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_time_before_input_ends: Option<super::expect::BeforeInputEnds>,
}

/// A strategy with the pipeline's defaults and its own overrides applied:
/// what a strategy run needs and nothing to look up elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedStrategy {
    /// The strategy's name.
    pub name: String,
    /// The engine pipeline (window, trigger, accumulation, lateness…).
    pub pipeline: Pipeline,
    /// The watermark strategy.
    pub watermark: WatermarkSpec,
    /// Watermark emission interval.
    pub watermark_interval: Dur,
    /// Idle timeout for input channels, if any.
    pub idle_timeout: Option<Dur>,
    /// Whether records are deduplicated by event id.
    pub dedup: bool,
    /// Thresholds for this strategy (scenario's, overridden per field).
    pub thresholds: Thresholds,
}

impl ResolvedStrategy {
    /// The engine's watermark configuration for a worker with `channels`
    /// inputs. `perfect` is an external watermark the harness supplies.
    #[must_use]
    pub fn watermark_config(&self, channels: u32) -> WatermarkConfig {
        let strategy = match self.watermark {
            WatermarkSpec::Perfect => WatermarkStrategy::External,
            WatermarkSpec::BoundedOutOfOrderness(d) => WatermarkStrategy::BoundedOutOfOrderness {
                delay: d.duration(),
            },
            WatermarkSpec::Punctuated(_) => WatermarkStrategy::Punctuated,
        };
        WatermarkConfig {
            strategy,
            channels,
            idle_timeout: self.idle_timeout.map(Dur::duration),
            emit_interval: self.watermark_interval.duration(),
        }
    }
}

impl StrategySpec {
    /// This strategy over `pipeline`, with `defaults` as the thresholds its
    /// own `expect` does not override.
    #[must_use]
    pub fn resolve(&self, pipeline: &PipelineSpec, defaults: Thresholds) -> ResolvedStrategy {
        let own = self.expect.unwrap_or_default();
        ResolvedStrategy {
            name: self.name.clone(),
            pipeline: Pipeline {
                window: pipeline.window.to_engine(),
                trigger: self.trigger.to_engine(),
                accumulation: self.accumulation.into(),
                allowed_lateness: self
                    .allowed_lateness
                    .unwrap_or(pipeline.allowed_lateness)
                    .duration(),
                timestamp_combiner: pipeline.timestamp_combiner.into(),
                aggregate: pipeline.aggregate.into(),
                on_time: self.on_time.unwrap_or(pipeline.on_time).into(),
            },
            watermark: self.watermark.unwrap_or(pipeline.watermark),
            watermark_interval: pipeline.watermark_interval,
            idle_timeout: self.idle_timeout.or(pipeline.idle_timeout),
            dedup: self.dedup.unwrap_or(pipeline.dedup),
            thresholds: Thresholds {
                dead_letter_fraction_max: own
                    .dead_letter_fraction_max
                    .or(defaults.dead_letter_fraction_max),
                accuracy_min: own.accuracy_min.or(defaults.accuracy_min),
                on_time_latency_max: own.on_time_latency_max.or(defaults.on_time_latency_max),
                on_time_before_input_ends: own
                    .on_time_before_input_ends
                    .or(defaults.on_time_before_input_ends),
            },
        }
    }
}
