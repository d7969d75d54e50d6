//! What the diagram shows: one key and a few consecutive windows of one
//! seed, chosen so the interesting part (late data, dead letters) is in
//! frame, and the facts drawn there (arrivals, watermarks, panes).

use crate::metrics::Values;
use crate::model::{Delivery, StrategyRun, Trace, Workload};
use std::collections::BTreeMap;
use tidemark_engine::{EventTime, Key, Window};

/// At most this many windows are drawn, so labels stay legible.
pub const WINDOWS_SHOWN_MAX: usize = 4;

/// The slice of a run the diagram draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The key drawn.
    pub key: Key,
    /// The worker that key's records reached (its watermark is drawn).
    pub worker: u32,
    /// Consecutive truth windows of the key, in order.
    pub windows: Vec<Window>,
    /// Event-time range drawn, `[start, end)` (ms).
    pub x_range: (i64, i64),
}

/// Picks the key with the most dead letters over all strategies (ties: the
/// most events, then the lowest key), and the windows from the one before
/// its first trouble (a dead letter or a late pane) onwards.
#[must_use]
pub fn choose(
    workload: &Workload,
    trace: &Trace,
    runs: &[StrategyRun],
    truth: &Values,
) -> Option<View> {
    let mut score: BTreeMap<Key, (u64, u64)> = BTreeMap::new();
    for e in &workload.events {
        score.entry(Key(e.key)).or_default().1 += 1;
    }
    for dl in runs.iter().flat_map(|r| &r.dead_letters) {
        score.entry(dl.record.key).or_default().0 += 1;
    }
    let key = score
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(k, _)| *k)?;
    let windows: Vec<Window> = truth
        .keys()
        .filter(|(k, _)| *k == key)
        .map(|(_, w)| *w)
        .collect();
    let trouble = first_trouble(runs, key);
    let first = trouble
        .and_then(|t| windows.iter().position(|w| w.end > t))
        .map_or(0, |i| i.saturating_sub(1));
    let shown: Vec<Window> = windows
        .iter()
        .skip(first)
        .take(WINDOWS_SHOWN_MAX)
        .copied()
        .collect();
    let x_range = x_range(workload, key, &shown)?;
    Some(View {
        key,
        worker: worker_of(trace, workload, key),
        windows: shown,
        x_range,
    })
}

/// Event time of the earliest dead letter or late pane for `key`.
fn first_trouble(runs: &[StrategyRun], key: Key) -> Option<EventTime> {
    let dead = runs
        .iter()
        .flat_map(|r| &r.dead_letters)
        .filter(|d| d.record.key == key)
        .map(|d| d.record.time);
    let late = runs
        .iter()
        .flat_map(|r| &r.panes)
        .filter(|p| p.key == key && p.info.timing == tidemark_engine::Timing::Late)
        .map(|p| p.window.start);
    dead.chain(late).min()
}

/// The windows' span; for the global window, the key's event-time span.
fn x_range(workload: &Workload, key: Key, windows: &[Window]) -> Option<(i64, i64)> {
    let start = windows.first()?.start;
    let end = windows.last()?.end;
    if start != EventTime::MIN && end != EventTime::MAX {
        return Some((start.0, end.0));
    }
    let times = workload
        .events
        .iter()
        .filter(|e| e.key == key.0)
        .map(|e| e.time.0);
    let lo = times.clone().min()?;
    let hi = times.max()?;
    Some((lo, hi.max(lo) + 1))
}

/// The worker the key's first record reached (0 when none did).
fn worker_of(trace: &Trace, workload: &Workload, key: Key) -> u32 {
    trace
        .deliveries
        .iter()
        .find_map(|d| match *d {
            Delivery::Record { worker, event, .. } => usize::try_from(event)
                .ok()
                .and_then(|i| workload.events.get(i))
                .filter(|e| e.key == key.0)
                .map(|_| worker),
            Delivery::Punctuation { .. } => None,
        })
        .unwrap_or(0)
}

/// One element as drawn: event time, arrival, and whether it was a repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// Event id.
    pub id: u64,
    /// Event time (ms).
    pub time: i64,
    /// Arrival processing time (ms).
    pub at: i64,
    /// A retry's second copy.
    pub duplicate: bool,
}

/// The key's records delivered with event time inside the view.
#[must_use]
pub fn arrivals(workload: &Workload, trace: &Trace, view: &View) -> Vec<Arrival> {
    trace
        .deliveries
        .iter()
        .filter_map(|d| match *d {
            Delivery::Record {
                at,
                event,
                duplicate,
                ..
            } => {
                let e = usize::try_from(event)
                    .ok()
                    .and_then(|i| workload.events.get(i))?;
                let inside = e.time.0 >= view.x_range.0 && e.time.0 < view.x_range.1;
                (e.key == view.key.0 && inside).then_some(Arrival {
                    id: e.id,
                    time: e.time.0,
                    at: at.0,
                    duplicate,
                })
            }
            Delivery::Punctuation { .. } => None,
        })
        .collect()
}

/// The perfect watermark of `worker` as (processing time, watermark) steps:
/// after each arrival, the least event time among events routed to that
/// worker and not yet delivered. Events the network lost for good are left
/// out: no engine could wait for them. Ends at +∞ once all have arrived.
#[must_use]
pub fn perfect_watermark(workload: &Workload, trace: &Trace, worker: u32) -> Vec<(i64, EventTime)> {
    let mut first_arrival: BTreeMap<u64, i64> = BTreeMap::new();
    for d in &trace.deliveries {
        if let Delivery::Record {
            at,
            worker: w,
            event,
            ..
        } = *d
        {
            if w == worker {
                first_arrival.entry(event).or_insert(at.0);
            }
        }
    }
    let mut order: Vec<(i64, EventTime)> = first_arrival
        .iter()
        .filter_map(|(id, at)| {
            let e = usize::try_from(*id)
                .ok()
                .and_then(|i| workload.events.get(i))?;
            Some((*at, e.time))
        })
        .collect();
    order.sort();
    // suffix[i] = least event time among arrivals i.. (still to come).
    let mut suffix = vec![EventTime::MAX; order.len() + 1];
    for i in (0..order.len()).rev() {
        suffix[i] = suffix[i + 1].min(order[i].1);
    }
    let mut out: Vec<(i64, EventTime)> = Vec::new();
    for (i, (at, _)) in order.iter().enumerate() {
        let wm = suffix[i + 1];
        match out.last_mut() {
            Some(last) if last.0 == *at => last.1 = wm,
            Some(last) if last.1 == wm => {}
            _ => out.push((*at, wm)),
        }
    }
    out
}

/// The strategy's watermark on `worker`, as (processing time, watermark)
/// at each change.
#[must_use]
pub fn watermark_steps(run: &StrategyRun, worker: u32) -> Vec<(i64, EventTime)> {
    let mut out: Vec<(i64, EventTime)> = Vec::new();
    for &(at, w, wm) in &run.watermarks {
        if w != worker || out.last().is_some_and(|l| l.1 == wm) {
            continue;
        }
        out.push((at.0, wm));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Event;
    use tidemark_engine::ProcTime;

    #[test]
    fn perfect_watermark_is_the_least_undelivered_time() {
        let ev = |id, time| Event {
            id,
            source: 0,
            key: 0,
            value: 1,
            time: EventTime(time),
            true_time: EventTime(time),
            sent_at: ProcTime(0),
        };
        let workload = Workload {
            events: vec![ev(0, 5), ev(1, 1), ev(2, 9)],
            sources: vec!["s".into()],
            keys: vec!["k".into()],
        };
        let rec = |at, event| Delivery::Record {
            at: ProcTime(at),
            worker: 0,
            channel: 0,
            event,
            duplicate: false,
        };
        let trace = Trace {
            deliveries: vec![rec(10, 0), rec(20, 1), rec(30, 2)],
            faults: Vec::new(),
            undelivered: Vec::new(),
            workers: 1,
            channels: 1,
            end: ProcTime(30),
        };
        // Event 1 (time 1) arrives last but one: the watermark waits for it.
        assert_eq!(
            perfect_watermark(&workload, &trace, 0),
            vec![(10, EventTime(1)), (20, EventTime(9)), (30, EventTime::MAX)]
        );
    }
}
