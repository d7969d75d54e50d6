//! Expiring many windows at once. With many keys, most of a watermark
//! step's work is expiry: tens of thousands of key-windows end together,
//! and looking each up in timer order (by key) is no useful memory order.
//! When one time's timers are all the expiry of one window, and there are
//! many, the window's whole map is taken out of the store (`window_store`)
//! in one move, drained in memory order, and its key-windows are emitted in
//! timer order after a sort: the same outputs, in the same order, as
//! activating them one by one.

use crate::driver::Engine;
use crate::output::Key;
use crate::table::WindowTable;
use crate::time::EventTime;
use crate::window::Window;
use crate::window_state::{Slot, WindowState};

/// Below this many keys in the window expiring, one lookup each is cheaper.
const BULK_MIN: usize = 1024;

/// How many windows ahead `expire_window` fetches a box.
const PREFETCH_AHEAD: usize = 8;

impl Engine {
    /// The window whose key-windows `expire_window` can expire at once,
    /// when the timers due at `at` are those of the windows `due`
    /// (`Book::by_window`), if they allow it: they are one window's, its
    /// expiry, and it holds enough keys for the sort to pay.
    pub(crate) fn bulk_expiry(&self, at: EventTime, due: &[Window]) -> Option<Window> {
        let lateness = self.pipeline.allowed_lateness;
        let &[window] = due else {
            return None;
        };
        let bulk = window.expiry(lateness) == at && self.table.states.count(window) >= BULK_MIN;
        bulk.then_some(window)
    }

    /// Expires every key-window of `window`, whose expiry is all that is
    /// due (`bulk_expiry` said so), as `activate` does each (the last pane,
    /// then everything freed), in timer order. Its window timer stands for
    /// the expiry timer of every key the window holds (`Book::by_window`);
    /// keys it no longer holds already expired at an end timer in this
    /// step.
    pub(crate) fn expire_window(&mut self, window: Window) {
        let mut expired = std::mem::take(&mut self.expired);
        let mut lean = std::mem::take(&mut self.expired_lean);
        // The window is kept once, not per key (the sort moves half the
        // bytes); all are the same window, so timer order is key order.
        // Lean windows are apart, as plain pairs: a sort moves them with no
        // call per copy, and they are two thirds the size.
        self.table.take_expiring(window, &mut expired, &mut lean);
        // Keys are distinct (one window), so any sort gives the same order;
        // a radix sort of tens of thousands of keys is about a third of a
        // comparison sort's time.
        radsort::sort_by_key(&mut expired, |&(key, _)| key.0);
        radsort::sort_by_key(&mut lean, |&(key, _)| key);
        if expired.is_empty() && self.holds.uniform() {
            // All lean, and one output watermark for every key: the last
            // panes wait as pairs and are built as they are polled
            // (`output_queue`). Each is a pane, as `expire_lean` counts it.
            self.stats.panes += lean.len() as u64;
            let e = self.emission(Key(0), window, true);
            self.outputs.push_lean(e, lean);
            self.expired_lean = self.outputs.take_spare();
            self.expired = expired;
            return;
        }
        // The two in one key order (keys are distinct).
        let (mut i, mut j) = (0, 0);
        while i < expired.len() || j < lean.len() {
            if let Some(&(key, sum)) = lean.get(j) {
                if expired.get(i).is_none_or(|(boxed, _)| key < boxed.0) {
                    self.expire_lean(Key(key), window, sum);
                    j += 1;
                    continue;
                }
            }
            // Key order is no memory order: each box is a cache miss, so
            // the boxes a few windows ahead are fetched while this one is
            // emitted.
            if let Some((_, Slot::Open(ahead))) = expired.get(i + PREFETCH_AHEAD) {
                crate::prefetch::prefetch::<WindowState>(ahead);
            }
            let (key, slot) = &mut expired[i];
            if let Slot::Open(mut st) = std::mem::replace(slot, Slot::Closed) {
                // The processing-time timer goes here, not in
                // `take_expiring`: here the box is read anyway (and was
                // fetched ahead), there it was a miss per window.
                if let Some(due) = st.deadline {
                    self.table.book.proc_timers.remove(&(due, *key, window));
                }
                self.on_trigger_last(*key, window, &mut st);
                self.table.spare.recycle(st);
            }
            i += 1;
        }
        expired.clear();
        lean.clear();
        self.expired = expired;
        self.expired_lean = lean;
    }

    /// The last pane of a lean window taken out of the table: its state,
    /// on the stack (no box to fetch or keep).
    #[inline]
    pub(crate) fn expire_lean(&mut self, key: Key, window: Window, sum: i64) {
        let mut st = WindowState::lean(&window, sum);
        self.on_trigger_last(key, window, &mut st);
        st.forget_lean();
    }
}

impl WindowTable {
    /// Takes every key-window of `window` out of the store into `out`, at
    /// once; the window's emptied map is kept for a window opened later.
    /// The open ones' processing-time timers are left to the caller, which
    /// removes each as it reads the box (`expire_window`): reading the
    /// boxes here, in hash order, would miss the cache once per window.
    fn take_expiring(
        &mut self,
        window: Window,
        out: &mut Vec<(Key, Slot)>,
        lean: &mut Vec<(u64, i64)>,
    ) {
        let Some(mut keys) = self.states.take(window) else {
            return;
        };
        let book = &mut self.book;
        book.windows_open -= keys.lean.len() as u64;
        lean.extend(keys.lean.drain().map(|(key, sum)| (key.0, sum)));
        for (key, slot) in keys.full.drain() {
            match slot {
                Slot::Lean(sum) => {
                    book.windows_open -= 1;
                    lean.push((key.0, sum));
                }
                Slot::Open(_) => {
                    book.windows_open -= 1;
                    out.push((key, slot));
                }
                Slot::Closed => {
                    book.windows_closed -= 1;
                    out.push((key, slot));
                }
            }
        }
        self.states.recycle(keys);
    }
}

#[cfg(test)]
mod tests {
    use crate::output::{Key, Output, Record};
    use crate::pipeline::{Accumulation, OnTimeBehavior, Pipeline, TimestampCombiner};
    use crate::stats::EngineConfig;
    use crate::time::{Duration, EventTime, ProcTime};
    use crate::trigger::Trigger;
    use crate::window::WindowFn;
    use crate::{AggValue, Aggregate, Engine};

    /// Ten-tick fixed windows under `trigger`, summing, no lateness.
    fn engine(trigger: Trigger) -> Engine {
        engine_late(trigger, Duration(0))
    }

    /// `engine`, with `lateness` allowed.
    fn engine_late(trigger: Trigger, lateness: Duration) -> Engine {
        let p = Pipeline {
            window: WindowFn::Fixed {
                size: Duration(10),
                offset: Duration(0),
            },
            trigger,
            accumulation: Accumulation::Discarding,
            allowed_lateness: lateness,
            timestamp_combiner: TimestampCombiner::EndOfWindow,
            aggregate: Aggregate::Sum,
            on_time: OnTimeBehavior::IfNonEmpty,
        };
        Engine::new(p, EngineConfig::DEFAULT).expect("valid pipeline")
    }

    /// Every queued output, as (key, value, is last) of a pane.
    fn panes(engine: &mut Engine) -> Vec<(u64, AggValue, bool)> {
        std::iter::from_fn(|| engine.poll_output())
            .map(|o| match o {
                Output::Pane(p) => (p.key.0, p.value, p.info.is_last),
                Output::DeadLetter(d) => panic!("unexpected dead letter {d:?}"),
            })
            .collect()
    }

    /// Keys spread over all of `u64`, so that every byte of a key decides
    /// its place in the radix sort.
    fn spread(k: u64) -> Key {
        Key(k.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    /// Element `id` of `key` at time `t`.
    fn record(id: u64, key: Key, value: i64, t: i64) -> Record {
        Record {
            id,
            key,
            value,
            time: EventTime(t),
        }
    }

    /// Thousands of keys' windows expiring at one time take the one-pass
    /// path, and come out as one by one would: a last pane per key, in key
    /// order, each with its key's sum; then nothing is left.
    #[test]
    fn a_whole_window_end_expires_in_key_order() {
        let mut engine = engine(Trigger::Never);
        let keys = 3 * super::BULK_MIN as u64;
        // Keys arrive in a scrambled order, twice each.
        for i in 0..2 * keys {
            let k = i.wrapping_mul(7919) % keys;
            let r = record(i, spread(k), k as i64, (i % 10) as i64);
            engine.handle_record(ProcTime(0), r);
        }
        let window = crate::window::Window::new(EventTime(0), EventTime(10));
        assert!(engine.bulk_expiry(EventTime(10), &[window]).is_some());
        engine.handle_watermark(ProcTime(1), EventTime(10));
        let panes = panes(&mut engine);
        let mut want: Vec<_> = (0..keys)
            .map(|k| (spread(k).0, AggValue::Sum(2 * k as i64), true))
            .collect();
        want.sort_unstable_by_key(|&(key, ..)| key);
        assert_eq!(panes, want);
        assert!(engine.state_size().is_empty());
    }

    /// Lean windows (`Slot::Lean`) and boxed ones in one window take the
    /// one-pass path apart (`take_expiring`) and come out in one key
    /// order, each with its sum, as if all were boxed. Fails if the two
    /// are not merged by key, or either is lost.
    #[test]
    fn lean_and_boxed_windows_expire_in_one_key_order() {
        let run = |boxed_every: u64| {
            let mut engine = engine(Trigger::Default);
            assert!(engine.lean);
            let keys = 3 * super::BULK_MIN as u64;
            for k in 0..keys {
                let r = record(k, spread(k), k as i64, (k % 10) as i64);
                engine.handle_record(ProcTime(0), r);
            }
            let window = crate::window::Window::new(EventTime(0), EventTime(10));
            // `slot_mut` makes a lean window a box.
            for k in (0..keys).filter(|k| k % boxed_every == 0) {
                let slot = engine.table.slot_mut(spread(k), window);
                assert!(matches!(slot, Some(crate::window_state::Slot::Open(_))));
            }
            assert!(engine.bulk_expiry(EventTime(10), &[window]).is_some());
            engine.handle_watermark(ProcTime(1), EventTime(10));
            let panes = panes(&mut engine);
            assert!(engine.state_size().is_empty());
            panes
        };
        let keys = 3 * super::BULK_MIN as u64;
        let mut want: Vec<_> = (0..keys)
            .map(|k| (spread(k).0, AggValue::Sum(k as i64), true))
            .collect();
        want.sort_unstable_by_key(|&(key, ..)| key);
        for boxed_every in [1, 2, 3, 7, keys + 1] {
            assert_eq!(run(boxed_every), want, "every {boxed_every}th key boxed");
        }
    }

    /// The one-pass expiry of windows that still wait on a processing-time
    /// timer, beside tombstones: keys whose timer fired are closed and
    /// expire silently; the others emit their last pane, in key order, and
    /// their timers go with them (nothing left to fire, no state).
    #[test]
    fn a_whole_window_end_takes_its_processing_time_timers() {
        let mut engine = engine(Trigger::AfterProcessingTime {
            delay: Duration(100),
            align: None,
        });
        let keys = 3 * super::BULK_MIN as u64;
        // Odd keys arrive first: their timers (at 100) fire before the
        // even keys' (at 150) are due.
        for (i, k) in (0..keys)
            .filter(|k| k % 2 == 1)
            .chain((0..keys).filter(|k| k % 2 == 0))
            .enumerate()
        {
            let now = ProcTime(if k % 2 == 1 { 0 } else { 50 });
            let r = record(i as u64, Key(k), k as i64, (k % 10) as i64);
            engine.handle_record(now, r);
        }
        engine.handle_timeout(ProcTime(120));
        let fired: Vec<_> = panes(&mut engine).into_iter().map(|(k, ..)| k).collect();
        let odd: Vec<_> = (0..keys).filter(|k| k % 2 == 1).collect();
        assert_eq!(fired, odd);
        let state = engine.state_size();
        assert_eq!(
            (state.windows_open, state.windows_closed),
            (keys / 2, keys / 2)
        );
        // (One tick after the timer: timers fire when the clock is past them.)
        assert_eq!(engine.poll_timeout(), Some(ProcTime(151)));

        let window = crate::window::Window::new(EventTime(0), EventTime(10));
        assert!(engine.bulk_expiry(EventTime(10), &[window]).is_some());
        engine.handle_watermark(ProcTime(130), EventTime(10));
        let panes = panes(&mut engine);
        let want: Vec<_> = (0..keys)
            .filter(|k| k % 2 == 0)
            .map(|k| (k, AggValue::Sum(k as i64), true))
            .collect();
        assert_eq!(panes, want);
        assert_eq!(engine.poll_timeout(), None);
        assert!(engine.state_size().is_empty());
    }

    /// With a lateness so large that expiry saturates at the end of time,
    /// windows opened late (after their end: no end timer) all expire at
    /// `EventTime::MAX`, two windows in one bucket of timers. That bucket
    /// is not one window's, so it takes the one-by-one path: each
    /// key-window's last pane, in timer order (key, then window). Fails if
    /// `bulk_expiry` takes a bucket of several windows.
    #[test]
    fn late_windows_of_two_ends_expiring_at_the_end_of_time() {
        let mut engine = engine_late(Trigger::Never, Duration(i64::MAX));
        engine.handle_watermark(ProcTime(0), EventTime(100));
        let keys = super::BULK_MIN as u64;
        for (i, (k, t)) in (0..keys).flat_map(|k| [(k, 3), (k, 15)]).enumerate() {
            let r = record(i as u64, Key(k), k as i64 + t, t);
            engine.handle_record(ProcTime(1), r);
        }
        engine.handle_watermark(ProcTime(2), EventTime::MAX);
        let want: Vec<_> = (0..keys)
            .flat_map(|k| [3, 15].map(|t| (k, AggValue::Sum(k as i64 + t), true)))
            .collect();
        assert_eq!(panes(&mut engine), want);
        assert!(engine.state_size().is_empty());
    }
}
