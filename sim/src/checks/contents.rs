//! Pane contents, part of firing conformance: each pane holds exactly the
//! admitted elements its worker read before the pane fired, folded by the
//! aggregate. Causality is one side of it (no pane holds an element read
//! after it fired); the other is that no pane misses one read before.
//!
//! Why it can be exact: every firing flushes the window's whole buffer, so
//! by a pane at processing time `F` a window has emitted, over all its
//! panes in discarding mode or in the pane itself when accumulating, every
//! element read before `F`. Elements read at `F` itself are ambiguous: a
//! timer fires before the entries of its instant, a watermark step after
//! the entry that moved it. They are read in order, so the pane holds some
//! prefix of them, and any prefix is accepted.
//!
//! Checked for every aggregate (sum with values of either sign, count,
//! min, max, mean, collect), when each read's instant is known (entries
//! processed as appended, on the exact or the coarse clock; or a slow
//! consumer's recorded reads, with no crash) and windows don't merge.
//!
//! Under the same conditions, a count trigger fires at its count: every
//! pane a count trigger fired (each pane of `repeatedly(after_count(n))`
//! but the one at expiry; the early panes of an `after_watermark` whose
//! early trigger counts; its late panes but the one at expiry when the late
//! trigger counts) holds exactly `n` elements more than the window's
//! previous pane (`count` and `mean`). Each entry is handed to the engine
//! alone, so a count trigger cannot overshoot.

use super::{Input, WindowReads};
use crate::invariants::Counterexample;
use std::collections::BTreeMap;
use tidemark_engine::{Accumulation, AggValue, Aggregate, Key, Pane, Timing, Trigger, Window};

/// A fold of values, computed here rather than by the engine's
/// accumulators; sums in `i128`, so the reference itself never overflows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fold {
    Sum(i128),
    Count(u64),
    Min(Option<i64>),
    Max(Option<i64>),
    Mean(i128, u64),
    Collect(Vec<i64>),
}

impl Fold {
    fn empty(aggregate: Aggregate) -> Fold {
        match aggregate {
            Aggregate::Sum => Fold::Sum(0),
            Aggregate::Count => Fold::Count(0),
            Aggregate::Min => Fold::Min(None),
            Aggregate::Max => Fold::Max(None),
            Aggregate::Mean => Fold::Mean(0, 0),
            Aggregate::Collect => Fold::Collect(Vec::new()),
        }
    }

    fn of(value: &AggValue) -> Fold {
        match value {
            AggValue::Sum(s) => Fold::Sum(i128::from(*s)),
            AggValue::Count(n) => Fold::Count(*n),
            AggValue::Min(m) => Fold::Min(*m),
            AggValue::Max(m) => Fold::Max(*m),
            AggValue::Mean { sum, count } => Fold::Mean(i128::from(*sum), *count),
            AggValue::Collect(vs) => {
                let mut vs = vs.clone();
                vs.sort_unstable();
                Fold::Collect(vs)
            }
        }
    }

    fn add(&mut self, v: i64) {
        self.combine(&match self {
            Fold::Sum(_) => Fold::Sum(i128::from(v)),
            Fold::Count(_) => Fold::Count(1),
            Fold::Min(_) => Fold::Min(Some(v)),
            Fold::Max(_) => Fold::Max(Some(v)),
            Fold::Mean(..) => Fold::Mean(i128::from(v), 1),
            Fold::Collect(_) => Fold::Collect(vec![v]),
        });
    }

    /// Folds another fold of the same aggregate in (discarding panes add
    /// up to what one accumulating pane would hold).
    fn combine(&mut self, other: &Fold) {
        match (self, other) {
            (Fold::Sum(a), Fold::Sum(b)) => *a += b,
            (Fold::Count(a), Fold::Count(b)) => *a = a.saturating_add(*b),
            (Fold::Min(a), Fold::Min(b)) => *a = a.iter().chain(b).copied().min(),
            (Fold::Max(a), Fold::Max(b)) => *a = a.iter().chain(b).copied().max(),
            (Fold::Mean(s, n), Fold::Mean(t, m)) => {
                *s += t;
                *n = n.saturating_add(*m);
            }
            (Fold::Collect(a), Fold::Collect(b)) => {
                a.extend_from_slice(b);
                a.sort_unstable();
            }
            _ => {}
        }
    }

    /// Elements counted, where the measure has a count.
    fn elements(&self) -> Option<u64> {
        match self {
            Fold::Count(n) | Fold::Mean(_, n) => Some(*n),
            Fold::Collect(vs) => Some(vs.len() as u64),
            _ => None,
        }
    }
}

impl std::fmt::Display for Fold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let opt = |o: &Option<i64>| o.map_or_else(|| "none".to_string(), |v| v.to_string());
        match self {
            Fold::Sum(s) => write!(f, "sum {s}"),
            Fold::Count(n) => write!(f, "count {n}"),
            Fold::Min(m) => write!(f, "min {}", opt(m)),
            Fold::Max(m) => write!(f, "max {}", opt(m)),
            Fold::Mean(s, n) => write!(f, "mean of sum {s} over {n}"),
            Fold::Collect(vs) => write!(f, "collect {vs:?}"),
        }
    }
}

/// The first pane whose contents are not the fold of the elements read
/// before it fired, or a count trigger's pane off its count.
pub(super) fn check(input: &Input<'_>, reads: &WindowReads<'_>) -> Result<(), Box<Counterexample>> {
    let aggregate = input.pipeline.aggregate;
    let discarding = input.pipeline.accumulation == Accumulation::Discarding;
    let count_fired = count_fired(&input.pipeline.trigger);
    // Per window: what its panes hold so far (as one accumulating pane
    // would), and how far the fold of its reads has got.
    let mut emitted: BTreeMap<(Key, Window), Fold> = BTreeMap::new();
    let mut folded: BTreeMap<(Key, Window), (usize, Fold)> = BTreeMap::new();
    let none: &[u32] = &[];
    for p in input.run.panes.iter().filter(|p| !p.retraction) {
        let id = (p.key, p.window);
        let pane = Fold::of(&p.value);
        let so_far = emitted.entry(id).or_insert_with(|| Fold::empty(aggregate));
        let before = so_far.elements();
        if discarding {
            so_far.combine(&pane);
        } else {
            *so_far = pane.clone();
        }
        let holds = so_far.clone();
        if let (Some(n), Some(before), Some(now)) = (count_fired(p), before, holds.elements()) {
            let added = if discarding {
                pane.elements().unwrap_or(0)
            } else {
                now.saturating_sub(before)
            };
            if added != n {
                return Err(Box::new(Counterexample {
                    what: "a count trigger did not fire at its count".into(),
                    key: input.key_name(p.key),
                    window: Some(p.window),
                    expected: Some(format!("{n} element(s) since the window's previous pane")),
                    actual: Some(format!(
                        "{added} in the {} pane index {} fired at processing time {}",
                        p.info.timing, p.info.index, p.fired_at.0
                    )),
                    events: Vec::new(),
                }));
            }
        }
        let window_reads = reads.windows.get(&id).map_or(none, Vec::as_slice);
        let fired = p.fired_at.0;
        let before_f = window_reads.partition_point(|&d| reads.at(d) < fired);
        let by_f = window_reads.partition_point(|&d| reads.at(d) <= fired);
        let (done, fold) = folded
            .entry(id)
            .or_insert_with(|| (0, Fold::empty(aggregate)));
        // Panes of one window fire in processing-time order, so the fold
        // only moves forward.
        while *done < before_f {
            fold.add(reads.value(window_reads[*done]));
            *done += 1;
        }
        let mut candidate = fold.clone();
        let mut matched = candidate == holds;
        for &d in &window_reads[before_f..by_f] {
            if matched {
                break;
            }
            candidate.add(reads.value(d));
            matched = candidate == holds;
        }
        if !matched {
            let ties = by_f - before_f;
            let what = match (holds.elements(), fold.elements()) {
                (Some(h), Some(_)) if h > by_f as u64 => {
                    "a pane holds elements the worker read after the pane fired"
                }
                (Some(h), Some(_)) if h < before_f as u64 => {
                    "a pane misses elements the worker read before the pane fired"
                }
                _ => {
                    "a pane's value is not the fold of the elements the worker read before it fired"
                }
            };
            return Err(Box::new(Counterexample {
                what: what.into(),
                key: input.key_name(p.key),
                window: Some(p.window),
                expected: Some(format!(
                    "{fold}: the {before_f} admitted element(s) read before processing time {fired}{}{}",
                    if ties > 0 {
                        format!(" (or with some of the {ties} read at {fired})")
                    } else {
                        String::new()
                    },
                    if discarding { ", over all its panes so far" } else { "" }
                )),
                actual: Some(format!(
                    "{holds}{} (the {} pane index {})",
                    if discarding { " over its panes" } else { "" },
                    p.info.timing,
                    p.info.index
                )),
                events: Vec::new(),
            }));
        }
    }
    Ok(())
}

/// For a pane, the count its trigger fired at, when a count trigger fired
/// it (see the module doc); `None` for every other pane.
fn count_fired(trigger: &Trigger) -> impl Fn(&Pane) -> Option<u64> + '_ {
    fn count(t: &Trigger) -> Option<u64> {
        match t {
            Trigger::AfterCount(n) => Some(*n),
            Trigger::Repeatedly(inner) => match inner.as_ref() {
                Trigger::AfterCount(n) => Some(*n),
                _ => None,
            },
            _ => None,
        }
    }
    move |p: &Pane| match trigger {
        Trigger::Repeatedly(_) if !p.info.is_last => count(trigger),
        Trigger::AfterWatermark { early, .. } if p.info.timing == Timing::Early => {
            early.as_deref().and_then(count)
        }
        Trigger::AfterWatermark { late, .. }
            if p.info.timing == Timing::Late && !p.info.is_last =>
        {
            late.as_deref().and_then(count)
        }
        _ => None,
    }
}
