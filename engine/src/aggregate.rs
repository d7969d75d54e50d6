//! Aggregations folded over a pane's elements.

use std::fmt;

/// What a pane computes over its elements' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aggregate {
    /// Sum of values; never wraps (engine/README.md, "Overflow").
    Sum,
    /// Number of elements.
    Count,
    /// Smallest value; empty panes have none.
    Min,
    /// Largest value; empty panes have none.
    Max,
    /// Arithmetic mean; kept as sum and count so merges are exact.
    Mean,
    /// Every value, sorted (for transcripts).
    Collect,
}

impl Aggregate {
    /// A fresh accumulator for this aggregation.
    #[must_use]
    pub fn empty(self) -> AggValue {
        match self {
            Aggregate::Sum => AggValue::Sum(0),
            Aggregate::Count => AggValue::Count(0),
            Aggregate::Min => AggValue::Min(None),
            Aggregate::Max => AggValue::Max(None),
            Aggregate::Mean => AggValue::Mean { sum: 0, count: 0 },
            Aggregate::Collect => AggValue::Collect(Vec::new()),
        }
    }

    /// The YAML spelling.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Aggregate::Sum => "sum",
            Aggregate::Count => "count",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
            Aggregate::Mean => "mean",
            Aggregate::Collect => "collect",
        }
    }
}

impl fmt::Display for Aggregate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Adds two partial sums exactly. Sums are `i64` and never wrap: a wrapped
/// sum would be silently wrong, and an oracle wrapping the same way would
/// agree with it. Tidemark's loaders refuse, at load, any scenario or
/// transcript whose worst-case sum could overflow (engine/README.md,
/// "Overflow"), so for them this cannot fail; a library caller that feeds
/// such values anyway gets a panic naming the overflow, never a wrong pane.
#[inline(always)]
#[must_use]
pub(crate) fn sum(a: i64, b: i64) -> i64 {
    match a.checked_add(b) {
        Some(s) => s,
        None => sum_overflow(a, b),
    }
}

#[cold]
#[inline(never)]
fn sum_overflow(a: i64, b: i64) -> ! {
    panic!("sum overflow: {a} + {b} does not fit i64 (refuse such values at load)")
}

#[inline(never)]
fn push(values: &mut Vec<i64>, v: i64) {
    values.push(v);
}

/// An accumulator, which is also a pane's value.
// An explicit tag, as `Trigger`'s: every element adds to one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum AggValue {
    /// Running sum.
    Sum(i64),
    /// Running count.
    Count(u64),
    /// Running minimum.
    Min(Option<i64>),
    /// Running maximum.
    Max(Option<i64>),
    /// Running sum and count.
    Mean {
        /// Sum of values.
        sum: i64,
        /// Number of values.
        count: u64,
    },
    /// Every value added (unsorted until [`AggValue::finish`]).
    Collect(Vec<i64>),
}

impl AggValue {
    /// Folds one value in. Inlined whole into the per-record path, except
    /// `collect`'s push, which may allocate.
    #[inline(always)]
    pub fn add(&mut self, v: i64) {
        match self {
            AggValue::Sum(s) => *s = sum(*s, v),
            AggValue::Count(c) => *c += 1,
            AggValue::Min(m) => *m = Some(m.map_or(v, |m| m.min(v))),
            AggValue::Max(m) => *m = Some(m.map_or(v, |m| m.max(v))),
            AggValue::Mean { sum, count } => {
                *sum = self::sum(*sum, v);
                *count += 1;
            }
            AggValue::Collect(vs) => push(vs, v),
        }
    }

    /// Folds another accumulator of the same kind in (session merges).
    pub fn merge(&mut self, other: &AggValue) {
        match (self, other) {
            (AggValue::Sum(a), AggValue::Sum(b)) => *a = sum(*a, *b),
            (AggValue::Count(a), AggValue::Count(b)) => *a += b,
            (AggValue::Min(a), AggValue::Min(b)) => *a = min_opt(*a, *b),
            (AggValue::Max(a), AggValue::Max(b)) => *a = max_opt(*a, *b),
            (AggValue::Mean { sum, count }, AggValue::Mean { sum: s2, count: c2 }) => {
                *sum = self::sum(*sum, *s2);
                *count += c2;
            }
            (AggValue::Collect(a), AggValue::Collect(b)) => a.extend_from_slice(b),
            (a, b) => unreachable!("merging {a:?} with {b:?}: accumulators of different kinds"),
        }
    }

    /// The value as emitted: collected values are sorted.
    #[must_use]
    #[inline]
    pub fn finish(&self) -> AggValue {
        // A sum, the common case, inline; the rest out of line.
        match *self {
            AggValue::Sum(s) => AggValue::Sum(s),
            _ => self.finish_other(),
        }
    }

    #[inline(never)]
    fn finish_other(&self) -> AggValue {
        match self {
            AggValue::Collect(vs) => {
                let mut vs = vs.clone();
                vs.sort_unstable();
                AggValue::Collect(vs)
            }
            other => other.clone(),
        }
    }

    /// The value as a single number where there is one: sum, count, min,
    /// max, and the mean (as f64). `None` for an empty min/max/mean and for
    /// collect.
    #[must_use]
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            AggValue::Sum(s) => Some(s as f64),
            AggValue::Count(c) => Some(c as f64),
            AggValue::Min(m) | AggValue::Max(m) => m.map(|v| v as f64),
            AggValue::Mean { count: 0, .. } => None,
            AggValue::Mean { sum, count } => Some(sum as f64 / count as f64),
            AggValue::Collect(_) => None,
        }
    }

    /// Number of values held, for the state-size figure.
    #[must_use]
    pub fn values_held(&self) -> u64 {
        match self {
            AggValue::Collect(vs) => vs.len() as u64,
            _ => 1,
        }
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

impl fmt::Display for AggValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AggValue::Sum(s) => write!(f, "{s}"),
            AggValue::Count(c) => write!(f, "{c}"),
            AggValue::Min(Some(v)) | AggValue::Max(Some(v)) => write!(f, "{v}"),
            AggValue::Min(None) | AggValue::Max(None) | AggValue::Mean { count: 0, .. } => {
                f.write_str("-")
            }
            AggValue::Mean { sum, count } => write!(f, "{}", *sum as f64 / *count as f64),
            AggValue::Collect(vs) => {
                let mut vs = vs.clone();
                vs.sort_unstable();
                write!(f, "{vs:?}")
            }
        }
    }
}

#[cfg(test)]
mod overflow_tests {
    use super::*;

    #[test]
    #[should_panic(expected = "sum overflow")]
    fn an_overflowing_sum_panics_instead_of_wrapping() {
        let mut acc = Aggregate::Sum.empty();
        acc.add(i64::MAX);
        acc.add(1);
    }
}
