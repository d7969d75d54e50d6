//! Outputs as text: one compact line in transcript syntax (so a diff can be
//! pasted into an `expect` block), or JSON in the one output encoding
//! ([`crate::encode`]), with a fixed field order.

use super::keys::Keys;
use super::run::Outcome;
use super::spec::{list, window_list, Fields};
use crate::encode::{self, OutputJson};
use serde::Serialize;
use tidemark_engine::{AggValue, Output};

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
    steps: Vec<StepJson<'a>>,
}

#[derive(Serialize)]
struct StepJson<'a> {
    action: &'static str,
    outputs: Vec<OutputJson<'a>>,
}

fn output_json<'a>(out: &'a Output, keys: &'a Keys) -> OutputJson<'a> {
    match out {
        Output::Pane(p) => OutputJson::Pane(encode::pane(keys.name(p.key), p)),
        Output::DeadLetter(d) => {
            OutputJson::DeadLetter(encode::dead_letter(keys.name(d.record.key), d))
        }
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
