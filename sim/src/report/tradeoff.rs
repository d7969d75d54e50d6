//! The trade-off chart, two plots sharing one latency axis:
//! - left, how often a strategy is right against how long you wait: a
//!   hollow dot for its first pane, a filled one for the moment the
//!   consumer can know the value is final;
//! - right, what it costs downstream (outputs per window: panes and
//!   retractions) against the same wait.
//!
//! Only measured points are drawn: no line joins them (nothing was measured
//! in between). Both axes are scaled to the data, and points are numbered,
//! with the names in a key underneath, so no label or leader crosses another.

use super::scale::{human_ms, Axis};
use super::svg::{num, Anchor, Svg};

/// One strategy's point (medians over seeds).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The strategy's name.
    pub name: String,
    /// First-pane latency (ms) and share of windows whose first pane was right.
    pub first: Option<(f64, f64)>,
    /// Latency (ms) until the value is known final, and final accuracy.
    pub last: Option<(f64, f64)>,
    /// Outputs (panes and retractions) per window.
    pub outputs_per_window: f64,
}

const W: f64 = 880.0;
const PLOT_H: f64 = 300.0;
const TOP: f64 = 64.0;
const LEFT: f64 = 70.0;
const GAP: f64 = 80.0;
const RIGHT: f64 = 20.0;
const PLOT_W: f64 = (W - LEFT - GAP - RIGHT) / 2.0;
const KEY_ROW: f64 = 20.0;
const SMALL: f64 = 12.0;
// Colour-blind-safe and at least 4.5:1 on white (WCAG AA), for text too.
const COLORS: [&str; 6] = [
    "#005a8c", "#a83c00", "#006b4f", "#9b2f74", "#8a5a00", "#4b4b9b",
];

/// Draws the chart; `title` and `caption` head it.
#[must_use]
pub fn draw(title: &str, caption: &str, points: &[Point]) -> String {
    let bottom = TOP + PLOT_H;
    let h = bottom + 56.0 + KEY_ROW * key_rows(points) as f64 + 10.0;
    let mut svg = Svg::new(W, h);
    svg.text((14.0, 24.0), 17.0, Anchor::Start, "font-weight:bold", title);
    svg.text((14.0, 44.0), SMALL, Anchor::Start, "fill:#444444", caption);
    let xs: Vec<f64> = points
        .iter()
        .flat_map(|p| p.first.iter().chain(p.last.iter()).map(|(x, _)| *x))
        .collect();
    let (x_lo, x_hi) = padded(&xs, 0.08, 1000.0);
    let accs: Vec<f64> = points
        .iter()
        .flat_map(|p| p.first.iter().chain(p.last.iter()).map(|(_, y)| *y * 100.0))
        .collect();
    let (a_lo, a_hi) = padded(&accs, 0.1, 10.0);
    // Room above 100% so a perfect point is not cut by the frame; ticks
    // stop at 100%.
    let (a_lo, a_hi) = (a_lo.max(0.0), a_hi.min(104.0).max(a_lo.max(0.0) + 1.0));
    let costs: Vec<f64> = points.iter().map(|p| p.outputs_per_window).collect();
    let c_hi = costs.iter().copied().fold(0.0, f64::max) * 1.15 + 0.1;
    let left_plot = (LEFT, LEFT + PLOT_W);
    let right_plot = (LEFT + PLOT_W + GAP, W - RIGHT);
    let x1 = Axis::linear(x_lo, x_hi, left_plot.0, left_plot.1);
    let x2 = Axis::linear(x_lo, x_hi, right_plot.0, right_plot.1);
    let y1 = Axis::linear(a_lo, a_hi, bottom, TOP);
    let y2 = Axis::linear(0.0, c_hi, bottom, TOP);
    frame(
        &mut svg,
        &x1,
        left_plot,
        &y1,
        "windows equal to the truth",
        |v| format!("{}%", num(v).trim_end_matches(".0")),
    );
    frame(
        &mut svg,
        &x2,
        right_plot,
        &y2,
        "outputs per window (cost)",
        |v| format!("{v:.1}"),
    );
    let mut placed: Vec<(f64, f64)> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let label = (i + 1).to_string();
        if let Some((lat, acc)) = p.first {
            let at = (x1.map(lat), y1.map(acc * 100.0));
            svg.circle(
                at,
                5.5,
                &format!("fill:#ffffff;stroke:{color};stroke-width:2"),
            );
            number(&mut svg, &mut placed, at, &label, color);
        }
        if let Some((lat, acc)) = p.last {
            let at = (x1.map(lat), y1.map(acc * 100.0));
            svg.circle(at, 6.0, &format!("fill:{color}"));
            number(&mut svg, &mut placed, at, &label, color);
            let at = (x2.map(lat), y2.map(p.outputs_per_window));
            svg.circle(at, 6.0, &format!("fill:{color}"));
            number(&mut svg, &mut placed, at, &label, color);
        }
    }
    key(&mut svg, points, bottom + 56.0);
    svg.finish(title)
}

/// The data's range widened by `share` of itself (at least `min_span`).
fn padded(xs: &[f64], share: f64, min_span: f64) -> (f64, f64) {
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        return (0.0, min_span);
    }
    let span = (hi - lo).max(min_span);
    let mid = (lo + hi) / 2.0;
    let half = span * (0.5 + share);
    (mid - half, mid + half)
}

/// A point's number beside it: above right, then the other corners, then
/// further out, whichever first clears the numbers already placed.
fn number(
    svg: &mut Svg,
    placed: &mut Vec<(f64, f64)>,
    (x, y): (f64, f64),
    text: &str,
    color: &str,
) {
    let free = |at: (f64, f64)| {
        !placed
            .iter()
            .any(|p| (p.0 - at.0).abs() < 14.0 && (p.1 - at.1).abs() < 13.0)
    };
    let mut candidates = Vec::new();
    for ring in 0..6 {
        let d = 13.0 * f64::from(ring);
        candidates.extend([
            (x + 9.0 + d, y - 7.0),
            (x + 9.0 + d, y + 17.0),
            (x - 18.0 - d, y - 7.0),
            (x - 18.0 - d, y + 17.0),
        ]);
    }
    let at = candidates
        .into_iter()
        .find(|c| free(*c))
        .unwrap_or((x + 9.0, y - 7.0));
    placed.push(at);
    svg.text(
        at,
        SMALL,
        Anchor::Start,
        &format!(
            "fill:{color};font-weight:bold;paint-order:stroke;stroke:#ffffff;stroke-width:3px"
        ),
        text,
    );
}

fn frame(
    svg: &mut Svg,
    x: &Axis,
    (l, r): (f64, f64),
    y: &Axis,
    y_title: &str,
    y_fmt: impl Fn(f64) -> String,
) {
    let is_pct = y_title.contains("truth");
    let (t, b) = (TOP, TOP + PLOT_H);
    svg.rect(
        l,
        t,
        r - l,
        b - t,
        "fill:#fafafa;stroke:#222;stroke-width:1",
    );
    let ticks = nice_ticks(y, 5);
    for v in ticks.into_iter().filter(|v| !is_pct || *v <= 100.0) {
        let py = y.map(v);
        svg.line((l, py), (r, py), "stroke:#dddddd");
        svg.text((l - 6.0, py + 4.0), SMALL, Anchor::End, "", &y_fmt(v));
    }
    for v in x.ticks(90.0) {
        let px = x.map(v);
        svg.line((px, b), (px, b + 4.0), "stroke:#222");
        svg.text((px, b + 17.0), SMALL, Anchor::Middle, "", &x.unit.format(v));
    }
    if x.contains(0.0) {
        let px = x.map(0.0);
        svg.line((px, t), (px, b), "stroke:#767676;stroke-dasharray:2,3");
        // Above the frame, where no point or number can sit.
        svg.text(
            (px, t - 4.0),
            SMALL,
            Anchor::Middle,
            "fill:#555555",
            "window end",
        );
    }
    svg.text(
        ((l + r) / 2.0, b + 36.0),
        SMALL,
        Anchor::Middle,
        "",
        &format!("wait after the window's end ({})", x.unit.symbol()),
    );
    svg.text_vertical((l - 48.0, (t + b) / 2.0), SMALL, y_title);
}

/// About `n` round values inside the axis's domain.
fn nice_ticks(axis: &Axis, n: usize) -> Vec<f64> {
    let (lo, hi) = (axis.domain().0, axis.domain().1);
    let raw = (hi - lo) / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(raw);
    let mut v = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while v <= hi + step * 1e-9 {
        out.push(v);
        v += step;
    }
    out
}

fn key(svg: &mut Svg, points: &[Point], y: f64) {
    let mut row = y;
    for (i, p) in points.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        svg.circle((LEFT + 6.0, row - 4.0), 6.0, &format!("fill:{color}"));
        for (j, line) in key_lines(i, p).iter().enumerate() {
            let x = if j == 0 { LEFT + 18.0 } else { LEFT + 32.0 };
            svg.text(
                (x, row),
                SMALL,
                Anchor::Start,
                &format!("fill:{color}"),
                line,
            );
            row += KEY_ROW;
        }
    }
}

/// A strategy's line in the key, or two when one would not fit the width.
fn key_lines(i: usize, p: &Point) -> Vec<String> {
    let (Some(f), Some(l)) = (p.first, p.last) else {
        return vec![format!(
            "{} {} — no pane for a window with an end",
            i + 1,
            p.name
        )];
    };
    let lines = [
        format!(
            "{} {} — first pane {}, right in {}%",
            i + 1,
            p.name,
            when(f.0),
            num(f.1 * 100.0)
        ),
        format!(
            "known final {}, right in {}%; {} outputs per window",
            when(l.0),
            num(l.1 * 100.0),
            num(p.outputs_per_window)
        ),
    ];
    let joined = lines.join("; ");
    // About 6.7 px per character at 12 px.
    if joined.chars().count() as f64 * 6.7 < W - LEFT - 30.0 {
        vec![joined]
    } else {
        lines.to_vec()
    }
}

/// Rows the key takes.
fn key_rows(points: &[Point]) -> usize {
    points
        .iter()
        .enumerate()
        .map(|(i, p)| key_lines(i, p).len())
        .sum()
}

/// "5s after the end", "12.5s before the end".
fn when(ms: f64) -> String {
    if ms < 0.0 {
        format!("{} before the end", human_ms(-ms))
    } else {
        format!("{} after the end", human_ms(ms))
    }
}
