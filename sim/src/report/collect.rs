//! Runs the simulations a report needs and measures them.
//!
//! Per scenario: every seed of the range as `run --seed` would run it
//! (fresh events per seed), plus replays of the first seed's events
//! through every other seed's network, for stability. The (scenario, seed)
//! jobs spread over rayon and are regrouped in a fixed order, so the result
//! never depends on which thread finished first.

use super::diagram::{self, Diagram, Panel};
use super::view;
use super::{ScenarioReport, StrategyInfo};
use crate::final_panes::final_panes;
use crate::metrics::{seed_metrics, summarize, SeedMetrics, Values};
use crate::model::{StrategyRun, Trace, Workload};
use crate::oracle::{self, Windowing};
use crate::scenario::{Dur, ResolvedStrategy, Scenario, WatermarkSpec};
use anyhow::Context;
use indicatif::ProgressBar;
use rayon::prelude::*;
use std::ops::Range;
use tidemark_engine::WindowFn;

/// One seed's measurements: per strategy, in scenario order.
struct Measured {
    metrics: Vec<SeedMetrics>,
}

/// Which run a job is.
#[derive(Debug, Clone, Copy)]
enum Job {
    /// Seed `s` as `run --seed s` runs it.
    Seed(u64),
    /// The first seed's events through seed `s`'s network.
    Replay(u64),
}

/// Reports for every scenario, in the order given. `progress` advances
/// once per simulated seed.
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
    progress.set_length(jobs.len() as u64 + scenarios.len() as u64);
    let results: Vec<anyhow::Result<Measured>> = jobs
        .par_iter()
        .map(|&(i, job)| {
            let r = measure(&scenarios[i], seeds.start, job);
            progress.inc(1);
            r
        })
        .collect();
    let mut per_scenario: Vec<(Vec<Measured>, Vec<Measured>)> =
        scenarios.iter().map(|_| (Vec::new(), Vec::new())).collect();
    for ((i, job), r) in jobs.iter().zip(results) {
        let m = r?;
        match job {
            Job::Seed(_) => per_scenario[*i].0.push(m),
            Job::Replay(_) => per_scenario[*i].1.push(m),
        }
    }
    scenarios
        .par_iter()
        .zip(per_scenario)
        .map(|(scenario, (normal, replays))| {
            let r = assemble(scenario, seeds.clone(), &normal, &replays);
            progress.inc(1);
            r
        })
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

/// Shared by every strategy of a scenario: how the oracle windows.
fn windowing(strategies: &[ResolvedStrategy]) -> anyhow::Result<Windowing> {
    let first = strategies
        .first()
        .context("the scenario has no strategies")?;
    Ok(Windowing {
        window: first.pipeline.window,
        aggregate: first.pipeline.aggregate,
    })
}

/// Events, delivery and strategy runs for one job.
fn simulate(
    scenario: &Scenario,
    workload_seed: u64,
    network_seed: u64,
) -> anyhow::Result<(Workload, Trace, Vec<StrategyRun>)> {
    let sim = crate::run::simulate_with(scenario, workload_seed, network_seed)?;
    Ok((sim.workload, sim.trace, sim.runs))
}

fn truth(workload: &Workload, windowing: Windowing) -> Values {
    oracle::truth(workload, windowing)
        .into_iter()
        .map(|(kw, cell)| (kw, cell.value))
        .collect()
}

fn measure(scenario: &Scenario, first_seed: u64, job: Job) -> anyhow::Result<Measured> {
    let (workload_seed, network_seed) = match job {
        Job::Seed(s) => (s, s),
        Job::Replay(s) => (first_seed, s),
    };
    let (workload, trace, runs) = simulate(scenario, workload_seed, network_seed)?;
    let resolved = scenario.strategies_resolved();
    let windowing = windowing(&resolved)?;
    let truth = truth(&workload, windowing);
    let merging = windowing.window.is_merging();
    let metrics = runs
        .iter()
        .zip(&resolved)
        .map(|(run, s)| {
            let mode = s.pipeline.accumulation;
            let finals = final_panes(&run.panes, mode, merging).values;
            seed_metrics(&workload, &trace, run, mode, &truth, &finals)
        })
        .collect();
    Ok(Measured { metrics })
}

fn assemble(
    scenario: &Scenario,
    seeds: Range<u64>,
    normal: &[Measured],
    replays: &[Measured],
) -> anyhow::Result<ScenarioReport> {
    let resolved = scenario.strategies_resolved();
    // The first seed's own run is replay number zero.
    let replays: Vec<&Measured> = normal.iter().take(1).chain(replays).collect();
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
    let seed = representative_seed(&seeds, normal);
    let (diagram, diagram_caption) = draw_diagram(scenario, &resolved, seed)?;
    let arch_seeds = seeds.clone();
    Ok(ScenarioReport {
        name: scenario.name.clone(),
        description: scenario.description.clone(),
        pipeline: pipeline_text(&resolved),
        seeds,
        events_median: events.get(events.len() / 2).copied().unwrap_or(0),
        strategies: resolved.iter().map(info).collect(),
        summaries,
        diagram,
        diagram_caption,
        architecture: super::architecture::section(scenario, arch_seeds, seed)?,
    })
}

/// The seed whose dead-letter total (all strategies) is the median, so the
/// picture is neither the best nor the worst case; ties go to the lower seed.
fn representative_seed(seeds: &Range<u64>, normal: &[Measured]) -> u64 {
    let mut totals: Vec<(u64, u64)> = seeds
        .clone()
        .zip(normal)
        .map(|(s, m)| (m.metrics.iter().map(|x| x.dead_letters).sum(), s))
        .collect();
    totals.sort_unstable();
    totals
        .get((totals.len().saturating_sub(1)) / 2)
        .map_or(seeds.start, |t| t.1)
}

fn draw_diagram(
    scenario: &Scenario,
    resolved: &[ResolvedStrategy],
    seed: u64,
) -> anyhow::Result<(String, String)> {
    let (workload, trace, runs) = simulate(scenario, seed, seed)?;
    let truth = truth(&workload, windowing(resolved)?);
    let title = format!("{}: event time against processing time", scenario.name);
    let Some(view) = view::choose(&workload, &trace, &runs, &truth) else {
        let caption = format!("Seed {seed} produced no events to draw.");
        return Ok((diagram_empty(&title, &caption), caption));
    };
    let key_name = usize::try_from(view.key.0)
        .ok()
        .and_then(|i| workload.keys.get(i))
        .cloned()
        .unwrap_or_else(|| view.key.0.to_string());
    let keys = workload.keys.len();
    let any_dead = runs
        .iter()
        .any(|r| r.dead_letters.iter().any(|d| d.record.key == view.key));
    let why = if any_dead {
        "the one with the most dead letters"
    } else {
        "the busiest"
    };
    let caption = format!(
        "Seed {seed} (the median seed by dead letters), key `{key_name}` (of {keys}; {why}), {} window(s) from {}.",
        view.windows.len(),
        view.windows.first().map_or_else(String::new, |w| format!("event time {}", super::scale::human_ms(w.start.0 as f64))),
    );
    let panels = runs
        .iter()
        .zip(resolved)
        .map(|(run, s)| Panel {
            name: &s.name,
            subtitle: format!(
                "{} · {}",
                crate::scenario::trigger_label(&s.pipeline.trigger),
                s.pipeline.accumulation
            ),
            run,
            watermark: view::watermark_steps(run, view.worker),
        })
        .collect();
    let d = Diagram {
        title,
        caption: caption.clone(),
        arrivals: view::arrivals(&workload, &trace, &view),
        perfect: crate::workers::perfect_curve(
            &crate::network::NetConfig::from_scenario(scenario),
            &workload,
            &trace,
            view.worker,
        )?,
        view: &view,
        truth: &truth,
        panels,
    };
    Ok((diagram::draw(&d), caption))
}

fn diagram_empty(title: &str, caption: &str) -> String {
    let mut svg = super::svg::Svg::new(600.0, 80.0);
    svg.text(
        (14.0, 26.0),
        16.0,
        super::svg::Anchor::Start,
        "font-weight:bold",
        title,
    );
    svg.text((14.0, 50.0), 12.0, super::svg::Anchor::Start, "", caption);
    svg.finish(title)
}

fn info(s: &ResolvedStrategy) -> StrategyInfo {
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
