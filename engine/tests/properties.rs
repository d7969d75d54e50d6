//! Properties of the engine over generated inputs (proptest).
//!
//! Each property drives the engine through its public API only, with
//! elements, bundles and watermark steps drawn by proptest, and compares
//! against a computation that doesn't use the engine's windowing code.

use proptest::prelude::*;
use std::collections::BTreeMap;
use tidemark_engine::{
    Accumulation, AggValue, Aggregate, DeadLetter, Duration, Engine, EngineConfig, EventTime, Key,
    OnTimeBehavior, Output, Pane, Pipeline, ProcTime, Record, TimestampCombiner, Trigger, Window,
    WindowFn,
};

#[derive(Debug, Clone)]
enum Step {
    Bundle(Vec<(u64, i64, i64)>),
    Watermark(i64),
}

fn pipeline(
    window: WindowFn,
    trigger: Trigger,
    accumulation: Accumulation,
    lateness: i64,
) -> Pipeline {
    Pipeline {
        window,
        trigger,
        accumulation,
        allowed_lateness: Duration(lateness),
        timestamp_combiner: TimestampCombiner::EndOfWindow,
        aggregate: Aggregate::Sum,
        on_time: OnTimeBehavior::Always,
    }
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
        Just(Trigger::Never),
        (1u64..5).prop_map(Trigger::AfterCount),
    ]
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let element = (0u64..3, -50i64..50, 0i64..120);
    let step = prop_oneof![
        3 => prop::collection::vec(element, 1..5).prop_map(Step::Bundle),
        1 => (0i64..140).prop_map(Step::Watermark),
    ];
    prop::collection::vec(step, 1..40)
}

/// Runs `steps`, then the watermark to +∞, and returns every output.
fn run(p: &Pipeline, steps: &[Step]) -> (Engine, Vec<Output>) {
    let mut engine = Engine::new(p.clone(), EngineConfig::DEFAULT).expect("valid pipeline");
    let mut outputs = Vec::new();
    let mut id = 0;
    for (i, step) in steps.iter().enumerate() {
        let now = ProcTime(i as i64);
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
        }
        outputs.extend(std::iter::from_fn(|| engine.poll_output()));
    }
    engine.handle_watermark(ProcTime(steps.len() as i64), EventTime::MAX);
    outputs.extend(std::iter::from_fn(|| engine.poll_output()));
    (engine, outputs)
}

fn panes(outputs: &[Output]) -> impl Iterator<Item = &Pane> {
    outputs.iter().filter_map(|o| match o {
        Output::Pane(p) => Some(p),
        Output::DeadLetter(_) => None,
    })
}

fn dead_letters(outputs: &[Output]) -> impl Iterator<Item = &DeadLetter> {
    outputs.iter().filter_map(|o| match o {
        Output::DeadLetter(d) => Some(d),
        Output::Pane(_) => None,
    })
}

fn sum(v: &AggValue) -> i64 {
    match v {
        AggValue::Sum(s) => *s,
        other => panic!("expected a sum, got {other:?}"),
    }
}

/// Independent window assignment for fixed and sliding windows.
fn windows_of(wf: &WindowFn, t: i64) -> Vec<Window> {
    let mk = |s: i64, e: i64| Window {
        start: EventTime(s),
        end: EventTime(e),
    };
    match *wf {
        WindowFn::Fixed { size, offset } => {
            let s = (t - offset.0).div_euclid(size.0) * size.0 + offset.0;
            vec![mk(s, s + size.0)]
        }
        WindowFn::Sliding {
            size,
            period,
            offset,
        } => {
            // Every start ≡ offset (mod period) with start <= t < start + size.
            let mut out = Vec::new();
            let mut s = (t - offset.0).div_euclid(period.0) * period.0 + offset.0;
            while s + size.0 > t {
                out.push(mk(s, s + size.0));
                s -= period.0;
            }
            out.reverse();
            out
        }
        _ => unreachable!("only fixed and sliding here"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// With the default trigger and accumulating mode, when all input is on
    /// time, the order and bundling of the input do not change the panes.
    #[test]
    fn on_time_input_order_and_bundling_do_not_matter(
        window in window_fns(),
        elems in prop::collection::vec((0u64..3, -20i64..20, 0i64..100), 1..40),
        seed in any::<u64>(),
        cut in 1usize..6,
    ) {
        let p = pipeline(window, Trigger::Default, Accumulation::Accumulating, 0);
        let in_order = vec![Step::Bundle(elems.clone())];
        let mut shuffled = elems.clone();
        // A deterministic shuffle from the seed.
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let rebundled: Vec<Step> = shuffled.chunks(cut).map(|c| Step::Bundle(c.to_vec())).collect();
        let key = |p: &&Pane| (p.key, p.window, p.info.index);
        let mut a: Vec<Pane> = panes(&run(&p, &in_order).1).cloned().collect();
        let mut b: Vec<Pane> = panes(&run(&p, &rebundled).1).cloned().collect();
        a.sort_by_key(|p| key(&p));
        b.sort_by_key(|p| key(&p));
        let strip = |ps: Vec<Pane>| ps.into_iter().map(|p| (p.key, p.window, p.value, p.info)).collect::<Vec<_>>();
        prop_assert_eq!(strip(a), strip(b));
    }

    /// Discarding panes of a window sum to the accumulating mode's final pane.
    #[test]
    fn discarding_panes_sum_to_the_accumulating_value(
        window in window_fns().prop_filter("non-merging", |w| !w.is_merging()),
        trigger in triggers(),
        steps in steps(),
        lateness in 0i64..30,
    ) {
        let d = run(&pipeline(window, trigger.clone(), Accumulation::Discarding, lateness), &steps).1;
        let a = run(&pipeline(window, trigger, Accumulation::Accumulating, lateness), &steps).1;
        let mut discarded: BTreeMap<(Key, Window), i64> = BTreeMap::new();
        for p in panes(&d) {
            *discarded.entry((p.key, p.window)).or_default() += sum(&p.value);
        }
        let mut last: BTreeMap<(Key, Window), i64> = BTreeMap::new();
        for p in panes(&a) {
            last.insert((p.key, p.window), sum(&p.value));
        }
        // Empty panes (an on-time pane with nothing in it) add 0 either way.
        discarded.retain(|k, v| *v != 0 || last.contains_key(k));
        last.retain(|k, v| *v != 0 || discarded.contains_key(k));
        prop_assert_eq!(discarded, last);
    }

    /// In retracting mode, the signed sum of all outputs (retractions
    /// negative) equals the sum of every admitted value — also for sessions,
    /// whose merged-away windows are retracted.
    #[test]
    fn retractions_cancel(
        window in window_fns(),
        trigger in triggers(),
        steps in steps(),
        lateness in 0i64..30,
    ) {
        let p = pipeline(window, trigger, Accumulation::AccumulatingAndRetracting, lateness);
        let (_, outputs) = run(&p, &steps);
        let signed: i64 = panes(&outputs)
            .map(|p| if p.retraction { -sum(&p.value) } else { sum(&p.value) })
            .sum();
        // Admitted value: every element once per window it was admitted to.
        let mut admitted = 0i64;
        let refused: BTreeMap<u64, usize> = dead_letters(&outputs).map(|d| (d.record.id, d.windows.len())).fold(BTreeMap::new(), |mut m, (id, n)| { *m.entry(id).or_default() += n; m });
        let mut id = 0;
        for step in &steps {
            if let Step::Bundle(elems) = step {
                for &(_, value, time) in elems {
                    id += 1;
                    let windows = if window.is_merging() { 1 } else { windows_of(&window, time).len() };
                    let live = windows - refused.get(&id).copied().unwrap_or(0);
                    admitted += value * live as i64;
                }
            }
        }
        prop_assert_eq!(signed, admitted);
    }

    /// Watermarks never go back: a regression is ignored and counted.
    #[test]
    fn watermarks_are_monotone(marks in prop::collection::vec(-100i64..100, 1..50)) {
        let p = pipeline(WindowFn::Fixed { size: Duration(10), offset: Duration(0) }, Trigger::Default, Accumulation::Discarding, 0);
        let mut engine = Engine::new(p, EngineConfig::DEFAULT).expect("valid pipeline");
        let mut high = EventTime::MIN;
        let mut regressions = 0;
        for (i, w) in marks.iter().enumerate() {
            engine.handle_watermark(ProcTime(i as i64), EventTime(*w));
            if EventTime(*w) < high { regressions += 1 } else { high = EventTime(*w) }
            prop_assert_eq!(engine.watermark(), high);
        }
        prop_assert_eq!(engine.stats().watermark_regressions, regressions);
    }

    /// Once the watermark reaches +∞ and outputs are drained, no state is left.
    #[test]
    fn state_is_freed_after_expiry(
        window in window_fns(),
        trigger in triggers(),
        steps in steps(),
        lateness in 0i64..30,
        accumulation in prop_oneof![Just(Accumulation::Discarding), Just(Accumulation::Accumulating), Just(Accumulation::AccumulatingAndRetracting)],
    ) {
        let (engine, _) = run(&pipeline(window, trigger, accumulation, lateness), &steps);
        prop_assert!(engine.state_size().is_empty(), "left: {:?}", engine.state_size());
    }

    /// Window by window, elements counted in panes plus elements
    /// dead-lettered for that window equal the elements that belong to it.
    #[test]
    fn counted_plus_dead_lettered_equals_input_per_window(
        window in window_fns().prop_filter("non-merging", |w| !w.is_merging()),
        trigger in triggers(),
        steps in steps(),
        lateness in 0i64..30,
    ) {
        let mut p = pipeline(window, trigger, Accumulation::Discarding, lateness);
        p.aggregate = Aggregate::Count;
        let (_, outputs) = run(&p, &steps);
        let mut expected: BTreeMap<(Key, Window), u64> = BTreeMap::new();
        for step in &steps {
            if let Step::Bundle(elems) = step {
                for &(key, _, time) in elems {
                    for w in windows_of(&window, time) {
                        *expected.entry((Key(key), w)).or_default() += 1;
                    }
                }
            }
        }
        let mut actual: BTreeMap<(Key, Window), u64> = BTreeMap::new();
        for pane in panes(&outputs) {
            let AggValue::Count(c) = pane.value else { panic!("count expected") };
            *actual.entry((pane.key, pane.window)).or_default() += c;
        }
        for d in dead_letters(&outputs) {
            for w in &d.windows {
                *actual.entry((d.record.key, *w)).or_default() += 1;
            }
        }
        actual.retain(|_, v| *v != 0);
        prop_assert_eq!(actual, expected);
    }
}

/// Within one window of the start of time a fixed window's start clamps,
/// so the window a time gets there is no other time's. Each element still
/// gets the window `assign` gives it, whatever arrived before it: one
/// record at a time, or in a bundle, in either order (the engine remembers
/// only whole windows for the times inside them).
#[test]
fn clamped_fixed_windows_are_assigned_per_element() {
    let window = WindowFn::Fixed {
        size: Duration(10),
        offset: Duration(0),
    };
    let p = Pipeline {
        aggregate: Aggregate::Count,
        ..pipeline(window, Trigger::Default, Accumulation::Discarding, 0)
    };
    let (a, b) = (i64::MIN + 1, i64::MIN + 8);
    // `assign` itself, a pure function of the time (the clamped windows
    // overflow `windows_of`'s plain arithmetic).
    let mut want: Vec<Window> = Vec::new();
    window.assign(EventTime(a), &mut want);
    window.assign(EventTime(b), &mut want);
    assert_eq!(want.len(), 2, "the two times share no window: {want:?}");
    want.sort();
    want.dedup();
    for times in [[a, b], [b, a]] {
        for bundled in [false, true] {
            let mut engine = Engine::new(p.clone(), EngineConfig::DEFAULT).expect("valid");
            let records: Vec<Record> = (0..2)
                .map(|i| Record {
                    id: i,
                    key: Key(1),
                    value: 1,
                    time: EventTime(times[i as usize]),
                })
                .collect();
            if bundled {
                engine.handle_bundle(ProcTime(0), &records);
            } else {
                for r in records {
                    engine.handle_record(ProcTime(0), r);
                }
            }
            engine.handle_watermark(ProcTime(1), EventTime::MAX);
            let outputs: Vec<Output> = std::iter::from_fn(|| engine.poll_output()).collect();
            let mut got: Vec<Window> = panes(&outputs).map(|p| p.window).collect();
            got.sort();
            assert_eq!(got, want, "times {times:?}, bundled {bundled}");
        }
    }
}
