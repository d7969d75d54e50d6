//! Where session windows live: per key, sorted, each entry owning its
//! window's state (open) or tombstone (closed); and the event timers of a
//! session that grows in place.
//!
//! The other window functions keep their state in the window store
//! (`window_store`), by window then key, and a session's window changes
//! with nearly every element: keeping sessions in a store keyed by window
//! (as they once were, in one map by `(key, window)`) cost a remove and an
//! insert per element, on
//! top of the probe of the per-key index that finds which session the
//! element extends. Here the index is the store: the probe that finds the
//! session finds its state, and a session that grows changes the window in
//! its entry, nothing else.
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
use crate::table::{has_end_timer, Book, WindowTable};
use crate::time::{Duration, EventTime};
use crate::window::Window;
use crate::window_state::Slot;
use rustc_hash::FxHashMap;

/// One window of a session key, open or closed, with what the engine holds
/// for it.
#[derive(Debug, Clone)]
pub(crate) struct SessionEntry {
    pub(crate) window: Window,
    /// Open (with its state), or closed: the trigger finished, a tombstone
    /// until expiry.
    pub(crate) slot: Slot,
    /// The window whose timers are set in the tree for this session.
    anchor: Window,
    /// Whether `anchor` was given an end-of-window timer (besides expiry).
    anchor_end_timer: bool,
    /// Whether `window` would have been given an end-of-window timer: the
    /// watermark was before its end when it got this identity.
    end_timer: bool,
}

impl SessionEntry {
    pub(crate) fn is_open(&self) -> bool {
        !matches!(self.slot, Slot::Closed)
    }

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
        self.end_timer = has_end_timer(&to, watermark, lateness);
        // The anchor's end timer is pending until the watermark reaches it;
        // without it, the anchor's first timer is its expiry, which may be
        // later than the new end.
        let anchor_end_pending = self.anchor_end_timer && watermark < self.anchor.end;
        // A watermark that goes back (known-bug variants only) can make a
        // fired timer look pending: then the timers are set at once, as
        // Beam does for every merge.
        let regressing = known_bug!(IdleReturnRegresses | WatermarkBackwards);
        if regressing || (self.end_timer && !anchor_end_pending) {
            return Some(self.own_timers());
        }
        None
    }

    /// The entry becomes its own anchor: the caller sets the timers of its
    /// current window now. Returns whether that window gets an end timer.
    fn own_timers(&mut self) -> bool {
        self.anchor = self.window;
        self.anchor_end_timer = self.end_timer;
        self.end_timer
    }
}

/// Every session window, open or closed, of every key: each key's windows
/// sorted (by start, then end). Open sessions of a key never overlap;
/// a closed one may overlap others.
#[derive(Debug, Clone, Default)]
pub(crate) struct SessionIndex {
    keys: FxHashMap<Key, Entries>,
}

/// One key's session windows, sorted. Nearly always one, kept inline in the
/// map's bucket: in a vector, it would be one more pointer to follow (a
/// cache miss, with many keys) per element.
#[derive(Debug, Clone)]
enum Entries {
    One(SessionEntry),
    /// None (a merge about to refill it), or several.
    Many(Vec<SessionEntry>),
}

impl Default for Entries {
    fn default() -> Entries {
        Entries::Many(Vec::new())
    }
}

impl std::ops::Deref for Entries {
    type Target = [SessionEntry];
    #[inline]
    fn deref(&self) -> &[SessionEntry] {
        match self {
            Entries::One(e) => std::slice::from_ref(e),
            Entries::Many(v) => v,
        }
    }
}

impl std::ops::DerefMut for Entries {
    #[inline]
    fn deref_mut(&mut self) -> &mut [SessionEntry] {
        match self {
            Entries::One(e) => std::slice::from_mut(e),
            Entries::Many(v) => v,
        }
    }
}

impl Entries {
    fn insert(&mut self, i: usize, e: SessionEntry) {
        match self {
            Entries::Many(v) if v.is_empty() => *self = Entries::One(e),
            Entries::Many(v) => v.insert(i, e),
            Entries::One(_) => {
                let Entries::One(first) = std::mem::take(self) else {
                    unreachable!("matched one");
                };
                let mut v = Vec::with_capacity(2);
                v.push(first);
                v.insert(i, e);
                *self = Entries::Many(v);
            }
        }
    }

    fn remove(&mut self, i: usize) -> SessionEntry {
        match self {
            Entries::One(_) => match std::mem::take(self) {
                Entries::One(e) => e,
                Entries::Many(_) => unreachable!("matched one"),
            },
            Entries::Many(v) => {
                let e = v.remove(i);
                if v.len() == 1 {
                    if let Some(last) = v.pop() {
                        *self = Entries::One(last);
                    }
                }
                e
            }
        }
    }
}

impl SessionIndex {
    /// The entry of `window` of `key`.
    pub(crate) fn get(&self, key: Key, window: Window) -> Option<&SessionEntry> {
        let ws = self.keys.get(&key)?;
        let i = ws.binary_search_by(|e| e.window.cmp(&window)).ok()?;
        ws.get(i)
    }

    pub(crate) fn get_mut(&mut self, key: Key, window: Window) -> Option<&mut SessionEntry> {
        let ws = self.keys.get_mut(&key)?;
        let i = ws.binary_search_by(|e| e.window.cmp(&window)).ok()?;
        ws.get_mut(i)
    }

    /// Adds `window` of `key` (it must not be there), with its own timers
    /// (`end_timer`: whether it got an end-of-window timer). Returns its
    /// entry.
    fn insert(
        &mut self,
        key: Key,
        window: Window,
        slot: Slot,
        end_timer: bool,
    ) -> &mut SessionEntry {
        let ws = self.keys.entry(key).or_default();
        let i = match ws.binary_search_by(|e| e.window.cmp(&window)) {
            Err(i) => i,
            Ok(_) => unreachable!("indexing {window} twice"),
        };
        ws.insert(
            i,
            SessionEntry {
                window,
                slot,
                anchor: window,
                anchor_end_timer: end_timer,
                end_timer,
            },
        );
        &mut ws[i]
    }

    /// Takes `window` of `key` out (expired or merged away). Its timers,
    /// and its anchor's, go stale. `keep_empty`: leave the key's (possibly
    /// empty) vector, as a merge refills it at once.
    pub(crate) fn remove(&mut self, key: Key, window: Window, keep_empty: bool) -> Option<Slot> {
        let ws = self.keys.get_mut(&key)?;
        let i = ws.binary_search_by(|e| e.window.cmp(&window)).ok()?;
        let e = ws.remove(i);
        if ws.is_empty() && !keep_empty {
            self.keys.remove(&key);
        }
        Some(e.slot)
    }

    /// The one window of `key` that `own` overlaps, if exactly one does.
    #[inline]
    pub(crate) fn sole_overlap(&mut self, key: Key, own: &Window) -> Option<&mut SessionEntry> {
        let ws = self.keys.get_mut(&key)?;
        // The usual case: the key has one session.
        if let Entries::One(e) = ws {
            return e.window.intersects(own).then_some(e);
        }
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

    /// The key's open sessions, in order.
    pub(crate) fn open_windows(&self, key: Key) -> impl Iterator<Item = Window> + '_ {
        self.keys
            .get(&key)
            .into_iter()
            .flat_map(|ws| ws.iter())
            .filter(|e| e.is_open())
            .map(|e| e.window)
    }

    /// Every window with its slot, in no particular order.
    pub(crate) fn slots(&self) -> impl Iterator<Item = (Window, &Slot)> + '_ {
        self.keys
            .values()
            .flat_map(|ws| ws.iter())
            .map(|e| (e.window, &e.slot))
    }

    /// How many windows are indexed.
    pub(crate) fn len(&self) -> usize {
        self.keys.values().map(|ws| ws.len()).sum()
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
}

impl WindowTable {
    /// Makes the session `window` of `key` open with `slot` (open or lean;
    /// it must not be known) and sets its timers. Returns its entry.
    pub(crate) fn install_session(
        &mut self,
        key: Key,
        window: Window,
        slot: Slot,
        watermark: EventTime,
        lateness: Duration,
    ) -> &mut SessionEntry {
        let end_timer = self.book.opened(key, window, watermark, lateness);
        self.sessions.insert(key, window, slot, end_timer)
    }

    /// `close` for a session: it stops growing, so its own timers are set
    /// now if it was still on its anchor's. Returns the open state it had.
    pub(crate) fn close_session(
        &mut self,
        key: Key,
        window: Window,
        lateness: Duration,
    ) -> Option<Slot> {
        let e = self.sessions.get_mut(key, window)?;
        let was = std::mem::replace(&mut e.slot, Slot::Closed);
        if e.anchor != window {
            let end_timer = e.own_timers();
            self.book.set_timers(key, window, end_timer, lateness);
        }
        Some(was)
    }

    /// A timer for `anchor` fired and found no window with that identity:
    /// if a session grew from it, the session's own timers are set now (a
    /// watermark step takes those still due in the same step, in order).
    /// Otherwise the timer was stale.
    pub(crate) fn anchor_fired(&mut self, key: Key, anchor: Window, lateness: Duration) {
        if !self.book.merging {
            return;
        }
        let Some(ws) = self.sessions.keys.get_mut(&key) else {
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
        let window = e.window;
        let end_timer = e.own_timers();
        self.book.set_timers(key, window, end_timer, lateness);
    }
}

#[cfg(test)]
mod tests {
    use super::{Entries, SessionIndex};
    use crate::output::Key;
    use crate::time::EventTime;
    use crate::window::Window;
    use crate::window_state::Slot;

    fn w(start: i64, end: i64) -> Window {
        Window::new(EventTime(start), EventTime(end))
    }

    fn windows(index: &SessionIndex, key: Key) -> Vec<Window> {
        index.keys[&key].iter().map(|e| e.window).collect()
    }

    /// A key's windows stay sorted and findable as the key goes from one
    /// (inline) to several (a vector) and back, and to none.
    #[test]
    fn one_key_from_one_window_to_several_and_back() {
        let (k, other) = (Key(7), Key(8));
        let mut index = SessionIndex::default();
        index.insert(k, w(10, 20), Slot::Closed, false);
        index.insert(other, w(0, 100), Slot::Closed, false);
        assert!(matches!(index.keys[&k], Entries::One(_)));
        assert_eq!(
            index.sole_overlap(k, &w(15, 25)).map(|e| e.window),
            Some(w(10, 20))
        );
        assert!(index.sole_overlap(k, &w(20, 30)).is_none(), "touching only");

        index.insert(k, w(30, 40), Slot::Closed, false);
        index.insert(k, w(0, 5), Slot::Closed, false);
        assert_eq!(windows(&index, k), [w(0, 5), w(10, 20), w(30, 40)]);
        assert!(index.sole_overlap(k, &w(15, 35)).is_none(), "two overlap");
        assert_eq!(
            index.sole_overlap(k, &w(35, 45)).map(|e| e.window),
            Some(w(30, 40))
        );
        assert_eq!(index.len(), 4);

        assert!(index.remove(k, w(0, 5), false).is_some());
        assert!(index.remove(k, w(30, 40), false).is_some());
        assert!(matches!(index.keys[&k], Entries::One(_)));
        assert!(index.get(k, w(10, 20)).is_some());
        assert!(index.get(k, w(30, 40)).is_none());

        // A merge takes the last window out and installs another at once:
        // the key's (empty) entry stays meanwhile.
        assert!(index.remove(k, w(10, 20), true).is_some());
        assert!(index.keys[&k].is_empty());
        assert!(index.sole_overlap(k, &w(15, 25)).is_none());
        index.insert(k, w(10, 25), Slot::Closed, false);
        assert_eq!(windows(&index, k), [w(10, 25)]);

        assert!(index.remove(k, w(10, 25), false).is_some());
        assert!(!index.keys.contains_key(&k));
        assert_eq!(index.len(), 1);
        assert_eq!(windows(&index, other), [w(0, 100)]);
    }
}
