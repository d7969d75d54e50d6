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
