//! The worked transcript example (engine/tests/transcripts/), driven through
//! the public API, so the engine's core path is checked without the sim.

use tidemark_engine::{
    Accumulation, AggValue, Aggregate, DeadLetterReason, Duration, Engine, EngineConfig, EventTime,
    Key, OnTimeBehavior, Output, Pipeline, ProcTime, Record, TimestampCombiner, Timing, Trigger,
    Window, WindowFn,
};

fn rec(id: u64, key: u64, value: i64, time: i64) -> Record {
    Record {
        id,
        key: Key(key),
        value,
        time: EventTime(time),
    }
}

fn drain(e: &mut Engine) -> Vec<Output> {
    std::iter::from_fn(|| e.poll_output()).collect()
}

fn pane(o: &Output) -> (u64, (i64, i64), Vec<i64>, Timing, u64) {
    match o {
        Output::Pane(p) => {
            let AggValue::Collect(vs) = &p.value else {
                panic!("collect")
            };
            (
                p.key.0,
                (p.window.start.0, p.window.end.0),
                vs.clone(),
                p.info.timing,
                p.info.index,
            )
        }
        Output::DeadLetter(d) => panic!("unexpected dead letter {d:?}"),
    }
}

#[test]
fn fixed_early_late() {
    let early = Trigger::AfterCount(2);
    let late = Trigger::AfterCount(1);
    let p = Pipeline {
        window: WindowFn::Fixed {
            size: Duration(10),
            offset: Duration(0),
        },
        trigger: Trigger::AfterWatermark {
            early: Some(Box::new(early)),
            late: Some(Box::new(late)),
        },
        accumulation: Accumulation::Accumulating,
        allowed_lateness: Duration(20),
        timestamp_combiner: TimestampCombiner::EndOfWindow,
        aggregate: Aggregate::Collect,
        on_time: OnTimeBehavior::Always,
    };
    let mut e = Engine::new(p, EngineConfig::DEFAULT).expect("valid");
    let t0 = ProcTime(0);
    e.handle_bundle(t0, &[rec(1, 0, 1, 1), rec(2, 0, 2, 2), rec(3, 0, 3, 3)]);
    let out = drain(&mut e);
    assert_eq!(out.len(), 1);
    assert_eq!(pane(&out[0]), (0, (0, 10), vec![1, 2, 3], Timing::Early, 0));

    e.handle_bundle(t0, &[rec(4, 1, 5, 12)]);
    e.handle_timeout(ProcTime(7));
    e.handle_watermark(ProcTime(7), EventTime(10));
    let out = drain(&mut e);
    assert_eq!(out.len(), 1);
    assert_eq!(
        pane(&out[0]),
        (0, (0, 10), vec![1, 2, 3], Timing::OnTime, 1)
    );

    e.handle_bundle(ProcTime(7), &[rec(5, 0, 4, 4)]);
    let out = drain(&mut e);
    assert_eq!(
        pane(&out[0]),
        (0, (0, 10), vec![1, 2, 3, 4], Timing::Late, 2)
    );

    e.handle_watermark(ProcTime(7), EventTime(30));
    let out = drain(&mut e);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(pane(&out[0]), (1, (10, 20), vec![5], Timing::OnTime, 0));

    e.handle_bundle(ProcTime(7), &[rec(6, 0, 6, 6)]);
    let out = drain(&mut e);
    let Output::DeadLetter(d) = &out[0] else {
        panic!("dead letter expected")
    };
    assert_eq!(d.reason, DeadLetterReason::WindowExpired);
    assert_eq!(d.windows, vec![Window::new(EventTime(0), EventTime(10))]);
    assert_eq!(d.watermark, EventTime(30));
}
