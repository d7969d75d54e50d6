//! The state of a pipeline that doesn't merge, kept by window, then by
//! key. Fixed and sliding windows open and expire window by window: with
//! many keys, tens of thousands of key-windows share a window and leave
//! together at its expiry. One map per window lets the expiry take all of
//! them out at once (`take`), with no pass over the windows that stay, and
//! keeps each map to one window's keys: smaller entries (no window in
//! them) in a smaller table, so an insert touches less memory than in one
//! map of every `(key, window)`.
//!
//! Windows are found by hash, never by scanning, so many windows open at
//! once (1 ms windows with hours of allowed lateness) cost no more per
//! element than one. A window's map is dropped from the store when its last
//! key leaves, and kept (emptied, with its table) for a window opened later:
//! the next window then fills a table already grown to size.
//!
//! Iteration (`values`) is in hash order; callers fold it into an
//! order-free result (a minimum, a sum) or sort what they take.

use crate::output::Key;
use crate::window::Window;
use crate::window_state::Slot;
use rustc_hash::FxHashMap;
use std::collections::hash_map::{self, Entry};

/// One window's keys.
type Keys = FxHashMap<Key, Slot>;

/// Emptied maps kept at most. A few cover the windows that expire and open
/// at about the same time (a tumbling window, or a sliding window's
/// neighbours); more would only hold memory.
const SPARE_MAX: usize = 4;

#[derive(Debug, Default)]
pub(crate) struct WindowStore {
    windows: FxHashMap<Window, Keys>,
    /// Emptied maps, for windows opened next. A clone starts with none.
    spare: Vec<Keys>,
}

/// What `entry` finds for a key-window.
pub(crate) enum StoreEntry<'a> {
    Known(&'a mut Slot),
    New(NewSlot<'a>),
}

/// Where a new key-window goes, once the caller decides to open it.
pub(crate) struct NewSlot<'a> {
    place: Place<'a>,
    spare: &'a mut Vec<Keys>,
}

enum Place<'a> {
    /// The window holds other keys already.
    InWindow(hash_map::VacantEntry<'a, Key, Slot>),
    /// The window's first key.
    NewWindow(hash_map::VacantEntry<'a, Window, Keys>, Key),
}

impl<'a> NewSlot<'a> {
    /// Puts `slot` in place, returning it.
    #[inline]
    pub(crate) fn insert(self, slot: Slot) -> &'a mut Slot {
        match self.place {
            Place::InWindow(v) => v.insert(slot),
            Place::NewWindow(v, key) => {
                let keys = v.insert(self.spare.pop().unwrap_or_default());
                keys.entry(key).or_insert(slot)
            }
        }
    }
}

impl WindowStore {
    #[inline]
    pub(crate) fn get(&self, key: Key, window: Window) -> Option<&Slot> {
        self.windows.get(&window)?.get(&key)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, key: Key, window: Window) -> Option<&mut Slot> {
        self.windows.get_mut(&window)?.get_mut(&key)
    }

    /// The key-window's slot if known, else where a new one would go: one
    /// lookup per level, whichever it turns out to be.
    #[inline]
    pub(crate) fn entry(&mut self, key: Key, window: Window) -> StoreEntry<'_> {
        let spare = &mut self.spare;
        match self.windows.entry(window) {
            Entry::Occupied(w) => match w.into_mut().entry(key) {
                Entry::Occupied(k) => StoreEntry::Known(k.into_mut()),
                Entry::Vacant(k) => StoreEntry::New(NewSlot {
                    place: Place::InWindow(k),
                    spare,
                }),
            },
            Entry::Vacant(w) => StoreEntry::New(NewSlot {
                place: Place::NewWindow(w, key),
                spare,
            }),
        }
    }

    /// Sets the key-window's slot, returning the one it replaces.
    pub(crate) fn insert(&mut self, key: Key, window: Window, slot: Slot) -> Option<Slot> {
        match self.entry(key, window) {
            StoreEntry::Known(s) => Some(std::mem::replace(s, slot)),
            StoreEntry::New(n) => {
                n.insert(slot);
                None
            }
        }
    }

    /// Takes the key-window out; a window left with no key goes too.
    pub(crate) fn remove(&mut self, key: Key, window: Window) -> Option<Slot> {
        let keys = self.windows.get_mut(&window)?;
        let slot = keys.remove(&key)?;
        if keys.is_empty() {
            if let Some(keys) = self.windows.remove(&window) {
                self.recycle(keys);
            }
        }
        Some(slot)
    }

    /// Takes every key of `window` out, whole (then `recycle` the map).
    pub(crate) fn take(&mut self, window: Window) -> Option<Keys> {
        self.windows.remove(&window)
    }

    /// Keeps an emptied map for a window opened later, if there is room.
    pub(crate) fn recycle(&mut self, keys: Keys) {
        debug_assert!(keys.is_empty(), "recycled a map still holding keys");
        if self.spare.len() < SPARE_MAX {
            self.spare.push(keys);
        }
    }

    /// Every slot, in no particular order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Slot> + '_ {
        self.windows.values().flat_map(|keys| keys.values())
    }

    /// How many key-windows are held (counted: for the invariant check).
    pub(crate) fn len(&self) -> usize {
        self.windows.values().map(|keys| keys.len()).sum()
    }
}

impl Clone for WindowStore {
    /// A deep copy of what is held; the spare maps are not state.
    fn clone(&self) -> WindowStore {
        WindowStore {
            windows: self.windows.clone(),
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
            Slot::Closed => None,
        }
    }

    /// The store's contents against a model (a sorted map of
    /// key-windows), through every accessor.
    fn agrees(store: &WindowStore, model: &BTreeMap<(Key, Window), Option<i64>>) {
        assert_eq!(store.len(), model.len());
        assert_eq!(store.values().count(), model.len());
        for (&(key, window), &want) in model {
            assert_eq!(
                store.get(key, window).map(sum),
                Some(want),
                "{key:?} {window:?}"
            );
        }
        let mut sums: Vec<_> = store.values().map(sum).collect();
        let mut want: Vec<_> = model.values().copied().collect();
        sums.sort_unstable();
        want.sort_unstable();
        assert_eq!(sums, want);
    }

    /// Thousands of windows open at once, a few keys each, through open,
    /// close, remove, reopen and whole-window takes; the store agrees with
    /// a model at every stage, empties windows as their last key leaves,
    /// and a clone is a copy the original's later changes do not reach.
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
                n.insert(open(i));
                model.insert((key, window), Some(i));
            }
        }
        agrees(&store, &model);
        assert!(matches!(store.entry(Key(1), w(7)), StoreEntry::Known(_)));
        assert_eq!(store.windows[&w(7)].len(), 3);
        assert!(!store.windows.contains_key(&w(windows)));

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
            let mut taken: Vec<_> = keys.drain().map(|(k, s)| (k, sum(&s))).collect();
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
            assert!(!store.windows.contains_key(&w(i)));
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
