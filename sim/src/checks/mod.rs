//! Invariants that recompute a semantic from the delivered trace with a
//! naive reference of their own, independent of the engine's code and of
//! its decisions: the watermark each strategy must produce
//! ([`watermark`]), the windows each element belongs to ([`reference`]),
//! when each pane must fire ([`firing`]), whether each admission and dead letter was justified by the
//! watermark at the element's arrival ([`admission`]), and whether each
//! superseded pane was retracted ([`retraction`]). [`liveness`] measures
//! the liveness thresholds.
//!
//! Each check returns the first counterexample, in trace order.

pub mod admission;
mod contents;
pub mod firing;
pub mod liveness;
pub mod reference;
pub mod retraction;
mod timers;
pub mod watermark;

#[cfg(test)]
mod tests;

use crate::invariants::{Invariant, Outcome, Verdict};
use crate::model::{Delivery, StrategyRun, Trace, Workload};
use tidemark_engine::{Pipeline, WatermarkConfig};

/// What the reference checks read besides the run.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The generated events.
    pub workload: &'a Workload,
    /// What the network delivered (and the log appended).
    pub trace: &'a Trace,
    /// The strategy's run.
    pub run: &'a StrategyRun,
    /// The strategy's engine pipeline (window function, lateness).
    pub pipeline: &'a Pipeline,
    /// The strategy's watermark configuration, `channels` aside.
    pub watermark: WatermarkConfig,
    /// Global input channels per worker, as the workers number them.
    pub worker_channels: &'a [Vec<u32>],
    /// Whether the pipeline deduplicates by event id.
    pub dedup: bool,
    /// Keys to workers.
    pub topology: crate::network::Topology,
    /// True when every entry was processed when it was appended (no fetch
    /// latency, unlimited service, no crash, no late start): then the
    /// processing time of each element is its delivery time, exactly.
    pub immediate: bool,
    /// The coarse processing clock's step in ms, if any: with `immediate`,
    /// each element is then processed at the first multiple of the step at
    /// or after its delivery time, and timers fire on that grid too.
    pub clock_step: Option<i64>,
}

impl Input<'_> {
    /// True when each element's processing time is exactly its delivery
    /// time (`immediate`, on the exact clock).
    #[must_use]
    pub fn exact_clock(&self) -> bool {
        self.immediate && self.clock_step.is_none()
    }

    /// The processing time at which the worker read trace delivery `i`, if
    /// known: its append time on the exact clock, else the append time plus
    /// the delay the run recorded (`Recovery::read_delay`, kept whenever
    /// processing is not exact); `None` for an entry the surviving
    /// history never read, or when the run recorded no (or too long a)
    /// delay.
    #[must_use]
    pub fn read_at(&self, i: usize) -> Option<i64> {
        let at = self.trace.deliveries.get(i)?.at().0;
        if self.exact_clock() {
            return Some(at);
        }
        let r = &self.run.recovery;
        if !r.read.get(i).copied().unwrap_or(false) {
            return None;
        }
        let delay = r.read_delay.get(i).filter(|&&d| d != u32::MAX)?;
        Some(at.saturating_add(i64::from(*delay)))
    }

    /// True when the instant each entry was read is known: entries were
    /// processed as appended (`immediate`), or the run recorded each read's
    /// delay and no worker crashed (a restored worker re-reads).
    #[must_use]
    pub fn reads_known(&self) -> bool {
        let r = &self.run.recovery;
        self.immediate || (r.crashes == 0 && !r.read_delay.is_empty())
    }

    /// When the worker read trace delivery `i`: [`Input::read_at`], or on
    /// the grid at or after its append when entries were processed as
    /// appended on a coarse clock; `None` when unknown.
    #[must_use]
    pub fn processed_at(&self, i: usize) -> Option<i64> {
        match self.read_at(i) {
            Some(t) => Some(t),
            None if self.immediate => Some(self.on_grid(self.trace.deliveries.get(i)?.at().0)),
            None => None,
        }
    }

    /// The name of key `k`, for a counterexample.
    #[must_use]
    pub fn key_name(&self, k: tidemark_engine::Key) -> Option<String> {
        self.workload.keys.get(k.0 as usize).cloned()
    }

    /// `t` on the processing clock's grid (itself on the exact clock).
    #[must_use]
    pub fn on_grid(&self, t: i64) -> i64 {
        match self.clock_step {
            Some(step) if step > 1 => crate::workers::on_grid(t, step),
            _ => t,
        }
    }
}

/// Runs every reference check.
#[must_use]
pub fn check(input: &Input<'_>) -> Vec<Verdict> {
    vec![
        Verdict {
            invariant: Invariant::WatermarkConformance,
            outcome: watermark::conformance(input),
        },
        Verdict {
            invariant: Invariant::FiringConformance,
            outcome: firing::conformance(input),
        },
        Verdict {
            invariant: Invariant::AdmissionJustified,
            outcome: admission::justified(input),
        },
        Verdict {
            invariant: Invariant::RetractionConformance,
            outcome: retraction::conformance(input),
        },
    ]
}

pub(crate) fn fail(c: crate::invariants::Counterexample) -> Outcome {
    Outcome::Failed(Box::new(c))
}

/// Dead letters by (record id, processing time): the reasons and windows
/// each element was refused from at each arrival.
pub(crate) type Refusals<'a> = std::collections::BTreeMap<
    (u64, i64),
    Vec<(
        tidemark_engine::DeadLetterReason,
        &'a [tidemark_engine::Window],
    )>,
>;

pub(crate) fn refusals(run: &StrategyRun) -> Refusals<'_> {
    let mut out = Refusals::new();
    for dl in &run.dead_letters {
        out.entry((dl.record.id, dl.at.0))
            .or_default()
            .push((dl.reason, &dl.windows));
    }
    out
}

/// One record a worker read and the pipeline kept: what the admission,
/// firing and contents checks walk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadRecord {
    /// The delivery's index in the trace.
    pub delivery: usize,
    /// The delivery's arrival (its append time).
    pub at: i64,
    /// The worker that read it.
    pub worker: u32,
    /// The event's id.
    pub event: u64,
    /// The event's time.
    pub time: tidemark_engine::EventTime,
    /// The event's key.
    pub key: tidemark_engine::Key,
}

/// The records the workers read, in trace (arrival) order: duplicates the
/// pipeline drops and entries the surviving history never read are left
/// out, and so is a delivery whose event the workload does not have.
pub(crate) fn read_records<'a>(
    input: &'a Input<'_>,
    by_id: &'a crate::workers::EventIndex,
) -> impl Iterator<Item = ReadRecord> + 'a {
    let read = &input.run.recovery.read;
    input
        .trace
        .deliveries
        .iter()
        .enumerate()
        .filter_map(move |(i, d)| {
            let Delivery::Record {
                at,
                worker,
                event,
                duplicate,
                ..
            } = *d
            else {
                return None;
            };
            if (duplicate && input.dedup) || !read.get(i).copied().unwrap_or(true) {
                return None;
            }
            let e = by_id.get(input.workload, event)?;
            Some(ReadRecord {
                delivery: i,
                at: at.0,
                worker,
                event,
                time: e.time,
                key: tidemark_engine::Key(e.key),
            })
        })
}

/// The admitted elements of each (key, window), in the order the worker
/// read them: a window's element is one the worker read and did not refuse
/// from that window. Only meaningful when the read instants are known
/// (`Input::reads_known`) and windows don't merge; the firing and contents
/// checks read it then. Each read is kept as its delivery's index (4 bytes
/// per element and window, not a copy of its instant and value).
pub(crate) struct WindowReads<'a> {
    input: Input<'a>,
    by_id: crate::workers::EventIndex,
    pub windows:
        std::collections::BTreeMap<(tidemark_engine::Key, tidemark_engine::Window), Vec<u32>>,
}

impl<'a> WindowReads<'a> {
    /// `None` when a read's instant is unknown.
    pub fn of(input: &Input<'a>) -> Option<WindowReads<'a>> {
        let refused = refusals(input.run);
        // Not a map of every event: that was a 10M-event run's memory peak.
        let by_id = crate::workers::EventIndex::new(input.workload);
        let mut windows: std::collections::BTreeMap<_, Vec<u32>> =
            std::collections::BTreeMap::new();
        // A dead letter names the event and the instant the worker read it
        // (its append time only on the exact clock), not which copy: of
        // the copies of one event read at one instant, those refused from
        // a window are the last ones (the watermark and a closed window
        // only move one way), so count the copies first.
        let mut copies: std::collections::BTreeMap<(u64, i64), (usize, usize)> =
            std::collections::BTreeMap::new();
        if !refused.is_empty() {
            for r in read_records(input, &by_id) {
                if let Some(at) = input.processed_at(r.delivery) {
                    if refused.contains_key(&(r.event, at)) {
                        copies.entry((r.event, at)).or_default().0 += 1;
                    }
                }
            }
        }
        for r in read_records(input, &by_id) {
            let Ok(d) = u32::try_from(r.delivery) else {
                continue;
            };
            let read_at = input.processed_at(r.delivery)?;
            let dls = refused
                .get(&(r.event, read_at))
                .map_or(&[][..], Vec::as_slice);
            // This copy's place among them, and how many there are.
            let (total, nth) = match copies.get_mut(&(r.event, read_at)) {
                Some((total, seen)) => {
                    *seen += 1;
                    (*total, *seen - 1)
                }
                None => (1, 0),
            };
            for w in reference::windows_of(input.pipeline.window, r.time).unwrap_or_default() {
                let refused_copies = dls.iter().filter(|(_, ws)| ws.contains(&w)).count();
                if nth + refused_copies < total {
                    windows.entry((r.key, w)).or_default().push(d);
                }
            }
        }
        let mut reads = WindowReads {
            input: *input,
            by_id,
            windows: std::collections::BTreeMap::new(),
        };
        // Trace order is append order; on a grid several appends share an
        // instant and keep their order (a stable sort).
        for v in windows.values_mut() {
            if !v.is_sorted_by_key(|&d| reads.at(d)) {
                v.sort_by_key(|&d| reads.at(d));
            }
        }
        reads.windows = windows;
        Some(reads)
    }

    /// When the worker read delivery `d` (known for every read kept).
    pub fn at(&self, d: u32) -> i64 {
        self.input.processed_at(d as usize).unwrap_or(i64::MAX)
    }

    /// The value of the event delivery `d` carries.
    pub fn value(&self, d: u32) -> i64 {
        match self.input.trace.deliveries.get(d as usize) {
            Some(crate::model::Delivery::Record { event, .. }) => self
                .by_id
                .get(self.input.workload, *event)
                .map_or(0, |e| e.value),
            _ => 0,
        }
    }
}

/// The watermark steps each worker sent, in processing-time order.
pub(crate) struct SentWatermarks(
    std::collections::BTreeMap<u32, Vec<(i64, tidemark_engine::EventTime)>>,
);

impl SentWatermarks {
    pub fn of(run: &StrategyRun) -> SentWatermarks {
        let mut sent: std::collections::BTreeMap<u32, Vec<_>> = std::collections::BTreeMap::new();
        for &(at, w, wm) in &run.watermarks {
            sent.entry(w).or_default().push((at.0, wm));
        }
        SentWatermarks(sent)
    }

    /// When `worker` first sent a watermark at or past `t`.
    pub fn first_at_or_past(&self, worker: u32, t: tidemark_engine::EventTime) -> Option<i64> {
        self.0
            .get(&worker)
            .and_then(|s| s.iter().find(|(_, wm)| *wm >= t))
            .map(|&(at, _)| at)
    }

    /// Whether `worker` sent a watermark step at processing time `at`.
    pub fn stepped_at(&self, worker: u32, at: i64) -> bool {
        self.0
            .get(&worker)
            .is_some_and(|s| s.binary_search_by_key(&at, |&(t, _)| t).is_ok())
    }
}
