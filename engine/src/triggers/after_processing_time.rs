//! `after_processing_time(d)`: Beam's `AfterProcessingTimeStateMachine`
//! (`AfterDelayFromFirstElementStateMachine`). The first element sets
//! `timer` to its processing time plus `d`, rounded up to the next
//! `offset + k·period` when aligned. The trigger is ready only once the
//! processing time is strictly after that (`isAfter`, as Java's
//! `shouldFire` and `InMemoryTimerInternals` compare), fires once and
//! finishes. Merged windows keep the earliest timer.

use super::{Ctx, Node};
use crate::time::{Duration, ProcTime};

#[inline]
pub(super) fn on_element(
    n: &mut Node,
    delay: Duration,
    align: Option<(Duration, Duration)>,
    ctx: &Ctx,
) {
    if n.timer.is_none() {
        n.timer = Some(fire_time(ctx.now, delay, align));
    }
}

#[inline]
pub(super) fn should_fire(n: &Node, ctx: &Ctx) -> bool {
    n.timer.is_some_and(|at| ctx.now > at)
}

#[inline]
pub(super) fn on_fire(n: &mut Node) {
    n.finished = true;
}

/// The first processing time strictly after the timer: integer ticks, so
/// one past it. A timer at `ProcTime::MAX` never fires.
#[inline]
pub(super) fn next_deadline(n: &Node) -> Option<ProcTime> {
    n.timer.map(|at| at.plus(Duration(1)))
}

/// `now + delay`, rounded up to the next `offset + k·period` when aligned. A
/// time already on a boundary stays, as in Beam's `alignedTo`.
fn fire_time(now: ProcTime, delay: Duration, align: Option<(Duration, Duration)>) -> ProcTime {
    let t = now.plus(delay);
    match align {
        None => t,
        Some((period, offset)) => {
            let since = (t.0 as i128 - offset.0 as i128).rem_euclid(period.0 as i128);
            if since == 0 {
                t
            } else {
                let up = t.0 as i128 + (period.0 as i128 - since);
                ProcTime(up.min(i64::MAX as i128) as i64)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_ctx;
    use super::*;
    use crate::trigger::Trigger;

    #[test]
    fn aligned_processing_time_rounds_up_to_the_next_boundary() {
        let align = Some((Duration(60), Duration(0)));
        assert_eq!(fire_time(ProcTime(61), Duration(0), align), ProcTime(120));
        assert_eq!(fire_time(ProcTime(120), Duration(0), align), ProcTime(120));
        assert_eq!(fire_time(ProcTime(50), Duration(5), None), ProcTime(55));
    }

    #[test]
    fn fires_only_strictly_after_first_element_plus_delay() {
        let t = Trigger::AfterProcessingTime {
            delay: Duration(3),
            align: None,
        };
        let mut n = Node::new(&t);
        n.on_element(&t, &test_ctx(0, 0));
        assert!(!n.should_fire(&t, &test_ctx(0, 3)), "not at first + delay");
        assert!(n.should_fire(&t, &test_ctx(0, 4)));
        assert_eq!(n.next_deadline(&t), Some(ProcTime(4)));
    }
}
