//! The windowing strategy a pipeline asks for, checked once at construction.

use crate::aggregate::Aggregate;
use crate::time::Duration;
use crate::trigger::Trigger;
use crate::window::WindowFn;
use std::fmt;

/// What to do with a pane's contents after it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Accumulation {
    /// Each pane holds only the elements since the previous pane.
    Discarding,
    /// Each pane holds every element so far.
    Accumulating,
    /// Like accumulating, but before each new pane the previous pane is
    /// withdrawn by an output marked `retraction`.
    AccumulatingAndRetracting,
}

impl Accumulation {
    /// The YAML spelling.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Accumulation::Discarding => "discarding",
            Accumulation::Accumulating => "accumulating",
            Accumulation::AccumulatingAndRetracting => "accumulating_and_retracting",
        }
    }

    /// True when panes carry everything so far.
    #[must_use]
    pub fn accumulates(self) -> bool {
        !matches!(self, Accumulation::Discarding)
    }
}

impl fmt::Display for Accumulation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which timestamp a pane carries downstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimestampCombiner {
    /// The window's max timestamp, `end - 1`.
    EndOfWindow,
    /// The earliest element of the pane that could still hold the watermark.
    Earliest,
    /// The latest element of the pane that could still hold the watermark.
    Latest,
}

impl TimestampCombiner {
    /// The YAML spelling.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            TimestampCombiner::EndOfWindow => "end_of_window",
            TimestampCombiner::Earliest => "earliest",
            TimestampCombiner::Latest => "latest",
        }
    }
}

/// Whether the on-time pane fires when it has nothing new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OnTimeBehavior {
    /// Beam's default: the on-time pane always fires.
    Always,
    /// The on-time pane fires only when elements arrived since the last pane.
    IfNonEmpty,
}

/// A complete windowing strategy.
///
/// There is no `Default`: every call site says what it wants.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pipeline {
    /// How elements are assigned to windows.
    pub window: WindowFn,
    /// When windows fire.
    pub trigger: Trigger,
    /// What a pane holds after the first.
    pub accumulation: Accumulation,
    /// How long after the end of a window its late data is still admitted.
    pub allowed_lateness: Duration,
    /// Which timestamp panes carry.
    pub timestamp_combiner: TimestampCombiner,
    /// The aggregation computed per pane.
    pub aggregate: Aggregate,
    /// Whether an empty on-time pane fires.
    pub on_time: OnTimeBehavior,
}

/// The most sliding windows one element may belong to. Every element is
/// added to each of its windows, so this bounds the work per element.
pub const SLIDING_WINDOWS_PER_ELEMENT_MAX: u64 = 10_000;

/// A pipeline that cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A window size, period or gap that is zero or negative.
    #[error("window {what} must be positive, got {value}")]
    WindowNotPositive {
        /// Which parameter.
        what: &'static str,
        /// Its value.
        value: i64,
    },
    /// A negative window offset.
    #[error("window offset must not be negative, got {0}")]
    NegativeOffset(i64),
    /// Sliding windows so dense that each element would land in too many.
    #[error(
        "sliding windows put each element in {per_element} windows; at most {} are allowed (size / period)",
        SLIDING_WINDOWS_PER_ELEMENT_MAX
    )]
    TooManyWindows {
        /// Windows per element, `ceil(size / period)`.
        per_element: u64,
    },
    /// Sliding windows with gaps between them (`period > size`): elements
    /// in a gap would belong to no window. Beam allows it and drops them
    /// silently; Tidemark refuses the configuration instead.
    #[error(
        "sliding window period {period} is greater than its size {size}: elements between \
         windows would belong to no window and be lost; use a period at most the size \
         (or fixed windows with gaps filtered upstream)"
    )]
    SlidingGaps {
        /// The window size.
        size: i64,
        /// The period, greater than the size.
        period: i64,
    },
    /// Negative allowed lateness.
    #[error("allowed_lateness must not be negative, got {0}")]
    NegativeLateness(i64),
    /// A trigger with impossible parameters.
    #[error("trigger {0}")]
    Trigger(String),
    /// A watermark strategy with impossible parameters.
    #[error("watermark {0}")]
    Watermark(String),
}

impl Pipeline {
    /// Whether the pipeline has the most common shape: the default trigger
    /// with `end_of_window` timestamps. The per-element paths are then
    /// compiled with both as constants (`shape`), so that the trigger's
    /// dispatch and the combiner's rules fold away: the same code, not a
    /// second copy of it.
    pub(crate) fn is_default_shape(&self) -> bool {
        self.trigger == Trigger::Default
            && self.timestamp_combiner == TimestampCombiner::EndOfWindow
    }

    /// The trigger and combiner, as constants when `DEFAULT_SHAPE` (which
    /// the caller sets only when `is_default_shape`).
    #[inline(always)]
    pub(crate) fn shape<const DEFAULT_SHAPE: bool>(&self) -> (&Trigger, TimestampCombiner) {
        if DEFAULT_SHAPE {
            debug_assert!(self.is_default_shape());
            (&Trigger::Default, TimestampCombiner::EndOfWindow)
        } else {
            (&self.trigger, self.timestamp_combiner)
        }
    }

    /// Checks every parameter; the engine refuses a pipeline that fails.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = |what: &'static str, d: Duration| {
            if d.0 <= 0 {
                Err(ConfigError::WindowNotPositive { what, value: d.0 })
            } else {
                Ok(())
            }
        };
        match self.window {
            WindowFn::Fixed { size, offset } => {
                positive("size", size)?;
                if offset.0 < 0 {
                    return Err(ConfigError::NegativeOffset(offset.0));
                }
            }
            WindowFn::Sliding {
                size,
                period,
                offset,
            } => {
                positive("size", size)?;
                positive("period", period)?;
                if offset.0 < 0 {
                    return Err(ConfigError::NegativeOffset(offset.0));
                }
                if period.0 > size.0 {
                    return Err(ConfigError::SlidingGaps {
                        size: size.0,
                        period: period.0,
                    });
                }
                let per_element = (size.0 as i128 + period.0 as i128 - 1) / period.0 as i128;
                if per_element > i128::from(SLIDING_WINDOWS_PER_ELEMENT_MAX) {
                    return Err(ConfigError::TooManyWindows {
                        per_element: per_element.min(i128::from(u64::MAX)) as u64,
                    });
                }
            }
            WindowFn::Sessions { gap } => positive("gap", gap)?,
            WindowFn::Global => {}
        }
        if self.allowed_lateness.0 < 0 {
            return Err(ConfigError::NegativeLateness(self.allowed_lateness.0));
        }
        self.trigger.check().map_err(ConfigError::Trigger)
    }
}
