//! Known-bug variants: bugs production stream engines have shipped,
//! injectable one at a time so the simulation can show that it catches
//! them (`tidemark known-bugs`).
//!
//! Compiled only with the `known-bugs` cargo feature, which is off by
//! default and refused in release builds: no shipped binary can carry a
//! mutant. The active variant is process-wide (an atomic), because a
//! sweep runs seeds on a thread pool and every engine of the run must
//! carry the same bug. Each hook in the engine and the sim is a small block
//! under `#[cfg(feature = "known-bugs")]` that asks [`on`].

#[cfg(not(debug_assertions))]
compile_error!(
    "the `known-bugs` feature is for tests and debug builds only, never a release build"
);

use std::sync::atomic::{AtomicU8, Ordering};

/// One injectable bug. The first group lives in the engine, the second in
/// the sim's workers (the consuming side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum KnownBug {
    /// Per-channel watermarks combined with max instead of min.
    WatermarkMaxNotMin = 1,
    /// Idle channels hold the watermark forever (the idle timeout is ignored).
    IdleHoldsForever,
    /// When an idle channel returns, the watermark drops back to its value.
    IdleReturnRegresses,
    /// The watermark can go backwards: a channel's watermark follows the
    /// latest record, not the largest seen, and every change is emitted.
    WatermarkBackwards,
    /// Processing-time timers due together fire latest first.
    ProcTimersWrongOrder,
    /// Processing-time timers fire one tick late.
    ProcTimerTickLate,
    /// Sliding windows miss the last window an element belongs to.
    SlidingMissesLastWindow,
    /// The on-time pane fires one tick before the watermark reaches the end.
    OnTimeOneTickEarly,
    /// The lateness boundary off by one: an element is still admitted at
    /// `watermark == end + allowed_lateness`.
    LatenessOffByOne,
    /// An element at exactly a fixed window's end is assigned to that window.
    EndElementInWindow,
    /// Accumulating-and-retracting mode emits no retractions.
    RetractionsMissing,
    /// Expired (late) elements are dropped without a dead letter.
    LateDataDroppedSilently,
    /// Elements are windowed by processing time instead of event time.
    WindowsByProcessingTime,
    /// Merging sessions keeps only one window's state.
    SessionMergeLosesState,
    /// Accumulating mode discards after each pane.
    AccumulatingDiscards,
    /// Early panes are labelled on time.
    EarlyLabelledOnTime,
    /// Deduplication forgets every id but the last one.
    DedupBroken,
    /// A retried duplicate is added to the engine twice even with dedup.
    RetriedDuplicatesDoubleCounted,
    /// A checkpoint restore keeps the crashed engine's windows and adds the
    /// checkpoint's on top.
    CheckpointRestoreLeaksState,
    /// A restore re-reads the log from one entry after the checkpoint's offsets.
    ReplaySkipsAnEntry,
}

impl KnownBug {
    /// Every variant, in table order.
    pub const ALL: [KnownBug; 20] = [
        KnownBug::WatermarkMaxNotMin,
        KnownBug::IdleHoldsForever,
        KnownBug::IdleReturnRegresses,
        KnownBug::WatermarkBackwards,
        KnownBug::ProcTimersWrongOrder,
        KnownBug::ProcTimerTickLate,
        KnownBug::SlidingMissesLastWindow,
        KnownBug::OnTimeOneTickEarly,
        KnownBug::LatenessOffByOne,
        KnownBug::EndElementInWindow,
        KnownBug::RetractionsMissing,
        KnownBug::LateDataDroppedSilently,
        KnownBug::WindowsByProcessingTime,
        KnownBug::SessionMergeLosesState,
        KnownBug::AccumulatingDiscards,
        KnownBug::EarlyLabelledOnTime,
        KnownBug::DedupBroken,
        KnownBug::RetriedDuplicatesDoubleCounted,
        KnownBug::CheckpointRestoreLeaksState,
        KnownBug::ReplaySkipsAnEntry,
    ];

    /// The variant's name, in snake case, as the table prints it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            KnownBug::WatermarkMaxNotMin => "watermark_max_not_min",
            KnownBug::IdleHoldsForever => "idle_holds_forever",
            KnownBug::IdleReturnRegresses => "idle_return_regresses",
            KnownBug::WatermarkBackwards => "watermark_backwards",
            KnownBug::ProcTimersWrongOrder => "proc_timers_wrong_order",
            KnownBug::ProcTimerTickLate => "proc_timer_tick_late",
            KnownBug::SlidingMissesLastWindow => "sliding_misses_last_window",
            KnownBug::OnTimeOneTickEarly => "on_time_one_tick_early",
            KnownBug::LatenessOffByOne => "lateness_off_by_one",
            KnownBug::EndElementInWindow => "end_element_in_window",
            KnownBug::RetractionsMissing => "retractions_missing",
            KnownBug::LateDataDroppedSilently => "late_data_dropped_silently",
            KnownBug::WindowsByProcessingTime => "windows_by_processing_time",
            KnownBug::SessionMergeLosesState => "session_merge_loses_state",
            KnownBug::AccumulatingDiscards => "accumulating_discards",
            KnownBug::EarlyLabelledOnTime => "early_labelled_on_time",
            KnownBug::DedupBroken => "dedup_broken",
            KnownBug::RetriedDuplicatesDoubleCounted => "retried_duplicates_double_counted",
            KnownBug::CheckpointRestoreLeaksState => "checkpoint_restore_leaks_state",
            KnownBug::ReplaySkipsAnEntry => "replay_skips_an_entry",
        }
    }

    /// The variant named `name`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<KnownBug> {
        KnownBug::ALL.into_iter().find(|b| b.name() == name)
    }
}

static ACTIVE: AtomicU8 = AtomicU8::new(0);

/// Makes `bug` the active variant for the whole process (`None`: the real
/// engine).
pub fn set(bug: Option<KnownBug>) {
    ACTIVE.store(bug.map_or(0, |b| b as u8), Ordering::SeqCst);
}

/// The active variant.
#[must_use]
pub fn active() -> Option<KnownBug> {
    let v = ACTIVE.load(Ordering::Relaxed);
    KnownBug::ALL.into_iter().find(|b| *b as u8 == v)
}

/// True when `bug` is the active variant.
#[inline]
#[must_use]
pub fn on(bug: KnownBug) -> bool {
    ACTIVE.load(Ordering::Relaxed) == bug as u8
}
