//! Axes: domain values (milliseconds) to pixels, with tick positions, a
//! time unit chosen from the range, and optional breaks that squeeze long
//! empty stretches (a phone offline for an hour) into a narrow band so the
//! busy parts stay readable.

/// One linear stretch of an axis.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Piece {
    d0: f64,
    d1: f64,
    p0: f64,
    p1: f64,
    /// True for a squeezed empty stretch (drawn as a break).
    gap: bool,
}

/// A piecewise-linear axis from domain (ms) to pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pieces: Vec<Piece>,
    /// The unit tick labels use.
    pub unit: TimeUnit,
}

/// Pixels a squeezed gap takes.
const GAP_PX: f64 = 26.0;

/// An empty stretch longer than this share of the range is squeezed.
const GAP_SHARE_MIN: f64 = 0.2;

impl Axis {
    /// `[d0, d1]` onto `[p0, p1]` (p1 may be below p0 for an upward axis).
    #[must_use]
    pub fn linear(d0: f64, d1: f64, p0: f64, p1: f64) -> Axis {
        let d1 = if d1 > d0 { d1 } else { d0 + 1.0 };
        Axis {
            pieces: vec![Piece {
                d0,
                d1,
                p0,
                p1,
                gap: false,
            }],
            unit: TimeUnit::for_span(d1 - d0),
        }
    }

    /// Like [`Axis::linear`], but stretches of `[d0, d1]` holding none of
    /// `points` and longer than a fifth of the range are squeezed.
    #[must_use]
    pub fn with_gaps(points: &[f64], d0: f64, d1: f64, p0: f64, p1: f64) -> Axis {
        let d1 = if d1 > d0 { d1 } else { d0 + 1.0 };
        let mut pts: Vec<f64> = points
            .iter()
            .copied()
            .filter(|p| *p >= d0 && *p <= d1)
            .collect();
        pts.push(d0);
        pts.push(d1);
        pts.sort_by(f64::total_cmp);
        let span = d1 - d0;
        let raw: Vec<(f64, f64)> = pts
            .windows(2)
            .filter(|w| w[1] - w[0] > GAP_SHARE_MIN * span)
            .map(|w| (w[0], w[1]))
            .collect();
        // Keep a margin either side, a few percent of what stays, so points
        // next to a gap are not drawn on the break.
        let busy = span - raw.iter().map(|g| g.1 - g.0).sum::<f64>();
        let margin = 0.03 * busy.max(1.0);
        let gaps: Vec<(f64, f64)> = raw
            .into_iter()
            .map(|(a, b)| (a + margin, b - margin))
            .filter(|(a, b)| b > a)
            .collect();
        let dir = if p1 >= p0 { 1.0 } else { -1.0 };
        let gap_px = GAP_PX * gaps.len() as f64;
        let kept: f64 = span - gaps.iter().map(|g| g.1 - g.0).sum::<f64>();
        let px_per = ((p1 - p0).abs() - gap_px).max(1.0) / kept.max(1.0);
        let mut pieces = Vec::new();
        let (mut d, mut p) = (d0, p0);
        for (g0, g1) in gaps.iter().copied().chain(std::iter::once((d1, d1))) {
            let p_next = p + dir * (g0 - d) * px_per;
            pieces.push(Piece {
                d0: d,
                d1: g0,
                p0: p,
                p1: p_next,
                gap: false,
            });
            if g1 > g0 {
                pieces.push(Piece {
                    d0: g0,
                    d1: g1,
                    p0: p_next,
                    p1: p_next + dir * GAP_PX,
                    gap: true,
                });
            }
            d = g1;
            p = p_next + if g1 > g0 { dir * GAP_PX } else { 0.0 };
        }
        let busiest = pieces
            .iter()
            .filter(|pc| !pc.gap)
            .map(|pc| pc.d1 - pc.d0)
            .fold(0.0, f64::max);
        Axis {
            pieces,
            unit: TimeUnit::for_span(busiest.max(1.0)),
        }
    }

    /// The pixel for `d`, clamped to the axis ends.
    #[must_use]
    pub fn map(&self, d: f64) -> f64 {
        let first = self.pieces[0];
        if d <= first.d0 {
            return first.p0;
        }
        for pc in &self.pieces {
            if d <= pc.d1 {
                let f = if pc.d1 > pc.d0 {
                    (d - pc.d0) / (pc.d1 - pc.d0)
                } else {
                    0.0
                };
                return pc.p0 + f * (pc.p1 - pc.p0);
            }
        }
        self.pieces[self.pieces.len() - 1].p1
    }

    /// The domain's ends.
    #[must_use]
    pub fn domain(&self) -> (f64, f64) {
        (self.pieces[0].d0, self.pieces[self.pieces.len() - 1].d1)
    }

    /// True when `d` lies inside the axis range.
    #[must_use]
    pub fn contains(&self, d: f64) -> bool {
        let lo = self.pieces[0].d0;
        let hi = self.pieces[self.pieces.len() - 1].d1;
        d >= lo && d <= hi
    }

    /// Pixel ranges of squeezed gaps, for drawing break marks.
    #[must_use]
    pub fn breaks(&self) -> Vec<(f64, f64)> {
        self.pieces
            .iter()
            .filter(|pc| pc.gap)
            .map(|pc| (pc.p0, pc.p1))
            .collect()
    }

    /// Tick positions (domain values), about every `spacing_px` pixels, on
    /// round times; none inside a gap.
    #[must_use]
    pub fn ticks(&self, spacing_px: f64) -> Vec<f64> {
        let mut out: Vec<f64> = Vec::new();
        for pc in self.pieces.iter().filter(|pc| !pc.gap) {
            let px = (pc.p1 - pc.p0).abs();
            if px < 1.0 {
                continue;
            }
            let step = nice_step((pc.d1 - pc.d0) * spacing_px / px);
            let mut t = (pc.d0 / step).ceil() * step;
            while t <= pc.d1 + 1e-9 {
                let far_enough = out
                    .last()
                    .is_none_or(|&last| (self.map(t) - self.map(last)).abs() >= spacing_px * 0.6);
                if far_enough {
                    out.push(t);
                }
                t += step;
            }
        }
        out
    }
}

/// Round time steps, in ms, from 1ms to a day.
const STEPS_MS: [f64; 22] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3,
    120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3,
];

/// The smallest round step at least `raw` (multiples of an hour beyond).
fn nice_step(raw: f64) -> f64 {
    STEPS_MS
        .iter()
        .copied()
        .find(|s| *s >= raw)
        .unwrap_or_else(|| (raw / 3600e3).ceil() * 3600e3)
}

/// The unit an axis labels its ticks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Milliseconds.
    Ms,
    /// Seconds.
    S,
    /// Minutes.
    Min,
}

impl TimeUnit {
    /// Seconds below 3 minutes, minutes above, ms below 3 seconds.
    #[must_use]
    pub fn for_span(span_ms: f64) -> TimeUnit {
        if span_ms >= 180e3 {
            TimeUnit::Min
        } else if span_ms >= 3e3 {
            TimeUnit::S
        } else {
            TimeUnit::Ms
        }
    }

    /// The unit's symbol, for axis titles.
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            TimeUnit::Ms => "ms",
            TimeUnit::S => "s",
            TimeUnit::Min => "min",
        }
    }

    /// `ms` in this unit, without trailing zeros ("2.5", "60").
    #[must_use]
    pub fn format(self, ms: f64) -> String {
        let v = match self {
            TimeUnit::Ms => ms,
            TimeUnit::S => ms / 1e3,
            TimeUnit::Min => ms / 60e3,
        };
        trim(&format!("{v:.2}"))
    }
}

/// "2.50" → "2.5", "3.00" → "3", "-0" → "0".
fn trim(s: &str) -> String {
    let t = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    };
    if t == "-0" {
        "0".to_string()
    } else {
        t.to_string()
    }
}

/// A duration in ms, in the most readable unit: "250ms", "4.5s", "12.3min", "1.5h".
#[must_use]
pub fn human_ms(ms: f64) -> String {
    let a = ms.abs();
    if a < 1e3 {
        format!("{}ms", trim(&format!("{ms:.0}")))
    } else if a < 120e3 {
        format!("{}s", trim(&format!("{:.1}", ms / 1e3)))
    } else if a < 7200e3 {
        format!("{}min", trim(&format!("{:.1}", ms / 60e3)))
    } else {
        format!("{}h", trim(&format!("{:.1}", ms / 3600e3)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_maps_and_clamps() {
        let a = Axis::linear(0.0, 100.0, 50.0, 250.0);
        assert_eq!(a.map(50.0), 150.0);
        assert_eq!(a.map(-10.0), 50.0);
        assert_eq!(a.map(1e9), 250.0);
    }

    #[test]
    fn empty_stretches_are_squeezed() {
        // Points at 0..10s and at 3600s: the hour between is a gap.
        let pts: Vec<f64> = (0..10)
            .map(|s| f64::from(s) * 1e3)
            .chain([3_600e3])
            .collect();
        let a = Axis::with_gaps(&pts, 0.0, 3_610e3, 500.0, 0.0);
        assert_eq!(a.breaks().len(), 1);
        // The busy first ten seconds get far more than their linear share.
        assert!(a.map(0.0) - a.map(10e3) > 100.0);
        assert!(a.map(3_600e3) < a.map(3_599e3) + 1e-9);
    }

    #[test]
    fn ticks_are_round_and_units_read_well() {
        let a = Axis::linear(0.0, 240e3, 0.0, 400.0);
        let t = a.ticks(60.0);
        assert_eq!(t.first(), Some(&0.0));
        assert!(t.iter().all(|x| x % 30e3 == 0.0));
        assert_eq!(a.unit, TimeUnit::Min);
        assert_eq!(TimeUnit::Min.format(90e3), "1.5");
        assert_eq!(human_ms(1500.0), "1.5s");
        assert_eq!(human_ms(-250.0), "-250ms");
        assert_eq!(human_ms(3_720e3), "62min");
    }
}
