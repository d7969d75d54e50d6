//! Metrics on hand-made runs: two windows, a few panes, known answers.

use super::*;
use crate::model::Event;
use tidemark_engine::{DeadLetter, DeadLetterReason, EventTime, Pane, PaneInfo, ProcTime, Record};

fn w(s: i64, e: i64) -> Window {
    Window {
        start: EventTime(s),
        end: EventTime(e),
    }
}

fn pane(window: Window, value: i64, fired_at: i64, timing: Timing) -> Pane {
    Pane {
        key: Key(0),
        window,
        value: AggValue::Sum(value),
        timestamp: window.max_timestamp(),
        info: PaneInfo {
            timing,
            index: 0,
            nonspeculative_index: 0,
            is_first: false,
            is_last: false,
        },
        retraction: false,
        fired_at: ProcTime(fired_at),
        watermark: EventTime(0),
    }
}

fn workload(n: u64) -> Workload {
    Workload {
        events: (0..n)
            .map(|id| Event {
                id,
                source: 0,
                key: 0,
                value: 1,
                time: EventTime(0),
                true_time: EventTime(0),
                sent_at: ProcTime(0),
            })
            .collect(),
        sources: vec!["s".into()],
        keys: vec!["k".into()],
    }
}

fn trace(delivered: &[u64], undelivered: &[u64]) -> Trace {
    Trace {
        deliveries: delivered
            .iter()
            .map(|&event| Delivery::Record {
                at: ProcTime(0),
                worker: 0,
                channel: 0,
                event,
                duplicate: false,
            })
            .collect(),
        faults: Vec::new(),
        undelivered: undelivered.to_vec(),
        workers: 1,
        channels: 1,
        end: ProcTime(0),
    }
}

fn run(panes: Vec<Pane>, dead: &[u64]) -> StrategyRun {
    StrategyRun {
        strategy: "s".into(),
        panes,
        dead_letters: dead
            .iter()
            .map(|&id| DeadLetter {
                record: Record {
                    id,
                    key: Key(0),
                    value: 1,
                    time: EventTime(0),
                },
                windows: vec![w(0, 10)],
                watermark: EventTime(20),
                reason: DeadLetterReason::WindowExpired,
                at: ProcTime(30),
            })
            .collect(),
        watermarks: Vec::new(),
        records_in: 0,
        duplicates_dropped: 0,
        duplicates_counted: 0,
        watermark_regressions: 0,
        visible_at: Vec::new(),
        recovery: crate::model::Recovery::default(),
    }
}

fn values(entries: &[(Window, i64)]) -> Values {
    entries
        .iter()
        .map(|&(win, v)| ((Key(0), win), AggValue::Sum(v)))
        .collect()
}

fn sessions(accumulation: Accumulation) -> Reading {
    Reading {
        merging: true,
        ..reading(accumulation)
    }
}

fn reading(accumulation: Accumulation) -> Reading {
    Reading {
        accumulation,
        allowed_lateness_ms: 10,
        merging: false,
    }
}

#[test]
fn early_on_time_and_late_panes_in_discarding_mode() {
    // Window [0,10): early 2 at 5, on time +3 at 12, late +1 at 40 → 6 = truth.
    // Window [10,20): on time 4 at 21, truth 5 (one element lost).
    let panes = vec![
        pane(w(0, 10), 2, 5, Timing::Early),
        pane(w(0, 10), 3, 12, Timing::OnTime),
        pane(w(10, 20), 4, 21, Timing::OnTime),
        pane(w(0, 10), 1, 40, Timing::Late),
    ];
    let truth = values(&[(w(0, 10), 6), (w(10, 20), 5)]);
    let mut r = run(panes, &[]);
    // The watermark passes 20 (= [0,10)'s end + 10ms lateness) at 45 and
    // never reaches 30, so only [0,10) is ever known final.
    r.watermarks = vec![
        (ProcTime(25), 0, EventTime(10)),
        (ProcTime(45), 0, EventTime(20)),
    ];
    let m = seed_metrics(
        &workload(11),
        &trace(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], &[10]),
        &r,
        reading(Accumulation::Discarding),
        &truth,
    );
    assert_eq!(m.windows, 2);
    assert_eq!(m.panes_per_window, 2.0);
    // First panes: −5 and +1 → median −2. Last change: 30 (the late pane)
    // and 1. Known final: [0,10) expired at 45.
    assert_eq!(m.first_latency_ms, Some(-2.0));
    assert_eq!(m.hindsight_latency_ms, Some(15.5));
    assert_eq!(m.known_final_latency_ms, Some(35.0));
    // The early pane said 2 of 6.
    assert_eq!(m.speculative_error, Some(4.0 / 6.0));
    assert_eq!(m.first_accuracy, 0.0);
    assert_eq!(m.accuracy, 0.5);
    assert_eq!(m.abs_error, 1.0);
    assert_eq!(m.events_lost, 1);
}

#[test]
fn a_pane_marked_last_is_known_final_without_waiting_for_expiry() {
    let mut last = pane(w(0, 10), 6, 12, Timing::OnTime);
    last.info.is_last = true;
    let truth = values(&[(w(0, 10), 6)]);
    let m = seed_metrics(
        &workload(1),
        &trace(&[0], &[]),
        &run(vec![last], &[]),
        reading(Accumulation::Accumulating),
        &truth,
    );
    assert_eq!(m.known_final_latency_ms, Some(2.0));
}

#[test]
fn accumulating_value_that_stops_changing_settles_early() {
    // The on-time pane already holds the truth; an identical late pane
    // (e.g. a repeated firing) does not move the hindsight latency.
    let panes = vec![
        pane(w(0, 10), 6, 12, Timing::OnTime),
        pane(w(0, 10), 6, 50, Timing::Late),
    ];
    let truth = values(&[(w(0, 10), 6)]);
    let m = seed_metrics(
        &workload(1),
        &trace(&[0], &[]),
        &run(panes, &[]),
        reading(Accumulation::Accumulating),
        &truth,
    );
    assert_eq!(m.hindsight_latency_ms, Some(2.0));
    assert_eq!(m.first_accuracy, 1.0);
    assert_eq!(m.speculative_error, None);
}

#[test]
fn every_copy_dead_lettered_is_lost() {
    let truth = values(&[(w(0, 10), 2)]);
    let m = seed_metrics(
        &workload(2),
        &trace(&[0, 1, 1], &[]),
        &run(vec![pane(w(0, 10), 1, 12, Timing::OnTime)], &[0, 1]),
        reading(Accumulation::Discarding),
        &truth,
    );
    assert_eq!(m.dead_letters, 2);
    // Event 1 had two copies and only one was refused.
    assert_eq!(m.events_lost, 1);
}

#[test]
fn session_proto_windows_are_judged_against_the_merged_truth() {
    // A session pane the truth never formed: its value counts towards the
    // merged truth window for the early error, and as a wrong extra answer.
    let panes = vec![pane(w(2, 7), 1, 3, Timing::Early)];
    let truth = values(&[(w(0, 9), 4)]);
    let m = seed_metrics(
        &workload(1),
        &trace(&[0], &[]),
        &run(panes, &[]),
        reading(Accumulation::Discarding),
        &truth,
    );
    assert_eq!(m.speculative_error, Some(0.75));
    assert_eq!(m.accuracy, 0.0);
    assert_eq!(m.abs_error, 5.0);
}

#[test]
fn accumulating_consumer_double_counts_a_merge_that_retracting_withdraws() {
    // Sessions [0,5) and [6,9) fired 2 and 1; a straggler merged them into
    // [0,9) = 4.
    let mut accumulating = vec![
        pane(w(0, 5), 2, 10, Timing::OnTime),
        pane(w(6, 9), 1, 11, Timing::OnTime),
        pane(w(0, 9), 4, 20, Timing::Late),
    ];
    let truth = values(&[(w(0, 9), 4)]);
    let a = seed_metrics(
        &workload(4),
        &trace(&[0, 1, 2, 3], &[]),
        &run(accumulating.clone(), &[]),
        sessions(Accumulation::Accumulating),
        &truth,
    );
    let withdraw = |i: usize| {
        let mut p = accumulating[i].clone();
        p.retraction = true;
        p.fired_at = ProcTime(20);
        p
    };
    let (r0, r1) = (withdraw(0), withdraw(1));
    accumulating.insert(2, r0);
    accumulating.insert(3, r1);
    let r = seed_metrics(
        &workload(4),
        &trace(&[0, 1, 2, 3], &[]),
        &run(accumulating, &[]),
        sessions(Accumulation::AccumulatingAndRetracting),
        &truth,
    );
    assert_eq!(a.accuracy, 0.0);
    assert_eq!(a.abs_error, 3.0);
    assert_eq!(r.accuracy, 1.0);
    assert_eq!(r.retractions, 2);
}

#[test]
fn summary_takes_median_and_worst_and_stability() {
    let seed = |acc: f64, final_value: i64| {
        let panes = vec![
            pane(w(0, 10), 1, 12, Timing::OnTime),
            pane(w(10, 20), final_value, 22, Timing::OnTime),
        ];
        let mut m = seed_metrics(
            &workload(1),
            &trace(&[0], &[]),
            &run(panes, &[]),
            reading(Accumulation::Discarding),
            &values(&[(w(0, 10), 1), (w(10, 20), 1)]),
        );
        m.accuracy = acc;
        m
    };
    let seeds = [seed(1.0, 1), seed(0.5, 2), seed(0.75, 1)];
    let s = summarize("x", &seeds, &seeds);
    assert_eq!(
        s.accuracy,
        Agg {
            median: 0.75,
            worst: 0.5
        }
    );
    assert_eq!(s.seeds, 3);
    // [0,10) is 1 in every seed; [10,20) is 1, 2, 1.
    assert_eq!(s.stability, 0.5);
    assert_eq!(
        s.first_latency_ms,
        Some(Agg {
            median: 2.0,
            worst: 2.0
        })
    );
}

#[test]
fn overlapping_sliding_windows_are_each_their_own_answer() {
    // Sliding windows [0,10) and [5,15) share an element: each is right on
    // its own, and combining them as if they were one session is wrong.
    let panes = vec![
        pane(w(0, 10), 2, 10, Timing::OnTime),
        pane(w(5, 15), 3, 15, Timing::OnTime),
    ];
    let truth = values(&[(w(0, 10), 2), (w(5, 15), 3)]);
    let m = seed_metrics(
        &workload(4),
        &trace(&[0, 1, 2, 3], &[]),
        &run(panes, &[]),
        reading(Accumulation::Discarding),
        &truth,
    );
    assert_eq!(m.accuracy, 1.0);
    assert_eq!(m.abs_error, 0.0);
}
