//! The architecture invariants, checked on every run and in sweeps, each
//! failure with its first counterexample:
//!
//! - `kappa_replay_matches_truth`: after a completed replay (serving has
//!   switched to v2), the served results at the end equal v2's truth
//!   restricted to retained data (every appended copy but the entries v2
//!   reported missed, minus v2's dead letters), computed by the oracle.
//! - `lambda_batch_matches_batch_logic`: when a batch run completes, the
//!   served results of the windows it covers equal the batch logic's truth
//!   over what was appended by its cutoff, computed by the oracle rather
//!   than by the batch fold.
//! - `served_from_seen_layer`: the served view never answers from a layer
//!   that has not seen the window: a batch answer comes from a completed
//!   batch whose cutoff is at or after the window's end, a streaming answer
//!   from a run that made a pane of that window visible by then, and v2
//!   answers only after the switch.

use super::kappa::{self, Kappa};
use super::lambda::{self, Lambda};
use super::served::{Served, Source};
use crate::invariants::Counterexample;
use crate::model::{StrategyRun, Workload};
use crate::oracle::Results;
use crate::run::Simulation;
use std::collections::BTreeMap;
use tidemark_engine::{AggValue, Key, Window};

/// An architecture invariant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ArchInvariant {
    /// Kappa, after the switch: served == v2's truth on retained data.
    KappaReplayMatchesTruth,
    /// Lambda, after each batch: served covered windows == batch logic's truth.
    LambdaBatchMatchesBatchLogic,
    /// No answer from a layer that has not seen the window.
    ServedFromSeenLayer,
}

impl ArchInvariant {
    /// Its name in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ArchInvariant::KappaReplayMatchesTruth => "kappa_replay_matches_truth",
            ArchInvariant::LambdaBatchMatchesBatchLogic => "lambda_batch_matches_batch_logic",
            ArchInvariant::ServedFromSeenLayer => "served_from_seen_layer",
        }
    }
}

/// One invariant's verdict: `None` held (or did not apply), else the first
/// counterexample.
pub type Verdicts = Vec<(ArchInvariant, &'static str, Option<Counterexample>)>;

fn key_name(w: &Workload, k: Key) -> Option<String> {
    usize::try_from(k.0)
        .ok()
        .and_then(|i| w.keys.get(i))
        .cloned()
        .or_else(|| Some(format!("#{}", k.0)))
}

fn show(v: Option<&AggValue>) -> String {
    v.map_or_else(|| "nothing".to_string(), ToString::to_string)
}

/// A (key, window) with its expected and served values.
type Difference = ((Key, Window), Option<AggValue>, Option<AggValue>);

/// A served value that differs from `truth`, with the truth's events.
fn difference(
    sim: &Simulation,
    what: String,
    (kw, expected, served): Difference,
    truth: &Results,
) -> Counterexample {
    Counterexample {
        what,
        key: key_name(&sim.workload, kw.0),
        window: Some(kw.1),
        expected: Some(show(expected.as_ref())),
        actual: Some(show(served.as_ref())),
        events: truth
            .get(&kw)
            .map(|c| {
                c.events
                    .iter()
                    .copied()
                    .take(crate::invariants::EVENTS_SHOWN_MAX)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The first (key, window) where `served` (restricted by `keep`) and
/// `expected` differ.
fn first_difference(
    served: &Served,
    expected: &Results,
    keep: impl Fn(&(Key, Window)) -> bool,
) -> Option<Difference> {
    let mut all: Vec<&(Key, Window)> = served.keys().chain(expected.keys()).collect();
    all.sort();
    all.dedup();
    all.into_iter().filter(|k| keep(k)).find_map(|k| {
        let s = served.get(k).map(|a| a.value.clone());
        let e = expected.get(k).map(|c| c.value.clone());
        (s != e).then_some((*k, e, s))
    })
}

/// Kappa's checks.
pub fn kappa(sim: &Simulation, k: &Kappa) -> Verdicts {
    let mut out = Vec::new();
    let replay = match (k.figures.switch_at, k.served.last()) {
        (Some(_), Some((t, served))) => {
            let truth = kappa::retained_truth(
                &sim.workload,
                &sim.trace,
                &k.v2_run,
                k.v2_dedup,
                k.v2_windowing,
            );
            first_difference(served, &truth, |_| true).map(|d| {
                difference(
                    sim,
                    format!(
                        "after the switch to {} the served view at {t}ms differs from its truth on retained data",
                        k.figures.v2
                    ),
                    d,
                    &truth,
                )
            })
        }
        _ => None,
    };
    out.push((ArchInvariant::KappaReplayMatchesTruth, "kappa", replay));
    let runs = [&sim.runs[0], &k.v2_run];
    // v1 is the serving run, not necessarily runs[0].
    let v1 = sim
        .runs
        .iter()
        .find(|r| r.strategy == k.figures.v1)
        .unwrap_or(runs[0]);
    let seen = [first_visible(v1), first_visible(&k.v2_run)];
    let mut bad = None;
    for (t, served) in &k.served {
        for (kw, a) in served {
            let ok = match a.source {
                Source::Stream(i) => {
                    seen.get(i)
                        .and_then(|m| m.get(kw))
                        .is_some_and(|&at| at <= *t)
                        && (i == 0 || k.figures.switch_at.is_some_and(|s| s <= *t))
                }
                Source::Batch(_) => false,
            };
            if !ok {
                bad = Some(layer_counterexample(sim, *t, *kw, a.source, "kappa"));
                break;
            }
        }
        if bad.is_some() {
            break;
        }
    }
    out.push((ArchInvariant::ServedFromSeenLayer, "kappa", bad));
    out
}

/// Lambda's checks.
pub fn lambda(sim: &Simulation, l: &Lambda, speed: &StrategyRun) -> Verdicts {
    let mut out = Vec::new();
    let mut bad = None;
    for b in &l.figures.batches {
        let Some((t, served)) = l.served.iter().find(|(t, _)| *t == b.completed) else {
            continue;
        };
        let truth = lambda::batch_logic_truth(sim, &l.logic, b.started);
        if let Some(d) = first_difference(served, &truth, |kw| kw.1.end.0 <= b.started) {
            bad = Some(difference(
                sim,
                format!(
                    "when the batch of {}ms completed ({t}ms) a window it covers is served unlike the batch logic's truth",
                    b.started
                ),
                d,
                &truth,
            ));
            break;
        }
    }
    out.push((ArchInvariant::LambdaBatchMatchesBatchLogic, "lambda", bad));
    let seen = first_visible(speed);
    let mut bad = None;
    'outer: for (t, served) in &l.served {
        for (kw, a) in served {
            let ok = match a.source {
                Source::Stream(_) => seen.get(kw).is_some_and(|&at| at <= *t),
                Source::Batch(i) => l
                    .figures
                    .batches
                    .get(i)
                    .is_some_and(|b| b.completed <= *t && kw.1.end.0 <= b.started),
            };
            if !ok {
                bad = Some(layer_counterexample(sim, *t, *kw, a.source, "lambda"));
                break 'outer;
            }
        }
    }
    out.push((ArchInvariant::ServedFromSeenLayer, "lambda", bad));
    out
}

/// When each (key, window) first had a pane visible in `run`.
fn first_visible(run: &StrategyRun) -> BTreeMap<(Key, Window), i64> {
    let mut m = BTreeMap::new();
    for (p, at) in run.panes.iter().zip(&run.visible_at) {
        m.entry((p.key, p.window)).or_insert(at.0);
    }
    m
}

fn layer_counterexample(
    sim: &Simulation,
    t: i64,
    kw: (Key, Window),
    source: Source,
    arch: &str,
) -> Counterexample {
    let layer = match source {
        Source::Stream(0) => "the streaming run v1 / the speed layer".to_string(),
        Source::Stream(_) => "the reprocessing run v2".to_string(),
        Source::Batch(i) => format!("batch run {}", i + 1),
    };
    Counterexample {
        what: format!(
            "{arch}: at {t}ms the served view answered from {layer}, which had not seen the window"
        ),
        key: key_name(&sim.workload, kw.0),
        window: Some(kw.1),
        ..Counterexample::default()
    }
}
