//! The window table: every window the engine knows, open or closed, with
//! the timers that will wake it. It keeps the counters in step with the map,
//! so no other module touches `windows_open` or `windows_closed`.

use crate::output::Key;
use crate::session_index::SessionEntry;
use crate::time::{Duration, EventTime, ProcTime};
use crate::trigger::Trigger;
use crate::window::Window;
use crate::window_state::{Slot, WindowKey, WindowState};
use rustc_hash::FxHashMap;
use std::collections::{btree_map, BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default)]
pub(crate) struct WindowTable {
    pub(crate) states: FxHashMap<WindowKey, Slot>,
    /// Everything about the windows besides their state.
    pub(crate) book: Book,
    pub(crate) spare: crate::window_state::SparePool,
}

/// The table's bookkeeping, a field apart from `states` so that a window's
/// state can be borrowed from the map while the bookkeeping is updated.
#[derive(Debug, Clone, Default)]
pub(crate) struct Book {
    /// Sessions only: every window (open or closed) of each key, sorted
    /// (see `session_index`).
    pub(crate) sessions: FxHashMap<Key, Vec<SessionEntry>>,
    /// Event-time timers bucketed by time: one at the window's end (the
    /// end-of-window activation) and one at its expiry. Entries are deleted
    /// lazily: a timer whose window was merged away, closed or re-installed
    /// is recognised as stale when it fires, which keeps the per-record path
    /// free of tree deletions. A growing session keeps its old timers until
    /// the first fires (`session_index`).
    event_timers: BTreeMap<EventTime, Bucket>,
    event_timer_entries: u64,
    /// Processing-time timers: the first time at which each window's trigger
    /// could be ready.
    pub(crate) proc_timers: BTreeSet<(ProcTime, Key, Window)>,
    pub(crate) windows_open: u64,
    pub(crate) windows_closed: u64,
    pub(crate) windows_open_peak: u64,
    pub(crate) merging: bool,
}

impl Book {
    /// Counts a newly opened window and sets its timers (see
    /// `set_timers`).
    pub(crate) fn opened(
        &mut self,
        key: Key,
        window: Window,
        watermark: EventTime,
        lateness: Duration,
    ) {
        let end_timer = window.expiry(lateness) != window.end && watermark < window.end;
        self.set_timers(key, window, end_timer, lateness);
        if self.merging {
            self.index_session(key, window, end_timer);
        }
        self.windows_open += 1;
        self.windows_open_peak = self.windows_open_peak.max(self.windows_open);
    }

    pub(crate) fn add_event_timer(&mut self, at: EventTime, key: Key, window: Window) {
        match self.event_timers.entry(at) {
            btree_map::Entry::Vacant(v) => {
                v.insert(Bucket::One((key, window)));
            }
            btree_map::Entry::Occupied(mut o) => o.get_mut().push((key, window)),
        }
        self.event_timer_entries += 1;
    }
}

/// The event timers due at one time. Most times have one timer (a session
/// moves its end, so its expiry, with every element), and those need no
/// vector: the one-element `Vec` per timer was an allocation per merge.
#[derive(Debug, Clone)]
enum Bucket {
    One(WindowKey),
    Many(Vec<WindowKey>),
}

impl Bucket {
    fn push(&mut self, wk: WindowKey) {
        match self {
            Bucket::One(first) => *self = Bucket::Many(vec![*first, wk]),
            Bucket::Many(v) => v.push(wk),
        }
    }
}

impl WindowTable {
    pub(crate) fn new(merging: bool) -> WindowTable {
        WindowTable {
            states: FxHashMap::default(),
            book: Book {
                merging,
                ..Book::default()
            },
            spare: Default::default(),
        }
    }

    /// Timers set, of both domains.
    pub(crate) fn timers(&self) -> u64 {
        self.book.event_timer_entries + self.book.proc_timers.len() as u64
    }

    /// The open window's state, if it is open.
    #[inline]
    pub(crate) fn open_mut(&mut self, key: Key, window: Window) -> Option<&mut WindowState> {
        match self.states.get_mut(&(key, window)) {
            Some(Slot::Open(st)) => Some(st),
            _ => None,
        }
    }

    /// Makes `window` of `key` open with state `st` (it must not be in the
    /// table) and sets its timers.
    pub(crate) fn install(
        &mut self,
        key: Key,
        window: Window,
        st: Box<WindowState>,
        watermark: EventTime,
        lateness: Duration,
    ) {
        self.book.opened(key, window, watermark, lateness);
        let previous = self.states.insert((key, window), Slot::Open(st));
        debug_assert!(previous.is_none(), "installing over a known window");
    }

    /// The trigger finished: the window becomes a tombstone until expiry.
    pub(crate) fn close(&mut self, key: Key, window: Window, lateness: Duration) {
        if let Some(Slot::Open(st)) = self.states.insert((key, window), Slot::Closed) {
            if let Some(at) = st.deadline {
                self.book.proc_timers.remove(&(at, key, window));
            }
            self.book.windows_open -= 1;
            self.book.windows_closed += 1;
            if self.book.merging {
                self.book.session_closed(key, window, lateness);
            }
        }
    }

    /// Removes the window, open or closed (expired, or merged away), with
    /// its processing-time timer and session index entry. Its event timers
    /// go stale.
    pub(crate) fn remove(&mut self, key: Key, window: Window) -> Option<Slot> {
        self.remove_with(key, window, false)
    }

    /// `remove`, for a window a merge replaces: the key's session index
    /// keeps its (possibly empty) vector, since `install` refills it at once.
    pub(crate) fn remove_for_merge(&mut self, key: Key, window: Window) -> Option<Slot> {
        self.remove_with(key, window, true)
    }

    fn remove_with(&mut self, key: Key, window: Window, keep_empty: bool) -> Option<Slot> {
        let slot = self.states.remove(&(key, window))?;
        let book = &mut self.book;
        match &slot {
            Slot::Open(st) => {
                book.windows_open -= 1;
                if let Some(at) = st.deadline {
                    book.proc_timers.remove(&(at, key, window));
                }
            }
            Slot::Closed => book.windows_closed -= 1,
        }
        if book.merging {
            book.unindex_session(key, window, keep_empty);
        }
        Some(slot)
    }

    /// Moves the open window `from` of `key` to the identity `to` (a
    /// session that grew in place; its index entry and event timers are
    /// the caller's, `session_index`). Its processing-time timer is dropped
    /// (the caller refreshes it). Returns the state.
    pub(crate) fn rekey_open(&mut self, key: Key, from: Window, to: Window) -> &mut WindowState {
        let Some(Slot::Open(mut st)) = self.states.remove(&(key, from)) else {
            unreachable!("the session index said {from} is open");
        };
        if let Some(at) = st.deadline.take() {
            self.book.proc_timers.remove(&(at, key, from));
        }
        match self.states.entry((key, to)) {
            std::collections::hash_map::Entry::Vacant(v) => match v.insert(Slot::Open(st)) {
                Slot::Open(st) => st,
                Slot::Closed => unreachable!("just inserted open"),
            },
            std::collections::hash_map::Entry::Occupied(_) => {
                unreachable!("moving {from} over a known window {to}")
            }
        }
    }

    /// Takes the earliest bucket of event timers if it is due at
    /// `watermark`, into `out` (replacing its contents), in the order they
    /// were set (`sort_due` puts them in timer order). None when none is
    /// due, else the bucket's time. One time at a time, because handling a
    /// timer may set a later one that is due in the same step (a grown
    /// session's, `session_index`), and it must be taken in its place.
    pub(crate) fn pop_due(
        &mut self,
        watermark: EventTime,
        out: &mut Vec<WindowKey>,
    ) -> Option<EventTime> {
        out.clear();
        let first = self.book.event_timers.first_entry()?;
        let at = *first.key();
        if at > watermark {
            return None;
        }
        match first.remove() {
            Bucket::One(wk) => out.push(wk),
            Bucket::Many(bucket) => *out = bucket,
        }
        self.book.event_timer_entries -= out.len() as u64;
        Some(at)
    }

    /// Puts timers due at one time in timer order: by key and window,
    /// canonical whatever the arrival order.
    pub(crate) fn sort_due(due: &mut [WindowKey]) {
        // Timers pushed in order need no sort (checking is one pass).
        if !due.is_sorted() {
            due.sort_unstable();
        }
    }

    /// Re-registers the window's processing-time timer after its trigger
    /// state changed. A deadline not after `after` is not set again.
    pub(crate) fn refresh_deadline(
        &mut self,
        key: Key,
        window: Window,
        trigger: &Trigger,
        after: ProcTime,
    ) {
        let Some(Slot::Open(st)) = self.states.get_mut(&(key, window)) else {
            return;
        };
        let next = st.trigger.next_deadline(trigger).filter(|&at| at > after);
        if next != st.deadline {
            if let Some(old) = st.deadline {
                self.book.proc_timers.remove(&(old, key, window));
            }
            if let Some(at) = next {
                self.book.proc_timers.insert((at, key, window));
            }
            st.deadline = next;
        }
    }

    /// The earliest event timer, for the debug invariant.
    pub(crate) fn first_event_timer(&self) -> Option<EventTime> {
        self.book.event_timers.first_key_value().map(|(&at, _)| at)
    }
}
