//! The Streaming Systems diagram: event time across, processing time up,
//! one panel per strategy on the same data.
//!
//! Each element is a dot at (when it happened, when the engine saw it); a
//! dead letter is a red cross over its dot. The staircase is the watermark:
//! at processing time y the engine believed it had seen everything before
//! event time x. Each window is a column; each pane is a bar across its
//! column at the processing time it fired, labelled with its value and
//! timing. The panels share both axes, so strategies compare at a glance.

use super::scale::Axis;
use super::svg::{Anchor, Svg};
use super::view::{Arrival, View};
use crate::metrics::Values;
use crate::model::StrategyRun;
use tidemark_engine::{EventTime, Pane, Timing, Window};

/// One strategy's panel.
#[derive(Debug, Clone)]
pub struct Panel<'a> {
    /// The strategy's name.
    pub name: &'a str,
    /// Its trigger and accumulation, one line.
    pub subtitle: String,
    /// Its run over the drawn seed.
    pub run: &'a StrategyRun,
    /// Its watermark on the drawn key's worker, (processing time, watermark).
    pub watermark: Vec<(i64, EventTime)>,
}

/// Everything one diagram shows.
#[derive(Debug, Clone)]
pub struct Diagram<'a> {
    /// The heading.
    pub title: String,
    /// The line under it (seed, key, windows).
    pub caption: String,
    /// What is drawn.
    pub view: &'a View,
    /// The key's elements in view, as delivered.
    pub arrivals: Vec<Arrival>,
    /// The perfect watermark of the key's worker.
    pub perfect: Vec<(i64, EventTime)>,
    /// The truth, for each column's "truth" label.
    pub truth: &'a Values,
    /// One panel per strategy.
    pub panels: Vec<Panel<'a>>,
}

const PANEL_W: f64 = 460.0;
const PANEL_H: f64 = 470.0;
const MARGIN_LEFT: f64 = 66.0;
const MARGIN_RIGHT: f64 = 14.0;
const MARGIN_TOP: f64 = 50.0;
const MARGIN_BOTTOM: f64 = 52.0;
const HEADER_H: f64 = 58.0;
const LEGEND_H: f64 = 64.0;
const COLUMNS_MAX: usize = 3;
/// Vertical room a pane label needs, px.
const LABEL_GAP_PX: f64 = 11.0;

const COLOR_EARLY: &str = "#e69f00";
const COLOR_ON_TIME: &str = "#009e73";
const COLOR_LATE: &str = "#cc79a7";
const COLOR_WATERMARK: &str = "#0072b2";
const COLOR_DEAD: &str = "#d55e00";

fn timing_color(t: Timing) -> &'static str {
    match t {
        Timing::Early => COLOR_EARLY,
        Timing::OnTime => COLOR_ON_TIME,
        Timing::Late => COLOR_LATE,
    }
}

fn timing_label(t: Timing) -> &'static str {
    match t {
        Timing::Early => "early",
        Timing::OnTime => "on time",
        Timing::Late => "late",
    }
}

/// Panes of the drawn key whose window lies in view.
fn panes_in_view<'r>(run: &'r StrategyRun, view: &View) -> impl Iterator<Item = &'r Pane> + 'r {
    let (key, (x0, x1)) = (view.key, view.x_range);
    run.panes
        .iter()
        .filter(move |p| p.key == key && p.window.start.0 < x1 && p.window.end.0 > x0)
}

/// Draws the diagram as an SVG document.
#[must_use]
pub fn draw(d: &Diagram<'_>) -> String {
    let cols = d.panels.len().clamp(1, COLUMNS_MAX);
    let rows = d.panels.len().div_ceil(COLUMNS_MAX).max(1);
    let width = PANEL_W * cols as f64 + 20.0;
    let height = HEADER_H + PANEL_H * rows as f64 + LEGEND_H;
    let mut svg = Svg::new(width, height);
    svg.text(
        (14.0, 26.0),
        18.0,
        Anchor::Start,
        "font-weight:bold",
        &d.title,
    );
    svg.text((14.0, 46.0), 12.0, Anchor::Start, "fill:#444", &d.caption);
    let y_axis = y_axis(d);
    for (i, panel) in d.panels.iter().enumerate() {
        let ox = 10.0 + PANEL_W * (i % COLUMNS_MAX) as f64;
        let oy = HEADER_H + PANEL_H * (i / COLUMNS_MAX) as f64;
        draw_panel(&mut svg, d, panel, (ox, oy), &y_axis);
    }
    legend(&mut svg, HEADER_H + PANEL_H * rows as f64 + 8.0);
    svg.finish(&d.title)
}

/// The processing-time axis shared by every panel, as pixel offsets from a
/// panel's top; long empty stretches are squeezed.
fn y_axis(d: &Diagram<'_>) -> Axis {
    let mut pts: Vec<f64> = d.arrivals.iter().map(|a| a.at as f64).collect();
    for p in &d.panels {
        pts.extend(panes_in_view(p.run, d.view).map(|p| p.fired_at.0 as f64));
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

fn draw_panel(
    svg: &mut Svg,
    d: &Diagram<'_>,
    panel: &Panel<'_>,
    (ox, oy): (f64, f64),
    y_rel: &Axis,
) {
    let (x0, x1) = d.view.x_range;
    let x = Axis::linear(
        x0 as f64,
        x1 as f64,
        ox + MARGIN_LEFT,
        ox + PANEL_W - MARGIN_RIGHT,
    );
    let y = |t: f64| oy + y_rel.map(t);
    let (top, bottom) = (oy + MARGIN_TOP, oy + PANEL_H - MARGIN_BOTTOM);
    let (left, right) = (ox + MARGIN_LEFT, ox + PANEL_W - MARGIN_RIGHT);
    svg.text(
        (left, oy + 16.0),
        14.0,
        Anchor::Start,
        "font-weight:bold",
        panel.name,
    );
    svg.text(
        (left, oy + 32.0),
        10.0,
        Anchor::Start,
        "fill:#555",
        &clip(&panel.subtitle, 74),
    );
    columns(svg, d, &x, (top, bottom));
    axes(svg, &x, y_rel, (ox, oy), (left, right, top, bottom));
    // Perfect watermark under the real one, so a perfect strategy's line
    // covers it exactly.
    let end = f64::MAX;
    svg.polyline(
        &staircase(&d.perfect, &x, &y, end),
        "stroke:#777;stroke-width:1.5;stroke-dasharray:5,4",
    );
    svg.polyline(
        &staircase(&panel.watermark, &x, &y, end),
        &format!("stroke:{COLOR_WATERMARK};stroke-width:2"),
    );
    for a in &d.arrivals {
        let p = (x.map(a.time as f64), y(a.at as f64));
        let style = if a.duplicate {
            "fill:none;stroke:#333;stroke-width:1"
        } else {
            "fill:#333"
        };
        svg.circle(p, 2.4, style);
    }
    for dl in panel
        .run
        .dead_letters
        .iter()
        .filter(|dl| dl.record.key == d.view.key)
    {
        let t = dl.record.time.0;
        if t >= x0 && t < x1 {
            let p = (x.map(t as f64), y(dl.at.0 as f64));
            svg.cross(p, 4.5, &format!("stroke:{COLOR_DEAD};stroke-width:2"));
        }
    }
    let hidden = panes(svg, d, panel, &x, &y, top);
    if hidden > 0 {
        let note = format!("{hidden} pane label(s) hidden where bars overlap");
        svg.text(
            (right, oy + PANEL_H - 6.0),
            9.0,
            Anchor::End,
            "fill:#777",
            &note,
        );
    }
}

/// Window columns, shaded alternately, each headed by its true value.
fn columns(svg: &mut Svg, d: &Diagram<'_>, x: &Axis, (top, bottom): (f64, f64)) {
    for (i, w) in d.view.windows.iter().enumerate() {
        let (a, b) = (x.map(w.start.0 as f64), x.map(w.end.0 as f64));
        let fill = if i % 2 == 0 { "#f0f0f0" } else { "#f8f8f8" };
        svg.rect(
            a,
            top,
            b - a,
            bottom - top,
            &format!("fill:{fill};stroke:#ccc;stroke-width:0.5"),
        );
        if let Some(v) = d.truth.get(&(d.view.key, *w)) {
            svg.text(
                // Above the plot, where no pane label can cover it.
                ((a + b) / 2.0, top - 4.0),
                9.0,
                Anchor::Middle,
                "fill:#555",
                &format!("truth {v}"),
            );
        }
    }
}

fn axes(
    svg: &mut Svg,
    x: &Axis,
    y_rel: &Axis,
    (_, oy): (f64, f64),
    (left, right, top, bottom): (f64, f64, f64, f64),
) {
    svg.line(
        (left, bottom),
        (right, bottom),
        "stroke:#222;stroke-width:1",
    );
    svg.line((left, top), (left, bottom), "stroke:#222;stroke-width:1");
    for t in x.ticks(70.0) {
        let px = x.map(t);
        svg.line((px, bottom), (px, bottom + 4.0), "stroke:#222");
        svg.text(
            (px, bottom + 15.0),
            10.0,
            Anchor::Middle,
            "",
            &x.unit.format(t),
        );
    }
    let x_title = format!("event time ({}) — when it happened", x.unit.symbol());
    svg.text(
        ((left + right) / 2.0, bottom + 34.0),
        11.0,
        Anchor::Middle,
        "",
        &x_title,
    );
    for t in y_rel.ticks(40.0) {
        let py = oy + y_rel.map(t);
        svg.line((left - 4.0, py), (left, py), "stroke:#222");
        svg.text(
            (left - 6.0, py + 3.5),
            10.0,
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
            ((left + right) / 2.0, (a + b) / 2.0 + 3.5),
            9.0,
            Anchor::Middle,
            "fill:#777",
            "axis break: nothing happens here",
        );
    }
    let y_title = format!(
        "processing time ({}) — when the engine saw it",
        y_rel.unit.symbol()
    );
    svg.text_vertical((left - 44.0, (top + bottom) / 2.0), 11.0, &y_title);
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
/// by priority — each window's last pane (the result that stays), then its
/// on-time pane, then its first — so the ones that matter survive crowding.
fn panes(
    svg: &mut Svg,
    d: &Diagram<'_>,
    panel: &Panel<'_>,
    x: &Axis,
    y: &dyn Fn(f64) -> f64,
    top: f64,
) -> usize {
    let shown: Vec<&Pane> = panes_in_view(panel.run, d.view).collect();
    let mut labels: Vec<(u8, usize)> = Vec::new();
    for (i, p) in shown.iter().enumerate() {
        let (a, b) = (x.map(p.window.start.0 as f64), x.map(p.window.end.0 as f64));
        let py = y(p.fired_at.0 as f64);
        if p.retraction {
            svg.line(
                (a + 2.0, py),
                (b - 2.0, py),
                "stroke:#999;stroke-width:2;stroke-dasharray:3,2",
            );
            continue;
        }
        let color = timing_color(p.info.timing);
        svg.line(
            (a + 2.0, py),
            (b - 2.0, py),
            &format!("stroke:{color};stroke-width:2.5"),
        );
        let same = |q: &&Pane| q.window == p.window && !q.retraction;
        let last = shown.iter().skip(i + 1).all(|q| !same(q));
        let first = shown.iter().take(i).all(|q| !same(q));
        let rank = match (last, p.info.timing, first) {
            (true, _, _) => 0,
            (_, Timing::OnTime, _) => 1,
            (_, _, true) => 2,
            _ => 3,
        };
        labels.push((rank, i));
    }
    labels.sort();
    let mut placed: Vec<(Window, f64)> = Vec::new();
    let mut hidden = 0;
    for (_, i) in labels {
        let p = shown[i];
        let b = x.map(p.window.end.0 as f64);
        let py = y(p.fired_at.0 as f64);
        // Above the bar, or below it when the bar is at the top edge.
        let above = py - 3.0;
        let label_y = if above > top + 9.0 { above } else { py + 11.0 };
        let clear = placed
            .iter()
            .filter(|(w, _)| *w == p.window)
            .all(|(_, ly)| (ly - label_y).abs() >= LABEL_GAP_PX);
        if !clear {
            hidden += 1;
            continue;
        }
        let color = timing_color(p.info.timing);
        let text = format!("{} {}", p.value, timing_label(p.info.timing));
        // A white halo keeps the label legible over dots and lines.
        let style = format!(
            "fill:{color};font-weight:bold;paint-order:stroke;stroke:#ffffff;stroke-width:3px"
        );
        svg.text((b - 4.0, label_y), 9.0, Anchor::End, &style, &text);
        placed.push((p.window, label_y));
    }
    hidden
}

fn legend(svg: &mut Svg, y: f64) {
    let row = y + 18.0;
    let mut x = 20.0;
    let item = |svg: &mut Svg, x: &mut f64, label: &str, draw: &dyn Fn(&mut Svg, f64)| {
        draw(svg, *x);
        svg.text((*x + 26.0, row + 4.0), 11.0, Anchor::Start, "", label);
        *x += 30.0 + label.chars().count() as f64 * 5.6;
    };
    item(svg, &mut x, "element (event time, arrival)", &|s, x| {
        s.circle((x + 10.0, row), 2.6, "fill:#333")
    });
    item(svg, &mut x, "retried copy", &|s, x| {
        s.circle((x + 10.0, row), 2.6, "fill:none;stroke:#333")
    });
    item(svg, &mut x, "dead letter", &|s, x| {
        s.cross(
            (x + 10.0, row),
            4.5,
            &format!("stroke:{COLOR_DEAD};stroke-width:2"),
        )
    });
    item(svg, &mut x, "watermark", &|s, x| {
        s.line(
            (x, row),
            (x + 20.0, row),
            &format!("stroke:{COLOR_WATERMARK};stroke-width:2"),
        )
    });
    item(svg, &mut x, "perfect watermark", &|s, x| {
        s.line(
            (x, row),
            (x + 20.0, row),
            "stroke:#777;stroke-width:1.5;stroke-dasharray:5,4",
        )
    });
    let row2 = row + 22.0;
    let mut x = 20.0;
    for (t, label) in [
        (
            Timing::Early,
            "early pane (before the watermark passed the window)",
        ),
        (Timing::OnTime, "on-time pane"),
        (Timing::Late, "late pane (after)"),
    ] {
        svg.line(
            (x, row2),
            (x + 20.0, row2),
            &format!("stroke:{};stroke-width:3", timing_color(t)),
        );
        svg.text((x + 26.0, row2 + 4.0), 11.0, Anchor::Start, "", label);
        x += 30.0 + label.chars().count() as f64 * 5.6;
    }
    svg.line(
        (x, row2),
        (x + 20.0, row2),
        "stroke:#999;stroke-width:2;stroke-dasharray:3,2",
    );
    svg.text(
        (x + 26.0, row2 + 4.0),
        11.0,
        Anchor::Start,
        "",
        "retraction",
    );
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
