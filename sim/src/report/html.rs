//! The interactive page of a scenario (`reports/<scenario>.html`): one
//! self-contained file (inline CSS, script and data; nothing fetched at
//! view time) that replays the drawn seed as the Streaming Systems
//! animations do. A processing-time scrubber moves every strategy's panel
//! at once (elements arriving, the watermark rising, panes firing); a
//! window can be selected to list its panes, late elements (how late),
//! dead letters (why) and retractions, and to plot what each strategy's
//! consumer held for it over processing time against the truth.
//!
//! Opened as `<scenario>.html#selftest`, the page exercises itself (moves
//! the scrubber; the window with the most outputs is selected) and writes
//! what it saw into the DOM,
//! which the browser test reads back with `chromium --dump-dom`.

use super::diagram::caption;
use super::svg::escape;
use super::ScenarioReport;
use crate::metrics::magnitude;
use crate::scene::{Scene, SceneStrategy};
use serde_json::{json, Value};
use tidemark_engine::{AggValue, EventTime, Timing, Window};

const TEMPLATE: &str = include_str!("page.html");

/// The page for `r`.
#[must_use]
pub fn page(r: &ScenarioReport) -> String {
    let data = r.scene.as_ref().map_or(Value::Null, |s| data(&r.name, s));
    // Inside <script>, "</" would end the element early.
    let text = data.to_string().replace("</", "<\\/");
    TEMPLATE
        .replace("__TITLE__", &escape(&r.name))
        .replace("__DESCRIPTION__", &escape(r.description.trim()))
        .replace("__DATA__", &text)
}

fn window(w: Window) -> Value {
    json!([w.start.0, w.end.0])
}

fn value(v: Option<&AggValue>) -> Value {
    match v {
        None => Value::Null,
        Some(v) => json!({"text": v.to_string(), "num": magnitude(Some(v))}),
    }
}

fn timing(t: Timing) -> &'static str {
    match t {
        Timing::Early => "early",
        Timing::OnTime => "on time",
        Timing::Late => "late",
    }
}

fn steps(s: &[(i64, EventTime)]) -> Value {
    // −∞ ("nothing known yet") and +∞ do not survive JSON as numbers.
    Value::Array(
        s.iter()
            .filter(|(_, wm)| *wm != EventTime::MIN)
            .map(|(at, wm)| json!([at, wm.0.min(i64::MAX / 4)]))
            .collect(),
    )
}

fn strategy(s: &SceneStrategy) -> Value {
    json!({
        "name": s.name,
        "subtitle": s.subtitle,
        "watermark": steps(&s.watermark),
        "panes": s.panes.iter().zip(&s.held_after).map(|(p, held)| json!({
            "window": window(p.window),
            "value": value(Some(&p.value)),
            "timing": timing(p.info.timing),
            "retraction": p.retraction,
            "fired_at": p.fired_at.0,
            "is_last": p.info.is_last,
            "held": value(held.as_ref()),
        })).collect::<Vec<_>>(),
        "dead": s.dead_letters.iter().map(|d| json!({
            "id": d.record.id,
            "time": d.record.time.0,
            "at": d.at.0,
            "reason": d.reason.name(),
            "watermark": d.watermark.0,
        })).collect::<Vec<_>>(),
        "late_by": s.late_by,
        "consumer": s.consumer.iter().map(|(w, changes)| json!({
            "window": window(*w),
            "changes": changes.iter().map(|c| json!({
                "at": c.at,
                "value": value(c.value.as_ref()),
                "retraction": c.retraction,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn data(name: &str, s: &Scene) -> Value {
    json!({
        "scenario": name,
        "caption": caption(s),
        "seed": s.seed,
        "key": s.view.key.0,
        "key_name": s.key_name,
        "x_range": [s.view.x_range.0, s.view.x_range.1],
        "windows": s.view.windows.iter().map(|w| {
            let truth = s.truth.iter().find(|(tw, _)| tw == w).map(|(_, v)| v);
            json!({"window": window(*w), "truth": value(truth)})
        }).collect::<Vec<_>>(),
        "arrivals": s.arrivals.iter().map(|a| json!({
            "id": a.id, "time": a.time, "at": a.at, "dup": a.duplicate,
        })).collect::<Vec<_>>(),
        "perfect": steps(&s.perfect),
        "strategies": s.strategies.iter().map(strategy).collect::<Vec<_>>(),
    })
}
