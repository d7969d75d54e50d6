//! Kappa reprocessing: at the deployment, v2 starts a new consumer at the
//! earliest retained offset of every partition and catches up at its
//! catch-up rate; v1 keeps serving until every v2 worker has processed all
//! that was appended for it, then serving switches to v2's output table.
//!
//! v2 runs through the same processing loop as every strategy
//! (`workers::run_strategy_with` with `Processing::start_at`), so entries
//! retention dropped before v2 could fetch them are counted as missed,
//! never hidden. v2 runs without the scenario's crashes: the figures are
//! the replay's own.

use super::served::{self, Layer, Point, Served, Source};
use super::versions;
use super::ArchBugs;
use crate::model::{Delivery, StrategyRun, Trace, Workload};
use crate::oracle::{self, Results, Windowing};
use crate::run::Simulation;
use crate::scenario::{DeploySpec, KappaSpec, Scenario, StrategySpec};
use crate::workers::{self, Processing};
use anyhow::Result;
use std::collections::BTreeSet;
use tidemark_engine::{Accumulation, ProcTime};

/// Kappa's figures for one seed.
#[derive(Debug, Clone, PartialEq)]
pub struct KappaFigures {
    /// v1's and v2's names.
    pub v1: String,
    /// The deployed version.
    pub v2: String,
    /// Processing time of the deployment.
    pub deploy_at: i64,
    /// When serving switched to v2 (every v2 worker caught up); `None`: never.
    pub switch_at: Option<i64>,
    /// Records v1 processed (the live run).
    pub records_v1: u64,
    /// Records v2 processed, the replay included.
    pub records_v2: u64,
    /// Log entries appended before the deployment that v2 re-read.
    pub replayed: u64,
    /// Most windows v1's workers held (summed peaks).
    pub state_peak_v1: u64,
    /// Most windows v2's workers held over its whole run.
    pub state_peak_v2: u64,
    /// Most windows v1 and v2 held together while v2 replayed (from the
    /// deployment to the switch): the state the replay adds to production.
    pub state_peak_during_replay: u64,
    /// Records v2 could not reprocess: retention had dropped them.
    pub retention_lost: u64,
    /// Windows of the truth missing some of those records.
    pub windows_hit_by_retention: u64,
    /// Processing time after the deployment during which v1 still served
    /// while v2 existed (until the switch, or to the end).
    pub stale_ms: i64,
    /// Processing time after the deployment during which the served view
    /// was wrong for some due window.
    pub wrong_after_deploy_ms: i64,
    /// Processing time, from 0, during which the served view was wrong
    /// for some due window (v1's wrong answers before the deployment too).
    pub wrong_ms: i64,
    /// Served error over time.
    pub points: Vec<Point>,
    /// Wrong windows at the end (all windows due).
    pub wrong_at_end: u64,
    /// Windows the truth has.
    pub windows: u64,
}

impl KappaFigures {
    /// Time from the deployment to the switch.
    #[must_use]
    pub fn catch_up_ms(&self) -> Option<i64> {
        self.switch_at.map(|s| s - self.deploy_at)
    }
}

/// The consuming side of a replay that joins at `at` and catches up at
/// `rate` (records per second per worker), without the scenario's crashes.
pub(super) fn replay_processing(
    base: Processing,
    at: i64,
    rate: Option<f64>,
    bugs: &ArchBugs,
) -> Processing {
    let mut p = base.crash_free();
    p.start_at = Some(at);
    if let Some(r) = rate {
        p.service_us = ((1e6 / r).round() as i64).max(1);
    }
    p.bugs.start_at_latest = bugs.kappa_starts_at_latest;
    p
}

/// The run of v2, and everything it needs to be checked.
pub struct Kappa {
    /// The figures.
    pub figures: KappaFigures,
    /// v2's run.
    pub v2_run: StrategyRun,
    /// v2's accumulation and dedup.
    pub v2_mode: Accumulation,
    /// v2 deduplicates.
    pub v2_dedup: bool,
    /// v2's windowing.
    pub v2_windowing: Windowing,
    /// The served view at each sample, for the provenance check.
    pub served: Vec<(i64, Served)>,
}

/// Runs Kappa for `sim`: v1 is `sim.runs[serving]`.
pub(super) fn run(
    scenario: &Scenario,
    sim: &Simulation,
    d: &DeploySpec,
    k: &KappaSpec,
    serving: usize,
    horizon: i64,
    bugs: &ArchBugs,
) -> Result<Kappa> {
    let v1_spec = &scenario.strategies[serving];
    let v1_run = &sim.runs[serving];
    let (v2_scenario, v2_spec) = versions::v2(scenario, v1_spec, d);
    let base = workers::processing_of(&v2_scenario, &v2_spec, &sim.trace, sim.fault_seed);
    let rate = k.catch_up_rate.or(scenario.processing.service_rate);
    let proc = replay_processing(base, d.at.ms(), rate, bugs);
    let v2_run = workers::run_strategy_with(
        &v2_scenario,
        &sim.workload,
        &sim.trace,
        &sim.log,
        &v2_spec,
        &proc,
    )?;
    let switch_at = switch_time(&v2_run, &sim.trace, d.at.ms());
    // v2's last pane (its end-of-input watermark) may come after v1's.
    let horizon = horizon
        .max(v2_run.visible_at.last().map_or(0, |t| t.0))
        .max(switch_at.unwrap_or(0));
    let v1_mode = mode(scenario, v1_spec);
    let v2_mode = mode(&v2_scenario, &v2_spec);
    let v2_windowing = versions::windowing(&v2_scenario);
    // The question v2 answers is the one to be right about.
    let truth = oracle::truth(&sim.workload, v2_windowing);
    let deploy = d.at.ms();
    let mut marks = vec![deploy];
    marks.extend(switch_at);
    let grid = served::grid(horizon, &marks);
    let mut l1 = Layer::new(v1_run, v1_mode);
    let mut l2 = Layer::new(&v2_run, v2_mode);
    let mut points = Vec::with_capacity(grid.len());
    let mut samples = Vec::with_capacity(grid.len());
    for &t in &grid {
        l1.advance(t);
        l2.advance(t);
        let view = match switch_at {
            Some(s) if t >= s => served::from_layer(&l2.values, Source::Stream(1)),
            _ => served::from_layer(&l1.values, Source::Stream(0)),
        };
        points.push(served::distance(t, &view, &truth));
        samples.push((t, view));
    }
    let missed = missed_records(&v2_run, &sim.trace);
    let hit = truth
        .values()
        .filter(|c| c.events.iter().any(|e| missed.contains(e)))
        .count() as u64;
    let replayed = (0..sim.log.partitions())
        .map(|p| {
            let end = sim.log.end_offset(p, ProcTime(deploy));
            let from = sim.log.earliest_retained(p, ProcTime(deploy));
            end - from
        })
        .sum();
    let figures = KappaFigures {
        v1: v1_spec.name.clone(),
        v2: d.name.clone(),
        deploy_at: deploy,
        switch_at,
        records_v1: v1_run.records_in,
        records_v2: v2_run.records_in,
        replayed,
        state_peak_v1: v1_run.recovery.state_peak_windows,
        state_peak_v2: v2_run.recovery.state_peak_windows,
        state_peak_during_replay: peak_between(v1_run, deploy, switch_at.unwrap_or(horizon))
            + peak_between(&v2_run, deploy, switch_at.unwrap_or(horizon)),
        retention_lost: missed.len() as u64,
        windows_hit_by_retention: hit,
        stale_ms: switch_at.unwrap_or(horizon) - deploy,
        wrong_after_deploy_ms: served::wrong_ms(&points, deploy),
        wrong_ms: served::wrong_ms(&points, 0),
        wrong_at_end: points.last().map_or(0, |p| p.wrong),
        windows: truth.len() as u64,
        points,
    };
    Ok(Kappa {
        figures,
        v2_run,
        v2_mode,
        v2_dedup: v2_spec.dedup.unwrap_or(scenario.pipeline.dedup),
        v2_windowing,
        served: samples,
    })
}

/// The sum over workers of each one's most windows sampled in `[from, to]`.
fn peak_between(run: &StrategyRun, from: i64, to: i64) -> u64 {
    let mut per_worker: std::collections::BTreeMap<u32, u64> = std::collections::BTreeMap::new();
    for &(at, w, n) in &run.recovery.state_windows {
        if (from..=to).contains(&at.0) {
            let peak = per_worker.entry(w).or_default();
            *peak = (*peak).max(n);
        }
    }
    per_worker.values().sum()
}

fn mode(scenario: &Scenario, s: &StrategySpec) -> Accumulation {
    s.resolve(&scenario.pipeline, scenario.expect.thresholds())
        .pipeline
        .accumulation
}

/// When the last v2 worker caught up, no earlier than the deployment; a
/// worker with nothing to read is caught up at once.
fn switch_time(v2: &StrategyRun, trace: &Trace, deploy: i64) -> Option<i64> {
    let mut at = deploy;
    for (w, c) in v2.recovery.caught_up_at.iter().enumerate() {
        match c {
            Some(t) => at = at.max(t.0),
            None if trace.deliveries.iter().any(|d| d.worker() as usize == w) => return None,
            None => {}
        }
    }
    Some(at)
}

/// Event ids of the records v2 missed.
fn missed_records(v2: &StrategyRun, trace: &Trace) -> BTreeSet<u64> {
    v2.recovery
        .retention_missed
        .iter()
        .filter_map(|&(d, _)| match trace.deliveries.get(d) {
            Some(Delivery::Record { event, .. }) => Some(*event),
            _ => None,
        })
        .collect()
}

/// v2's truth restricted to retained data: the admitted truth of v2's run,
/// which leaves out the entries v2 reported missed (a repeat whose first
/// copy was missed counts as the first copy read) and v2's dead letters.
/// One definition, the oracle's: an earlier copy here filtered the misses
/// out of the trace and then handed the shorter trace to the oracle, which
/// removed the misses again by their old positions.
#[must_use]
pub fn retained_truth(
    workload: &Workload,
    trace: &Trace,
    v2: &StrategyRun,
    dedup: bool,
    windowing: Windowing,
) -> Results {
    oracle::admitted_truth(workload, trace, v2, dedup, windowing)
}

/// The processing-time trap: one strategy, live and replayed unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrapFigures {
    /// The strategy.
    pub strategy: String,
    /// Panes (not retractions) live and on replay.
    pub panes: (u64, u64),
    /// Dead letters live and on replay.
    pub dead_letters: (u64, u64),
    /// Windows whose final value differs between live and replay.
    pub finals_differ: u64,
    /// Windows whose pane sequence (value by pane index) differs.
    pub panes_differ: u64,
    /// Windows with a final value, live.
    pub windows: u64,
}

/// Replays every strategy unchanged from the deployment and compares.
pub(super) fn trap(
    scenario: &Scenario,
    sim: &Simulation,
    d: &DeploySpec,
    k: &KappaSpec,
    bugs: &ArchBugs,
) -> Result<Vec<TrapFigures>> {
    let rate = k.catch_up_rate.or(scenario.processing.service_rate);
    let mut out = Vec::new();
    for (s, live) in scenario.strategies.iter().zip(&sim.runs) {
        let base = workers::processing_of(scenario, s, &sim.trace, sim.fault_seed);
        let proc = replay_processing(base, d.at.ms(), rate, bugs);
        let again =
            workers::run_strategy_with(scenario, &sim.workload, &sim.trace, &sim.log, s, &proc)?;
        let m = mode(scenario, s);
        let finals = |r: &StrategyRun| crate::final_panes::final_panes(&r.panes, m, false).values;
        let (a, b) = (finals(live), finals(&again));
        let keys: BTreeSet<_> = a.keys().chain(b.keys()).collect();
        let finals_differ = keys.iter().filter(|k| a.get(k) != b.get(k)).count() as u64;
        let seq = |r: &StrategyRun| {
            let mut m: std::collections::BTreeMap<_, Vec<_>> = std::collections::BTreeMap::new();
            for p in r.panes.iter().filter(|p| !p.retraction) {
                m.entry((p.key, p.window))
                    .or_default()
                    .push((p.info.index, p.value.clone()));
            }
            m
        };
        let (sa, sb) = (seq(live), seq(&again));
        let keys: BTreeSet<_> = sa.keys().chain(sb.keys()).collect();
        let panes_differ = keys.iter().filter(|k| sa.get(k) != sb.get(k)).count() as u64;
        let count = |r: &StrategyRun| r.panes.iter().filter(|p| !p.retraction).count() as u64;
        out.push(TrapFigures {
            strategy: s.name.clone(),
            panes: (count(live), count(&again)),
            dead_letters: (
                live.dead_letters.len() as u64,
                again.dead_letters.len() as u64,
            ),
            finals_differ,
            panes_differ,
            windows: a.len() as u64,
        });
    }
    Ok(out)
}
