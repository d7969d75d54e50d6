//! A naive window function: the windows an event time belongs to, by the
//! definitions alone (fixed: the one `[offset + k·size, +size)` holding t;
//! sliding: every `[offset + k·period, +size)` holding t; global: one), in
//! wide arithmetic instead of the engine's.

use tidemark_engine::{EventTime, Window, WindowFn};

/// The windows holding `t`, ascending by start; `None` for sessions (their
/// windows depend on the other elements). The same definition the oracle
/// folds with (`oracle::windows_of`): one reference, not two.
#[must_use]
pub fn windows_of(f: WindowFn, t: EventTime) -> Option<Vec<Window>> {
    match f {
        WindowFn::Sessions { .. } => None,
        _ => Some(crate::oracle::windows_of(f, t)),
    }
}
