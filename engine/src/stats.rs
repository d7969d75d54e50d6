//! The engine's limits, its state size and its counters.

/// Limits that keep the engine's memory bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Open windows (over all keys) the engine will hold. An element that
    /// would open one more becomes a dead letter with reason `state limit`.
    pub windows_open_max: u64,
}

impl EngineConfig {
    /// Ten million open windows: far above any shipped scenario.
    pub const DEFAULT: EngineConfig = EngineConfig {
        windows_open_max: 10_000_000,
    };
}

/// How much state the engine holds. All zero once the watermark reaches +∞
/// and the outputs are drained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateSize {
    /// Windows that can still fire.
    pub windows_open: u64,
    /// Windows whose trigger finished, kept until expiry so that later
    /// elements are dead-lettered as `window closed`.
    pub windows_closed: u64,
    /// Accumulator values held (one per window, or one per element for `collect`).
    pub values_held: u64,
    /// Event-time and processing-time timers set.
    pub timers: u64,
    /// Outputs not yet polled.
    pub outputs_queued: u64,
}

impl StateSize {
    /// True when nothing at all is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == StateSize::default()
    }
}

/// Counters over the engine's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngineStats {
    /// Records handed in.
    pub records_in: u64,
    /// Records (or parts of records, for sliding windows) dead-lettered.
    pub dead_letters: u64,
    /// Panes emitted, not counting retractions.
    pub panes: u64,
    /// Retractions emitted.
    pub retractions: u64,
    /// Watermarks ignored because they would have moved the watermark back.
    pub watermark_regressions: u64,
    /// Calls whose `now` was behind an earlier call's (treated as the earlier `now`).
    pub clock_regressions: u64,
    /// Most windows open at once.
    pub windows_open_peak: u64,
}

/// What the engine holds for one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowStatus {
    /// The window holds state and can fire.
    Open,
    /// The window's trigger finished; a tombstone is kept until expiry.
    Closed,
}
