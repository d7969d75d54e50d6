//! Watermark conformance: a naive reference recomputes, from the delivered
//! trace, the watermark each worker's strategy supports at every instant
//! (per channel: the largest event time seen minus the delay, or the
//! largest punctuation; combined: the minimum over channels that are not
//! idle, or the largest when all are; never back), and the watermarks the
//! workers sent must conform:
//! - never ahead of what the channels support (soundness: a watermark
//!   combined with max, or one that ignores a channel too early, runs
//!   ahead);
//! - caught up with it by the emission tick due after each read and each
//!   idle deadline (liveness: an idle channel that holds the watermark for
//!   ever, or an emission interval not kept, lags behind).
//!
//! A channel's idle timer runs from the processing time at which the
//! worker read its last entry (the tracker's definition: silent for the
//! timeout on the worker's clock). The reference is driven by those read
//! instants: on the exact clock with every entry processed as appended
//! they are the append times; otherwise, for a strategy with an idle
//! timeout, the run records them (`Recovery::read_delay`), and every poll
//! happens on the processing clock's grid. At one processing time, ticks
//! come first and the entries read then after, so a tick owes what the
//! channels supported before those entries.
//!
//! Still not checked: liveness without an idle timeout when entries were
//! not processed as appended (their read times are not recorded; append
//! times bound soundness only, since a later read can only leave the
//! watermark lower), and anything with an idle timeout once a worker
//! crashed (the lost incarnation's sends came from reads the surviving
//! history redid later). The harness's perfect watermark is external and
//! has no reference here.

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

/// How the check knows when each worker read each entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reads {
    /// At a known processing time: the append time on the exact clock, or
    /// the time the run recorded. Soundness and liveness are checked.
    Known,
    /// Not recorded (no idle timeout, and entries not processed as they
    /// were appended). Without an idle timeout, an entry read later can
    /// only leave the watermark lower than its append time would, so
    /// append times bound soundness; liveness is not checked.
    Appended,
}

/// The watermark conformance invariant.
#[must_use]
pub fn conformance(input: &Input<'_>) -> Outcome {
    let strategy = input.watermark.strategy;
    if strategy == WatermarkStrategy::External {
        return Outcome::NotApplicable("the perfect watermark is the harness's own");
    }
    let reads = if input.exact_clock() {
        Reads::Known
    } else if input.watermark.idle_timeout.is_none() {
        Reads::Appended
    } else {
        let r = &input.run.recovery;
        if r.crashes > 0 {
            // A crashed incarnation's sends came from reads the surviving
            // history redid later (or never, for a worker still down).
            return Outcome::NotApplicable(
                "an idle timeout counts from processing times, and a worker crashed",
            );
        }
        if r.read_delay.len() != input.trace.deliveries.len() {
            return Outcome::NotApplicable(
                "an idle timeout counts from processing times, and the run recorded none",
            );
        }
        if (0..r.read.len()).any(|i| r.read[i] && input.read_at(i).is_none()) {
            return Outcome::NotApplicable(
                "an idle timeout counts from processing times, and an entry was read too late to record when",
            );
        }
        if !reads_in_order(input) {
            return Outcome::NotApplicable(
                "an idle timeout counts from processing times, and a worker read out of append order",
            );
        }
        Reads::Known
    };
    // One index for every worker (each looks up the times of its reads).
    let by_id = crate::workers::EventIndex::new(input.workload);
    for (w, channels) in input.worker_channels.iter().enumerate() {
        if let Err(c) = worker(input, &by_id, reads, w, channels) {
            return fail(*c);
        }
    }
    Outcome::Held
}

/// True when each worker read its entries in append order: the reference
/// walks them in trace order and needs their read times not to go back.
fn reads_in_order(input: &Input<'_>) -> bool {
    let mut last = vec![i64::MIN; input.worker_channels.len()];
    input.trace.deliveries.iter().enumerate().all(|(i, d)| {
        let Some(at) = input.read_at(i) else {
            return true;
        };
        match last.get_mut(d.worker() as usize) {
            Some(l) if *l > at => false,
            Some(l) => {
                *l = at;
                true
            }
            None => true,
        }
    })
}

/// The entries worker `w` read, in trace (append) order, as (processing
/// time of the read, local channel, delivery); with `Reads::Appended`,
/// every entry appended for it, at its append time. Streamed, not
/// collected: the check reads them twice rather than holding a copy.
fn arrivals<'t>(
    input: &'t Input<'t>,
    reads: Reads,
    w: usize,
    channels: &'t [u32],
) -> impl Iterator<Item = (i64, usize, &'t Delivery)> + Clone + 't {
    let local = move |c: u32| channels.iter().position(|&x| x == c);
    input
        .trace
        .deliveries
        .iter()
        .enumerate()
        .filter_map(move |(i, d)| {
            let channel = d.channel();
            if d.worker() as usize != w {
                return None;
            }
            let at = match reads {
                Reads::Known => input.read_at(i)?,
                Reads::Appended => d.at().0,
            };
            local(channel).map(|c| (at, c, d))
        })
}

/// Merges sorted streams of instants into one sorted stream, each instant
/// once: what sorting and deduplicating their concatenation gives.
fn merged<I: Iterator<Item = (i64, bool)>>(streams: Vec<I>) -> impl Iterator<Item = (i64, bool)> {
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

fn worker(
    input: &Input<'_>,
    by_id: &crate::workers::EventIndex,
    reads: Reads,
    w: usize,
    channels: &[u32],
) -> Result<(), Box<Counterexample>> {
    let trace = input.trace;
    let mut arrivals_left = arrivals(input, reads, w, channels).peekable();
    let sent: Vec<(i64, EventTime)> = input
        .run
        .watermarks
        .iter()
        .filter(|(_, worker, wm)| *worker as usize == w && *wm != EventTime::MAX)
        .map(|(at, _, wm)| (at.0, *wm))
        .collect();
    // Liveness is owed up to the end of input: the worker's last send
    // (+∞) when it processed past the trace's end.
    let end = input
        .run
        .watermarks
        .iter()
        .filter(|(_, worker, wm)| *worker as usize == w && *wm == EventTime::MAX)
        .map(|(at, ..)| at.0)
        .fold(trace.end.0, i64::max);
    let idle_ms = input.watermark.idle_timeout.map(|d| d.0);
    let interval = input.watermark.emit_interval.0;
    // Instants where the reference is read: every watermark sent
    // (soundness) and, for liveness, every instant an emission is due.
    // The worker polls its tracker after every entry it reads and at every
    // emission tick and idle deadline, each on the processing clock's grid
    // (a coarse clock polls at the first grid instant at or after). The
    // order of work at one processing time is: due ticks first, then the
    // entries read then. So an entry's effect is emitted by the first tick
    // strictly after its read, an idle deadline's by the first tick at or
    // after it (with an interval of zero: at the read itself, and at the
    // deadline). Each stream is already in order (sends and reads are in
    // time order, and the due functions are monotone), so they are merged
    // as they are read. Sends are in time order in a real run; sorted
    // anyway, so that a run that sent out of order is still read at every
    // instant.
    let mut sent_times: Vec<i64> = sent.iter().map(|&(at, _)| at).collect();
    sent_times.sort_unstable();
    let mut streams: Vec<Box<dyn Iterator<Item = (i64, bool)> + '_>> =
        vec![Box::new(sent_times.into_iter().map(|at| (at, false)))];
    if reads == Reads::Known {
        let all = arrivals(input, reads, w, channels);
        streams.push(Box::new(all.clone().map(move |(at, ..)| {
            (input.on_grid(tick_after(at, interval)), true)
        })));
        if let Some(ms) = idle_ms {
            streams.push(Box::new(all.map(move |(at, ..)| {
                let idle_at = at.saturating_add(ms);
                (input.on_grid(tick_at_or_after(idle_at, interval)), true)
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
    let (mut highest, mut sent_i) = (EventTime::MIN, 0usize);
    // Liveness reads the largest watermark sent up to a due time; due times
    // only grow, so one pointer walks `sent` once.
    let (mut due_i, mut by_then) = (0usize, EventTime::MIN);
    // What the channels supported at the last read's processing time
    // before the entries read then: a tick at that time polls first.
    let mut before = (i64::MIN, EventTime::MIN);
    for (t, due) in instants {
        // Every value the tracker may have combined by `t` bounds what it
        // may send by then: at a poll just before each read (channels gone
        // idle since count as idle), after each read, and at `t`. Between
        // reads the value only grows with time (more channels idle), so
        // these are its largest.
        while let Some((at, c, d)) = arrivals_left.next_if(|a| a.0 <= t) {
            if before.0 != at {
                before = (at, reference.at(at));
                highest = highest.max(before.1);
            }
            let time = match *d {
                Delivery::Record { event, .. } => by_id.get(input.workload, event).map(|e| e.time),
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
        if !due || t >= end {
            continue;
        }
        // A tick owes what the channels support at it, before the entries
        // read at that instant (with an interval of zero, those entries
        // each poll after themselves, so it owes them too).
        let owed = if interval > 0 && before.0 == t {
            before.1
        } else {
            supported
        };
        if owed == EventTime::MIN {
            continue;
        }
        while let Some(&(_, wm)) = sent.get(due_i).filter(|s| s.0 <= t) {
            by_then = by_then.max(wm);
            due_i += 1;
        }
        if by_then < owed {
            return Err(Box::new(Counterexample {
                what: format!(
                    "worker {w}'s watermark lagged behind what its channels support at processing time {t}, when an emission was due"
                ),
                expected: Some(format!("at least {owed}")),
                actual: Some(by_then.to_string()),
                ..Counterexample::default()
            }));
        }
    }
    Ok(())
}
