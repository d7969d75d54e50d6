//! Lambda and Kappa, simulated side by side on one ingest (the scenario's
//! `architecture:` section).
//!
//! Both read the same durable log the strategies read. Kappa
//! (`kappa.rs`) reprocesses the retained log with a new pipeline version
//! at a deployment and switches serving over once it has caught up. Lambda
//! (`lambda.rs`) keeps a master dataset beyond retention, recomputes a
//! batch view every interval with its own fold (`batch.rs`) and serves it
//! over the speed layer for the windows it covers. `served.rs` samples
//! what each serves over processing time and its distance from the truth;
//! `checks.rs` holds the invariants.
//!
//! This stage runs after the strategies, reads only their runs, the log
//! and the workload, and returns plain figures: the report and the CLI
//! print them.

pub mod batch;
pub mod checks;
pub mod figures;
pub mod kappa;
pub mod lambda;
pub mod served;
pub mod versions;

use crate::run::Simulation;
use crate::scenario::Scenario;
pub use checks::{ArchInvariant, Verdicts};
pub use kappa::{KappaFigures, TrapFigures};
pub use lambda::{BatchRun, LambdaFigures};

/// Deliberately wrong implementations, for the tests that show each
/// invariant failing. All off in real runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArchBugs {
    /// Kappa's v2 consumer starts at the latest offset, not the earliest
    /// retained one.
    pub kappa_starts_at_latest: bool,
    /// The batch leaves out what the speed layer dead-lettered.
    pub batch_skips_dead_letters: bool,
    /// The serving layer answers from a batch as soon as it starts.
    pub serve_batch_when_started: bool,
}

/// Everything the architecture section measured for one seed.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchReport {
    /// Kappa's figures, when the section has `kappa`.
    pub kappa: Option<KappaFigures>,
    /// Every strategy replayed unchanged (`kappa.replay_strategies`).
    pub trap: Vec<TrapFigures>,
    /// Lambda's figures, when the section has `lambda`.
    pub lambda: Option<LambdaFigures>,
    /// The invariants, with the architecture each applies to.
    pub verdicts: Verdicts,
    /// The served view's horizon (processing time of the last sample).
    pub horizon: i64,
}

/// Runs the scenario's architecture section over `sim`; `None` without one.
pub fn evaluate(
    scenario: &Scenario,
    sim: &Simulation,
    bugs: &ArchBugs,
) -> anyhow::Result<Option<ArchReport>> {
    let Some(a) = &scenario.architecture else {
        return Ok(None);
    };
    let serving = versions::serving_index(scenario, a);
    let last_visible = sim
        .runs
        .iter()
        .flat_map(|r| r.visible_at.last())
        .map(|t| t.0)
        .max()
        .unwrap_or(0);
    let mut horizon = sim.trace.end.0.max(last_visible);
    let mut report = ArchReport {
        kappa: None,
        trap: Vec::new(),
        lambda: None,
        verdicts: Vec::new(),
        horizon,
    };
    if let (Some(d), Some(k)) = (&a.deploy, &a.kappa) {
        let run = kappa::run(scenario, sim, d, k, serving, horizon, bugs)?;
        report.verdicts.extend(checks::kappa(sim, &run));
        horizon = horizon.max(run.figures.points.last().map_or(0, |p| p.at));
        if k.replay_strategies {
            report.trap = kappa::trap(scenario, sim, d, k, bugs)?;
        }
        report.kappa = Some(run.figures);
    }
    if let Some(l) = &a.lambda {
        // Both architectures are sampled over the same span.
        let run = lambda::run(scenario, sim, l, serving, horizon, bugs);
        report
            .verdicts
            .extend(checks::lambda(sim, &run, &sim.runs[serving]));
        horizon = horizon.max(run.figures.points.last().map_or(0, |p| p.at));
        report.lambda = Some(run.figures);
    }
    report.horizon = horizon;
    Ok(Some(report))
}

#[cfg(test)]
mod tests;
