//! Checkpoints of an engine: [`Engine::snapshot`] returns a plain value
//! holding everything the engine would need to carry on (window and
//! trigger state, event- and processing-time timers, holds, pane counters,
//! watermark, processing clock, stats, undrained outputs), and
//! [`Engine::restore`] rebuilds an engine that behaves identically from
//! then on.
//!
//! The snapshot is a deep copy of the engine's state, not bytes: the
//! engine stays sans-IO, and whoever stores checkpoints (the simulator)
//! decides where they live. [`EngineSnapshot::approx_bytes`] estimates what
//! a serialised form would weigh, so checkpoint cost can be reported.

use crate::driver::Engine;
use crate::stats::StateSize;

/// A consistent copy of an [`Engine`]'s state at one point between calls.
#[derive(Debug, Clone)]
pub struct EngineSnapshot {
    engine: Engine,
}

impl Engine {
    /// A copy of all the engine's state. Taking it does not change the engine.
    #[must_use]
    pub fn snapshot(&self) -> EngineSnapshot {
        EngineSnapshot {
            engine: self.clone(),
        }
    }

    /// An engine in exactly the state `snapshot` captured: the same calls
    /// from here on give the same outputs as the engine it was taken from.
    #[must_use]
    pub fn restore(snapshot: &EngineSnapshot) -> Engine {
        snapshot.engine.clone()
    }
}

/// Per-window bookkeeping a serialised window carries besides its values:
/// key, window bounds, pane counters, trigger state and flags.
const WINDOW_BYTES: usize = 96;
/// One aggregated value, or one element of a `collect`.
const VALUE_BYTES: usize = 16;
/// One timer: time, kind, key and window.
const TIMER_BYTES: usize = 32;
/// A queued output (a pane or a dead letter).
const OUTPUT_BYTES: usize = 96;
/// Watermark, clock, counters.
const HEADER_BYTES: usize = 128;

impl EngineSnapshot {
    /// What the snapshot holds, in the engine's own units.
    #[must_use]
    pub fn state_size(&self) -> StateSize {
        self.engine.state_size()
    }

    /// An estimate of the snapshot's serialised size in bytes, from the
    /// state it holds (windows, values, timers, queued outputs).
    #[must_use]
    pub fn approx_bytes(&self) -> usize {
        let s = self.engine.state_size();
        let n = |x: u64| usize::try_from(x).unwrap_or(usize::MAX);
        HEADER_BYTES
            .saturating_add(n(s.windows_open + s.windows_closed).saturating_mul(WINDOW_BYTES))
            .saturating_add(n(s.values_held).saturating_mul(VALUE_BYTES))
            .saturating_add(n(s.timers).saturating_mul(TIMER_BYTES))
            .saturating_add(n(s.outputs_queued).saturating_mul(OUTPUT_BYTES))
    }
}
