//! One seed, measured once: simulate, ask the oracle, check the invariants
//! and thresholds, compute the figures and gather the picture's data.
//!
//! Everything downstream reads a [`Stage`]: `run`, `replay`, `sweep` and
//! `shrink` its verdicts (through [`crate::run::run_seed`]), the report its
//! verdicts, figures and scene. Nothing else calls the oracle or computes a
//! metric, so one seed gives one accuracy wherever it is printed.

use crate::metrics::{seed_metrics, Reading, SeedMetrics, Values};
use crate::oracle::{self, Windowing};
use crate::run::{self, SeedReport, Simulation};
use crate::scenario::Scenario;
use crate::scene::{self, Scene};
use anyhow::Context;

/// What one seed produced, for everyone who reads it.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Verdicts and the `run` summary.
    pub report: SeedReport,
    /// Figures per strategy, in scenario order.
    pub metrics: Vec<SeedMetrics>,
    /// The picture's data (when asked for and there was something to draw).
    pub scene: Option<Scene>,
}

/// What to do beyond the verdicts and figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Run the seed a second time to check determinism (when the scenario
    /// checks it).
    pub determinism: bool,
    /// Gather the picture's data.
    pub scene: bool,
}

/// Measures the events of `workload_seed` delivered by the network of
/// `network_seed` (the same seed for `run`; the report also replays one
/// seed's events through other networks). Returns the simulation too, for
/// `run --out`.
pub fn stage(
    scenario: &Scenario,
    workload_seed: u64,
    network_seed: u64,
    options: Options,
) -> anyhow::Result<(Stage, Simulation)> {
    let determinism = options.determinism
        && workload_seed == network_seed
        && scenario
            .expect
            .invariants
            .includes(crate::invariants::Invariant::Deterministic);
    // The determinism check runs the seed twice and compares hashes. The
    // first run is hashed and dropped before the second starts, so only
    // one simulation is ever held: a seed's memory is one run's, not two.
    let first_hash = if determinism {
        let first = run::simulate_with(scenario, workload_seed, network_seed)?;
        Some(run::hash_of(&first))
    } else {
        None
    };
    let sim = run::simulate_with(scenario, workload_seed, network_seed)?;
    let resolved = scenario.strategies_resolved();
    let first = resolved.first().context("the scenario has no strategies")?;
    // Window and aggregation are pipeline-wide, so one truth serves all.
    let windowing = Windowing {
        window: first.pipeline.window,
        aggregate: first.pipeline.aggregate,
    };
    let truth = oracle::truth(&sim.workload, windowing);
    let values: Values = truth
        .iter()
        .map(|(kw, cell)| (*kw, cell.value.clone()))
        .collect();
    let metrics: Vec<SeedMetrics> = sim
        .runs
        .iter()
        .zip(&resolved)
        .map(|(r, s)| {
            let reading = Reading {
                accumulation: s.pipeline.accumulation,
                allowed_lateness_ms: s.pipeline.allowed_lateness.0,
                merging: s.pipeline.window.is_merging(),
            };
            seed_metrics(&sim.workload, &sim.trace, r, reading, &values)
        })
        .collect();
    let accuracy: Vec<f64> = metrics.iter().map(|m| m.accuracy).collect();
    let report = run::judge(
        scenario,
        network_seed,
        &sim,
        &truth,
        &accuracy,
        first_hash.as_deref(),
    )?;
    let scene = if options.scene {
        let net = crate::network::NetConfig::from_scenario(scenario);
        let perfect =
            |worker| crate::workers::perfect_curve(&net, &sim.workload, &sim.trace, worker);
        scene::build(
            network_seed,
            (&sim.workload, &sim.trace, &sim.runs),
            &resolved,
            &values,
            &perfect,
        )?
    } else {
        None
    };
    Ok((
        Stage {
            report,
            metrics,
            scene,
        },
        sim,
    ))
}
