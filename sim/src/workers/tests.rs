//! Strategies over one shared trace: the perfect watermark loses nothing,
//! deduplication counts what it drops, replays are deterministic.

use super::*;
use crate::model::{Delivery, Event};
use crate::network::{self, LinkParams, Retry};
use crate::scenario::{Dur, LatencyRange, Thresholds, WatermarkSpec};
use tidemark_engine::{
    Accumulation, AggValue, Aggregate, Duration, OnTimeBehavior, Pipeline, ProcTime,
    TimestampCombiner, Trigger, WindowFn,
};

fn strategy(name: &str, watermark: WatermarkSpec, dedup: bool) -> ResolvedStrategy {
    ResolvedStrategy {
        name: name.into(),
        pipeline: Pipeline {
            window: WindowFn::Fixed {
                size: Duration(100),
                offset: Duration(0),
            },
            trigger: Trigger::Default,
            accumulation: Accumulation::Discarding,
            allowed_lateness: Duration(0),
            timestamp_combiner: TimestampCombiner::EndOfWindow,
            aggregate: Aggregate::Count,
            on_time: OnTimeBehavior::Always,
        },
        watermark,
        watermark_interval: Dur(50),
        idle_timeout: None,
        dedup,
        thresholds: Thresholds::default(),
    }
}

/// A reordering, lossy network with enough retries that everything arrives.
fn net() -> NetConfig {
    let mut c = NetConfig::lossless(0);
    c.default_link = LinkParams {
        latency: network::Latency::Uniform(LatencyRange {
            min: Dur(1),
            max: Dur(300),
        }),
        loss: 0.2,
    };
    c.retry = Retry {
        timeout_ms: 400,
        attempts_max: 30,
    };
    c.workers = 2;
    c
}

fn counted(run: &StrategyRun) -> i64 {
    run.panes
        .iter()
        .filter(|p| !p.retraction)
        .map(|p| match p.value {
            AggValue::Count(n) => n as i64,
            _ => 0,
        })
        .sum()
}

#[test]
fn the_perfect_watermark_never_passes_an_undelivered_event() {
    let mut w = network::tests::workload(400, 3, 3);
    let c = net();
    let trace = network::deliver_with(&c, &mut w, 21).expect("settles");
    assert!(trace.undelivered.is_empty());
    let perfect = run_resolved(
        &strategy("perfect", WatermarkSpec::Perfect, true),
        &c,
        &w,
        &trace,
    )
    .expect("runs");
    assert!(
        perfect.dead_letters.is_empty(),
        "{:?}",
        perfect.dead_letters.first()
    );
    assert!(perfect
        .panes
        .iter()
        .all(|p| p.info.timing != tidemark_engine::Timing::Late));
    assert_eq!(counted(&perfect), 400);
    assert!(perfect.duplicates_dropped > 0);
    assert_eq!(perfect.duplicates_counted, 0);
    assert_eq!(perfect.records_in, 400);
    assert_eq!(perfect.watermarks.last().map(|w| w.2), Some(EventTime::MAX));

    // The same trace under a tight heuristic watermark drops late data,
    // and without deduplication counts the duplicates.
    let tight = run_resolved(
        &strategy("tight", WatermarkSpec::BoundedOutOfOrderness(Dur(0)), false),
        &c,
        &w,
        &trace,
    )
    .expect("runs");
    assert!(!tight.dead_letters.is_empty());
    assert_eq!(tight.duplicates_dropped, 0);
    assert_eq!(tight.duplicates_counted, perfect.duplicates_dropped);
    assert_eq!(
        counted(&tight) + tight.dead_letters.len() as i64,
        400 + tight.duplicates_counted as i64
    );
}

#[test]
fn with_losses_the_perfect_watermark_waits_only_until_the_sender_gives_up() {
    let mut w = network::tests::workload(300, 2, 5);
    let mut c = net();
    c.retry.attempts_max = 1;
    let trace = network::deliver_with(&c, &mut w, 8).expect("settles");
    assert!(!trace.undelivered.is_empty());
    let run = run_resolved(
        &strategy("perfect", WatermarkSpec::Perfect, true),
        &c,
        &w,
        &trace,
    )
    .expect("runs");
    assert!(run.dead_letters.is_empty());
    assert_eq!(counted(&run), 300 - trace.undelivered.len() as i64);
}

#[test]
fn replays_are_deterministic_and_watermarks_monotone() {
    let mut w = network::tests::workload(300, 3, 4);
    let mut c = net();
    c.punctuation_interval_ms = Some(100);
    let trace = network::deliver_with(&c, &mut w, 5).expect("settles");
    let s = strategy(
        "punctuated",
        WatermarkSpec::Punctuated(crate::scenario::Punctuated { interval: Dur(100) }),
        true,
    );
    let a = run_resolved(&s, &c, &w, &trace).expect("runs");
    let b = run_resolved(&s, &c, &w, &trace).expect("runs");
    assert_eq!(a, b);
    for worker in 0..2 {
        let marks: Vec<EventTime> = a
            .watermarks
            .iter()
            .filter(|m| m.1 == worker)
            .map(|m| m.2)
            .collect();
        assert!(
            marks.windows(2).all(|p| p[0] < p[1]),
            "worker {worker}: {marks:?}"
        );
    }
    // Punctuations only pass arrived events, so nothing is late.
    assert!(a.dead_letters.is_empty());
    assert_eq!(counted(&a), 300);
}

#[test]
fn perfect_watermark_is_the_least_undelivered_time() {
    let ev = |id, time| Event {
        id,
        source: 0,
        key: 0,
        value: 1,
        time: EventTime(time),
        true_time: EventTime(time),
        sent_at: ProcTime(0),
    };
    let workload = Workload {
        events: vec![ev(0, 5), ev(1, 1), ev(2, 9)],
        sources: vec!["s".into()],
        keys: vec!["k".into()],
    };
    let rec = |at, event| Delivery::Record {
        at: ProcTime(at),
        worker: 0,
        channel: 0,
        event,
        duplicate: false,
    };
    let trace = Trace {
        deliveries: vec![rec(10, 0), rec(20, 1), rec(30, 2)],
        faults: Vec::new(),
        undelivered: Vec::new(),
        workers: 1,
        channels: 1,
        end: ProcTime(30),
    };
    // Event 1 (time 1) arrives last but one: the watermark waits for it.
    let net = NetConfig::lossless(1);
    assert_eq!(
        perfect_curve(&net, &workload, &trace, 0).expect("one worker"),
        vec![(10, EventTime(1)), (20, EventTime(9)), (30, EventTime::MAX)]
    );
}
