//! A host's own time-ordered queue of things to do: delayed sends (how
//! latency is simulated), ack timeouts, punctuation ticks. One queue per
//! host instead of a task or a timer per message keeps the tokio runtime's
//! work proportional to the number of wake-ups, not of messages.

use std::collections::{BTreeMap, VecDeque};

/// Actions ordered by (time, insertion sequence): ties run in the order
/// they were scheduled, which is itself deterministic.
///
/// A bucket per distinct time rather than a binary heap of every action:
/// hosts schedule at step starts only, so there are few distinct times and
/// many actions each; an action is moved once into its bucket instead of
/// being sifted through a heap (a send carries its whole encoded datagram,
/// and the heap's sifting was a tenth of a seed's time). The earliest
/// bucket is kept out of the map: most actions are taken from it, and
/// many are scheduled into it (a send due within the current step), so
/// those skip the map's search.
#[derive(Debug)]
pub struct Timers<A> {
    /// The earliest time and its actions; `None` only when nothing is
    /// queued at all.
    front: Option<(i64, VecDeque<A>)>,
    /// Every later time's actions.
    buckets: BTreeMap<i64, VecDeque<A>>,
    /// Emptied buckets, kept so a new time reuses their allocation.
    spare: Vec<VecDeque<A>>,
}

impl<A> Default for Timers<A> {
    fn default() -> Self {
        Timers {
            front: None,
            buckets: BTreeMap::new(),
            spare: Vec::new(),
        }
    }
}

impl<A> Timers<A> {
    /// Schedules `action` at `at_ms`.
    pub fn at(&mut self, at_ms: i64, action: A) {
        match &mut self.front {
            Some((t, q)) if *t == at_ms => q.push_back(action),
            Some((t, _)) if at_ms > *t => {
                let spare = &mut self.spare;
                self.buckets
                    .entry(at_ms)
                    .or_insert_with(|| spare.pop().unwrap_or_default())
                    .push_back(action);
            }
            _ => {
                // Earlier than everything queued (or nothing is): the new
                // front, and the old one joins the later times.
                let mut q = self.spare.pop().unwrap_or_default();
                q.push_back(action);
                if let Some((t, old)) = self.front.replace((at_ms, q)) {
                    self.buckets.insert(t, old);
                }
            }
        }
    }

    /// The next action due at or before `now_ms`.
    pub fn pop_due(&mut self, now_ms: i64) -> Option<A> {
        let (t, q) = self.front.as_mut()?;
        if *t > now_ms {
            return None;
        }
        let action = q.pop_front();
        if q.is_empty() {
            let next = self.buckets.pop_first();
            if let Some((_, emptied)) = std::mem::replace(&mut self.front, next) {
                self.spare.push(emptied);
            }
        }
        action
    }

    /// Every queued action, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &A> {
        self.front
            .iter()
            .flat_map(|(_, q)| q)
            .chain(self.buckets.values().flatten())
    }

    /// When the next action is due.
    pub fn next(&self) -> Option<i64> {
        self.front.as_ref().map(|(t, _)| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_keep_insertion_order() {
        let mut t = Timers::default();
        t.at(5, 'b');
        t.at(3, 'z');
        t.at(5, 'a');
        assert_eq!(t.next(), Some(3));
        assert_eq!(t.pop_due(4), Some('z'));
        assert_eq!(t.pop_due(4), None);
        assert_eq!(t.pop_due(5), Some('b'));
        assert_eq!(t.pop_due(5), Some('a'));
        assert_eq!(t.next(), None);
    }

    /// Against a plain sorted list, through schedules that land before,
    /// at and after the earliest time, interleaved with pops.
    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut t = Timers::default();
        let mut want: Vec<(i64, u32)> = Vec::new();
        let mut x = 7u64;
        for (seq, round) in (0..2_000i64).enumerate() {
            let seq = seq as u32;
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let at = round / 3 + (x >> 60) as i64 - 4;
            t.at(at, seq);
            want.push((at, seq));
            if x & 4 == 0 {
                let now = round / 3;
                want.sort_by_key(|&(a, s)| (a, s));
                while let Some(&(a, s)) = want.first().filter(|&&(a, _)| a <= now) {
                    assert_eq!(t.pop_due(now), Some(s), "at {a}");
                    want.remove(0);
                }
                assert_eq!(t.pop_due(now), None);
                assert_eq!(t.next(), want.first().map(|&(a, _)| a));
                assert_eq!(t.iter().count(), want.len());
            }
        }
    }
}
