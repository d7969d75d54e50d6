//! The regression file `shrink` writes: a `# must: fail` header saying
//! what failed, where, and where it came from; the scenario; and its
//! events one per line (flow style), renumbered from 0 in send order so
//! that the ids the reports name are the ids in the file.

use super::Shrunk;
use crate::scenario::script::{send_order, ExplicitEvent};
use crate::scenario::{self, Scenario};
use anyhow::Context;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Writes the shrunk scenario into `dir` as `NAME-seedN.yaml`. Returns
/// the path written.
pub fn write_regression(
    dir: &Path,
    original_path: &Path,
    seed: u64,
    shrunk: &Shrunk,
) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut s = shrunk.scenario.clone();
    // The name passed validation at load; re-checked here because it
    // becomes a file name, which must stay inside `dir`.
    let stem = format!("{}-seed{seed}", scenario::names::file_stem(&s.name)?);
    let path = dir.join(format!("{stem}.yaml"));
    s.seed = seed;
    s.name = stem;
    let original_ids = renumber(&mut s);
    let f = &shrunk.failure;
    s.description = format!(
        "Regression (shrunk): {f}. Originally: {}",
        s.description.trim()
    );
    let text = format!(
        "{}{}",
        header(original_path, &path, seed, shrunk, &s),
        body(&s, &original_ids)?
    );
    // What is written must read back as exactly this scenario.
    let back = scenario::parse(&text, &path).map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(
        back == s,
        "the regression scenario did not read back as written"
    );
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Renumbers listed events 0.. in send order (the workload's ids); returns
/// each one's id before.
fn renumber(s: &mut Scenario) -> Vec<u64> {
    let Some(events) = s.events.as_mut() else {
        return Vec::new();
    };
    let order = send_order(events);
    let mut sorted: Vec<ExplicitEvent> = order.iter().map(|&i| events[i].clone()).collect();
    let before = sorted.iter().map(|e| e.id).collect();
    for (i, e) in sorted.iter_mut().enumerate() {
        e.id = i as u64;
    }
    *events = sorted;
    before
}

fn header(
    original_path: &Path,
    written: &Path,
    seed: u64,
    shrunk: &Shrunk,
    s: &Scenario,
) -> String {
    let f = &shrunk.failure;
    let mut h = String::from("# must: fail\n");
    let _ = writeln!(
        h,
        "# Regression written by `tidemark shrink {} --seed {seed}`.",
        original_path.display()
    );
    let _ = writeln!(h, "# Failed: {f}");
    if let Some(c) = &f.counterexample {
        let mut at = Vec::new();
        if let Some(k) = &c.key {
            at.push(format!("key {k}"));
        }
        if let Some(w) = &c.window {
            at.push(format!("window {w}"));
        }
        if !c.events.is_empty() {
            let ids: Vec<String> = c.events.iter().map(u64::to_string).collect();
            at.push(format!("events {}", ids.join(", ")));
        }
        if !at.is_empty() {
            let _ = writeln!(h, "# Where: {}", at.join("; "));
        }
    }
    let _ = writeln!(
        h,
        "# From: {} at seed {seed} ({} events), which failed {} ({})",
        original_path.display(),
        shrunk.original_events,
        f.check,
        f.strategy
            .as_deref()
            .map_or("run-wide".to_string(), |st| format!("strategy {st}")),
    );
    let _ = writeln!(h, "#   first as: {}", shrunk.original_failure);
    match &s.events {
        Some(e) => {
            let _ = writeln!(
                h,
                "# Needs no seed: its {} events, each attempt's fate and every crash are \
                 listed (an attempt not listed arrives at once, and so does its ack).",
                e.len()
            );
        }
        None => {
            let _ = writeln!(
                h,
                "# Needs seed {seed}: the recorded events and fates did not fail the same way."
            );
        }
    }
    let _ = writeln!(h, "# Shrunk in {} runs, keeping:", shrunk.runs);
    for step in &shrunk.steps {
        let _ = writeln!(h, "#   - {step}");
    }
    let _ = writeln!(
        h,
        "# Reproduce: {}",
        crate::sweep::replay_command(written, seed)
    );
    h
}

/// The scenario as YAML, its events one flow-style line each.
fn body(s: &Scenario, original_ids: &[u64]) -> anyhow::Result<String> {
    let mut rest = s.clone();
    rest.events = None;
    let mut text = rest
        .to_yaml()
        .context("writing the shrunk scenario as YAML")?;
    if let Some(events) = &s.events {
        text.push_str(if events.is_empty() {
            "events: []\n"
        } else {
            "events:\n"
        });
        for (e, was) in events.iter().zip(original_ids) {
            let _ = writeln!(text, "  - {}  # event {was} of the recorded run", line(e));
        }
    }
    Ok(text)
}

fn line(e: &ExplicitEvent) -> String {
    let mut l = format!(
        "{{id: {}, source: {}, key: {}, value: {}, time: {}",
        e.id,
        scalar(&e.source),
        scalar(&e.key),
        e.value,
        e.time
    );
    if let Some(t) = e.true_time {
        let _ = write!(l, ", true_time: {t}");
    }
    let _ = write!(l, ", sent_at: {}", e.sent_at);
    if !e.attempts.is_empty() {
        let attempts: Vec<String> = e
            .attempts
            .iter()
            .map(|a| {
                let mut parts = Vec::new();
                if a.lost {
                    parts.push("lost: true".to_string());
                }
                if a.delay.ms() != 0 {
                    parts.push(format!("delay: {}", a.delay));
                }
                if a.ack_lost {
                    parts.push("ack_lost: true".to_string());
                }
                if a.ack_delay.ms() != 0 {
                    parts.push(format!("ack_delay: {}", a.ack_delay));
                }
                format!("{{{}}}", parts.join(", "))
            })
            .collect();
        let _ = write!(l, ", attempts: [{}]", attempts.join(", "));
    }
    l.push('}');
    l
}

/// A name as a YAML scalar: bare when it can only read back as that
/// string, else JSON-quoted (a JSON string is a YAML double-quoted one).
fn scalar(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !matches!(
            name.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        name.to_string()
    } else {
        serde_json::to_string(name).unwrap_or_else(|_| format!("{name:?}"))
    }
}
