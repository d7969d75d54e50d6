//! A naive window function: the windows an event time belongs to, by the
//! definitions alone (fixed: the one `[offset + k·size, +size)` holding t;
//! sliding: every `[offset + k·period, +size)` holding t; global: one),
//! walking candidates one by one instead of the engine's arithmetic.

use tidemark_engine::{EventTime, Window, WindowFn};

/// The windows holding `t`, ascending by start; `None` for sessions (their
/// windows depend on the other elements).
#[must_use]
pub fn windows_of(f: WindowFn, t: EventTime) -> Option<Vec<Window>> {
    let t = i128::from(t.0);
    let window = |s: i128, size: i128| {
        let c = |x: i128| EventTime(x.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64);
        Window::new(c(s), c(s + size))
    };
    match f {
        WindowFn::Global => Some(vec![Window::GLOBAL]),
        WindowFn::Sessions { .. } => None,
        WindowFn::Fixed { size, offset } => {
            let (size, offset) = (i128::from(size.0), i128::from(offset.0));
            // The k with offset + k·size <= t < offset + (k+1)·size.
            let k = (t - offset).div_euclid(size);
            let s = offset + k * size;
            debug_assert!(s <= t && t < s + size);
            Some(vec![window(s, size)])
        }
        WindowFn::Sliding {
            size,
            period,
            offset,
        } => {
            let (size, period, offset) = (
                i128::from(size.0),
                i128::from(period.0),
                i128::from(offset.0),
            );
            let mut out = Vec::new();
            // The last start at or before t, then every earlier one whose
            // window still holds t.
            let mut s = offset + (t - offset).div_euclid(period) * period;
            while s + size > t {
                out.push(window(s, size));
                s -= period;
            }
            out.reverse();
            Some(out)
        }
    }
}
