//! The architecture figures as JSON (`run --format json`, snapshots) and as
//! text (`run`'s table).

use super::ArchReport;
use serde_json::{json, Value};
use std::fmt::Write as _;

fn secs(ms: i64) -> f64 {
    (ms as f64 / 10.0).round() / 100.0
}

/// The stable JSON of one seed's architecture figures (times in seconds).
#[must_use]
pub fn to_json(a: &ArchReport) -> Value {
    let kappa = a.kappa.as_ref().map(|k| {
        json!({
            "v1": k.v1,
            "v2": k.v2,
            "deploy_at_s": secs(k.deploy_at),
            "switch_at_s": k.switch_at.map(secs),
            "catch_up_s": k.catch_up_ms().map(secs),
            "stale_s": secs(k.stale_ms),
            "wrong_after_deploy_s": secs(k.wrong_after_deploy_ms),
            "wrong_s": secs(k.wrong_ms),
            "records_v1": k.records_v1,
            "records_v2": k.records_v2,
            "records_total": k.records_v1 + k.records_v2,
            "replayed_entries": k.replayed,
            "state_peak_windows_v1": k.state_peak_v1,
            "state_peak_windows_v2": k.state_peak_v2,
            "state_peak_windows_during_replay": k.state_peak_during_replay,
            "retention_lost_records": k.retention_lost,
            "windows_hit_by_retention": k.windows_hit_by_retention,
            "wrong_windows_at_end": k.wrong_at_end,
            "windows": k.windows,
        })
    });
    let lambda = a.lambda.as_ref().map(|l| {
        json!({
            "speed": l.speed,
            "batches": l.batches.len(),
            "batch_records": l.batches.iter().map(|b| b.records).collect::<Vec<_>>(),
            "batch_late_corrected": l.batches.iter().map(|b| b.late_corrected).collect::<Vec<_>>(),
            "batch_records_total": l.batch_records(),
            "records_speed": l.records_speed,
            "records_total": l.records_speed + l.batch_records(),
            "state_peak_windows_speed": l.state_peak_speed,
            "batch_view_windows_max": l.batch_view_max,
            "retention_lost_speed": l.retention_lost_speed,
            "wrong_s": secs(l.wrong_ms),
            "wrong_windows_at_end": l.wrong_at_end,
            "windows": l.windows,
            "two_codebases": l.divergences,
            "disagreements": l.disagreements,
            "first_disagreement": l.first_disagreement.as_ref().map(|(k, w, b, s)| json!({
                "key": k.0,
                "window": w.to_string(),
                "batch": b.as_ref().map(ToString::to_string),
                "speed": s.as_ref().map(ToString::to_string),
            })),
        })
    });
    let trap: Vec<Value> = a
        .trap
        .iter()
        .map(|t| {
            json!({
                "strategy": t.strategy,
                "panes_live": t.panes.0,
                "panes_replay": t.panes.1,
                "dead_letters_live": t.dead_letters.0,
                "dead_letters_replay": t.dead_letters.1,
                "finals_differ": t.finals_differ,
                "pane_sequences_differ": t.panes_differ,
                "windows": t.windows,
            })
        })
        .collect();
    let verdicts: Vec<Value> = a
        .verdicts
        .iter()
        .map(|(inv, arch, c)| {
            json!({
                "invariant": inv.name(),
                "architecture": arch,
                "held": c.is_none(),
            })
        })
        .collect();
    json!({
        "kappa": kappa,
        "lambda": lambda,
        "replay_trap": trap,
        "invariants": verdicts,
    })
}

/// The figures as lines for `tidemark run`.
#[must_use]
pub fn to_text(a: &ArchReport) -> String {
    let mut out = String::new();
    if let Some(k) = &a.kappa {
        let _ = writeln!(
            out,
            "kappa: {} → {} deployed at {}s; {}; v1 served {}s after the deployment; served view wrong {}s after it, {}s in all ({} of {} windows wrong at the end)",
            k.v1,
            k.v2,
            secs(k.deploy_at),
            k.catch_up_ms().map_or_else(
                || "v2 never caught up".to_string(),
                |c| format!("caught up in {}s", secs(c))
            ),
            secs(k.stale_ms),
            secs(k.wrong_after_deploy_ms),
            secs(k.wrong_ms),
            k.wrong_at_end,
            k.windows
        );
        let _ = writeln!(
            out,
            "       records {} (v1 {} + v2 {}, {} log entries replayed); peak windows v1 {}, v2 {}, both during the replay {}; lost to retention {} records ({} windows)",
            k.records_v1 + k.records_v2,
            k.records_v1,
            k.records_v2,
            k.replayed,
            k.state_peak_v1,
            k.state_peak_v2,
            k.state_peak_during_replay,
            k.retention_lost,
            k.windows_hit_by_retention
        );
    }
    for t in &a.trap {
        let _ = writeln!(
            out,
            "replay trap: {}: panes {} live / {} replayed; dead letters {} / {}; {} of {} final values differ, {} pane sequences differ",
            t.strategy,
            t.panes.0,
            t.panes.1,
            t.dead_letters.0,
            t.dead_letters.1,
            t.finals_differ,
            t.windows,
            t.panes_differ
        );
    }
    if let Some(l) = &a.lambda {
        let _ = writeln!(
            out,
            "lambda: speed {}, {} batches reading {} records ({} per batch at most); records {} (speed {} + batch {}); served view wrong {}s ({} of {} windows wrong at the end)",
            l.speed,
            l.batches.len(),
            l.batch_records(),
            l.batches.iter().map(|b| b.records).max().unwrap_or(0),
            l.records_speed + l.batch_records(),
            l.records_speed,
            l.batch_records(),
            secs(l.wrong_ms),
            l.wrong_at_end,
            l.windows
        );
        let _ = writeln!(
            out,
            "        late records corrected by the last batch {}; peak windows speed {}, batch view {}; two codebases [{}]: {} windows disagree on complete data",
            l.batches.last().map_or(0, |b| b.late_corrected),
            l.state_peak_speed,
            l.batch_view_max,
            l.divergences.join(", "),
            l.disagreements
        );
    }
    out
}
