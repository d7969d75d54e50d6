//! A stand-in for `workers::run_strategy` until that module lands: feeds
//! the trace into one engine per worker, with its watermark tracker, and
//! records what came out. Remove once `crate::workers` exists.

use super::view::perfect_watermark;
use crate::model::{Delivery, StrategyRun, Trace, Workload};
use crate::scenario::{Scenario, StrategySpec, WatermarkSpec};
use anyhow::Context;
use tidemark_engine::{
    Engine, EngineConfig, EventTime, Key, Output, ProcTime, Record, WatermarkTracker,
};

struct Worker {
    engine: Engine,
    tracker: WatermarkTracker,
    perfect: Vec<(i64, EventTime)>,
    next_perfect: usize,
}

/// Runs `spec` over `trace`.
pub fn run_strategy(
    scenario: &Scenario,
    workload: &Workload,
    trace: &Trace,
    spec: &StrategySpec,
) -> anyhow::Result<StrategyRun> {
    let resolved = scenario
        .strategies_resolved()
        .into_iter()
        .find(|s| s.name == spec.name)
        .context("unknown strategy")?;
    let perfect = resolved.watermark == WatermarkSpec::Perfect;
    let mut workers = (0..trace.workers.max(1))
        .map(|w| {
            Ok(Worker {
                engine: Engine::new(resolved.pipeline.clone(), EngineConfig::DEFAULT)?,
                tracker: WatermarkTracker::new(resolved.watermark_config(trace.channels.max(1)))?,
                perfect: if perfect {
                    perfect_watermark(workload, trace, w)
                } else {
                    Vec::new()
                },
                next_perfect: 0,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut run = StrategyRun {
        strategy: spec.name.clone(),
        panes: Vec::new(),
        dead_letters: Vec::new(),
        watermarks: Vec::new(),
        records_in: 0,
        duplicates_dropped: 0,
        duplicates_counted: 0,
        watermark_regressions: 0,
    };
    for d in &trace.deliveries {
        let at = d.at();
        for (i, w) in workers.iter_mut().enumerate() {
            drive(w, i as u32, at, &mut run);
        }
        match *d {
            Delivery::Record {
                worker,
                channel,
                event,
                duplicate,
                ..
            } => {
                let Some(w) = workers.get_mut(worker as usize) else {
                    continue;
                };
                let Some(e) = usize::try_from(event)
                    .ok()
                    .and_then(|i| workload.events.get(i))
                else {
                    continue;
                };
                if duplicate && resolved.dedup {
                    run.duplicates_dropped += 1;
                    continue;
                }
                run.duplicates_counted += u64::from(duplicate);
                run.records_in += 1;
                w.tracker.observe_record(at, channel, e.time);
                let record = Record {
                    id: e.id,
                    key: Key(e.key),
                    value: e.value,
                    time: e.time,
                };
                w.engine.handle_record(at, record);
                drain(w, &mut run);
            }
            Delivery::Punctuation {
                worker,
                channel,
                watermark,
                ..
            } => {
                if let Some(w) = workers.get_mut(worker as usize) {
                    w.tracker.observe_punctuation(at, channel, watermark);
                }
            }
        }
    }
    // Input is complete: drive timers a while, then flush with +∞.
    let end = ProcTime(trace.end.0.saturating_add(60_000));
    for (i, w) in workers.iter_mut().enumerate() {
        drive(w, i as u32, end, &mut run);
        w.engine.handle_watermark(end, EventTime::MAX);
        run.watermarks.push((end, i as u32, EventTime::MAX));
        drain(w, &mut run);
        run.watermark_regressions += w.tracker.regressions();
    }
    Ok(run)
}

fn drive(w: &mut Worker, index: u32, until: ProcTime, run: &mut StrategyRun) {
    for _ in 0..1_000_000 {
        while let Some(&(t, wm)) = w.perfect.get(w.next_perfect) {
            // A step at `t` is the watermark after the arrivals at `t`:
            // apply it only once those have been handed over.
            if t >= until.0 {
                break;
            }
            w.tracker.set_external(ProcTime(t), wm);
            w.next_perfect += 1;
        }
        let next = [w.engine.poll_timeout(), w.tracker.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let now = match next {
            Some(t) if t <= until => t,
            _ => until,
        };
        if let Some(wm) = w.tracker.poll_watermark(now) {
            w.engine.handle_watermark(now, wm);
            run.watermarks.push((now, index, wm));
        }
        w.engine.handle_timeout(now);
        drain(w, run);
        if now >= until {
            return;
        }
    }
}

fn drain(w: &mut Worker, run: &mut StrategyRun) {
    while let Some(out) = w.engine.poll_output() {
        match out {
            Output::Pane(p) => run.panes.push(p),
            Output::DeadLetter(d) => run.dead_letters.push(d),
        }
    }
}
