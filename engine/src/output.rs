//! What the engine emits: panes and dead letters.

use crate::aggregate::AggValue;
use crate::time::{EventTime, ProcTime};
use crate::window::Window;
use std::fmt;

/// A grouping key. Callers map their own keys (strings, ids) to these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Key(pub u64);

/// One input element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Record {
    /// Unique id of the event (duplicates from retries share it).
    pub id: u64,
    /// Grouping key.
    pub key: Key,
    /// The value aggregated.
    pub value: i64,
    /// Event time.
    pub time: EventTime,
}

/// Where a pane stands relative to the watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timing {
    /// Before the watermark passed the end of the window.
    Early,
    /// The first pane after the watermark passed the end of the window.
    OnTime,
    /// Any pane after the on-time one.
    Late,
}

impl Timing {
    /// The spelling used in transcripts and JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Timing::Early => "early",
            Timing::OnTime => "on_time",
            Timing::Late => "late",
        }
    }
}

impl fmt::Display for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Beam's pane metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PaneInfo {
    /// Early, on time, or late.
    pub timing: Timing,
    /// 0 for the window's first pane, counting every pane emitted.
    pub index: u64,
    /// −1 for early panes; otherwise counts the non-early panes from 0.
    pub nonspeculative_index: i64,
    /// True for the window's first pane.
    pub is_first: bool,
    /// True for the window's last pane: its trigger finished or it expired.
    pub is_last: bool,
}

/// A window's result at one firing, or the withdrawal of an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pane {
    /// The key.
    pub key: Key,
    /// The window.
    pub window: Window,
    /// The aggregate (for a retraction, the value withdrawn).
    pub value: AggValue,
    /// Output timestamp, chosen by the timestamp combiner.
    pub timestamp: EventTime,
    /// Pane metadata (for a retraction, that of the pane withdrawn).
    pub info: PaneInfo,
    /// True when this output withdraws an earlier pane.
    pub retraction: bool,
    /// Processing time of the firing.
    pub fired_at: ProcTime,
    /// Input watermark at the firing.
    pub watermark: EventTime,
}

/// Why an element went to the dead letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeadLetterReason {
    /// The watermark had reached `end + allowed_lateness` of the window.
    WindowExpired,
    /// The window's trigger had finished.
    WindowClosed,
    /// The engine was at `windows_open_max`.
    StateLimit,
}

impl DeadLetterReason {
    /// The spelling used in transcripts and JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            DeadLetterReason::WindowExpired => "window expired",
            DeadLetterReason::WindowClosed => "window closed",
            DeadLetterReason::StateLimit => "state limit",
        }
    }
}

impl fmt::Display for DeadLetterReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An element (or the part of it for some of its windows) the engine could
/// not admit. Nothing is dropped silently.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeadLetter {
    /// The element.
    pub record: Record,
    /// The windows it was refused from (for sliding windows, maybe a subset).
    pub windows: Vec<Window>,
    /// Input watermark when it arrived.
    pub watermark: EventTime,
    /// Why.
    pub reason: DeadLetterReason,
    /// Processing time when it arrived.
    pub at: ProcTime,
}

/// Everything [`crate::Engine::poll_output`] can return.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Output {
    /// A pane or a retraction.
    Pane(Pane),
    /// A refused element.
    DeadLetter(DeadLetter),
}
