//! The trace's delivery order, and the sort that puts a run's deliveries
//! in it.
//!
//! Why a sort of its own: receivers record deliveries a step at a time,
//! not in arrival order, and a comparison sort of a 10,000-event trace
//! (about 140,000 comparisons of five-field keys) was a tenth of a sweep
//! seed's time. Arrival times are milliseconds spread over about as many
//! milliseconds as there are deliveries, so the deliveries are first
//! distributed by time into at most as many buckets as deliveries, in
//! place, and then each bucket (mostly one delivery, or a few) is sorted
//! by the full order. The result is the same sequence a comparison sort gives:
//! deliveries with equal keys are equal.

use crate::model::Delivery;

/// Deliveries in time order; ties (the same millisecond) in a fixed order
/// that depends on nothing but the deliveries: records before
/// punctuations (a punctuation only covers what was acknowledged, so a
/// record arriving at the same instant is never behind it), then by
/// worker, channel and event or watermark.
pub fn delivery_order(d: &Delivery) -> (i64, u8, u32, u32, i64) {
    match *d {
        Delivery::Record {
            at,
            worker,
            channel,
            event,
            ..
        } => (at.0, 0, worker, channel, event as i64),
        Delivery::Punctuation {
            at,
            worker,
            channel,
            watermark,
        } => (at.0, 1, worker, channel, watermark.0),
    }
}

/// Below this many deliveries a comparison sort is as quick.
const SMALL: usize = 64;

/// Sorts `deliveries` into [`delivery_order`]. Deliveries with equal keys
/// must be equal (true before duplicates are marked), so the order among
/// them doesn't matter.
pub fn sort(deliveries: &mut [Delivery]) {
    let n = deliveries.len();
    if n < SMALL || u32::try_from(n).is_err() {
        deliveries.sort_unstable_by_key(delivery_order);
        return;
    }
    let (lo, hi) = deliveries.iter().fold((i64::MAX, i64::MIN), |(lo, hi), d| {
        let t = d.at().0;
        (lo.min(t), hi.max(t))
    });
    // Buckets of 2^shift milliseconds, at most one per delivery: two
    // 4-byte counters each, for a moment, beside the trace's 32 bytes.
    let span = u128::from(hi.wrapping_sub(lo) as u64) + 1;
    let mut shift = 0u32;
    while span >> shift > n as u128 {
        shift += 1;
    }
    let buckets = ((span - 1) >> shift) as usize + 1;
    let bucket = |d: &Delivery| (d.at().0.wrapping_sub(lo) as u64 >> shift) as usize;

    // `end[b]`: one past bucket b's last position; `next[b]`: its first
    // position not yet holding one of its own.
    let mut end = vec![0u32; buckets];
    for d in deliveries.iter() {
        end[bucket(d)] += 1;
    }
    let mut next = Vec::with_capacity(buckets);
    let mut total = 0u32;
    for e in &mut end {
        next.push(total);
        total += *e;
        *e = total;
    }
    // In place (American flag sort): swap each delivery into its bucket.
    for b in 0..buckets {
        while next[b] < end[b] {
            let i = next[b] as usize;
            let t = bucket(&deliveries[i]);
            if t == b {
                next[b] += 1;
            } else {
                let j = next[t] as usize;
                deliveries.swap(i, j);
                next[t] += 1;
            }
        }
    }
    let mut start = 0usize;
    for &e in &end {
        let e = e as usize;
        match e - start {
            0 | 1 => {}
            // Most buckets hold a few deliveries: an insertion sort, not
            // the general sort's setup.
            2..=16 => insertion_sort(&mut deliveries[start..e]),
            _ => deliveries[start..e].sort_unstable_by_key(delivery_order),
        }
        start = e;
    }
}

fn insertion_sort(s: &mut [Delivery]) {
    for i in 1..s.len() {
        let mut j = i;
        while j > 0 && delivery_order(&s[j]) < delivery_order(&s[j - 1]) {
            s.swap(j, j - 1);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use tidemark_engine::{EventTime, ProcTime};

    fn random(r: &mut ChaCha8Rng, n: usize, span: i64, base: i64) -> Vec<Delivery> {
        (0..n)
            .map(|_| {
                let at = ProcTime(base.saturating_add(r.gen_range(0..=span)));
                let worker = r.gen_range(0..3);
                let channel = r.gen_range(0..3);
                if r.gen_bool(0.1) {
                    Delivery::Punctuation {
                        at,
                        worker,
                        channel,
                        watermark: EventTime(r.gen_range(-5..5)),
                    }
                } else {
                    Delivery::Record {
                        at,
                        worker,
                        channel,
                        event: r.gen_range(0..50),
                        duplicate: false,
                    }
                }
            })
            .collect()
    }

    #[test]
    fn sorts_as_a_comparison_sort_does() {
        let mut r = ChaCha8Rng::seed_from_u64(1);
        for (n, span, base) in [
            (0, 10, 0),
            (1, 10, 0),
            (63, 5, -3),
            (500, 0, 7),
            (500, 3, -1),
            (1_000, 1_000, 0),
            (1_000, 999_999, 123),
            (2_000, i64::MAX / 2, i64::MIN / 2),
            (300, 40, i64::MAX - 40),
            (300, 40, i64::MIN),
        ] {
            let mut got = random(&mut r, n, span, base);
            let mut want = got.clone();
            want.sort_by_key(delivery_order);
            sort(&mut got);
            assert_eq!(got, want, "{n} over {span} from {base}");
        }
        // Both ends of i64 in one trace.
        let mut got = random(&mut r, 200, 10, i64::MIN);
        got.extend(random(&mut r, 200, 10, i64::MAX - 10));
        let mut want = got.clone();
        want.sort_by_key(delivery_order);
        sort(&mut got);
        assert_eq!(got, want);
    }
}
