//! The windows of the last element's time, kept for the next elements.
//!
//! Consecutive elements mostly get the same windows: a sliding window of
//! `size` every `period` hands each of the `period` times between two
//! window starts the same `size / period` windows. Assigning them anew
//! costs a division and a walk per element (14% of the sliding case's
//! instructions); checking a time against the span of times that get the
//! same windows costs two comparisons. (The engine's one-record path for
//! fixed windows keeps the last window itself, `Engine::fixed`: one window,
//! not a slice.)

use crate::time::EventTime;
use crate::window::{is_whole_fixed, Window, WindowFn};

/// The windows of the last time assigned, and every time that gets
/// exactly those windows.
#[derive(Debug, Clone, Default)]
pub(crate) struct Assigned {
    /// The times, inclusive, that get `windows`; `None` when unknown (no
    /// time yet, or a span not worth computing).
    span: Option<(EventTime, EventTime)>,
    windows: Vec<Window>,
}

impl Assigned {
    /// The windows of `t` under `window_fn`, in ascending order of start,
    /// as `window_fn.assign` gives them.
    #[inline(always)]
    pub(crate) fn of(&mut self, window_fn: &WindowFn, t: EventTime) -> &[Window] {
        match self.span {
            Some((first, last)) if first <= t && t <= last => {}
            _ => {
                self.windows.clear();
                window_fn.assign(t, &mut self.windows);
                self.span = span(window_fn, t, &self.windows);
            }
        }
        &self.windows
    }

    /// The windows `of` gave last.
    #[inline(always)]
    pub(crate) fn windows(&self) -> &[Window] {
        &self.windows
    }
}

/// The times, inclusive, that `window_fn` assigns exactly `windows`, the
/// windows of `t`; `None` to not remember them (the caller then assigns
/// the next time anew).
///
/// For sliding windows with starts `s ≡ offset (mod period)`, a time `u`
/// is in the window starting at `s` when `s <= u < s + size`. With the
/// windows of `t` starting at `first..=last` every `period`, `u` gets the
/// same ones when `u >= last` (the next start, `last + period`, is after
/// `u`), `u < first + size` (the first still holds it), `u < last + period`
/// (the next start does not) and `u >= first - period + size` (the window
/// before the first has ended). Only spans whose bounds fit in `i64`
/// without clamping are remembered: near the ends of time `assign` clamps
/// window starts and ends, and those times are assigned every time (for
/// fixed windows too: `is_whole_fixed`).
fn span(window_fn: &WindowFn, t: EventTime, windows: &[Window]) -> Option<(EventTime, EventTime)> {
    match *window_fn {
        WindowFn::Sliding { size, period, .. } => {
            if known_bug!(SlidingMissesLastWindow) {
                return None;
            }
            let (first, last) = (windows.first()?.start.0, windows.last()?.start.0);
            // Every window exactly `size` long: none was clamped.
            if windows
                .iter()
                .any(|w| w.start.0.checked_add(size.0) != Some(w.end.0))
            {
                return None;
            }
            let from = last.max(first.checked_sub(period.0)?.checked_add(size.0)?);
            let to = first
                .checked_add(size.0)?
                .min(last.checked_add(period.0)?)
                .checked_sub(1)?;
            debug_assert!(from <= t.0 && t.0 <= to, "{t} outside its own span");
            Some((EventTime(from), EventTime(to)))
        }
        // The times strictly inside the window, as `Engine::fixed` keeps
        // it: a time at a window's start is where the `EndElementInWindow`
        // known bug differs.
        WindowFn::Fixed { size, .. } => {
            let w = windows.first().filter(|w| is_whole_fixed(w, size))?;
            let span = (
                EventTime(w.start.0.checked_add(1)?),
                EventTime(w.end.0.checked_sub(1)?),
            );
            Some(span).filter(|(from, to)| *from <= t && t <= *to)
        }
        // One window for all time.
        WindowFn::Global => Some((EventTime::MIN, EventTime::MAX)),
        // A session is assigned once, from its element's time.
        WindowFn::Sessions { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{span, Assigned};
    use crate::time::{Duration, EventTime};
    use crate::window::{Window, WindowFn};
    use proptest::prelude::*;

    fn assign(wf: &WindowFn, t: i64) -> Vec<Window> {
        let mut out = Vec::new();
        wf.assign(EventTime(t), &mut out);
        out
    }

    fn sliding(size: i64, period: i64, offset: i64) -> WindowFn {
        WindowFn::Sliding {
            size: Duration(size),
            period: Duration(period),
            offset: Duration(offset),
        }
    }

    /// The bench's shape: four windows per time, the same for a whole
    /// period, different just outside it.
    #[test]
    fn a_sliding_span_is_one_period() {
        let wf = sliding(60, 15, 0);
        let windows = assign(&wf, 37);
        assert_eq!(windows.len(), 4);
        assert_eq!(
            span(&wf, EventTime(37), &windows),
            Some((EventTime(30), EventTime(44)))
        );
    }

    /// A size that is not a multiple of the period: the span is cut where
    /// the first window ends.
    #[test]
    fn a_span_ends_where_the_first_window_does() {
        let wf = sliding(10, 4, 0);
        // Windows of 9 start at 0, 4 and 8; the one at 0 ends at 10.
        let windows = assign(&wf, 9);
        assert_eq!(
            span(&wf, EventTime(9), &windows),
            Some((EventTime(8), EventTime(9)))
        );
        // Windows of 11 start at 4 and 8; the one at 0 ended at 10.
        let windows = assign(&wf, 11);
        assert_eq!(
            span(&wf, EventTime(11), &windows),
            Some((EventTime(10), EventTime(11)))
        );
    }

    /// Near the end of time window ends clamp: nothing is remembered.
    #[test]
    fn clamped_windows_are_not_remembered() {
        let wf = sliding(10, 5, 0);
        let t = i64::MAX - 2;
        assert_eq!(span(&wf, EventTime(t), &assign(&wf, t)), None);
    }

    fn window_fns() -> impl Strategy<Value = WindowFn> {
        prop_oneof![
            (1i64..40, 1i64..40, -50i64..50).prop_map(|(size, period, offset)| {
                // period <= size, as `Pipeline::validate` requires.
                sliding(size.max(period), period.min(size), offset)
            }),
            // Windows long enough to clamp near the ends of time.
            (1i64..5, 1i64..5, any::<i64>()).prop_map(|(k, p, offset)| {
                let size = i64::MAX / 32 * k;
                sliding(size, (i64::MAX / 128 * p).min(size), offset)
            }),
            (1i64..40, -50i64..50).prop_map(|(size, offset)| WindowFn::Fixed {
                size: Duration(size),
                offset: Duration(offset),
            }),
            Just(WindowFn::Global),
        ]
    }

    proptest! {
        /// Every time in a span gets exactly the windows remembered, and
        /// the times just outside it (when in range) do not: the memo is
        /// never wrong, and never smaller than it need be.
        #[test]
        fn a_span_is_exactly_the_times_with_the_same_windows(
            wf in window_fns(),
            t in prop_oneof![
                -200i64..200,
                any::<i64>(),
                i64::MIN..i64::MIN + 100,
                i64::MAX - 100..=i64::MAX,
            ],
            probes in proptest::collection::vec(0.0f64..=1.0, 8),
        ) {
            let windows = assign(&wf, t);
            let Some((from, to)) = span(&wf, EventTime(t), &windows) else {
                return Ok(());
            };
            prop_assert!(from.0 <= t && t <= to.0);
            let width = (to.0 as i128 - from.0 as i128) as f64;
            for p in probes.iter().copied().chain([0.0, 1.0]) {
                let u = (from.0 as i128 + (width * p) as i128).clamp(from.0 as i128, to.0 as i128);
                prop_assert_eq!(assign(&wf, u as i64), windows.clone(), "u={}", u);
            }
            // A fixed window's start is left out on purpose (see `span`).
            let fixed = matches!(wf, WindowFn::Fixed { .. });
            if let Some(before) = from.0.checked_sub(1).filter(|_| !fixed) {
                prop_assert_ne!(assign(&wf, before), windows.clone());
            }
            if let Some(after) = to.0.checked_add(1) {
                prop_assert_ne!(assign(&wf, after), windows.clone());
            }
        }

        /// The memo answers what `assign` answers, time after time.
        #[test]
        fn the_memo_agrees_with_assign(
            wf in window_fns(),
            times in prop_oneof![
                proptest::collection::vec(-100i64..100, 1..60),
                proptest::collection::vec(i64::MIN..i64::MIN + 60, 1..60),
                proptest::collection::vec(i64::MAX - 60..=i64::MAX, 1..60),
            ],
        ) {
            let mut memo = Assigned::default();
            for t in times {
                prop_assert_eq!(memo.of(&wf, EventTime(t)), &assign(&wf, t)[..]);
            }
        }
    }
}
