//! Engine throughput against minimal hand-written baselines.
//!
//! Every engine figure is reported beside a baseline measured in the same
//! run over the same events:
//! - `hash`: a loop that adds each value into a hash map keyed by
//!   (key, tumbling window start) and flushes closed windows as the
//!   watermark moves. Every case is compared with it, whatever its windows:
//!   it is the cost floor of keyed aggregation.
//! - `sliding`: the same hash map, but each event added to each of the
//!   sliding windows that hold it (four here), each flushed as the
//!   watermark passes its end: the floor for sliding windows, which do four
//!   updates per event where `hash` does one. The sliding case is compared
//!   with both.
//! - `sessions`: a hand-written session merge (per key, sessions sorted by
//!   start, each event's `[t, t + gap)` merged with the sessions it
//!   overlaps, closed sessions flushed at each watermark): the fair floor
//!   for session windows. The sessions case is compared with both.
//!
//! The ratio engine/baseline is what to compare across machines.
//!
//! `cargo bench -p tidemark-engine` runs the criterion groups;
//! `cargo bench -p tidemark-engine --bench engine -- --ratios [--case NAME]
//! [--pairs N] [--keys K]` prints only the ratio table (optionally for the
//! cases whose name contains NAME, or with K keys in place of each case's
//! own), measured by `support/interleave.rs`: engine and baseline samples
//! interleaved, the median per-pair ratio and its spread.
//! `-- --profile NAME [--runs N] [--keys K]` runs only the engine on one
//! case, for a profiler.

use criterion::{black_box, criterion_group, BenchmarkId, Criterion, Throughput};
use rustc_hash::FxHashMap;

#[path = "support/interleave.rs"]
mod interleave;
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
                outputs += flush_closed(&mut sums, wm);
                open_starts.retain(|s| s + WINDOW > wm);
            }
        }
    }
    outputs += sums.len() as u64;
    black_box(&sums);
    outputs
}

/// Takes out every sum of a window (`WINDOW` long, keyed by its start) that
/// watermark `wm` closed; returns how many.
fn flush_closed(sums: &mut FxHashMap<(u64, i64), i64>, wm: i64) -> u64 {
    let mut flushed = 0;
    sums.retain(|&(_, s), v| {
        let closed = s + WINDOW <= wm;
        if closed {
            black_box(*v);
            flushed += 1;
        }
        !closed
    });
    flushed
}

/// Sliding windows of the sliding case: `WINDOW` long, every `SLIDE`.
const SLIDE: i64 = WINDOW / 4;

/// The sliding baseline: `run_baseline` with each event added to every
/// sliding window that holds it (`WINDOW / SLIDE` of them), keyed by
/// (key, window start), flushed when the watermark passes a window's end.
fn run_sliding_baseline(events: &[Record]) -> u64 {
    let mut sums: FxHashMap<(u64, i64), i64> = FxHashMap::default();
    let mut outputs = 0u64;
    let mut flushed_to = i64::MIN;
    for (i, r) in events.iter().enumerate() {
        let last_start = r.time.0.div_euclid(SLIDE) * SLIDE;
        let mut start = last_start - WINDOW + SLIDE;
        while start <= last_start {
            *sums.entry((r.key.0, start)).or_insert(0) += r.value;
            start += SLIDE;
        }
        if i % WATERMARK_EVERY == WATERMARK_EVERY - 1 {
            let wm = r.time.0;
            // A window ends every SLIDE: scan only when one has.
            if wm.div_euclid(SLIDE) != flushed_to {
                flushed_to = wm.div_euclid(SLIDE);
                outputs += flush_closed(&mut sums, wm);
            }
        }
    }
    outputs += sums.len() as u64;
    black_box(&sums);
    outputs
}

/// One session open for a key: `[start, end)` and its sum.
#[derive(Clone, Copy)]
struct Session {
    start: i64,
    end: i64,
    sum: i64,
}

/// The sessions baseline: a hand-written session merge with the engine's
/// rule (two sessions merge when they overlap: `a.start < b.end && b.start
/// < a.end`), flushed when the watermark reaches a session's end. Per key
/// the open sessions stay sorted by start and never overlap, so their ends
/// are sorted too and one binary search finds the ones a new event touches.
/// No triggers, panes, lateness, timers or dead letters.
fn run_session_baseline(events: &[Record], gap: i64) -> u64 {
    let mut open: FxHashMap<u64, Vec<Session>> = FxHashMap::default();
    let mut outputs = 0u64;
    let flush = |open: &mut FxHashMap<u64, Vec<Session>>, wm: i64, outputs: &mut u64| {
        open.retain(|_, sessions| {
            // Sorted ends: the closed sessions are a prefix.
            let closed = sessions.partition_point(|s| s.end <= wm);
            for s in sessions.drain(..closed) {
                black_box(s.sum);
                *outputs += 1;
            }
            !sessions.is_empty()
        });
    };
    for (i, r) in events.iter().enumerate() {
        let t = r.time.0;
        let mut new = Session {
            start: t,
            end: t + gap,
            sum: r.value,
        };
        let sessions = open.entry(r.key.0).or_default();
        // The first session that ends after `new` starts, and every later
        // one that starts before `new` ends, overlap it.
        let first = sessions.partition_point(|s| s.end <= new.start);
        let mut last = first;
        while last < sessions.len() && sessions[last].start < new.end {
            let s = sessions[last];
            new.start = new.start.min(s.start);
            new.end = new.end.max(s.end);
            new.sum += s.sum;
            last += 1;
        }
        if last == first {
            sessions.insert(first, new);
        } else {
            sessions[first] = new;
            sessions.drain(first + 1..last);
        }
        if i % WATERMARK_EVERY == WATERMARK_EVERY - 1 {
            flush(&mut open, t, &mut outputs);
        }
    }
    flush(&mut open, i64::MAX, &mut outputs);
    outputs
}

/// The gap of the sessions case.
const SESSION_GAP: i64 = WINDOW;

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
                    period: Duration(SLIDE),
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
                    gap: Duration(SESSION_GAP),
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
        if is_sessions(&case) {
            group.bench_function(BenchmarkId::new("session_baseline", case.keys), |b| {
                b.iter(|| run_session_baseline(&events, SESSION_GAP))
            });
        }
        if is_sliding(&case) {
            group.bench_function(BenchmarkId::new("sliding_baseline", case.keys), |b| {
                b.iter(|| run_sliding_baseline(&events))
            });
        }
        group.bench_function(BenchmarkId::new("engine", case.keys), |b| {
            b.iter(|| run_engine(&case.pipeline, &events))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);

fn is_sessions(case: &Case) -> bool {
    matches!(case.pipeline.window, WindowFn::Sessions { .. })
}

fn is_sliding(case: &Case) -> bool {
    matches!(case.pipeline.window, WindowFn::Sliding { .. })
}

/// The ratio table: per case, engine against the hash baseline (and, for
/// sessions, against the hand-written session merge too), each an
/// interleaved measurement over the same events. Sliding windows are also
/// compared with the sliding baseline.
fn ratios(only: Option<&str>, pairs: usize, keys: Option<u64>) {
    interleave::header("engine", "M ev/s");
    for case in cases()
        .into_iter()
        .filter(|c| only.is_none_or(|o| c.name.contains(o)))
    {
        let events = events(case.events, keys.unwrap_or(case.keys));
        let name = match keys {
            Some(k) => format!("{} (at {k} keys)", case.name),
            None => case.name.to_string(),
        };
        let n = events.len() as f64;
        let engine = || run_engine(&case.pipeline, &events);
        let c = interleave::compare(pairs, n, engine, || run_baseline(&events));
        interleave::row(&name, "hash", &c, 1e6);
        if is_sessions(&case) {
            // Fairness check: the baseline closes as many sessions as the
            // engine emits panes (one on-time pane per session here).
            let (e, b) = (engine(), run_session_baseline(&events, SESSION_GAP));
            if e != b {
                println!("(!) {name}: engine emitted {e} panes, session baseline {b} sessions");
            }
            let c = interleave::compare(pairs, n, engine, || {
                run_session_baseline(&events, SESSION_GAP)
            });
            interleave::row(&name, "sessions", &c, 1e6);
        }
        if is_sliding(&case) {
            // Fairness check: one pane per key and window, as the baseline
            // flushes one sum per key and window.
            let (e, b) = (engine(), run_sliding_baseline(&events));
            if e != b {
                println!("(!) {name}: engine emitted {e} panes, sliding baseline {b} sums");
            }
            let c = interleave::compare(pairs, n, engine, || run_sliding_baseline(&events));
            interleave::row(&name, "sliding", &c, 1e6);
        }
    }
}

/// `--profile NAME [--runs N] [--keys K]`: only the engine, on the first
/// case whose name contains NAME (with K keys, if given), N times (default
/// 5), no baseline and no timing: the process to put under `perf record`
/// or `valgrind --tool=callgrind`.
fn profile(args: &[String]) {
    let after = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    let name = after("--profile").map_or("", String::as_str);
    let runs = after("--runs").and_then(|n| n.parse().ok()).unwrap_or(5);
    let Some(case) = cases().into_iter().find(|c| c.name.contains(name)) else {
        eprintln!("no case matches `{name}`");
        return;
    };
    let keys = interleave::num_arg(args, "--keys").filter(|&k: &u64| k > 0);
    let events = events(case.events, keys.unwrap_or(case.keys));
    for _ in 0..runs {
        black_box(run_engine(&case.pipeline, &events));
    }
    println!("{}: {runs} runs of {} events", case.name, events.len());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--profile") {
        profile(&args);
        return;
    }
    if args.iter().any(|a| a == "--ratios") {
        // `--ratios [--case NAME] [--pairs N] [--keys K]`: only the cases
        // whose name contains NAME, N interleaved pairs each, with K keys
        // instead of each case's own count (how much of a case's gap is
        // the cache: at 100 keys every state stays in the L1 and L2).
        let only = args
            .iter()
            .position(|a| a == "--case")
            .and_then(|i| args.get(i + 1));
        let keys = interleave::num_arg(&args, "--keys").filter(|&k: &u64| k > 0);
        ratios(only.map(String::as_str), interleave::pairs_arg(&args), keys);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
