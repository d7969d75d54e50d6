//! `shrink`: minimise a failing seed to a small regression scenario that
//! needs no seed.
//!
//! Three stages, each keeping a simplification only when the run still
//! fails the same check of the same strategy ([`Failure::signature`]):
//!
//! 1. Scenario level (QuickCheck-style, greedy, the seed fixed): fewer
//!    strategies, a shorter duration, fewer or slower sources, fewer keys,
//!    fewer faults. Every random decision draws from a labelled stream, so
//!    a smaller scenario replays most of the same decisions. Cheap cuts of
//!    thousands of events.
//! 2. Recording ([`record`]): the seeded run's events, each message
//!    attempt's fate and the drawn crashes, written out as a scenario with
//!    `events:`, which replays identically under any seed.
//! 3. Event level ([`events`]): delta debugging over that script: cut
//!    sources, keys and events, give messages the plain fate, drop faults.
//!
//! Deterministic: no randomness, no clock, a fixed order of candidates
//! and a run budget. Every candidate goes through YAML and
//! `scenario::parse`, so only valid scenarios are tried and the file
//! written is one `load` accepts.

mod events;
pub mod record;
mod write;

pub use write::write_regression;

use crate::run::{run_seed_with, Failure};
use crate::scenario::{self, Dur, KeysSpec, NetworkSpec, Scenario};
use std::path::Path;

/// Runs tried at most by the scenario-level stage.
pub const RUNS_MAX: u32 = 200;

/// Runs tried at most by the event-level stage.
pub const EVENT_RUNS_MAX: u32 = 600;

/// Largest recorded script the event-level stage takes on: every candidate
/// goes through YAML, so beyond this the seeded scenario is kept (the
/// scenario-level stage normally cuts far below it).
pub const EVENTS_LISTED_MAX: usize = 50_000;

/// The outcome of shrinking.
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The smallest failing scenario found: with `events:` when the
    /// recorded script still failed the same way.
    pub scenario: Scenario,
    /// How it fails (same strategy and check as the original).
    pub failure: Failure,
    /// How the original seed failed.
    pub original_failure: Failure,
    /// Events the original seed generated.
    pub original_events: usize,
    /// The simplifications kept, in order.
    pub steps: Vec<String>,
    /// Runs tried.
    pub runs: u32,
}

impl Shrunk {
    /// Events in the shrunk scenario (listed, or generated at `seed`).
    #[must_use]
    pub fn events(&self, seed: u64) -> usize {
        match &self.scenario.events {
            Some(e) => e.len(),
            None => crate::workload::generate(&self.scenario, seed).events.len(),
        }
    }
}

/// Runs candidates for one target failure, within a budget, counting runs
/// and keeping the list of simplifications that held.
pub(crate) struct Search {
    seed: u64,
    determinism: bool,
    target: (Option<String>, String),
    runs: u32,
    budget: u32,
    steps: Vec<String>,
}

impl Search {
    /// Runs `candidate` (if valid and within budget); `Some` with its
    /// failure when it fails the target's way, recording `step`.
    fn try_candidate(&mut self, candidate: &Scenario, step: String) -> Option<Failure> {
        if self.spent() {
            return None;
        }
        let candidate = revalidate(candidate)?;
        self.runs += 1;
        // A candidate the simulation rejects is simply not smaller.
        let f = first_failure_matching(&candidate, self.seed, self.determinism, &self.target)
            .ok()
            .flatten()?;
        self.steps.push(step);
        Some(f)
    }

    fn spent(&self) -> bool {
        self.runs >= self.budget
    }

    fn kept(&self) -> usize {
        self.steps.len()
    }
}

/// Shrinks `original` at `seed`. `Ok(None)` when the seed doesn't fail.
pub fn shrink(original: &Scenario, seed: u64) -> anyhow::Result<Option<Shrunk>> {
    let Some(failure) = first_failure(original, seed, true)? else {
        return Ok(None);
    };
    let determinism = failure.check == "deterministic";
    let mut search = Search {
        seed,
        determinism,
        target: failure.signature(),
        runs: 1,
        budget: RUNS_MAX,
        steps: Vec::new(),
    };
    let (mut current, mut now_failing) = scenario_level(original, failure.clone(), &mut search);
    // Determinism is a property of the seeded machinery, not of the
    // decisions: a script cannot show it.
    if !determinism {
        let explicit = match current.events {
            Some(_) => Some(current.clone()),
            None => record::explicit(&current, seed).ok(),
        }
        .filter(|e| e.events.as_ref().map_or(0, Vec::len) <= EVENTS_LISTED_MAX);
        search.budget = search.runs + EVENT_RUNS_MAX;
        let step = match original.events {
            Some(_) => "listed events as given",
            None => "recorded the seed's events, fates and crashes",
        };
        let replayed = explicit
            .as_ref()
            .and_then(|e| search.try_candidate(e, step.into()));
        match (explicit, replayed) {
            (Some(e), Some(f)) => {
                (current, now_failing) = events::minimise(e, f, &mut search);
            }
            _ => search.steps.push(format!(
                "(the recorded events and fates did not fail the same way, or were more than \
                 {EVENTS_LISTED_MAX} events: kept the seeded scenario)"
            )),
        }
    }
    Ok(Some(Shrunk {
        scenario: current,
        failure: now_failing,
        original_events: crate::workload::generate(original, seed).events.len(),
        original_failure: failure,
        steps: search.steps,
        runs: search.runs,
    }))
}

/// Stage 1: greedy scenario-level simplification with the seed fixed.
fn scenario_level(
    original: &Scenario,
    failure: Failure,
    search: &mut Search,
) -> (Scenario, Failure) {
    let mut current = (original.clone(), failure);
    'outer: while !search.spent() {
        let strategy = search.target.0.clone();
        for (step, candidate) in candidates(&current.0, strategy.as_deref()) {
            if search.spent() {
                break 'outer;
            }
            if let Some(f) = search.try_candidate(&candidate, step) {
                current = (candidate, f);
                continue 'outer;
            }
        }
        break;
    }
    current
}

fn first_failure(s: &Scenario, seed: u64, determinism: bool) -> anyhow::Result<Option<Failure>> {
    let (report, _) = run_seed_with(s, seed, determinism)?;
    Ok(report.failures.into_iter().next())
}

fn first_failure_matching(
    s: &Scenario,
    seed: u64,
    determinism: bool,
    target: &(Option<String>, String),
) -> anyhow::Result<Option<Failure>> {
    let (report, _) = run_seed_with(s, seed, determinism)?;
    Ok(report
        .failures
        .into_iter()
        .find(|f| f.signature() == *target))
}

/// The candidate as `load` would read it back, or `None` if it's invalid.
fn revalidate(s: &Scenario) -> Option<Scenario> {
    let text = s.to_yaml().ok()?;
    scenario::parse(&text, Path::new("<shrink candidate>")).ok()
}

/// One-step simplifications of `s`, most effective first.
fn candidates(s: &Scenario, strategy: Option<&str>) -> Vec<(String, Scenario)> {
    let mut out = Vec::new();
    let mut push = |what: String, f: &dyn Fn(&mut Scenario)| {
        let mut c = s.clone();
        f(&mut c);
        if c != *s {
            out.push((what, c));
        }
    };
    if let Some(name) = strategy {
        if s.strategies.len() > 1 {
            push(format!("kept only strategy {name}"), &|c| {
                c.strategies.retain(|st| st.name == name)
            });
        }
    }
    for (num, den) in [(1, 4), (1, 2), (3, 4)] {
        let ms = s.duration.ms() * num / den;
        if ms >= 1000 {
            push(format!("duration {ms}ms"), &|c| c.duration = Dur(ms));
        }
    }
    workload_candidates(s, &mut push);
    network_candidates(s, &mut push);
    out
}

type Push<'a> = dyn FnMut(String, &dyn Fn(&mut Scenario)) + 'a;

fn workload_candidates(s: &Scenario, push: &mut Push<'_>) {
    let groups = &s.workload.sources;
    for (i, g) in groups.iter().enumerate() {
        if groups.len() > 1 {
            push(format!("removed source group {}", g.name), &|c| {
                c.workload.sources.remove(i);
            });
        }
        if g.count > 1 {
            push(format!("source group {} down to 1 source", g.name), &|c| {
                c.workload.sources[i].count = 1
            });
            let half = g.count / 2;
            push(
                format!("source group {} down to {half} sources", g.name),
                &|c| c.workload.sources[i].count = half,
            );
        }
        if g.rate > 0.5 {
            let rate = g.rate / 2.0;
            push(format!("source group {} at rate {rate}", g.name), &|c| {
                c.workload.sources[i].rate = rate
            });
        }
        for j in 0..g.offline.len() {
            push(format!("removed offline period {j} of {}", g.name), &|c| {
                c.workload.sources[i].offline.remove(j);
            });
        }
        for j in 0..g.bursts.len() {
            push(format!("removed burst {j} of {}", g.name), &|c| {
                c.workload.sources[i].bursts.remove(j);
            });
        }
    }
    let keys = s.workload.keys.names().len();
    for n in [1, keys / 2] {
        if n >= 1 && n < keys {
            push(format!("{n} keys"), &|c| {
                c.workload.keys = KeysSpec::Count(n as u32)
            });
        }
    }
}

fn network_candidates(s: &Scenario, push: &mut Push<'_>) {
    let n = &s.network;
    if *n != NetworkSpec::default() {
        push("a perfect network".into(), &|c| {
            c.network = NetworkSpec::default()
        });
    }
    for i in 0..n.partitions.len() {
        push(format!("removed partition {i}"), &|c| {
            c.network.partitions.remove(i);
        });
    }
    for i in 0..n.holds.len() {
        push(format!("removed hold {i}"), &|c| {
            c.network.holds.remove(i);
        });
    }
    if !n.links.is_empty() {
        push("removed link overrides".into(), &|c| {
            c.network.links.clear()
        });
    }
    if n.loss > 0.0 {
        push("no message loss".into(), &|c| c.network.loss = 0.0);
    }
    if n.retry.is_some() {
        push("no retries".into(), &|c| c.network.retry = None);
    }
    if n.latency != Default::default() {
        push("zero latency".into(), &|c| {
            c.network.latency = Default::default()
        });
    }
}
