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
/// and the heap's sifting was a tenth of a seed's time).
#[derive(Debug)]
pub struct Timers<A> {
    buckets: BTreeMap<i64, VecDeque<A>>,
    /// Emptied buckets, kept so a new time reuses their allocation.
    spare: Vec<VecDeque<A>>,
}

impl<A> Default for Timers<A> {
    fn default() -> Self {
        Timers {
            buckets: BTreeMap::new(),
            spare: Vec::new(),
        }
    }
}

impl<A> Timers<A> {
    /// Schedules `action` at `at_ms`.
    pub fn at(&mut self, at_ms: i64, action: A) {
        let spare = &mut self.spare;
        self.buckets
            .entry(at_ms)
            .or_insert_with(|| spare.pop().unwrap_or_default())
            .push_back(action);
    }

    /// The next action due at or before `now_ms`.
    pub fn pop_due(&mut self, now_ms: i64) -> Option<A> {
        let mut first = self.buckets.first_entry()?;
        if *first.key() > now_ms {
            return None;
        }
        let action = first.get_mut().pop_front();
        if first.get().is_empty() {
            self.spare.push(first.remove());
        }
        action
    }

    /// Every queued action, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &A> {
        self.buckets.values().flatten()
    }

    /// When the next action is due.
    pub fn next(&self) -> Option<i64> {
        self.buckets.keys().next().copied()
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
}
