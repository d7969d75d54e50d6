//! Snapshot → restore → continue gives the same outputs as never stopping,
//! for random pipelines (windows, triggers including processing-time ones,
//! accumulation modes, lateness) and random inputs, with the snapshot taken
//! at a random step.

use proptest::prelude::*;
use tidemark_engine::{
    Accumulation, Aggregate, Duration, Engine, EngineConfig, EventTime, Key, OnTimeBehavior,
    Output, Pipeline, ProcTime, Record, TimestampCombiner, Trigger, WindowFn,
};

#[derive(Debug, Clone)]
enum Step {
    Bundle(Vec<(u64, i64, i64)>),
    Watermark(i64),
    Clock(i64),
}

fn window_fns() -> impl Strategy<Value = WindowFn> {
    prop_oneof![
        (1i64..30, 0i64..10).prop_map(|(size, off)| WindowFn::Fixed {
            size: Duration(size),
            offset: Duration(off % size),
        }),
        (1i64..20, 1i64..20).prop_map(|(a, b)| WindowFn::Sliding {
            size: Duration(a.max(b)),
            period: Duration(a.min(b)),
            offset: Duration(0),
        }),
        (1i64..15).prop_map(|gap| WindowFn::Sessions { gap: Duration(gap) }),
        Just(WindowFn::Global),
    ]
}

fn triggers() -> impl Strategy<Value = Trigger> {
    prop_oneof![
        Just(Trigger::Default),
        (1u64..4).prop_map(|n| Trigger::Repeatedly(Box::new(Trigger::AfterCount(n)))),
        Just(Trigger::Always),
        (1u64..4).prop_map(|n| Trigger::AfterWatermark {
            early: Some(Box::new(Trigger::AfterCount(n))),
            late: Some(Box::new(Trigger::AfterCount(1))),
        }),
        (1i64..20).prop_map(
            |d| Trigger::Repeatedly(Box::new(Trigger::AfterProcessingTime {
                delay: Duration(d),
                align: None
            }))
        ),
        (1i64..20).prop_map(|d| Trigger::AfterWatermark {
            early: Some(Box::new(Trigger::AfterProcessingTime {
                delay: Duration(d),
                align: None
            })),
            late: None,
        }),
        (1u64..5).prop_map(Trigger::AfterCount),
    ]
}

fn accumulations() -> impl Strategy<Value = Accumulation> {
    prop_oneof![
        Just(Accumulation::Discarding),
        Just(Accumulation::Accumulating),
        Just(Accumulation::AccumulatingAndRetracting),
    ]
}

fn combiners() -> impl Strategy<Value = TimestampCombiner> {
    prop_oneof![
        Just(TimestampCombiner::EndOfWindow),
        Just(TimestampCombiner::Earliest),
        Just(TimestampCombiner::Latest),
    ]
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let element = (0u64..3, -50i64..50, 0i64..120);
    let step = prop_oneof![
        3 => prop::collection::vec(element, 1..5).prop_map(Step::Bundle),
        1 => (0i64..140).prop_map(Step::Watermark),
        1 => (1i64..15).prop_map(Step::Clock),
    ];
    prop::collection::vec(step, 1..40)
}

/// Applies `steps` (numbered) to `engine`, clock starting at `clock`;
/// returns the clock reached, outputs appended to `out`.
fn drive(
    engine: &mut Engine,
    steps: &[(usize, Step)],
    mut clock: i64,
    out: &mut Vec<Output>,
) -> i64 {
    for (i, step) in steps {
        // Ids depend on the step alone, so both runs number alike.
        let mut id = *i as u64 * 100;
        clock += 1;
        let now = ProcTime(clock);
        match step {
            Step::Bundle(elems) => {
                let records: Vec<Record> = elems
                    .iter()
                    .map(|&(key, value, time)| {
                        id += 1;
                        Record {
                            id,
                            key: Key(key),
                            value,
                            time: EventTime(time),
                        }
                    })
                    .collect();
                engine.handle_bundle(now, &records);
            }
            Step::Watermark(w) => engine.handle_watermark(now, EventTime(*w)),
            Step::Clock(d) => {
                clock += d;
                engine.handle_timeout(ProcTime(clock));
            }
        }
        out.extend(std::iter::from_fn(|| engine.poll_output()));
    }
    clock
}

fn finish(engine: &mut Engine, clock: i64, out: &mut Vec<Output>) {
    engine.handle_watermark(ProcTime(clock + 1), EventTime::MAX);
    engine.handle_timeout(ProcTime(clock + 1_000));
    out.extend(std::iter::from_fn(|| engine.poll_output()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn snapshot_restore_continue_equals_never_stopping(
        window in window_fns(),
        trigger in triggers(),
        accumulation in accumulations(),
        combiner in combiners(),
        lateness in 0i64..40,
        steps in steps(),
        cut in any::<prop::sample::Index>(),
    ) {
        let p = Pipeline {
            window,
            trigger,
            accumulation,
            allowed_lateness: Duration(lateness),
            timestamp_combiner: combiner,
            aggregate: Aggregate::Sum,
            on_time: OnTimeBehavior::Always,
        };
        let Ok(mut straight) = Engine::new(p.clone(), EngineConfig::DEFAULT) else {
            return Ok(());
        };
        let steps: Vec<(usize, Step)> = steps.into_iter().enumerate().collect();
        let mut expected = Vec::new();
        let clock = drive(&mut straight, &steps, 0, &mut expected);
        finish(&mut straight, clock, &mut expected);

        let cut = cut.index(steps.len() + 1);
        let mut first = Engine::new(p, EngineConfig::DEFAULT).expect("validated above");
        let mut actual = Vec::new();
        let clock = drive(&mut first, &steps[..cut], 0, &mut actual);
        let snapshot = first.snapshot();
        prop_assert!(snapshot.approx_bytes() > 0);
        prop_assert_eq!(snapshot.state_size(), first.state_size());
        // The original keeps running into the void: the restored copy must
        // not share anything with it.
        first.handle_watermark(ProcTime(clock + 1), EventTime::MAX);
        drop(first);
        let mut restored = Engine::restore(&snapshot);
        let clock = drive(&mut restored, &steps[cut..], clock, &mut actual);
        finish(&mut restored, clock, &mut actual);
        prop_assert_eq!(actual, expected);
        prop_assert!(restored.state_size().is_empty());
    }
}
