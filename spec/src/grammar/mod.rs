//! One pipeline grammar for scenarios and transcripts: windows, triggers,
//! accumulation, timestamp combiner, aggregate and on-time behaviour, read
//! the same way by both, generic over how durations are written
//! ([`Spelling`]: `10s` in scenarios, `10` ticks in transcripts).
//!
//! - `window`, `trigger`: the spellings and their engine values;
//! - `check`: validation by the engine's own [`tidemark_engine::ConfigError`],
//!   each problem pointed at the node that caused it (a path that
//!   [`crate::locate`] turns into a line and column);
//! - here: the one-word options.
//!
//! Enums are written as YAML singleton maps (`{fixed: 1m}`) or bare names
//! (`global`); callers read them with serde_yaml's
//! `singleton_map_recursive`, which is also the shape the derived JSON
//! Schema describes.
//!
//! Adding a trigger kind touches the engine's `Trigger` (and its state
//! machine) and `trigger.rs` here; nothing else in either format.

mod check;
mod trigger;
mod window;

pub use check::{check_lateness, check_trigger, check_window, Problem};
pub use trigger::{AfterWatermarkTrigger, OrFinallyTrigger, ProcessingTimeTrigger, TriggerSpec};
pub use window::{FixedWindow, SessionsWindow, SlidingWindow, WindowSpec};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tidemark_engine::{Accumulation, Aggregate, OnTimeBehavior, TimestampCombiner};

/// What a pane holds after the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccumulationSpec {
    /// Only the elements since the previous pane (the default).
    #[default]
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
    /// Sum of values (the default in scenarios; transcripts default to `collect`).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::{Dur, Ticks};
    use serde::de::DeserializeOwned;

    fn parse<T: DeserializeOwned>(yaml: &str) -> T {
        let de = serde_yaml::Deserializer::from_str(yaml);
        serde_yaml::with::singleton_map_recursive::deserialize(de)
            .unwrap_or_else(|e| panic!("{yaml}: {e}"))
    }

    /// The same trigger and window, spelled with units and in ticks (ms),
    /// are the same engine values: one grammar, two duration spellings.
    #[test]
    fn both_spellings_mean_the_same_engine_values() {
        let with_units: TriggerSpec<Dur> = parse(
            "{after_watermark: {early: {after_any: [{after_count: 2}, \
             {after_processing_time: {delay: 10s, period: 1m}}]}, late: always}}",
        );
        let in_ticks: TriggerSpec<Ticks> = parse(
            "{after_watermark: {early: {after_any: [{after_count: 2}, \
             {after_processing_time: {delay: 10000, period: 60000}}]}, late: always}}",
        );
        assert_eq!(with_units.to_engine(), in_ticks.to_engine());
        let w: WindowSpec<Dur> = parse("{sliding: {size: 1m, period: 10s}}");
        let t: WindowSpec<Ticks> = parse("{sliding: {size: 60000, period: 10000}}");
        assert_eq!(w.to_engine(), t.to_engine());
        let w: WindowSpec<Dur> = parse("{sessions: 30s}");
        let t: WindowSpec<Ticks> = parse("{sessions: 30000}");
        assert_eq!(w.to_engine(), t.to_engine());
    }

    #[test]
    fn each_spelling_refuses_the_other() {
        let de = serde_yaml::Deserializer::from_str("{fixed: 10}");
        let e = serde_yaml::with::singleton_map_recursive::deserialize::<WindowSpec<Dur>, _>(de);
        assert!(e.is_err_and(|e| e.to_string().contains("unit")));
        let de = serde_yaml::Deserializer::from_str("{fixed: 10s}");
        let e = serde_yaml::with::singleton_map_recursive::deserialize::<WindowSpec<Ticks>, _>(de);
        assert!(e.is_err_and(|e| e.to_string().contains("ticks")));
    }

    /// Validity is the engine's; the grammar only says where.
    #[test]
    fn checks_point_below_the_node_with_values_as_written() {
        let w: WindowSpec<Dur> = parse("{sliding: {size: 1m, period: -10s}}");
        let p = check_window(&w).expect_err("negative period");
        assert_eq!(p.path, crate::yaml_path!["sliding", "period"]);
        assert_eq!(p.message, "window period must be positive, got -10s");
        let t: TriggerSpec<Ticks> = parse(
            "{or_finally: {trigger: always, until: {after_each: [never, {after_count: 0}]}}}",
        );
        let p = check_trigger(&t).expect_err("after_count 0");
        assert_eq!(
            p.path,
            crate::yaml_path!["or_finally", "until", "after_each", 1, "after_count"]
        );
        let t: TriggerSpec<Dur> = parse("{after_processing_time: {delay: 1s, period: 0s}}");
        let p = check_trigger(&t).expect_err("period 0");
        assert_eq!(p.path, crate::yaml_path!["after_processing_time", "period"]);
        let p = check_lateness(Dur(-60_000)).expect_err("negative lateness");
        assert_eq!(p.message, "allowed_lateness must not be negative, got -1m");
        assert!(check_trigger(&TriggerSpec::<Dur>::Default).is_ok());
        assert!(check_window(&WindowSpec::<Ticks>::Global).is_ok());
    }
}
