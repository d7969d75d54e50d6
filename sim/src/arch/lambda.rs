//! Lambda: a batch layer over the master dataset, the speed layer (the
//! serving strategy's streaming run) and a serving layer that merges them.
//!
//! Batch run `k` (from 1) starts at `k · batch_interval` over every fact
//! appended by then, and completes `batch_duration` later. The serving
//! layer answers a (key, window) from the last completed batch when that
//! batch covers the window (its end is at or before the batch's cutoff),
//! and from the speed layer otherwise. Batches run until one starts after
//! the last append, so the last batch has seen everything.

use super::batch::{self, BatchLogic, BatchView};
use super::served::{self, Answer, Layer, Point, Served, Source};
use super::ArchBugs;
use crate::oracle::{self, Results};
use crate::run::Simulation;
use crate::scenario::{LambdaSpec, Scenario};
use std::collections::BTreeSet;
use tidemark_engine::{AggValue, Key, Window};

/// One batch run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRun {
    /// Start (and cutoff: the facts appended by then).
    pub started: i64,
    /// When its view starts serving.
    pub completed: i64,
    /// Facts read.
    pub records: u64,
    /// Facts counted in windows (after deduplication).
    pub counted: u64,
    /// Records the speed layer dead-lettered that this batch counted.
    pub late_corrected: u64,
    /// Windows in its view.
    pub windows: u64,
}

/// Lambda's figures for one seed.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaFigures {
    /// The speed layer's strategy.
    pub speed: String,
    /// The batch runs.
    pub batches: Vec<BatchRun>,
    /// Records the speed layer processed.
    pub records_speed: u64,
    /// Most windows the speed layer's workers held (summed peaks).
    pub state_peak_speed: u64,
    /// Most windows one batch view held.
    pub batch_view_max: u64,
    /// Records the speed layer could not read (retention); the master
    /// dataset keeps them.
    pub retention_lost_speed: u64,
    /// Processing time during which the served view was wrong somewhere.
    pub wrong_ms: i64,
    /// Served error over time.
    pub points: Vec<Point>,
    /// Wrong windows at the end.
    pub wrong_at_end: u64,
    /// Windows the truth has.
    pub windows: u64,
    /// The deliberate differences between the codebases.
    pub divergences: Vec<&'static str>,
    /// Windows where the final batch and the speed layer's final value
    /// differ although the speed layer dead-lettered nothing of them.
    pub disagreements: u64,
    /// The first of them: key, window, batch value, speed value.
    pub first_disagreement: Option<(Key, Window, Option<AggValue>, Option<AggValue>)>,
}

impl LambdaFigures {
    /// Records all batch runs read.
    #[must_use]
    pub fn batch_records(&self) -> u64 {
        self.batches.iter().map(|b| b.records).sum()
    }
}

/// Lambda's run, and what its checks need.
pub struct Lambda {
    /// The figures.
    pub figures: LambdaFigures,
    /// The batch views, by run.
    pub views: Vec<BatchView>,
    /// The batch logic.
    pub logic: BatchLogic,
    /// The served view at each sample.
    pub served: Vec<(i64, Served)>,
}

/// Runs Lambda for `sim` with `sim.runs[serving]` as the speed layer.
pub(super) fn run(
    scenario: &Scenario,
    sim: &Simulation,
    l: &LambdaSpec,
    serving: usize,
    horizon: i64,
    bugs: &ArchBugs,
) -> Lambda {
    let spec = &scenario.strategies[serving];
    let resolved = spec.resolve(&scenario.pipeline, scenario.expect.thresholds());
    let speed = &sim.runs[serving];
    let master = batch::master_dataset(&sim.log, &sim.trace, &sim.workload);
    let dead: BTreeSet<u64> = speed.dead_letters.iter().map(|d| d.record.id).collect();
    let mut logic = BatchLogic::new(
        resolved.pipeline.window,
        resolved.pipeline.aggregate,
        resolved.dedup,
        &l.two_codebases,
    );
    if bugs.batch_skips_dead_letters {
        logic.skip_ids = dead.clone();
    }
    let last_append = master.last().map_or(0, |f| f.appended_at);
    let interval = l.batch_interval.ms();
    let mut batches = Vec::new();
    let mut views = Vec::new();
    let mut k = 1i64;
    loop {
        let started = k * interval;
        let view = batch::run(&master, started, &logic);
        let counted_ids: BTreeSet<u64> = master
            .iter()
            .take_while(|f| f.appended_at <= started)
            .map(|f| f.id)
            .collect();
        batches.push(BatchRun {
            started,
            completed: started + l.batch_duration.ms(),
            records: view.records,
            counted: view.counted,
            late_corrected: dead.intersection(&counted_ids).count() as u64,
            windows: view.values.len() as u64,
        });
        views.push(view);
        if started >= last_append {
            break;
        }
        k += 1;
    }
    let horizon = horizon.max(batches.last().map_or(0, |b| b.completed));
    let truth = oracle::truth(&sim.workload, super::versions::windowing(scenario));
    let marks: Vec<i64> = batches.iter().map(|b| b.completed).collect();
    let grid = served::grid(horizon, &marks);
    let mode = resolved.pipeline.accumulation;
    let mut layer = Layer::new(speed, mode);
    let mut points = Vec::with_capacity(grid.len());
    let mut samples = Vec::with_capacity(grid.len());
    for &t in &grid {
        layer.advance(t);
        let view = serve(t, &layer.values, &batches, &views, bugs);
        points.push(served::distance(t, &view, &truth));
        samples.push((t, view));
    }
    // Two codebases, complete data: the last batch has seen everything.
    let speed_final = crate::final_panes::final_panes(&speed.panes, mode, false).values;
    let dead_windows: BTreeSet<(Key, Window)> = speed
        .dead_letters
        .iter()
        .flat_map(|d| d.windows.iter().map(move |w| (d.record.key, *w)))
        .collect();
    let last = views.last().cloned().unwrap_or_default();
    let keys: BTreeSet<(Key, Window)> = last
        .values
        .keys()
        .chain(speed_final.keys())
        .copied()
        .filter(|k| !dead_windows.contains(k))
        .collect();
    let differ: Vec<_> = keys
        .into_iter()
        .filter(|k| last.values.get(k) != speed_final.get(k))
        .collect();
    let first_disagreement = differ.first().map(|k| {
        (
            k.0,
            k.1,
            last.values.get(k).cloned(),
            speed_final.get(k).cloned(),
        )
    });
    let figures = LambdaFigures {
        speed: spec.name.clone(),
        records_speed: speed.records_in,
        state_peak_speed: speed.recovery.state_peak_windows,
        batch_view_max: batches.iter().map(|b| b.windows).max().unwrap_or(0),
        retention_lost_speed: speed.recovery.retention_missed.len() as u64,
        wrong_ms: served::wrong_ms(&points, 0),
        wrong_at_end: points.last().map_or(0, |p| p.wrong),
        windows: truth.len() as u64,
        points,
        divergences: l.two_codebases.iter().map(|d| d.name()).collect(),
        disagreements: differ.len() as u64,
        first_disagreement,
        batches,
    };
    Lambda {
        figures,
        views,
        logic,
        served: samples,
    }
}

/// The serving layer at `t`: the last completed batch for the windows it
/// covers, the speed layer for the rest.
fn serve(
    t: i64,
    speed: &served::View,
    batches: &[BatchRun],
    views: &[BatchView],
    bugs: &ArchBugs,
) -> Served {
    let ready = |b: &BatchRun| {
        if bugs.serve_batch_when_started {
            b.started <= t
        } else {
            b.completed <= t
        }
    };
    let last = batches.iter().rposition(ready);
    let mut out: Served = Served::new();
    let cutoff = last.map_or(i64::MIN, |i| batches[i].started);
    for (k, v) in speed {
        if k.1.end.0 > cutoff {
            out.insert(
                *k,
                Answer {
                    value: v.clone(),
                    source: Source::Stream(0),
                },
            );
        }
    }
    if let Some(i) = last {
        for (k, v) in &views[i].values {
            if k.1.end.0 <= cutoff {
                out.insert(
                    *k,
                    Answer {
                        value: v.clone(),
                        source: Source::Batch(i),
                    },
                );
            }
        }
    }
    out
}

/// The batch logic's truth over what was appended by `cutoff`, computed by
/// the oracle (not the batch fold): the reference for the invariant.
#[must_use]
pub fn batch_logic_truth(sim: &Simulation, logic: &BatchLogic, cutoff: i64) -> Results {
    let mut workload = sim.workload.clone();
    if logic.true_time {
        for e in &mut workload.events {
            e.time = e.true_time;
        }
    }
    let trace = crate::model::Trace {
        deliveries: sim
            .trace
            .deliveries
            .iter()
            .filter(|d| d.at().0 <= cutoff)
            .copied()
            .collect(),
        ..sim.trace.clone()
    };
    oracle::delivered_truth(
        &workload,
        &trace,
        logic.dedup,
        oracle::Windowing {
            window: logic.window,
            aggregate: logic.aggregate,
        },
    )
}
