//! The processing loop: a plain discrete-event simulation of the consuming
//! side, for one strategy. Each worker fetches its entries from the log
//! (fetch latency, bounded inbox, service rate), hands them to its engine
//! and watermark tracker, fires timers, takes checkpoints, crashes,
//! restores and re-reads; its outputs go through the sink.
//!
//! Events are handled in time order. At one instant: engine timers and
//! watermark ticks first (lower worker first), then entries in trace
//! order, then checkpoint ticks, checkpoint completions, crashes and
//! restarts. With the defaults (no fetch latency, unlimited service, no
//! checkpoints or crashes) every entry is processed when it is appended,
//! which is exactly the replay of the delivered trace that came before.

use super::index::EventIndex;
use super::perfect::{self, Perfect};
use super::processing::Processing;
use super::sink::Sink;
use crate::log::{Log, Payload};
use crate::model::{Recovery, StrategyRun, Trace, Workload};
use crate::network::Topology;
use crate::scenario::{ResolvedStrategy, SinkSpec, WatermarkSpec};
use anyhow::{anyhow, bail, Context, Result};
use std::collections::{BTreeSet, VecDeque};
use tidemark_engine::{
    Engine, EngineConfig, EngineSnapshot, EventTime, Key, Output, ProcTime, Record,
    WatermarkTracker,
};

/// Timer and tick firings allowed per run: far above any real scenario,
/// low enough that a bug can't spin for ever.
const STEPS_MAX: u64 = 200_000_000;

/// Completed checkpoints kept per worker: the last, and the one before
/// for a crash that loses the last.
const CHECKPOINTS_KEPT: usize = 2;

/// Estimated bytes of a checkpoint besides the engine snapshot: one
/// offset per partition and the watermark tracker's per-channel state.
const OFFSET_BYTES: u64 = 16;
const CHANNEL_STATE_BYTES: u64 = 32;

/// The engine-side counters, checkpointed with the engine.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    records_in: u64,
    duplicates_dropped: u64,
    duplicates_counted: u64,
}

struct Checkpoint {
    engine: EngineSnapshot,
    tracker: WatermarkTracker,
    /// Consumer position: entries of the worker's view before it are done
    /// (the committed offsets of every partition it reads).
    pos: usize,
    counters: Counters,
    clock: i64,
    /// Panes fired in epochs up to this one are committed with it.
    epoch: u64,
    bytes: u64,
}

struct Worker {
    engine: Engine,
    tracker: WatermarkTracker,
    /// The state a worker starts from without a checkpoint.
    fresh: (Engine, WatermarkTracker),
    /// Global channel → this worker's tracker channel.
    local: Vec<Option<u32>>,
    perfect: Option<Perfect>,
    perfect_fresh: Option<Perfect>,
    /// Processing time of the last tick handled (tracker timeouts at or
    /// before it are stale: an idle deadline stays in the past).
    clock: i64,
    /// Trace delivery indices of the entries this worker reads, in append
    /// order (4 bytes each: every strategy replay holds one per delivery).
    view: Vec<u32>,
    /// Next entry of `view` to fetch and process.
    pos: usize,
    /// One past the trace index of the last entry processed (the perfect
    /// watermark's position).
    position: usize,
    up: bool,
    /// When the worker (re)started: nothing of it happens earlier.
    since: i64,
    /// When a crashed worker comes back.
    restart_at: i64,
    /// When the worker finishes what it is processing, in microseconds.
    busy_until_us: i64,
    /// Completion times (ms) of the last `inbox` entries processed since
    /// the restart: entry k can be fetched once entry k − inbox is done.
    /// Empty without an inbox bound.
    done: VecDeque<i64>,
    counters: Counters,
    epoch: u64,
    completed: Vec<Checkpoint>,
    in_flight: Option<(i64, Checkpoint)>,
    /// Highest watermark sent downstream (downstream state: survives crashes).
    sent: EventTime,
    lag_second: i64,
    /// Entries of `view` appended before `appended.1`, as of the last lag
    /// sample (samples come in time order, so the count only grows; see
    /// `sample_lag`).
    appended: (usize, i64),
    /// Most windows this worker's engine held at a lag sample.
    state_peak: u64,
}

/// What happens next in the loop, with its time and tie-breakers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Entry { w: usize, d: usize, done_us: i64 },
    Miss { w: usize, d: usize },
    Tick,
    Complete { w: usize },
    Crash { i: usize },
    Restart { w: usize },
}

pub(super) struct Replay<'a> {
    workload: &'a Workload,
    index: EventIndex,
    trace: &'a Trace,
    log: &'a Log,
    /// Per trace delivery: its offset in its log partition, which is its
    /// channel ([`Log::from_trace`]); offsets fit `u32`, as `LogEntry`
    /// keeps them. 4 bytes a delivery: every replay holds one per delivery.
    offsets: Vec<u32>,
    workers: Vec<Worker>,
    dedup: bool,
    proc: &'a Processing,
    /// Per event id: 1 + the view position where the worker first
    /// processed it in its surviving history, 0 if never.
    seen_at: Vec<u32>,
    sink: Sink,
    /// Dead letters already queued, by (entry, record, reason): a replayed
    /// entry's are not queued twice, but one entry refused for two reasons
    /// gives two dead letters.
    dead_letter_seen: BTreeSet<(usize, u64, tidemark_engine::DeadLetterReason)>,
    run: StrategyRun,
    steps: u64,
}

impl<'a> Replay<'a> {
    pub(super) fn new(
        strategy: &ResolvedStrategy,
        topo: &Topology,
        workload: &'a Workload,
        trace: &'a Trace,
        log: &'a Log,
        proc: &'a Processing,
        give_up_ms: i64,
    ) -> Result<Replay<'a>> {
        let index = EventIndex::new(workload);
        let perfect = match strategy.watermark {
            WatermarkSpec::Perfect => Some(perfect::per_worker(
                workload, &index, trace, topo, give_up_ms,
            )?),
            _ => None,
        };
        let mut offsets = vec![0u32; trace.deliveries.len()];
        for p in 0..log.partitions() {
            for e in log.entries(p) {
                debug_assert_eq!(
                    trace
                        .deliveries
                        .get(e.delivery())
                        .map(crate::model::Delivery::channel),
                    Some(p),
                    "a log partition holds its channel's deliveries"
                );
                if let Some(slot) = offsets.get_mut(e.delivery()) {
                    *slot = u32::try_from(e.offset()).unwrap_or(u32::MAX);
                }
            }
        }
        u32::try_from(trace.deliveries.len()).context("more than 2^32 deliveries")?;
        // Sized exactly: no doubling's slack beside the trace.
        let mut sizes = vec![0usize; topo.workers as usize];
        for d in &trace.deliveries {
            if let Some(n) = sizes.get_mut(d.worker() as usize) {
                *n += 1;
            }
        }
        let mut views: Vec<Vec<u32>> = sizes.into_iter().map(Vec::with_capacity).collect();
        for (i, d) in trace.deliveries.iter().enumerate() {
            let w = d.worker() as usize;
            views
                .get_mut(w)
                .ok_or_else(|| anyhow!("delivery {i}: no worker {w}"))?
                .push(i as u32);
        }
        let start = proc.start_at.unwrap_or(i64::MIN);
        let mut workers = Vec::new();
        for (w, view) in views.into_iter().enumerate() {
            let channels = topo.worker_channels(w as u32);
            let mut local = vec![None; topo.channels() as usize];
            for (i, &c) in channels.iter().enumerate() {
                local[c as usize] = Some(i as u32);
            }
            // A worker reading no partition still needs one (silent) channel.
            let n = u32::try_from(channels.len().max(1))?;
            let engine = Engine::new(strategy.pipeline.clone(), EngineConfig::DEFAULT)?;
            let tracker = WatermarkTracker::new(strategy.watermark_config(n))?;
            let p = perfect.as_ref().map(|p| p[w].clone());
            let pos = match proc.start_at {
                Some(at) if proc.bugs.start_at_latest => {
                    view.partition_point(|&i| trace.deliveries[i as usize].at().0 < at)
                }
                _ => 0,
            };
            workers.push(Worker {
                fresh: (engine.clone(), tracker.clone()),
                engine,
                tracker,
                local,
                perfect_fresh: p.clone(),
                perfect: p,
                clock: i64::MIN,
                position: view.get(pos.wrapping_sub(1)).map_or(0, |&i| i as usize + 1),
                view,
                pos,
                up: true,
                since: start,
                restart_at: 0,
                busy_until_us: start.saturating_mul(1000),
                done: VecDeque::new(),
                counters: Counters::default(),
                epoch: 0,
                completed: Vec::new(),
                in_flight: None,
                sent: EventTime::MIN,
                lag_second: i64::MIN,
                appended: (0, i64::MIN),
                state_peak: 0,
            });
        }
        let sink_kind = if proc.bugs.exactly_once_commits_early {
            SinkSpec::AtLeastOnce
        } else {
            proc.sink
        };
        Ok(Replay {
            workload,
            trace,
            log,
            offsets,
            dedup: strategy.dedup,
            proc,
            seen_at: vec![0; index.id_end()],
            index,
            sink: Sink::new(sink_kind, workers.len()),
            workers,
            dead_letter_seen: BTreeSet::new(),
            run: StrategyRun {
                strategy: strategy.name.clone(),
                panes: Vec::new(),
                visible_at: Vec::new(),
                dead_letters: Vec::new(),
                watermarks: Vec::new(),
                records_in: 0,
                duplicates_dropped: 0,
                duplicates_counted: 0,
                watermark_regressions: 0,
                recovery: Recovery {
                    sink: proc.sink.name(),
                    read: vec![false; trace.deliveries.len()],
                    // When reads are not the append times, the checks need
                    // them: idle timers run from them (watermark), and panes
                    // hold what was read before they fired (firing).
                    read_delay: if !proc.exact() {
                        vec![u32::MAX; trace.deliveries.len()]
                    } else {
                        Vec::new()
                    },
                    caught_up_at: vec![None; topo.workers as usize],
                    ..Recovery::default()
                },
            },
            steps: 0,
        })
    }

    pub(super) fn run(mut self) -> Result<StrategyRun> {
        let trace = self.trace;
        let mut crash_next = 0;
        let interval = self.proc.checkpoint.map(|(i, _)| i);
        let start = self.proc.start_at.unwrap_or(0);
        let mut tick_at = interval.map(|i| (start.div_euclid(i) + 1) * i);
        let mut last = start;
        loop {
            let work_left = self.workers.iter().any(|w| !w.up || w.pos < w.view.len());
            let crash_due = self
                .proc
                .crashes
                .get(crash_next)
                .filter(|c| work_left || c.at <= trace.end.0);
            if !work_left && crash_due.is_none() {
                break;
            }
            let mut best: Option<(i64, Ev)> = None;
            let mut offer = |t: i64, ev: Ev| {
                if best.is_none_or(|b| (t, ev) < b) {
                    best = Some((t, ev));
                }
            };
            for w in 0..self.workers.len() {
                let worker = &self.workers[w];
                if worker.up {
                    if let Some((t, ev)) = self.next_entry(w) {
                        offer(t, ev);
                    }
                    if let Some((at, _)) = &worker.in_flight {
                        offer(*at, Ev::Complete { w });
                    }
                } else {
                    offer(worker.restart_at, Ev::Restart { w });
                }
            }
            if let Some(c) = crash_due {
                offer(c.at, Ev::Crash { i: crash_next });
            }
            if let Some(t) = tick_at {
                offer(t, Ev::Tick);
            }
            let Some((t, ev)) = best else {
                bail!("the processing loop has work left but nothing to do");
            };
            self.fire_due(t)?;
            last = last.max(t);
            match ev {
                Ev::Entry { w, d, done_us } => self.process(w, d, t, done_us)?,
                Ev::Miss { w, d } => {
                    self.run.recovery.retention_missed.push((d, ProcTime(t)));
                    self.workers[w].pos += 1;
                }
                Ev::Tick => {
                    self.checkpoint(t);
                    tick_at = tick_at.zip(interval).map(|(a, i)| a + i);
                }
                Ev::Complete { w } => self.complete(w, t),
                Ev::Crash { i } => {
                    crash_next = i + 1;
                    self.crash(i, t);
                }
                Ev::Restart { w } => self.restart(w, t),
            }
        }
        // A consumer polling on a coarse clock sees the end of input at its
        // next poll, not between two (timers due by then fire first).
        let end = self.proc.on_grid(trace.end.0.max(last));
        self.fire_due(end)?;
        for w in 0..self.workers.len() {
            if let Some((at, _)) = &self.workers[w].in_flight {
                if *at <= end {
                    self.complete(w, *at);
                }
            }
            let worker = &mut self.workers[w];
            self.run
                .recovery
                .state_at_end
                .push(worker.engine.state_size());
            self.run
                .recovery
                .watermark_at_end
                .push(worker.engine.watermark());
            worker
                .engine
                .handle_watermark(ProcTime(end), EventTime::MAX);
            worker.sent = EventTime::MAX;
            self.run
                .watermarks
                .push((ProcTime(end), w as u32, EventTime::MAX));
            self.drain(w, end, None);
            // End of input: a last checkpoint commits everything, as Flink
            // does for bounded input.
            let commit_at = end + self.proc.checkpoint.map_or(0, |(_, d)| d);
            self.sink.commit(w, u64::MAX, ProcTime(commit_at));
        }
        for worker in &self.workers {
            // Both count watermarks that tried to go back: the engine's own
            // and the tracker's (punctuations reordered by the network).
            self.run.watermark_regressions +=
                worker.engine.stats().watermark_regressions + worker.tracker.regressions();
            self.run.records_in += worker.counters.records_in;
            self.run.duplicates_dropped += worker.counters.duplicates_dropped;
            self.run.duplicates_counted += worker.counters.duplicates_counted;
            self.run.recovery.state_peak_windows += worker.state_peak;
        }
        self.run.recovery.retention_missed.sort_unstable();
        self.run.recovery.downstream_duplicates = self.sink.duplicates;
        self.run.recovery.overwrites = self.sink.overwrites;
        self.run.recovery.replayed = std::mem::take(&mut self.sink.replayed);
        self.run.panes = std::mem::take(&mut self.sink.visible);
        self.run.visible_at = std::mem::take(&mut self.sink.visible_at);
        Ok(self.run)
    }

    /// Worker `w`'s next entry: processed at the returned time, or missed
    /// (retention dropped it before it could be fetched).
    fn next_entry(&self, w: usize) -> Option<(i64, Ev)> {
        let worker = &self.workers[w];
        let d = *worker.view.get(worker.pos)? as usize;
        let entry = self.trace.deliveries[d];
        let slot = match self.proc.inbox {
            Some(cap) if worker.done.len() >= cap => worker.done.front().copied(),
            _ => None,
        };
        let fetch = entry.at().0.max(worker.since).max(slot.unwrap_or(i64::MIN));
        // A delivery outside every partition (none, from `Log::from_trace`)
        // reads as partition 0, offset 0.
        let p = Some(entry.channel())
            .filter(|&c| c < self.log.partitions())
            .unwrap_or(0);
        let offset = self.offsets[d];
        if !self.log.is_retained(p, u64::from(offset), ProcTime(fetch)) {
            return Some((fetch, Ev::Miss { w, d }));
        }
        let ready_us = (fetch + self.proc.fetch_latency_ms).saturating_mul(1000);
        let cost = match entry {
            crate::model::Delivery::Record { .. } => self.proc.service_us,
            crate::model::Delivery::Punctuation { .. } => 0,
        };
        let done_us = ready_us.max(worker.busy_until_us) + cost;
        // On a coarse clock the worker sees the entry at the next poll.
        let done = self
            .proc
            .on_grid(done_us.div_euclid(1000) + i64::from(done_us % 1000 != 0));
        Some((done, Ev::Entry { w, d, done_us }))
    }

    /// Fires every engine timer and watermark tick due at or before `t`,
    /// earliest first.
    fn fire_due(&mut self, t: i64) -> Result<()> {
        loop {
            let next = (0..self.workers.len())
                .filter_map(|w| self.next_due(w).map(|at| (at, w)))
                .min();
            let Some((at, w)) = next.filter(|&(at, _)| at <= t) else {
                return Ok(());
            };
            self.steps += 1;
            if self.steps > STEPS_MAX {
                bail!(
                    "replay exceeded {STEPS_MAX} timer firings by processing time {at}; \
                     the setting responsible: the strategy's after_processing_time \
                     delay or period, or idle_timeout (make them longer)"
                );
            }
            let worker = &mut self.workers[w];
            worker.clock = at;
            if let Some(p) = worker.perfect.as_mut() {
                worker
                    .tracker
                    .set_external(ProcTime(at), EventTime(p.at(worker.position, at)));
            }
            worker.engine.handle_timeout(ProcTime(at));
            self.drain(w, at, None);
            self.poll_watermark(w, at);
        }
    }

    /// When worker `w` next has a timer or tick due; overdue ones (missed
    /// while it was down) fire when it is back.
    fn next_due(&self, w: usize) -> Option<i64> {
        let worker = &self.workers[w];
        if !worker.up {
            return None;
        }
        let engine = worker.engine.poll_timeout().map(|p| p.0);
        let tracker = worker
            .tracker
            .poll_timeout()
            .map(|p| p.0)
            .filter(|&at| at > worker.clock);
        let due = match (engine, tracker) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // On a coarse clock a timer fires at the next poll, together with
        // every other timer due by then.
        due.map(|at| self.proc.on_grid(at.max(worker.since)))
    }

    fn process(&mut self, w: usize, d: usize, t: i64, done_us: i64) -> Result<()> {
        let inbox = self.proc.inbox;
        let worker = &mut self.workers[w];
        worker.busy_until_us = done_us;
        // Only a bounded inbox reads these; without one, keeping every
        // completion time cost 8 bytes per delivery for nothing.
        if let Some(cap) = inbox {
            worker.done.push_back(t);
            while worker.done.len() > cap {
                worker.done.pop_front();
            }
        }
        let pos = worker.pos;
        worker.pos += 1;
        worker.position = d + 1;
        self.run.recovery.read[d] = true;
        if let Some(slot) = self.run.recovery.read_delay.get_mut(d) {
            let delay = t.saturating_sub(self.trace.deliveries[d].at().0);
            *slot = u32::try_from(delay).unwrap_or(u32::MAX);
        }
        let delivery = self.trace.deliveries[d];
        let (channel, payload) = match delivery {
            crate::model::Delivery::Record {
                channel,
                event,
                duplicate,
                ..
            } => (channel, Payload::Record { event, duplicate }),
            crate::model::Delivery::Punctuation {
                channel, watermark, ..
            } => (channel, Payload::Punctuation { watermark }),
        };
        let local = self.workers[w]
            .local
            .get(channel as usize)
            .copied()
            .flatten()
            .ok_or_else(|| anyhow!("delivery {d}: worker {w} does not read channel {channel}"))?;
        match payload {
            Payload::Record { event, .. } => self.record(d, w, pos, local, t, event)?,
            Payload::Punctuation { watermark } => {
                self.workers[w]
                    .tracker
                    .observe_punctuation(ProcTime(t), local, watermark);
            }
        }
        let worker = &mut self.workers[w];
        worker.clock = worker.clock.max(t);
        if let Some(p) = worker.perfect.as_mut() {
            // This entry is processed: it no longer holds the watermark.
            worker
                .tracker
                .set_external(ProcTime(t), EventTime(p.at(worker.position, t)));
        }
        self.poll_watermark(w, t);
        self.sample_lag(w, t);
        Ok(())
    }

    fn record(
        &mut self,
        d: usize,
        w: usize,
        pos: usize,
        local: u32,
        t: i64,
        event: u64,
    ) -> Result<()> {
        let e = self
            .index
            .get(self.workload, event)
            .ok_or_else(|| anyhow!("delivery {d}: event {event} is not in the workload"))?;
        let worker = &mut self.workers[w];
        // The channel saw data whether or not deduplication drops it.
        worker.tracker.observe_record(ProcTime(t), local, e.time);
        let seen = &mut self.seen_at[event as usize];
        // A duplicate when an earlier entry of the surviving history held
        // it (the dedup set is as of the restored checkpoint).
        let mut duplicate = *seen != 0 && ((*seen - 1) as usize) < pos;
        if known_bug!(DedupBroken) && event % 2 == 1 {
            // KNOWN BUG: a lossy id set that never remembers odd ids.
            duplicate = false;
        }
        if known_bug!(RetriedDuplicatesDoubleCounted)
            && matches!(
                self.trace.deliveries.get(d),
                Some(crate::model::Delivery::Record {
                    duplicate: true,
                    ..
                })
            )
        {
            // KNOWN BUG: a producer's retried send is not seen as a duplicate.
            duplicate = false;
        }
        if !duplicate {
            *seen = u32::try_from(pos + 1).unwrap_or(u32::MAX);
        }
        if duplicate && self.dedup {
            worker.counters.duplicates_dropped += 1;
            return Ok(());
        }
        if duplicate {
            worker.counters.duplicates_counted += 1;
        }
        worker.counters.records_in += 1;
        let record = Record {
            id: e.id,
            key: Key(e.key),
            value: e.value,
            time: e.time,
        };
        worker.engine.handle_record(ProcTime(t), record);
        self.drain(w, t, Some(d));
        Ok(())
    }

    fn poll_watermark(&mut self, w: usize, t: i64) {
        let forward_all = self.proc.bugs.forward_rewound_watermark;
        let worker = &mut self.workers[w];
        if let Some(wm) = worker.tracker.poll_watermark(ProcTime(t)) {
            worker.engine.handle_watermark(ProcTime(t), wm);
            // Downstream never sees a watermark go back: after a restore
            // the worker holds its watermark until it passes what it sent.
            if wm > worker.sent || forward_all {
                worker.sent = worker.sent.max(wm);
                self.run.watermarks.push((ProcTime(t), w as u32, wm));
            } else {
                self.run.recovery.watermarks_held += 1;
            }
            self.drain(w, t, None);
        }
    }

    /// Hands worker `w`'s outputs to the sink (panes) and the dead-letter
    /// queue, which keeps one copy per (entry, record).
    fn drain(&mut self, w: usize, t: i64, delivery: Option<usize>) {
        while let Some(out) = self.workers[w].engine.poll_output() {
            match out {
                Output::Pane(p) => {
                    let epoch = self.workers[w].epoch;
                    self.sink.emit(w, epoch, p, ProcTime(t));
                }
                Output::DeadLetter(dl) => {
                    let key = (delivery.unwrap_or(usize::MAX), dl.record.id, dl.reason);
                    if self.dead_letter_seen.insert(key) {
                        self.run.dead_letters.push(dl);
                    }
                }
            }
        }
    }

    fn sample_lag(&mut self, w: usize, t: i64) {
        let trace = self.trace;
        let worker = &mut self.workers[w];
        // Appended before this instant: entries of the same millisecond
        // still being handed over are not lag.
        // The event loop runs in time order, so `t` never decreases and
        // the count is advanced from the last sample instead of searched
        // for each entry (a search per entry was 6% of a seed).
        let before = |i: &u32| trace.deliveries[*i as usize].at().0 < t;
        let appended = if t >= worker.appended.1 {
            let (from, _) = worker.appended;
            from + worker.view[from..].iter().take_while(|i| before(i)).count()
        } else {
            worker.view.partition_point(before)
        };
        worker.appended = (appended, t);
        let lag = appended.saturating_sub(worker.pos) as u64;
        let r = &mut self.run.recovery;
        r.lag_max = r.lag_max.max(lag);
        if lag == 0 {
            if let Some(slot @ None) = r.caught_up_at.get_mut(w) {
                *slot = Some(ProcTime(t));
            }
        }
        let second = t.div_euclid(1000);
        if second != worker.lag_second {
            worker.lag_second = second;
            r.lag.push((ProcTime(t), w as u32, lag));
            let size = worker.engine.state_size();
            let windows = size.windows_open + size.windows_closed;
            worker.state_peak = worker.state_peak.max(windows);
            r.state_windows.push((ProcTime(t), w as u32, windows));
        }
    }

    /// Every worker that is up and has no checkpoint in flight takes one.
    fn checkpoint(&mut self, t: i64) {
        let duration = self.proc.checkpoint.map_or(0, |(_, d)| d);
        for worker in self
            .workers
            .iter_mut()
            .filter(|w| w.up && w.in_flight.is_none())
        {
            let engine = worker.engine.snapshot();
            let bytes = engine.approx_bytes() as u64
                + OFFSET_BYTES * worker.local.iter().flatten().count() as u64
                + CHANNEL_STATE_BYTES * worker.local.iter().flatten().count().max(1) as u64;
            let ck = Checkpoint {
                engine,
                tracker: worker.tracker.clone(),
                pos: worker.pos,
                counters: worker.counters,
                clock: worker.clock,
                epoch: worker.epoch,
                bytes,
            };
            worker.epoch += 1;
            worker.in_flight = Some((t + duration, ck));
        }
    }

    fn complete(&mut self, w: usize, t: i64) {
        let Some((_, ck)) = self.workers[w].in_flight.take() else {
            return;
        };
        let r = &mut self.run.recovery;
        r.checkpoints += 1;
        r.checkpoint_bytes_max = r.checkpoint_bytes_max.max(ck.bytes);
        r.checkpoint_bytes_total += ck.bytes;
        self.sink.commit(w, ck.epoch, ProcTime(t));
        let kept = &mut self.workers[w].completed;
        kept.push(ck);
        if kept.len() > CHECKPOINTS_KEPT {
            kept.remove(0);
        }
    }

    fn crash(&mut self, i: usize, t: i64) {
        let c = self.proc.crashes[i];
        let Some(worker) = self.workers.get_mut(c.worker as usize) else {
            return;
        };
        if !worker.up {
            return;
        }
        worker.up = false;
        worker.restart_at = t + c.restart_ms;
        worker.in_flight = None;
        if c.lose_last_checkpoint {
            worker.completed.pop();
        }
        self.sink.abort(c.worker as usize);
        self.run.recovery.crashes += 1;
    }

    /// Worker `w` comes back at `t`: the last completed checkpoint's
    /// engine, watermark state and offsets, or a fresh engine reading from
    /// the earliest retained offsets before the first checkpoint.
    fn restart(&mut self, w: usize, t: i64) {
        let skip = usize::from(self.proc.bugs.restore_skips_an_entry);
        let worker = &mut self.workers[w];
        let restored_epoch = worker.completed.last().map(|ck| ck.epoch);
        self.sink.rewound(w, restored_epoch);
        // The new incarnation's panes belong to epochs of their own.
        worker.epoch += 1;
        let from = match worker.completed.last() {
            Some(ck) => {
                // Bug `restore_leaks_state`: the crashed engine is kept and
                // the log re-read on top of it.
                if !self.proc.bugs.restore_leaks_state {
                    worker.engine = Engine::restore(&ck.engine);
                }
                worker.tracker = ck.tracker.clone();
                worker.counters = ck.counters;
                worker.clock = ck.clock;
                self.run.recovery.restores += 1;
                ck.pos
            }
            None => {
                worker.engine = worker.fresh.0.clone();
                worker.tracker = worker.fresh.1.clone();
                worker.counters = Counters::default();
                worker.clock = i64::MIN;
                0
            }
        };
        for &d in &worker.view[from..] {
            self.run.recovery.read[d as usize] = false;
        }
        let from = if from > 0 {
            (from + skip).min(worker.view.len())
        } else {
            from
        };
        worker.pos = from;
        worker.position = from
            .checked_sub(1)
            .map_or(0, |p| worker.view[p] as usize + 1);
        worker.perfect = worker.perfect_fresh.clone();
        worker.up = true;
        worker.since = t;
        worker.busy_until_us = t.saturating_mul(1000);
        worker.done.clear();
        if worker.engine.watermark() < worker.sent {
            self.run.recovery.watermark_rewinds += 1;
        }
        self.run.recovery.restarts += 1;
    }
}
