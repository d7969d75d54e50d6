//! One seeded run from end to end: scenario → workload → trace → strategy
//! runs → oracle and invariant checks → a [`SeedReport`].
//!
//! This is the only place that strings the stages together; `run`,
//! `replay`, `sweep`, `shrink` and the scenario tests all go through
//! [`run_seed`], so they agree on what "a seed fails" means.

use crate::invariants::{
    self, check_strategy, name, Counterexample, Invariant, Outcome, Subject, Verdict,
};
use crate::log::Log;
use crate::model::{Delivery, FaultDecision, StrategyRun, Trace, Workload};
use crate::oracle::{self, Windowing};
use crate::scenario::{AccumulationSpec, ResolvedStrategy, Scenario, StrategySpec, WatermarkSpec};
use crate::trace_hash::run_hash;
use anyhow::Context;
use tidemark_engine::{Accumulation, Timing};

/// What one seed produced: the stages' values, kept for `--out`.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The generated events.
    pub workload: Workload,
    /// What the network delivered.
    pub trace: Trace,
    /// The durable log the network appended to (the trace, by partition
    /// and offset, with the scenario's retention).
    pub log: Log,
    /// The seed the processing phase drew its faults from.
    pub fault_seed: u64,
    /// One run per strategy, in scenario order.
    pub runs: Vec<StrategyRun>,
}

/// Generates, delivers and runs every strategy for `seed`.
pub fn simulate(scenario: &Scenario, seed: u64) -> anyhow::Result<Simulation> {
    simulate_with(scenario, seed, seed)
}

/// Like [`simulate`], with the events from `workload_seed` and the network's
/// fates from `network_seed`: the report replays one seed's events through
/// other seeds' networks to measure stability.
pub fn simulate_with(
    scenario: &Scenario,
    workload_seed: u64,
    network_seed: u64,
) -> anyhow::Result<Simulation> {
    let mut workload = crate::workload::generate(scenario, workload_seed);
    let mut trace =
        crate::network::deliver(scenario, &mut workload, network_seed).with_context(|| {
            format!(
                "scenario {}: simulating the network for seed {network_seed}",
                scenario.name
            )
        })?;
    // Held for the whole seed: give back what the network's appends
    // over-reserved.
    trace.deliveries.shrink_to_fit();
    let log = Log::from_trace(&trace, scenario.log);
    let runs = scenario
        .strategies
        .iter()
        .map(|s| {
            crate::workers::run_strategy(scenario, &workload, &trace, &log, s, network_seed)
                .with_context(|| format!("scenario {}: strategy {}", scenario.name, s.name))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Simulation {
        workload,
        trace,
        log,
        fault_seed: network_seed,
        runs,
    })
}

/// A threshold from `expect`, and how the strategy measured against it.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdCheck {
    /// `dead_letter_fraction_max` or `accuracy_min`.
    pub name: &'static str,
    /// The limit the scenario set.
    pub limit: f64,
    /// What the run measured.
    pub actual: f64,
    /// True when within the limit.
    pub ok: bool,
    /// When broken: the first dead-lettered events, or the first window
    /// whose final value differs from the truth.
    pub counterexample: Option<Counterexample>,
}

impl ThresholdCheck {
    /// How the run measured against the limit, in the threshold's unit.
    #[must_use]
    pub fn detail(&self) -> String {
        match self.name {
            "on_time_latency_max" => {
                format!("worst {}ms, limit {}ms", self.actual, self.limit)
            }
            "on_time_before_input_ends" => format!("{} window(s) break it", self.actual),
            _ => format!("measured {:.4}, limit {}", self.actual, self.limit),
        }
    }
}

/// One strategy's figures and verdicts for one seed.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyReport {
    /// The strategy's name.
    pub name: String,
    /// Its trigger, Beam-style.
    pub trigger: String,
    /// Its accumulation mode.
    pub accumulation: Accumulation,
    /// Panes emitted (retractions not counted), and by timing.
    pub panes: u64,
    /// Early panes.
    pub panes_early: u64,
    /// Late panes.
    pub panes_late: u64,
    /// Retractions emitted.
    pub retractions: u64,
    /// Dead letters emitted.
    pub dead_letters: u64,
    /// Share of generated events dead-lettered (for any window).
    pub dead_letter_fraction: f64,
    /// Duplicates that reached the engine and were counted.
    pub duplicates_counted: u64,
    /// Duplicates removed by deduplication.
    pub duplicates_dropped: u64,
    /// Watermarks the engine ignored because they went back.
    pub watermark_regressions: u64,
    /// Windows with a final value.
    pub windows: u64,
    /// Share of windows whose consumer's final answer equals the truth
    /// ([`crate::metrics::accuracy`]).
    pub accuracy: f64,
    /// Checkpoints, crashes, lag, the sink and retention.
    pub recovery: RecoverySummary,
    /// Every per-strategy invariant, with whether the scenario checks it.
    pub verdicts: Vec<(Verdict, bool)>,
    /// The scenario's thresholds for this strategy.
    pub thresholds: Vec<ThresholdCheck>,
}

/// What the processing phase did for one strategy, as `run` and `sweep`
/// print it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecoverySummary {
    /// The sink's guarantee.
    pub sink: &'static str,
    /// Worker crashes.
    pub crashes: u64,
    /// Restarts.
    pub restarts: u64,
    /// Restarts that restored a checkpoint (the others re-read from the
    /// earliest retained offset).
    pub restores: u64,
    /// Checkpoints completed.
    pub checkpoints: u64,
    /// Largest checkpoint, estimated bytes.
    pub checkpoint_bytes_max: u64,
    /// Most entries a worker was behind the log.
    pub lag_max: u64,
    /// Panes downstream saw more than once.
    pub downstream_duplicates: u64,
    /// Events whose log entries retention dropped before they were read.
    pub retention_lost: u64,
    /// Restores whose engine watermark was behind one already sent.
    pub watermark_rewinds: u64,
    /// Mean time from a pane's firing to its visibility downstream, ms
    /// (the commit delay of an exactly-once sink).
    pub visible_delay_ms_mean: f64,
    /// Mean processing time at which panes became visible downstream, ms.
    pub visible_at_ms_mean: f64,
}

impl RecoverySummary {
    /// The figures of `run`.
    #[must_use]
    pub fn of(run: &StrategyRun, trace: &Trace) -> RecoverySummary {
        let r = &run.recovery;
        let n = run.visible_at.len().min(run.panes.len());
        let (mut delay, mut at) = (0f64, 0f64);
        for (p, v) in run.panes.iter().zip(&run.visible_at) {
            delay += (v.0 - p.fired_at.0) as f64;
            at += v.0 as f64;
        }
        let mean = |x: f64| if n == 0 { 0.0 } else { x / n as f64 };
        let lost: std::collections::BTreeSet<u64> = r
            .retention_missed
            .iter()
            .filter_map(|&(d, _)| match trace.deliveries.get(d) {
                Some(Delivery::Record { event, .. }) => Some(*event),
                _ => None,
            })
            .collect();
        RecoverySummary {
            sink: r.sink,
            crashes: r.crashes,
            restarts: r.restarts,
            restores: r.restores,
            checkpoints: r.checkpoints,
            checkpoint_bytes_max: r.checkpoint_bytes_max,
            lag_max: r.lag_max,
            downstream_duplicates: r.downstream_duplicates,
            retention_lost: lost.len() as u64,
            watermark_rewinds: r.watermark_rewinds,
            visible_delay_ms_mean: mean(delay),
            visible_at_ms_mean: mean(at),
        }
    }

    /// True when the run had nothing beyond the defaults worth a line.
    #[must_use]
    pub fn is_quiet(&self) -> bool {
        self.crashes == 0
            && self.checkpoints == 0
            && self.lag_max == 0
            && self.retention_lost == 0
            && self.downstream_duplicates == 0
    }
}

/// Why a seed fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The strategy, unless the failure is run-wide (determinism).
    pub strategy: Option<String>,
    /// The invariant's or threshold's name.
    pub check: String,
    /// The counterexample or the measured value, in one line.
    pub detail: String,
    /// The counterexample, for invariants.
    pub counterexample: Option<Counterexample>,
}

impl Failure {
    /// What failed, without the details: shrinking keeps a candidate only
    /// when it fails the same way.
    #[must_use]
    pub fn signature(&self) -> (Option<String>, String) {
        (self.strategy.clone(), self.check.clone())
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.strategy {
            Some(s) => write!(f, "strategy {s}: {} failed: {}", self.check, self.detail),
            None => write!(f, "{} failed: {}", self.check, self.detail),
        }
    }
}

/// Everything `run` prints for one seed.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedReport {
    /// The scenario's name.
    pub scenario: String,
    /// The master seed.
    pub seed: u64,
    /// Fingerprint of the workload, trace and every strategy's outputs.
    pub hash: String,
    /// Events generated.
    pub events: u64,
    /// Events the network lost (after all retries).
    pub lost: u64,
    /// Duplicate copies the network delivered (retries after lost acks).
    pub duplicates_delivered: u64,
    /// The network's fault decisions, in time order.
    pub faults: Vec<FaultDecision>,
    /// Same seed twice, same hash?
    pub determinism: Outcome,
    /// Whether the scenario checks determinism.
    pub determinism_checked: bool,
    /// Per strategy, in scenario order.
    pub strategies: Vec<StrategyReport>,
    /// Lambda and Kappa figures and invariants (scenario's `architecture`).
    pub architecture: Option<crate::arch::ArchReport>,
    /// Why the seed fails, first first; empty when it passes.
    pub failures: Vec<Failure>,
}

impl SeedReport {
    /// True when nothing the scenario expects was broken.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs `seed` twice (the second time only to check determinism), checks
/// every invariant and threshold, and returns the report and the first
/// run's values.
pub fn run_seed(scenario: &Scenario, seed: u64) -> anyhow::Result<(SeedReport, Simulation)> {
    run_seed_with(scenario, seed, true)
}

/// [`run_seed`], with the determinism re-run optional: `shrink` skips it
/// (halving its cost) unless determinism is what it is shrinking. The seed
/// is measured once, by [`crate::stage`].
pub fn run_seed_with(
    scenario: &Scenario,
    seed: u64,
    determinism: bool,
) -> anyhow::Result<(SeedReport, Simulation)> {
    let options = crate::stage::Options {
        determinism,
        scene: false,
    };
    let (stage, sim) = crate::stage::stage(scenario, seed, seed, options)?;
    Ok((stage.report, sim))
}

/// The fingerprint of a simulation's workload, trace and strategy outputs.
#[must_use]
pub fn hash_of(sim: &Simulation) -> String {
    run_hash(&sim.workload, &sim.trace, &sim.runs)
}

/// The verdicts for one simulated seed. `truth` is the oracle over every
/// generated event, `accuracy` each strategy's measured accuracy
/// ([`crate::metrics::accuracy`], the one definition); `first_hash`, when
/// the seed is checked for determinism, is the hash of an earlier run of
/// the same seed in this process ([`hash_of`]), which `sim` must equal.
pub fn judge(
    scenario: &Scenario,
    seed: u64,
    sim: &Simulation,
    truth: &oracle::Results,
    accuracy: &[f64],
    first_hash: Option<&str>,
) -> anyhow::Result<SeedReport> {
    let hash = hash_of(sim);
    let determinism_checked = first_hash.is_some();
    let determinism = match first_hash {
        Some(first) if first == hash => Outcome::Held,
        Some(first) => Outcome::Failed(Box::new(Counterexample {
            what: format!("seed {seed} run twice in one process gave different runs"),
            expected: Some(first.to_string()),
            actual: Some(hash.clone()),
            ..Counterexample::default()
        })),
        None => Outcome::NotApplicable("not checked in this run"),
    };
    let strategies = check_strategies(scenario, sim, truth, accuracy)?;
    let architecture = crate::arch::evaluate(scenario, sim, &crate::arch::ArchBugs::default())?;
    let mut report = SeedReport {
        scenario: scenario.name.clone(),
        seed,
        hash,
        events: sim.workload.events.len() as u64,
        lost: sim.trace.undelivered.len() as u64,
        duplicates_delivered: sim
            .trace
            .deliveries
            .iter()
            .filter(|d| {
                matches!(
                    d,
                    Delivery::Record {
                        duplicate: true,
                        ..
                    }
                )
            })
            .count() as u64,
        faults: sim.trace.faults.clone(),
        determinism,
        determinism_checked,
        strategies,
        architecture,
        failures: Vec::new(),
    };
    report.failures = failures(&report);
    Ok(report)
}

fn check_strategies(
    scenario: &Scenario,
    sim: &Simulation,
    truth: &oracle::Results,
    accuracy: &[f64],
) -> anyhow::Result<Vec<StrategyReport>> {
    let resolved = scenario.strategies_resolved();
    let Some(first) = resolved.first() else {
        return Ok(Vec::new());
    };
    let windowing = Windowing {
        window: first.pipeline.window,
        aggregate: first.pipeline.aggregate,
    };
    let mut out = Vec::with_capacity(resolved.len());
    for (i, strategy) in resolved.iter().enumerate() {
        // The reference checks first: their transients (the tables they
        // build over every element read) then sit beside the simulation
        // alone, not beside the admitted truth `check_strategy` keeps.
        // Both only read the simulation, so the order changes no verdict.
        // Their tables are many small blocks, which glibc keeps resident
        // once freed; given back, they don't sit under the sibling
        // replays' large arrays (docs/memory.md).
        let (reference, liveness) = reference_checks(scenario, sim, strategy, i);
        crate::memory::release_freed_after(sim.workload.events.len());
        let extra = sibling_runs(scenario, sim, i)?;
        // Likewise the replays' own tables, before the admitted truth.
        crate::memory::release_freed_after(sim.workload.events.len());
        let mut siblings: Vec<(Accumulation, &StrategyRun)> =
            extra.iter().map(|(m, r)| (*m, r)).collect();
        for (j, other) in resolved.iter().enumerate() {
            if j != i && same_but_accumulation(&scenario.strategies[i], &scenario.strategies[j]) {
                siblings.push((other.pipeline.accumulation, &sim.runs[j]));
            }
        }
        let crash_free = crash_free_run(scenario, sim, i)?;
        let subject = Subject {
            workload: &sim.workload,
            trace: &sim.trace,
            run: &sim.runs[i],
            windowing,
            accumulation: strategy.pipeline.accumulation,
            dedup: strategy.dedup,
            watermark_perfect: strategy.watermark == WatermarkSpec::Perfect,
            siblings: &siblings,
            log: &sim.log,
            crash_free: crash_free.as_ref(),
            processing_time_dependent: strategy.pipeline.trigger.uses_processing_time()
                || strategy.idle_timeout.is_some(),
        };
        let mut check = check_strategy(&subject);
        check.verdicts.extend(reference);
        let measured = accuracy.get(i).copied().unwrap_or(0.0);
        let mut report = strategy_report(scenario, strategy, &sim.runs[i], &check, measured);
        // Liveness thresholds carry their own counterexample (the first
        // window too slow, or fired on the wrong side of the input's end).
        report
            .thresholds
            .extend(liveness.into_iter().map(|m| ThresholdCheck {
                name: m.name,
                limit: m.limit,
                actual: m.actual,
                ok: m.ok(),
                counterexample: m.counterexample,
            }));
        report.recovery = RecoverySummary::of(&sim.runs[i], &sim.trace);
        for t in report
            .thresholds
            .iter_mut()
            .filter(|t| !t.ok && t.counterexample.is_none())
        {
            let answers = crate::consumer::answers(
                &sim.runs[i].panes,
                strategy.pipeline.accumulation,
                strategy.pipeline.window.is_merging(),
            );
            t.counterexample = Some(threshold_counterexample(
                t,
                &sim.workload,
                truth,
                &check,
                &answers,
            ));
        }
        out.push(report);
    }
    Ok(out)
}

/// Strategy `i` on the same log with the same processing but no crash,
/// when its run had any: what the recovery invariants compare against.
fn crash_free_run(
    scenario: &Scenario,
    sim: &Simulation,
    i: usize,
) -> anyhow::Result<Option<StrategyRun>> {
    if sim.runs[i].recovery.crashes == 0 {
        return Ok(None);
    }
    let spec = &scenario.strategies[i];
    let proc = crate::workers::processing_of(scenario, spec, &sim.trace, sim.fault_seed);
    crate::workers::run_strategy_with(
        scenario,
        &sim.workload,
        &sim.trace,
        &sim.log,
        spec,
        &proc.crash_free(),
    )
    .map(Some)
    .with_context(|| format!("strategy {} without crashes", spec.name))
}

/// The reference checks (`crate::checks`) of strategy `i`, and its
/// liveness expectations measured.
fn reference_checks(
    scenario: &Scenario,
    sim: &Simulation,
    strategy: &ResolvedStrategy,
    i: usize,
) -> (
    Vec<invariants::Verdict>,
    Vec<crate::checks::liveness::Measured>,
) {
    let net = crate::network::NetConfig::from_scenario(scenario);
    let sources = u32::try_from(sim.workload.sources.len()).unwrap_or(u32::MAX);
    let topo = crate::network::Topology::new(&net, sources);
    let worker_channels: Vec<Vec<u32>> =
        (0..topo.workers).map(|w| topo.worker_channels(w)).collect();
    let proc = crate::workers::processing_of(
        scenario,
        &scenario.strategies[i],
        &sim.trace,
        sim.fault_seed,
    );
    let immediate = proc.immediate();
    let input = crate::checks::Input {
        workload: &sim.workload,
        trace: &sim.trace,
        run: &sim.runs[i],
        pipeline: &strategy.pipeline,
        watermark: strategy.watermark_config(1),
        worker_channels: &worker_channels,
        dedup: strategy.dedup,
        topology: topo,
        immediate,
        clock_step: proc.clock_step_ms,
    };
    (
        crate::checks::check(&input),
        crate::checks::liveness::check(&input, &strategy.thresholds),
    )
}

/// True when two strategies differ only in name, accumulation and thresholds,
/// so their runs over one trace must agree per the accumulation invariant.
fn same_but_accumulation(a: &StrategySpec, b: &StrategySpec) -> bool {
    let normal = |s: &StrategySpec| StrategySpec {
        name: String::new(),
        accumulation: AccumulationSpec::Discarding,
        expect: None,
        ..s.clone()
    };
    normal(a) == normal(b)
}

/// The strategy's trigger in the discarding and accumulating modes it
/// lacks, replayed over the same trace, unless another strategy of the
/// scenario already is that run.
fn sibling_runs(
    scenario: &Scenario,
    sim: &Simulation,
    i: usize,
) -> anyhow::Result<Vec<(Accumulation, StrategyRun)>> {
    if !scenario
        .expect
        .invariants
        .includes(Invariant::AccumulationConsistent)
    {
        return Ok(Vec::new());
    }
    let spec = &scenario.strategies[i];
    let mut out = Vec::new();
    for (mode, mode_spec) in [
        (Accumulation::Discarding, AccumulationSpec::Discarding),
        (Accumulation::Accumulating, AccumulationSpec::Accumulating),
    ] {
        let covered = scenario.strategies.iter().any(|other| {
            same_but_accumulation(spec, other) && Accumulation::from(other.accumulation) == mode
        });
        if covered {
            continue;
        }
        let variant = StrategySpec {
            accumulation: mode_spec,
            ..spec.clone()
        };
        let run = crate::workers::run_strategy(
            scenario,
            &sim.workload,
            &sim.trace,
            &sim.log,
            &variant,
            sim.fault_seed,
        )
        .with_context(|| format!("strategy {} replayed {mode}", spec.name))?;
        out.push((mode, run));
    }
    Ok(out)
}

fn strategy_report(
    scenario: &Scenario,
    strategy: &ResolvedStrategy,
    run: &StrategyRun,
    check: &invariants::StrategyCheck,
    accuracy: f64,
) -> StrategyReport {
    let count = |timing| {
        run.panes
            .iter()
            .filter(|p| !p.retraction && p.info.timing == timing)
            .count() as u64
    };
    let mut thresholds = Vec::new();
    if let Some(limit) = strategy.thresholds.dead_letter_fraction_max {
        let actual = check.dead_letter_fraction;
        thresholds.push(ThresholdCheck {
            name: "dead_letter_fraction_max",
            limit,
            actual,
            ok: actual <= limit,
            counterexample: None,
        });
    }
    if let Some(limit) = strategy.thresholds.accuracy_min {
        let actual = accuracy;
        thresholds.push(ThresholdCheck {
            name: "accuracy_min",
            limit,
            actual,
            ok: actual >= limit,
            counterexample: None,
        });
    }
    StrategyReport {
        name: strategy.name.clone(),
        trigger: crate::scenario::trigger_label(&strategy.pipeline.trigger),
        accumulation: strategy.pipeline.accumulation,
        panes: run.panes.iter().filter(|p| !p.retraction).count() as u64,
        panes_early: count(Timing::Early),
        panes_late: count(Timing::Late),
        retractions: run.panes.iter().filter(|p| p.retraction).count() as u64,
        dead_letters: run.dead_letters.len() as u64,
        dead_letter_fraction: check.dead_letter_fraction,
        duplicates_counted: run.duplicates_counted,
        duplicates_dropped: run.duplicates_dropped,
        watermark_regressions: run.watermark_regressions,
        windows: check.finals.values.len() as u64,
        accuracy,
        recovery: RecoverySummary::default(),
        verdicts: check
            .verdicts
            .iter()
            .map(|v| {
                let checked = scenario.expect.invariants.includes(v.invariant);
                (v.clone(), checked)
            })
            .collect(),
        thresholds,
    }
}

/// Every way the seed fails, in report order: per strategy its checked
/// invariants then its thresholds, then determinism.
fn failures(report: &SeedReport) -> Vec<Failure> {
    let mut out = Vec::new();
    // The architecture section's invariants hold on every run that has one.
    for (inv, arch, c) in report.architecture.iter().flat_map(|a| &a.verdicts) {
        if let Some(c) = c {
            out.push(Failure {
                strategy: Some((*arch).to_string()),
                check: inv.name().to_string(),
                detail: c.to_string(),
                counterexample: Some(c.clone()),
            });
        }
    }
    for s in &report.strategies {
        for (v, checked) in &s.verdicts {
            if let (Outcome::Failed(c), true) = (&v.outcome, checked) {
                out.push(Failure {
                    strategy: Some(s.name.clone()),
                    check: name(v.invariant).to_string(),
                    detail: c.to_string(),
                    counterexample: Some((**c).clone()),
                });
            }
        }
        for t in s.thresholds.iter().filter(|t| !t.ok) {
            out.push(Failure {
                strategy: Some(s.name.clone()),
                check: t.name.to_string(),
                detail: t.detail(),
                counterexample: t.counterexample.clone(),
            });
        }
    }
    if let Outcome::Failed(c) = &report.determinism {
        out.push(Failure {
            strategy: None,
            check: name(Invariant::Deterministic).to_string(),
            detail: c.to_string(),
            counterexample: Some((**c).clone()),
        });
    }
    out
}

/// Evidence for a broken threshold: the dead-lettered events (first ids),
/// or the first window whose final value differs from the truth.
fn threshold_counterexample(
    t: &ThresholdCheck,
    workload: &Workload,
    truth: &oracle::Results,
    check: &invariants::StrategyCheck,
    answers: &crate::consumer::Rows,
) -> Counterexample {
    if t.name == "accuracy_min" {
        let mut c = invariants::first_difference_in(workload, truth, answers).unwrap_or_default();
        c.what = format!(
            "accuracy {:.4} below {}; first window whose final value is not the truth",
            t.actual, t.limit
        );
        return c;
    }
    Counterexample {
        what: format!(
            "{} of {} events dead-lettered; the first of them",
            check.dead_lettered.len(),
            workload.events.len()
        ),
        expected: Some(format!("at most {}", t.limit)),
        actual: Some(format!("{:.4}", t.actual)),
        events: check
            .dead_lettered
            .iter()
            .copied()
            .take(invariants::EVENTS_SHOWN_MAX)
            .collect(),
        ..Counterexample::default()
    }
}
