//! Each reference check holding on a right trace and failing, with its
//! counterexample, on a deliberately wrong one.

use super::reference::windows_of;
use super::{admission, watermark, Input};
use crate::invariants::Outcome;
use crate::model::{Delivery, Event, Recovery, StrategyRun, Trace, Workload};
use tidemark_engine::{
    Accumulation, Aggregate, DeadLetter, DeadLetterReason, Duration, EventTime, Key,
    OnTimeBehavior, Pipeline, ProcTime, Record, TimestampCombiner, Trigger, WatermarkConfig,
    WatermarkStrategy, Window, WindowFn,
};

fn event(id: u64, time: i64) -> Event {
    Event {
        id,
        source: 0,
        key: 0,
        value: 1,
        time: EventTime(time),
        true_time: EventTime(time),
        sent_at: ProcTime(0),
    }
}

fn workload(times: &[i64]) -> Workload {
    Workload {
        events: times
            .iter()
            .enumerate()
            .map(|(i, &t)| event(i as u64, t))
            .collect(),
        sources: vec!["s0".into(), "s1".into()],
        keys: vec!["k".into()],
    }
}

/// Event `i` arrives at processing time `at` on `channel`.
fn trace(arrivals: &[(i64, u32, u64)]) -> Trace {
    Trace {
        deliveries: arrivals
            .iter()
            .map(|&(at, channel, event)| Delivery::Record {
                at: ProcTime(at),
                worker: 0,
                channel,
                event,
                duplicate: false,
            })
            .collect(),
        faults: Vec::new(),
        undelivered: Vec::new(),
        workers: 1,
        channels: 2,
        end: ProcTime(1_000),
    }
}

fn run(watermarks: &[(i64, i64)], dead_letters: Vec<DeadLetter>) -> StrategyRun {
    StrategyRun {
        strategy: "s".into(),
        panes: Vec::new(),
        visible_at: Vec::new(),
        dead_letters,
        watermarks: watermarks
            .iter()
            .map(|&(at, w)| (ProcTime(at), 0, EventTime(w)))
            .collect(),
        records_in: 0,
        duplicates_dropped: 0,
        duplicates_counted: 0,
        watermark_regressions: 0,
        recovery: Recovery::default(),
    }
}

fn pipeline() -> Pipeline {
    Pipeline {
        window: WindowFn::Fixed {
            size: Duration(10),
            offset: Duration(0),
        },
        trigger: Trigger::Default,
        accumulation: Accumulation::Discarding,
        allowed_lateness: Duration(0),
        timestamp_combiner: TimestampCombiner::EndOfWindow,
        aggregate: Aggregate::Count,
        on_time: OnTimeBehavior::Always,
    }
}

fn bounded(channels: u32, interval: i64) -> WatermarkConfig {
    WatermarkConfig {
        strategy: WatermarkStrategy::BoundedOutOfOrderness { delay: Duration(0) },
        channels,
        idle_timeout: None,
        emit_interval: Duration(interval),
    }
}

fn input<'a>(
    w: &'a Workload,
    t: &'a Trace,
    r: &'a StrategyRun,
    p: &'a Pipeline,
    channels: &'a [Vec<u32>],
) -> Input<'a> {
    Input {
        workload: w,
        trace: t,
        run: r,
        pipeline: p,
        watermark: bounded(2, 0),
        worker_channels: channels,
        dedup: false,
        topology: crate::network::Topology {
            sources: 2,
            workers: 1,
            log_partitions: None,
        },
        immediate: true,
        clock_step: None,
    }
}

fn failed(o: &Outcome) -> String {
    match o {
        Outcome::Failed(c) => c.to_string(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_watermark_combined_with_max_is_ahead_of_the_reference() {
    let w = workload(&[100, 50]);
    let t = trace(&[(1, 0, 0), (2, 1, 1)]);
    let p = pipeline();
    let channels = vec![vec![0, 1]];
    let right = run(&[(2, 50)], Vec::new());
    assert_eq!(
        watermark::conformance(&input(&w, &t, &right, &p, &channels)),
        Outcome::Held
    );
    // Max over the channels: 100 where only 50 is supported.
    let wrong = run(&[(2, 100)], Vec::new());
    let msg = failed(&watermark::conformance(&input(
        &w, &t, &wrong, &p, &channels,
    )));
    assert!(msg.contains("ahead"), "{msg}");
    assert!(msg.contains("at most 50; actual 100"), "{msg}");
}

#[test]
fn a_watermark_that_never_moves_lags_behind_the_reference() {
    let w = workload(&[100, 50]);
    let t = trace(&[(1, 0, 0), (2, 1, 1)]);
    let p = pipeline();
    let channels = vec![vec![0, 1]];
    let held = run(&[], Vec::new());
    let msg = failed(&watermark::conformance(&input(
        &w, &t, &held, &p, &channels,
    )));
    assert!(msg.contains("lagged"), "{msg}");
    assert!(msg.contains("at least 50"), "{msg}");
    // An idle channel must stop holding it: channel 1 never sends, and
    // with an idle timeout of 10 the watermark is 100 by time 11.
    let t1 = trace(&[(1, 0, 0)]);
    let mut i = input(&w, &t1, &held, &p, &channels);
    i.watermark.idle_timeout = Some(Duration(10));
    let msg = failed(&watermark::conformance(&i));
    assert!(msg.contains("processing time 11"), "{msg}");
    let idle_right = run(&[(11, 100)], Vec::new());
    let mut i = input(&w, &t1, &idle_right, &p, &channels);
    i.watermark.idle_timeout = Some(Duration(10));
    assert_eq!(watermark::conformance(&i), Outcome::Held);
}

fn dead_letter(event: u64, time: i64, at: i64, watermark: i64, window: Window) -> DeadLetter {
    DeadLetter {
        record: Record {
            id: event,
            key: Key(0),
            value: 1,
            time: EventTime(time),
        },
        windows: vec![window],
        watermark: EventTime(watermark),
        reason: DeadLetterReason::WindowExpired,
        at: ProcTime(at),
    }
}

#[test]
fn admissions_and_dead_letters_must_agree_with_the_watermark_at_arrival() {
    let w = workload(&[30, 5]);
    let t = trace(&[(1, 0, 0), (2, 0, 1)]);
    let p = pipeline();
    let channels = vec![vec![0, 1]];
    let window = Window::new(EventTime(0), EventTime(10));
    // The watermark reached 30 at 1; event 1 (time 5, window [0, 10))
    // arrives at 2: it must be dead-lettered.
    let right = run(&[(1, 30)], vec![dead_letter(1, 5, 2, 30, window)]);
    assert_eq!(
        admission::justified(&input(&w, &t, &right, &p, &channels)),
        Outcome::Held
    );
    let admitted = run(&[(1, 30)], Vec::new());
    let msg = failed(&admission::justified(&input(
        &w, &t, &admitted, &p, &channels,
    )));
    assert!(msg.contains("admitted at processing time 2"), "{msg}");
    // Exactly at end + lateness is expired already (lateness boundary).
    let at_boundary = run(&[(1, 10)], Vec::new());
    let msg = failed(&admission::justified(&input(
        &w,
        &t,
        &at_boundary,
        &p,
        &channels,
    )));
    assert!(msg.contains("watermark 10 >= 10"), "{msg}");
    // One tick before, it is admitted; a dead letter is unjustified.
    let early_refusal = run(&[(1, 9)], vec![dead_letter(1, 5, 2, 9, window)]);
    let msg = failed(&admission::justified(&input(
        &w,
        &t,
        &early_refusal,
        &p,
        &channels,
    )));
    assert!(msg.contains("before the watermark reached"), "{msg}");
    // A dead letter for a window the element is not in.
    let elsewhere = Window::new(EventTime(10), EventTime(20));
    let wrong_window = run(&[(1, 30)], vec![dead_letter(1, 5, 2, 30, elsewhere)]);
    let msg = failed(&admission::justified(&input(
        &w,
        &t,
        &wrong_window,
        &p,
        &channels,
    )));
    assert!(msg.contains("does not belong"), "{msg}");
}

#[test]
fn the_reference_windows_put_boundary_elements_in_the_window_they_start() {
    let fixed = WindowFn::Fixed {
        size: Duration(10),
        offset: Duration(0),
    };
    assert_eq!(
        windows_of(fixed, EventTime(10)),
        Some(vec![Window::new(EventTime(10), EventTime(20))])
    );
    assert_eq!(
        windows_of(fixed, EventTime(-1)),
        Some(vec![Window::new(EventTime(-10), EventTime(0))])
    );
    let sliding = WindowFn::Sliding {
        size: Duration(30),
        period: Duration(10),
        offset: Duration(0),
    };
    let starts: Vec<i64> = windows_of(sliding, EventTime(20))
        .unwrap_or_default()
        .iter()
        .map(|w| w.start.0)
        .collect();
    assert_eq!(starts, vec![0, 10, 20], "20 starts a window and ends none");
    // The engine agrees on a spread of times, boundaries included.
    for f in [fixed, sliding] {
        for t in -35..35 {
            let mut engine = Vec::new();
            f.assign(EventTime(t), &mut engine);
            assert_eq!(windows_of(f, EventTime(t)), Some(engine), "{f:?} at {t}");
        }
    }
}

fn pane(
    window: Window,
    fired_at: i64,
    watermark: i64,
    timing: tidemark_engine::Timing,
) -> tidemark_engine::Pane {
    tidemark_engine::Pane {
        key: Key(0),
        window,
        value: tidemark_engine::AggValue::Count(1),
        timestamp: EventTime(window.end.0 - 1),
        info: tidemark_engine::PaneInfo {
            timing,
            index: 0,
            nonspeculative_index: 0,
            is_first: true,
            is_last: false,
        },
        retraction: false,
        fired_at: ProcTime(fired_at),
        watermark: EventTime(watermark),
    }
}

#[test]
fn panes_must_fire_when_their_trigger_says() {
    use super::firing;
    use tidemark_engine::Timing;
    let w = workload(&[5, 12]);
    let t = trace(&[(1, 0, 0), (2, 0, 1)]);
    let mut p = pipeline();
    let channels = vec![vec![0, 1]];
    let window = Window::new(EventTime(0), EventTime(10));
    // The watermark reached 12 at processing time 2: the on-time pane of
    // [0, 10) is due then.
    let mut right = run(&[(2, 12)], Vec::new());
    right.panes = vec![pane(window, 2, 12, Timing::OnTime)];
    assert_eq!(
        firing::conformance(&input(&w, &t, &right, &p, &channels)),
        Outcome::Held
    );
    // A tick early: fired at watermark 9 (before the end).
    let mut early = run(&[(2, 9), (3, 12)], Vec::new());
    early.panes = vec![pane(window, 2, 9, Timing::Early)];
    let msg = failed(&firing::conformance(&input(&w, &t, &early, &p, &channels)));
    assert!(msg.contains("before the watermark reached"), "{msg}");
    // A step late.
    let mut late = run(&[(2, 12), (3, 13)], Vec::new());
    late.panes = vec![pane(window, 3, 13, Timing::OnTime)];
    let msg = failed(&firing::conformance(&input(&w, &t, &late, &p, &channels)));
    assert!(msg.contains("expected fired at processing time 2"), "{msg}");
    // One-shot processing time, 5 after the first arrival (1): due at 7.
    p.trigger = Trigger::AfterProcessingTime {
        delay: Duration(5),
        align: None,
    };
    let mut on_time = run(&[], Vec::new());
    on_time.panes = vec![pane(window, 7, 0, Timing::Early)];
    assert_eq!(
        firing::conformance(&input(&w, &t, &on_time, &p, &channels)),
        Outcome::Held
    );
    let mut tick_late = run(&[], Vec::new());
    tick_late.panes = vec![pane(window, 8, 0, Timing::Early)];
    let msg = failed(&firing::conformance(&input(
        &w, &t, &tick_late, &p, &channels,
    )));
    assert!(msg.contains("one tick after"), "{msg}");
    // Two windows due at the same instant come out in window order.
    p.window = WindowFn::Sliding {
        size: Duration(20),
        period: Duration(10),
        offset: Duration(0),
    };
    let first = Window::new(EventTime(-10), EventTime(10));
    let mut reversed = run(&[], Vec::new());
    // [0, 20) holds both elements (5 and 12), [-10, 10) only 5.
    let mut second = pane(
        Window::new(EventTime(0), EventTime(20)),
        7,
        0,
        Timing::Early,
    );
    second.value = tidemark_engine::AggValue::Count(2);
    reversed.panes = vec![second, pane(first, 7, 0, Timing::Early)];
    let msg = failed(&firing::conformance(&input(
        &w, &t, &reversed, &p, &channels,
    )));
    assert!(msg.contains("timer order"), "{msg}");
}

fn liveness_thresholds(
    latency_ms: Option<i64>,
    rule: Option<crate::scenario::BeforeInputEnds>,
) -> crate::scenario::Thresholds {
    crate::scenario::Thresholds {
        on_time_latency_max: latency_ms.map(crate::scenario::Dur),
        on_time_before_input_ends: rule,
        ..crate::scenario::Thresholds::default()
    }
}

#[test]
fn a_watermark_held_until_the_input_ends_breaks_liveness() {
    use super::liveness;
    use crate::scenario::BeforeInputEnds;
    use tidemark_engine::Timing;
    // Events up to event time 95 on worker 0; windows of 10.
    let w = workload(&[5, 15, 95]);
    let t = trace(&[(6, 0, 0), (16, 0, 1), (96, 0, 2)]);
    let p = pipeline();
    let channels = vec![vec![0, 1]];
    let first = Window::new(EventTime(0), EventTime(10));
    let second = Window::new(EventTime(10), EventTime(20));
    let last = Window::new(EventTime(90), EventTime(100));
    // Live: each on-time pane a tick after its window's end; the last
    // window (which the input never passes) at the end of input.
    let mut live = run(&[], Vec::new());
    live.panes = vec![
        pane(first, 16, 15, Timing::OnTime),
        pane(second, 96, 95, Timing::OnTime),
        pane(last, 1_000, i64::MAX, Timing::OnTime),
    ];
    // Stalled: an idle channel held the watermark, so all three wait for
    // the +∞ watermark at the end of input.
    let mut stalled = run(&[], Vec::new());
    stalled.panes = vec![
        pane(first, 1_000, i64::MAX, Timing::OnTime),
        pane(second, 1_000, i64::MAX, Timing::OnTime),
        pane(last, 1_000, i64::MAX, Timing::OnTime),
    ];
    let check = |r: &StrategyRun, th| liveness::check(&input(&w, &t, r, &p, &channels), &th);

    // on_time_latency_max: 80 ticks after the end holds for the live run
    // (worst: [10, 20) at 96), fails for the stalled one.
    let live_latency = check(&live, liveness_thresholds(Some(80), None));
    assert!(live_latency[0].ok(), "{live_latency:?}");
    assert_eq!(live_latency[0].actual, 76.0); // [10, 20); the last window is exempt
    let tight = check(&live, liveness_thresholds(Some(70), None));
    let c = tight[0].counterexample.as_ref().map(ToString::to_string);
    assert_eq!(
        c.as_deref(),
        Some(
            "an on-time pane came 76ms after its window's end; key k; window [10, 20); \
             expected fired by 90ms (end + 70ms); actual fired at 96ms"
        )
    );

    // on_time_before_input_ends: all — the live run passes (the last
    // window is exempt: no event time 100 or later was seen), the stalled
    // one fails on [0, 10), the first window held.
    let all = Some(BeforeInputEnds::All);
    assert!(check(&live, liveness_thresholds(None, all))[0].ok());
    let broken = check(&stalled, liveness_thresholds(None, all));
    assert_eq!(broken[0].actual, 2.0);
    let c = broken[0].counterexample.as_ref().map(ToString::to_string);
    assert!(
        c.as_deref().is_some_and(|c| c.starts_with(
            "2 on-time pane(s) were held until the input ended, though the input passed their \
             window's end; the first; key k; window [0, 10)"
        )),
        "{c:?}"
    );

    // on_time_before_input_ends: none — the lesson of a stalled strategy:
    // holds for the stalled run, fails for the live one.
    let none = Some(BeforeInputEnds::None);
    assert!(check(&stalled, liveness_thresholds(None, none))[0].ok());
    let broken = check(&live, liveness_thresholds(None, none));
    assert_eq!(broken[0].actual, 2.0);
    assert!(broken[0]
        .counterexample
        .as_ref()
        .is_some_and(|c| c.what.contains("though the scenario says none does")));

    // Nothing set: nothing measured.
    assert!(check(&live, liveness_thresholds(None, None)).is_empty());
}

fn valued(
    window: Window,
    value: u64,
    index: u64,
    timing: tidemark_engine::Timing,
) -> tidemark_engine::Pane {
    let mut p = pane(window, 10 + index as i64, 0, timing);
    p.value = tidemark_engine::AggValue::Count(value);
    p.info.index = index;
    p.info.is_first = index == 0;
    p
}

fn retraction_of(p: &tidemark_engine::Pane) -> tidemark_engine::Pane {
    tidemark_engine::Pane {
        retraction: true,
        ..p.clone()
    }
}

#[test]
fn superseded_panes_must_be_retracted_once_and_first() {
    use super::retraction;
    use tidemark_engine::Timing;
    let w = workload(&[5]);
    let t = trace(&[(1, 0, 0)]);
    let mut p = pipeline();
    p.accumulation = Accumulation::AccumulatingAndRetracting;
    let channels = vec![vec![0, 1]];
    let window = Window::new(EventTime(0), EventTime(10));
    let early = valued(window, 1, 0, Timing::Early);
    let on_time = valued(window, 3, 1, Timing::OnTime);
    let late = valued(window, 4, 2, Timing::Late);
    let check = |panes: Vec<tidemark_engine::Pane>, p: &Pipeline| {
        let mut r = run(&[], Vec::new());
        r.panes = panes;
        retraction::conformance(&input(&w, &t, &r, p, &channels))
    };
    let right = vec![
        early.clone(),
        retraction_of(&early),
        on_time.clone(),
        retraction_of(&on_time),
        late.clone(),
    ];
    assert_eq!(check(right, &p), Outcome::Held);
    // retractions_missing: the on-time pane supersedes the early one unretracted.
    let msg = failed(&check(vec![early.clone(), on_time.clone()], &p));
    assert_eq!(
        msg,
        "a pane superseded without a retraction before its replacement; key k; window [0, 10); \
         expected a retraction of early pane #0 value 1 at 10 first; actual on_time pane #1 value 3 at 11"
    );
    // The retraction after its replacement.
    let msg = failed(&check(
        vec![early.clone(), on_time.clone(), retraction_of(&early)],
        &p,
    ));
    assert!(
        msg.starts_with("a pane superseded without a retraction"),
        "{msg}"
    );
    // Retracted twice.
    let msg = failed(&check(
        vec![early.clone(), retraction_of(&early), retraction_of(&early)],
        &p,
    ));
    assert!(
        msg.starts_with("a retraction of a pane that is not standing"),
        "{msg}"
    );
    // Withdrawing another value than the pane's.
    let mut wrong = retraction_of(&early);
    wrong.value = tidemark_engine::AggValue::Count(2);
    let msg = failed(&check(vec![early.clone(), wrong], &p));
    assert!(msg.starts_with("a retraction that does not match"), "{msg}");
    // Sessions: [0, 10) and [20, 30) merge into [0, 30); both last panes
    // must be withdrawn before the merged window's.
    p.window = WindowFn::Sessions { gap: Duration(10) };
    let a = valued(window, 1, 0, Timing::OnTime);
    let b = valued(
        Window::new(EventTime(20), EventTime(30)),
        1,
        0,
        Timing::OnTime,
    );
    let merged = valued(Window::new(EventTime(0), EventTime(30)), 3, 0, Timing::Late);
    let good = vec![
        a.clone(),
        b.clone(),
        retraction_of(&a),
        retraction_of(&b),
        merged.clone(),
    ];
    assert_eq!(check(good, &p), Outcome::Held);
    let msg = failed(&check(
        vec![a.clone(), b.clone(), retraction_of(&a), merged.clone()],
        &p,
    ));
    assert!(
        msg.starts_with("a merged session's pane while window [20, 30)'s last pane still stands"),
        "{msg}"
    );
    // A closed session (its last pane said so) takes no part in merging:
    // a new session containing it leaves its pane standing.
    let mut closed = b.clone();
    closed.info.is_last = true;
    assert_eq!(
        check(
            vec![a.clone(), closed, retraction_of(&a), merged.clone()],
            &p
        ),
        Outcome::Held
    );
    // Other modes never retract.
    p.accumulation = Accumulation::Accumulating;
    let msg = failed(&check(vec![early.clone(), retraction_of(&early)], &p));
    assert!(
        msg.starts_with("a retraction in accumulating mode"),
        "{msg}"
    );
    assert_eq!(check(vec![early, on_time], &p), Outcome::Held);
}

#[test]
fn session_elements_are_judged_on_their_own_window_before_merging() {
    let w = workload(&[30, 5]);
    let t = trace(&[(1, 0, 0), (2, 0, 1)]);
    let mut p = pipeline();
    p.window = WindowFn::Sessions { gap: Duration(10) };
    let channels = vec![vec![0, 1]];
    // Event 1 (time 5) has its own window [5, 15): expired at watermark 15.
    let own = Window::new(EventTime(5), EventTime(15));
    let right = run(&[(1, 15)], vec![dead_letter(1, 5, 2, 15, own)]);
    assert_eq!(
        admission::justified(&input(&w, &t, &right, &p, &channels)),
        Outcome::Held
    );
    let admitted = run(&[(1, 15)], Vec::new());
    let msg = failed(&admission::justified(&input(
        &w, &t, &admitted, &p, &channels,
    )));
    assert!(msg.contains("admitted at processing time 2"), "{msg}");
    // At watermark 14 the own window is still open: a refusal is wrong
    // (as is judging it on a merged window that ended earlier).
    let early = run(&[(1, 14)], vec![dead_letter(1, 5, 2, 14, own)]);
    let msg = failed(&admission::justified(&input(&w, &t, &early, &p, &channels)));
    assert!(msg.contains("before the watermark reached"), "{msg}");
    // An expiry named on a window that is not the element's own.
    let merged = Window::new(EventTime(0), EventTime(15));
    let wrong = run(&[(1, 15)], vec![dead_letter(1, 5, 2, 15, merged)]);
    let msg = failed(&admission::justified(&input(&w, &t, &wrong, &p, &channels)));
    assert!(msg.contains("does not belong"), "{msg}");
}

#[test]
fn an_emission_tick_at_an_idle_deadline_comes_before_the_entries_appended_then() {
    // Channel 1 never sends: idle at 100 (timeout 100 from the first
    // arrival at 0), which is also an emission tick (interval 100). At 100
    // the tick comes first and emits 50 (channel 0 alone); the entry that
    // arrives at 100 (time 500) is emitted by the next tick, at 200.
    let w = workload(&[50, 500]);
    let t = trace(&[(0, 0, 0), (100, 0, 1)]);
    let p = pipeline();
    let channels = vec![vec![0, 1]];
    let config = WatermarkConfig {
        idle_timeout: Some(Duration(100)),
        ..bounded(2, 100)
    };
    let right = run(&[(100, 50), (200, 500)], Vec::new());
    let mut i = input(&w, &t, &right, &p, &channels);
    i.watermark = config;
    assert_eq!(watermark::conformance(&i), Outcome::Held);
    // Holding 50 past the tick at 200 lags behind the entry at 100.
    let held = run(&[(100, 50), (300, 500)], Vec::new());
    let mut i = input(&w, &t, &held, &p, &channels);
    i.watermark = config;
    let msg = failed(&watermark::conformance(&i));
    assert!(
        msg.contains("processing time 200, when an emission was due"),
        "{msg}"
    );
}

#[test]
fn on_a_coarse_clock_panes_due_in_one_step_must_come_out_in_timer_order() {
    use super::firing;
    use tidemark_engine::Timing;
    // Two keys whose first elements arrive at 1 and 3: a consumer polling
    // every 4 sees both at 4, so both one-shot timers (4 + 5, fired
    // strictly after: 10) come due at the poll at 12.
    let mut w = workload(&[5, 6]);
    w.keys = vec!["a".into(), "b".into()];
    w.events[1].key = 1;
    let t = trace(&[(1, 0, 0), (3, 0, 1)]);
    let mut p = pipeline();
    p.trigger = Trigger::AfterProcessingTime {
        delay: Duration(5),
        align: None,
    };
    let channels = vec![vec![0, 1]];
    let window = Window::new(EventTime(0), EventTime(10));
    let keyed = |k: u64, at: i64| {
        let mut x = pane(window, at, 0, Timing::Early);
        x.key = Key(k);
        x
    };
    let coarse = |r| Input {
        clock_step: Some(4),
        ..input(&w, &t, r, &p, &channels)
    };
    let mut right = run(&[], Vec::new());
    right.panes = vec![keyed(0, 12), keyed(1, 12)];
    assert_eq!(firing::conformance(&coarse(&right)), Outcome::Held);
    // The exact clock's instants (7 and 9) are wrong on the grid.
    let mut exact = run(&[], Vec::new());
    exact.panes = vec![keyed(0, 7), keyed(1, 9)];
    let msg = failed(&firing::conformance(&coarse(&exact)));
    assert!(msg.contains("fired at processing time 12"), "{msg}");
    // Due in one step, but the later key came out first.
    let mut reversed = run(&[], Vec::new());
    reversed.panes = vec![keyed(1, 12), keyed(0, 12)];
    let msg = failed(&firing::conformance(&coarse(&reversed)));
    assert!(msg.contains("timer order"), "{msg}");
    assert!(msg.contains("after key b"), "{msg}");
}

#[test]
fn a_pane_must_not_count_elements_read_after_it_fired() {
    use super::firing;
    use tidemark_engine::{AggValue, Timing};
    // Both elements fall in [0, 10); they are read at 1 and 8.
    let w = workload(&[5, 6]);
    let t = trace(&[(1, 0, 0), (8, 0, 1)]);
    let p = pipeline();
    let channels = vec![vec![0, 1]];
    let window = Window::new(EventTime(0), EventTime(10));
    let counted = |n: u64, at: i64| {
        let mut x = pane(window, at, 12, Timing::OnTime);
        x.value = AggValue::Count(n);
        x
    };
    let mut right = run(&[], Vec::new());
    right.panes = vec![counted(1, 3)];
    assert_eq!(
        firing::conformance(&input(&w, &t, &right, &p, &channels)),
        Outcome::Held
    );
    // Fired at 3, but counts the element read at 8.
    let mut ahead = run(&[], Vec::new());
    ahead.panes = vec![counted(2, 3)];
    let msg = failed(&firing::conformance(&input(&w, &t, &ahead, &p, &channels)));
    assert!(msg.contains("read after the pane fired"), "{msg}");
    assert!(
        msg.contains("count 1: the 1 admitted element(s) read before processing time 3"),
        "{msg}"
    );
    // A consumer polling every 4 reads the first element only at 4.
    let coarse = Input {
        clock_step: Some(4),
        ..input(&w, &t, &right, &p, &channels)
    };
    let msg = failed(&firing::conformance(&coarse));
    assert!(msg.contains("count 0: the 0 admitted element(s)"), "{msg}");
}

#[test]
fn a_count_trigger_must_fire_at_its_count() {
    use super::firing;
    use tidemark_engine::{AggValue, Timing};
    // Three elements in [0, 10), read at 1, 2 and 3; early panes every 2.
    let w = workload(&[5, 6, 7]);
    let t = trace(&[(1, 0, 0), (2, 0, 1), (3, 0, 2)]);
    let mut p = pipeline();
    p.trigger = Trigger::AfterWatermark {
        early: Some(Box::new(Trigger::AfterCount(2))),
        late: None,
    };
    let channels = vec![vec![0, 1]];
    let window = Window::new(EventTime(0), EventTime(10));
    let counted = |n: u64, at: i64, timing: Timing| {
        let mut x = pane(window, at, 12, timing);
        x.value = AggValue::Count(n);
        x
    };
    let mut right = run(&[], Vec::new());
    right.panes = vec![counted(2, 2, Timing::Early)];
    assert_eq!(
        firing::conformance(&input(&w, &t, &right, &p, &channels)),
        Outcome::Held
    );
    // A trigger that fires one element late (at 3, holding 3).
    let mut late = run(&[], Vec::new());
    late.panes = vec![counted(3, 3, Timing::Early)];
    let msg = failed(&firing::conformance(&input(&w, &t, &late, &p, &channels)));
    assert!(msg.contains("did not fire at its count"), "{msg}");
    assert!(
        msg.contains("2 element(s) since the window's previous pane"),
        "{msg}"
    );
    // Accumulating: the second early pane must add exactly 2 again.
    p.accumulation = Accumulation::Accumulating;
    let mut short = run(&[], Vec::new());
    short.panes = vec![counted(2, 2, Timing::Early), counted(3, 3, Timing::Early)];
    let msg = failed(&firing::conformance(&input(&w, &t, &short, &p, &channels)));
    assert!(msg.contains("1 in the early pane"), "{msg}");
}

#[test]
fn a_sum_must_not_hold_values_read_after_it_fired() {
    use super::firing;
    use tidemark_engine::{AggValue, Timing};
    // Both elements (value 1 each) fall in [0, 10); read at 1 and 8.
    let w = workload(&[5, 6]);
    let t = trace(&[(1, 0, 0), (8, 0, 1)]);
    let mut p = pipeline();
    p.aggregate = Aggregate::Sum;
    let channels = vec![vec![0, 1]];
    let window = Window::new(EventTime(0), EventTime(10));
    let summed = |v: i64, at: i64| {
        let mut x = pane(window, at, 12, Timing::OnTime);
        x.value = AggValue::Sum(v);
        x
    };
    let mut right = run(&[], Vec::new());
    right.panes = vec![summed(1, 3)];
    assert_eq!(
        firing::conformance(&input(&w, &t, &right, &p, &channels)),
        Outcome::Held
    );
    let mut ahead = run(&[], Vec::new());
    ahead.panes = vec![summed(2, 3)];
    let msg = failed(&firing::conformance(&input(&w, &t, &ahead, &p, &channels)));
    assert!(msg.contains("not the fold of the elements"), "{msg}");
    assert!(msg.contains("expected sum 1: the 1 admitted"), "{msg}");
    assert!(msg.contains("actual sum 2"), "{msg}");
}

/// A count pane of `window` fired at `at` (watermark `wm`).
fn counted(
    window: Window,
    at: i64,
    wm: i64,
    timing: tidemark_engine::Timing,
    n: u64,
) -> tidemark_engine::Pane {
    let mut x = pane(window, at, wm, timing);
    x.value = tidemark_engine::AggValue::Count(n);
    x
}

#[test]
fn repeated_processing_time_panes_fire_one_tick_after_each_timer() {
    use super::firing;
    use tidemark_engine::Timing::Early;
    // Three elements of [0, 10), read at 1, 2 and 9; the window expires
    // when the watermark passes 10, at processing time 30.
    let w = workload(&[1, 2, 3]);
    let t = trace(&[(1, 0, 0), (2, 0, 1), (9, 0, 2)]);
    let mut p = pipeline();
    p.trigger = Trigger::Repeatedly(Box::new(Trigger::AfterProcessingTime {
        delay: Duration(5),
        align: None,
    }));
    let channels = vec![vec![0, 1]];
    let window = Window::new(EventTime(0), EventTime(10));
    let check = |r: &StrategyRun| firing::conformance(&input(&w, &t, r, &p, &channels));
    // The read at 1 sets a timer at 6 (fires at 7, holding two); the first
    // read at or after 7 (at 9) the next, at 14 (fires at 15).
    let mut right = run(&[(30, 100)], Vec::new());
    right.panes = vec![
        counted(window, 7, 0, Early, 2),
        counted(window, 15, 0, Early, 1),
    ];
    assert_eq!(check(&right), Outcome::Held);
    let mut tick_late = run(&[(30, 100)], Vec::new());
    tick_late.panes = vec![
        counted(window, 7, 0, Early, 2),
        counted(window, 16, 0, Early, 1),
    ];
    let msg = failed(&check(&tick_late));
    assert!(
        msg.contains("expected fired at processing time 15 (its first element read at 9, delay 5)"),
        "{msg}"
    );
    // A lost timer: the window expired at 30 with its second pane owed.
    let mut lost = run(&[(30, 100)], Vec::new());
    lost.panes = vec![counted(window, 7, 0, Early, 2)];
    let msg = failed(&check(&lost));
    assert!(msg.contains("a processing-time timer never fired"), "{msg}");
    assert!(msg.contains("a pane at processing time 15"), "{msg}");
    // Expiry at 12 comes before the timer: the pane then is the last.
    let mut expired = run(&[(12, 100)], Vec::new());
    expired.panes = vec![
        counted(window, 7, 0, Early, 2),
        counted(window, 12, 100, tidemark_engine::Timing::OnTime, 1),
    ];
    assert_eq!(check(&expired), Outcome::Held);
}

#[test]
fn an_aligned_processing_time_pane_fires_after_the_next_boundary() {
    use super::firing;
    use tidemark_engine::Timing::Early;
    let w = workload(&[1, 2]);
    let t = trace(&[(1, 0, 0), (2, 0, 1)]);
    let mut p = pipeline();
    // No delay, aligned to 3 + k·10: the read at 1 waits for 3.
    p.trigger = Trigger::AfterProcessingTime {
        delay: Duration(0),
        align: Some((Duration(10), Duration(3))),
    };
    let channels = vec![vec![0, 1]];
    let window = Window::new(EventTime(0), EventTime(10));
    let mut right = run(&[(30, 100)], Vec::new());
    right.panes = vec![counted(window, 4, 0, Early, 2)];
    assert_eq!(
        firing::conformance(&input(&w, &t, &right, &p, &channels)),
        Outcome::Held
    );
    // Unaligned it would have fired at 2.
    let mut unaligned = run(&[(30, 100)], Vec::new());
    unaligned.panes = vec![counted(window, 2, 0, Early, 1)];
    let msg = failed(&firing::conformance(&input(
        &w, &t, &unaligned, &p, &channels,
    )));
    assert!(msg.contains("fired at processing time 4"), "{msg}");
    assert!(msg.contains("aligned up to 3 + k·10"), "{msg}");
}

#[test]
fn early_and_late_processing_time_triggers_fire_on_their_own_timers() {
    use super::firing;
    use tidemark_engine::Timing::{Early, Late, OnTime};
    // [0, 10) with 20 of lateness: reads at 1 and 8 before the watermark
    // passes 10 at 9, a late one at 11; expiry (30) passes at 40.
    let w = workload(&[1, 2, 3]);
    let t = trace(&[(1, 0, 0), (8, 0, 1), (11, 0, 2)]);
    let mut p = pipeline();
    let every_5 = Trigger::AfterProcessingTime {
        delay: Duration(5),
        align: None,
    };
    p.trigger = Trigger::AfterWatermark {
        early: Some(Box::new(Trigger::Repeatedly(Box::new(every_5.clone())))),
        late: Some(Box::new(every_5)),
    };
    p.allowed_lateness = Duration(20);
    let channels = vec![vec![0, 1]];
    let window = Window::new(EventTime(0), EventTime(10));
    let check = |r: &StrategyRun| firing::conformance(&input(&w, &t, r, &p, &channels));
    // Early at 7 (timer 6); the read at 8 sets 13, but the on-time pane at
    // 9 comes first; the late read at 11 sets 16: late pane at 17.
    let marks = [(9, 10), (40, 100)];
    let mut right = run(&marks, Vec::new());
    right.panes = vec![
        counted(window, 7, 0, Early, 1),
        counted(window, 9, 10, OnTime, 1),
        counted(window, 17, 10, Late, 1),
    ];
    assert_eq!(check(&right), Outcome::Held);
    let mut late_tick = run(&marks, Vec::new());
    late_tick.panes = vec![
        counted(window, 7, 0, Early, 1),
        counted(window, 9, 10, OnTime, 1),
        counted(window, 18, 10, Late, 1),
    ];
    let msg = failed(&check(&late_tick));
    assert!(
        msg.contains("fired at processing time 17 (its first element read at 11"),
        "{msg}"
    );
    // The late timer lost: nothing after the on-time pane before expiry.
    let mut lost = run(&marks, Vec::new());
    lost.panes = vec![
        counted(window, 7, 0, Early, 1),
        counted(window, 9, 10, OnTime, 1),
    ];
    let msg = failed(&check(&lost));
    assert!(msg.contains("a processing-time timer never fired"), "{msg}");
    // An early timer that fired a tick early.
    let mut early_tick = run(&marks, Vec::new());
    early_tick.panes = vec![
        counted(window, 6, 0, Early, 1),
        counted(window, 9, 10, OnTime, 1),
        counted(window, 17, 10, Late, 1),
    ];
    let msg = failed(&check(&early_tick));
    assert!(msg.contains("fired at processing time 7"), "{msg}");
}

#[test]
fn a_pane_holds_exactly_what_was_read_before_it_for_every_aggregate() {
    use super::firing;
    use tidemark_engine::{AggValue, Timing::OnTime};
    // Values 3, 7 and -2 in [0, 10), read at 1, 8 and 8.
    let mut w = workload(&[1, 2, 3]);
    for (e, v) in w.events.iter_mut().zip([3, 7, -2]) {
        e.value = v;
    }
    let t = trace(&[(1, 0, 0), (8, 0, 1), (8, 0, 2)]);
    let channels = vec![vec![0, 1]];
    let window = Window::new(EventTime(0), EventTime(10));
    let valued = |at: i64, value: AggValue| {
        let mut x = pane(window, at, 12, OnTime);
        x.value = value;
        x
    };
    let verdict = |aggregate: Aggregate, panes: Vec<tidemark_engine::Pane>| {
        let mut p = pipeline();
        p.aggregate = aggregate;
        let mut r = run(&[], Vec::new());
        r.panes = panes;
        firing::conformance(&input(&w, &t, &r, &p, &channels))
    };
    // The max at 5 is 3: 7 was read only at 8.
    assert_eq!(
        verdict(Aggregate::Max, vec![valued(5, AggValue::Max(Some(3)))]),
        Outcome::Held
    );
    let msg = failed(&verdict(
        Aggregate::Max,
        vec![valued(5, AggValue::Max(Some(7)))],
    ));
    assert!(msg.contains("expected max 3"), "{msg}");
    // A sum of either sign: at 9 all three (8), not 3 + 7 alone.
    assert_eq!(
        verdict(Aggregate::Sum, vec![valued(9, AggValue::Sum(8))]),
        Outcome::Held
    );
    let msg = failed(&verdict(Aggregate::Sum, vec![valued(9, AggValue::Sum(10))]));
    assert!(msg.contains("expected sum 8"), "{msg}");
    // A pane at 8 may hold any prefix of the two read at 8 (a watermark
    // step moved by one of them), but not the second without the first.
    for (value, held) in [(3, true), (10, true), (8, true), (1, false)] {
        let v = verdict(Aggregate::Sum, vec![valued(8, AggValue::Sum(value))]);
        assert_eq!(v == Outcome::Held, held, "sum {value}: {v:?}");
    }
    // Missing an element read before: a count of 2 at 9 misses one.
    let msg = failed(&verdict(
        Aggregate::Count,
        vec![valued(9, AggValue::Count(2))],
    ));
    assert!(
        msg.contains("misses elements the worker read before"),
        "{msg}"
    );
    // Min, in discarding mode over two panes: 3, then -2 (the later pair).
    assert_eq!(
        verdict(
            Aggregate::Min,
            vec![
                valued(5, AggValue::Min(Some(3))),
                valued(9, AggValue::Min(Some(-2)))
            ]
        ),
        Outcome::Held
    );
}

#[test]
fn a_composite_trigger_pane_between_events_must_be_a_timer() {
    use super::firing;
    use tidemark_engine::Timing::Early;
    // after_any(count 10, processing time 5): reads at 1 and 2 set timers
    // that fire at 7 and 8 (whichever the trigger kept).
    let w = workload(&[1, 2]);
    let t = trace(&[(1, 0, 0), (2, 0, 1)]);
    let mut p = pipeline();
    p.trigger = Trigger::AfterAny(vec![
        Trigger::AfterCount(10),
        Trigger::AfterProcessingTime {
            delay: Duration(5),
            align: None,
        },
    ]);
    let channels = vec![vec![0, 1]];
    let window = Window::new(EventTime(0), EventTime(10));
    let check = |at: i64| {
        let mut r = run(&[(30, 100)], Vec::new());
        r.panes = vec![counted(window, at, 0, Early, 2)];
        firing::conformance(&input(&w, &t, &r, &p, &channels))
    };
    assert_eq!(check(7), Outcome::Held);
    let msg = failed(&check(9));
    assert!(
        msg.contains("a pane fired when nothing could fire it"),
        "{msg}"
    );
    assert!(msg.contains("the nearest such instant is 8"), "{msg}");
}

/// A slow consumer's run over `trace`: it sent `watermarks`, and read
/// delivery `k` at `read_at[k]`.
fn read_late(trace: &Trace, watermarks: &[(i64, i64)], read_at: &[i64]) -> StrategyRun {
    let mut r = run(watermarks, Vec::new());
    r.recovery.read = vec![true; read_at.len()];
    r.recovery.read_delay = read_at
        .iter()
        .zip(&trace.deliveries)
        .map(|(&t, d)| u32::try_from(t - d.at().0).expect("read after append"))
        .collect();
    r
}

#[test]
fn a_slow_consumers_idle_timer_runs_from_when_it_read_each_entry() {
    // Channel 0 (time 50) appended and read at 0; channel 1 (time 10)
    // appended at 5 but read at 60; channel 0 again (time 500) appended at
    // 110, read at 120. Idle timeout 100: channel 1 goes idle at 160 (its
    // read + 100), not at 105 (its append + 100), so the watermark holds
    // at 10 until 160 and is 500 from then on.
    let w = workload(&[50, 10, 500]);
    let t = trace(&[(0, 0, 0), (5, 1, 1), (110, 0, 2)]);
    let p = pipeline();
    let channels = vec![vec![0, 1]];
    let config = WatermarkConfig {
        idle_timeout: Some(Duration(100)),
        ..bounded(2, 0)
    };
    let reads = [0, 60, 120];
    let check = |sent: &[(i64, i64)]| {
        let r = read_late(&t, sent, &reads);
        let mut i = input(&w, &t, &r, &p, &channels);
        i.immediate = false;
        i.watermark = config;
        watermark::conformance(&i)
    };
    assert_eq!(check(&[(60, 10), (160, 500)]), Outcome::Held);
    // Channel 1 ignored from its append + 100: ahead at 120.
    let msg = failed(&check(&[(60, 10), (120, 500)]));
    assert!(msg.contains("ahead") && msg.contains("at most 10"), "{msg}");
    // The idle channel holding the watermark for ever lags from 160.
    let msg = failed(&check(&[(60, 10)]));
    assert!(msg.contains("processing time 160"), "{msg}");
    // A crashed worker's reads were redone: the check stands down.
    let mut r = read_late(&t, &[(60, 10)], &reads);
    r.recovery.crashes = 1;
    let mut i = input(&w, &t, &r, &p, &channels);
    i.immediate = false;
    i.watermark = config;
    assert!(matches!(
        watermark::conformance(&i),
        Outcome::NotApplicable(_)
    ));
}

#[test]
fn on_a_coarse_clock_an_idle_deadline_is_owed_at_the_next_poll() {
    // Polls every 40: channel 1's entry (appended at 5) is read at 40, so
    // it goes idle at 140, which the worker sees at its poll at 160.
    let w = workload(&[50, 10, 500]);
    let t = trace(&[(0, 0, 0), (5, 1, 1), (110, 0, 2)]);
    let p = pipeline();
    let channels = vec![vec![0, 1]];
    let config = WatermarkConfig {
        idle_timeout: Some(Duration(100)),
        ..bounded(2, 0)
    };
    let reads = [0, 40, 120];
    let check = |sent: &[(i64, i64)]| {
        let r = read_late(&t, sent, &reads);
        let mut i = input(&w, &t, &r, &p, &channels);
        i.immediate = false;
        i.watermark = config;
        i.clock_step = Some(40);
        watermark::conformance(&i)
    };
    assert_eq!(check(&[(40, 10), (160, 500)]), Outcome::Held);
    // One poll late.
    let msg = failed(&check(&[(40, 10), (200, 500)]));
    assert!(msg.contains("processing time 160"), "{msg}");
    // Before channel 1 went idle, at the poll at 120.
    let msg = failed(&check(&[(40, 10), (120, 500)]));
    assert!(msg.contains("ahead"), "{msg}");
}

#[test]
fn a_tick_owes_what_the_channels_support_at_it_not_at_an_earlier_read() {
    // Interval 100, idle timeout 50. Channel 0 reads time 200 at 60 while
    // channel 1 is idle (since 0): the channels support 200 then. At 70
    // channel 1 comes back with time 20, so the tick at 100 owes only 20
    // (min of the two), and the tick at 200, both channels idle, owes 200.
    // (Sending 200 at 100 would be sound too: it was supported from 60 to
    // 70, and a watermark never goes back.)
    let w = workload(&[100, 10, 200, 20]);
    let t = trace(&[(0, 0, 0), (0, 1, 1), (60, 0, 2), (70, 1, 3)]);
    let p = pipeline();
    let channels = vec![vec![0, 1]];
    let config = WatermarkConfig {
        idle_timeout: Some(Duration(50)),
        ..bounded(2, 100)
    };
    let check = |sent: &[(i64, i64)]| {
        let r = run(sent, Vec::new());
        let mut i = input(&w, &t, &r, &p, &channels);
        i.watermark = config;
        watermark::conformance(&i)
    };
    assert_eq!(check(&[(0, 10), (100, 20), (200, 200)]), Outcome::Held);
    let msg = failed(&check(&[(0, 10), (100, 20)]));
    assert!(msg.contains("processing time 200"), "{msg}");
}

#[test]
fn behind_a_slow_consumer_a_pane_holds_what_was_read_not_what_was_appended() {
    use super::firing;
    use tidemark_engine::Timing::OnTime;
    // Appended at 1 and 2, but read at 6 and 12 (the recorded delays).
    let w = workload(&[5, 6]);
    let t = trace(&[(1, 0, 0), (2, 0, 1)]);
    let p = pipeline();
    let channels = vec![vec![0, 1]];
    let window = Window::new(EventTime(0), EventTime(10));
    let with = |n: u64, crashes: u64| {
        let mut r = run(&[(8, 12)], Vec::new());
        r.panes = vec![counted(window, 8, 12, OnTime, n)];
        r.recovery.read = vec![true, true];
        r.recovery.read_delay = vec![5, 10];
        r.recovery.crashes = crashes;
        r
    };
    let slow = |r: &StrategyRun| {
        firing::conformance(&Input {
            immediate: false,
            ..input(&w, &t, r, &p, &channels)
        })
    };
    assert_eq!(slow(&with(1, 0)), Outcome::Held);
    let msg = failed(&slow(&with(2, 0)));
    assert!(
        msg.contains("holds elements the worker read after the pane fired"),
        "{msg}"
    );
    // After a crash a restored worker re-reads: the rule stands down.
    assert_eq!(slow(&with(2, 1)), Outcome::Held);
}
