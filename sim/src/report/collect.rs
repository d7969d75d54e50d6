//! Gathers what a report renders: per scenario, every seed of the range
//! measured by [`crate::stage`] (fresh events per seed, as `run --seed`
//! runs it), plus replays of the first seed's events through every other
//! seed's network, for stability. The (scenario, seed) jobs spread over
//! rayon and are regrouped in a fixed order, so the result never depends on
//! which thread finished first.
//!
//! Nothing here simulates, asks the oracle or computes a figure itself: it
//! only aggregates what the stages returned and picks the seed to draw.

use super::{ScenarioReport, SeedFailure, StrategyInfo};
use crate::metrics::{summarize, SeedMetrics};
use crate::scenario::{Dur, ResolvedStrategy, Scenario, WatermarkSpec};
use crate::scene::Scene;
use crate::stage::{self, Options, Stage};
use anyhow::Context;
use indicatif::ProgressBar;
use rayon::prelude::*;
use std::ops::Range;
use tidemark_engine::WindowFn;

/// Which run a job is.
#[derive(Debug, Clone, Copy)]
enum Job {
    /// Seed `s` as `run --seed s` runs it.
    Seed(u64),
    /// The first seed's events through seed `s`'s network.
    Replay(u64),
}

/// Reports for every scenario, in the order given. `progress` advances
/// once per measured seed.
pub fn collect_all(
    scenarios: &[Scenario],
    seeds: Range<u64>,
    progress: &ProgressBar,
) -> anyhow::Result<Vec<ScenarioReport>> {
    anyhow::ensure!(
        !seeds.is_empty(),
        "the seed range {}..{} is empty",
        seeds.start,
        seeds.end
    );
    let jobs: Vec<(usize, Job)> = (0..scenarios.len())
        .flat_map(|i| {
            let normal = seeds.clone().map(move |s| (i, Job::Seed(s)));
            let replays = seeds.clone().skip(1).map(move |s| (i, Job::Replay(s)));
            normal.chain(replays)
        })
        .collect();
    progress.set_length(jobs.len() as u64);
    let results: Vec<anyhow::Result<Stage>> = jobs
        .par_iter()
        .map(|&(i, job)| {
            let (workload_seed, network_seed, scene) = match job {
                Job::Seed(s) => (s, s, true),
                Job::Replay(s) => (seeds.start, s, false),
            };
            let options = Options {
                // Determinism is `run`'s and the tests' to check: a report
                // would pay a second simulation per seed for it.
                determinism: false,
                scene,
            };
            let r = stage::stage(&scenarios[i], workload_seed, network_seed, options)
                .map(|(stage, _)| stage);
            progress.inc(1);
            r
        })
        .collect();
    let mut per_scenario: Vec<(Vec<Stage>, Vec<Stage>)> =
        scenarios.iter().map(|_| (Vec::new(), Vec::new())).collect();
    for ((i, job), r) in jobs.iter().zip(results) {
        let m = r?;
        match job {
            Job::Seed(_) => per_scenario[*i].0.push(m),
            Job::Replay(_) => per_scenario[*i].1.push(m),
        }
    }
    scenarios
        .iter()
        .zip(per_scenario)
        .map(|(scenario, (normal, replays))| assemble(scenario, seeds.clone(), normal, &replays))
        .collect()
}

/// The report for one scenario (no progress bar).
pub fn collect(scenario: &Scenario, seeds: Range<u64>) -> anyhow::Result<ScenarioReport> {
    let mut all = collect_all(
        std::slice::from_ref(scenario),
        seeds,
        &ProgressBar::hidden(),
    )?;
    all.pop().context("no report produced")
}

fn assemble(
    scenario: &Scenario,
    seeds: Range<u64>,
    normal: Vec<Stage>,
    replays: &[Stage],
) -> anyhow::Result<ScenarioReport> {
    let resolved = scenario.strategies_resolved();
    // The first seed's own run is replay number zero.
    let replays: Vec<&Stage> = normal.iter().take(1).chain(replays).collect();
    let summaries = resolved
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let per_seed: Vec<SeedMetrics> = normal.iter().map(|m| m.metrics[i].clone()).collect();
            let per_replay: Vec<SeedMetrics> =
                replays.iter().map(|m| m.metrics[i].clone()).collect();
            summarize(&s.name, &per_seed, &per_replay)
        })
        .collect();
    let mut events: Vec<u64> = normal
        .iter()
        .filter_map(|m| m.metrics.first().map(|x| x.events))
        .collect();
    events.sort_unstable();
    // The shipped form; `commands::report` replaces it with the file and
    // `--out` the user actually gave.
    let regenerate = format!(
        "scenarios/{}.yaml --seeds {}..{}",
        scenario.name, seeds.start, seeds.end
    );
    let failures = normal
        .iter()
        .flat_map(|st| {
            st.report.failures.iter().map(|f| SeedFailure {
                seed: st.report.seed,
                failure: f.to_string(),
            })
        })
        .collect();
    let per_seed: Vec<(u64, &crate::arch::ArchReport)> = normal
        .iter()
        .filter_map(|st| st.report.architecture.as_ref().map(|a| (st.report.seed, a)))
        .collect();
    let chart_seed = per_seed
        .get(per_seed.len().saturating_sub(1) / 2)
        .map_or(seeds.start, |p| p.0);
    let architecture = super::architecture::section(scenario, &per_seed, chart_seed);
    let scene = representative(normal);
    Ok(ScenarioReport {
        name: scenario.name.clone(),
        description: scenario.description.clone(),
        pipeline: pipeline_text(&resolved),
        seeds,
        events_median: events.get(events.len() / 2).copied().unwrap_or(0),
        strategies: resolved
            .iter()
            .zip(&scenario.strategies)
            .map(|(r, spec)| info(r, spec.sink.unwrap_or(scenario.processing.sink)))
            .collect(),
        summaries,
        scene,
        failures,
        regenerate,
        architecture,
    })
}

/// The scene of the seed whose dead-letter total (all strategies) is the
/// median, so the picture is neither the best nor the worst case; ties go
/// to the lower seed.
fn representative(normal: Vec<Stage>) -> Option<Scene> {
    let mut totals: Vec<(u64, u64, usize)> = normal
        .iter()
        .enumerate()
        .map(|(i, st)| {
            let dead = st.metrics.iter().map(|x| x.dead_letters).sum();
            (dead, st.report.seed, i)
        })
        .collect();
    totals.sort_unstable();
    let pick = totals.get(totals.len().saturating_sub(1) / 2)?.2;
    normal.into_iter().nth(pick).and_then(|st| st.scene)
}

fn info(s: &ResolvedStrategy, sink: crate::scenario::SinkSpec) -> StrategyInfo {
    StrategyInfo {
        name: s.name.clone(),
        trigger: crate::scenario::trigger_label(&s.pipeline.trigger),
        accumulation: s.pipeline.accumulation.to_string(),
        watermark: match s.watermark {
            WatermarkSpec::Perfect => "perfect".to_string(),
            WatermarkSpec::BoundedOutOfOrderness(d) => format!("max seen − {d}"),
            WatermarkSpec::Punctuated(p) => format!("punctuated every {}", p.interval),
        },
        allowed_lateness: Dur(s.pipeline.allowed_lateness.0).to_string(),
        dedup: if s.dedup { "on" } else { "off" }.to_string(),
        idle_timeout: s
            .idle_timeout
            .map_or_else(|| "none".to_string(), |d| d.to_string()),
        sink: sink.name().to_string(),
    }
}

fn pipeline_text(resolved: &[ResolvedStrategy]) -> String {
    let Some(s) = resolved.first() else {
        return String::new();
    };
    let window = match s.pipeline.window {
        WindowFn::Fixed { size, .. } => format!("fixed windows of {}", Dur(size.0)),
        WindowFn::Sliding { size, period, .. } => {
            format!("sliding windows of {} every {}", Dur(size.0), Dur(period.0))
        }
        WindowFn::Sessions { gap } => format!("sessions with a {} gap", Dur(gap.0)),
        WindowFn::Global => "one global window".to_string(),
    };
    format!("{window}, {} per window", s.pipeline.aggregate)
}
