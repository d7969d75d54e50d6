//! A host's own time-ordered queue of things to do: delayed sends (how
//! latency is simulated), ack timeouts, punctuation ticks. One queue per
//! host instead of a task or a timer per message keeps the tokio runtime's
//! work proportional to the number of wake-ups, not of messages.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Actions ordered by (time, insertion sequence): ties run in the order
/// they were scheduled, which is itself deterministic.
#[derive(Debug)]
pub struct Timers<A: Ord> {
    heap: BinaryHeap<Reverse<(i64, u64, A)>>,
    seq: u64,
}

impl<A: Ord> Default for Timers<A> {
    fn default() -> Self {
        Timers {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
}

impl<A: Ord> Timers<A> {
    /// Schedules `action` at `at_ms`.
    pub fn at(&mut self, at_ms: i64, action: A) {
        self.seq += 1;
        self.heap.push(Reverse((at_ms, self.seq, action)));
    }

    /// The next action due at or before `now_ms`.
    pub fn pop_due(&mut self, now_ms: i64) -> Option<A> {
        match self.heap.peek() {
            Some(Reverse((t, _, _))) if *t <= now_ms => self.heap.pop().map(|Reverse((_, _, a))| a),
            _ => None,
        }
    }

    /// Every queued action, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &A> {
        self.heap.iter().map(|Reverse((_, _, a))| a)
    }

    /// When the next action is due.
    pub fn next(&self) -> Option<i64> {
        self.heap.peek().map(|Reverse((t, _, _))| *t)
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
