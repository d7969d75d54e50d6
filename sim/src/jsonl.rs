//! `run --out DIR`: the run's trace, panes and dead letters as JSON Lines,
//! one object per line, for other tools (jq, pandas, a Flink job's test).
//!
//! Panes and dead letters are in the one output encoding
//! (`tidemark_spec::encode`: the same objects `transcript --format json`
//! prints and the run hash hashes), each line led by its `strategy`. Times
//! are integers; the infinite watermarks are the strings "-inf" and "+inf".

use crate::model::{Delivery, Workload};
use crate::run::Simulation;
use anyhow::Context;
use serde::Serialize;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::io::Write;
use std::path::Path;
use tidemark_engine::{DeadLetter, EventTime, Key, Pane};
use tidemark_spec::encode;

fn time(t: EventTime) -> Value {
    json!(encode::Time(t))
}

/// A key's name in the workload; its number if the workload has no name
/// for it (never, for keys the engine got from the workload).
#[must_use]
pub fn key_name(workload: &Workload, k: Key) -> Cow<'_, str> {
    usize::try_from(k.0)
        .ok()
        .and_then(|i| workload.keys.get(i))
        .map_or_else(
            || Cow::Owned(k.0.to_string()),
            |name| Cow::Borrowed(name.as_str()),
        )
}

fn key(workload: &Workload, k: Key) -> Value {
    json!(key_name(workload, k))
}

/// One output line: the strategy, then the output's own fields.
#[derive(Serialize)]
struct Line<'a, T> {
    strategy: &'a str,
    #[serde(flatten)]
    output: T,
}

/// A pane or dead letter of a strategy, with its key's name, encoded when
/// written.
struct OutputLine<'a, O> {
    strategy: &'a str,
    key: Cow<'a, str>,
    output: &'a O,
}

impl Serialize for OutputLine<'_, Pane> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Line {
            strategy: self.strategy,
            output: encode::pane(&self.key, self.output),
        }
        .serialize(s)
    }
}

impl Serialize for OutputLine<'_, DeadLetter> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Line {
            strategy: self.strategy,
            output: encode::dead_letter(&self.key, self.output),
        }
        .serialize(s)
    }
}

fn delivery(workload: &Workload, d: &Delivery) -> Value {
    match *d {
        Delivery::Record {
            at,
            worker,
            channel,
            event,
            duplicate,
        } => {
            let e = usize::try_from(event)
                .ok()
                .and_then(|i| workload.events.get(i));
            json!({
                "kind": "record",
                "at": at.0,
                "worker": worker,
                "channel": channel,
                "event": event,
                "key": e.map(|e| key(workload, Key(e.key))),
                "value": e.map(|e| e.value),
                "time": e.map(|e| e.time.0),
                "source": e.map(|e| e.source),
                "duplicate": duplicate,
            })
        }
        Delivery::Punctuation {
            at,
            worker,
            channel,
            watermark,
        } => json!({
            "kind": "punctuation",
            "at": at.0,
            "worker": worker,
            "channel": channel,
            "watermark": time(watermark),
        }),
    }
}

fn write_lines<T: Serialize>(path: &Path, lines: impl Iterator<Item = T>) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    for line in lines {
        serde_json::to_writer(&mut w, &line)?;
        w.write_all(b"\n")?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))
}

/// Writes `trace.jsonl` (deliveries in arrival order, then one `lost` line
/// per undelivered event and one `fault` line per fault decision),
/// `panes.jsonl` and `dead_letters.jsonl` (every strategy, in scenario
/// order, each line naming its strategy) into `dir`, creating it.
pub fn write_outputs(dir: &Path, sim: &Simulation) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let w = &sim.workload;
    let trace = sim
        .trace
        .deliveries
        .iter()
        .map(|d| delivery(w, d))
        .chain(
            sim.trace
                .undelivered
                .iter()
                .map(|id| json!({"kind": "lost", "event": id})),
        )
        .chain(
            sim.trace
                .faults
                .iter()
                .map(|f| json!({"kind": "fault", "at": f.at.0, "what": f.what})),
        );
    write_lines(&dir.join("trace.jsonl"), trace)?;
    let panes = sim.runs.iter().flat_map(|r| {
        r.panes.iter().map(move |p| OutputLine {
            strategy: &r.strategy,
            key: key_name(w, p.key),
            output: p,
        })
    });
    write_lines(&dir.join("panes.jsonl"), panes)?;
    let dead = sim.runs.iter().flat_map(|r| {
        r.dead_letters.iter().map(move |d| OutputLine {
            strategy: &r.strategy,
            key: key_name(w, d.record.key),
            output: d,
        })
    });
    write_lines(&dir.join("dead_letters.jsonl"), dead)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidemark_engine::{AggValue, PaneInfo, ProcTime, Timing, Window};

    /// `panes.jsonl` lines are the strategy, then exactly the bytes the
    /// transcript JSON and the run hash use.
    #[test]
    fn a_pane_line_is_the_strategy_then_the_one_encoding() {
        let p = Pane {
            key: Key(0),
            window: Window::GLOBAL,
            value: AggValue::Mean { sum: 7, count: 2 },
            timestamp: EventTime(9),
            info: PaneInfo {
                timing: Timing::Late,
                index: 2,
                nonspeculative_index: 1,
                is_first: false,
                is_last: true,
            },
            retraction: false,
            fired_at: ProcTime(12),
            watermark: EventTime::MAX,
        };
        let line = OutputLine {
            strategy: "s",
            key: Cow::Borrowed("a"),
            output: &p,
        };
        let line = serde_json::to_string(&line).expect("json");
        let encoded = serde_json::to_string(&encode::pane("a", &p)).expect("json");
        assert_eq!(line, format!("{{\"strategy\":\"s\",{}", &encoded[1..]));
        assert!(
            line.contains("\"window\":[\"-inf\",\"+inf\"],\"value\":{\"sum\":7,\"count\":2}"),
            "{line}"
        );
    }
}
