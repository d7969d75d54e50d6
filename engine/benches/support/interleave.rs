//! The one measurement back end for every ratio the benchmarks print.
//!
//! A ratio measured as "all engine samples, then all baseline samples" is
//! only as good as the machine is steady: on a shared two-core box another
//! process can slow one half and not the other (the baseline has measured
//! anywhere from 87 to 290 M events/s on the same machine). So samples are
//! interleaved, A, B, A, B, …, each ratio is taken within one adjacent pair,
//! and the table reports the median of those per-pair ratios with their
//! spread (quartiles and extremes), beside the baseline's own figure so a
//! reader can tell a slow machine from a slow engine.
//!
//! Each side is repeated enough times per sample to last at least
//! [`MIN_SAMPLE_SECS`], calibrated once, so that a baseline that finishes in
//! two milliseconds is not one timer tick and one context switch away from
//! a wrong ratio.
//!
//! This file is shared: `sim/benches/sim.rs` includes it by path, so the
//! engine and the simulation benches measure ratios the same way.
#![allow(dead_code)] // each bench uses the part it needs
#![allow(clippy::disallowed_methods)] // a benchmark measures wall time by design

use std::hint::black_box;
use std::time::Instant;

/// Each timed sample lasts at least this long (repeating the work).
pub const MIN_SAMPLE_SECS: f64 = 0.05;

/// Interleaved pairs per comparison unless `--pairs N` says otherwise; odd,
/// so the median is one measured pair.
pub const DEFAULT_PAIRS: usize = 11;

/// One comparison: `a` (the system measured) against `b` (its baseline).
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Work items (events, seeds…) per run of either side.
    pub items: f64,
    /// Median items/s of `a`.
    pub a_rate: f64,
    /// Median items/s of `b`.
    pub b_rate: f64,
    /// Per-pair `a_rate / b_rate`, sorted ascending.
    pub ratios: Vec<f64>,
}

impl Comparison {
    /// The median per-pair ratio.
    pub fn median(&self) -> f64 {
        quantile(&self.ratios, 0.5)
    }
    /// First and third quartile of the per-pair ratios.
    pub fn iqr(&self) -> (f64, f64) {
        (quantile(&self.ratios, 0.25), quantile(&self.ratios, 0.75))
    }
    /// Smallest and largest per-pair ratio.
    pub fn range(&self) -> (f64, f64) {
        (
            self.ratios.first().copied().unwrap_or(f64::NAN),
            self.ratios.last().copied().unwrap_or(f64::NAN),
        )
    }
}

/// Linear-interpolated quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    quantile(&v, 0.5)
}

/// Seconds for `reps` runs of `f`.
fn time(reps: usize, f: &mut impl FnMut() -> u64) -> f64 {
    let t = Instant::now();
    for _ in 0..reps {
        black_box(f());
    }
    t.elapsed().as_secs_f64()
}

/// Runs of `f` per sample so a sample lasts [`MIN_SAMPLE_SECS`]; the first
/// (untimed) call also warms caches and the allocator.
fn calibrate(f: &mut impl FnMut() -> u64) -> usize {
    black_box(f());
    let one = time(1, f).max(1e-9);
    ((MIN_SAMPLE_SECS / one).ceil() as usize).max(1)
}

/// Measures `a` against `b` over `pairs` interleaved pairs of samples; each
/// run of either side processes `items` items.
pub fn compare(
    pairs: usize,
    items: f64,
    mut a: impl FnMut() -> u64,
    mut b: impl FnMut() -> u64,
) -> Comparison {
    let (reps_a, reps_b) = (calibrate(&mut a), calibrate(&mut b));
    let mut a_rates = Vec::with_capacity(pairs);
    let mut b_rates = Vec::with_capacity(pairs);
    let mut ratios = Vec::with_capacity(pairs);
    for _ in 0..pairs.max(1) {
        let ra = items * reps_a as f64 / time(reps_a, &mut a);
        let rb = items * reps_b as f64 / time(reps_b, &mut b);
        a_rates.push(ra);
        b_rates.push(rb);
        ratios.push(ra / rb);
    }
    ratios.sort_by(f64::total_cmp);
    Comparison {
        items,
        a_rate: median(a_rates),
        b_rate: median(b_rates),
        ratios,
    }
}

/// A figure with no baseline of its own (seeds/s): `samples` timed samples
/// of `f`, returned as (median, first quartile, third quartile) items/s.
pub fn alone(samples: usize, items: f64, mut f: impl FnMut() -> u64) -> (f64, f64, f64) {
    let reps = calibrate(&mut f);
    let mut rates: Vec<f64> = (0..samples.max(1))
        .map(|_| items * reps as f64 / time(reps, &mut f))
        .collect();
    rates.sort_by(f64::total_cmp);
    (
        quantile(&rates, 0.5),
        quantile(&rates, 0.25),
        quantile(&rates, 0.75),
    )
}

/// `--pairs N` from the command line, else [`DEFAULT_PAIRS`].
pub fn pairs_arg(args: &[String]) -> usize {
    num_arg(args, "--pairs")
        .filter(|&n: &usize| n > 0)
        .unwrap_or(DEFAULT_PAIRS)
}

/// The number after `flag` on the command line, `None` when the flag is
/// absent or what follows it doesn't parse.
pub fn num_arg<T: std::str::FromStr>(args: &[String], flag: &str) -> Option<T> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
}

/// The table header; `what` names the measured side ("engine",
/// "tidemark"), `unit` the rate ("M ev/s").
pub fn header(what: &str, unit: &str) {
    println!(
        "| case | baseline | {what} {unit} | baseline {unit} | ratio (median) | IQR | min–max | pairs |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
}

/// One table row; rates are divided by `scale` (1e6 for M ev/s).
pub fn row(case: &str, baseline: &str, c: &Comparison, scale: f64) {
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    let (q1, q3) = c.iqr();
    let (lo, hi) = c.range();
    println!(
        "| {case} | {baseline} | {:.2} | {:.2} | {} | {}–{} | {}–{} | {} |",
        c.a_rate / scale,
        c.b_rate / scale,
        pct(c.median()),
        pct(q1),
        pct(q3),
        pct(lo),
        pct(hi),
        c.ratios.len()
    );
}
