//! Simulation throughput, measured against turmoil's own message rate in
//! the same run:
//! - `end_to_end/tidemark`: simulated events per wall-second for four
//!   sources through the lossy, reordering network (acks, retries,
//!   duplicates) and one strategy's engine replay;
//!   The network picks its own turmoil tick (`NetConfig::tick`: 50ms here,
//!   a quarter of the 200ms retry timeout) and still records exact
//!   millisecond arrival times;
//! - `end_to_end/turmoil_udp_baseline`: the same number of messages as
//!   bare turmoil UDP request/reply pairs (send a datagram, wait for the
//!   echo, next) from four hosts at turmoil's 1ms tick, the resolution a
//!   plain turmoil simulation needs to time messages to the millisecond:
//!   turmoil's raw message rate;
//! - `seeds/10k_events`: whole seeds per second for a 10,000-event
//!   scenario, spread over every core with rayon, as `sweep` runs them.
//!
//! `cargo bench -p tidemark-sim --bench sim -- --ratios [--pairs N]
//! [--batch N]` prints two tables: end-to-end events/s of tidemark against
//! turmoil, and seeds/s of the 10,000-event scenario (runs of 64 seeds, or
//! `--batch N`, over every core, as `sweep` streams them) against turmoil
//! UDP carrying the same 10,000 request/reply pairs, both measured in
//! interleaved pairs by the engine bench's `support/interleave.rs` (the one
//! measurement back end): the median per-pair ratio with its spread.
//!
//! `-- --profile [--runs N] [--threads] [--hash]` runs only the
//! 10,000-event seeds (N of them, default 40), no baseline and no timing:
//! the process to put under `perf record` or valgrind. One thread unless
//! `--threads`; `--hash` then prints each seed's trace hash, to check that
//! a change left every trace as it was.

use criterion::{criterion_group, BatchSize, Criterion, Throughput};
use rayon::prelude::*;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration as StdDuration;
use tidemark_engine::{
    Accumulation, Aggregate, Duration, EventTime, OnTimeBehavior, Pipeline, ProcTime,
    TimestampCombiner, Trigger, WindowFn,
};
use tidemark_sim::model::{Event, Workload};
use tidemark_sim::network::{self, LinkParams, NetConfig, Retry};
use tidemark_sim::scenario::{Dur, LatencyRange, ResolvedStrategy, Thresholds, WatermarkSpec};
use tidemark_sim::workers;

#[path = "../../engine/benches/support/interleave.rs"]
mod interleave;

const SOURCES: u32 = 4;

/// `n` events over four sources, one every `gap_ms` per source.
fn workload(n: u64, gap_ms: i64) -> Workload {
    let events = (0..n)
        .map(|id| {
            let t = (id / u64::from(SOURCES)) as i64 * gap_ms;
            Event {
                id,
                source: (id % u64::from(SOURCES)) as u32,
                key: id % 64,
                value: 1,
                time: EventTime(t),
                true_time: EventTime(t),
                sent_at: ProcTime(t),
            }
        })
        .collect();
    Workload {
        events,
        sources: (0..SOURCES).map(|s| format!("s{s}")).collect(),
        keys: (0..64).map(|k| format!("k{k}")).collect(),
    }
}

fn net() -> NetConfig {
    let mut c = NetConfig::lossless(0);
    c.default_link = LinkParams {
        latency: network::Latency::Uniform(LatencyRange {
            min: Dur(1),
            max: Dur(50),
        }),
        loss: 0.05,
    };
    c.retry = Retry {
        timeout_ms: 200,
        attempts_max: 10,
    };
    c
}

fn strategy() -> ResolvedStrategy {
    ResolvedStrategy {
        name: "bounded".into(),
        pipeline: Pipeline {
            window: WindowFn::Fixed {
                size: Duration(1_000),
                offset: Duration(0),
            },
            trigger: Trigger::Default,
            accumulation: Accumulation::Discarding,
            allowed_lateness: Duration(0),
            timestamp_combiner: TimestampCombiner::EndOfWindow,
            aggregate: Aggregate::Sum,
            on_time: OnTimeBehavior::Always,
        },
        watermark: WatermarkSpec::BoundedOutOfOrderness(Dur(100)),
        watermark_interval: Dur(200),
        idle_timeout: None,
        dedup: true,
        thresholds: Thresholds::default(),
    }
}

fn one_seed(w: &Workload, c: &NetConfig, s: &ResolvedStrategy, seed: u64) -> usize {
    // The network borrows its workload mutably (it lends the events to the
    // simulation); seeds run in parallel, so each takes its own copy, as
    // each seed of `tidemark run` generates its own.
    let mut w = w.clone();
    let trace = network::deliver_with(c, &mut w, seed).expect("bench scenario settles");
    let run = workers::run_resolved(s, c, &w, &trace).expect("bench strategy runs");
    run.panes.len()
}

/// Bare turmoil: four clients, each sending `per_client` datagrams one at a
/// time to an echo server and waiting for each echo.
fn turmoil_udp(per_client: u64, gap_ms: u64) {
    let mut sim = turmoil::Builder::new()
        .simulation_duration(StdDuration::from_secs(3_600))
        .tick_duration(StdDuration::from_millis(1))
        .min_message_latency(StdDuration::ZERO)
        .max_message_latency(StdDuration::ZERO)
        .rng_seed(1)
        .build();
    sim.host("server", || async {
        let sock = turmoil::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 9)).await?;
        let mut buf = [0u8; 64];
        loop {
            let (n, from) = sock.recv_from(&mut buf).await?;
            sock.send_to(&buf[..n], from).await?;
        }
    });
    for c in 0..SOURCES {
        sim.client(format!("c{c}"), async move {
            let sock = turmoil::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 9)).await?;
            let server = SocketAddr::new(turmoil::lookup("server"), 9);
            let mut buf = [0u8; 64];
            for i in 0..per_client {
                sock.send_to(&i.to_le_bytes(), server).await?;
                sock.recv_from(&mut buf).await?;
                tokio::time::sleep(StdDuration::from_millis(gap_ms)).await;
            }
            Ok(())
        });
    }
    sim.run().expect("baseline settles");
}

fn end_to_end(c: &mut Criterion) {
    const EVENTS: u64 = 4_000;
    const GAP_MS: i64 = 2;
    let w = workload(EVENTS, GAP_MS);
    let cfg = net();
    let s = strategy();
    let mut g = c.benchmark_group("end_to_end");
    g.throughput(Throughput::Elements(EVENTS));
    g.sample_size(10);
    let mut seed = 0u64;
    g.bench_function("tidemark", |b| {
        b.iter(|| {
            seed += 1;
            one_seed(&w, &cfg, &s, seed)
        })
    });
    g.bench_function("turmoil_udp_baseline", |b| {
        b.iter(|| turmoil_udp(EVENTS / u64::from(SOURCES), GAP_MS as u64))
    });
    g.finish();
}

/// Seeds per parallel run of the seeds measurements (see `main`).
const SEEDS_PER_RUN: u64 = 64;

fn seeds(c: &mut Criterion) {
    let w = workload(10_000, 4);
    let cfg = net();
    let s = strategy();
    let mut g = c.benchmark_group("seeds");
    g.throughput(Throughput::Elements(SEEDS_PER_RUN));
    g.sample_size(10);
    g.bench_function("10k_events", |b| {
        b.iter_batched(
            || (),
            |()| {
                (0..SEEDS_PER_RUN)
                    .into_par_iter()
                    .map(|seed| one_seed(&w, &cfg, &s, seed))
                    .sum::<usize>()
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, end_to_end, seeds);

/// The `--ratios` tables; `batch` seeds per parallel run in the seeds table.
fn ratios(pairs: usize, batch: u64) {
    const EVENTS: u64 = 4_000;
    const GAP_MS: i64 = 2;
    let w = workload(EVENTS, GAP_MS);
    let cfg = net();
    let s = strategy();
    let mut seed = 0u64;
    interleave::header("tidemark", "K ev/s");
    let c = interleave::compare(
        pairs,
        EVENTS as f64,
        || {
            seed += 1;
            one_seed(&w, &cfg, &s, seed) as u64
        },
        || {
            turmoil_udp(EVENTS / u64::from(SOURCES), GAP_MS as u64);
            0
        },
    );
    interleave::row("end_to_end_4k_events", "turmoil_udp", &c, 1e3);

    const SEED_EVENTS: u64 = 10_000;
    let w = workload(SEED_EVENTS, 4);
    let mut next = 0u64;
    let tidemark = || {
        let first = next;
        next += batch;
        (first..first + batch)
            .into_par_iter()
            .map(|seed| one_seed(&w, &cfg, &s, seed) as u64)
            .sum::<u64>()
    };
    let baseline = || {
        (0..batch)
            .into_par_iter()
            .map(|_| {
                turmoil_udp(SEED_EVENTS / u64::from(SOURCES), 4);
                1u64
            })
            .sum::<u64>()
    };
    println!();
    interleave::header("tidemark", "seeds/s");
    let c = interleave::compare(pairs, batch as f64, tidemark, baseline);
    interleave::row("seeds/10k_events", "turmoil UDP, same messages", &c, 1.0);
}

/// `--profile [--runs N] [--threads]`: only tidemark's 10,000-event
/// seeds, N of them (default 40), on one thread unless `--threads` (then
/// over rayon, as the seeds table runs them).
fn profile(args: &[String]) {
    let runs: u64 = interleave::num_arg(args, "--runs").unwrap_or(40);
    let w = workload(10_000, 4);
    let cfg = net();
    let s = strategy();
    let panes: usize = if args.iter().any(|a| a == "--threads") {
        (0..runs)
            .into_par_iter()
            .map(|seed| one_seed(&w, &cfg, &s, seed))
            .sum()
    } else {
        (0..runs).map(|seed| one_seed(&w, &cfg, &s, seed)).sum()
    };
    println!("seeds/10k_events: {runs} seeds, {panes} panes");
    // `--hash`: each seed's trace hash, to compare two builds' traces.
    if args.iter().any(|a| a == "--hash") {
        for seed in 0..runs {
            let mut w = w.clone();
            let t = network::deliver_with(&cfg, &mut w, seed).expect("bench scenario settles");
            println!("{seed} {}", tidemark_sim::trace_hash::trace_hash(&w, &t));
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--profile") {
        profile(&args);
        return;
    }
    if args.iter().any(|a| a == "--ratios") {
        // `--batch N`: seeds per parallel run in the seeds table. Each run
        // waits for its slowest thread, a wait `sweep` does not pay (it
        // streams batches of 4,096); `SEEDS_PER_RUN` keeps it small against
        // a run, as in a sweep, while a pair of samples lasts seconds
        // (figures in docs/sim-profile.md).
        let batch = interleave::num_arg(&args, "--batch")
            .filter(|&n: &u64| n > 0)
            .unwrap_or(SEEDS_PER_RUN);
        ratios(interleave::pairs_arg(&args), batch);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
