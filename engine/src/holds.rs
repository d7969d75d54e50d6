//! Watermark holds and the per-key output watermark, as Beam Java's
//! `WatermarkHold` and `ReduceFnTester` compute them.
//!
//! An element places a hold at its output time (the window's max timestamp
//! under `end_of_window`, its own time under `earliest`/`latest`) unless it
//! is too late: the hold would be behind the key's output watermark, or the
//! input watermark already passed the window's max timestamp. A pane
//! releases its window's hold; nothing re-adds one, and there is no
//! end-of-window hold (Beam removed it in BEAM-3052). Java also places a
//! garbage-collection hold at `max_timestamp + allowed_lateness` for a
//! too-late element; it is never observable (it is never behind the input
//! watermark while the window lives, and a pane's timestamp ignores it), so
//! it is not kept.
//!
//! The output watermark is per key, as in `ReduceFnTester`: it moves only at
//! the end of a watermark step, to the earliest hold among the key's windows,
//! or to the input watermark when the key holds nothing earlier. During a
//! step, and between steps, panes see the value of the last completed step.
//! Per key keeps a key's panes independent of which other keys share its
//! worker. (A production runner's output watermark spans the whole stage.)

use crate::output::Key;
use crate::pipeline::TimestampCombiner;
use crate::table::WindowTable;
use crate::time::EventTime;
use crate::window::Window;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// The per-key output watermarks and the index of element holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct OutputWatermarks {
    /// The input watermark at the end of the last watermark step
    /// (`EventTime::MIN`, Java's `null`, before the first).
    step_watermark: EventTime,
    /// Keys whose output watermark the last step left behind
    /// `step_watermark`, at their earliest hold. Every other key's output
    /// watermark is `step_watermark`.
    held: FxHashMap<Key, EventTime>,
    /// Every hold placed, bucketed by its time. Entries are deleted lazily:
    /// one is live while its window still holds at that time. Only buckets
    /// behind the input watermark are read (and pruned), at the end of a step.
    index: BTreeMap<EventTime, Vec<(Key, Window)>>,
}

impl OutputWatermarks {
    pub(crate) fn new() -> OutputWatermarks {
        OutputWatermarks {
            step_watermark: EventTime::MIN,
            ..OutputWatermarks::default()
        }
    }

    /// Whether every key's output watermark is the same (`of` any key).
    #[inline]
    pub(crate) fn uniform(&self) -> bool {
        self.held.is_empty()
    }

    /// The key's output watermark, as of the last completed watermark step.
    #[inline]
    pub(crate) fn of(&self, key: Key) -> EventTime {
        if self.held.is_empty() {
            return self.step_watermark;
        }
        self.held.get(&key).copied().unwrap_or(self.step_watermark)
    }

    /// Where an element at `t` in `window` holds the output watermark, or
    /// `None` when it is too late to (Java's `addElementHold`).
    #[inline]
    pub(crate) fn element_hold(
        &self,
        combiner: TimestampCombiner,
        key: Key,
        window: &Window,
        t: EventTime,
        input_watermark: EventTime,
    ) -> Option<EventTime> {
        // "Too late for end-of-window timer": the input watermark is past
        // the window's max timestamp.
        if input_watermark >= window.end {
            return None;
        }
        // "Too late to affect the output watermark": behind the key's
        // output watermark, which is never ahead of `step_watermark`, which
        // is never ahead of the input watermark (a step ends with it).
        debug_assert!(known_bug_any!() || self.step_watermark <= input_watermark);
        let hold = match combiner {
            // At the max timestamp, so at or after the input watermark
            // (before the end): never too late. Every element of the most
            // common shape comes here, so it is answered with no more.
            TimestampCombiner::EndOfWindow => return Some(window.max_timestamp()),
            TimestampCombiner::Earliest | TimestampCombiner::Latest => t,
        };
        // The lookup is needed only for holds behind `step_watermark`.
        if hold < self.step_watermark && hold < self.of(key) {
            return None;
        }
        Some(hold)
    }

    /// Records that `window` of `key` now holds at `at`. An
    /// `end_of_window` hold (at the max timestamp) can only fall behind the
    /// input watermark once the watermark passes the window's end, so it is
    /// indexed then, by `still_held`, if the window didn't fire: most never
    /// are, which keeps the per-record path free of index pushes.
    #[inline]
    pub(crate) fn placed(
        &mut self,
        combiner: TimestampCombiner,
        key: Key,
        window: Window,
        at: EventTime,
    ) {
        if combiner != TimestampCombiner::EndOfWindow {
            self.index(key, window, at);
        }
    }

    /// The watermark passed the window's end and it still holds at `at`.
    pub(crate) fn still_held(
        &mut self,
        combiner: TimestampCombiner,
        key: Key,
        window: Window,
        at: EventTime,
    ) {
        if combiner == TimestampCombiner::EndOfWindow {
            self.index(key, window, at);
        }
    }

    fn index(&mut self, key: Key, window: Window, at: EventTime) {
        self.index.entry(at).or_default().push((key, window));
    }

    /// The end of a watermark step at `watermark`: every key's output
    /// watermark becomes its earliest live hold, or `watermark`.
    pub(crate) fn end_step(&mut self, watermark: EventTime, table: &WindowTable) {
        self.held.clear();
        let mut emptied: Vec<EventTime> = Vec::new();
        for (&at, entries) in self.index.range_mut(..watermark) {
            entries.retain(|(key, window)| {
                table.slot(*key, *window).and_then(|s| s.hold(window)) == Some(at)
            });
            if entries.len() > 1 {
                entries.sort_unstable();
                entries.dedup();
            }
            for (key, _) in entries.iter() {
                // Buckets come in time order: the first hold seen is the earliest.
                self.held.entry(*key).or_insert(at);
            }
            if entries.is_empty() {
                emptied.push(at);
            }
        }
        for at in emptied {
            self.index.remove(&at);
        }
        if watermark == EventTime::MAX {
            // Every window has expired: whatever is left is stale.
            self.index.clear();
        }
        self.step_watermark = watermark;
    }
}

/// Combines a window's hold with another (of a merged window, or a new
/// element's): the earliest, or the latest under `latest` (Java's
/// `TimestampCombiner.merge`).
#[inline]
pub(crate) fn combine(
    combiner: TimestampCombiner,
    a: Option<EventTime>,
    b: Option<EventTime>,
) -> Option<EventTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(match combiner {
            TimestampCombiner::Latest => a.max(b),
            TimestampCombiner::EndOfWindow | TimestampCombiner::Earliest => a.min(b),
        }),
        (a, b) => a.or(b),
    }
}
