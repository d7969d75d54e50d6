//! The output watermark that decides pane timing is per key (as in Beam
//! Java's ReduceFnTester): a key's panes never depend on which other keys
//! share the engine.

use tidemark_engine::{
    Accumulation, Aggregate, Duration, Engine, EngineConfig, EventTime, Key, OnTimeBehavior,
    Output, Pipeline, ProcTime, Record, TimestampCombiner, Timing, Trigger, WindowFn,
};

fn engine() -> Engine {
    engine_with(TimestampCombiner::Earliest)
}

fn engine_with(combiner: TimestampCombiner) -> Engine {
    let p = Pipeline {
        window: WindowFn::Fixed {
            size: Duration(10),
            offset: Duration(0),
        },
        trigger: Trigger::Repeatedly(Box::new(Trigger::AfterCount(2))),
        accumulation: Accumulation::Discarding,
        allowed_lateness: Duration(30),
        timestamp_combiner: combiner,
        aggregate: Aggregate::Sum,
        on_time: OnTimeBehavior::Always,
    };
    Engine::new(p, EngineConfig::DEFAULT).expect("valid pipeline")
}

fn rec(key: u64, time: i64) -> Record {
    Record {
        id: time as u64,
        key: Key(key),
        value: 1,
        time: EventTime(time),
    }
}

/// Key 1's pane timings, with or without key 0 holding its own output
/// watermark back at 5 (one pending element that never fires).
fn timings_of_key_1(with_key_0: bool) -> Vec<Timing> {
    let mut e = engine();
    let now = ProcTime(0);
    if with_key_0 {
        e.handle_record(now, rec(0, 5));
    }
    e.handle_bundle(now, &[rec(1, 12), rec(1, 13)]);
    e.handle_watermark(now, EventTime(21));
    e.handle_bundle(now, &[rec(1, 14), rec(1, 15)]);
    let mut timings = Vec::new();
    while let Some(o) = e.poll_output() {
        if let Output::Pane(p) = o {
            if p.key == Key(1) {
                timings.push(p.info.timing);
            }
        }
    }
    timings
}

#[test]
fn a_keys_pane_timing_ignores_other_keys_holds() {
    // Key 1: an early pane, then, after the step to 21 left nothing of key 1
    // pending, a late one (its output watermark 21 is past 19).
    let alone = timings_of_key_1(false);
    assert_eq!(alone, vec![Timing::Early, Timing::Late]);
    // Key 0's pending element holds the stage's output watermark at 5, but
    // not key 1's: a stage-wide watermark would have made this pane on time.
    assert_eq!(timings_of_key_1(true), alone);
}

#[test]
fn a_pending_on_time_element_keeps_the_pane_on_time() {
    // The same key holds at 12 through the step to 21, so its first
    // non-early pane is on time (Java's isLateForOutput is false).
    let mut e = engine();
    let now = ProcTime(0);
    e.handle_record(now, rec(1, 12));
    e.handle_watermark(now, EventTime(21));
    assert_eq!(
        e.output_watermark(),
        EventTime(12),
        "held by the element at 12"
    );
    e.handle_record(now, rec(1, 13));
    let Some(Output::Pane(p)) = e.poll_output() else {
        panic!("a pane expected")
    };
    assert_eq!(
        (p.info.timing, p.info.nonspeculative_index, p.timestamp),
        (Timing::OnTime, 0, EventTime(12))
    );
}

#[test]
fn an_end_of_window_hold_left_pending_past_the_end_keeps_the_pane_on_time() {
    // Under end_of_window the element holds at 19; the window doesn't fire
    // at the step to 21, so the hold stays and the next pane is on time.
    let mut e = engine_with(TimestampCombiner::EndOfWindow);
    let now = ProcTime(0);
    e.handle_record(now, rec(1, 12));
    e.handle_watermark(now, EventTime(21));
    e.handle_record(now, rec(1, 13));
    let Some(Output::Pane(p)) = e.poll_output() else {
        panic!("a pane expected")
    };
    assert_eq!(
        (p.info.timing, p.timestamp),
        (Timing::OnTime, EventTime(19))
    );
    // Nothing holds any more: at the next step the key's output watermark
    // passes 19, so a further pane is late (it would be anyway, after an
    // on-time one; check a fresh window of the same key instead).
    e.handle_watermark(now, EventTime(31));
    e.handle_bundle(now, &[rec(1, 22), rec(1, 23)]);
    let Some(Output::Pane(p)) = e.poll_output() else {
        panic!("a pane expected")
    };
    assert_eq!(
        p.info.timing,
        Timing::Late,
        "[20,30) created after the output watermark passed 29"
    );
}
