//! Tidemark's event-time windowing engine: the Beam model plus a dead-letter
//! output.
//!
//! The engine never does IO, never reads a clock and never draws a random
//! number: time comes in as arguments (`now` for processing time, the
//! watermark for event time), and outputs are pulled with
//! [`Engine::poll_output`]. The same calls in the same order give the same
//! outputs, byte for byte. `clippy.toml` bans the standard library's
//! clocks and rand's thread-local generator here.
//!
//! Data flows one way: [`Record`]s and watermarks in, [`Output`]s out.
//! [`WatermarkTracker`] turns what sources send into a watermark, for callers
//! that don't supply their own.
#![warn(missing_docs, unreachable_pub)]

/// True when the named known-bug variant (`known_bugs::KnownBug`) is
/// active. Without the `known-bugs` feature it is the constant `false`, so
/// every hook compiles away and the default build is the real engine.
macro_rules! known_bug {
    ($($v:ident)|+) => {{
        #[cfg(feature = "known-bugs")]
        let on = false $(|| crate::known_bugs::on(crate::known_bugs::KnownBug::$v))+;
        #[cfg(not(feature = "known-bugs"))]
        let on = false;
        on
    }};
}

/// True when any known-bug variant is active: the engine's own debug
/// assertions stand down, so that only the simulation can catch a mutant.
macro_rules! known_bug_any {
    () => {{
        #[cfg(feature = "known-bugs")]
        let on = crate::known_bugs::active().is_some();
        #[cfg(not(feature = "known-bugs"))]
        let on = false;
        on
    }};
}

mod admission;
mod aggregate;
mod assigned;
mod driver;
mod expiry;
mod holds;
#[cfg(feature = "known-bugs")]
pub mod known_bugs;
mod output;
mod output_queue;
mod panes;
mod pipeline;
mod prefetch;
mod session_index;
mod sessions;
#[cfg(test)]
mod shape_tests;
mod snapshot;
mod stats;
mod table;
mod time;
mod trigger;
mod triggers;
mod watermark;
mod window;
mod window_state;
mod window_store;

pub use aggregate::{AggValue, Aggregate};
pub use driver::Engine;
pub use output::{DeadLetter, DeadLetterReason, Key, Output, Pane, PaneInfo, Record, Timing};
pub use pipeline::{
    Accumulation, ConfigError, OnTimeBehavior, Pipeline, TimestampCombiner,
    SLIDING_WINDOWS_PER_ELEMENT_MAX,
};
pub use snapshot::EngineSnapshot;
pub use stats::{EngineConfig, EngineStats, StateSize, WindowStatus};
pub use time::{Duration, EventTime, ProcTime};
pub use trigger::Trigger;
pub use watermark::{WatermarkConfig, WatermarkStrategy, WatermarkTracker};
pub use window::{Window, WindowFn};
