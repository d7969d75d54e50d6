//! Does an actual output satisfy an expected item, and which expected items
//! go with which outputs.

use super::keys::Keys;
use super::spec::{DeadLetterExpectation, Expected, ExpectedNumber, PaneExpectation};
use tidemark_engine::{AggValue, DeadLetter, Output, Pane};

/// True when `out` has every field `exp` lists.
pub(crate) fn matches(exp: &Expected, out: &Output, keys: &Keys) -> bool {
    match (exp, out) {
        (Expected::Pane(e), Output::Pane(p)) => pane_matches(e, p, keys),
        (Expected::DeadLetter(e), Output::DeadLetter(d)) => dead_letter_matches(e, d, keys),
        _ => false,
    }
}

fn pane_matches(e: &PaneExpectation, p: &Pane, keys: &Keys) -> bool {
    wants(e.key.as_deref(), |k| keys.name(p.key) == k)
        && wants(e.window, |w| w == p.window)
        && wants(e.values.as_ref(), |vs| values_match(vs, &p.value))
        && wants(e.value, |v| value_matches(v, &p.value))
        && wants(e.timestamp, |t| t == p.timestamp.0)
        && wants(e.timing, |t| t == p.info.timing)
        && wants(e.index, |i| i == p.info.index)
        && wants(e.nonspeculative_index, |i| i == p.info.nonspeculative_index)
        && wants(e.is_first, |b| b == p.info.is_first)
        && wants(e.is_last, |b| b == p.info.is_last)
        && wants(e.retraction, |b| b == p.retraction)
}

/// True when the expectation doesn't list the field, or `ok` accepts it.
/// (`Option::is_none_or` is newer than the workspace's rust-version.)
fn wants<T>(field: Option<T>, ok: impl FnOnce(T) -> bool) -> bool {
    match field {
        None => true,
        Some(v) => ok(v),
    }
}

/// Collected values compare as multisets: transcripts may list them in any order.
fn values_match(expected: &[i64], actual: &AggValue) -> bool {
    let AggValue::Collect(vs) = actual else {
        return false;
    };
    let mut a = vs.clone();
    a.sort_unstable();
    let mut e = expected.to_vec();
    e.sort_unstable();
    a == e
}

fn value_matches(expected: ExpectedNumber, actual: &AggValue) -> bool {
    // Integer aggregates compare exactly; the mean (a float) with a
    // relative tolerance, since `2.3333333333333335` is tedious to write.
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0);
    match (expected, actual) {
        (ExpectedNumber::Int(i), AggValue::Sum(s)) => *s == i,
        (ExpectedNumber::Int(i), AggValue::Count(c)) => i64::try_from(*c).is_ok_and(|c| c == i),
        (ExpectedNumber::Int(i), AggValue::Min(Some(m)) | AggValue::Max(Some(m))) => *m == i,
        (ExpectedNumber::Int(i), AggValue::Mean { .. }) => {
            actual.as_f64().is_some_and(|m| close(m, i as f64))
        }
        (ExpectedNumber::Float(_), AggValue::Collect(_)) => false,
        (ExpectedNumber::Float(x), _) => actual.as_f64().is_some_and(|m| close(m, x)),
        (ExpectedNumber::Null, AggValue::Min(None) | AggValue::Max(None)) => true,
        (ExpectedNumber::Null, AggValue::Mean { count: 0, .. }) => true,
        _ => false,
    }
}

fn dead_letter_matches(e: &DeadLetterExpectation, d: &DeadLetter, keys: &Keys) -> bool {
    wants(e.key.as_deref(), |k| keys.name(d.record.key) == k)
        && wants(e.value, |v| v == d.record.value)
        && wants(e.time, |t| t == d.record.time.0)
        && wants(e.reason, |r| r == d.reason)
        && wants(e.watermark, |w| w == d.watermark.0)
        && wants(e.windows.as_ref(), |ws| {
            let mut a = d.windows.clone();
            a.sort_unstable();
            let mut e = ws.clone();
            e.sort_unstable();
            a == e
        })
}

/// A maximum matching of expected items to distinct outputs (Kuhn's
/// augmenting paths; blocks are small). `result[i]` is the output matched to
/// expected item `i`, if any. A greedy first-fit could strand a specific item
/// behind a vague one; this can't.
pub(crate) fn assign(expected: &[Expected], outputs: &[Output], keys: &Keys) -> Vec<Option<usize>> {
    let edges: Vec<Vec<usize>> = expected
        .iter()
        .map(|e| {
            (0..outputs.len())
                .filter(|&j| matches(e, &outputs[j], keys))
                .collect()
        })
        .collect();
    let mut owner: Vec<Option<usize>> = vec![None; outputs.len()];
    for i in 0..expected.len() {
        let mut seen = vec![false; outputs.len()];
        augment(i, &edges, &mut owner, &mut seen);
    }
    let mut result = vec![None; expected.len()];
    for (j, o) in owner.iter().enumerate() {
        if let Some(i) = *o {
            result[i] = Some(j);
        }
    }
    result
}

fn augment(i: usize, edges: &[Vec<usize>], owner: &mut [Option<usize>], seen: &mut [bool]) -> bool {
    for &j in &edges[i] {
        if seen[j] {
            continue;
        }
        seen[j] = true;
        let free = match owner[j] {
            None => true,
            Some(other) => augment(other, edges, owner, seen),
        };
        if free {
            owner[j] = Some(i);
            return true;
        }
    }
    false
}
