//! Rendering on a hand-made run: two strategies over one key, with an
//! early pane, an on-time pane, late data and a dead letter. Checks that
//! every SVG is well-formed and the pages say what they should.

use super::*;
use crate::metrics::{seed_metrics, summarize, Reading, Values};
use crate::model::{Delivery, Event, StrategyRun, Trace, Workload};
use crate::scenario::{Dur, ResolvedStrategy, Thresholds, WatermarkSpec};
use tidemark_engine::{
    Accumulation, AggValue, Aggregate, DeadLetter, DeadLetterReason, Duration, EventTime, Key,
    OnTimeBehavior, Pane, PaneInfo, Pipeline, ProcTime, Record, TimestampCombiner, Timing, Trigger,
    Window, WindowFn,
};

fn w(s: i64, e: i64) -> Window {
    Window {
        start: EventTime(s),
        end: EventTime(e),
    }
}

/// Events every 5s of event time for 4 minutes; each arrives 1–3s later,
/// except those between 70s and 80s, which arrive 3 minutes late.
fn workload_and_trace() -> (Workload, Trace) {
    let mut events = Vec::new();
    let mut deliveries = Vec::new();
    for i in 0..48u64 {
        let t = i as i64 * 5_000;
        events.push(Event {
            id: i,
            source: 0,
            key: i % 2,
            value: 1 + (i % 7) as i64,
            time: EventTime(t),
            true_time: EventTime(t),
            sent_at: ProcTime(t),
        });
        let delay = if (70_000..80_000).contains(&t) {
            180_000
        } else {
            1_000 + (i % 3) as i64 * 1_000
        };
        deliveries.push(Delivery::Record {
            at: ProcTime(t + delay),
            worker: 0,
            channel: 0,
            event: i,
            duplicate: false,
        });
    }
    deliveries.sort_by_key(Delivery::at);
    let workload = Workload {
        events,
        sources: vec!["phone".into()],
        keys: vec!["even".into(), "odd".into()],
    };
    let trace = Trace {
        deliveries,
        faults: Vec::new(),
        undelivered: Vec::new(),
        workers: 1,
        channels: 1,
        end: ProcTime(400_000),
    };
    (workload, trace)
}

fn pane(window: Window, value: i64, fired_at: i64, timing: Timing, retraction: bool) -> Pane {
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
        retraction,
        fired_at: ProcTime(fired_at),
        watermark: EventTime(0),
    }
}

fn strategy_run(name: &str, panes: Vec<Pane>, dead: Vec<DeadLetter>) -> StrategyRun {
    StrategyRun {
        strategy: name.into(),
        panes,
        dead_letters: dead,
        watermarks: (0..80)
            .map(|i| (ProcTime(i * 5_000), 0, EventTime(i * 5_000 - 5_000)))
            .collect(),
        records_in: 48,
        duplicates_dropped: 0,
        duplicates_counted: 0,
        watermark_regressions: 0,
        visible_at: Vec::new(),
        recovery: crate::model::Recovery::default(),
    }
}

fn runs() -> Vec<StrategyRun> {
    let dl = DeadLetter {
        record: Record {
            id: 14,
            key: Key(0),
            value: 1,
            time: EventTime(70_000),
        },
        windows: vec![w(60_000, 120_000)],
        watermark: EventTime(250_000),
        reason: DeadLetterReason::WindowExpired,
        at: ProcTime(250_000),
    };
    let on_time = vec![
        pane(w(0, 60_000), 24, 65_000, Timing::OnTime, false),
        pane(w(60_000, 120_000), 20, 125_000, Timing::OnTime, false),
        pane(w(120_000, 180_000), 22, 185_000, Timing::OnTime, false),
    ];
    let mut early = vec![pane(w(0, 60_000), 10, 30_000, Timing::Early, false)];
    early.push(pane(w(0, 60_000), 10, 65_000, Timing::OnTime, true));
    early.push(pane(w(0, 60_000), 24, 65_000, Timing::OnTime, false));
    early.push(pane(w(60_000, 120_000), 20, 125_000, Timing::OnTime, false));
    early.push(pane(w(60_000, 120_000), 23, 250_000, Timing::Late, false));
    vec![
        strategy_run("on_time_only", on_time, vec![dl]),
        strategy_run("early_and_late", early, Vec::new()),
    ]
}

/// A report built from the hand-made run, as `collect` would build it.
pub(super) fn sample() -> ScenarioReport {
    let (workload, trace) = workload_and_trace();
    let runs = runs();
    let mut truth = Values::new();
    for e in &workload.events {
        let start = e.time.0 / 60_000 * 60_000;
        let v = truth
            .entry((Key(e.key), w(start, start + 60_000)))
            .or_insert(AggValue::Sum(0));
        v.add(e.value);
    }
    let modes = [
        Accumulation::Discarding,
        Accumulation::AccumulatingAndRetracting,
    ];
    let strategies: Vec<ResolvedStrategy> = runs
        .iter()
        .zip(modes)
        .map(|(r, accumulation)| ResolvedStrategy {
            name: r.strategy.clone(),
            pipeline: Pipeline {
                window: WindowFn::Fixed {
                    size: Duration(60_000),
                    offset: Duration(0),
                },
                trigger: Trigger::Default,
                accumulation,
                allowed_lateness: Duration(120_000),
                timestamp_combiner: TimestampCombiner::EndOfWindow,
                aggregate: Aggregate::Sum,
                on_time: OnTimeBehavior::Always,
            },
            watermark: WatermarkSpec::BoundedOutOfOrderness(Dur(5_000)),
            watermark_interval: Dur(1_000),
            idle_timeout: None,
            dedup: false,
            thresholds: Thresholds::default(),
        })
        .collect();
    let summaries = runs
        .iter()
        .zip(modes)
        .map(|(run, accumulation)| {
            let reading = Reading {
                accumulation,
                allowed_lateness_ms: 120_000,
                merging: false,
            };
            let m = seed_metrics(&workload, &trace, run, reading, &truth);
            summarize(
                &run.strategy,
                std::slice::from_ref(&m),
                std::slice::from_ref(&m),
            )
        })
        .collect();
    let perfect = |worker| {
        crate::workers::perfect_curve(
            &crate::network::NetConfig::lossless(1),
            &workload,
            &trace,
            worker,
        )
    };
    let scene = crate::scene::build(0, (&workload, &trace, &runs), &strategies, &truth, &perfect)
        .expect("a scene");
    ScenarioReport {
        regenerate: "scenarios/sample.yaml --seeds 0..1".into(),
        name: "sample".into(),
        description: "A hand-made run. Some data is three minutes late.".into(),
        pipeline: "fixed windows of 1m, sum per window".into(),
        seeds: 0..1,
        events_median: 48,
        strategies: runs
            .iter()
            .map(|r| StrategyInfo {
                name: r.strategy.clone(),
                trigger: "AfterWatermark()".into(),
                accumulation: "discarding".into(),
                watermark: "max seen − 5s".into(),
                allowed_lateness: "2m".into(),
                dedup: "off".into(),
                idle_timeout: "none".into(),
                sink: "at_least_once".into(),
            })
            .collect(),
        summaries,
        scene,
        failures: Vec::new(),
        architecture: None,
    }
}

fn well_formed(name: &str, text: &str) {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0i64;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("{name}: not well-formed XML: {e}"),
        }
    }
    assert_eq!(depth, 0, "{name}: unbalanced elements");
}

#[test]
fn rendered_files_are_well_formed_and_complete() {
    let files = render(&[sample()]);
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "README.md",
            "sample-tradeoff.svg",
            "sample.html",
            "sample.md",
            "sample.svg"
        ]
    );
    for (name, text) in &files {
        if name.ends_with(".svg") {
            well_formed(name, text);
        }
    }
    let page = &files["sample.md"];
    assert!(page.contains("## What to notice"), "{page}");
    assert!(page.contains("![Event time against processing time"));
    assert!(page.contains("## Which to choose"), "{page}");
    assert!(page.contains("README.md#glossary"));
    assert!(files["README.md"].contains("[sample](sample.md)"));
    assert!(files["README.md"].contains("## Glossary"));
    let html = &files["sample.html"];
    assert!(html.contains("const DATA = {"), "data inlined");
    assert!(!html.contains("__DATA__"));
    if let Some(dir) = std::env::var_os("TIDEMARK_SAMPLE_OUT") {
        write(std::path::Path::new(&dir), &files).expect("writing the sample");
    }
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(render(&[sample()]), render(&[sample()]));
}

#[test]
fn dead_letters_and_panes_are_drawn() {
    let svg = diagram::draw_report(&sample());
    assert!(svg.contains("24 on time"), "on-time pane label");
    assert!(svg.contains("10 early"), "early pane label");
    assert!(svg.contains("<path d="), "a dead-letter cross");
    assert!(svg.contains("truth "), "column truth labels");
    assert!(
        svg.contains("1 dead letter(s): window expired"),
        "dead letters by reason"
    );
    assert!(svg.contains("retracts 10"), "the retraction labelled");
    assert!(svg.contains("late element(s)"), "late elements counted");
}

#[test]
fn no_text_below_twelve_px_in_an_880_px_wide_diagram() {
    let svg = diagram::draw_report(&sample());
    assert!(svg.contains(r#"width="880.0""#));
    for size in svg.split("font-size=\"").skip(1) {
        let px: f64 = size
            .split('"')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a font size");
        assert!(px >= 12.0, "text at {px}px");
    }
}
