//! The default shape's constant path (`Pipeline::shape`) against the
//! general one: an engine made to take the general path for the same
//! pipeline must give the same outputs, byte for byte, over generated
//! records, bundles and watermark steps, for every window function. (Both
//! run the same code but for the constants, so this checks the constants
//! and the paths' routing; what both share is checked against Beam by the
//! transcripts and against independent models by `tests/properties.rs`.)

use crate::output::{Key, Output, Record};
use crate::pipeline::{Accumulation, OnTimeBehavior, Pipeline, TimestampCombiner};
use crate::stats::EngineConfig;
use crate::time::{Duration, EventTime, ProcTime};
use crate::trigger::Trigger;
use crate::window::WindowFn;
use crate::{Aggregate, Engine};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Record(u64, i64, i64),
    Bundle(Vec<(u64, i64, i64)>),
    Watermark(i64),
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

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let element = (0u64..3, -50i64..50, 0i64..120);
    let step = prop_oneof![
        4 => element.clone().prop_map(|(k, v, t)| Step::Record(k, v, t)),
        2 => prop::collection::vec(element, 1..5).prop_map(Step::Bundle),
        1 => (0i64..140).prop_map(Step::Watermark),
    ];
    prop::collection::vec(step, 1..50)
}

/// Every output of `engine` over `steps`, then the watermark to +∞.
fn outputs(mut engine: Engine, steps: &[Step]) -> Vec<Output> {
    let mut out = Vec::new();
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
    for (i, step) in steps.iter().enumerate() {
        let now = ProcTime(i as i64);
        match step {
            Step::Record(k, v, t) => engine.handle_record(now, record((*k, *v, *t))),
            Step::Bundle(rs) => {
                let rs: Vec<Record> = rs.iter().map(|&r| record(r)).collect();
                engine.handle_bundle(now, &rs);
            }
            Step::Watermark(w) => engine.handle_watermark(now, EventTime(*w)),
        }
        out.extend(std::iter::from_fn(|| engine.poll_output()));
    }
    engine.handle_watermark(ProcTime(steps.len() as i64), EventTime::MAX);
    out.extend(std::iter::from_fn(|| engine.poll_output()));
    out
}

proptest! {
    #[test]
    fn the_default_shape_gives_what_the_general_path_gives(
        window in window_fns(),
        accumulation in prop_oneof![
            Just(Accumulation::Discarding),
            Just(Accumulation::Accumulating),
            Just(Accumulation::AccumulatingAndRetracting),
        ],
        lateness in 0i64..30,
        aggregate in prop_oneof![Just(Aggregate::Sum), Just(Aggregate::Collect)],
        on_time in prop_oneof![Just(OnTimeBehavior::Always), Just(OnTimeBehavior::IfNonEmpty)],
        // A small limit, so that state-limit refusals are on both paths too.
        windows_open_max in prop_oneof![Just(EngineConfig::DEFAULT.windows_open_max), 1u64..6],
        steps in steps(),
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
        let constant = Engine::new(pipeline, EngineConfig { windows_open_max }).expect("valid");
        let mut general = constant.clone();
        general.default_shape = false;
        prop_assert!(constant.default_shape);
        let want = outputs(general, &steps);
        prop_assert!(!want.is_empty() || steps.iter().all(|s| matches!(s, Step::Watermark(_))));
        prop_assert_eq!(outputs(constant, &steps), want);
    }
}
