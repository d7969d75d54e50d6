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
