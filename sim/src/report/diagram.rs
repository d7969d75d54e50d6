//! The Streaming Systems diagram: event time across, processing time up,
//! one panel per strategy on the same data.
//!
//! Each element is a dot at (when it happened, when the engine saw it); a
//! dead letter is a red cross over its dot. The staircase is the watermark:
//! at processing time y the engine believed it had seen everything before
//! event time x. Each window is a column; each pane is a bar across its
//! column at the processing time it fired, labelled with its value and
//! timing. The panels share both axes, so strategies compare at a glance.

use super::scale::{human_ms, Axis};
use super::svg::{Anchor, Svg};
use super::ScenarioReport;
use crate::scene::{Scene, SceneStrategy};
use std::collections::BTreeMap;
use tidemark_engine::{AggValue, EventTime, Pane, Timing, Window};

/// Two panels fit side by side at page width; more stack, one per row, so
/// no label shrinks below legible size.
const SIDE_BY_SIDE_MAX: usize = 2;
/// Total width: a Markdown page shows images at about 880 px, so text
/// drawn at 12 px never shows below 11 px.
const WIDTH: f64 = 880.0;
const PANEL_H: f64 = 500.0;
const MARGIN_LEFT: f64 = 66.0;
const MARGIN_RIGHT: f64 = 14.0;
const MARGIN_TOP: f64 = 84.0;
const MARGIN_BOTTOM: f64 = 52.0;
const HEADER_H: f64 = 58.0;
const LEGEND_H: f64 = 96.0;
/// Smallest text drawn, px.
const SMALL: f64 = 12.0;
/// Vertical room a pane label needs, px.
const LABEL_GAP_PX: f64 = 13.0;
/// How far a retried copy is drawn right of where it belongs, px.
const RETRY_OFFSET_PX: f64 = 5.0;

// Every colour used for text has at least 4.5:1 contrast on white and on
// the window columns' grey (WCAG AA); the same colours draw the marks.
const COLOR_EARLY: &str = "#8a5a00";
const COLOR_ON_TIME: &str = "#006b4f";
const COLOR_LATE_PANE: &str = "#9b2f74";
const COLOR_LATE_ELEMENT: &str = "#6a3d9a";
const COLOR_WATERMARK: &str = "#005a8c";
const COLOR_DEAD: &str = "#a83c00";
const COLOR_WRONG: &str = "#b00020";
const COLOR_MUTED: &str = "#555555";

/// The diagram of a report's scene, or a note that there is none.
#[must_use]
pub fn draw_report(r: &ScenarioReport) -> String {
    let title = format!("{}: event time against processing time", r.name);
    match &r.scene {
        Some(scene) => draw(&title, &caption(scene), scene),
        None => empty(&title, "The drawn seed produced no events."),
    }
}

/// What the diagram shows, one sentence.
#[must_use]
pub fn caption(scene: &Scene) -> String {
    let why = if scene.chosen_for_dead_letters {
        "the one with the most dead letters"
    } else {
        "the busiest"
    };
    // The global window starts at −∞: name it rather than print i64::MIN.
    let windows = match scene.view.windows.first() {
        Some(w) if *w == tidemark_engine::Window::GLOBAL => "the global window".to_string(),
        first => format!(
            "{} window(s) from {}",
            scene.view.windows.len(),
            first.map_or_else(String::new, |w| format!(
                "event time {}",
                human_ms(w.start.0 as f64)
            ))
        ),
    };
    format!(
        "Seed {} (the median seed by dead letters), key `{}` (of {}; {why}), {windows}.",
        scene.seed, scene.key_name, scene.keys,
    )
}

fn empty(title: &str, caption: &str) -> String {
    let mut svg = Svg::new(600.0, 80.0);
    svg.text((14.0, 26.0), 16.0, Anchor::Start, "font-weight:bold", title);
    svg.text((14.0, 50.0), SMALL, Anchor::Start, "", caption);
    svg.finish(title)
}

fn timing_color(t: Timing) -> &'static str {
    match t {
        Timing::Early => COLOR_EARLY,
        Timing::OnTime => COLOR_ON_TIME,
        Timing::Late => COLOR_LATE_PANE,
    }
}

fn timing_label(t: Timing) -> &'static str {
    match t {
        Timing::Early => "early",
        Timing::OnTime => "on time",
        Timing::Late => "late",
    }
}

/// Draws the diagram as an SVG document.
#[must_use]
pub fn draw(title: &str, caption: &str, scene: &Scene) -> String {
    let n = scene.strategies.len().max(1);
    let cols = if n <= SIDE_BY_SIDE_MAX { n } else { 1 };
    let rows = n.div_ceil(cols);
    let panel_w = (WIDTH - 20.0) / cols as f64;
    let height = HEADER_H + PANEL_H * rows as f64 + LEGEND_H;
    let mut svg = Svg::new(WIDTH, height);
    svg.text((14.0, 26.0), 18.0, Anchor::Start, "font-weight:bold", title);
    svg.text(
        (14.0, 46.0),
        SMALL,
        Anchor::Start,
        &format!("fill:{COLOR_MUTED}"),
        caption,
    );
    let y_axis = y_axis(scene);
    for (i, panel) in scene.strategies.iter().enumerate() {
        let ox = 10.0 + panel_w * (i % cols) as f64;
        let oy = HEADER_H + PANEL_H * (i / cols) as f64;
        draw_panel(&mut svg, scene, panel, (ox, oy, panel_w), &y_axis);
    }
    legend(&mut svg, HEADER_H + PANEL_H * rows as f64 + 4.0);
    svg.finish(title)
}

/// The processing-time axis shared by every panel, as pixel offsets from a
/// panel's top; long empty stretches are squeezed.
fn y_axis(scene: &Scene) -> Axis {
    let mut pts: Vec<f64> = scene.arrivals.iter().map(|a| a.at as f64).collect();
    for p in &scene.strategies {
        pts.extend(p.panes.iter().map(|p| p.fired_at.0 as f64));
    }
    let lo = pts.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = pts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.03).max(1.0);
    let bottom = PANEL_H - MARGIN_BOTTOM;
    Axis::with_gaps(
        &pts,
        (lo - pad).max(0.0).min(lo),
        hi + pad,
        bottom,
        MARGIN_TOP,
    )
}

/// What a panel marks, counted for its header line.
#[derive(Debug, Default)]
struct Marks {
    late: usize,
    late_max_ms: i64,
    retried: usize,
    dead: BTreeMap<&'static str, usize>,
    wrong: usize,
    retractions: usize,
}

impl Marks {
    fn parts(&self) -> Vec<String> {
        let mut parts = Vec::new();
        if self.late > 0 {
            parts.push(format!(
                "{} late element(s), up to {} behind the watermark",
                self.late,
                human_ms(self.late_max_ms as f64)
            ));
        }
        if self.retried > 0 {
            parts.push(format!("{} retried copy(ies)", self.retried));
        }
        for (reason, n) in &self.dead {
            parts.push(format!("{n} dead letter(s): {reason}"));
        }
        if self.wrong > 0 {
            parts.push(format!("{} pane(s) ≠ truth", self.wrong));
        }
        if self.retractions > 0 {
            parts.push(format!("{} retraction(s)", self.retractions));
        }
        if parts.is_empty() {
            parts.push("nothing late, retried, refused or wrong".to_string());
        }
        parts
    }
}

fn draw_panel(
    svg: &mut Svg,
    scene: &Scene,
    panel: &SceneStrategy,
    (ox, oy, panel_w): (f64, f64, f64),
    y_rel: &Axis,
) {
    let (x0, x1) = scene.view.x_range;
    let x = Axis::linear(
        x0 as f64,
        x1 as f64,
        ox + MARGIN_LEFT,
        ox + panel_w - MARGIN_RIGHT,
    );
    let y = |t: f64| oy + y_rel.map(t);
    let (top, bottom) = (oy + MARGIN_TOP, oy + PANEL_H - MARGIN_BOTTOM);
    let (left, right) = (ox + MARGIN_LEFT, ox + panel_w - MARGIN_RIGHT);
    let chars = ((panel_w - MARGIN_LEFT) / 6.4) as usize;
    svg.text(
        (left, oy + 16.0),
        15.0,
        Anchor::Start,
        "font-weight:bold",
        &panel.name,
    );
    svg.text(
        (left, oy + 33.0),
        SMALL,
        Anchor::Start,
        &format!("fill:{COLOR_MUTED}"),
        &clip(&panel.subtitle, chars),
    );
    columns(svg, scene, &x, (top, bottom));
    axes(svg, &x, y_rel, oy, (left, right, top, bottom));
    // Perfect watermark under the real one, so a perfect strategy's line
    // covers it exactly.
    let end = f64::MAX;
    svg.polyline(
        &staircase(&scene.perfect, &x, &y, end),
        "stroke:#767676;stroke-width:1.5;stroke-dasharray:5,4",
    );
    svg.polyline(
        &staircase(&panel.watermark, &x, &y, end),
        &format!("stroke:{COLOR_WATERMARK};stroke-width:2"),
    );
    let mut marks = Marks::default();
    for (a, late) in scene.arrivals.iter().zip(&panel.late_by) {
        let shift = if a.duplicate { RETRY_OFFSET_PX } else { 0.0 };
        let p = (x.map(a.time as f64) + shift, y(a.at as f64));
        if a.duplicate {
            marks.retried += 1;
            svg.circle(p, 3.2, "fill:#ffffff;stroke:#222222;stroke-width:1.3");
        } else {
            svg.circle(p, 2.6, "fill:#333333");
        }
        if let Some(by) = late {
            marks.late += 1;
            marks.late_max_ms = marks.late_max_ms.max(*by);
            svg.circle(
                p,
                5.5,
                &format!("fill:none;stroke:{COLOR_LATE_ELEMENT};stroke-width:1.8"),
            );
        }
    }
    for dl in &panel.dead_letters {
        let p = (x.map(dl.record.time.0 as f64), y(dl.at.0 as f64));
        *marks.dead.entry(dl.reason.name()).or_default() += 1;
        svg.cross(p, 5.0, &format!("stroke:{COLOR_DEAD};stroke-width:2.2"));
    }
    let hidden = panes(svg, scene, panel, &x, &y, top, &mut marks);
    stragglers(svg, scene, panel, &x, &y);
    let mut parts = marks.parts();
    if hidden > 0 {
        parts.push(format!("{hidden} label(s) hidden where bars overlap"));
    }
    for (i, line) in wrap(&parts, chars).iter().take(2).enumerate() {
        svg.text(
            (left, oy + 50.0 + 15.0 * i as f64),
            SMALL,
            Anchor::Start,
            &format!("fill:{COLOR_MUTED}"),
            &clip(line, chars),
        );
    }
}

/// Window columns, shaded alternately, each headed by its true value.
fn columns(svg: &mut Svg, scene: &Scene, x: &Axis, (top, bottom): (f64, f64)) {
    for (i, w) in scene.view.windows.iter().enumerate() {
        let (a, b) = (x.map(w.start.0 as f64), x.map(w.end.0 as f64));
        let fill = if i % 2 == 0 { "#f0f0f0" } else { "#f8f8f8" };
        svg.rect(
            a,
            top,
            b - a,
            bottom - top,
            &format!("fill:{fill};stroke:#cccccc;stroke-width:0.5"),
        );
        if let Some((_, v)) = scene.truth.iter().find(|(tw, _)| tw == w) {
            svg.text(
                // Above the plot, where no pane label can cover it.
                ((a + b) / 2.0, top - 6.0),
                SMALL,
                Anchor::Middle,
                "fill:#333333;font-weight:bold",
                &format!("truth {v}"),
            );
        }
    }
}

fn axes(
    svg: &mut Svg,
    x: &Axis,
    y_rel: &Axis,
    oy: f64,
    (left, right, top, bottom): (f64, f64, f64, f64),
) {
    svg.line(
        (left, bottom),
        (right, bottom),
        "stroke:#222;stroke-width:1",
    );
    svg.line((left, top), (left, bottom), "stroke:#222;stroke-width:1");
    for t in x.ticks(80.0) {
        let px = x.map(t);
        svg.line((px, bottom), (px, bottom + 4.0), "stroke:#222");
        svg.text(
            (px, bottom + 16.0),
            SMALL,
            Anchor::Middle,
            "",
            &x.unit.format(t),
        );
    }
    let x_title = format!("event time ({}) — when it happened", x.unit.symbol());
    svg.text(
        ((left + right) / 2.0, bottom + 36.0),
        SMALL,
        Anchor::Middle,
        "",
        &x_title,
    );
    for t in y_rel.ticks(40.0) {
        let py = oy + y_rel.map(t);
        svg.line((left - 4.0, py), (left, py), "stroke:#222");
        svg.text(
            (left - 6.0, py + 4.0),
            SMALL,
            Anchor::End,
            "",
            &y_rel.unit.format(t),
        );
    }
    for (a, b) in y_rel.breaks() {
        let (a, b) = (oy + a, oy + b);
        svg.rect(
            left - 8.0,
            b.min(a) + 4.0,
            right - left + 8.0,
            (a - b).abs() - 8.0,
            "fill:#ffffff",
        );
        for yy in [b.min(a) + 4.0, b.max(a) - 4.0] {
            svg.line(
                (left - 8.0, yy),
                (right, yy),
                "stroke:#999;stroke-dasharray:2,3",
            );
        }
        svg.text(
            ((left + right) / 2.0, (a + b) / 2.0 + 4.0),
            SMALL,
            Anchor::Middle,
            &format!("fill:{COLOR_MUTED}"),
            "axis break: nothing happens here",
        );
    }
    let y_title = format!(
        "processing time ({}) — when the engine saw it",
        y_rel.unit.symbol()
    );
    svg.text_vertical((left - 46.0, (top + bottom) / 2.0), SMALL, &y_title);
}

/// A watermark as a staircase: vertical while it holds, a step right when
/// it advances. Watermarks left of the view run up its left edge; +∞ and
/// beyond run up its right edge.
/// Processing times outside the axis are clamped to its ends, so the line
/// stays inside the panel.
fn staircase(
    steps: &[(i64, EventTime)],
    x: &Axis,
    y: &dyn Fn(f64) -> f64,
    until_end: f64,
) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    for (i, &(at, wm)) in steps.iter().enumerate() {
        // −∞ means "nothing known yet": there is no line to draw.
        if wm == EventTime::MIN {
            continue;
        }
        let px = x.map(wm.0 as f64);
        let until = steps.get(i + 1).map_or(until_end, |s| s.0 as f64);
        pts.push((px, y(at as f64)));
        pts.push((px, y(until)));
    }
    pts
}

/// Bars and labels for the panel's panes; returns how many labels were
/// left out because they would have overlapped another. Labels are placed
/// by priority — each window's last pane (the result that stays), then
/// wrong and retracted ones, then its on-time pane, then its first — so the
/// ones that matter survive crowding. A pane after which the consumer holds
/// something other than the truth, and that is not early (early panes are
/// guesses by design), is flagged "≠ truth".
fn panes(
    svg: &mut Svg,
    scene: &Scene,
    panel: &SceneStrategy,
    x: &Axis,
    y: &dyn Fn(f64) -> f64,
    top: f64,
    marks: &mut Marks,
) -> usize {
    let shown = &panel.panes;
    let truth_of = |w: Window| -> Option<(Window, &AggValue)> {
        scene
            .truth
            .iter()
            .find(|(tw, _)| tw.start <= w.start && w.end <= tw.end)
            .map(|(tw, v)| (*tw, v))
    };
    let mut labels: Vec<(u8, usize, bool)> = Vec::new();
    for (i, p) in shown.iter().enumerate() {
        let (a, b) = (x.map(p.window.start.0 as f64), x.map(p.window.end.0 as f64));
        let py = y(p.fired_at.0 as f64);
        if p.retraction {
            marks.retractions += 1;
            svg.line(
                (a + 2.0, py),
                (b - 2.0, py),
                &format!("stroke:{COLOR_MUTED};stroke-width:2;stroke-dasharray:4,3"),
            );
            labels.push((1, i, false));
            continue;
        }
        let color = timing_color(p.info.timing);
        svg.line(
            (a + 2.0, py),
            (b - 2.0, py),
            &format!("stroke:{color};stroke-width:3"),
        );
        // Wrong: the window's last output is this pane (it stays in the
        // sink) and the consumer ends holding something other than the
        // truth for the window it belongs to.
        let last_output = shown.iter().skip(i + 1).all(|q| q.window != p.window);
        let wrong = last_output
            && truth_of(p.window).is_some_and(|(tw, t)| final_held(panel, tw).as_ref() != Some(t));
        if wrong {
            marks.wrong += 1;
            svg.cross(
                (b - 2.0, py),
                4.0,
                &format!("stroke:{COLOR_WRONG};stroke-width:2"),
            );
        }
        let same = |q: &Pane| q.window == p.window && !q.retraction;
        let last = shown.iter().skip(i + 1).all(|q| !same(q));
        let first = shown.iter().take(i).all(|q| !same(q));
        let rank = match (last, wrong, p.info.timing, first) {
            (true, _, _, _) => 0,
            (_, true, _, _) => 1,
            (_, _, Timing::OnTime, _) => 2,
            (_, _, _, true) => 3,
            _ => 4,
        };
        labels.push((rank, i, wrong));
    }
    labels.sort();
    let mut placed: Vec<(Window, f64)> = Vec::new();
    let mut hidden = 0;
    for (_, i, wrong) in labels {
        let p = &shown[i];
        let b = x.map(p.window.end.0 as f64);
        let py = y(p.fired_at.0 as f64);
        // Above the bar, else below it, else (crowded) left out.
        let clear = |ly: f64| {
            placed
                .iter()
                .filter(|(w, _)| *w == p.window)
                .all(|(_, o)| (o - ly).abs() >= LABEL_GAP_PX)
        };
        let above = py - 4.0;
        let below = py + 14.0;
        let Some(label_y) = [above, below]
            .into_iter()
            .filter(|ly| *ly > top + 12.0)
            .find(|ly| clear(*ly))
        else {
            hidden += 1;
            continue;
        };
        let (color, text) = if p.retraction {
            (COLOR_MUTED, format!("retracts {}", p.value))
        } else if wrong {
            let part = truth_of(p.window).is_some_and(|(tw, _)| tw != p.window);
            let holds = truth_of(p.window)
                .and_then(|(tw, _)| final_held(panel, tw))
                .map_or_else(|| "nothing".to_string(), |v| v.to_string());
            let text = if part {
                format!(
                    "{} {}: stays in the sink",
                    p.value,
                    timing_label(p.info.timing)
                )
            } else if holds == p.value.to_string() {
                format!("{} {} ≠ truth", p.value, timing_label(p.info.timing))
            } else {
                format!(
                    "{} {} (sink holds {holds}) ≠ truth",
                    p.value,
                    timing_label(p.info.timing)
                )
            };
            (COLOR_WRONG, text)
        } else {
            (
                timing_color(p.info.timing),
                format!("{} {}", p.value, timing_label(p.info.timing)),
            )
        };
        // A white halo keeps the label legible over dots and lines.
        let style = format!(
            "fill:{color};font-weight:bold;paint-order:stroke;stroke:#ffffff;stroke-width:3px"
        );
        svg.text((b - 4.0, label_y), SMALL, Anchor::End, &style, &text);
        placed.push((p.window, label_y));
    }
    hidden
}

/// What the consumer ends holding for truth window `tw`.
fn final_held(panel: &SceneStrategy, tw: Window) -> Option<AggValue> {
    panel
        .consumer
        .iter()
        .find(|(w, _)| *w == tw)
        .and_then(|(_, changes)| changes.last())
        .and_then(|c| c.value.clone())
}

/// Rings and labels the element that caused each burst of retractions:
/// the key's last arrival at or before the retraction fired.
fn stragglers(
    svg: &mut Svg,
    scene: &Scene,
    panel: &SceneStrategy,
    x: &Axis,
    y: &dyn Fn(f64) -> f64,
) {
    let mut done: Vec<u64> = Vec::new();
    for p in panel.panes.iter().filter(|p| p.retraction) {
        let Some(a) = scene
            .arrivals
            .iter()
            .filter(|a| a.at <= p.fired_at.0)
            .max_by_key(|a| (a.at, a.id))
        else {
            continue;
        };
        if done.contains(&a.id) {
            continue;
        }
        done.push(a.id);
        // A retracted window that a later, wider pane covers was merged
        // away; otherwise the retraction made room for an updated pane.
        let merged = panel.panes.iter().any(|q| {
            !q.retraction
                && q.fired_at >= p.fired_at
                && q.window != p.window
                && q.window.start <= p.window.start
                && p.window.end <= q.window.end
        });
        let label = if merged {
            "straggler: merged"
        } else {
            "straggler: retracted"
        };
        let pt = (x.map(a.time as f64), y(a.at as f64));
        let width = label.chars().count() as f64 * 6.8;
        let (lx, anchor) = if pt.0 + 10.0 + width > x.map(scene.view.x_range.1 as f64) {
            (pt.0 - 10.0, Anchor::End)
        } else {
            (pt.0 + 10.0, Anchor::Start)
        };
        svg.circle(
            pt,
            8.0,
            &format!("fill:none;stroke:{COLOR_WRONG};stroke-width:1.5;stroke-dasharray:3,2"),
        );
        svg.text(
            (lx, pt.1 + 4.0),
            SMALL,
            anchor,
            &format!(
                "fill:{COLOR_WRONG};font-weight:bold;paint-order:stroke;stroke:#ffffff;stroke-width:3px"
            ),
            label,
        );
    }
}

fn legend(svg: &mut Svg, y: f64) {
    let rows = [y + 18.0, y + 42.0, y + 66.0];
    let mut x = 20.0;
    let mut row = 0;
    let mut item = |svg: &mut Svg, label: &str, draw: &dyn Fn(&mut Svg, f64, f64)| {
        let w = 34.0 + label.chars().count() as f64 * 6.6;
        if x + w > WIDTH - 10.0 {
            row += 1;
            x = 20.0;
        }
        let ry = rows[row.min(rows.len() - 1)];
        draw(svg, x, ry);
        svg.text((x + 26.0, ry + 4.0), SMALL, Anchor::Start, "", label);
        x += w;
    };
    item(svg, "element", &|s, x, r| {
        s.circle((x + 10.0, r), 2.6, "fill:#333333")
    });
    item(svg, "retried copy (drawn 5 px right)", &|s, x, r| {
        s.circle(
            (x + 10.0, r),
            3.2,
            "fill:#ffffff;stroke:#222222;stroke-width:1.3",
        )
    });
    item(svg, "late element", &|s, x, r| {
        s.circle((x + 10.0, r), 2.6, "fill:#333333");
        s.circle(
            (x + 10.0, r),
            5.5,
            &format!("fill:none;stroke:{COLOR_LATE_ELEMENT};stroke-width:1.8"),
        );
    });
    item(svg, "dead letter", &|s, x, r| {
        s.cross(
            (x + 10.0, r),
            5.0,
            &format!("stroke:{COLOR_DEAD};stroke-width:2.2"),
        )
    });
    item(svg, "watermark", &|s, x, r| {
        s.line(
            (x, r),
            (x + 20.0, r),
            &format!("stroke:{COLOR_WATERMARK};stroke-width:2"),
        )
    });
    item(svg, "perfect watermark", &|s, x, r| {
        s.line(
            (x, r),
            (x + 20.0, r),
            "stroke:#767676;stroke-width:1.5;stroke-dasharray:5,4",
        )
    });
    for (t, label) in [
        (Timing::Early, "early pane"),
        (Timing::OnTime, "on-time pane"),
        (Timing::Late, "late pane"),
    ] {
        item(svg, label, &|s, x, r| {
            s.line(
                (x, r),
                (x + 20.0, r),
                &format!("stroke:{};stroke-width:3", timing_color(t)),
            )
        });
    }
    item(svg, "retraction", &|s, x, r| {
        s.line(
            (x, r),
            (x + 20.0, r),
            &format!("stroke:{COLOR_MUTED};stroke-width:2;stroke-dasharray:4,3"),
        )
    });
    item(svg, "last pane, consumer ends ≠ truth", &|s, x, r| {
        s.cross(
            (x + 10.0, r),
            4.0,
            &format!("stroke:{COLOR_WRONG};stroke-width:2"),
        )
    });
}

/// `parts` joined with " · " into lines of at most `max` characters (a
/// part longer than that gets a line of its own).
fn wrap(parts: &[String], max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for p in parts {
        match lines.last_mut() {
            Some(l) if l.chars().count() + 3 + p.chars().count() <= max => {
                l.push_str(" · ");
                l.push_str(p);
            }
            _ => lines.push(p.clone()),
        }
    }
    lines
}

/// `s` cut to `max` characters with an ellipsis.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}
