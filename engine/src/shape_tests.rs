//! The engine's shortcuts against the paths they stand for: the default
//! shape's constant path (`Pipeline::shape`), its lean windows
//! (`Slot::Lean`), and event timers kept per window (`Book::by_window`).
//! Engines made to take the general path with a timer per key-window, or
//! the constant path with every window boxed, for the same pipeline must
//! give the same outputs, byte for byte, and report the same state
//! (`state_size`, `output_watermark`, `window_status`) after every input,
//! over generated records, bundles and watermark steps, for every window
//! function; and an engine restored from a snapshot taken midway carries
//! on the same. Timers per window are also checked under every trigger.
//! (The paths share their code but for the shortcuts, so this checks those
//! and the routing; what all share is checked against Beam by the
//! transcripts and against independent models by `tests/properties.rs`.)

use crate::output::{Key, Output, Record};
use crate::pipeline::{Accumulation, OnTimeBehavior, Pipeline, TimestampCombiner};
use crate::stats::EngineConfig;
use crate::stats::{EngineStats, StateSize, WindowStatus};
use crate::time::{Duration, EventTime, ProcTime};
use crate::trigger::Trigger;
use crate::window::Window;
use crate::window::WindowFn;
use crate::{Aggregate, Engine};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Record(u64, i64, i64),
    Bundle(Vec<(u64, i64, i64)>),
    Watermark(i64),
    /// Keys `0..n` each get an element at the time, as one bundle: enough
    /// key-windows in one window for a bulk expiry (`expiry::BULK_MIN`).
    Fill(u64, i64, i64),
}

fn window_fns() -> impl Strategy<Value = WindowFn> {
    prop_oneof![
        (1i64..30, 0i64..10).prop_map(|(size, off)| WindowFn::Fixed {
            size: Duration(size),
            offset: Duration(off % size),
        }),
        (1i64..20, 1i64..20, 0i64..5).prop_map(|(a, b, off)| WindowFn::Sliding {
            size: Duration(a.max(b)),
            period: Duration(a.min(b)),
            offset: Duration(off),
        }),
        (1i64..15).prop_map(|gap| WindowFn::Sessions { gap: Duration(gap) }),
        Just(WindowFn::Global),
    ]
}

fn accumulations() -> impl Strategy<Value = Accumulation> {
    prop_oneof![
        Just(Accumulation::Discarding),
        Just(Accumulation::Accumulating),
        Just(Accumulation::AccumulatingAndRetracting),
    ]
}

fn latenesses() -> impl Strategy<Value = i64> {
    prop_oneof![Just(0i64), 1i64..30, Just(i64::MAX)]
}

/// Every combiner, `end_of_window` (the lean windows' one) twice as often.
fn combiners() -> impl Strategy<Value = TimestampCombiner> {
    prop_oneof![
        Just(TimestampCombiner::EndOfWindow),
        Just(TimestampCombiner::EndOfWindow),
        Just(TimestampCombiner::Earliest),
        Just(TimestampCombiner::Latest),
    ]
}

/// A summing pipeline.
fn sum_pipeline(
    window: WindowFn,
    trigger: Trigger,
    accumulation: Accumulation,
    lateness: i64,
    combiner: TimestampCombiner,
    on_time: OnTimeBehavior,
) -> Pipeline {
    Pipeline {
        window,
        trigger,
        accumulation,
        allowed_lateness: Duration(lateness),
        timestamp_combiner: combiner,
        aggregate: Aggregate::Sum,
        on_time,
    }
}

/// Triggers of every kind, small enough to fire within a test's inputs.
fn triggers() -> impl Strategy<Value = Trigger> {
    let count = (1u64..4).prop_map(Trigger::AfterCount);
    let leaf = prop_oneof![
        Just(Trigger::Default),
        Just(Trigger::Never),
        Just(Trigger::Always),
        count.clone(),
        (1i64..8).prop_map(|d| Trigger::AfterProcessingTime {
            delay: Duration(d),
            align: None,
        }),
    ];
    let watermark = (
        prop::option::of(leaf.clone()),
        prop::option::of(count.clone()),
    )
        .prop_map(|(early, late)| Trigger::AfterWatermark {
            early: early.map(Box::new),
            late: late.map(Box::new),
        });
    prop_oneof![
        leaf.clone(),
        watermark.clone(),
        watermark
            .clone()
            .prop_map(|t| Trigger::Repeatedly(Box::new(t))),
        count.clone().prop_map(|t| Trigger::Repeatedly(Box::new(t))),
        (leaf.clone(), count.clone()).prop_map(|(a, b)| Trigger::AfterAny(vec![a, b])),
        (leaf.clone(), count.clone()).prop_map(|(a, b)| Trigger::AfterEach(vec![a, b])),
        (watermark, count).prop_map(|(t, u)| Trigger::OrFinally {
            trigger: Box::new(t),
            until: Box::new(u),
        }),
    ]
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let element = (0u64..3, -50i64..50, 0i64..120);
    let step = prop_oneof![
        4 => element.clone().prop_map(|(k, v, t)| Step::Record(k, v, t)),
        2 => prop::collection::vec(element, 1..5).prop_map(Step::Bundle),
        1 => (0i64..140).prop_map(Step::Watermark),
    ];
    prop::collection::vec(step, 1..50)
}

/// What an engine shows after one input: its state as the getters report
/// it with the outputs still queued, its outputs, and its state after them
/// (the status of every window keys 0..3 could have been assigned: for
/// sessions, the proto-windows).
type Seen = (
    (StateSize, EngineStats),
    Vec<Output>,
    StateSize,
    EventTime,
    Vec<Option<WindowStatus>>,
);

/// What `engine` shows after each of `steps`, then after the watermark
/// goes to +∞; restored from a snapshot after step `restore_at`.
fn run(mut engine: Engine, steps: &[Step], restore_at: usize) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut id = 0;
    let mut record = |(k, v, t): (u64, i64, i64)| {
        id += 1;
        Record {
            id,
            key: Key(k),
            value: v,
            time: EventTime(t),
        }
    };
    let look = |engine: &mut Engine| -> Seen {
        let queued = (engine.state_size(), engine.stats());
        let outputs: Vec<Output> = std::iter::from_fn(|| engine.poll_output()).collect();
        let mut windows: Vec<Window> = Vec::new();
        for t in 0i64..160 {
            engine.pipeline.window.assign(EventTime(t), &mut windows);
        }
        windows.sort_unstable();
        windows.dedup();
        let status = (0..3)
            .flat_map(|k| windows.iter().map(move |w| (k, *w)))
            .map(|(k, w)| engine.window_status(Key(k), w))
            .collect();
        (
            queued,
            outputs,
            engine.state_size(),
            engine.output_watermark(),
            status,
        )
    };
    for (i, step) in steps.iter().enumerate() {
        let now = ProcTime(i as i64);
        match step {
            Step::Record(k, v, t) => engine.handle_record(now, record((*k, *v, *t))),
            Step::Bundle(rs) => {
                let rs: Vec<Record> = rs.iter().map(|&r| record(r)).collect();
                engine.handle_bundle(now, &rs);
            }
            Step::Watermark(w) => engine.handle_watermark(now, EventTime(*w)),
            Step::Fill(n, v, t) => {
                let rs: Vec<Record> = (0..*n)
                    .map(|k| record((k, v + (k % 7) as i64, *t)))
                    .collect();
                engine.handle_bundle(now, &rs);
            }
        }
        seen.push(look(&mut engine));
        if i == restore_at {
            engine = Engine::restore(&engine.snapshot());
        }
    }
    engine.handle_watermark(ProcTime(steps.len() as i64), EventTime::MAX);
    seen.push(look(&mut engine));
    seen
}

proptest! {
    #[test]
    fn the_default_shape_gives_what_the_general_path_gives(
        window in window_fns(),
        accumulation in accumulations(),
        lateness in 0i64..30,
        aggregate in prop_oneof![Just(Aggregate::Sum), Just(Aggregate::Collect)],
        on_time in prop_oneof![Just(OnTimeBehavior::Always), Just(OnTimeBehavior::IfNonEmpty)],
        // A small limit, so that state-limit refusals are on both paths too.
        windows_open_max in prop_oneof![Just(EngineConfig::DEFAULT.windows_open_max), 1u64..6],
        steps in steps(),
        restore_at in 0usize..50,
    ) {
        let pipeline = Pipeline {
            window,
            trigger: Trigger::Default,
            accumulation,
            allowed_lateness: Duration(lateness),
            timestamp_combiner: TimestampCombiner::EndOfWindow,
            aggregate,
            on_time,
        };
        prop_assert!(pipeline.is_default_shape());
        let lean = pipeline.aggregate == Aggregate::Sum;
        let constant = Engine::new(pipeline, EngineConfig { windows_open_max }).expect("valid");
        prop_assert_eq!(constant.lean, lean);
        let mut boxed = constant.clone();
        boxed.lean = false;
        let mut general = constant.clone();
        general.default_shape = false;
        general.table.book.by_window = false;
        prop_assert!(constant.default_shape);
        let want = run(general, &steps, restore_at);
        let outputs = want.iter().map(|(_, o, ..)| o.len()).sum::<usize>();
        prop_assert!(outputs > 0 || steps.iter().all(|s| matches!(s, Step::Watermark(_))));
        prop_assert_eq!(&run(boxed, &steps, restore_at), &want);
        prop_assert_eq!(&run(constant, &steps, restore_at), &want);
    }
}

proptest! {
    #[test]
    fn timers_per_window_give_what_timers_per_key_window_give(
        window in window_fns(),
        trigger in triggers(),
        accumulation in accumulations(),
        lateness in latenesses(),
        combiner in combiners(),
        steps in steps(),
        restore_at in 0usize..50,
    ) {
        let on_time = OnTimeBehavior::IfNonEmpty;
        let pipeline = sum_pipeline(window, trigger, accumulation, lateness, combiner, on_time);
        prop_assume!(pipeline.validate().is_ok());
        let merging = pipeline.window.is_merging();
        let by_window = Engine::new(pipeline, EngineConfig::DEFAULT).expect("valid");
        prop_assert_eq!(by_window.table.book.by_window, !merging);
        let mut by_key = by_window.clone();
        by_key.table.book.by_window = false;
        prop_assert_eq!(run(by_window, &steps, restore_at), run(by_key, &steps, restore_at));
    }
}

/// `steps`, with whole-window fills of many keys among them.
fn steps_with_fills() -> impl Strategy<Value = Vec<Step>> {
    let element = (0u64..3, -50i64..50, 0i64..120);
    let n = 1024u64; // `expiry::BULK_MIN`
    let step = prop_oneof![
        3 => element.clone().prop_map(|(k, v, t)| Step::Record(k, v, t)),
        1 => prop::collection::vec(element, 1..5).prop_map(Step::Bundle),
        2 => (0i64..140).prop_map(Step::Watermark),
        1 => (prop_oneof![Just(n), Just(n + 37)], -50i64..50, 0i64..120)
            .prop_map(|(n, v, t)| Step::Fill(n, v, t)),
    ];
    prop::collection::vec(step, 1..30)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    /// The bulk expiry (`expire_window`, only under timers per window)
    /// against activating each key-window, with lean and boxed windows
    /// and tombstones in the window, under every trigger, accumulation
    /// mode, combiner and lateness: the differential tests above hold
    /// three keys, below `BULK_MIN`, so they never take it.
    #[test]
    fn bulk_expiry_gives_what_activation_gives(
        window in window_fns(),
        trigger in prop_oneof![Just(Trigger::Default), Just(Trigger::Default), triggers()],
        accumulation in accumulations(),
        lateness in latenesses(),
        combiner in combiners(),
        on_time in prop_oneof![Just(OnTimeBehavior::Always), Just(OnTimeBehavior::IfNonEmpty)],
        steps in steps_with_fills(),
        restore_at in 0usize..30,
    ) {
        let pipeline = sum_pipeline(window, trigger, accumulation, lateness, combiner, on_time);
        prop_assume!(pipeline.validate().is_ok());
        let fast = Engine::new(pipeline, EngineConfig::DEFAULT).expect("valid");
        let mut by_key = fast.clone();
        by_key.table.book.by_window = false;
        let mut boxed = fast.clone();
        boxed.lean = false;
        let mut general = fast.clone();
        general.default_shape = false;
        general.table.book.by_window = false;
        let want = run(general, &steps, restore_at);
        prop_assert_eq!(&run(by_key, &steps, restore_at), &want);
        prop_assert_eq!(&run(boxed, &steps, restore_at), &want);
        prop_assert_eq!(&run(fast, &steps, restore_at), &want);
    }
}
