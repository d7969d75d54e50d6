//! Scenarios: the YAML files that say what to simulate (README.md and
//! `tidemark schema`), their validation, and their JSON Schema.
//!
//! [`load`] reads a file into a [`Scenario`] or returns one [`InputError`]
//! at the offending line and column. Parsing is serde_yaml into the types
//! below; serde_yaml locates syntax errors, unknown fields and bad scalars
//! itself. Checks that need more than one node (a latency min above its
//! max, a partition naming an unknown host) run on the parsed value and
//! report a path, which [`locate`] turns back into a line and column.
//!
//! This module does not generate events ([`crate::workload`] does) or give
//! the network section meaning (the network module does).

mod architecture;
pub mod cost;
mod expect;
pub mod names;
mod network;
mod pipeline;
mod processing;
pub mod script;
mod validate;
mod workload_spec;

// Durations, the pipeline grammar and the locating machinery are shared
// with transcripts (`tidemark_spec`).
use tidemark_spec::{duration, grammar, locate, short_form};

pub mod schema;

pub use architecture::{ArchitectureSpec, DeploySpec, Divergence, KappaSpec, LambdaSpec};
pub use expect::{BeforeInputEnds, Expectations, Invariant, InvariantSelection};
pub use network::{
    ExponentialLatency, FaultWindow, LatencyRange, LatencySpec, LinkSpec, LogSpec, NetworkSpec,
    ParetoLatency, RetrySpec, ENGINE_HOST, LATENCY_MS_MAX, LOG_HOST,
};
pub use pipeline::{
    PipelineSpec, Punctuated, ResolvedStrategy, StrategySpec, Thresholds, WatermarkSpec,
};
pub use processing::{
    CheckpointSpec, CrashRateSpec, CrashSpec, ProcessingSpec, RetentionSpec, SinkSpec,
    CRASHES_PER_HOUR_MAX,
};
pub use tidemark_spec::duration::{trigger_label, Dur, DUR_MS_MAX};
pub use tidemark_spec::grammar::{
    AccumulationSpec, AggregateSpec, OnTimeSpec, TimestampCombinerSpec,
};

/// The shared grammar's spellings with durations in units.
pub type WindowSpec = grammar::WindowSpec<Dur>;
/// Fixed windows, durations in units.
pub type FixedWindow = grammar::FixedWindow<Dur>;
/// Sliding windows, durations in units.
pub type SlidingWindow = grammar::SlidingWindow<Dur>;
/// Session windows, durations in units.
pub type SessionsWindow = grammar::SessionsWindow<Dur>;
/// A trigger, durations in units.
pub type TriggerSpec = grammar::TriggerSpec<Dur>;
/// `after_watermark`'s parameters, durations in units.
pub type AfterWatermarkTrigger = grammar::AfterWatermarkTrigger<Dur>;
/// `after_processing_time`'s parameters, durations in units.
pub type ProcessingTimeTrigger = grammar::ProcessingTimeTrigger<Dur>;
/// `or_finally`'s parameters, durations in units.
pub type OrFinallyTrigger = grammar::OrFinallyTrigger<Dur>;
pub use workload_spec::{
    BurstSpec, IntRange, KeysSpec, OfflineSpec, SourceGroup, SourceShare, ValueDist, WorkloadSpec,
};

use crate::input_error::InputError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A simulated run: workload, network, pipeline, strategies, expectations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short identifier, used in reports and snapshot names.
    pub name: String,
    /// The lesson, in a few sentences: what the scenario shows and what to
    /// look for in the report.
    pub description: String,
    /// Default master seed (the CLI's `--seed` overrides it).
    #[serde(default)]
    pub seed: u64,
    /// How long the sources generate events (true time from 0).
    pub duration: Dur,
    /// Sources and keys.
    pub workload: WorkloadSpec,
    /// Latency, loss, retries and faults (default: a perfect network).
    #[serde(default)]
    pub network: NetworkSpec,
    /// Retention of the durable log the network appends to (default: keep
    /// everything).
    #[serde(default, skip_serializing_if = "is_default")]
    pub log: RetentionSpec,
    /// The consuming side: fetch, service rate, checkpoints, crashes, sink
    /// (default: instant, unlimited, no crashes, at-least-once sink).
    #[serde(default, skip_serializing_if = "is_default")]
    pub processing: ProcessingSpec,
    /// Lambda and Kappa over this ingest (default: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<ArchitectureSpec>,
    /// What all strategies share.
    pub pipeline: PipelineSpec,
    /// Trigger + accumulation combinations compared on the same trace.
    pub strategies: Vec<StrategySpec>,
    /// Invariants and thresholds that make a seed fail.
    #[serde(default)]
    pub expect: Expectations,
    /// The events, listed instead of generated, each with the fate of its
    /// attempts: a scenario that replays identically under every seed
    /// (what `tidemark shrink` writes). The source groups then only name
    /// the sources (rate 0), and nothing may be drawn from the seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<script::ExplicitEvent>>,
}

fn is_default<T: Default + PartialEq>(t: &T) -> bool {
    *t == T::default()
}

/// One source, as the workload and network index it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRef {
    /// Its name (`phones-3`, or the group name when the group has one source).
    pub name: String,
    /// Index of its group in `workload.sources`.
    pub group: usize,
    /// Its index within the group.
    pub index_in_group: u32,
}

impl Scenario {
    /// Every source in index order (the order of `Workload::sources` and
    /// `Event::source`): groups in file order, then by index in the group.
    #[must_use]
    pub fn sources(&self) -> Vec<SourceRef> {
        let mut out = Vec::new();
        for (group, g) in self.workload.sources.iter().enumerate() {
            for (i, name) in g.source_names().into_iter().enumerate() {
                out.push(SourceRef {
                    name,
                    group,
                    index_in_group: u32::try_from(i).unwrap_or(u32::MAX),
                });
            }
        }
        out
    }

    /// Each strategy with the pipeline's settings and its overrides applied.
    #[must_use]
    pub fn strategies_resolved(&self) -> Vec<ResolvedStrategy> {
        let defaults = self.expect.thresholds();
        self.strategies
            .iter()
            .map(|s| s.resolve(&self.pipeline, defaults))
            .collect()
    }

    /// The punctuation interval the sources must send their watermarks at,
    /// when any strategy uses the punctuated watermark (the shortest one).
    #[must_use]
    pub fn punctuation_interval(&self) -> Option<Dur> {
        self.strategies_resolved()
            .iter()
            .filter_map(|s| match s.watermark {
                WatermarkSpec::Punctuated(p) => Some(p.interval),
                _ => None,
            })
            .min()
    }

    /// The scenario as YAML, in the same spellings `load` reads (for
    /// `shrink`, which writes regression scenarios).
    pub fn to_yaml(&self) -> Result<String, serde_yaml::Error> {
        let mut out = Vec::new();
        let mut ser = serde_yaml::Serializer::new(&mut out);
        serde_yaml::with::singleton_map_recursive::serialize(self, &mut ser)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// Reads and validates the scenario at `path`.
pub fn load(path: &Path) -> Result<Scenario, InputError> {
    let text = crate::input_error::read_text(path)?;
    parse(&text, path)
}

/// Parses and validates scenario `text`; `path` only names it in errors.
pub fn parse(text: &str, path: &Path) -> Result<Scenario, InputError> {
    let de = serde_yaml::Deserializer::from_str(text);
    let scenario: Scenario = serde_yaml::with::singleton_map_recursive::deserialize(de)
        .map_err(|e| InputError::from_yaml(path, &e).with_tab_hint(text))?;
    if let Err(problem) = validate::check(&scenario) {
        let (line, column) = locate::locate(text, &problem.path);
        let message = format!("{}: {}", locate::render(&problem.path), problem.message);
        return Err(InputError::at(path, line, column, message));
    }
    Ok(scenario)
}
#[cfg(test)]
mod tests;
