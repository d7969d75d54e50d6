//! What a transcript may cost, checked when it is loaded: the sum of its
//! values must fit `i64` (so no pane's sum can overflow, in the engine or
//! in the checker), and the engine work it asks for (elements × windows per
//! element) must stay under a budget, so a hostile file is refused at once
//! instead of running for hours.

use super::spec::Step;
use tidemark_engine::{Pipeline, WindowFn};

/// The most element-window assignments one transcript may ask for:
/// elements × windows per element. Hand-written transcripts use a few
/// hundred; Beam's whole translated suite uses a few thousand.
pub const TRANSCRIPT_WORK_MAX: u64 = 10_000_000;

/// `Err(why)` when `steps` under `pipeline` could overflow a sum or would
/// cost more than [`TRANSCRIPT_WORK_MAX`].
pub(super) fn check(pipeline: &Pipeline, steps: &[Step]) -> Result<(), String> {
    let per_element = windows_per_element(pipeline.window);
    let mut elements: u64 = 0;
    let mut magnitude: i128 = 0;
    for step in steps {
        if let Step::Input(items) = step {
            elements += items.len() as u64;
            magnitude += items
                .iter()
                .map(|e| i128::from(e.value).abs())
                .sum::<i128>();
        }
    }
    if magnitude > i128::from(i64::MAX) {
        return Err(format!(
            "the values' magnitudes add up to {magnitude}, more than i64::MAX: a sum \
             could overflow; use smaller values"
        ));
    }
    let work = u128::from(elements) * u128::from(per_element);
    if work > u128::from(TRANSCRIPT_WORK_MAX) {
        return Err(format!(
            "{elements} elements × {per_element} windows each = {work} window assignments, \
             more than the {TRANSCRIPT_WORK_MAX} a transcript may ask for; use fewer \
             elements or a larger sliding period"
        ));
    }
    Ok(())
}

/// How many windows one element lands in (sliding: `ceil(size / period)`).
fn windows_per_element(w: WindowFn) -> u64 {
    match w {
        WindowFn::Sliding { size, period, .. } if period.0 > 0 => {
            let n = (i128::from(size.0) + i128::from(period.0) - 1) / i128::from(period.0);
            u64::try_from(n.max(1)).unwrap_or(u64::MAX)
        }
        _ => 1,
    }
}
