//! The trade-off chart: for each strategy, how long you wait for a result
//! against how often it is right. A hollow dot is the first pane (fast,
//! maybe wrong); the filled dot, joined to it, is the result that stays.

use super::scale::{human_ms, Axis};
use super::svg::{num, Anchor, Svg};

/// One strategy's point (medians over seeds).
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The strategy's name.
    pub name: String,
    /// First-pane latency (ms) and share of windows whose first pane was right.
    pub first: Option<(f64, f64)>,
    /// Latency (ms) of the result that stays, and final accuracy.
    pub last: Option<(f64, f64)>,
}

const W: f64 = 760.0;
const H: f64 = 460.0;
const LEFT: f64 = 74.0;
const RIGHT: f64 = 200.0;
const TOP: f64 = 58.0;
const BOTTOM: f64 = 64.0;
const COLORS: [&str; 6] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9",
];

/// Draws the chart; `title` and `caption` head it.
#[must_use]
pub fn draw(title: &str, caption: &str, points: &[Point]) -> String {
    let mut svg = Svg::new(W, H);
    svg.text((14.0, 24.0), 17.0, Anchor::Start, "font-weight:bold", title);
    svg.text((14.0, 42.0), 11.0, Anchor::Start, "fill:#444", caption);
    let xs: Vec<f64> = points
        .iter()
        .flat_map(|p| p.first.iter().chain(p.last.iter()).map(|(x, _)| *x))
        .collect();
    let lo = xs.iter().copied().fold(0.0, f64::min);
    let hi = xs.iter().copied().fold(1.0, f64::max);
    let pad = (hi - lo) * 0.06;
    let x = Axis::linear(lo - pad, hi + pad, LEFT, W - RIGHT);
    let y = Axis::linear(0.0, 100.0, H - BOTTOM, TOP);
    frame(&mut svg, &x, &y);
    let mut labels: Vec<f64> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let at = |(lat, acc): (f64, f64)| (x.map(lat), y.map(acc * 100.0));
        if let (Some(f), Some(l)) = (p.first, p.last) {
            svg.line(
                at(f),
                at(l),
                &format!("stroke:{color};stroke-width:1.5;stroke-dasharray:4,3"),
            );
        }
        if let Some(f) = p.first {
            svg.circle(
                at(f),
                5.0,
                &format!("fill:#ffffff;stroke:{color};stroke-width:2"),
            );
        }
        if let Some(l) = p.last {
            let (px, py) = at(l);
            svg.circle((px, py), 6.0, &format!("fill:{color}"));
            // Labels go in a column right of the plot, joined to their
            // point, so coinciding points never hide each other's names.
            let mut ly = py + 4.0;
            while labels.iter().any(|o| (o - ly).abs() < 14.0) {
                ly += 14.0;
            }
            labels.push(ly);
            let lx = W - RIGHT + 14.0;
            svg.line(
                (px + 6.0, py),
                (lx - 4.0, ly - 4.0),
                &format!("stroke:{color};stroke-width:0.7"),
            );
            let text = format!("{} ({}, {}%)", p.name, human_ms(l.0), num(l.1 * 100.0));
            svg.text(
                (lx, ly),
                11.0,
                Anchor::Start,
                &format!("fill:{color};font-weight:bold"),
                &text,
            );
        }
    }
    legend(&mut svg);
    svg.finish(title)
}

fn frame(svg: &mut Svg, x: &Axis, y: &Axis) {
    let (l, r, t, b) = (LEFT, W - RIGHT, TOP, H - BOTTOM);
    svg.rect(
        l,
        t,
        r - l,
        b - t,
        "fill:#fafafa;stroke:#222;stroke-width:1",
    );
    for v in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let py = y.map(v);
        svg.line((l, py), (r, py), "stroke:#ddd");
        svg.text(
            (l - 6.0, py + 3.5),
            10.0,
            Anchor::End,
            "",
            &format!("{v:.0}%"),
        );
    }
    for v in x.ticks(80.0) {
        let px = x.map(v);
        svg.line((px, b), (px, b + 4.0), "stroke:#222");
        svg.text((px, b + 16.0), 10.0, Anchor::Middle, "", &x.unit.format(v));
    }
    if x.contains(0.0) {
        let px = x.map(0.0);
        svg.line((px, t), (px, b), "stroke:#888;stroke-dasharray:2,3");
        svg.text(
            (px + 3.0, t + 12.0),
            9.0,
            Anchor::Start,
            "fill:#777",
            "window end",
        );
    }
    let x_title = format!(
        "latency after the window's end ({}, median over seeds) — lower is sooner",
        x.unit.symbol()
    );
    svg.text(
        ((l + r) / 2.0, b + 36.0),
        11.0,
        Anchor::Middle,
        "",
        &x_title,
    );
    svg.text_vertical(
        (22.0, (t + b) / 2.0),
        11.0,
        "windows equal to the truth (%)",
    );
}

fn legend(svg: &mut Svg) {
    let y = H - 12.0;
    svg.circle(
        (LEFT + 6.0, y - 4.0),
        5.0,
        "fill:#ffffff;stroke:#333;stroke-width:2",
    );
    svg.text((LEFT + 16.0, y), 11.0, Anchor::Start, "", "first pane");
    svg.circle((LEFT + 106.0, y - 4.0), 6.0, "fill:#333");
    svg.text(
        (LEFT + 116.0, y),
        11.0,
        Anchor::Start,
        "",
        "result that stays (final pane)",
    );
}
