//! A seed's report as text: a table per strategy for people, a stable JSON
//! object for machines and snapshots, and `replay`'s verbose story.
//!
//! Engine and run types don't derive `Serialize` (a derive is a
//! compatibility promise); they become JSON here, at the edge, field by
//! field, so the JSON shape is written down in one place.

use crate::invariants::{name, Counterexample, Outcome};
use crate::run::{RecoverySummary, SeedReport, StrategyReport};
use serde_json::{json, Value};
use std::fmt::Write as _;
use tabled::settings::Style;
use tabled::{Table, Tabled};

/// Fractions printed to four decimals, so that JSON and snapshots don't
/// depend on the last bits of a float.
fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn outcome_json(outcome: &Outcome, checked: bool) -> Value {
    match outcome {
        Outcome::Held => json!({"status": "held", "checked": checked}),
        Outcome::NotApplicable(why) => {
            json!({"status": "not_applicable", "checked": checked, "why": why})
        }
        Outcome::Failed(c) => {
            json!({"status": "failed", "checked": checked, "counterexample": counterexample_json(c)})
        }
    }
}

/// A counterexample as JSON.
#[must_use]
pub fn counterexample_json(c: &Counterexample) -> Value {
    json!({
        "what": c.what,
        "key": c.key,
        "window": c.window.map(|w| json!([w.start.0, w.end.0])),
        "expected": c.expected,
        "actual": c.actual,
        "events": c.events,
    })
}

fn strategy_json(s: &StrategyReport) -> Value {
    let invariants: serde_json::Map<String, Value> = s
        .verdicts
        .iter()
        .map(|(v, checked)| {
            (
                name(v.invariant).to_string(),
                outcome_json(&v.outcome, *checked),
            )
        })
        .collect();
    let thresholds: Vec<Value> = s
        .thresholds
        .iter()
        .map(|t| json!({"name": t.name, "limit": t.limit, "actual": round4(t.actual), "ok": t.ok, "counterexample": t.counterexample.as_ref().map(counterexample_json)}))
        .collect();
    json!({
        "name": s.name,
        "trigger": s.trigger,
        "accumulation": s.accumulation.name(),
        "panes": s.panes,
        "panes_early": s.panes_early,
        "panes_late": s.panes_late,
        "retractions": s.retractions,
        "dead_letters": s.dead_letters,
        "dead_letter_fraction": round4(s.dead_letter_fraction),
        "duplicates_counted": s.duplicates_counted,
        "duplicates_dropped": s.duplicates_dropped,
        "watermark_regressions": s.watermark_regressions,
        "windows": s.windows,
        "accuracy": round4(s.accuracy),
        "recovery": recovery_json(&s.recovery),
        "invariants": invariants,
        "thresholds": thresholds,
    })
}

fn recovery_json(r: &RecoverySummary) -> Value {
    json!({
        "sink": r.sink,
        "crashes": r.crashes,
        "restarts": r.restarts,
        "restores": r.restores,
        "checkpoints": r.checkpoints,
        "checkpoint_bytes_max": r.checkpoint_bytes_max,
        "lag_max": r.lag_max,
        "downstream_duplicates": r.downstream_duplicates,
        "retention_lost": r.retention_lost,
        "watermark_rewinds": r.watermark_rewinds,
        "visible_delay_ms_mean": round4(r.visible_delay_ms_mean),
    })
}

/// One line per strategy whose processing phase did something: crashes,
/// checkpoints, lag, duplicates downstream, retention loss.
fn recovery_line(name: &str, r: &RecoverySummary) -> String {
    format!(
        "{name}: sink {}; {} crash(es), {} restart(s) ({} from a checkpoint); {} checkpoint(s), largest {} B; \
         lag max {} entries; {} duplicate pane(s) downstream; {} event(s) lost to retention; \
         visible {:.0}ms after firing on average",
        r.sink,
        r.crashes,
        r.restarts,
        r.restores,
        r.checkpoints,
        r.checkpoint_bytes_max,
        r.lag_max,
        r.downstream_duplicates,
        r.retention_lost,
        r.visible_delay_ms_mean
    )
}

/// The stable, machine-readable summary of one seed. Keys are sorted (a
/// `serde_json` map), numbers exact or rounded to four decimals; nothing
/// depends on the wall clock or the machine.
#[must_use]
pub fn report_json(r: &SeedReport) -> Value {
    let failures: Vec<Value> = r
        .failures
        .iter()
        .map(|f| {
            json!({
                "strategy": f.strategy,
                "check": f.check,
                "detail": f.detail,
                "counterexample": f.counterexample.as_ref().map(counterexample_json),
            })
        })
        .collect();
    let mut out = json!({
        "scenario": r.scenario,
        "seed": r.seed,
        "trace_hash": r.hash,
        "ok": r.ok(),
        "events": r.events,
        "lost": r.lost,
        "duplicates_delivered": r.duplicates_delivered,
        "faults": r.faults.len(),
        "determinism": outcome_json(&r.determinism, r.determinism_checked),
        "strategies": r.strategies.iter().map(strategy_json).collect::<Vec<_>>(),
        "failures": failures,
    });
    // Only scenarios with an architecture section carry the key, so the
    // others' summaries are unchanged.
    if let (Some(a), Some(map)) = (&r.architecture, out.as_object_mut()) {
        map.insert("architecture".into(), crate::arch::figures::to_json(a));
    }
    out
}

#[derive(Tabled)]
struct Row {
    strategy: String,
    trigger: String,
    accumulation: &'static str,
    panes: String,
    #[tabled(rename = "dead letters")]
    dead_letters: String,
    duplicates: String,
    windows: u64,
    accuracy: String,
    invariants: String,
}

fn row(s: &StrategyReport) -> Row {
    let failed: Vec<&str> = s
        .verdicts
        .iter()
        .filter(|(v, checked)| *checked && !v.outcome.ok())
        .map(|(v, _)| name(v.invariant))
        .chain(s.thresholds.iter().filter(|t| !t.ok).map(|t| t.name))
        .collect();
    let checked = s.verdicts.iter().filter(|(_, c)| *c).count();
    Row {
        strategy: s.name.clone(),
        trigger: s.trigger.clone(),
        accumulation: s.accumulation.name(),
        panes: format!(
            "{} ({} early, {} late{})",
            s.panes,
            s.panes_early,
            s.panes_late,
            if s.retractions > 0 {
                format!(", {} retracted", s.retractions)
            } else {
                String::new()
            }
        ),
        dead_letters: format!(
            "{} ({:.2}%)",
            s.dead_letters,
            s.dead_letter_fraction * 100.0
        ),
        duplicates: if s.duplicates_dropped > 0 {
            format!(
                "{} counted, {} dropped",
                s.duplicates_counted, s.duplicates_dropped
            )
        } else {
            s.duplicates_counted.to_string()
        },
        windows: s.windows,
        accuracy: format!("{:.2}%", s.accuracy * 100.0),
        invariants: if failed.is_empty() {
            format!("{checked} held")
        } else {
            format!("FAILED: {}", failed.join(", "))
        },
    }
}

/// The human summary: a header line and one table row per strategy.
#[must_use]
pub fn report_table(r: &SeedReport) -> String {
    let mut out = format!(
        "scenario {}  seed {}  hash {}\nevents {}  lost in network {}  duplicates delivered {}  fault decisions {}\n",
        r.scenario,
        r.seed,
        r.hash,
        r.events,
        r.lost,
        r.duplicates_delivered,
        r.faults.len()
    );
    let mut table = Table::new(r.strategies.iter().map(row));
    table.with(Style::sharp());
    let _ = writeln!(out, "{table}");
    for s in r.strategies.iter().filter(|s| !s.recovery.is_quiet()) {
        let _ = writeln!(out, "{}", recovery_line(&s.name, &s.recovery));
    }
    if let Some(a) = &r.architecture {
        out.push_str(&crate::arch::figures::to_text(a));
    }
    if let Outcome::Failed(c) = &r.determinism {
        let _ = writeln!(out, "determinism FAILED: {c}");
    }
    let _ = writeln!(out, "{}", verdict_line(r));
    out
}

fn verdict_line(r: &SeedReport) -> String {
    match r.failures.first() {
        None => "ok: every expected invariant and threshold held".to_string(),
        Some(first) => format!("FAILED ({} problems); first: {first}", r.failures.len()),
    }
}

/// `replay`'s story: the fault decisions, each strategy's summary and
/// verdicts, and the first broken check with its counterexample.
#[must_use]
pub fn replay_text(r: &SeedReport, path: &str) -> String {
    let mut out = format!(
        "replaying {path} with seed {}\n\nfault decisions ({}):\n",
        r.seed,
        r.faults.len()
    );
    if r.faults.is_empty() {
        out.push_str("  (none)\n");
    }
    for f in &r.faults {
        let _ = writeln!(out, "  at {:>8}  {}", f.at, f.what);
    }
    out.push('\n');
    out.push_str(&report_table(r));
    for s in &r.strategies {
        let _ = writeln!(
            out,
            "\nstrategy {} ({} {}):",
            s.name, s.trigger, s.accumulation
        );
        for (v, checked) in &s.verdicts {
            let status = match &v.outcome {
                Outcome::Held => "held".to_string(),
                Outcome::NotApplicable(why) => format!("not applicable ({why})"),
                Outcome::Failed(_) => "FAILED".to_string(),
            };
            let note = if *checked {
                ""
            } else {
                "  [not expected by the scenario]"
            };
            let _ = writeln!(out, "  {:<40} {status}{note}", name(v.invariant));
        }
        for t in &s.thresholds {
            let _ = writeln!(
                out,
                "  {:<40} {} ({})",
                t.name,
                if t.ok { "held" } else { "FAILED" },
                t.detail()
            );
        }
    }
    if let Some(first) = r.failures.first() {
        // The same one line `sweep` prints for the seed, then the fields.
        let _ = writeln!(out, "\nfirst failure: {first}");
        if let Some(c) = &first.counterexample {
            out.push_str(&counterexample_text(c));
        }
    }
    out
}

fn counterexample_text(c: &Counterexample) -> String {
    let mut out = format!("  what:     {}\n", c.what);
    let mut field = |label: &str, value: Option<String>| {
        if let Some(v) = value {
            let _ = writeln!(out, "  {label:<9} {v}");
        }
    };
    field("key:", c.key.clone());
    field("window:", c.window.map(|w| w.to_string()));
    field("expected:", c.expected.clone());
    field("actual:", c.actual.clone());
    field(
        "events:",
        (!c.events.is_empty()).then(|| format!("{:?}", c.events)),
    );
    out
}
