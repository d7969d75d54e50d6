//! Watermark holds: the output watermark a downstream stage sees is held
//! back by the timestamps of panes not yet emitted, so those panes are on
//! time downstream.

use tidemark_engine::{
    Accumulation, Aggregate, Duration, Engine, EngineConfig, EventTime, Key, OnTimeBehavior,
    Output, Pipeline, ProcTime, Record, TimestampCombiner, Trigger, WindowFn,
};

fn engine(combiner: TimestampCombiner) -> Engine {
    let p = Pipeline {
        window: WindowFn::Fixed {
            size: Duration(10),
            offset: Duration(0),
        },
        trigger: Trigger::Default,
        accumulation: Accumulation::Discarding,
        allowed_lateness: Duration(0),
        timestamp_combiner: combiner,
        aggregate: Aggregate::Sum,
        on_time: OnTimeBehavior::Always,
    };
    Engine::new(p, EngineConfig::DEFAULT).expect("valid pipeline")
}

fn rec(id: u64, time: i64) -> Record {
    Record {
        id,
        key: Key(0),
        value: 1,
        time: EventTime(time),
    }
}

#[test]
fn earliest_holds_the_output_watermark_at_the_earliest_pending_element() {
    let mut e = engine(TimestampCombiner::Earliest);
    let now = ProcTime(0);
    e.handle_watermark(now, EventTime(3));
    e.handle_bundle(now, &[rec(1, 7), rec(2, 5)]);
    assert_eq!(e.output_watermark(), EventTime(3));
    e.handle_watermark(now, EventTime(6));
    assert_eq!(
        e.output_watermark(),
        EventTime(5),
        "held by the element at 5"
    );
    e.handle_watermark(now, EventTime(10));
    let Some(Output::Pane(p)) = e.poll_output() else {
        panic!("on-time pane expected")
    };
    assert_eq!(p.timestamp, EventTime(5));
    assert!(
        p.timestamp >= EventTime(5),
        "not behind the output watermark it was held at"
    );
    assert_eq!(e.output_watermark(), EventTime(10), "released once emitted");
}

#[test]
fn end_of_window_holds_at_the_max_timestamp() {
    let mut e = engine(TimestampCombiner::EndOfWindow);
    let now = ProcTime(0);
    e.handle_bundle(now, &[rec(1, 12)]);
    e.handle_watermark(now, EventTime(15));
    assert_eq!(
        e.output_watermark(),
        EventTime(15),
        "the hold at 19 is ahead of the input"
    );
    e.handle_bundle(now, &[rec(2, 3)]);
    // A late element in an expired window is dead-lettered and holds nothing.
    assert_eq!(e.output_watermark(), EventTime(15));
}

#[test]
fn a_late_element_does_not_hold_the_watermark() {
    let mut e = engine(TimestampCombiner::Earliest);
    let now = ProcTime(0);
    e.handle_bundle(now, &[rec(1, 9)]);
    e.handle_watermark(now, EventTime(8));
    e.handle_bundle(now, &[rec(2, 2)]);
    assert_eq!(
        e.output_watermark(),
        EventTime(8),
        "2 is behind the watermark: no hold"
    );
    e.handle_watermark(now, EventTime(10));
    let Some(Output::Pane(p)) = e.poll_output() else {
        panic!("on-time pane expected")
    };
    assert_eq!(
        p.timestamp,
        EventTime(9),
        "earliest of the holdable elements"
    );
}
