//! Scenario-level property test: small random scenarios (workload, faults,
//! pipeline, watermark strategy, triggers) run end to end on the real
//! engine, and every invariant must hold on every one. A failure shrinks
//! (proptest) to a small scenario, printed as YAML; proptest records the
//! failing case in `scenario_props.proptest-regressions` beside this file,
//! committed so that it is replayed first from then on. The first case it
//! found (a retried copy refused for two reasons lost one dead letter) is
//! also `scenarios/regressions/dead_letters_two_reasons.yaml`.

use proptest::prelude::*;
use std::path::Path;
use tidemark_sim::run::run_seed_with;
use tidemark_sim::scenario;

#[derive(Debug, Clone)]
struct Params {
    window: usize,
    trigger: usize,
    accumulation: usize,
    lateness_s: u32,
    delay_ms: u32,
    interval_ms: u32,
    idle: Option<u32>,
    sources: u32,
    rate: u32,
    skew_s: i32,
    grid: bool,
    latency_ms: u32,
    loss: u32,
    partitions: Option<u32>,
    keys: u32,
    aggregate: usize,
    processing: usize,
    negative: bool,
}

fn params() -> impl Strategy<Value = Params> {
    (
        (0usize..4, 0usize..9, 0usize..3, 0u32..4, 0u32..800),
        (
            prop_oneof![Just(0u32), Just(100), Just(200)],
            proptest::option::of(2u32..8),
            1u32..4,
            1u32..4,
            -3i32..4,
            any::<bool>(),
        ),
        (1u32..1500, 0u32..3, proptest::option::of(1u32..4), 1u32..4),
        (0usize..5, 0usize..3, any::<bool>()),
    )
        .prop_map(
            |(
                (window, trigger, accumulation, lateness_s, delay_ms),
                (interval_ms, idle, sources, rate, skew_s, grid),
                (latency_ms, loss, partitions, keys),
                (aggregate, processing, negative),
            )| Params {
                window,
                trigger,
                accumulation,
                lateness_s,
                delay_ms,
                interval_ms,
                idle,
                sources,
                rate,
                skew_s,
                grid,
                latency_ms,
                loss,
                partitions,
                keys,
                aggregate,
                processing,
                negative,
            },
        )
}

fn yaml(p: &Params) -> String {
    let window = [
        "{fixed: 5s}",
        "{sliding: {size: 6s, period: 2s}}",
        "{sessions: 3s}",
        "global",
    ][p.window];
    let trigger = [
        "default",
        "{after_watermark: {early: {repeatedly: {after_count: 2}}, late: always}}",
        "{after_processing_time: 2s}",
        "{repeatedly: {after_count: 3}}",
        "{after_watermark: {early: {repeatedly: {after_processing_time: 1s}}}}",
        "{repeatedly: {after_processing_time: 1s}}",
        "{after_processing_time: {delay: 0s, period: 2s, offset: 500ms}}",
        "{repeatedly: {after_any: [{after_count: 3}, {after_processing_time: 1s}]}}",
        "{after_watermark: {early: {after_processing_time: 1s}, late: {after_processing_time: 1s}}}",
    ][p.trigger];
    let aggregate = ["count", "sum", "min", "max", "mean"][p.aggregate];
    // Entries processed as appended, polled on a coarse clock, or read by
    // a consumer that is behind.
    let processing = [
        "",
        "processing: {clock_step: 500ms}\n",
        "processing: {fetch_latency: 200ms, service_rate: 20}\n",
    ][p.processing];
    let values = if p.negative {
        "      values: {uniform: {min: -50, max: 50}}\n"
    } else {
        ""
    };
    let accumulation =
        ["discarding", "accumulating", "accumulating_and_retracting"][p.accumulation];
    let idle = p
        .idle
        .map_or(String::new(), |s| format!("  idle_timeout: {s}s\n"));
    let log = p
        .partitions
        .map_or(String::new(), |n| format!("  log: {{partitions: {n}}}\n"));
    format!(
        "name: prop\ndescription: generated\nseed: 1\nduration: 20s\n\
         workload:\n  keys: {keys}\n  sources:\n    - name: s\n      count: {sources}\n      rate: {rate}\n      clock_skew: {skew}s\n{grid}{values}\
         network:\n  latency: {{uniform: {{min: 1ms, max: {lat}ms}}}}\n  loss: 0.0{loss}\n  retry: {{timeout: 300ms, max_attempts: 3}}\n{log}\
         pipeline:\n  window: {window}\n  watermark: {{bounded_out_of_orderness: {delay}ms}}\n  watermark_interval: {interval}ms\n{idle}  allowed_lateness: {lateness}s\n  aggregate: {aggregate}\n{processing}\
         strategies:\n  - {{name: s, trigger: {trigger}, accumulation: {accumulation}}}\n\
         expect:\n  invariants: all\n",
        keys = p.keys,
        sources = p.sources,
        rate = p.rate,
        skew = p.skew_s,
        grid = if p.grid { "      time_grid: 1s\n" } else { "" },
        lat = p.latency_ms,
        loss = p.loss,
        delay = p.delay_ms,
        interval = p.interval_ms,
        lateness = p.lateness_s,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_invariant_holds_on_small_random_scenarios(p in params()) {
        let text = yaml(&p);
        let s = scenario::parse(&text, Path::new("generated.yaml"))
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let (report, _) = run_seed_with(&s, 1, false)
            .map_err(|e| TestCaseError::fail(format!("{e:#}\n{text}")))?;
        prop_assert!(report.ok(), "{}\n{}", report.failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"), text);
    }
}
