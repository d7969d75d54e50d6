//! The served view over processing time: what a client asking for a
//! (key, window) gets at time `t`, from which layer, and how far that is
//! from the truth.
//!
//! A [`Layer`] reads one run's panes in the order they became visible
//! downstream and keeps, per (key, window), the value a consumer holds
//! (discarding: panes combined; accumulating: the latest pane; retracting:
//! the latest unretracted pane). The served view is sampled on a grid of
//! processing times (plus every deployment, switch-over and batch
//! completion), so durations are exact to the grid step.

use crate::model::StrategyRun;
use crate::oracle::{combine, Results};
use std::collections::BTreeMap;
use tidemark_engine::{Accumulation, AggValue, Key, Window};

/// A value per (key, window).
pub type View = BTreeMap<(Key, Window), AggValue>;

/// Samples on the grid, at most this many besides the marked times.
pub const GRID_POINTS: i64 = 600;

/// One run's outputs, as a downstream consumer holds them at a time.
pub struct Layer<'a> {
    run: &'a StrategyRun,
    mode: Accumulation,
    next: usize,
    /// The consumer's values so far.
    pub values: View,
}

impl<'a> Layer<'a> {
    /// A consumer of `run`'s sink that has seen nothing yet.
    #[must_use]
    pub fn new(run: &'a StrategyRun, mode: Accumulation) -> Layer<'a> {
        Layer {
            run,
            mode,
            next: 0,
            values: View::new(),
        }
    }

    /// Takes in every pane visible at or before `t`.
    pub fn advance(&mut self, t: i64) {
        while let Some(p) = self.run.panes.get(self.next) {
            let at = self.run.visible_at.get(self.next).map_or(i64::MIN, |a| a.0);
            if at > t {
                return;
            }
            self.next += 1;
            let k = (p.key, p.window);
            match self.mode {
                Accumulation::Discarding => {
                    let v = match self.values.get(&k) {
                        Some(old) => combine(old, &p.value).unwrap_or_else(|| p.value.clone()),
                        None => p.value.clone(),
                    };
                    self.values.insert(k, v);
                }
                Accumulation::Accumulating => {
                    self.values.insert(k, p.value.clone());
                }
                Accumulation::AccumulatingAndRetracting => {
                    if p.retraction {
                        self.values.remove(&k);
                    } else {
                        self.values.insert(k, p.value.clone());
                    }
                }
            }
        }
    }
}

/// Where a served answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A streaming run (Kappa's v1 or v2, Lambda's speed layer), by name index.
    Stream(usize),
    /// Lambda's batch run `k` (0-based).
    Batch(usize),
}

/// One sample of the served view's distance from the truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Processing time.
    pub at: i64,
    /// Windows due by then (their end ≤ `at`) served a value other than
    /// the truth's, or nothing, plus served windows the truth lacks.
    pub wrong: u64,
    /// Windows of the truth due by then.
    pub due: u64,
}

/// The distance of `served` at `t` from `truth`: windows are due once
/// their end (event time) is at or before `t` (processing time).
#[must_use]
pub fn distance<V>(t: i64, served: &BTreeMap<(Key, Window), V>, truth: &Results) -> Point
where
    V: AsRef<AggValue>,
{
    let mut wrong = 0;
    let mut due = 0;
    for (k, cell) in truth.range(..) {
        if k.1.end.0 > t {
            continue;
        }
        due += 1;
        if served.get(k).map(AsRef::as_ref) != Some(&cell.value) {
            wrong += 1;
        }
    }
    wrong += served
        .keys()
        .filter(|k| k.1.end.0 <= t && !truth.contains_key(k))
        .count() as u64;
    Point { at: t, wrong, due }
}

/// The sample times: a regular grid over `[0, horizon]` and the `marks`.
#[must_use]
pub fn grid(horizon: i64, marks: &[i64]) -> Vec<i64> {
    let step = (horizon / GRID_POINTS).max(1000);
    let mut out: Vec<i64> = (0..=horizon / step).map(|i| i * step).collect();
    out.push(horizon);
    out.extend(
        marks
            .iter()
            .copied()
            .filter(|&m| (0..=horizon).contains(&m)),
    );
    out.sort_unstable();
    out.dedup();
    out
}

/// Processing time after `from` during which the view was wrong somewhere:
/// each sample's state holds until the next sample.
#[must_use]
pub fn wrong_ms(points: &[Point], from: i64) -> i64 {
    points
        .windows(2)
        .filter(|w| w[0].wrong > 0 && w[1].at > from)
        .map(|w| w[1].at - w[0].at.max(from))
        .sum()
}

/// A served value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The value.
    pub value: AggValue,
    /// Its layer.
    pub source: Source,
}

impl AsRef<AggValue> for Answer {
    fn as_ref(&self) -> &AggValue {
        &self.value
    }
}

/// A served view with provenance.
pub type Served = BTreeMap<(Key, Window), Answer>;

/// Every value of `layer` answered from `source`.
#[must_use]
pub fn from_layer(values: &View, source: Source) -> Served {
    values
        .iter()
        .map(|(k, v)| {
            (
                *k,
                Answer {
                    value: v.clone(),
                    source,
                },
            )
        })
        .collect()
}
