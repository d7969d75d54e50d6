//! Event time and processing time, kept apart by the type system.
//!
//! Both are `i64` ticks: milliseconds in scenarios, unit-free integers in
//! transcripts. Arithmetic saturates, so `EventTime::MAX` behaves as +∞ and a
//! window's expiry (`end + allowed_lateness`) never wraps around.

use std::fmt;

/// A point in event time: when something happened, as stamped by its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EventTime(pub i64);

impl EventTime {
    /// −∞: the watermark before anything is known.
    pub const MIN: EventTime = EventTime(i64::MIN);
    /// +∞: the watermark once every input is complete.
    pub const MAX: EventTime = EventTime(i64::MAX);

    /// `self + d`, saturating at ±∞.
    #[must_use]
    pub fn plus(self, d: Duration) -> EventTime {
        EventTime(self.0.saturating_add(d.0))
    }

    /// `self - d`, saturating at ±∞.
    #[must_use]
    pub fn minus(self, d: Duration) -> EventTime {
        EventTime(self.0.saturating_sub(d.0))
    }
}

impl fmt::Display for EventTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EventTime::MIN => f.write_str("-inf"),
            EventTime::MAX => f.write_str("+inf"),
            EventTime(t) => write!(f, "{t}"),
        }
    }
}

/// A point in processing time: when the engine observed something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ProcTime(pub i64);

impl ProcTime {
    /// The earliest processing time.
    pub const MIN: ProcTime = ProcTime(i64::MIN);
    /// The latest processing time; a timer set here never fires.
    pub const MAX: ProcTime = ProcTime(i64::MAX);

    /// `self + d`, saturating.
    #[must_use]
    pub fn plus(self, d: Duration) -> ProcTime {
        ProcTime(self.0.saturating_add(d.0))
    }
}

impl fmt::Display for ProcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A length of time in ticks, in either domain. Never negative once validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub i64);

impl Duration {
    /// Zero ticks.
    pub const ZERO: Duration = Duration(0);
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
