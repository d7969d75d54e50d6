//! Table cells: "median (worst)" with fixed precision, so the same figures
//! always print the same text. When the median is the worst, one value.

use super::scale::human_ms;
use crate::metrics::Agg;

/// A duration pair, e.g. "4.2s (9.8s)".
#[must_use]
pub fn ms(a: Option<Agg>) -> String {
    a.map_or_else(|| "–".to_string(), |a| pair(a, human_ms))
}

/// A share pair, e.g. "87.5% (62.5%)".
#[must_use]
pub fn pct(a: Agg) -> String {
    pair(a, share)
}

/// An optional share pair.
#[must_use]
pub fn pct_opt(a: Option<Agg>) -> String {
    a.map_or_else(|| "–".to_string(), pct)
}

/// A plain number pair with `decimals` decimals.
#[must_use]
pub fn number(a: Agg, decimals: usize) -> String {
    pair(a, |x| fixed(x, decimals))
}

/// `x` (0..1) as a percentage with one decimal, trailing ".0" dropped.
#[must_use]
pub fn share(x: f64) -> String {
    let s = format!("{:.1}", x * 100.0);
    format!("{}%", s.strip_suffix(".0").unwrap_or(&s))
}

/// `x` with `decimals` decimals, never "-0".
#[must_use]
pub fn fixed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
        s[1..].to_string()
    } else {
        s
    }
}

fn pair(a: Agg, f: impl Fn(f64) -> String) -> String {
    let (m, w) = (f(a.median), f(a.worst));
    if m == w {
        m
    } else {
        format!("{m} ({w})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_compact_and_stable() {
        let a = Agg {
            median: 0.875,
            worst: 0.625,
        };
        assert_eq!(pct(a), "87.5% (62.5%)");
        assert_eq!(
            pct(Agg {
                median: 1.0,
                worst: 1.0
            }),
            "100%"
        );
        assert_eq!(ms(None), "–");
        assert_eq!(
            ms(Some(Agg {
                median: 4200.0,
                worst: 9800.0
            })),
            "4.2s (9.8s)"
        );
        assert_eq!(fixed(-0.001, 1), "0.0");
        assert_eq!(
            number(
                Agg {
                    median: 2.0,
                    worst: 3.5
                },
                1
            ),
            "2.0 (3.5)"
        );
    }
}
