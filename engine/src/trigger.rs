//! Trigger specifications: *when* a window emits a pane.
//!
//! A [`Trigger`] is a value (a spec); the per-window state it needs lives in
//! `triggers/` (one module per kind), as Beam keeps trigger state in a
//! context rather than in the trigger object. Triggers never see elements'
//! values.

use crate::time::Duration;
use std::fmt;

/// When a window fires. Composable to any depth.
// An explicit tag: every element asks the trigger, and a match on a
// niche-encoded discriminant decodes it with arithmetic first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Trigger {
    /// `repeatedly(after_watermark)`: an on-time pane when the watermark passes
    /// the end of the window, then a late pane for every late bundle.
    Default,
    /// Fires when the watermark passes the end of the window. `early` fires
    /// repeatedly before that; `late` fires repeatedly after it. Without
    /// `late`, the trigger finishes (closing the window) after the on-time pane.
    AfterWatermark {
        /// Speculative firings before the end of the window.
        early: Option<Box<Trigger>>,
        /// Firings for late data after the on-time pane.
        late: Option<Box<Trigger>>,
    },
    /// Fires once the pane holds at least `n` elements, then finishes.
    AfterCount(u64),
    /// Fires once, `delay` of processing time after the pane's first element;
    /// with `align`, the firing time is rounded up to the next
    /// `offset + k·period` boundary.
    AfterProcessingTime {
        /// Delay after the first element.
        delay: Duration,
        /// `(period, offset)` to align the firing time to.
        align: Option<(Duration, Duration)>,
    },
    /// Runs the inner trigger forever, resetting it each time it finishes.
    Repeatedly(Box<Trigger>),
    /// Fires when any child fires; finishes when any child finishes.
    AfterAny(Vec<Trigger>),
    /// Fires when every unfinished child is ready; finishes when all have.
    AfterAll(Vec<Trigger>),
    /// Runs the children one after another; finishes after the last.
    AfterEach(Vec<Trigger>),
    /// Fires like `trigger` until `until` fires, then finishes.
    OrFinally {
        /// The trigger that produces panes.
        trigger: Box<Trigger>,
        /// The trigger that, when it fires, fires a last pane and closes the window.
        until: Box<Trigger>,
    },
    /// Never fires; the window emits only when it expires.
    Never,
    /// Fires on every bundle that adds an element.
    Always,
}

impl Trigger {
    /// True when the trigger, or a trigger inside it, depends on processing
    /// time; the engine then tracks processing-time timers for it.
    #[must_use]
    pub fn uses_processing_time(&self) -> bool {
        match self {
            Trigger::AfterProcessingTime { .. } => true,
            Trigger::Default | Trigger::AfterCount(_) | Trigger::Never | Trigger::Always => false,
            Trigger::AfterWatermark { early, late } => {
                early.as_ref().is_some_and(|t| t.uses_processing_time())
                    || late.as_ref().is_some_and(|t| t.uses_processing_time())
            }
            Trigger::Repeatedly(t) => t.uses_processing_time(),
            Trigger::AfterAny(ts) | Trigger::AfterAll(ts) | Trigger::AfterEach(ts) => {
                ts.iter().any(Trigger::uses_processing_time)
            }
            Trigger::OrFinally { trigger, until } => {
                trigger.uses_processing_time() || until.uses_processing_time()
            }
        }
    }

    /// Checks the parameters: counts ≥ 1, delays ≥ 0, periods > 0, composites
    /// non-empty. Returns a description of the first problem.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Trigger::AfterCount(0) => Err("after_count must be at least 1".into()),
            Trigger::AfterProcessingTime { delay, align } => {
                if delay.0 < 0 {
                    return Err(format!("after_processing_time delay {delay} is negative"));
                }
                if let Some((period, offset)) = align {
                    if period.0 <= 0 {
                        return Err(format!(
                            "after_processing_time period {period} must be positive"
                        ));
                    }
                    if offset.0 < 0 {
                        return Err(format!("after_processing_time offset {offset} is negative"));
                    }
                }
                Ok(())
            }
            Trigger::AfterWatermark { early, late } => {
                if let Some(t) = early {
                    t.check()?;
                }
                if let Some(t) = late {
                    t.check()?;
                }
                Ok(())
            }
            Trigger::Repeatedly(t) => t.check(),
            Trigger::AfterAny(ts) | Trigger::AfterAll(ts) | Trigger::AfterEach(ts) => {
                if ts.is_empty() {
                    return Err(format!("{} needs at least one trigger", self.name()));
                }
                ts.iter().try_for_each(Trigger::check)
            }
            Trigger::OrFinally { trigger, until } => {
                trigger.check()?;
                until.check()
            }
            Trigger::Default | Trigger::AfterCount(_) | Trigger::Never | Trigger::Always => Ok(()),
        }
    }

    /// The YAML spelling of the trigger's kind.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Trigger::Default => "default",
            Trigger::AfterWatermark { .. } => "after_watermark",
            Trigger::AfterCount(_) => "after_count",
            Trigger::AfterProcessingTime { .. } => "after_processing_time",
            Trigger::Repeatedly(_) => "repeatedly",
            Trigger::AfterAny(_) => "after_any",
            Trigger::AfterAll(_) => "after_all",
            Trigger::AfterEach(_) => "after_each",
            Trigger::OrFinally { .. } => "or_finally",
            Trigger::Never => "never",
            Trigger::Always => "always",
        }
    }
}

impl Trigger {
    /// The trigger in Beam-style syntax with each duration printed by
    /// `unit` — e.g. as `10s` where ticks are milliseconds. [`Display`]
    /// prints bare ticks.
    ///
    /// [`Display`]: fmt::Display
    pub fn display_with<'a>(
        &'a self,
        unit: &'a dyn Fn(Duration) -> String,
    ) -> impl fmt::Display + 'a {
        WithUnits {
            trigger: self,
            unit,
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, unit: &dyn Fn(Duration) -> String) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, name: &str, ts: &[Trigger]| -> fmt::Result {
            write!(f, "{name}(")?;
            for (i, t) in ts.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                t.write(f, unit)?;
            }
            f.write_str(")")
        };
        match self {
            Trigger::Default | Trigger::Never | Trigger::Always => f.write_str(self.name()),
            Trigger::AfterWatermark { early, late } => {
                f.write_str("after_watermark(")?;
                if let Some(e) = early {
                    f.write_str("early=")?;
                    e.write(f, unit)?;
                }
                if let Some(l) = late {
                    if early.is_some() {
                        f.write_str(", ")?;
                    }
                    f.write_str("late=")?;
                    l.write(f, unit)?;
                }
                f.write_str(")")
            }
            Trigger::AfterCount(n) => write!(f, "after_count({n})"),
            Trigger::AfterProcessingTime { delay, align: None } => {
                write!(f, "after_processing_time({})", unit(*delay))
            }
            Trigger::AfterProcessingTime {
                delay,
                align: Some((period, offset)),
            } => write!(
                f,
                "after_processing_time({}, period={}, offset={})",
                unit(*delay),
                unit(*period),
                unit(*offset)
            ),
            Trigger::Repeatedly(t) => {
                f.write_str("repeatedly(")?;
                t.write(f, unit)?;
                f.write_str(")")
            }
            Trigger::AfterAny(ts) => list(f, "after_any", ts),
            Trigger::AfterAll(ts) => list(f, "after_all", ts),
            Trigger::AfterEach(ts) => list(f, "after_each", ts),
            Trigger::OrFinally { trigger, until } => {
                f.write_str("or_finally(")?;
                trigger.write(f, unit)?;
                f.write_str(", until=")?;
                until.write(f, unit)?;
                f.write_str(")")
            }
        }
    }
}

struct WithUnits<'a> {
    trigger: &'a Trigger,
    unit: &'a dyn Fn(Duration) -> String,
}

impl fmt::Display for WithUnits<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.trigger.write(f, self.unit)
    }
}

/// Prints the Beam-style syntax used in reports and snapshots, e.g.
/// `after_watermark(early=after_count(2), late=always)`.
impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, &|d: Duration| d.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_beam_style_with_or_without_units() {
        let t = Trigger::AfterWatermark {
            early: Some(Box::new(Trigger::Repeatedly(Box::new(
                Trigger::AfterProcessingTime {
                    delay: Duration(10_000),
                    align: None,
                },
            )))),
            late: Some(Box::new(Trigger::AfterCount(1))),
        };
        assert_eq!(
            t.to_string(),
            "after_watermark(early=repeatedly(after_processing_time(10000)), late=after_count(1))"
        );
        let seconds = |d: Duration| format!("{}s", d.0 / 1000);
        assert_eq!(
            t.display_with(&seconds).to_string(),
            "after_watermark(early=repeatedly(after_processing_time(10s)), late=after_count(1))"
        );
    }
}
