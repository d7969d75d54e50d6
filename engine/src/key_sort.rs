//! Sorting a window's expired key-windows by key, for the one-pass expiry
//! (`expiry`): with many keys, tens of thousands per window end. A
//! comparison sort spends about log2(n) passes over them; this is a radix
//! sort, one pass per byte of the key in which the keys differ (three for
//! keys below 2^24), each pass stable, so the result is the ordering by
//! key, as any sort would give for distinct keys.

use crate::output::Key;
use crate::window_state::Slot;

/// Below this many, the comparison sort is as fast and needs no buffer.
const RADIX_MIN: usize = 256;

/// Sorts `items` by key. `scratch` is a second buffer, kept between calls
/// (it holds only placeholders, closed slots, when this returns).
pub(crate) fn sort_by_key(items: &mut Vec<(Key, Slot)>, scratch: &mut Vec<(Key, Slot)>) {
    if items.len() < RADIX_MIN {
        items.sort_unstable_by_key(|&(key, _)| key);
        return;
    }
    // One read of the keys counts every byte's digits, and finds the
    // bytes in which some key differs from the first (the others need no
    // pass).
    let first = items[0].0 .0;
    let mut differ = 0u64;
    let mut counts = [[0usize; 256]; 8];
    for &(Key(key), _) in items.iter() {
        differ |= key ^ first;
        for (byte, count) in counts.iter_mut().enumerate() {
            count[usize::from((key >> (8 * byte)) as u8)] += 1;
        }
    }
    scratch.resize_with(items.len(), || (Key(0), Slot::Closed));
    for (byte, count) in counts.iter().enumerate() {
        let shift = 8 * byte;
        if (differ >> shift) as u8 == 0 {
            continue;
        }
        // Where each digit's run starts.
        let mut at = [0usize; 256];
        let mut sum = 0;
        for (a, &c) in at.iter_mut().zip(count) {
            *a = sum;
            sum += c;
        }
        // Each item moves to its place in `scratch` (in input order within
        // a digit: stable), a placeholder coming back in its stead.
        for item in items.iter_mut() {
            let d = usize::from((item.0 .0 >> shift) as u8);
            std::mem::swap(item, &mut scratch[at[d]]);
            at[d] += 1;
        }
        std::mem::swap(items, scratch);
    }
}

#[cfg(test)]
mod tests {
    use super::sort_by_key;
    use crate::aggregate::{AggValue, Aggregate};
    use crate::output::Key;
    use crate::pipeline::{Accumulation, OnTimeBehavior, Pipeline, TimestampCombiner};
    use crate::time::Duration;
    use crate::trigger::Trigger;
    use crate::window::WindowFn;
    use crate::window_state::{Slot, WindowState};
    use proptest::prelude::*;

    /// An open slot holding `key` as its sum, or a closed one for odd keys:
    /// what travels with each key.
    fn slot(key: u64) -> Slot {
        if key % 2 == 1 {
            return Slot::Closed;
        }
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
        st.acc = AggValue::Sum(key as i64);
        Slot::Open(Box::new(st))
    }

    /// What a slot says its key is (`None` for a closed one).
    fn says(slot: &Slot) -> Option<u64> {
        match slot {
            Slot::Open(st) => match st.acc {
                AggValue::Sum(s) => Some(s as u64),
                _ => None,
            },
            Slot::Closed => None,
        }
    }

    proptest! {
        /// The radix sort orders keys as the standard sort does, whatever
        /// bytes they differ in, each slot staying with its key, and keeps
        /// nothing but placeholders aside.
        #[test]
        fn sorts_as_the_standard_sort(
            keys in prop::collection::vec(any::<u64>(), 0..2_000),
            mask in any::<u64>(),
        ) {
            // The mask confines the keys to a few bytes, sometimes.
            let keys: Vec<u64> = keys.into_iter().map(|k| k & mask).collect();
            let mut items: Vec<(Key, Slot)> = keys.iter().map(|&k| (Key(k), slot(k))).collect();
            let mut scratch = Vec::new();
            sort_by_key(&mut items, &mut scratch);
            let mut want = keys.clone();
            want.sort_unstable();
            let got: Vec<u64> = items.iter().map(|(k, _)| k.0).collect();
            prop_assert_eq!(got, want);
            for (k, s) in &items {
                prop_assert_eq!(says(s), (k.0 % 2 == 0).then_some(k.0));
            }
            prop_assert!(scratch.iter().all(|(_, s)| matches!(s, Slot::Closed)));
        }
    }
}
