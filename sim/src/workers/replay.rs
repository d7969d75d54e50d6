//! The replay loop itself: deliveries, timers and watermark ticks in time
//! order, outputs drained after every call.

use super::index::EventIndex;
use super::perfect::{self, Perfect};
use crate::model::{Delivery, StrategyRun, Trace, Workload};
use crate::network::Topology;
use crate::scenario::{ResolvedStrategy, WatermarkSpec};
use anyhow::{anyhow, bail, Result};
use tidemark_engine::{
    Engine, EngineConfig, EventTime, Key, Output, ProcTime, Record, WatermarkTracker,
};

/// Timer and tick firings allowed per run: far above any real scenario,
/// low enough that a bug can't spin for ever.
const STEPS_MAX: u64 = 200_000_000;

struct Worker {
    engine: Engine,
    tracker: WatermarkTracker,
    /// Global channel → this worker's tracker channel.
    local: Vec<Option<u32>>,
    perfect: Option<Perfect>,
    /// Processing time of the last tick handled (tracker timeouts at or
    /// before it are stale: an idle deadline stays in the past).
    clock: i64,
}

pub(super) struct Replay<'a> {
    workload: &'a Workload,
    index: EventIndex,
    trace: &'a Trace,
    workers: Vec<Worker>,
    dedup: bool,
    /// Events already handed to their worker. One set for all workers is
    /// the same as one per worker: an event always goes to one worker.
    seen: Vec<bool>,
    run: StrategyRun,
    steps: u64,
}

impl<'a> Replay<'a> {
    pub(super) fn new(
        strategy: &ResolvedStrategy,
        topo: &Topology,
        workload: &'a Workload,
        trace: &'a Trace,
        give_up_ms: i64,
    ) -> Result<Replay<'a>> {
        let index = EventIndex::new(workload);
        let perfect = match strategy.watermark {
            WatermarkSpec::Perfect => Some(perfect::per_worker(
                workload, &index, trace, topo, give_up_ms,
            )?),
            _ => None,
        };
        let mut workers = Vec::new();
        for w in 0..topo.workers {
            let channels = topo.worker_channels(w);
            let mut local = vec![None; topo.channels() as usize];
            for (i, &c) in channels.iter().enumerate() {
                local[c as usize] = Some(i as u32);
            }
            // A worker reading no partition still needs one (silent) channel.
            let n = u32::try_from(channels.len().max(1))?;
            workers.push(Worker {
                engine: Engine::new(strategy.pipeline.clone(), EngineConfig::DEFAULT)?,
                tracker: WatermarkTracker::new(strategy.watermark_config(n))?,
                local,
                perfect: perfect.as_ref().map(|p| p[w as usize].clone()),
                clock: i64::MIN,
            });
        }
        Ok(Replay {
            workload,
            trace,
            workers,
            dedup: strategy.dedup,
            seen: vec![false; index.id_end()],
            index,
            run: StrategyRun {
                strategy: strategy.name.clone(),
                panes: Vec::new(),
                dead_letters: Vec::new(),
                watermarks: Vec::new(),
                records_in: 0,
                duplicates_dropped: 0,
                duplicates_counted: 0,
                watermark_regressions: 0,
            },
            steps: 0,
        })
    }

    pub(super) fn run(mut self) -> Result<StrategyRun> {
        let trace = self.trace;
        for (i, d) in trace.deliveries.iter().enumerate() {
            let t = d.at().0;
            self.fire_due(i, t)?;
            self.deliver(i, d)?;
        }
        let end = trace
            .end
            .0
            .max(trace.deliveries.last().map_or(i64::MIN, |d| d.at().0));
        let position = trace.deliveries.len();
        self.fire_due(position, end)?;
        for w in 0..self.workers.len() {
            let worker = &mut self.workers[w];
            worker
                .engine
                .handle_watermark(ProcTime(end), EventTime::MAX);
            self.run
                .watermarks
                .push((ProcTime(end), w as u32, EventTime::MAX));
            self.drain(w);
        }
        for worker in &self.workers {
            // Both count watermarks that tried to go back: the engine's own
            // and the tracker's (punctuations reordered by the network).
            self.run.watermark_regressions +=
                worker.engine.stats().watermark_regressions + worker.tracker.regressions();
        }
        Ok(self.run)
    }

    /// Fires every engine timer and watermark tick due at or before `t`,
    /// earliest first; `position` deliveries have been replayed.
    fn fire_due(&mut self, position: usize, t: i64) -> Result<()> {
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
                    .set_external(ProcTime(at), EventTime(p.at(position, at)));
            }
            worker.engine.handle_timeout(ProcTime(at));
            self.drain(w);
            self.poll_watermark(w, at);
        }
    }

    fn next_due(&self, w: usize) -> Option<i64> {
        let worker = &self.workers[w];
        let engine = worker.engine.poll_timeout().map(|p| p.0);
        let tracker = worker
            .tracker
            .poll_timeout()
            .map(|p| p.0)
            .filter(|&at| at > worker.clock);
        match (engine, tracker) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn deliver(&mut self, index: usize, d: &Delivery) -> Result<()> {
        let (w, channel, t) = match *d {
            Delivery::Record {
                worker,
                channel,
                at,
                ..
            }
            | Delivery::Punctuation {
                worker,
                channel,
                at,
                ..
            } => (worker as usize, channel, at.0),
        };
        let local = self
            .workers
            .get(w)
            .and_then(|wk| wk.local.get(channel as usize).copied().flatten())
            .ok_or_else(|| {
                anyhow!("delivery {index}: worker {w} does not read channel {channel}")
            })?;
        match *d {
            Delivery::Record { event, .. } => self.record(index, w, local, t, event)?,
            Delivery::Punctuation { watermark, .. } => {
                self.workers[w]
                    .tracker
                    .observe_punctuation(ProcTime(t), local, watermark);
            }
        }
        let worker = &mut self.workers[w];
        worker.clock = worker.clock.max(t);
        if let Some(p) = worker.perfect.as_mut() {
            // This delivery is replayed: it no longer holds the watermark.
            worker
                .tracker
                .set_external(ProcTime(t), EventTime(p.at(index + 1, t)));
        }
        self.poll_watermark(w, t);
        Ok(())
    }

    fn record(&mut self, index: usize, w: usize, local: u32, t: i64, event: u64) -> Result<()> {
        let e = self
            .index
            .get(self.workload, event)
            .ok_or_else(|| anyhow!("delivery {index}: event {event} is not in the workload"))?;
        let worker = &mut self.workers[w];
        // The channel saw data whether or not deduplication drops it.
        worker.tracker.observe_record(ProcTime(t), local, e.time);
        let duplicate = std::mem::replace(&mut self.seen[event as usize], true);
        if duplicate && self.dedup {
            self.run.duplicates_dropped += 1;
            return Ok(());
        }
        if duplicate {
            self.run.duplicates_counted += 1;
        }
        self.run.records_in += 1;
        let record = Record {
            id: e.id,
            key: Key(e.key),
            value: e.value,
            time: e.time,
        };
        worker.engine.handle_record(ProcTime(t), record);
        self.drain(w);
        Ok(())
    }

    fn poll_watermark(&mut self, w: usize, t: i64) {
        let worker = &mut self.workers[w];
        if let Some(wm) = worker.tracker.poll_watermark(ProcTime(t)) {
            worker.engine.handle_watermark(ProcTime(t), wm);
            self.run.watermarks.push((ProcTime(t), w as u32, wm));
            self.drain(w);
        }
    }

    fn drain(&mut self, w: usize) {
        while let Some(out) = self.workers[w].engine.poll_output() {
            match out {
                Output::Pane(p) => self.run.panes.push(p),
                Output::DeadLetter(d) => self.run.dead_letters.push(d),
            }
        }
    }
}
