//! `run --out DIR`: the run's trace, panes and dead letters as JSON Lines,
//! one object per line, for other tools (jq, pandas, a Flink job's test).
//!
//! Engine types become JSON here, at the edge. Times are integers; the
//! infinite watermarks are the strings "-inf" and "+inf".

use crate::model::{Delivery, Workload};
use crate::run::Simulation;
use anyhow::Context;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use tidemark_engine::{AggValue, DeadLetter, EventTime, Key, Pane, Window};

fn time(t: EventTime) -> Value {
    match t {
        EventTime::MIN => json!("-inf"),
        EventTime::MAX => json!("+inf"),
        EventTime(t) => json!(t),
    }
}

fn window(w: &Window) -> Value {
    json!([time(w.start), time(w.end)])
}

fn key(workload: &Workload, k: Key) -> Value {
    usize::try_from(k.0)
        .ok()
        .and_then(|i| workload.keys.get(i))
        .map_or_else(|| json!(k.0), |name| json!(name))
}

/// An aggregate as JSON: a number for sum and count, a number or null for
/// min and max, `{sum, count}` for mean (exact), a sorted list for collect.
#[must_use]
pub fn value(v: &AggValue) -> Value {
    match v {
        AggValue::Sum(s) => json!(s),
        AggValue::Count(c) => json!(c),
        AggValue::Min(m) | AggValue::Max(m) => json!(m),
        AggValue::Mean { sum, count } => json!({"sum": sum, "count": count}),
        AggValue::Collect(vs) => {
            let mut vs = vs.clone();
            vs.sort_unstable();
            json!(vs)
        }
    }
}

fn pane(workload: &Workload, strategy: &str, p: &Pane) -> Value {
    json!({
        "strategy": strategy,
        "key": key(workload, p.key),
        "window": window(&p.window),
        "value": value(&p.value),
        "timestamp": time(p.timestamp),
        "timing": p.info.timing.name(),
        "index": p.info.index,
        "nonspeculative_index": p.info.nonspeculative_index,
        "is_first": p.info.is_first,
        "is_last": p.info.is_last,
        "retraction": p.retraction,
        "fired_at": p.fired_at.0,
        "watermark": time(p.watermark),
    })
}

fn dead_letter(workload: &Workload, strategy: &str, d: &DeadLetter) -> Value {
    json!({
        "strategy": strategy,
        "event": d.record.id,
        "key": key(workload, d.record.key),
        "value": d.record.value,
        "time": d.record.time.0,
        "windows": d.windows.iter().map(window).collect::<Vec<_>>(),
        "watermark": time(d.watermark),
        "reason": d.reason.name(),
        "at": d.at.0,
    })
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

fn write_lines(path: &Path, lines: impl Iterator<Item = Value>) -> anyhow::Result<()> {
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
    let panes = sim
        .runs
        .iter()
        .flat_map(|r| r.panes.iter().map(move |p| pane(w, &r.strategy, p)));
    write_lines(&dir.join("panes.jsonl"), panes)?;
    let dead = sim.runs.iter().flat_map(|r| {
        r.dead_letters
            .iter()
            .map(move |d| dead_letter(w, &r.strategy, d))
    });
    write_lines(&dir.join("dead_letters.jsonl"), dead)
}
