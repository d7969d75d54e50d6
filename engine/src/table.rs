//! The window table: every window the engine knows, open or closed, with
//! the timers that will wake it. It keeps the counters in step with the
//! stores, so no other module touches `windows_open` or `windows_closed`.
//! Windows that don't merge live in `states`, by window then key
//! (`window_store`); sessions live in `sessions`, per key
//! (`session_index`). The accessors here (`slot`, `open_mut`, `remove`,
//! ...) look in the right one.

use crate::output::Key;
use crate::session_index::SessionIndex;
use crate::time::{Duration, EventTime, ProcTime};
use crate::trigger::Trigger;
use crate::window::{Window, WindowFn};
use crate::window_state::{Slot, WindowKey, WindowState};
use crate::window_store::WindowStore;
use std::borrow::Cow;
use std::collections::{btree_map, BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default)]
pub(crate) struct WindowTable {
    /// The windows of a pipeline that doesn't merge.
    pub(crate) states: WindowStore,
    /// The windows of a merging pipeline (sessions), with their state.
    pub(crate) sessions: SessionIndex,
    /// Everything about the windows besides their state.
    pub(crate) book: Book,
    pub(crate) spare: crate::window_state::SparePool,
}

/// The table's bookkeeping, a field apart from `states` so that a window's
/// state can be borrowed from the map while the bookkeeping is updated.
#[derive(Debug, Clone, Default)]
pub(crate) struct Book {
    /// Event-time timers bucketed by time: one at the window's end (the
    /// end-of-window activation) and one at its expiry. Entries are deleted
    /// lazily: a timer whose window was merged away, closed or re-installed
    /// is recognised as stale when it fires, which keeps the per-record path
    /// free of tree deletions. A growing session keeps its old timers until
    /// the first fires (`session_index`).
    event_timers: BTreeMap<EventTime, Bucket>,
    event_timer_entries: u64,
    /// Whether the event timers of a pipeline that doesn't merge are kept
    /// per window (`window_timers`) rather than per key-window.
    pub(crate) by_window: bool,
    /// Under `by_window`, the event timers by time, one per window: each
    /// stands for the same timer of every key-window of it (see
    /// `opened_in_store`), so opening a key-window in a window already
    /// open sets none. Entries for a window that left are stale.
    window_timers: BTreeMap<EventTime, Vec<Window>>,
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
    /// `set_timers`). Returns whether it got an end-of-window timer.
    pub(crate) fn opened(
        &mut self,
        key: Key,
        window: Window,
        watermark: EventTime,
        lateness: Duration,
    ) -> bool {
        let end_timer = has_end_timer(&window, watermark, lateness);
        self.set_timers(key, window, end_timer, lateness);
        self.count_opened();
        end_timer
    }

    fn count_opened(&mut self) {
        self.windows_open += 1;
        self.windows_open_peak = self.windows_open_peak.max(self.windows_open);
    }

    /// Counts a key-window newly opened in the store, `new_window` when its
    /// window has no other key, and sets its timers.
    ///
    /// Under `by_window`, a window's timers are set with its first key, and
    /// stand for every key's: without merging or a watermark that goes
    /// back (both kept off `by_window`), a key-window leaves only at its
    /// expiry, after which its window cannot open again; and every key of
    /// a window that is open when the watermark passes its end opened
    /// before that, so it has the end timer if the first key has.
    #[inline(always)]
    pub(crate) fn opened_in_store(
        &mut self,
        key: Key,
        window: Window,
        watermark: EventTime,
        lateness: Duration,
        new_window: bool,
    ) {
        if !self.by_window {
            self.opened(key, window, watermark, lateness);
            return;
        }
        if new_window {
            self.set_window_timers(window, watermark, lateness);
        }
        self.count_opened();
    }

    /// Under `by_window`, the timers of a window opened at `watermark`.
    #[inline(never)]
    fn set_window_timers(&mut self, window: Window, watermark: EventTime, lateness: Duration) {
        let mut set = |at: EventTime| self.window_timers.entry(at).or_default().push(window);
        if has_end_timer(&window, watermark, lateness) {
            set(window.end);
        }
        set(window.expiry(lateness));
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

/// The slot of a window that may have a processing-time timer (not a lean
/// one), borrowing only the two stores, so that the book can be updated
/// while the slot is held (`refresh_deadline`).
#[inline]
fn stored_mut<'a>(
    states: &'a mut WindowStore,
    sessions: &'a mut SessionIndex,
    merging: bool,
    key: Key,
    window: Window,
) -> Option<&'a mut Slot> {
    if merging {
        sessions.get_mut(key, window).map(|e| &mut e.slot)
    } else {
        states.get_full_mut(key, window)
    }
}

/// Whether a window that takes its identity at `watermark` gets an
/// end-of-window timer besides its expiry's: unless the watermark already
/// passed its end, or the end is the expiry (no allowed lateness).
pub(crate) fn has_end_timer(window: &Window, watermark: EventTime, lateness: Duration) -> bool {
    window.expiry(lateness) != window.end && watermark < window.end
}

/// The earliest time's timers of `timers`, taken out if due at
/// `watermark`.
fn pop_first_due<T>(
    timers: &mut BTreeMap<EventTime, T>,
    watermark: EventTime,
) -> Option<(EventTime, T)> {
    let first = timers.first_entry()?;
    (*first.key() <= watermark).then(|| first.remove_entry())
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
    /// A table for `window_fn`'s windows, with timers per window if
    /// `by_window` allows (`Book::opened_in_store`; never for merging).
    pub(crate) fn new(window_fn: &WindowFn, by_window: bool) -> WindowTable {
        let merging = window_fn.is_merging();
        WindowTable {
            states: WindowStore::new(matches!(window_fn, WindowFn::Sliding { .. })),
            sessions: SessionIndex::default(),
            book: Book {
                merging,
                by_window: by_window && !merging,
                ..Book::default()
            },
            spare: Default::default(),
        }
    }

    /// Timers set, of both domains, at input watermark `watermark`: one
    /// per key-window and time whatever the representation, so that a
    /// pipeline's figure does not depend on it. Under `by_window`, each
    /// key-window held has its expiry timer, and its end timer while the
    /// end is ahead (if it differs from the expiry).
    pub(crate) fn timers(&self, watermark: EventTime, lateness: Duration) -> u64 {
        let event = if self.book.by_window {
            self.states
                .windows()
                .map(|(w, keys)| {
                    keys as u64 * (1 + u64::from(has_end_timer(&w, watermark, lateness)))
                })
                .sum()
        } else {
            self.book.event_timer_entries
        };
        event + self.book.proc_timers.len() as u64
    }

    /// What the table holds for `window` of `key`, if it knows it (a lean
    /// window of the store, by value).
    #[inline]
    pub(crate) fn slot(&self, key: Key, window: Window) -> Option<Cow<'_, Slot>> {
        if self.book.merging {
            self.sessions
                .get(key, window)
                .map(|e| Cow::Borrowed(&e.slot))
        } else {
            self.states.get(key, window)
        }
    }

    /// The window's slot, to change: a lean one is made `Open` first, so
    /// that callers see every open window's state in full.
    #[inline]
    pub(crate) fn slot_mut(&mut self, key: Key, window: Window) -> Option<&mut Slot> {
        if !self.book.merging {
            return self.states.get_mut(key, window, &mut self.spare);
        }
        let slot = &mut self.sessions.get_mut(key, window)?.slot;
        slot.inflate(&window, &mut self.spare);
        Some(slot)
    }

    /// Every window with its slot (a lean window of the store, by value),
    /// in no particular order.
    pub(crate) fn slots(&self) -> impl Iterator<Item = (Window, Cow<'_, Slot>)> + '_ {
        let sessions = self.sessions.slots().map(|(w, s)| (w, Cow::Borrowed(s)));
        self.states.values().chain(sessions)
    }

    /// How many windows the table knows, open or closed (counted, not
    /// read from the counters: the invariant check compares the two).
    pub(crate) fn len(&self) -> usize {
        self.states.len() + self.sessions.len()
    }

    /// The open window's state, if it is open.
    #[inline]
    pub(crate) fn open_mut(&mut self, key: Key, window: Window) -> Option<&mut WindowState> {
        match self.slot_mut(key, window) {
            Some(Slot::Open(st)) => Some(st),
            _ => None,
        }
    }

    /// The trigger finished: the window becomes a tombstone until expiry.
    pub(crate) fn close(&mut self, key: Key, window: Window, lateness: Duration) {
        let was = if self.book.merging {
            self.close_session(key, window, lateness)
        } else {
            self.states.insert(key, window, Slot::Closed)
        };
        match was {
            Some(Slot::Open(st)) => {
                if let Some(at) = st.deadline {
                    self.book.proc_timers.remove(&(at, key, window));
                }
            }
            Some(Slot::Lean(_)) => {}
            Some(Slot::Closed) | None => return,
        }
        self.book.windows_open -= 1;
        self.book.windows_closed += 1;
    }

    /// Removes the window, open or closed (expired, or merged away), with
    /// its processing-time timer. Its event timers go stale.
    pub(crate) fn remove(&mut self, key: Key, window: Window) -> Option<Slot> {
        self.remove_with(key, window, false)
    }

    /// `remove`, for a window a merge replaces: the key's session index
    /// keeps its (possibly empty) entry, since `install_session` refills it
    /// at once.
    pub(crate) fn remove_for_merge(&mut self, key: Key, window: Window) -> Option<Slot> {
        self.remove_with(key, window, true)
    }

    fn remove_with(&mut self, key: Key, window: Window, keep_empty: bool) -> Option<Slot> {
        let slot = if self.book.merging {
            self.sessions.remove(key, window, keep_empty)?
        } else {
            self.states.remove(key, window)?
        };
        let book = &mut self.book;
        match &slot {
            Slot::Open(st) => {
                book.windows_open -= 1;
                if let Some(at) = st.deadline {
                    book.proc_timers.remove(&(at, key, window));
                }
            }
            Slot::Lean(_) => book.windows_open -= 1,
            Slot::Closed => book.windows_closed -= 1,
        }
        Some(slot)
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
        let (at, bucket) = pop_first_due(&mut self.book.event_timers, watermark)?;
        match bucket {
            Bucket::One(wk) => out.push(wk),
            Bucket::Many(bucket) => *out = bucket,
        }
        self.book.event_timer_entries -= out.len() as u64;
        Some(at)
    }

    /// `pop_due` under `by_window`: the windows whose timers are due at
    /// the earliest time, into `out`.
    pub(crate) fn pop_due_windows(
        &mut self,
        watermark: EventTime,
        out: &mut Vec<Window>,
    ) -> Option<EventTime> {
        out.clear();
        let (at, windows) = pop_first_due(&mut self.book.window_timers, watermark)?;
        *out = windows;
        Some(at)
    }

    /// The key-window timers that `windows`' timers stand for
    /// (`by_window`), into `out` in timer order: every key each window
    /// holds now.
    pub(crate) fn keys_due(&self, windows: &[Window], out: &mut Vec<WindowKey>) {
        out.clear();
        for &w in windows {
            out.extend(self.states.keys(w).map(|k| (k, w)));
        }
        out.sort_unstable();
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
        let slot = stored_mut(
            &mut self.states,
            &mut self.sessions,
            self.book.merging,
            key,
            window,
        );
        let Some(Slot::Open(st)) = slot else {
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
        let per_key = self.book.event_timers.keys().next();
        let per_window = self.book.window_timers.keys().next();
        per_key.into_iter().chain(per_window).min().copied()
    }
}
