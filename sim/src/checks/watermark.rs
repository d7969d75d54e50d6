//! Watermark conformance: a naive reference recomputes, from the delivered
//! trace, the watermark each worker's strategy supports at every instant
//! (per channel: the largest event time seen minus the delay, or the
//! largest punctuation; combined: the minimum over channels that are not
//! idle, or the largest when all are; never back), and the watermarks the
//! workers sent must conform:
//! - never ahead of what the channels support (soundness: a watermark
//!   combined with max, or one that ignores a channel, runs ahead);
//! - when every entry is processed as it is appended, caught up with it by
//!   the next emission tick (liveness: an idle channel that holds the
//!   watermark for ever, or an emission interval not kept, lags behind).
//!
//! The harness's perfect watermark is external and has no reference here.

use super::{fail, Input};
use crate::invariants::{Counterexample, Outcome};
use crate::model::Delivery;
use tidemark_engine::{EventTime, WatermarkStrategy};

#[derive(Debug, Clone, Copy)]
struct Channel {
    watermark: EventTime,
    active_at: Option<i64>,
}

/// The reference state of one worker's channels.
struct Reference {
    strategy: WatermarkStrategy,
    idle_ms: Option<i64>,
    channels: Vec<Channel>,
    started_at: Option<i64>,
}

impl Reference {
    fn apply(&mut self, at: i64, channel: usize, d: &Delivery, time: Option<EventTime>) {
        self.started_at.get_or_insert(at);
        let Some(ch) = self.channels.get_mut(channel) else {
            return;
        };
        ch.active_at = Some(at);
        match (self.strategy, d) {
            (WatermarkStrategy::BoundedOutOfOrderness { delay }, Delivery::Record { .. }) => {
                if let Some(t) = time {
                    let w = EventTime(t.0.saturating_sub(delay.0));
                    ch.watermark = ch.watermark.max(w);
                }
            }
            (WatermarkStrategy::Punctuated, Delivery::Punctuation { watermark, .. }) => {
                ch.watermark = ch.watermark.max(*watermark);
            }
            _ => {}
        }
    }

    /// What the channels support at `t`: the minimum over the channels not
    /// idle at `t`, or the largest when every channel is idle.
    fn at(&self, t: i64) -> EventTime {
        let idle = |ch: &Channel| match self.idle_ms {
            None => false,
            Some(ms) => ch
                .active_at
                .or(self.started_at)
                .is_some_and(|since| t >= since.saturating_add(ms)),
        };
        // Read at every arrival: a fold, not a collected list.
        let active = self
            .channels
            .iter()
            .filter(|ch| !idle(ch))
            .map(|ch| ch.watermark)
            .min();
        match active {
            Some(m) => m,
            None => self
                .channels
                .iter()
                .map(|ch| ch.watermark)
                .max()
                .unwrap_or(EventTime::MIN),
        }
    }
}

/// The first emission tick strictly after `t` (`t` itself when every
/// advance is emitted at once).
fn tick_after(t: i64, interval: i64) -> i64 {
    if interval <= 0 {
        t
    } else {
        t.div_euclid(interval)
            .saturating_add(1)
            .saturating_mul(interval)
    }
}

/// The first processing time at or after `t` at which an emission is due.
fn tick_at_or_after(t: i64, interval: i64) -> i64 {
    if interval <= 0 {
        t
    } else {
        let r = t.rem_euclid(interval);
        if r == 0 {
            t
        } else {
            t.saturating_add(interval - r)
        }
    }
}

/// The watermark conformance invariant.
#[must_use]
pub fn conformance(input: &Input<'_>) -> Outcome {
    let strategy = input.watermark.strategy;
    if strategy == WatermarkStrategy::External {
        return Outcome::NotApplicable("the perfect watermark is the harness's own");
    }
    if input.watermark.idle_timeout.is_some() && !input.exact_clock() {
        // A channel's idle timer runs from when the worker processed its
        // last entry, and a delayed or polling consumer's processing times
        // are not in the trace: a reference built on append times would call
        // a channel active that the worker rightly found idle.
        return Outcome::NotApplicable(
            "an idle timeout counts from processing times, and entries were not processed as appended",
        );
    }
    for (w, channels) in input.worker_channels.iter().enumerate() {
        if let Err(c) = worker(input, w, channels) {
            return fail(*c);
        }
    }
    Outcome::Held
}

/// The deliveries reaching worker `w`, in trace (arrival) order, as
/// (arrival time, local channel, delivery). Streamed, not collected: the
/// check reads them twice rather than holding a copy of the trace.
fn arrivals<'t>(
    trace: &'t crate::model::Trace,
    w: usize,
    channels: &'t [u32],
) -> impl Iterator<Item = (i64, usize, &'t Delivery)> + Clone + 't {
    let local = move |c: u32| channels.iter().position(|&x| x == c);
    trace.deliveries.iter().filter_map(move |d| {
        let (worker, channel) = match *d {
            Delivery::Record {
                worker, channel, ..
            }
            | Delivery::Punctuation {
                worker, channel, ..
            } => (worker, channel),
        };
        (worker as usize == w).then(|| local(channel).map(|c| (d.at().0, c, d)))?
    })
}

/// Merges sorted streams of instants into one sorted stream, each instant
/// once: what sorting and deduplicating their concatenation gives.
fn merged<I: Iterator<Item = (i64, Option<i64>)>>(
    streams: Vec<I>,
) -> impl Iterator<Item = (i64, Option<i64>)> {
    let mut streams: Vec<std::iter::Peekable<I>> =
        streams.into_iter().map(Iterator::peekable).collect();
    let mut last = None;
    std::iter::from_fn(move || loop {
        let (i, _) = streams
            .iter_mut()
            .enumerate()
            .filter_map(|(i, s)| s.peek().map(|x| (i, *x)))
            .min_by_key(|&(_, x)| x)?;
        let x = streams[i].next()?;
        if last != Some(x) {
            last = Some(x);
            return Some(x);
        }
    })
}

fn worker(input: &Input<'_>, w: usize, channels: &[u32]) -> Result<(), Box<Counterexample>> {
    let trace = input.trace;
    let mut arrivals_left = arrivals(trace, w, channels).peekable();
    let sent: Vec<(i64, EventTime)> = input
        .run
        .watermarks
        .iter()
        .filter(|(_, worker, wm)| *worker as usize == w && *wm != EventTime::MAX)
        .map(|(at, _, wm)| (at.0, *wm))
        .collect();
    let idle_ms = input.watermark.idle_timeout.map(|d| d.0);
    let interval = input.watermark.emit_interval.0;
    // Instants where the reference is read: every watermark sent (soundness)
    // and, for liveness, every arrival and every idle deadline it sets.
    // The order of work at one processing time is: due ticks first, then
    // the entries appended then. So an entry's effect is emitted by the
    // first tick strictly after it, an idle deadline's by the first tick at
    // or after it (both at once when the interval is zero). Each stream is
    // already in order (sends and arrivals are in time order, and both
    // tick functions are monotone), so they are merged as they are read.
    // Sends are in time order in a real run; sorted anyway, so that a run
    // that sent out of order is still read at every instant.
    let mut sent_times: Vec<i64> = sent.iter().map(|&(at, _)| at).collect();
    sent_times.sort_unstable();
    let mut streams: Vec<Box<dyn Iterator<Item = (i64, Option<i64>)> + '_>> =
        vec![Box::new(sent_times.into_iter().map(|at| (at, None)))];
    if input.exact_clock() {
        let all = arrivals(trace, w, channels);
        streams.push(Box::new(
            all.clone()
                .map(move |(at, ..)| (at, Some(tick_after(at, interval)))),
        ));
        if let Some(ms) = idle_ms {
            streams.push(Box::new(all.map(move |(at, ..)| {
                let idle_at = at.saturating_add(ms);
                (idle_at, Some(tick_at_or_after(idle_at, interval)))
            })));
        }
    }
    let instants = merged(streams);
    let mut reference = Reference {
        strategy: input.watermark.strategy,
        idle_ms,
        channels: vec![
            Channel {
                watermark: EventTime::MIN,
                active_at: None,
            };
            channels.len().max(1)
        ],
        started_at: None,
    };
    let times = EventTimes::of(input.workload);
    let (mut highest, mut sent_i) = (EventTime::MIN, 0usize);
    // Liveness reads the largest watermark sent up to a due time; due times
    // only grow, so one pointer walks `sent` once.
    let (mut due_i, mut by_then) = (0usize, EventTime::MIN);
    // What the channels supported at a processing time before the entries
    // appended then: an emission tick at that time comes first, so it can
    // only carry this (with an interval of zero each entry emits after
    // itself instead).
    let mut before = (i64::MIN, EventTime::MIN);
    let end = trace.end.0;
    for (t, due) in instants {
        // The tracker is polled after every entry, so what it supports after
        // each arrival is a watermark it may send (at one processing time the
        // order of a send and the entries appended then is not recorded).
        highest = highest.max(reference.at(t));
        while let Some((at, c, d)) = arrivals_left.next_if(|a| a.0 <= t) {
            if before.0 != at {
                before = (at, reference.at(at));
            }
            let time = match *d {
                Delivery::Record { event, .. } => {
                    usize::try_from(event).ok().and_then(|i| times.get(i))
                }
                Delivery::Punctuation { .. } => None,
            };
            reference.apply(at, c, d, time);
            highest = highest.max(reference.at(at));
        }
        let supported = reference.at(t);
        highest = highest.max(supported);
        while let Some(&(at, wm)) = sent.get(sent_i).filter(|s| s.0 <= t) {
            if wm > highest {
                return Err(Box::new(Counterexample {
                    what: format!(
                        "worker {w} sent a watermark ahead of what its channels support at processing time {at}"
                    ),
                    expected: Some(format!("at most {highest}")),
                    actual: Some(wm.to_string()),
                    ..Counterexample::default()
                }));
            }
            sent_i += 1;
        }
        let owed = match due {
            Some(d) if d == t && before.0 == t && interval > 0 => before.1,
            _ => supported,
        };
        if let (Some(due), true) = (due, owed > EventTime::MIN && t < end) {
            while let Some(&(_, wm)) = sent.get(due_i).filter(|s| s.0 <= due) {
                by_then = by_then.max(wm);
                due_i += 1;
            }
            if by_then < owed && due < end {
                return Err(Box::new(Counterexample {
                    what: format!(
                        "worker {w}'s watermark lagged behind what its channels support at processing time {t} (emission due by {due})"
                    ),
                    expected: Some(format!("at least {owed}")),
                    actual: Some(by_then.to_string()),
                    ..Counterexample::default()
                }));
            }
        }
    }
    Ok(())
}

/// Event time by event id. A generated workload's ids are its indices, so
/// the workload itself is the table; only a workload with gaps (a shrunk
/// one) gets a table of its own.
pub(crate) enum EventTimes<'a> {
    /// `events[i].id == i` for every event.
    Dense(&'a [crate::model::Event]),
    /// Indexed by id.
    Table(Vec<Option<EventTime>>),
}

impl<'a> EventTimes<'a> {
    /// The times of `workload`'s events.
    pub(crate) fn of(workload: &'a crate::model::Workload) -> EventTimes<'a> {
        let events = &workload.events;
        if events.iter().enumerate().all(|(i, e)| e.id as usize == i) {
            return EventTimes::Dense(events);
        }
        let end = events.iter().map(|e| e.id as usize + 1).max().unwrap_or(0);
        let mut out = vec![None; end];
        for e in events {
            out[e.id as usize] = Some(e.time);
        }
        EventTimes::Table(out)
    }

    /// The time of event `id`, if the workload has it.
    pub(crate) fn get(&self, id: usize) -> Option<EventTime> {
        match self {
            EventTimes::Dense(events) => events.get(id).map(|e| e.time),
            EventTimes::Table(t) => t.get(id).copied().flatten(),
        }
    }
}
