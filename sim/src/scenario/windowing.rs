//! Windows, triggers and the other per-pipeline spellings of the scenario format (README.md, `tidemark schema`), with
//! durations that carry units, and their conversion to engine types.
//!
//! Enums are written as YAML singleton maps (`{fixed: 1m}`) or bare names
//! (`global`); `super::parse` reads them with serde_yaml's
//! `singleton_map_recursive`, which is also the shape the derived JSON
//! Schema describes.

use super::duration::Dur;
use super::short_form::{short_or_full, short_or_full_schema};
use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use tidemark_engine::{
    Accumulation, Aggregate, OnTimeBehavior, TimestampCombiner, Trigger, WindowFn,
};

/// How elements are assigned to windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "a window: {fixed: 1m}, {sliding: {size: 1m, period: 10s}}, {sessions: 30s} or global"
)]
pub enum WindowSpec {
    /// Tumbling windows: `{fixed: 1m}` or `{fixed: {size: 1m, offset: 10s}}`.
    Fixed(
        #[serde(deserialize_with = "fixed_short_or_full")]
        #[schemars(schema_with = "fixed_schema")]
        FixedWindow,
    ),
    /// Overlapping windows: `{sliding: {size: 1m, period: 10s, offset: 0s}}`.
    Sliding(SlidingWindow),
    /// Per-key sessions that merge when they overlap: `{sessions: 30s}` or
    /// `{sessions: {gap: 30s}}`.
    Sessions(
        #[serde(deserialize_with = "sessions_short_or_full")]
        #[schemars(schema_with = "sessions_schema")]
        SessionsWindow,
    ),
    /// One window for all time.
    Global,
}

/// Tumbling windows `[offset + k·size, offset + (k+1)·size)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FixedWindow {
    /// Window length, positive.
    pub size: Dur,
    /// Phase of the window boundaries, not negative (default 0s).
    #[serde(default)]
    pub offset: Dur,
}

/// Windows of length `size` starting every `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlidingWindow {
    /// Window length, positive.
    pub size: Dur,
    /// Distance between window starts, positive.
    pub period: Dur,
    /// Phase of the window starts, not negative (default 0s).
    #[serde(default)]
    pub offset: Dur,
}

/// Activity sessions per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionsWindow {
    /// Inactivity gap that closes a session, positive.
    pub gap: Dur,
}

fn fixed_short_or_full<'de, D: Deserializer<'de>>(d: D) -> Result<FixedWindow, D::Error> {
    short_or_full(d, "a window size like 1m, or {size, offset}", |size| {
        FixedWindow {
            size,
            offset: Dur::ZERO,
        }
    })
}

fn fixed_schema(gen: &mut SchemaGenerator) -> Schema {
    short_or_full_schema::<FixedWindow>(gen, "The window size, or {size, offset}.")
}

fn sessions_short_or_full<'de, D: Deserializer<'de>>(d: D) -> Result<SessionsWindow, D::Error> {
    short_or_full(d, "a session gap like 30s, or {gap}", |gap| {
        SessionsWindow { gap }
    })
}

fn sessions_schema(gen: &mut SchemaGenerator) -> Schema {
    short_or_full_schema::<SessionsWindow>(gen, "The session gap, or {gap}.")
}

impl WindowSpec {
    /// The engine's window function.
    #[must_use]
    pub fn to_engine(&self) -> WindowFn {
        match *self {
            WindowSpec::Fixed(w) => WindowFn::Fixed {
                size: w.size.duration(),
                offset: w.offset.duration(),
            },
            WindowSpec::Sliding(w) => WindowFn::Sliding {
                size: w.size.duration(),
                period: w.period.duration(),
                offset: w.offset.duration(),
            },
            WindowSpec::Sessions(w) => WindowFn::Sessions {
                gap: w.gap.duration(),
            },
            WindowSpec::Global => WindowFn::Global,
        }
    }
}

/// When a window fires (Beam-style trigger spellings; durations carry units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "a trigger: default, never, always, or a one-key mapping like {after_count: 2}, {after_watermark: {early: T, late: T}}, {after_processing_time: 10s}, {repeatedly: T}, {after_any: [T]}, {after_all: [T]}, {after_each: [T]}, {or_finally: {trigger: T, until: T}}"
)]
pub enum TriggerSpec {
    /// `repeatedly(after_watermark)`: on time, then once per late bundle.
    Default,
    /// Never fires; windows emit only when they expire.
    Never,
    /// Fires on every bundle that adds an element.
    Always,
    /// Fires once the pane holds at least this many elements (≥ 1).
    AfterCount(u64),
    /// Fires when the watermark passes the end of the window, with optional
    /// repeated early and late firings: `{after_watermark: {early: T, late: T}}`.
    AfterWatermark(AfterWatermarkTrigger),
    /// Fires once, a processing-time delay after the pane's first element
    /// (`{after_processing_time: 10s}`), or at the next aligned boundary
    /// (`{after_processing_time: {period: 1m, offset: 0s}}`).
    AfterProcessingTime(
        #[serde(deserialize_with = "processing_short_or_full")]
        #[schemars(schema_with = "processing_schema")]
        ProcessingTimeTrigger,
    ),
    /// Runs the inner trigger forever.
    Repeatedly(Box<TriggerSpec>),
    /// Fires when any child fires; finishes when any finishes.
    AfterAny(Vec<TriggerSpec>),
    /// Fires when every unfinished child is ready.
    AfterAll(Vec<TriggerSpec>),
    /// Runs the children one after another.
    AfterEach(Vec<TriggerSpec>),
    /// Fires like `trigger` until `until` fires, then closes the window.
    OrFinally(OrFinallyTrigger),
}

/// `after_watermark`'s optional early and late firings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AfterWatermarkTrigger {
    /// Speculative firings before the watermark passes the window's end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early: Option<Box<TriggerSpec>>,
    /// Firings for late data after the on-time pane.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<Box<TriggerSpec>>,
}

/// `after_processing_time`'s parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessingTimeTrigger {
    /// Processing time after the pane's first element (default 0s).
    #[serde(default)]
    pub delay: Dur,
    /// Round the firing time up to the next `offset + k·period`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Dur>,
    /// Phase of the alignment (needs `period`; default 0s).
    #[serde(default)]
    pub offset: Dur,
}

/// `or_finally`'s two triggers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrFinallyTrigger {
    /// The trigger that produces panes.
    pub trigger: Box<TriggerSpec>,
    /// When it fires, a last pane is emitted and the window closes.
    pub until: Box<TriggerSpec>,
}

fn processing_short_or_full<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<ProcessingTimeTrigger, D::Error> {
    short_or_full(d, "a delay like 10s, or {delay, period, offset}", |delay| {
        ProcessingTimeTrigger {
            delay,
            period: None,
            offset: Dur::ZERO,
        }
    })
}

fn processing_schema(gen: &mut SchemaGenerator) -> Schema {
    short_or_full_schema::<ProcessingTimeTrigger>(
        gen,
        "A delay after the pane's first element, or {delay, period, offset}.",
    )
}

impl TriggerSpec {
    /// The engine's trigger.
    #[must_use]
    pub fn to_engine(&self) -> Trigger {
        let boxed = |t: &TriggerSpec| Box::new(t.to_engine());
        let all = |ts: &[TriggerSpec]| ts.iter().map(TriggerSpec::to_engine).collect();
        match self {
            TriggerSpec::Default => Trigger::Default,
            TriggerSpec::Never => Trigger::Never,
            TriggerSpec::Always => Trigger::Always,
            TriggerSpec::AfterCount(n) => Trigger::AfterCount(*n),
            TriggerSpec::AfterWatermark(w) => Trigger::AfterWatermark {
                early: w.early.as_deref().map(boxed),
                late: w.late.as_deref().map(boxed),
            },
            TriggerSpec::AfterProcessingTime(p) => Trigger::AfterProcessingTime {
                delay: p.delay.duration(),
                align: p
                    .period
                    .map(|period| (period.duration(), p.offset.duration())),
            },
            TriggerSpec::Repeatedly(t) => Trigger::Repeatedly(boxed(t)),
            TriggerSpec::AfterAny(ts) => Trigger::AfterAny(all(ts)),
            TriggerSpec::AfterAll(ts) => Trigger::AfterAll(all(ts)),
            TriggerSpec::AfterEach(ts) => Trigger::AfterEach(all(ts)),
            TriggerSpec::OrFinally(o) => Trigger::OrFinally {
                trigger: boxed(&o.trigger),
                until: boxed(&o.until),
            },
        }
    }
}

/// What a pane holds after the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccumulationSpec {
    /// Only the elements since the previous pane.
    Discarding,
    /// Every element so far.
    Accumulating,
    /// Every element so far, after a retraction of the previous pane.
    AccumulatingAndRetracting,
}

impl From<AccumulationSpec> for Accumulation {
    fn from(a: AccumulationSpec) -> Accumulation {
        match a {
            AccumulationSpec::Discarding => Accumulation::Discarding,
            AccumulationSpec::Accumulating => Accumulation::Accumulating,
            AccumulationSpec::AccumulatingAndRetracting => Accumulation::AccumulatingAndRetracting,
        }
    }
}

/// Which timestamp a pane carries downstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimestampCombinerSpec {
    /// The window's max timestamp (the default).
    #[default]
    EndOfWindow,
    /// The earliest element's timestamp.
    Earliest,
    /// The latest element's timestamp.
    Latest,
}

impl From<TimestampCombinerSpec> for TimestampCombiner {
    fn from(t: TimestampCombinerSpec) -> TimestampCombiner {
        match t {
            TimestampCombinerSpec::EndOfWindow => TimestampCombiner::EndOfWindow,
            TimestampCombinerSpec::Earliest => TimestampCombiner::Earliest,
            TimestampCombinerSpec::Latest => TimestampCombiner::Latest,
        }
    }
}

/// The aggregation computed per pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AggregateSpec {
    /// Sum of values (the default).
    #[default]
    Sum,
    /// Number of elements.
    Count,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Arithmetic mean.
    Mean,
    /// Sorted list of values.
    Collect,
}

impl From<AggregateSpec> for Aggregate {
    fn from(a: AggregateSpec) -> Aggregate {
        match a {
            AggregateSpec::Sum => Aggregate::Sum,
            AggregateSpec::Count => Aggregate::Count,
            AggregateSpec::Min => Aggregate::Min,
            AggregateSpec::Max => Aggregate::Max,
            AggregateSpec::Mean => Aggregate::Mean,
            AggregateSpec::Collect => Aggregate::Collect,
        }
    }
}

/// Whether an on-time pane with nothing new fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnTimeSpec {
    /// Always fires (Beam's default).
    #[default]
    Always,
    /// Fires only when elements arrived since the last pane.
    IfNonEmpty,
}

impl From<OnTimeSpec> for OnTimeBehavior {
    fn from(o: OnTimeSpec) -> OnTimeBehavior {
        match o {
            OnTimeSpec::Always => OnTimeBehavior::Always,
            OnTimeSpec::IfNonEmpty => OnTimeBehavior::IfNonEmpty,
        }
    }
}
