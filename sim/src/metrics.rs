//! What a trigger strategy costs and buys, measured per seed and then
//! aggregated over seeds (median and worst). Every figure the reports and
//! `run` print is defined here, once.
//!
//! The inputs are plain values: the strategy's run, the oracle's truth and
//! what a downstream consumer holds ([`crate::consumer`]: a summing sink for
//! discarding, an upsert sink for accumulating, one that also applies
//! retractions for retracting). This module does not run anything, read
//! files or format text.
//!
//! Latencies mix the two time domains on purpose: "how long after the
//! window's end (event time) did the result appear (processing time)". In
//! scenarios both are milliseconds on the same simulated clock, so the
//! difference is the wait a user of the output experiences.

use crate::consumer::{self, Change, Rows};
use crate::model::{Delivery, StrategyRun, Trace, Workload};
use std::collections::{BTreeMap, BTreeSet};
use tidemark_engine::{Accumulation, AggValue, Key, Timing, Window};

/// Values per key and window (the truth, or a consumer's answers).
pub type Values = BTreeMap<(Key, Window), AggValue>;

/// One strategy's figures for one seed.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedMetrics {
    /// Windows in the truth (key × window).
    pub windows: u64,
    /// Panes emitted (retractions not counted) per window of the truth.
    pub panes_per_window: f64,
    /// Retractions emitted.
    pub retractions: u64,
    /// Outputs (panes and retractions) per window of the truth: what the
    /// consumer must process.
    pub outputs_per_window: f64,
    /// Median over windows of the first pane's `fired_at − window end`, ms.
    pub first_latency_ms: Option<f64>,
    /// Median over windows of the time, after the window's end, at which
    /// the consumer can *know* its value is final: the window's pane marked
    /// last, or the watermark passing the end plus the allowed lateness
    /// (after which nothing more can change it), ms.
    pub known_final_latency_ms: Option<f64>,
    /// Median over windows of the `fired_at − window end` of the output
    /// after which the consumer's value no longer changed: only knowable in
    /// hindsight, ms.
    pub hindsight_latency_ms: Option<f64>,
    /// Mean over early panes of |value held − truth| / |truth|.
    pub speculative_error: Option<f64>,
    /// Share of truth windows whose first pane already equalled the truth.
    pub first_accuracy: f64,
    /// Share of windows whose final answer equals the truth ([`accuracy`]).
    pub accuracy: f64,
    /// Sum over windows of |final − truth| (a missing value counts as 0).
    pub abs_error: f64,
    /// Dead letters emitted.
    pub dead_letters: u64,
    /// Duplicate copies that reached the engine and were counted.
    pub duplicates_counted: u64,
    /// Generated events that count in no final value: lost in the network,
    /// or every delivered copy dead-lettered.
    pub events_lost: u64,
    /// Generated events.
    pub events: u64,
    /// Worker crashes.
    pub crashes: u64,
    /// Panes downstream saw more than once.
    pub downstream_duplicates: u64,
    /// Events whose log entries retention dropped before they were read.
    pub retention_lost: u64,
    /// Most entries a worker was behind the log.
    pub lag_max: u64,
    /// Final value per truth window, for the stability comparison.
    pub finals: BTreeMap<(Key, Window), Option<AggValue>>,
    /// The value of the earliest pane per truth window, likewise.
    pub firsts: BTreeMap<(Key, Window), Option<AggValue>>,
}

/// Share of windows whose final answer equals the truth, over the union of
/// the truth's windows and the consumer's (an answer for a window the truth
/// lacks is wrong, and so is a truth window with no answer).
#[must_use]
pub fn accuracy(truth: &Values, answers: &Rows) -> f64 {
    let windows: BTreeSet<&(Key, Window)> = truth.keys().chain(answers.keys()).collect();
    if windows.is_empty() {
        return 1.0;
    }
    let right = windows
        .iter()
        .filter(|kw| matches!((truth.get(**kw), answers.get(**kw)), (Some(t), Some(a)) if t == a))
        .count();
    right as f64 / windows.len() as f64
}

/// How a strategy's consumer reads its panes and when a window expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// The accumulation mode (which sink the consumer uses).
    pub accumulation: Accumulation,
    /// Allowed lateness, ms: a window expires when the watermark passes
    /// its end plus this.
    pub allowed_lateness_ms: i64,
    /// Whether windows merge (sessions): then overlapping rows are one
    /// answer.
    pub merging: bool,
}

/// Computes one seed's metrics for one strategy. `truth` is the oracle
/// over every generated event.
#[must_use]
pub fn seed_metrics(
    workload: &Workload,
    trace: &Trace,
    run: &StrategyRun,
    reading: Reading,
    truth: &Values,
) -> SeedMetrics {
    let windows = truth.len() as u64;
    let panes = run.panes.iter().filter(|p| !p.retraction).count() as u64;
    let answers = consumer::answers(&run.panes, reading.accumulation, reading.merging);
    let truth_windows: Vec<(Key, Window)> = truth.keys().copied().collect();
    let timelines = consumer::timelines_seen(
        &run.panes,
        &run.visible_at,
        reading.accumulation,
        &truth_windows,
    );
    let expiry = Expiry::new(workload, trace, run);
    let mut first_latencies = Vec::new();
    let mut known_latencies = Vec::new();
    let mut hindsight_latencies = Vec::new();
    let mut spec_errors = Vec::new();
    let mut firsts: BTreeMap<(Key, Window), AggValue> = BTreeMap::new();
    for (kw, changes) in &timelines {
        let (key, window) = *kw;
        let Some(t) = truth.get(kw) else { continue };
        let Some(first) = changes.iter().find(|c| !c.retraction) else {
            continue;
        };
        if let Some(v) = &first.value {
            firsts.insert(*kw, v.clone());
        }
        push_latency(&mut first_latencies, window, first.at);
        if let Some(at) = settled(changes) {
            push_latency(&mut hindsight_latencies, window, at);
        }
        let marked_last = changes.iter().find(|c| c.is_last).map(|c| c.at);
        let expires = expiry.at(key, window, reading.allowed_lateness_ms);
        if let Some(at) = [marked_last, expires].into_iter().flatten().min() {
            push_latency(&mut known_latencies, window, at);
        }
        for c in changes
            .iter()
            .filter(|c| c.timing == Timing::Early && !c.retraction)
        {
            spec_errors.push(relative_error(c.value.as_ref(), t));
        }
    }
    let mut abs_error = 0.0;
    for (kw, t) in truth {
        match answers.get(kw) {
            Some(f) if f == t => {}
            f => abs_error += (magnitude(f) - magnitude(Some(t))).abs(),
        }
    }
    // An answer the truth doesn't know (a window the batch job never
    // formed) is all error.
    for (kw, f) in &answers {
        if !truth.contains_key(kw) {
            abs_error += magnitude(Some(f)).abs();
        }
    }
    SeedMetrics {
        windows,
        panes_per_window: ratio(panes as f64, windows as f64),
        retractions: run.panes.iter().filter(|p| p.retraction).count() as u64,
        outputs_per_window: ratio(run.panes.len() as f64, windows as f64),
        first_latency_ms: median(&mut first_latencies),
        known_final_latency_ms: median(&mut known_latencies),
        hindsight_latency_ms: median(&mut hindsight_latencies),
        speculative_error: mean(&spec_errors),
        first_accuracy: ratio(
            firsts
                .iter()
                .filter(|(kw, v)| truth.get(kw) == Some(v))
                .count() as f64,
            windows as f64,
        ),
        accuracy: accuracy(truth, &answers),
        abs_error,
        dead_letters: run.dead_letters.len() as u64,
        duplicates_counted: run.duplicates_counted,
        events_lost: events_lost(trace, run),
        events: workload.events.len() as u64,
        crashes: run.recovery.crashes,
        downstream_duplicates: run.recovery.downstream_duplicates,
        retention_lost: {
            let lost: BTreeSet<u64> = run
                .recovery
                .retention_missed
                .iter()
                .filter_map(|&(d, _)| match trace.deliveries.get(d) {
                    Some(crate::model::Delivery::Record { event, .. }) => Some(*event),
                    _ => None,
                })
                .collect();
            lost.len() as u64
        },
        lag_max: run.recovery.lag_max,
        finals: truth
            .keys()
            .map(|kw| (*kw, answers.get(kw).cloned()))
            .collect(),
        firsts: truth
            .keys()
            .map(|kw| (*kw, firsts.get(kw).cloned()))
            .collect(),
    }
}

/// When each window expires: the first processing time at which the
/// watermark of the worker holding its key reached `end + lateness`.
#[derive(Debug, Clone, Default)]
pub struct Expiry {
    /// Worker per key (the worker its first record reached).
    worker: BTreeMap<Key, u32>,
    /// Per worker, (processing time, highest watermark so far).
    marks: BTreeMap<u32, Vec<(i64, i64)>>,
}

impl Expiry {
    /// Reads workers off the trace and watermarks off the run.
    #[must_use]
    pub fn new(workload: &Workload, trace: &Trace, run: &StrategyRun) -> Expiry {
        let mut worker = BTreeMap::new();
        // Keys already placed, by key index: a map lookup per delivery was
        // a few percent of a 10M-event run, and only a key's first record
        // counts.
        let mut placed = vec![false; workload.keys.len()];
        for d in &trace.deliveries {
            if let Delivery::Record {
                worker: w, event, ..
            } = *d
            {
                let key = usize::try_from(event)
                    .ok()
                    .and_then(|i| workload.events.get(i))
                    .map(|e| e.key);
                if let Some(key) = key {
                    if let Some(p) = usize::try_from(key).ok().and_then(|k| placed.get_mut(k)) {
                        if *p {
                            continue;
                        }
                        *p = true;
                    }
                    worker.entry(Key(key)).or_insert(w);
                }
            }
        }
        let mut marks: BTreeMap<u32, Vec<(i64, i64)>> = BTreeMap::new();
        for &(at, w, wm) in &run.watermarks {
            let m = marks.entry(w).or_default();
            let high = m.last().map_or(wm.0, |l| l.1.max(wm.0));
            m.push((at.0, high));
        }
        Expiry { worker, marks }
    }

    /// The processing time `window` of `key` expired, if it did.
    #[must_use]
    pub fn at(&self, key: Key, window: Window, lateness_ms: i64) -> Option<i64> {
        if window == Window::GLOBAL {
            return None;
        }
        let target = window.end.0.saturating_add(lateness_ms);
        let reached = |marks: &Vec<(i64, i64)>| {
            let i = marks.partition_point(|m| m.1 < target);
            marks.get(i).map(|m| m.0)
        };
        match self.worker.get(&key) {
            Some(w) => self.marks.get(w).and_then(reached),
            // Unknown worker: the latest of every worker's passing.
            None => self
                .marks
                .values()
                .map(reached)
                .collect::<Option<Vec<i64>>>()
                .and_then(|v| v.into_iter().max()),
        }
    }
}

/// The time of the output after which the consumer's value never changed
/// again (`None` when it ends holding nothing).
fn settled(changes: &[Change]) -> Option<i64> {
    let last = changes.last()?;
    last.value.as_ref()?;
    let from = changes
        .iter()
        .rposition(|c| c.value != last.value)
        .map_or(0, |i| i + 1);
    changes.get(from).map(|c| c.at)
}

fn push_latency(out: &mut Vec<f64>, window: Window, fired_at: i64) {
    // The global window never ends: there is no "after the end" to measure.
    if window != Window::GLOBAL {
        out.push(fired_at as f64 - window.end.0 as f64);
    }
}

/// A value as one number: the aggregate itself, or for `collect` how many
/// values it holds. A missing value is 0.
#[must_use]
pub fn magnitude(v: Option<&AggValue>) -> f64 {
    match v {
        None => 0.0,
        Some(AggValue::Collect(vs)) => vs.len() as f64,
        Some(v) => v.as_f64().unwrap_or(0.0),
    }
}

/// |seen − truth| / |truth|, with a truth of 0 treated as 1 so that an
/// early pane of a window whose truth is 0 still shows its absolute error.
fn relative_error(seen: Option<&AggValue>, truth: &AggValue) -> f64 {
    let t = magnitude(Some(truth));
    (magnitude(seen) - t).abs() / t.abs().max(1.0)
}

/// Events that count nowhere: lost in the network, or delivered but every
/// copy dead-lettered.
fn events_lost(trace: &Trace, run: &StrategyRun) -> u64 {
    // Per dead-lettered event: (copies refused, copies delivered). Only
    // those events' copies are counted (a map of every delivered event
    // was a 10M-event run's largest transient, about 27 bytes per event).
    let mut refused: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for dl in &run.dead_letters {
        refused.entry(dl.record.id).or_default().0 += 1;
    }
    if !refused.is_empty() {
        for d in &trace.deliveries {
            if let Delivery::Record { event, .. } = d {
                if let Some(r) = refused.get_mut(event) {
                    r.1 += 1;
                }
            }
        }
    }
    let dead = refused
        .values()
        .filter(|&&(n, copies)| copies > 0 && n >= copies)
        .count() as u64;
    trace.undelivered.len() as u64 + dead
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// The median (mean of the two middle values for an even count).
fn median(xs: &mut [f64]) -> Option<f64> {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(xs[n / 2]),
        _ => Some((xs[n / 2 - 1] + xs[n / 2]) / 2.0),
    }
}

/// Which way is worse, for [`Agg::worst`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worse {
    /// Larger is worse (latency, error, cost).
    Higher,
    /// Smaller is worse (accuracy).
    Lower,
}

/// A figure over seeds: the median seed and the worst seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Agg {
    /// Median over seeds.
    pub median: f64,
    /// Worst seed.
    pub worst: f64,
}

impl Agg {
    /// Median and worst of `xs`; `None` when no seed had the figure.
    #[must_use]
    pub fn of(xs: impl IntoIterator<Item = f64>, worse: Worse) -> Option<Agg> {
        let mut xs: Vec<f64> = xs.into_iter().collect();
        let median = median(&mut xs)?;
        let worst = match worse {
            Worse::Higher => xs.last(),
            Worse::Lower => xs.first(),
        };
        worst.map(|&worst| Agg { median, worst })
    }
}

/// One strategy's figures over all seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategySummary {
    /// The strategy's name.
    pub name: String,
    /// Seeds aggregated.
    pub seeds: u64,
    /// Panes per window.
    pub panes_per_window: Agg,
    /// First-pane latency, ms (None: no window had a pane).
    pub first_latency_ms: Option<Agg>,
    /// Latency until the consumer can know the value is final, ms.
    pub known_final_latency_ms: Option<Agg>,
    /// Latency of the output after which the value never changed (known
    /// only in hindsight), ms.
    pub hindsight_latency_ms: Option<Agg>,
    /// Retractions per seed.
    pub retractions: Agg,
    /// Outputs (panes and retractions) per window.
    pub outputs_per_window: Agg,
    /// Speculative error of early panes (None: no early panes).
    pub speculative_error: Option<Agg>,
    /// Share of windows whose first pane was already right.
    pub first_accuracy: Agg,
    /// Share of windows whose final value is right.
    pub accuracy: Agg,
    /// Total absolute error of final values.
    pub abs_error: Agg,
    /// Dead letters.
    pub dead_letters: Agg,
    /// Duplicates counted.
    pub duplicates_counted: Agg,
    /// Share of generated events lost.
    pub lost_fraction: Agg,
    /// Share of windows whose final value was the same in every replay of
    /// the same events through different seeds' networks.
    pub stability: f64,
    /// Likewise for the first pane.
    pub stability_first: f64,
    /// Worker crashes per seed.
    pub crashes: Agg,
    /// Panes downstream saw more than once.
    pub downstream_duplicates: Agg,
    /// Events lost to retention.
    pub retention_lost: Agg,
    /// Most entries a worker was behind the log.
    pub lag_max: Agg,
}

/// Aggregates one strategy's per-seed metrics (one entry per seed, at
/// least one). `replays` are runs of the *same* events through different
/// seeds' networks; stability is measured on them, since with fresh events
/// per seed no two seeds share a truth to agree on.
#[must_use]
pub fn summarize(name: &str, seeds: &[SeedMetrics], replays: &[SeedMetrics]) -> StrategySummary {
    let agg = |f: fn(&SeedMetrics) -> f64, worse| {
        Agg::of(seeds.iter().map(f), worse).unwrap_or(Agg {
            median: 0.0,
            worst: 0.0,
        })
    };
    let agg_opt =
        |f: fn(&SeedMetrics) -> Option<f64>, worse| Agg::of(seeds.iter().filter_map(f), worse);
    StrategySummary {
        name: name.to_string(),
        seeds: seeds.len() as u64,
        panes_per_window: agg(|m| m.panes_per_window, Worse::Higher),
        first_latency_ms: agg_opt(|m| m.first_latency_ms, Worse::Higher),
        known_final_latency_ms: agg_opt(|m| m.known_final_latency_ms, Worse::Higher),
        hindsight_latency_ms: agg_opt(|m| m.hindsight_latency_ms, Worse::Higher),
        retractions: agg(|m| m.retractions as f64, Worse::Higher),
        outputs_per_window: agg(|m| m.outputs_per_window, Worse::Higher),
        speculative_error: agg_opt(|m| m.speculative_error, Worse::Higher),
        first_accuracy: agg(|m| m.first_accuracy, Worse::Lower),
        accuracy: agg(|m| m.accuracy, Worse::Lower),
        abs_error: agg(|m| m.abs_error, Worse::Higher),
        dead_letters: agg(|m| m.dead_letters as f64, Worse::Higher),
        duplicates_counted: agg(|m| m.duplicates_counted as f64, Worse::Higher),
        lost_fraction: agg(
            |m| ratio(m.events_lost as f64, m.events as f64),
            Worse::Higher,
        ),
        stability: stability(replays, |m| &m.finals),
        stability_first: stability(replays, |m| &m.firsts),
        crashes: agg(|m| m.crashes as f64, Worse::Higher),
        downstream_duplicates: agg(|m| m.downstream_duplicates as f64, Worse::Higher),
        retention_lost: agg(|m| m.retention_lost as f64, Worse::Higher),
        lag_max: agg(|m| m.lag_max as f64, Worse::Higher),
    }
}

type PerWindow = BTreeMap<(Key, Window), Option<AggValue>>;

/// Share of windows (over the union of every run's truth windows) whose
/// value, as `pick` reads it, is present and identical in every run.
fn stability(runs: &[SeedMetrics], pick: fn(&SeedMetrics) -> &PerWindow) -> f64 {
    let all: BTreeSet<&(Key, Window)> = runs.iter().flat_map(|m| pick(m).keys()).collect();
    let value = |m: &SeedMetrics, kw: &(Key, Window)| pick(m).get(kw).cloned().flatten();
    let stable = all
        .iter()
        .filter(|kw| {
            let first = runs.first().and_then(|m| value(m, kw));
            first.is_some() && runs.iter().all(|m| value(m, kw) == first)
        })
        .count();
    ratio(stable as f64, all.len() as f64)
}

#[cfg(test)]
mod tests;
