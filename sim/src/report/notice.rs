//! "What to notice": a few sentences derived from the figures, so each
//! page states its lesson in numbers rather than in hopes. Every rule only
//! speaks when the figures differ enough to matter.

use super::format::{fixed, share};
use super::scale::human_ms;
use crate::metrics::StrategySummary;

/// The bullet points for one scenario (at least one).
#[must_use]
pub fn notice(s: &[StrategySummary]) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(dead_letters(s));
    out.extend(accuracy(s));
    out.extend(latency(s));
    out.extend(cost(s));
    out.extend(stability(s));
    out.extend(duplicates(s));
    if out.is_empty() {
        out.push("The strategies behave alike on this scenario.".to_string());
    }
    out
}

/// "1 element", "3 elements" (the count rounded to a whole number).
pub fn plural(n: f64, noun: &str) -> String {
    let text = fixed(n, 0);
    if text == "1" {
        format!("1 {noun}")
    } else {
        format!("{text} {noun}s")
    }
}

fn name(s: &StrategySummary) -> String {
    format!("`{}`", s.name)
}

/// The lowest and highest strategy by `f` (ties: scenario order).
type Extremes<'a> = (&'a StrategySummary, f64, &'a StrategySummary, f64);

fn by(s: &[StrategySummary], f: impl Fn(&StrategySummary) -> Option<f64>) -> Option<Extremes<'_>> {
    let mut vals: Vec<(&StrategySummary, f64)> =
        s.iter().filter_map(|x| f(x).map(|v| (x, v))).collect();
    // Stable sort: ties keep scenario order, so the wording is deterministic.
    vals.sort_by(|a, b| a.1.total_cmp(&b.1));
    let lo = vals.first()?;
    let hi = vals.last()?;
    Some((lo.0, lo.1, hi.0, hi.1))
}

fn dead_letters(s: &[StrategySummary]) -> Option<String> {
    let (lo, lo_v, hi, hi_v) = by(s, |x| Some(x.dead_letters.median))?;
    (hi_v > 0.0).then(|| {
        let contrast = if lo_v == 0.0 {
            format!("; {} none", name(lo))
        } else {
            format!("; {} {}", name(lo), fixed(lo_v, 0))
        };
        format!(
            "{} sent a median of {} per seed to the dead letters ({} of all events counted nowhere){contrast}.",
            name(hi),
            plural(hi_v, "element"),
            share(hi.lost_fraction.median),
        )
    })
}

fn accuracy(s: &[StrategySummary]) -> Option<String> {
    let (lo, lo_v, hi, hi_v) = by(s, |x| Some(x.accuracy.median))?;
    if lo_v >= 1.0 {
        return Some(
            "Every strategy ends with the true value in every window: they differ only in when, and how often, they answer."
                .to_string(),
        );
    }
    if hi_v - lo_v < 0.005 {
        return Some(format!(
            "All strategies end with the true value in {} of windows (median seed).",
            share(lo_v)
        ));
    }
    Some(format!(
        "Final values were right in {} of windows with {} but only {} with {} (median seed).",
        share(hi_v),
        name(hi),
        share(lo_v),
        name(lo)
    ))
}

fn latency(s: &[StrategySummary]) -> Option<String> {
    let (fast, fast_v, slow, slow_v) = by(s, |x| x.first_latency_ms.map(|a| a.median))?;
    if slow_v - fast_v < 1.0 {
        return None;
    }
    let speculation = fast.speculative_error.map_or(String::new(), |e| {
        format!(
            " — early panes, off the truth by {} on average",
            share(e.median)
        )
    });
    Some(format!(
        "{} gives a first result {}{speculation}; {} waits until {}.",
        name(fast),
        when(fast_v),
        name(slow),
        when(slow_v)
    ))
}

/// "3s after the window ends", or "3s before" for an early pane.
fn when(ms: f64) -> String {
    if ms < 0.0 {
        format!("{} before the window ends", human_ms(-ms))
    } else {
        format!("{} after the window ends", human_ms(ms))
    }
}

fn cost(s: &[StrategySummary]) -> Option<String> {
    let (lo, lo_v, hi, hi_v) = by(s, |x| Some(x.panes_per_window.median))?;
    (hi_v > 1.2 * lo_v.max(0.01)).then(|| {
        format!(
            "{} costs {} panes per window against {} for {}.",
            name(hi),
            fixed(hi_v, 1),
            fixed(lo_v, 1),
            name(lo)
        )
    })
}

fn stability(s: &[StrategySummary]) -> Option<String> {
    let (lo, lo_v, hi, hi_v) = by(s, |x| Some(x.stability_first))?;
    let (flo, flo_v, _, _) = by(s, |x| Some(x.stability))?;
    if flo_v < 0.995 {
        return Some(format!(
            "Replaying the same events through different networks, {} gave the same final value in only {} of windows: its final result depends on arrival timing.",
            name(flo),
            share(flo_v)
        ));
    }
    (hi_v - lo_v >= 0.05).then(|| {
        format!(
            "Replaying the same events through different networks, every final value repeats, but first panes do not: {} repeated its first pane in {} of windows, {} in {}.",
            name(hi),
            share(hi_v),
            name(lo),
            share(lo_v)
        )
    })
}

fn duplicates(s: &[StrategySummary]) -> Option<String> {
    let (_, _, hi, hi_v) = by(s, |x| Some(x.duplicates_counted.median))?;
    (hi_v > 0.0).then(|| {
        format!(
            "{} counted a median of {} per seed: without deduplication a retry is a second reading.",
            name(hi),
            plural(hi_v, "retried duplicate")
        )
    })
}
