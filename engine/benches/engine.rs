//! Engine throughput against a minimal hand-written hash aggregation.
//!
//! Every engine figure is reported beside a baseline measured in the same
//! run over the same events: a loop that adds each value into a hash map
//! keyed by (key, window start) and flushes closed windows as the watermark
//! moves. The ratio engine/baseline is what to compare across machines.
//!
//! `cargo bench -p tidemark-engine` runs the criterion groups;
//! `cargo bench -p tidemark-engine -- --ratios [--case NAME]` prints only the
//! ratio table (optionally for the cases whose name contains NAME).
#![allow(clippy::disallowed_methods)] // a benchmark measures wall time by design

use criterion::{black_box, criterion_group, BenchmarkId, Criterion, Throughput};
use rustc_hash::FxHashMap;
use std::time::Instant;
use tidemark_engine::{
    Accumulation, Aggregate, Duration, Engine, EngineConfig, EventTime, Key, OnTimeBehavior,
    Pipeline, ProcTime, Record, TimestampCombiner, Trigger, WindowFn,
};

/// One-minute windows at one event per millisecond: with 1K keys, about 60
/// events per key and window; with 1M keys, most key-windows hold one event.
const WINDOW: i64 = 60_000;
/// The watermark moves (perfectly) every this many events.
const WATERMARK_EVERY: usize = 1_000;

/// In-order events: one per tick, keys round-robin, values small.
fn events(n: usize, keys: u64) -> Vec<Record> {
    (0..n)
        .map(|i| Record {
            id: i as u64,
            key: Key((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) % keys),
            value: (i % 100) as i64,
            time: EventTime(i as i64),
        })
        .collect()
}

fn pipeline(window: WindowFn, trigger: Trigger, accumulation: Accumulation) -> Pipeline {
    Pipeline {
        window,
        trigger,
        accumulation,
        allowed_lateness: Duration(0),
        timestamp_combiner: TimestampCombiner::EndOfWindow,
        aggregate: Aggregate::Sum,
        on_time: OnTimeBehavior::Always,
    }
}

fn tumbling() -> WindowFn {
    WindowFn::Fixed {
        size: Duration(WINDOW),
        offset: Duration(0),
    }
}

/// Feeds every event as its own bundle, the watermark every
/// `WATERMARK_EVERY` events, and +∞ at the end. Returns the outputs seen.
fn run_engine(p: &Pipeline, events: &[Record]) -> u64 {
    let mut engine = Engine::new(p.clone(), EngineConfig::DEFAULT).expect("valid pipeline");
    let mut outputs = 0u64;
    for (i, r) in events.iter().enumerate() {
        let now = ProcTime(i as i64);
        engine.handle_record(now, *r);
        if i % WATERMARK_EVERY == WATERMARK_EVERY - 1 {
            engine.handle_watermark(now, r.time);
        }
        while let Some(o) = engine.poll_output() {
            black_box(&o);
            outputs += 1;
        }
    }
    engine.handle_watermark(ProcTime(events.len() as i64), EventTime::MAX);
    while let Some(o) = engine.poll_output() {
        black_box(&o);
        outputs += 1;
    }
    outputs
}

/// The baseline: tumbling sums in a hash map, flushed when the watermark
/// passes a window's end. No triggers, panes, lateness or dead letters.
fn run_baseline(events: &[Record]) -> u64 {
    let mut sums: FxHashMap<(u64, i64), i64> = FxHashMap::default();
    let mut open_starts: Vec<i64> = Vec::new();
    let mut outputs = 0u64;
    for (i, r) in events.iter().enumerate() {
        let start = r.time.0.div_euclid(WINDOW) * WINDOW;
        *sums.entry((r.key.0, start)).or_insert(0) += r.value;
        if open_starts.last() != Some(&start) {
            open_starts.push(start);
        }
        if i % WATERMARK_EVERY == WATERMARK_EVERY - 1 {
            let wm = r.time.0;
            if open_starts.iter().any(|s| s + WINDOW <= wm) {
                sums.retain(|&(_, s), v| {
                    let closed = s + WINDOW <= wm;
                    if closed {
                        black_box(*v);
                        outputs += 1;
                    }
                    !closed
                });
                open_starts.retain(|s| s + WINDOW > wm);
            }
        }
    }
    outputs += sums.len() as u64;
    black_box(&sums);
    outputs
}

struct Case {
    name: &'static str,
    keys: u64,
    events: usize,
    pipeline: Pipeline,
}

fn cases() -> Vec<Case> {
    let early_late = Trigger::AfterWatermark {
        early: Some(Box::new(Trigger::AfterCount(100))),
        late: Some(Box::new(Trigger::AfterCount(1))),
    };
    vec![
        Case {
            name: "tumbling_sum_1k_keys",
            keys: 1_000,
            events: 1_000_000,
            pipeline: pipeline(tumbling(), Trigger::Default, Accumulation::Discarding),
        },
        Case {
            name: "tumbling_sum_1m_keys",
            keys: 1_000_000,
            events: 2_000_000,
            pipeline: pipeline(tumbling(), Trigger::Default, Accumulation::Discarding),
        },
        Case {
            name: "sliding_sum_1k_keys",
            keys: 1_000,
            events: 500_000,
            pipeline: pipeline(
                WindowFn::Sliding {
                    size: Duration(WINDOW),
                    period: Duration(WINDOW / 4),
                    offset: Duration(0),
                },
                Trigger::Default,
                Accumulation::Discarding,
            ),
        },
        Case {
            name: "sessions_sum_1k_keys",
            keys: 1_000,
            events: 500_000,
            pipeline: pipeline(
                WindowFn::Sessions {
                    gap: Duration(WINDOW),
                },
                Trigger::Default,
                Accumulation::Discarding,
            ),
        },
        Case {
            name: "early_late_1k_keys",
            keys: 1_000,
            events: 1_000_000,
            pipeline: pipeline(tumbling(), early_late, Accumulation::Accumulating),
        },
    ]
}

fn bench(c: &mut Criterion) {
    for case in cases() {
        let events = events(case.events, case.keys);
        let mut group = c.benchmark_group(case.name);
        group.sample_size(10);
        group.throughput(Throughput::Elements(events.len() as u64));
        group.bench_function(BenchmarkId::new("baseline", case.keys), |b| {
            b.iter(|| run_baseline(&events))
        });
        group.bench_function(BenchmarkId::new("engine", case.keys), |b| {
            b.iter(|| run_engine(&case.pipeline, &events))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);

/// Best-of-N wall time for `f`, in seconds.
fn best_of(n: usize, mut f: impl FnMut() -> u64) -> f64 {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// The ratio table: events/s of the engine and of the baseline, measured
/// back to back on the same events, and engine/baseline.
fn ratios(only: Option<&str>) {
    println!("| case | engine Mev/s | baseline Mev/s | engine / baseline |");
    println!("|---|---:|---:|---:|");
    for case in cases()
        .into_iter()
        .filter(|c| only.is_none_or(|o| c.name.contains(o)))
    {
        let events = events(case.events, case.keys);
        let n = events.len() as f64;
        let base = best_of(3, || run_baseline(&events));
        let eng = best_of(3, || run_engine(&case.pipeline, &events));
        println!(
            "| {} | {:.2} | {:.2} | {:.0}% |",
            case.name,
            n / eng / 1e6,
            n / base / 1e6,
            100.0 * base / eng
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--ratios") {
        // `--ratios [--case NAME]`: only the cases whose name contains NAME.
        let only = args
            .iter()
            .position(|a| a == "--case")
            .and_then(|i| args.get(i + 1));
        ratios(only.map(String::as_str));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
