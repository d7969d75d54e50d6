//! The state of a pipeline that doesn't merge, kept by window, then by
//! key. Fixed and sliding windows open and expire window by window: with
//! many keys, tens of thousands of key-windows share a window and leave
//! together at its expiry. One map per window lets the expiry take all of
//! them out at once (`take`), with no pass over the windows that stay, and
//! keeps each map to one window's keys: smaller entries (no window in
//! them) in a smaller table than one map of every `(key, window)` (with a
//! million keys it is still far bigger than the cache, so an insert still
//! misses: `docs/engine-profile.md`).
//!
//! Consecutive elements mostly fall in the few windows the previous ones
//! did (the one fixed window, or a sliding window's `size / period`), so
//! the store remembers where the last few windows it was asked for are and
//! checks those first (a comparison each); any other window is found
//! through an index by hash, never by scanning, so many windows open at
//! once (1 ms windows with hours of allowed lateness) cost no more per
//! element than one. A window leaves the store when its last key does; its
//! map is kept, emptied but with its table, for a window opened later,
//! which then fills a table already grown to size.
//!
//! The cost: a window holding very few keys carries a map of its own (a
//! small table, an index entry), where the flat map spent one bucket per
//! key-window. Iteration (`values`) is in no particular order; callers
//! fold it into an order-free result (a minimum, a sum) or sort what they
//! take.

use crate::output::Key;
use crate::window::Window;
use crate::window_state::{Slot, SparePool};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::collections::hash_map::{self, Entry};

/// One window's keys: the lean ones (`Slot::Lean`) as plain sums, in
/// 16-byte buckets (a `Slot` bucket is 24, and a third of those straddle
/// two cache lines: with a million keys, each line a miss), and the rest.
/// A key is in one map or neither. `full` may hold a lean slot too (every
/// accessor answers for one), but the store puts none there.
#[derive(Debug, Clone, Default)]
pub(crate) struct Keys {
    pub(crate) lean: FxHashMap<Key, i64>,
    pub(crate) full: FxHashMap<Key, Slot>,
}

impl Keys {
    fn len(&self) -> usize {
        self.lean.len() + self.full.len()
    }

    fn is_empty(&self) -> bool {
        self.lean.is_empty() && self.full.is_empty()
    }

    fn get(&self, key: &Key) -> Option<Cow<'_, Slot>> {
        match self.lean.get(key) {
            Some(&sum) => Some(Cow::Owned(Slot::Lean(sum))),
            None => self.full.get(key).map(Cow::Borrowed),
        }
    }

    fn remove(&mut self, key: &Key) -> Option<Slot> {
        match self.lean.remove(key) {
            Some(sum) => Some(Slot::Lean(sum)),
            None => self.full.remove(key),
        }
    }
}

/// Emptied maps kept at most. A few cover the windows that expire and open
/// at about the same time (a tumbling window, or a sliding window's
/// neighbours); more would only hold memory.
const SPARE_MAX: usize = 4;

/// Windows whose place `find` remembers: a sliding window of four periods
/// (the bench's, and a common shape) puts each element in four.
const RECENT: usize = 4;

#[derive(Debug, Default)]
pub(crate) struct WindowStore {
    /// Every window held, with its keys (at least one), in no order.
    windows: Vec<(Window, Keys)>,
    /// Where each window of `windows` is.
    index: FxHashMap<Window, usize>,
    /// Where the windows last found through `index` are, the oldest at
    /// `victim`: hints, each checked before use (a window that moved or
    /// left just fails the check).
    recent: [usize; RECENT],
    victim: usize,
    /// Where in `recent` `find_mut` looks first, under `follow`.
    next: usize,
    /// Whether elements ask for several windows each, in order (`find_mut`).
    follow: bool,
    /// Emptied maps, for windows opened next. A clone starts with none.
    spare: Vec<Keys>,
}

/// What `entry` finds for a key-window.
pub(crate) enum StoreEntry<'a> {
    Known(&'a mut Slot),
    /// A lean key-window, as its sum.
    Lean(LeanEntry<'a>),
    New(NewSlot<'a>),
}

/// A lean key-window found by `entry`.
pub(crate) struct LeanEntry<'a> {
    sum: hash_map::OccupiedEntry<'a, Key, i64>,
    full: &'a mut FxHashMap<Key, Slot>,
}

impl<'a> LeanEntry<'a> {
    /// Its sum, to add to.
    #[inline(always)]
    pub(crate) fn into_sum(self) -> &'a mut i64 {
        self.sum.into_mut()
    }

    /// Makes it `Open` (`Slot::inflate`), among the window's other keys.
    pub(crate) fn inflate(self, window: &Window, spare: &mut SparePool) -> &'a mut Slot {
        let (key, sum) = self.sum.remove_entry();
        let slot = Slot::Open(spare.boxed_lean(window, sum));
        self.full.entry(key).or_insert(slot)
    }
}

/// Where a new key-window goes, once the caller decides to open it.
pub(crate) struct NewSlot<'a>(Place<'a>);

enum Place<'a> {
    /// The window holds other keys already.
    InWindow {
        key: Key,
        lean: Vacancy<'a, i64>,
        full: Vacancy<'a, Slot>,
    },
    /// The window's first key.
    NewWindow(&'a mut WindowStore, Window, Key),
}

/// Where a new key-window goes in one of its window's two maps.
enum Vacancy<'a, V> {
    Vacant(hash_map::VacantEntry<'a, Key, V>),
    /// The map is empty (and was not probed: a window with keys of one
    /// kind costs one probe, not two).
    Empty(&'a mut FxHashMap<Key, V>),
}

impl<'a, V> Vacancy<'a, V> {
    /// Where `key` goes in `map` (probed unless `map` is empty), or its
    /// value there.
    #[inline(always)]
    fn of(map: &'a mut FxHashMap<Key, V>, key: Key) -> Result<Vacancy<'a, V>, &'a mut V> {
        if map.is_empty() {
            return Ok(Vacancy::Empty(map));
        }
        match map.entry(key) {
            Entry::Occupied(o) => Err(o.into_mut()),
            Entry::Vacant(v) => Ok(Vacancy::Vacant(v)),
        }
    }

    #[inline(always)]
    fn insert(self, key: Key, value: V) -> &'a mut V {
        match self {
            Vacancy::Vacant(v) => v.insert(value),
            Vacancy::Empty(map) => map.entry(key).or_insert(value),
        }
    }
}

impl<'a> NewSlot<'a> {
    /// Whether the key-window would be its window's first.
    #[inline(always)]
    pub(crate) fn opens_window(&self) -> bool {
        matches!(self.0, Place::NewWindow(..))
    }

    /// Puts `slot` in place, returning it. Inlined: every window opened
    /// comes through here, and the usual case is one vacant bucket.
    #[inline(always)]
    pub(crate) fn insert(self, slot: Slot) -> &'a mut Slot {
        match self.0 {
            Place::InWindow { key, full, .. } => full.insert(key, slot),
            Place::NewWindow(store, window, key) => {
                store.first_key(window).full.entry(key).or_insert(slot)
            }
        }
    }

    /// Puts a lean key-window with sum `sum` in place. Not handed back:
    /// with many keys, reading back the bucket just written made the next
    /// record wait on its miss.
    #[inline(always)]
    pub(crate) fn insert_lean(self, sum: i64) {
        match self.0 {
            Place::InWindow { key, lean, .. } => {
                lean.insert(key, sum);
            }
            Place::NewWindow(store, window, key) => {
                store.first_key(window).lean.insert(key, sum);
            }
        }
    }
}

impl WindowStore {
    /// A store whose elements each fall in several windows, asked for in
    /// the same order element after element (`follow`), or in one.
    pub(crate) fn new(follow: bool) -> WindowStore {
        WindowStore {
            follow,
            ..WindowStore::default()
        }
    }

    /// Where `window` is in `windows`: a recent one, else by the index.
    #[inline(always)]
    fn find(&self, window: Window) -> Option<usize> {
        for &i in &self.recent {
            if self.windows.get(i).is_some_and(|(w, _)| *w == window) {
                return Some(i);
            }
        }
        self.index.get(&window).copied()
    }

    /// `find`, remembering a window found through the index. Under
    /// `follow` (sliding windows) the recent windows are tried from the one
    /// after the last found: an element's windows come in the order of the
    /// previous element's. Otherwise (a fixed window, asked for again and
    /// again) in place order, with no bookkeeping.
    #[inline(always)]
    fn find_mut(&mut self, window: Window) -> Option<usize> {
        if self.follow {
            for k in 0..RECENT {
                let at = (self.next + k) % RECENT;
                let i = self.recent[at];
                if self.windows.get(i).is_some_and(|(w, _)| *w == window) {
                    self.next = (at + 1) % RECENT;
                    return Some(i);
                }
            }
        } else {
            for &i in &self.recent {
                if self.windows.get(i).is_some_and(|(w, _)| *w == window) {
                    return Some(i);
                }
            }
        }
        let i = *self.index.get(&window)?;
        self.remember(i);
        Some(i)
    }

    fn remember(&mut self, i: usize) {
        self.recent[self.victim] = i;
        self.victim = (self.victim + 1) % RECENT;
        self.next = self.victim;
    }

    /// The key-window's slot (a lean one's, by value).
    #[inline]
    pub(crate) fn get(&self, key: Key, window: Window) -> Option<Cow<'_, Slot>> {
        self.windows[self.find(window)?].1.get(&key)
    }

    /// The key-window's slot, to change: a lean one is made `Open` first.
    #[inline]
    pub(crate) fn get_mut(
        &mut self,
        key: Key,
        window: Window,
        spare: &mut SparePool,
    ) -> Option<&mut Slot> {
        match self.entry(key, window) {
            StoreEntry::Known(slot) => Some(slot),
            StoreEntry::Lean(lean) => Some(lean.inflate(&window, spare)),
            StoreEntry::New(_) => None,
        }
    }

    /// The key-window's slot if it is not lean (a lean one has no
    /// processing-time timer: `WindowTable::refresh_deadline`).
    #[inline]
    pub(crate) fn get_full_mut(&mut self, key: Key, window: Window) -> Option<&mut Slot> {
        let i = self.find_mut(window)?;
        self.windows[i].1.full.get_mut(&key)
    }

    /// The key-window's slot if known, else where a new one would go.
    #[inline(always)]
    pub(crate) fn entry(&mut self, key: Key, window: Window) -> StoreEntry<'_> {
        let Some(i) = self.find_mut(window) else {
            return StoreEntry::New(NewSlot(Place::NewWindow(self, window, key)));
        };
        let Keys { lean, full } = &mut self.windows[i].1;
        // A window with keys of one kind only (every window of a pipeline
        // that can't be lean; most of one that can) costs one probe.
        let lean = if lean.is_empty() {
            Vacancy::Empty(lean)
        } else {
            match lean.entry(key) {
                Entry::Occupied(sum) => return StoreEntry::Lean(LeanEntry { sum, full }),
                Entry::Vacant(v) => Vacancy::Vacant(v),
            }
        };
        match Vacancy::of(full, key) {
            Ok(full) => StoreEntry::New(NewSlot(Place::InWindow { key, lean, full })),
            Err(slot) => StoreEntry::Known(slot),
        }
    }

    /// A window's first key: maps for it, spare ones if any. Once per
    /// window, so kept out of the per-record path (where windows hold many
    /// keys each: with one key per window, every element comes here).
    #[inline(never)]
    fn first_key(&mut self, window: Window) -> &mut Keys {
        let i = self.windows.len();
        self.index.insert(window, i);
        self.windows
            .push((window, self.spare.pop().unwrap_or_default()));
        self.remember(i);
        &mut self.windows[i].1
    }

    /// Sets the key-window's slot, returning the one it replaces.
    pub(crate) fn insert(&mut self, key: Key, window: Window, slot: Slot) -> Option<Slot> {
        match self.entry(key, window) {
            StoreEntry::Known(s) => Some(std::mem::replace(s, slot)),
            StoreEntry::Lean(lean) => {
                let (key, sum) = lean.sum.remove_entry();
                lean.full.insert(key, slot);
                Some(Slot::Lean(sum))
            }
            StoreEntry::New(n) => {
                n.insert(slot);
                None
            }
        }
    }

    /// Takes the key-window out; a window left with no key goes too.
    pub(crate) fn remove(&mut self, key: Key, window: Window) -> Option<Slot> {
        let i = self.find(window)?;
        let keys = &mut self.windows[i].1;
        let slot = keys.remove(&key)?;
        if keys.is_empty() {
            let keys = self.drop_window(i);
            self.recycle(keys);
        }
        Some(slot)
    }

    /// Takes every key of `window` out, whole (then `recycle` the map).
    pub(crate) fn take(&mut self, window: Window) -> Option<Keys> {
        let i = self.find(window)?;
        Some(self.drop_window(i))
    }

    /// Takes the window at `i` out of `windows` and the index.
    fn drop_window(&mut self, i: usize) -> Keys {
        let (window, keys) = self.windows.swap_remove(i);
        self.index.remove(&window);
        if let Some((moved, _)) = self.windows.get(i) {
            self.index.insert(*moved, i);
        }
        keys
    }

    /// Keeps an emptied map for a window opened later, if there is room.
    pub(crate) fn recycle(&mut self, keys: Keys) {
        debug_assert!(keys.is_empty(), "recycled a map still holding keys");
        if self.spare.len() < SPARE_MAX {
            self.spare.push(keys);
        }
    }

    /// Every window with its slot (a lean one's by value), in no
    /// particular order.
    pub(crate) fn values(&self) -> impl Iterator<Item = (Window, Cow<'_, Slot>)> + '_ {
        self.windows.iter().flat_map(|(window, keys)| {
            let lean = keys.lean.values().map(|&sum| Cow::Owned(Slot::Lean(sum)));
            let full = keys.full.values().map(Cow::Borrowed);
            lean.chain(full).map(move |slot| (*window, slot))
        })
    }

    /// The keys `window` holds, in no particular order.
    pub(crate) fn keys(&self, window: Window) -> impl Iterator<Item = Key> + '_ {
        self.find(window).into_iter().flat_map(|i| {
            let keys = &self.windows[i].1;
            keys.lean.keys().chain(keys.full.keys()).copied()
        })
    }

    /// How many keys `window` holds.
    pub(crate) fn count(&self, window: Window) -> usize {
        self.find(window).map_or(0, |i| self.windows[i].1.len())
    }

    /// Every window held, with how many keys it holds.
    pub(crate) fn windows(&self) -> impl Iterator<Item = (Window, usize)> + '_ {
        self.windows.iter().map(|(w, keys)| (*w, keys.len()))
    }

    /// How many key-windows are held (counted: for the invariant check).
    pub(crate) fn len(&self) -> usize {
        self.windows.iter().map(|(_, keys)| keys.len()).sum()
    }
}

impl Clone for WindowStore {
    /// A deep copy of what is held; the spare maps are not state.
    fn clone(&self) -> WindowStore {
        WindowStore {
            windows: self.windows.clone(),
            index: self.index.clone(),
            recent: self.recent,
            victim: self.victim,
            next: self.next,
            follow: self.follow,
            spare: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{StoreEntry, WindowStore};
    use crate::aggregate::AggValue;
    use crate::aggregate::Aggregate;
    use crate::output::Key;
    use crate::pipeline::{Accumulation, OnTimeBehavior, Pipeline, TimestampCombiner};
    use crate::time::{Duration, EventTime};
    use crate::trigger::Trigger;
    use crate::window::{Window, WindowFn};
    use crate::window_state::{Slot, WindowState};
    use std::collections::BTreeMap;

    fn w(start: i64) -> Window {
        Window::new(EventTime(start), EventTime(start + 1))
    }

    fn open(sum: i64) -> Slot {
        let p = Pipeline {
            window: WindowFn::Fixed {
                size: Duration(1),
                offset: Duration(0),
            },
            trigger: Trigger::Never,
            accumulation: Accumulation::Discarding,
            allowed_lateness: Duration(0),
            timestamp_combiner: TimestampCombiner::EndOfWindow,
            aggregate: Aggregate::Sum,
            on_time: OnTimeBehavior::IfNonEmpty,
        };
        let mut st = WindowState::new(&p);
        st.acc = AggValue::Sum(sum);
        Slot::Open(Box::new(st))
    }

    /// What a slot holds, comparable: its sum, or `None` when closed.
    fn sum(slot: &Slot) -> Option<i64> {
        match slot {
            Slot::Open(st) => match st.acc {
                AggValue::Sum(s) => Some(s),
                _ => None,
            },
            Slot::Lean(s) => Some(*s),
            Slot::Closed => None,
        }
    }

    /// The store's contents against a model (a sorted map of
    /// key-windows), through every accessor.
    fn agrees(store: &WindowStore, model: &BTreeMap<(Key, Window), Option<i64>>) {
        assert_eq!(store.index.len(), store.windows.len());
        for (i, (window, keys)) in store.windows.iter().enumerate() {
            assert_eq!(store.index.get(window), Some(&i), "{window:?} misindexed");
            assert!(!keys.is_empty(), "{window:?} held with no key");
        }
        assert_eq!(store.len(), model.len());
        assert_eq!(store.values().count(), model.len());
        for (&(key, window), &want) in model {
            assert_eq!(
                store.get(key, window).map(|s| sum(&s)),
                Some(want),
                "{key:?} {window:?}"
            );
        }
        let mut sums: Vec<_> = store.values().map(|(_, slot)| sum(&slot)).collect();
        let mut want: Vec<_> = model.values().copied().collect();
        sums.sort_unstable();
        want.sort_unstable();
        assert_eq!(sums, want);
    }

    /// Thousands of windows open at once, a few keys each (lean and
    /// boxed), through open, close, remove, reopen and whole-window takes;
    /// the store agrees with a model at every stage, empties windows as
    /// their last key leaves, and a clone is a copy the original's later
    /// changes do not reach.
    #[test]
    fn many_windows_agree_with_a_model() {
        let mut store = WindowStore::default();
        let mut model = BTreeMap::new();
        let windows = 3_000i64;
        for i in 0..windows {
            for k in 0..3u64 {
                let (key, window) = (Key(k), w(i));
                let StoreEntry::New(n) = store.entry(key, window) else {
                    panic!("{key:?} {window:?} known before it opened");
                };
                // Keys 0 and 1 of odd windows lean.
                if i % 2 == 1 && k < 2 {
                    n.insert_lean(i);
                } else {
                    n.insert(open(i));
                }
                model.insert((key, window), Some(i));
            }
        }
        agrees(&store, &model);
        assert!(matches!(store.entry(Key(1), w(7)), StoreEntry::Lean(_)));
        assert!(matches!(store.entry(Key(1), w(8)), StoreEntry::Known(_)));
        assert!(matches!(store.entry(Key(2), w(7)), StoreEntry::Known(_)));
        // Made `Open` by `get_mut`, with the same sum.
        let mut spare = crate::window_state::SparePool::default();
        let slot = store
            .get_mut(Key(1), w(9), &mut spare)
            .map(|s| (matches!(s, Slot::Open(_)), sum(s)));
        assert_eq!(slot, Some((true, Some(9))));
        assert!(matches!(store.entry(Key(1), w(9)), StoreEntry::Known(_)));
        agrees(&store, &model);
        assert_eq!(store.find(w(7)).map(|i| store.windows[i].1.len()), Some(3));
        assert!(store.find(w(windows)).is_none());

        // Close key 0 everywhere; remove key 1 from even windows.
        for i in 0..windows {
            assert_eq!(
                store.insert(Key(0), w(i), Slot::Closed).map(|s| sum(&s)),
                Some(Some(i))
            );
            model.insert((Key(0), w(i)), None);
            if i % 2 == 0 {
                assert_eq!(store.remove(Key(1), w(i)).map(|s| sum(&s)), Some(Some(i)));
                model.remove(&(Key(1), w(i)));
            }
        }
        assert!(store.remove(Key(1), w(0)).is_none());
        assert!(store.remove(Key(9), w(1)).is_none());
        agrees(&store, &model);
        let snapshot = store.clone();
        let snapshot_model = model.clone();

        // Take every window below 1,000 whole; empty the rest key by key.
        for i in 0..1_000 {
            let mut keys = store.take(w(i)).expect("window held");
            let lean = keys.lean.drain().map(|(k, s)| (k, Some(s)));
            let full = keys.full.drain().map(|(k, s)| (k, sum(&s)));
            let mut taken: Vec<_> = lean.chain(full).collect();
            taken.sort_unstable();
            let want: Vec<_> = model
                .range((Key(0), w(i))..)
                .filter(|((_, win), _)| *win == w(i))
                .map(|(&(k, _), &s)| (k, s))
                .collect();
            assert_eq!(taken, want);
            model.retain(|(_, win), _| *win != w(i));
            store.recycle(keys);
        }
        assert!(store.take(w(0)).is_none());
        for i in 1_000..windows {
            for k in 0..3 {
                assert_eq!(
                    store.remove(Key(k), w(i)).is_some(),
                    model.remove(&(Key(k), w(i))).is_some()
                );
            }
            assert!(store.find(w(i)).is_none());
        }
        agrees(&store, &model);
        assert!(store.windows.is_empty(), "emptied windows left behind");
        assert!(store.spare.len() <= super::SPARE_MAX);

        // Reopen: an expired window's keys come back as new.
        let StoreEntry::New(n) = store.entry(Key(0), w(0)) else {
            panic!("a taken window was still known");
        };
        n.insert(open(-1));
        model.insert((Key(0), w(0)), Some(-1));
        agrees(&store, &model);

        // The clone kept what was there when it was taken.
        agrees(&snapshot, &snapshot_model);
        assert!(snapshot.spare.is_empty());
    }
}
