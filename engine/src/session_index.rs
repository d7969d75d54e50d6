//! The per-key index of session windows, and the event timers of a session
//! that grows in place.
//!
//! A session window's identity includes its end, so a session extended by
//! an element is a new window: Beam Java re-keys its state and sets new
//! end-of-window and expiry timers, leaving the old ones to find nothing
//! when they fire. Doing that for every element put a new timer in the tree
//! per element. Instead, a session that only grows keeps the timers it had
//! (its *anchor*, the window they were set for); when the first of them
//! fires, the timers the current window would have had are set then, at
//! their own times. Nothing observable moves: the anchor's first pending
//! timer is never later than the current window's timers, a watermark step
//! takes timers one time at a time (so timers set while it runs are taken in
//! order, in the same step), and an anchor timer activates nothing itself.
//! That needs a watermark that never goes back: under the known-bug
//! variants where it does, a grown session's timers are set at once.
//!
//! Invariant: an entry whose anchor differs from its window is open (closing
//! sets the current timers at once), and while a session is open no other
//! window with its anchor's identity can exist (any such window would
//! overlap it and merge), so an anchor timer that finds no state is
//! recognised by its window alone.

use crate::output::Key;
use crate::table::Book;
use crate::time::{Duration, EventTime};
use crate::window::Window;

/// One window of a session key, open or closed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SessionEntry {
    pub(crate) window: Window,
    /// False once the trigger finished (a tombstone until expiry).
    pub(crate) open: bool,
    /// The window whose timers are set in the tree for this session.
    anchor: Window,
    /// Whether `anchor` was given an end-of-window timer (besides expiry).
    anchor_end_timer: bool,
    /// Whether `window` would have been given an end-of-window timer: the
    /// watermark was before its end when it got this identity.
    end_timer: bool,
}

impl SessionEntry {
    /// The open session grew to `to` (same start, later end) at
    /// `watermark`: the entry takes the new identity and keeps its anchor's
    /// timers, unless the new window wants an end timer earlier than the
    /// anchor's first pending timer: then `to` becomes the anchor, and the
    /// caller must set its timers now (returns whether `to` wants an end
    /// timer). The index stays sorted as long as no other window of the key
    /// overlaps `to`.
    pub(crate) fn grow(
        &mut self,
        to: Window,
        watermark: EventTime,
        lateness: Duration,
    ) -> Option<bool> {
        self.window = to;
        self.end_timer = to.expiry(lateness) != to.end && watermark < to.end;
        // The anchor's end timer is pending until the watermark reaches it;
        // without it, the anchor's first timer is its expiry, which may be
        // later than the new end.
        let anchor_end_pending = self.anchor_end_timer && watermark < self.anchor.end;
        // A watermark that goes back (known-bug variants only) can make a
        // fired timer look pending: then the timers are set at once, as
        // Beam does for every merge.
        let regressing = known_bug!(IdleReturnRegresses | WatermarkBackwards);
        if regressing || (self.end_timer && !anchor_end_pending) {
            self.anchor = to;
            self.anchor_end_timer = self.end_timer;
            return Some(self.end_timer);
        }
        None
    }
}

impl Book {
    /// The event timers a window gets when it takes its identity at
    /// `watermark`: one at its end (the end-of-window activation) unless
    /// the watermark already passed it, and one at its expiry; with zero
    /// lateness the end is the expiry, so there is one timer.
    pub(crate) fn set_timers(
        &mut self,
        key: Key,
        window: Window,
        end_timer: bool,
        lateness: Duration,
    ) {
        if end_timer {
            self.add_event_timer(window.end, key, window);
        }
        self.add_event_timer(window.expiry(lateness), key, window);
    }

    /// Indexes a session window just installed with its own timers.
    pub(crate) fn index_session(&mut self, key: Key, window: Window, end_timer: bool) {
        let ws = self.sessions.entry(key).or_default();
        if let Err(i) = ws.binary_search_by(|e| e.window.cmp(&window)) {
            ws.insert(
                i,
                SessionEntry {
                    window,
                    open: true,
                    anchor: window,
                    anchor_end_timer: end_timer,
                    end_timer,
                },
            );
        }
    }

    /// Drops a session window from the index (expired or merged away). Its
    /// timers, and its anchor's, go stale. `keep_empty`: leave the key's
    /// (possibly empty) vector, as a merge refills it at once.
    pub(crate) fn unindex_session(&mut self, key: Key, window: Window, keep_empty: bool) {
        let Some(ws) = self.sessions.get_mut(&key) else {
            return;
        };
        if let Ok(i) = ws.binary_search_by(|e| e.window.cmp(&window)) {
            ws.remove(i);
        }
        if ws.is_empty() && !keep_empty {
            self.sessions.remove(&key);
        }
    }

    /// The one window of `key` that `own` overlaps, if exactly one does.
    pub(crate) fn sole_overlap(&mut self, key: Key, own: &Window) -> Option<&mut SessionEntry> {
        let ws = self.sessions.get_mut(&key)?;
        // Windows starting before `own` ends are a prefix (the index is
        // sorted); of those, the ones ending after it starts overlap it.
        let before_end = ws.partition_point(|e| e.window.start < own.end);
        let mut overlapping = ws[..before_end]
            .iter_mut()
            .filter(|e| e.window.end > own.start);
        match (overlapping.next(), overlapping.next()) {
            (Some(e), None) => Some(e),
            _ => None,
        }
    }

    /// The session window was closed: it stops growing, so its own timers
    /// are set now if it was still on its anchor's.
    pub(crate) fn session_closed(&mut self, key: Key, window: Window, lateness: Duration) {
        let Some(e) = self.session_entry_mut(key, window) else {
            return;
        };
        e.open = false;
        if e.anchor != window {
            let end_timer = e.end_timer;
            e.anchor = window;
            e.anchor_end_timer = end_timer;
            self.set_timers(key, window, end_timer, lateness);
        }
    }

    /// A timer for `anchor` fired and found no window with that identity:
    /// if a session grew from it, the session's own timers are set now (a
    /// watermark step takes those still due in the same step, in order).
    /// Otherwise the timer was stale.
    pub(crate) fn anchor_fired(&mut self, key: Key, anchor: Window, lateness: Duration) {
        if !self.merging {
            return;
        }
        let Some(ws) = self.sessions.get_mut(&key) else {
            return;
        };
        // The session kept its anchor's start.
        let i = ws.partition_point(|e| e.window.start < anchor.start);
        let Some(e) = ws[i..]
            .iter_mut()
            .take_while(|e| e.window.start == anchor.start)
            .find(|e| e.anchor == anchor && e.window != anchor)
        else {
            return;
        };
        let (window, end_timer) = (e.window, e.end_timer);
        e.anchor = window;
        e.anchor_end_timer = end_timer;
        self.set_timers(key, window, end_timer, lateness);
    }

    pub(crate) fn session_entry_mut(
        &mut self,
        key: Key,
        window: Window,
    ) -> Option<&mut SessionEntry> {
        let ws = self.sessions.get_mut(&key)?;
        let i = ws.binary_search_by(|e| e.window.cmp(&window)).ok()?;
        ws.get_mut(i)
    }
}
