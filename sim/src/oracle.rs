//! The oracle: what a batch job would compute over the same events — the
//! Lambda architecture's batch layer.
//!
//! Deliberately naive: sort, group, fold. It shares no windowing code with
//! the engine (it never calls `WindowFn::assign`, the driver or a trigger);
//! it only uses the engine's plain data types (`Window`, `Key`, `AggValue`)
//! so that its results compare directly with panes. If the engine and the
//! oracle agree, two independent implementations of the Beam model agree.

use crate::model::{Delivery, StrategyRun, Trace, Workload};
use std::collections::BTreeMap;
use tidemark_engine::{AggValue, Aggregate, EventTime, Key, Window, WindowFn};

/// What the oracle needs to know about a pipeline: how to window and what to
/// compute. Triggers, lateness and accumulation don't change a batch result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windowing {
    /// The window function (as data; assignment is reimplemented here).
    pub window: WindowFn,
    /// The aggregation.
    pub aggregate: Aggregate,
}

/// One window's batch result, with the events that went into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// The folded value, in the same form a pane carries (collect sorted).
    pub value: AggValue,
    /// Ids of the events (one entry per counted copy), ascending.
    pub events: Vec<u64>,
}

/// Per key and window, the batch result.
pub type Results = BTreeMap<(Key, Window), Cell>;

/// One element as the oracle sees it: a counted copy of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Element {
    id: u64,
    key: Key,
    value: i64,
    time: EventTime,
}

/// The truth: every generated event, counted once, windowed by its event
/// time as the source stamped it.
#[must_use]
pub fn truth(workload: &Workload, windowing: Windowing) -> Results {
    let all = (0..workload.events.len()).filter_map(|i| u32::try_from(i).ok());
    compute(grouped(workload, all), &BTreeMap::new(), windowing)
}

/// The oracle's view of an event.
fn element(e: &crate::model::Event) -> Element {
    Element {
        id: e.id,
        key: Key(e.key),
        value: e.value,
        time: e.time,
    }
}

/// Counted copies, given as positions in `Workload::events` (one per
/// copy), grouped by key in ascending key order: 4 bytes a copy while
/// grouping, and one key's elements at a time after, rather than an
/// element (32 bytes) per copy of the whole run at once.
fn grouped<'w>(
    workload: &'w Workload,
    positions: impl IntoIterator<Item = u32>,
) -> impl Iterator<Item = Vec<Element>> + 'w {
    // Keys are indices into `Workload::keys`: a bucket per index, found
    // without a map search per copy (that search was most of the oracle's
    // time at 10M events). A key outside the list (a hand-built workload)
    // goes to a map, after every listed key, still in ascending order.
    let mut listed: Vec<Vec<u32>> = vec![Vec::new(); workload.keys.len()];
    let mut others: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
    for p in positions {
        if let Some(e) = workload.events.get(p as usize) {
            match usize::try_from(e.key).ok().and_then(|k| listed.get_mut(k)) {
                Some(bucket) => bucket.push(p),
                None => others.entry(e.key).or_default().push(p),
            }
        }
    }
    let buckets = listed
        .into_iter()
        .filter(|ps| !ps.is_empty())
        .chain(others.into_values());
    buckets.map(move |ps| {
        ps.into_iter()
            .filter_map(|p| workload.events.get(p as usize).map(element))
            .collect()
    })
}

/// `elements` grouped by key in ascending key order.
#[cfg(test)]
fn by_key(mut elements: Vec<Element>) -> impl Iterator<Item = Vec<Element>> {
    elements.sort_by_key(|e| e.key);
    let mut out: Vec<Vec<Element>> = Vec::new();
    for g in elements.chunk_by(|a, b| a.key == b.key) {
        out.push(g.to_vec());
    }
    out.into_iter()
}

/// The truth over every event the network delivered: each delivered event
/// once when the pipeline deduplicates, each delivered copy otherwise.
/// Events lost in the network are left out — no engine could count them.
#[must_use]
pub fn delivered_truth(
    workload: &Workload,
    trace: &Trace,
    dedup: bool,
    windowing: Windowing,
) -> Results {
    compute(
        grouped(
            workload,
            engine_copies(workload, trace, dedup, &std::collections::BTreeSet::new()),
        ),
        &BTreeMap::new(),
        windowing,
    )
}

/// The admitted truth: like [`delivered_truth`], minus what the engine
/// refused (its dead letters). For a sliding window an element refused for
/// some windows still counts in the others; for sessions a refused element
/// is left out altogether (it has exactly one proto-window).
#[must_use]
pub fn admitted_truth(
    workload: &Workload,
    trace: &Trace,
    run: &StrategyRun,
    dedup: bool,
    windowing: Windowing,
) -> Results {
    let mut refused: BTreeMap<(u64, Option<Window>), u64> = BTreeMap::new();
    let merging = matches!(windowing.window, WindowFn::Sessions { .. });
    for dl in &run.dead_letters {
        if merging {
            *refused.entry((dl.record.id, None)).or_default() += 1;
        } else {
            for w in &dl.windows {
                *refused.entry((dl.record.id, Some(*w))).or_default() += 1;
            }
        }
    }
    compute(
        grouped(
            workload,
            engine_copies(workload, trace, dedup, &missed_set(run)),
        ),
        &refused,
        windowing,
    )
}

/// The trace deliveries the run never read because retention had
/// dropped them: not admitted, so not in the admitted truth (the truth
/// still counts them).
#[must_use]
pub fn missed_set(run: &StrategyRun) -> std::collections::BTreeSet<usize> {
    run.recovery
        .retention_missed
        .iter()
        .map(|&(d, _)| d)
        .collect()
}

/// The copies of events that reach an engine: delivered records, without
/// the repeats when deduplicating, as positions in `Workload::events`.
/// Ids unknown to the workload are skipped here; conservation reports them.
fn engine_copies(
    workload: &Workload,
    trace: &Trace,
    dedup: bool,
    missed: &std::collections::BTreeSet<usize>,
) -> Vec<u32> {
    let mut out = Vec::new();
    // A duplicate whose first copy was missed is the first copy read.
    let mut read = vec![
        false;
        workload
            .events
            .iter()
            .map(|e| e.id as usize + 1)
            .max()
            .unwrap_or(0)
    ];
    for (i, d) in trace.deliveries.iter().enumerate() {
        if missed.contains(&i) {
            continue;
        }
        let Delivery::Record { event, .. } = *d else {
            continue;
        };
        let repeat = usize::try_from(event)
            .ok()
            .and_then(|i| read.get_mut(i))
            .is_some_and(|r| std::mem::replace(r, true));
        if dedup && repeat {
            continue;
        }
        // The loader's event cap keeps every position far below 2^32.
        let Some(p) = usize::try_from(event)
            .ok()
            .filter(|&i| i < workload.events.len())
            .and_then(|i| u32::try_from(i).ok())
        else {
            continue;
        };
        out.push(p);
    }
    out
}

/// Windows every element, drops the refused (copy, window) pairs, groups by
/// (key, window) and folds. `refused` counts, per event id and window (or
/// `None` for "the whole element"), how many copies were refused.
fn compute(
    by_key: impl Iterator<Item = Vec<Element>>,
    refused: &BTreeMap<(u64, Option<Window>), u64>,
    windowing: Windowing,
) -> Results {
    let mut refused = refused.clone();
    let mut take_refusal = |id: u64, w: Option<Window>| -> bool {
        match refused.get_mut(&(id, w)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    };
    // One key at a time (no window spans keys): only one key's rows are
    // held at once, not a row per element of the whole run. Keys come in
    // ascending order and each key's rows are sorted, so the rows are
    // folded in exactly the order one sort of all of them would give.
    let mut out = Results::new();
    let mut assigned: Vec<(Key, Window, i64, u64)> = Vec::new();
    for mut group in by_key {
        // Sorting first makes the result independent of arrival order, and
        // the "which copy was refused" choice irrelevant (copies are
        // identical).
        group.sort_by_key(|e| (e.time, e.id));
        assigned.clear();
        match windowing.window {
            WindowFn::Sessions { gap } => {
                let kept: Vec<Element> = group
                    .iter()
                    .copied()
                    .filter(|e| !take_refusal(e.id, None))
                    .collect();
                for (key, window, e) in sessions(&kept, gap.0) {
                    assigned.push((key, window, e.value, e.id));
                }
            }
            window_fn => {
                for e in &group {
                    for w in windows_of(window_fn, e.time) {
                        if !take_refusal(e.id, Some(w)) {
                            assigned.push((e.key, w, e.value, e.id));
                        }
                    }
                }
            }
        }
        assigned.sort();
        fold_groups(&assigned, windowing.aggregate, &mut out);
    }
    out
}

/// The non-merging windows holding `t`, recomputed from the definitions:
/// fixed `[o + k·size, o + (k+1)·size)`, sliding `[o + k·period, o + k·period + size)`.
pub(crate) fn windows_of(window_fn: WindowFn, t: EventTime) -> Vec<Window> {
    match window_fn {
        WindowFn::Global => vec![Window::GLOBAL],
        WindowFn::Fixed { size, offset } => {
            let (size, offset) = (i128::from(size.0), i128::from(offset.0));
            let k = (i128::from(t.0) - offset).div_euclid(size);
            vec![window_at(offset + k * size, size)]
        }
        WindowFn::Sliding {
            size,
            period,
            offset,
        } => {
            let (size, period, offset) = (
                i128::from(size.0),
                i128::from(period.0),
                i128::from(offset.0),
            );
            let t = i128::from(t.0);
            // Starts s with t - size < s <= t, i.e. k from the first start
            // after t - size up to the last start at or before t.
            let k_last = (t - offset).div_euclid(period);
            let k_first = (t - size - offset).div_euclid(period) + 1;
            (k_first..=k_last)
                .map(|k| window_at(offset + k * period, size))
                .collect()
        }
        WindowFn::Sessions { .. } => unreachable!("sessions are windowed per key, not per element"),
    }
}

fn window_at(start: i128, size: i128) -> Window {
    let clamp = |x: i128| x.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    Window {
        start: EventTime(clamp(start)),
        end: EventTime(clamp(start + size)),
    }
}

/// Sessions of elements sorted by (key, time): each element stands for
/// `[t, t + gap)`; a run of them whose intervals overlap (not merely touch)
/// is one session spanning them all.
fn sessions(sorted: &[Element], gap: i64) -> Vec<(Key, Window, Element)> {
    let mut out = Vec::with_capacity(sorted.len());
    let mut i = 0;
    while i < sorted.len() {
        let key = sorted[i].key;
        let start = sorted[i].time;
        let mut end = sorted[i].time.0.saturating_add(gap);
        let mut j = i + 1;
        while j < sorted.len() && sorted[j].key == key && sorted[j].time.0 < end {
            end = end.max(sorted[j].time.0.saturating_add(gap));
            j += 1;
        }
        let window = Window {
            start,
            end: EventTime(end),
        };
        out.extend(sorted[i..j].iter().map(|e| (key, window, *e)));
        i = j;
    }
    out
}

/// Folds sorted `(key, window, value, id)` rows into one cell per group.
fn fold_groups(rows: &[(Key, Window, i64, u64)], aggregate: Aggregate, out: &mut Results) {
    let mut i = 0;
    while i < rows.len() {
        let (key, window) = (rows[i].0, rows[i].1);
        let mut j = i;
        while j < rows.len() && rows[j].0 == key && rows[j].1 == window {
            j += 1;
        }
        let values: Vec<i64> = rows[i..j].iter().map(|r| r.2).collect();
        let mut events: Vec<u64> = rows[i..j].iter().map(|r| r.3).collect();
        events.sort_unstable();
        let value = fold(&values, aggregate);
        out.insert((key, window), Cell { value, events });
        i = j;
    }
}

/// `a + b`, exactly. The oracle never wraps (a wrapped truth would agree
/// with a wrapped engine); the loaders refuse any input whose worst-case
/// sum could overflow, so this cannot fail on loaded scenarios.
fn exact(a: i64, b: i64) -> i64 {
    match a.checked_add(b) {
        Some(s) => s,
        None => panic!("oracle sum overflow: {a} + {b} (the loader's value bound was bypassed)"),
    }
}

/// The aggregate of `values`, written out from each definition.
#[must_use]
pub fn fold(values: &[i64], aggregate: Aggregate) -> AggValue {
    let sum = values.iter().fold(0i64, |a, v| exact(a, *v));
    let count = values.len() as u64;
    match aggregate {
        Aggregate::Sum => AggValue::Sum(sum),
        Aggregate::Count => AggValue::Count(count),
        Aggregate::Min => AggValue::Min(values.iter().copied().min()),
        Aggregate::Max => AggValue::Max(values.iter().copied().max()),
        Aggregate::Mean => AggValue::Mean { sum, count },
        Aggregate::Collect => {
            let mut vs = values.to_vec();
            vs.sort_unstable();
            AggValue::Collect(vs)
        }
    }
}

/// Combines two results of the same aggregation over disjoint inputs, as a
/// batch job would (collect stays sorted). `None` when the kinds differ.
#[must_use]
pub fn combine(a: &AggValue, b: &AggValue) -> Option<AggValue> {
    let opt = |x: Option<i64>, y: Option<i64>, f: fn(i64, i64) -> i64| match (x, y) {
        (Some(x), Some(y)) => Some(f(x, y)),
        (x, y) => x.or(y),
    };
    Some(match (a, b) {
        (AggValue::Sum(x), AggValue::Sum(y)) => AggValue::Sum(exact(*x, *y)),
        (AggValue::Count(x), AggValue::Count(y)) => AggValue::Count(x + y),
        (AggValue::Min(x), AggValue::Min(y)) => AggValue::Min(opt(*x, *y, i64::min)),
        (AggValue::Max(x), AggValue::Max(y)) => AggValue::Max(opt(*x, *y, i64::max)),
        (AggValue::Mean { sum: s1, count: c1 }, AggValue::Mean { sum: s2, count: c2 }) => {
            AggValue::Mean {
                sum: exact(*s1, *s2),
                count: c1 + c2,
            }
        }
        (AggValue::Collect(x), AggValue::Collect(y)) => {
            let mut vs: Vec<i64> = x.iter().chain(y).copied().collect();
            vs.sort_unstable();
            AggValue::Collect(vs)
        }
        _ => return None,
    })
}

/// The number of elements a value stands for, when the aggregation records
/// it (count, mean, collect); conservation uses it.
#[must_use]
pub fn element_count(value: &AggValue) -> Option<u64> {
    match value {
        AggValue::Count(c) | AggValue::Mean { count: c, .. } => Some(*c),
        AggValue::Collect(vs) => Some(vs.len() as u64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Event;
    use tidemark_engine::{Duration, ProcTime};

    fn w(s: i64, e: i64) -> Window {
        Window {
            start: EventTime(s),
            end: EventTime(e),
        }
    }

    fn workload(times: &[(u64, i64)]) -> Workload {
        let events = times
            .iter()
            .enumerate()
            .map(|(i, &(key, t))| Event {
                id: i as u64,
                source: 0,
                key,
                value: t,
                time: EventTime(t),
                true_time: EventTime(t),
                sent_at: ProcTime(0),
            })
            .collect();
        Workload {
            events,
            sources: vec!["s".into()],
            keys: vec!["a".into(), "b".into()],
        }
    }

    #[test]
    fn fixed_windows_floor_negative_times_and_offsets() {
        let fixed = |size, offset| WindowFn::Fixed {
            size: Duration(size),
            offset: Duration(offset),
        };
        assert_eq!(windows_of(fixed(10, 0), EventTime(-1)), vec![w(-10, 0)]);
        assert_eq!(windows_of(fixed(10, 0), EventTime(10)), vec![w(10, 20)]);
        assert_eq!(windows_of(fixed(10, 3), EventTime(2)), vec![w(-7, 3)]);
        assert_eq!(windows_of(fixed(10, 13), EventTime(3)), vec![w(3, 13)]);
    }

    #[test]
    fn sliding_windows_cover_each_time_size_over_period_times() {
        let sliding = |size, period| WindowFn::Sliding {
            size: Duration(size),
            period: Duration(period),
            offset: Duration(0),
        };
        assert_eq!(
            windows_of(sliding(10, 5), EventTime(7)),
            vec![w(0, 10), w(5, 15)]
        );
        assert_eq!(
            windows_of(sliding(10, 5), EventTime(4)),
            vec![w(-5, 5), w(0, 10)]
        );
        assert_eq!(windows_of(sliding(5, 10), EventTime(7)), vec![]);
        assert_eq!(windows_of(sliding(5, 10), EventTime(3)), vec![w(0, 5)]);
    }

    #[test]
    fn sessions_merge_on_overlap_not_on_touch() {
        let wl = workload(&[(0, 1), (0, 4), (0, 9), (1, 2)]);
        let windowing = Windowing {
            window: WindowFn::Sessions { gap: Duration(5) },
            aggregate: Aggregate::Collect,
        };
        let r = truth(&wl, windowing);
        let got: Vec<_> = r
            .iter()
            .map(|((k, w), c)| (k.0, *w, c.value.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, w(1, 9), AggValue::Collect(vec![1, 4])),
                (0, w(9, 14), AggValue::Collect(vec![9])),
                (1, w(2, 7), AggValue::Collect(vec![2])),
            ]
        );
    }

    #[test]
    fn refused_windows_are_left_out_per_copy() {
        let elements = vec![
            Element {
                id: 0,
                key: Key(0),
                value: 3,
                time: EventTime(7),
            };
            2
        ];
        let mut refused = BTreeMap::new();
        refused.insert((0, Some(w(0, 10))), 1);
        let windowing = Windowing {
            window: WindowFn::Sliding {
                size: Duration(10),
                period: Duration(5),
                offset: Duration(0),
            },
            aggregate: Aggregate::Sum,
        };
        let r = compute(by_key(elements), &refused, windowing);
        assert_eq!(r[&(Key(0), w(0, 10))].value, AggValue::Sum(3));
        assert_eq!(r[&(Key(0), w(5, 15))].value, AggValue::Sum(6));
        assert_eq!(r[&(Key(0), w(5, 15))].events, vec![0, 0]);
    }

    #[test]
    fn folds_follow_the_definitions() {
        assert_eq!(fold(&[3, 1, 2], Aggregate::Min), AggValue::Min(Some(1)));
        assert_eq!(fold(&[], Aggregate::Max), AggValue::Max(None));
        assert_eq!(
            fold(&[3, 1], Aggregate::Mean),
            AggValue::Mean { sum: 4, count: 2 }
        );
        assert_eq!(
            combine(&AggValue::Collect(vec![5]), &AggValue::Collect(vec![1, 9])),
            Some(AggValue::Collect(vec![1, 5, 9]))
        );
    }
}
