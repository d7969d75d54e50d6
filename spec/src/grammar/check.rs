//! Validation of the grammar's values by the engine's own checks.
//!
//! The engine decides what is valid ([`Pipeline::validate`], returning a
//! typed [`ConfigError`]); this module only finds *where* the offending
//! value is written, as a path below the node it was given, for
//! [`crate::locate`] to turn into a line and column. Each check validates a
//! pipeline that is neutral except for the part under test, so an error
//! can only come from that part.

use super::trigger::{ChildAt, TriggerSpec};
use super::window::WindowSpec;
use crate::duration::Spelling;
use crate::locate::Seg;
use tidemark_engine::{
    Accumulation, Aggregate, ConfigError, Duration, OnTimeBehavior, Pipeline, TimestampCombiner,
    Trigger, WindowFn,
};

/// A value the engine refuses: where it is written (relative to the node
/// checked) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The path below the checked node.
    pub path: Vec<Seg>,
    /// What is wrong, with values as the user wrote them where possible.
    pub message: String,
}

impl Problem {
    fn at(path: Vec<Seg>, message: impl Into<String>) -> Problem {
        Problem {
            path,
            message: message.into(),
        }
    }

    /// The same problem, seen from `prefix` above the checked node.
    #[must_use]
    pub fn under(mut self, prefix: &[Seg]) -> Problem {
        let mut path = prefix.to_vec();
        path.append(&mut self.path);
        self.path = path;
        self
    }
}

/// The engine's validation of a pipeline that differs from a valid one only
/// in the parts given.
fn engine_check(window: WindowFn, trigger: Trigger, lateness: i64) -> Result<(), ConfigError> {
    Pipeline {
        window,
        trigger,
        accumulation: Accumulation::Discarding,
        allowed_lateness: Duration(lateness),
        timestamp_combiner: TimestampCombiner::EndOfWindow,
        aggregate: Aggregate::Sum,
        on_time: OnTimeBehavior::Always,
    }
    .validate()
}

/// Checks a window; the path is below the window node (`[fixed, size]`).
pub fn check_window<D: Spelling>(w: &WindowSpec<D>) -> Result<(), Problem> {
    let Err(e) = engine_check(w.to_engine(), Trigger::Default, 0) else {
        return Ok(());
    };
    let kind: Vec<Seg> = w.kind().map(Seg::from).into_iter().collect();
    let below = |field: &str| {
        let mut p = kind.clone();
        p.push(Seg::from(field));
        p
    };
    Err(match e {
        ConfigError::WindowNotPositive { what, value } => Problem::at(
            below(what),
            format!("window {what} must be positive, got {}", D::show(value)),
        ),
        ConfigError::NegativeOffset(v) => Problem::at(
            below("offset"),
            format!("window offset must not be negative, got {}", D::show(v)),
        ),
        ConfigError::TooManyWindows { .. } => Problem::at(below("period"), e.to_string()),
        ConfigError::SlidingGaps { size, period } => Problem::at(
            below("period"),
            format!(
                "sliding window period {} is greater than its size {}: elements between \
                 windows would belong to no window and be lost; use a period at most the \
                 size (or fixed windows with gaps filtered upstream)",
                D::show(period),
                D::show(size)
            ),
        ),
        other => Problem::at(kind.clone(), other.to_string()),
    })
}

/// Checks an allowed lateness; the path is the node itself.
pub fn check_lateness<D: Spelling>(lateness: D) -> Result<(), Problem> {
    match engine_check(WindowFn::Global, Trigger::Default, lateness.ticks()) {
        Ok(()) => Ok(()),
        Err(ConfigError::NegativeLateness(v)) => Err(Problem::at(
            Vec::new(),
            format!("allowed_lateness must not be negative, got {}", D::show(v)),
        )),
        Err(other) => Err(Problem::at(Vec::new(), other.to_string())),
    }
}

/// Checks a trigger tree; the path is below the trigger node
/// (`[after_any, 1, after_count]`). Sub-triggers are checked first, in file
/// order, so a refusal of a node is about that node's own parameters.
pub fn check_trigger<D: Spelling>(t: &TriggerSpec<D>) -> Result<(), Problem> {
    let engine = t.to_engine();
    let kind = engine.name();
    for (at, child) in t.children() {
        let mut prefix = vec![Seg::from(kind)];
        match at {
            ChildAt::Field(f) => prefix.push(Seg::from(f)),
            ChildAt::Index(i) => prefix.push(Seg::from(i)),
            ChildAt::Itself => {}
        }
        check_trigger(child).map_err(|p| p.under(&prefix))?;
    }
    if let TriggerSpec::AfterProcessingTime(p) = t {
        // The engine's trigger has no offset without a period: the spelling
        // could drop it silently, so it refuses it instead.
        if p.period.is_none() && p.offset != D::ZERO {
            return Err(Problem::at(
                vec![Seg::from(kind), Seg::from("offset")],
                "after_processing_time offset needs a period to align to",
            ));
        }
    }
    let Err(e) = engine_check(WindowFn::Global, engine, 0) else {
        return Ok(());
    };
    let Some((field, value)) = own_field(t) else {
        return Err(Problem::at(vec![Seg::from(kind)], e.to_string()));
    };
    // The engine's message counts ticks; where the spelling has units, say
    // what was written too.
    let mut message = e.to_string();
    let written = D::show(value.ticks());
    if written != value.ticks().to_string() {
        message.push_str(&format!(" (written {written})"));
    }
    Err(Problem::at(
        vec![Seg::from(kind), Seg::from(field)],
        message,
    ))
}

/// For a trigger with several parameters, the one the engine refuses and
/// its value: each is checked alone.
fn own_field<D: Spelling>(t: &TriggerSpec<D>) -> Option<(&'static str, D)> {
    let TriggerSpec::AfterProcessingTime(p) = t else {
        return None;
    };
    let refused = |delay: D, align: Option<(D, D)>| {
        let t = Trigger::AfterProcessingTime {
            delay: delay.duration(),
            align: align.map(|(period, offset)| (period.duration(), offset.duration())),
        };
        engine_check(WindowFn::Global, t, 0).is_err()
    };
    let bad_period = p
        .period
        .filter(|&period| refused(D::ZERO, Some((period, D::ZERO))));
    Some(if refused(p.delay, None) {
        ("delay", p.delay)
    } else if let Some(period) = bad_period {
        ("period", period)
    } else {
        ("offset", p.offset)
    })
}
