//! Expiring many windows at once. With many keys, most of a watermark
//! step's work is expiry: each due window is looked up in a state map far
//! bigger than the cache, one miss per window, in timer order (by key), so
//! in no useful memory order. When one time's timers are all expiries and
//! cover a good part of the map, one pass over the map takes them out
//! instead, in memory order, and they are emitted in timer order after a
//! sort: the same outputs, in the same order, as activating them one by
//! one.

use crate::driver::Engine;
use crate::output::Key;
use crate::table::WindowTable;
use crate::time::{Duration, EventTime};
use crate::window::Window;
use crate::window_state::{Slot, WindowKey, WindowState};

/// Below this many timers at one time, one lookup each is cheaper.
const BULK_MIN: usize = 1024;

/// How many windows ahead `expire_all_at` fetches a box.
const PREFETCH_AHEAD: usize = 8;

impl Engine {
    /// Whether the timers `due` at `at` can be handled by
    /// `expire_all_at`: the pipeline doesn't merge (a session's timers may
    /// be its anchor's, `session_index`), every timer is the expiry of its
    /// window, and there are enough of them against the map's size for one
    /// pass over it to beat one lookup each.
    pub(crate) fn bulk_expiry(&self, at: EventTime, due: &[WindowKey]) -> bool {
        let lateness = self.pipeline.allowed_lateness;
        !self.table.book.merging
            && due.len() >= BULK_MIN
            && due.len().saturating_mul(4) >= self.table.states.len()
            && due.iter().all(|(_, w)| w.expiry(lateness) == at)
    }

    /// Expires every window whose expiry is `at`, as `activate` does each
    /// (the last pane, then everything freed), in timer order. For a
    /// pipeline that doesn't merge, those windows are exactly the ones whose
    /// expiry timer is in the bucket at `at` (each window has one, set when
    /// it opened and taken only at its time); the bucket's other entries
    /// are stale (their windows already expired at an end timer).
    pub(crate) fn expire_all_at(&mut self, at: EventTime) {
        let mut expired = std::mem::take(&mut self.expired);
        // Without merging, windows that expire at the same time are the
        // same window (its end fixes a fixed or sliding window), so timer
        // order is key order, and the window is kept once, not per key
        // (the sort moves half the bytes).
        let taken = self
            .table
            .take_expiring(at, self.pipeline.allowed_lateness, &mut expired);
        let Some(window) = taken else {
            self.expired = expired;
            return;
        };
        // Keys are distinct (one window), so any sort gives the same order;
        // a radix sort of tens of thousands of keys is about a third of a
        // comparison sort's time.
        radsort::sort_by_key(&mut expired, |&(key, _)| key.0);
        // Key order is no memory order: each box is a cache miss, so the
        // boxes a few windows ahead are fetched while this one is emitted.
        for i in 0..expired.len() {
            if let Some((_, Slot::Open(ahead))) = expired.get(i + PREFETCH_AHEAD) {
                crate::prefetch::prefetch::<WindowState>(ahead);
            }
            let (key, slot) = &mut expired[i];
            if let Slot::Open(mut st) = std::mem::replace(slot, Slot::Closed) {
                self.on_trigger_last(*key, window, &mut st);
                self.table.spare.recycle(st);
            }
        }
        expired.clear();
        self.expired = expired;
    }
}

impl WindowTable {
    /// Takes every window whose expiry is `at` out of the map into `out`,
    /// in one pass, with its processing-time timer. Returns their window
    /// (one: see `expire_all_at`), if any.
    fn take_expiring(
        &mut self,
        at: EventTime,
        lateness: Duration,
        out: &mut Vec<(Key, Slot)>,
    ) -> Option<Window> {
        let book = &mut self.book;
        let mut taken = None;
        self.states.retain(|&(key, window), slot| {
            if window.expiry(lateness) != at {
                return true;
            }
            debug_assert!(
                taken.is_none_or(|w| w == window),
                "two windows expire at {at}"
            );
            taken = Some(window);
            let slot = std::mem::replace(slot, Slot::Closed);
            match &slot {
                Slot::Open(st) => {
                    book.windows_open -= 1;
                    if let Some(due) = st.deadline {
                        book.proc_timers.remove(&(due, key, window));
                    }
                }
                Slot::Closed => book.windows_closed -= 1,
            }
            out.push((key, slot));
            false
        });
        taken
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

    /// Thousands of keys' windows expiring at one time take the one-pass
    /// path, and come out as one by one would: a last pane per key, in key
    /// order, each with its key's sum; then nothing is left.
    #[test]
    fn a_whole_window_end_expires_in_key_order() {
        let p = Pipeline {
            window: WindowFn::Fixed {
                size: Duration(10),
                offset: Duration(0),
            },
            trigger: Trigger::Never,
            accumulation: Accumulation::Discarding,
            allowed_lateness: Duration(0),
            timestamp_combiner: TimestampCombiner::EndOfWindow,
            aggregate: Aggregate::Sum,
            on_time: OnTimeBehavior::IfNonEmpty,
        };
        let mut engine = Engine::new(p, EngineConfig::DEFAULT).expect("valid pipeline");
        let keys = 3 * super::BULK_MIN as u64;
        // Keys arrive in a scrambled order, twice each.
        for i in 0..2 * keys {
            let key = Key(i.wrapping_mul(7919) % keys);
            let r = Record {
                id: i,
                key,
                value: key.0 as i64,
                time: EventTime((i % 10) as i64),
            };
            engine.handle_record(ProcTime(0), r);
        }
        let due: Vec<_> = (0..keys)
            .map(|k| {
                (
                    Key(k),
                    crate::window::Window::new(EventTime(0), EventTime(10)),
                )
            })
            .collect();
        assert!(engine.bulk_expiry(EventTime(10), &due));
        engine.handle_watermark(ProcTime(1), EventTime(10));
        let panes: Vec<_> = std::iter::from_fn(|| engine.poll_output())
            .map(|o| match o {
                Output::Pane(p) => (p.key.0, p.value, p.info.is_last),
                Output::DeadLetter(d) => panic!("unexpected dead letter {d:?}"),
            })
            .collect();
        let want: Vec<_> = (0..keys)
            .map(|k| (k, AggValue::Sum(2 * k as i64), true))
            .collect();
        assert_eq!(panes, want);
        assert!(engine.state_size().is_empty());
    }
}
