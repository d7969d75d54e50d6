//! Outputs as text: one compact line in transcript syntax (so a diff can be
//! pasted into an `expect` block), or JSON with a fixed field order.

use super::keys::Keys;
use super::run::Outcome;
use super::spec::{list, window_list, Fields};
use serde::Serialize;
use tidemark_engine::{AggValue, Output, Window};

/// One output on one line, e.g.
/// `{key: k, window: [0, 10], values: [1, 2], timestamp: 9, timing: on_time, …}`.
#[must_use]
pub fn output_line(out: &Output, keys: &Keys) -> String {
    match out {
        Output::Pane(p) => {
            let mut o = Fields::new();
            o.add("key", keys.name(p.key));
            o.add_window("window", &p.window);
            match &p.value {
                AggValue::Collect(vs) => {
                    let mut vs = vs.clone();
                    vs.sort_unstable();
                    o.add("values", list(&vs));
                }
                other => o.add("value", other),
            }
            o.add("timestamp", p.timestamp.0);
            o.add("timing", p.info.timing);
            o.add("index", p.info.index);
            o.add("nonspeculative_index", p.info.nonspeculative_index);
            o.add("is_first", p.info.is_first);
            o.add("is_last", p.info.is_last);
            if p.retraction {
                o.add("retraction", true);
            }
            o.finish()
        }
        Output::DeadLetter(d) => {
            let mut o = Fields::new();
            o.add("key", keys.name(d.record.key));
            o.add("value", d.record.value);
            o.add("time", d.record.time.0);
            o.add("windows", window_list(&d.windows));
            o.add("watermark", d.watermark.0);
            o.add("reason", d.reason);
            format!("{{dead_letter: {}}}", o.finish())
        }
    }
}

/// A transcript's JSON line. Field order is the declaration order.
#[derive(Serialize)]
pub struct TranscriptJson<'a> {
    name: &'a str,
    file: String,
    passed: bool,
    /// Why the checker failed the transcript (for a negative transcript
    /// that passed, the failure it was meant to produce); `null` when no
    /// check failed.
    error: Option<String>,
    steps: Vec<StepJson>,
}

#[derive(Serialize)]
struct StepJson {
    action: &'static str,
    outputs: Vec<OutputJson>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum OutputJson {
    Pane(PaneJson),
    DeadLetter(DeadLetterJson),
}

#[derive(Serialize)]
struct PaneJson {
    kind: &'static str,
    key: String,
    window: [i64; 2],
    /// A number, `null` for an empty min/max/mean, the sorted list for collect.
    value: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    values: Option<Vec<i64>>,
    timestamp: i64,
    timing: &'static str,
    index: u64,
    nonspeculative_index: i64,
    is_first: bool,
    is_last: bool,
    retraction: bool,
}

#[derive(Serialize)]
struct DeadLetterJson {
    kind: &'static str,
    key: String,
    value: i64,
    time: i64,
    windows: Vec<[i64; 2]>,
    watermark: i64,
    reason: &'static str,
}

/// The global window prints as `[i64::MIN, i64::MAX]`.
fn window_json(w: &Window) -> [i64; 2] {
    [w.start.0, w.end.0]
}

fn value_json(v: &AggValue) -> (serde_json::Value, Option<Vec<i64>>) {
    match v {
        AggValue::Collect(vs) => {
            let mut vs = vs.clone();
            vs.sort_unstable();
            (serde_json::Value::from(vs.clone()), Some(vs))
        }
        AggValue::Sum(s) => (serde_json::Value::from(*s), None),
        AggValue::Count(c) => (serde_json::Value::from(*c), None),
        AggValue::Min(m) | AggValue::Max(m) => {
            (m.map_or(serde_json::Value::Null, Into::into), None)
        }
        AggValue::Mean { .. } => (v.as_f64().map_or(serde_json::Value::Null, Into::into), None),
    }
}

fn output_json(out: &Output, keys: &Keys) -> OutputJson {
    match out {
        Output::Pane(p) => {
            let (value, values) = value_json(&p.value);
            OutputJson::Pane(PaneJson {
                kind: "pane",
                key: keys.name(p.key).to_owned(),
                window: window_json(&p.window),
                value,
                values,
                timestamp: p.timestamp.0,
                timing: p.info.timing.name(),
                index: p.info.index,
                nonspeculative_index: p.info.nonspeculative_index,
                is_first: p.info.is_first,
                is_last: p.info.is_last,
                retraction: p.retraction,
            })
        }
        Output::DeadLetter(d) => OutputJson::DeadLetter(DeadLetterJson {
            kind: "dead_letter",
            key: keys.name(d.record.key).to_owned(),
            value: d.record.value,
            time: d.record.time.0,
            windows: d.windows.iter().map(window_json).collect(),
            watermark: d.watermark.0,
            reason: d.reason.name(),
        }),
    }
}

/// The JSON object for one transcript's run.
#[must_use]
pub fn outcome_json<'a>(file: &str, outcome: &'a Outcome) -> TranscriptJson<'a> {
    TranscriptJson {
        name: &outcome.name,
        file: file.to_owned(),
        passed: outcome.passed(),
        error: outcome
            .explanation()
            .or_else(|| outcome.failure.as_ref().map(ToString::to_string)),
        steps: outcome
            .steps
            .iter()
            .map(|s| StepJson {
                action: s.action,
                outputs: s
                    .outputs
                    .iter()
                    .map(|o| output_json(o, &outcome.keys))
                    .collect(),
            })
            .collect(),
    }
}

/// What a transcript whose run panicked reports.
pub const PANICKED: &str = "the engine panicked (see stderr)";

/// The JSON line for a transcript whose run panicked: failed, no steps.
#[must_use]
pub fn panicked_json<'a>(file: &str, name: &'a str) -> TranscriptJson<'a> {
    TranscriptJson {
        name,
        file: file.to_owned(),
        passed: false,
        error: Some(PANICKED.to_owned()),
        steps: Vec::new(),
    }
}
