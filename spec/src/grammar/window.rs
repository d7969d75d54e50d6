//! How elements are assigned to windows, as written, and the engine's
//! [`WindowFn`] for it.

use crate::duration::Spelling;
use crate::short_form::{short_or_full, ShortOrFull};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use tidemark_engine::WindowFn;

/// How elements are assigned to windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(
    rename_all = "snake_case",
    deny_unknown_fields,
    bound = "D: Spelling",
    expecting = "a window: {fixed: SIZE}, {sliding: {size, period}}, {sessions: GAP} or global"
)]
#[schemars(bound = "D: Spelling", rename = "WindowSpec")]
pub enum WindowSpec<D> {
    /// Tumbling windows: `{fixed: 1m}` or `{fixed: {size: 1m, offset: 10s}}`.
    Fixed(
        #[serde(deserialize_with = "fixed_short_or_full")]
        #[schemars(with = "ShortOrFull<D, FixedWindow<D>>")]
        FixedWindow<D>,
    ),
    /// Overlapping windows: `{sliding: {size: 1m, period: 10s, offset: 0s}}`.
    Sliding(SlidingWindow<D>),
    /// Per-key sessions that merge when they overlap: `{sessions: 30s}` or
    /// `{sessions: {gap: 30s}}`.
    Sessions(
        #[serde(deserialize_with = "sessions_short_or_full")]
        #[schemars(with = "ShortOrFull<D, SessionsWindow<D>>")]
        SessionsWindow<D>,
    ),
    /// One window for all time.
    Global,
}

/// Tumbling windows `[offset + k·size, offset + (k+1)·size)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, bound = "D: Spelling")]
#[schemars(bound = "D: Spelling", rename = "FixedWindow")]
pub struct FixedWindow<D> {
    /// Window length, positive.
    pub size: D,
    /// Phase of the window boundaries, not negative (default 0).
    #[serde(default)]
    pub offset: D,
}

/// Windows of length `size` starting every `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, bound = "D: Spelling")]
#[schemars(bound = "D: Spelling", rename = "SlidingWindow")]
pub struct SlidingWindow<D> {
    /// Window length, positive.
    pub size: D,
    /// Distance between window starts, positive.
    pub period: D,
    /// Phase of the window starts, not negative (default 0).
    #[serde(default)]
    pub offset: D,
}

/// Activity sessions per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, bound = "D: Spelling")]
#[schemars(bound = "D: Spelling", rename = "SessionsWindow")]
pub struct SessionsWindow<D> {
    /// Inactivity gap that closes a session, positive.
    pub gap: D,
}

fn fixed_short_or_full<'de, De: Deserializer<'de>, D: Spelling>(
    d: De,
) -> Result<FixedWindow<D>, De::Error> {
    short_or_full(d, "a window size, or {size, offset}", |size| FixedWindow {
        size,
        offset: D::ZERO,
    })
}

fn sessions_short_or_full<'de, De: Deserializer<'de>, D: Spelling>(
    d: De,
) -> Result<SessionsWindow<D>, De::Error> {
    short_or_full(d, "a session gap, or {gap}", |gap| SessionsWindow { gap })
}

impl<D: Spelling> WindowSpec<D> {
    /// The engine's window function.
    #[must_use]
    pub fn to_engine(&self) -> WindowFn {
        match *self {
            WindowSpec::Fixed(w) => WindowFn::Fixed {
                size: w.size.duration(),
                offset: w.offset.duration(),
            },
            WindowSpec::Sliding(w) => WindowFn::Sliding {
                size: w.size.duration(),
                period: w.period.duration(),
                offset: w.offset.duration(),
            },
            WindowSpec::Sessions(w) => WindowFn::Sessions {
                gap: w.gap.duration(),
            },
            WindowSpec::Global => WindowFn::Global,
        }
    }

    /// The key its parameters are written under (`fixed`), `None` for `global`.
    #[must_use]
    pub fn kind(&self) -> Option<&'static str> {
        match self {
            WindowSpec::Fixed(_) => Some("fixed"),
            WindowSpec::Sliding(_) => Some("sliding"),
            WindowSpec::Sessions(_) => Some("sessions"),
            WindowSpec::Global => None,
        }
    }
}
