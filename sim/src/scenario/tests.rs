//! Parsing, validation errors with their locations, and the shipped files.

use super::*;
use std::path::Path;

/// A valid scenario; tests replace one line to break it.
const BASE: &str = "\
name: base
description: A valid scenario.
seed: 1
duration: 10m
workload:
  keys: 8
  sources:
    - name: phones
      count: 20
      rate: 2
      values: {uniform: {min: 1, max: 100}}
      offline:
        - {at: 2m, for: 1h, sources: 0.3}
network:
  latency: {uniform: {min: 5ms, max: 50ms}}
  loss: 0.01
  retry: {timeout: 200ms, max_attempts: 5}
  partitions: [{at: 1m, for: 30s, from: phones}]
pipeline:
  window: {fixed: 1m}
  watermark: {bounded_out_of_orderness: 5s}
  allowed_lateness: 1m
  workers: 2
strategies:
  - {name: default, trigger: default, accumulation: discarding}
  - {name: early, trigger: {after_watermark: {early: {repeatedly: {after_processing_time: 10s}}}}, accumulation: accumulating}
expect:
  invariants: all
  dead_letter_fraction_max: 0.01
";

/// `BASE` with the line containing `from` replaced by `to`.
fn with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "BASE has no `{from}`");
    BASE.replacen(from, to, 1)
}

fn parse_str(text: &str) -> Result<Scenario, InputError> {
    parse(text, Path::new("s.yaml"))
}

/// The one-line error for `text`.
fn error(text: &str) -> String {
    match parse_str(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// Asserts that replacing `from` by `to` in `BASE` gives exactly `expected`.
#[track_caller]
fn assert_error(from: &str, to: &str, expected: &str) {
    assert_eq!(error(&with(from, to)), expected);
}

#[test]
fn base_parses_and_converts() {
    let s = parse_str(BASE).unwrap();
    assert_eq!(s.duration, Dur(600_000));
    assert_eq!(s.workload.keys.names().len(), 8);
    assert_eq!(s.sources().len(), 20);
    assert_eq!(s.sources()[3].name, "phones-3");
    let r = s.strategies_resolved();
    assert_eq!(r.len(), 2);
    assert_eq!(
        r[0].pipeline.window,
        tidemark_engine::WindowFn::Fixed {
            size: tidemark_engine::Duration(60_000),
            offset: tidemark_engine::Duration(0),
        }
    );
    assert_eq!(
        r[0].pipeline.allowed_lateness,
        tidemark_engine::Duration(60_000)
    );
    assert!(r[1].pipeline.trigger.uses_processing_time());
    assert_eq!(
        r[1].pipeline.trigger.to_string(),
        tidemark_engine::Trigger::AfterWatermark {
            early: Some(Box::new(tidemark_engine::Trigger::Repeatedly(Box::new(
                tidemark_engine::Trigger::AfterProcessingTime {
                    delay: tidemark_engine::Duration(10_000),
                    align: None,
                }
            )))),
            late: None,
        }
        .to_string()
    );
    assert_eq!(r[0].thresholds.dead_letter_fraction_max, Some(0.01));
    for strategy in &r {
        assert_eq!(strategy.pipeline.validate(), Ok(()));
        let wm = strategy.watermark_config(4);
        assert_eq!(wm.channels, 4);
        assert_eq!(wm.emit_interval, tidemark_engine::Duration(200));
    }
}

#[test]
fn long_forms_and_overrides_parse() {
    let text = with("  window: {fixed: 1m}", "  window: {sliding: {size: 1m, period: 10s}}")
        .replace("  keys: 8", "  keys: [alice, bob]")
        .replace(
            "  - {name: default, trigger: default, accumulation: discarding}",
            "  - name: default\n    dedup: true\n    allowed_lateness: 0s\n    watermark: perfect\n    \
             idle_timeout: 30s\n    expect: {accuracy_min: 1.0}\n    trigger: {or_finally: \
             {trigger: {after_any: [{after_count: 3}, {after_processing_time: {period: 1m}}]}, \
             until: {after_watermark: {}}}}",
        );
    let s = parse_str(&text).unwrap();
    assert_eq!(s.workload.keys.names(), ["alice", "bob"]);
    let r = s.strategies_resolved();
    assert!(r[0].dedup && !r[1].dedup);
    assert_eq!(r[0].pipeline.allowed_lateness, tidemark_engine::Duration(0));
    assert_eq!(r[0].watermark, WatermarkSpec::Perfect);
    assert_eq!(r[0].idle_timeout, Some(Dur(30_000)));
    assert_eq!(r[0].thresholds.accuracy_min, Some(1.0));
    assert_eq!(r[0].thresholds.dead_letter_fraction_max, Some(0.01));
    assert_eq!(
        r[0].pipeline.trigger.to_string(),
        tidemark_engine::Trigger::OrFinally {
            trigger: Box::new(tidemark_engine::Trigger::AfterAny(vec![
                tidemark_engine::Trigger::AfterCount(3),
                tidemark_engine::Trigger::AfterProcessingTime {
                    delay: tidemark_engine::Duration(0),
                    align: Some((
                        tidemark_engine::Duration(60_000),
                        tidemark_engine::Duration(0)
                    )),
                },
            ])),
            until: Box::new(tidemark_engine::Trigger::AfterWatermark {
                early: None,
                late: None
            }),
        }
        .to_string()
    );
    assert_eq!(
        r[0].watermark_config(1).strategy,
        tidemark_engine::WatermarkStrategy::External
    );
}

#[test]
fn yaml_round_trips() {
    let s = parse_str(BASE).unwrap();
    let again = parse_str(&s.to_yaml().unwrap()).unwrap();
    assert_eq!(s, again);
}

#[test]
fn unknown_fields_are_errors() {
    assert_error(
        "  keys: 8",
        "  keys: 8\n  colour: blue",
        "s.yaml:7:3: workload: unknown field `colour`, expected `keys` or `sources`",
    );
    assert_error(
        "  workers: 2",
        "  workers: 2\n  parallelism: 3",
        "s.yaml:24:3: pipeline: unknown field `parallelism`, expected one of `window`, \
         `watermark`, `watermark_interval`, `idle_timeout`, `allowed_lateness`, \
         `timestamp_combiner`, `aggregate`, `on_time`, `dedup`, `workers`",
    );
    assert_error(
        "{fixed: 1m}",
        "{fixed: {size: 1m, ofset: 1s}}",
        "s.yaml:20:30: pipeline.window.fixed: unknown field `ofset`, expected `size` or `offset`",
    );
    assert_error(
        "  window: {fixed: 1m}",
        "  window: {fixd: 1m}",
        "s.yaml:20:12: pipeline.window: unknown variant `fixd`, expected one of `fixed`, \
         `sliding`, `sessions`, `global`",
    );
}

#[test]
fn malformed_yaml_is_an_error() {
    let e = error(&with("seed: 1", "seed: 1: 2"));
    assert!(
        e.starts_with("s.yaml:3:8: mapping values are not allowed"),
        "{e}"
    );
    let e = error(&with("  keys: 8", "  keys: \"8"));
    assert!(
        e.starts_with("s.yaml:30:1: found unexpected end of stream"),
        "{e}"
    );
    let e = error("");
    assert!(e.starts_with("s.yaml:"), "{e}");
}

#[test]
fn wrong_types_are_errors() {
    assert_error(
        "  window: {fixed: 1m}",
        "  window: 5",
        "s.yaml:20:11: pipeline.window: invalid type: integer `5`, expected a window: \
         {fixed: SIZE}, {sliding: {size, period}}, {sessions: GAP} or global",
    );
    assert_error(
        "duration: 10m",
        "duration: 10",
        "s.yaml:4:11: duration: expected a duration with a unit (like 250ms, 10s, 5m or 1h), \
         got `10`",
    );
    assert_error(
        "    - name: phones\n      count: 20",
        "    - count: 20",
        "s.yaml:8:7: workload.sources[0]: missing field `name`",
    );
}

#[test]
fn windows_must_be_positive() {
    assert_error(
        "  window: {fixed: 1m}",
        "  window: {fixed: 0s}",
        "s.yaml:20:19: pipeline.window.fixed.size: window size must be positive, got 0ms",
    );
    assert_error(
        "  window: {fixed: 1m}",
        "  window: {fixed: {size: -1m}}",
        "s.yaml:20:26: pipeline.window.fixed.size: window size must be positive, got -1m",
    );
    assert_error(
        "  window: {fixed: 1m}",
        "  window: {sessions: {gap: -5s}}",
        "s.yaml:20:28: pipeline.window.sessions.gap: window gap must be positive, got -5s",
    );
    assert_error(
        "  window: {fixed: 1m}",
        "  window: {sliding: {size: 1m, period: 0s}}",
        "s.yaml:20:40: pipeline.window.sliding.period: window period must be positive, got 0ms",
    );
}

#[test]
fn negative_rates_are_errors() {
    assert_error(
        "      rate: 2",
        "      rate: -2",
        "s.yaml:10:13: workload.sources[0].rate: rate must be a non-negative number of events \
         per second, got -2",
    );
    assert_error(
        "      offline:",
        "      bursts: [{at: 1m, for: 10s, rate: -1}]\n      offline:",
        "s.yaml:12:41: workload.sources[0].bursts[0].rate: rate must be a non-negative number \
         of events per second, got -1",
    );
}

#[test]
fn ranges_are_checked() {
    assert_error(
        "{min: 5ms, max: 50ms}",
        "{min: 60ms, max: 50ms}",
        "s.yaml:15:39: network.latency.uniform.max: latency max must be at least min, got min \
         60ms > max 50ms",
    );
    assert_error(
        "{min: 1, max: 100}",
        "{min: 10, max: 1}",
        "s.yaml:11:25: workload.sources[0].values.uniform: uniform values need min <= max, got \
         min 10 > max 1",
    );
    assert_error(
        "  latency: {uniform: {min: 5ms, max: 50ms}}",
        "  latency: {pareto: {scale: 5ms, shape: 0}}",
        "s.yaml:15:41: network.latency.pareto.shape: pareto shape must be a positive number, \
         got 0",
    );
}

#[test]
fn probabilities_are_checked() {
    assert_error(
        "  loss: 0.01",
        "  loss: 1.5",
        "s.yaml:16:9: network.loss: loss must be between 0 and 1, got 1.5",
    );
    assert_error(
        "  loss: 0.01",
        "  loss: -0.1",
        "s.yaml:16:9: network.loss: loss must be between 0 and 1, got -0.1",
    );
    assert_error(
        "sources: 0.3}",
        "sources: 1.3}",
        "s.yaml:13:38: workload.sources[0].offline[0].sources: a fraction of sources must be \
         between 0 and 1, got 1.3",
    );
    assert_error(
        "  dead_letter_fraction_max: 0.01",
        "  dead_letter_fraction_max: 2",
        "s.yaml:29:29: expect.dead_letter_fraction_max: dead_letter_fraction_max must be between \
         0 and 1, got 2",
    );
}

#[test]
fn hosts_must_exist() {
    assert_error(
        "from: phones}]",
        "from: tablets}]",
        "s.yaml:18:41: network.partitions[0].from: unknown host `tablets`; expected a source \
         group (`phones`), one of its sources (like `phones-0`) or `engine`",
    );
    assert_error(
        "from: phones}]",
        "from: phones, to: log}]",
        "s.yaml:18:53: network.partitions[0].to: unknown host `log`; expected a source group \
         (`phones`), one of its sources (like `phones-0`) or `engine`",
    );
    // A single source, `engine` and (with a log) `log` are hosts.
    parse_str(&with("from: phones}]", "from: phones-3}]")).unwrap();
    parse_str(&with(
        "from: phones}]",
        "from: phones, to: log}]\n  log: {partitions: 2}",
    ))
    .unwrap();
}

#[test]
fn durations_must_fit_in_i64_milliseconds() {
    assert_error(
        "duration: 10m",
        "duration: 99999999999999999h",
        "s.yaml:4:11: duration: duration `99999999999999999h` is too long: durations are at \
         most 24000h (1,000 days) either way",
    );
    assert_error(
        "allowed_lateness: 1m",
        "allowed_lateness: 99999999999999999999ms",
        "s.yaml:22:21: pipeline.allowed_lateness: duration `99999999999999999999ms` is too long: \
         durations are at most 24000h (1,000 days) either way",
    );
}

#[test]
fn strategy_names_are_unique() {
    assert_error(
        "{name: early,",
        "{name: default,",
        "s.yaml:26:12: strategies[1].name: strategy name `default` is used twice; names must be \
         unique",
    );
}

#[test]
fn workers_must_be_positive() {
    assert_error(
        "  workers: 2",
        "  workers: 0",
        "s.yaml:23:12: pipeline.workers: workers must be between 1 and 1024, got 0",
    );
    assert_error(
        "  workers: 2",
        "  workers: -1",
        "s.yaml:23:12: pipeline.workers: invalid type: integer `-1`, expected u32",
    );
}

#[test]
fn nested_triggers_are_checked_where_they_are() {
    assert_error(
        "{repeatedly: {after_processing_time: 10s}}",
        "{after_each: [always, {after_count: 0}]}",
        "s.yaml:26:90: strategies[1].trigger.after_watermark.early.after_each[1].after_count: \
         trigger after_count must be at least 1",
    );
    assert_error(
        "{repeatedly: {after_processing_time: 10s}}",
        "{after_any: []}",
        "s.yaml:26:66: strategies[1].trigger.after_watermark.early.after_any: trigger after_any needs at \
         least one trigger",
    );
    assert_error(
        "{after_processing_time: 10s}",
        "{after_processing_time: {offset: 5s}}",
        "s.yaml:26:100: strategies[1].trigger.after_watermark.early.repeatedly.\
         after_processing_time.offset: after_processing_time offset needs a period to align to",
    );
    // The engine counts milliseconds; the message also says what was written.
    assert_error(
        "{after_processing_time: 10s}",
        "{after_processing_time: -5s}",
        "s.yaml:26:91: strategies[1].trigger.after_watermark.early.repeatedly.\
         after_processing_time.delay: trigger after_processing_time delay -5000 is negative \
         (written -5s)",
    );
}

#[test]
fn too_many_events_are_refused() {
    assert_error(
        "      rate: 2",
        "      rate: 2000",
        "s.yaml:8:5: workload.sources: the sources would generate about 24000000 events over \
         10m; at most 20000000 are allowed (lower a rate, count or duration)",
    );
}

#[test]
fn other_checks() {
    assert_error(
        "strategies:\n  - {name: default, trigger: default, accumulation: discarding}\n  - {name: early, trigger: {after_watermark: {early: {repeatedly: {after_processing_time: 10s}}}}, accumulation: accumulating}",
        "strategies: []",
        "s.yaml:24:13: strategies: expected at least one strategy",
    );
    assert_error(
        "  keys: 8",
        "  keys: [a, b, a]",
        "s.yaml:6:16: workload.keys[2]: key name `a` is used twice",
    );
    assert_error(
        "      count: 20",
        "      count: 0",
        "s.yaml:9:14: workload.sources[0].count: count must be at least 1",
    );
    assert_error(
        "  - name: phones",
        "  - name: engine",
        "s.yaml:8:13: workload.sources[0].name: `engine` is reserved for a host",
    );
    assert_error(
        "max_attempts: 5",
        "max_attempts: 0",
        "s.yaml:17:41: network.retry.max_attempts: max_attempts must be at least 1",
    );
    assert_error(
        "  allowed_lateness: 1m",
        "  allowed_lateness: -1m",
        "s.yaml:22:21: pipeline.allowed_lateness: allowed_lateness must not be negative, got -1m",
    );
    assert_error(
        "{bounded_out_of_orderness: 5s}",
        "{punctuated: 0s}",
        "s.yaml:21:27: pipeline.watermark.punctuated.interval: punctuation interval must be \
         positive, got 0ms",
    );
}

/// Every prefix of a valid file is either valid or an error; never a panic.
#[test]
fn truncated_files_never_panic() {
    for end in (0..BASE.len()).filter(|i| BASE.is_char_boundary(*i)) {
        if let Err(e) = parse_str(&BASE[..end]) {
            assert!(e.to_string().starts_with("s.yaml:"));
        }
    }
    for text in [
        "[]",
        "- a",
        "name: 1",
        "~",
        "!!binary aGk=",
        "a: &x [*x]",
        "{{{",
        "\t",
    ] {
        assert!(parse_str(text).is_err(), "{text}");
    }
}

#[test]
fn shipped_scenarios_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files = Vec::new();
    for sub in [dir.clone(), dir.join("regressions")] {
        for entry in std::fs::read_dir(&sub).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    for path in &files {
        let s = load(path).unwrap_or_else(|e| panic!("{e}"));
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        assert_eq!(
            s.name,
            stem,
            "{}: name should match the file name",
            path.display()
        );
        let sentences = s.description.matches(". ").count() + 1;
        assert!(
            sentences >= 2,
            "{}: the description should teach",
            path.display()
        );
        let events = crate::workload::generate(&s, s.seed).events.len();
        // Lessons need enough events to show something; a regression is
        // shrunk to as few as still fail (or, fixed, still pass).
        let regression = path.parent().is_some_and(|d| d.ends_with("regressions"));
        let least = if regression { 1 } else { 100 };
        assert!(
            (least..=20_000).contains(&events),
            "{}: {events} events",
            path.display()
        );
    }
}

#[test]
fn schema_is_json_naming_the_top_level_fields() {
    let text = schema::json();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let props = v["properties"].as_object().unwrap();
    for field in [
        "name",
        "description",
        "seed",
        "duration",
        "workload",
        "network",
        "pipeline",
        "strategies",
        "expect",
    ] {
        assert!(props.contains_key(field), "schema lacks `{field}`");
    }
    assert_eq!(v["additionalProperties"], serde_json::Value::Bool(false));
    assert!(text.contains(duration::PATTERN));
    assert!(text.contains("after_watermark"));
}

/// `scenarios/scenario.schema.json` is what `tidemark schema` prints.
/// Regenerate it with `cargo run -- schema > scenarios/scenario.schema.json`.
#[test]
fn committed_schema_is_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/scenario.schema.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == schema::json(),
        "{} is stale: run `cargo run -- schema > scenarios/scenario.schema.json`",
        path.display()
    );
}

#[test]
fn processing_and_log_sections_parse_and_refuse_bad_values_where_they_are() {
    let ok = with(
        "pipeline:\n",
        "log: {retention: 2h, retention_entries: 1000}\nprocessing:\n  service_rate: 50\n  inbox: 100\n  checkpoints: {interval: 10s, duration: 1s}\n  crashes: [{at: 1m, worker: 1, restart: 5s, lose_last_checkpoint: true}]\n  crash_rate: {per_hour: 2, restart: 3s}\n  sink: exactly_once\npipeline:\n",
    );
    let s = parse_str(&ok).unwrap();
    assert_eq!(s.log.retention, Some(Dur(7_200_000)));
    assert_eq!(s.processing.sink, SinkSpec::ExactlyOnce);
    assert_eq!(s.processing.crashes[0].worker, 1);
    let e = error(&ok.replace("inbox: 100", "inbox: 100\n  fetch: 1s"));
    assert!(
        e.starts_with("s.yaml:23:3: processing: unknown field `fetch`"),
        "{e}"
    );
    let e = error(&ok.replace("worker: 1,", "worker: 2,"));
    assert!(
        e.starts_with("s.yaml:24:30:")
            && e.contains("processing.crashes[0].worker: the pipeline has 2 worker(s)"),
        "{e}"
    );
    let e = error(&ok.replace("duration: 1s}", "duration: 10s}"));
    assert!(
        e.contains(
            "processing.checkpoints.duration: checkpoint duration must be at least 0 and shorter"
        ),
        "{e}"
    );
    let e = error(&ok.replace("retention: 2h", "retention: 0s"));
    assert!(
        e.starts_with("s.yaml:19:18:") && e.contains("log.retention: retention must be positive"),
        "{e}"
    );
}

#[test]
fn an_exactly_once_sink_without_checkpoints_is_refused_at_the_strategy() {
    let text = with(
        "  - {name: default, trigger: default, accumulation: discarding}",
        "  - {name: default, trigger: default, accumulation: discarding, sink: exactly_once}",
    );
    let e = error(&text);
    assert!(
        e.contains("strategies[0].sink: an exactly_once sink commits at checkpoints: set processing.checkpoints"),
        "{e}"
    );
}

#[test]
fn strategies_with_different_punctuation_intervals_are_refused() {
    let text = with(
        "  - {name: default, trigger: default, accumulation: discarding}",
        "  - {name: default, trigger: default, accumulation: discarding, watermark: {punctuated: {interval: 1s}}}\n  - {name: p2, trigger: default, accumulation: discarding, watermark: {punctuated: {interval: 2s}}}",
    );
    let e = error(&text);
    assert!(
        e.contains("punctuated watermarks need one interval for every strategy"),
        "{e}"
    );
}

#[test]
fn liveness_expectations_parse_override_and_refuse_bad_values() {
    use super::BeforeInputEnds;
    let text = with(
        "  dead_letter_fraction_max: 0.01",
        "  on_time_latency_max: 5s\n  on_time_before_input_ends: all",
    )
    .replace(
        "  - {name: default, trigger: default, accumulation: discarding}",
        "  - {name: default, trigger: default, accumulation: discarding, \
         expect: {on_time_before_input_ends: none}}",
    );
    let s = parse_str(&text).unwrap();
    let r = s.strategies_resolved();
    assert_eq!(r[0].thresholds.on_time_latency_max, Some(Dur(5_000)));
    assert_eq!(
        r[0].thresholds.on_time_before_input_ends,
        Some(BeforeInputEnds::None)
    );
    assert_eq!(
        r[1].thresholds.on_time_before_input_ends,
        Some(BeforeInputEnds::All)
    );
    let bad = error(&with(
        "  dead_letter_fraction_max: 0.01",
        "  on_time_before_input_ends: some",
    ));
    assert!(
        bad.starts_with("s.yaml:29:30: expect.on_time_before_input_ends:"),
        "{bad}"
    );
    assert!(bad.contains("`all`") && bad.contains("`none`"), "{bad}");
    assert_error(
        "  dead_letter_fraction_max: 0.01",
        "  on_time_latency_max: -1s",
        "s.yaml:29:24: expect.on_time_latency_max: on_time_latency_max must not be negative, got -1s",
    );
}

/// The memory benchmark's scenarios (`sim/benches/memory/`) load, and a
/// plain scenario at the event cap is within the memory budget: the cap
/// and the budget agree.
#[test]
fn event_cap_fits_the_memory_budget() {
    let ten = include_str!("../../benches/memory/events_10m.yaml");
    let s = parse_str(ten).expect("the 10M-event benchmark loads");
    assert!(cost::estimate(&s).events > 9_900_000.0);
    let twenty = ten.replace("rate: 100", "rate: 199");
    let s = parse_str(&twenty).expect("a 20M-event plain scenario loads");
    let (memory, ..) = cost::estimate(&s).memory();
    assert!(memory < cost::MEMORY_MAX, "{memory}");
}

/// Past the memory budget, the error names the setting whose share is
/// largest: here the retries of a very lossy network.
#[test]
fn memory_budget_names_the_retries() {
    let ten = include_str!("../../benches/memory/events_10m.yaml");
    let lossy = ten
        .replace("rate: 100", "rate: 120")
        .replace(
            "  latency: {uniform: {min: 5ms, max: 50ms}}",
            "  latency: {uniform: {min: 5ms, max: 50ms}}\n  loss: 0.5\n  retry: {timeout: 200ms, max_attempts: 3}",
        );
    let e = error(&lossy);
    assert!(
        e.starts_with("s.yaml:")
            && e.contains(": network.retry.max_attempts: this scenario would hold about")
            && e.contains("2.0 attempts per event"),
        "{e}"
    );
}

#[test]
fn clock_steps_must_be_positive_and_at_most_an_hour() {
    assert_error(
        "pipeline:\n",
        "processing: {clock_step: 0s}\npipeline:\n",
        "s.yaml:19:26: processing.clock_step: clock_step must be positive and at most 1h, got 0ms",
    );
    assert_error(
        "pipeline:\n",
        "processing:\n  clock_step: 2h\npipeline:\n",
        "s.yaml:20:15: processing.clock_step: clock_step must be positive and at most 1h, got 2h",
    );
    let s = parse_str(&with(
        "pipeline:\n",
        "processing: {clock_step: 250ms}\npipeline:\n",
    ))
    .unwrap();
    assert_eq!(s.processing.clock_step, Some(Dur(250)));
}
