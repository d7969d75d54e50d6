//! `after_watermark{early, late}`: Beam's `AfterWatermarkStateMachine`
//! (`FromEndOfWindow`, and `AfterWatermarkEarlyAndLate` with sub-triggers).
//!
//! Before the watermark passes the end of the window the node is in its
//! early phase: the `early` child (slot 0) fires repeatedly. When the input
//! watermark passes the end, the trigger fires the on-time pane and enters
//! its late phase (`late_phase`); the `late` child (slot 1) then fires
//! repeatedly, starting from a fresh state (early elements do not count
//! toward it). Without `late`, the trigger finishes with the on-time pane,
//! which closes the window.

use super::{fire_repeatedly, merged_child, Ctx, Node};
use crate::time::ProcTime;
use crate::trigger::Trigger;

type Sub = Option<Box<Trigger>>;

/// Fixed slots, 0 early and 1 late, whether each is present or not.
#[inline]
pub(super) fn children(early: &Sub, late: &Sub) -> Vec<Node> {
    let slot = |c: &Sub| c.as_deref().map_or_else(Node::default, Node::new);
    vec![slot(early), slot(late)]
}

#[inline(always)]
pub(super) fn on_element(n: &mut Node, early: &Sub, late: &Sub, ctx: &Ctx) {
    if n.late_phase {
        if let Some(l) = late {
            n.children[1].on_element_leaf(l, ctx);
        }
    } else if let Some(e) = early {
        n.children[0].on_element_leaf(e, ctx);
    }
}

#[inline(always)]
pub(super) fn should_fire(n: &Node, early: &Sub, late: &Sub, ctx: &Ctx) -> bool {
    // `if let`, not `is_some_and`: its closure was left out of line.
    if n.late_phase {
        if let Some(l) = late {
            return n.children[1].should_fire_leaf(l, ctx);
        }
        false
    } else {
        if ctx.end_passed() {
            return true;
        }
        if let Some(e) = early {
            return n.children[0].should_fire_leaf(e, ctx);
        }
        false
    }
}

#[inline]
pub(super) fn on_fire(n: &mut Node, early: &Sub, late: &Sub, ctx: &Ctx) {
    if n.late_phase {
        if let Some(l) = late {
            fire_repeatedly(&mut n.children[1], l, ctx);
        }
    } else if ctx.end_passed() {
        // The on-time pane. The early trigger is done with; the late one
        // starts counting from here.
        n.late_phase = true;
        n.finished = late.is_none();
    } else if let Some(e) = early {
        fire_repeatedly(&mut n.children[0], e, ctx);
    }
}

#[inline]
pub(super) fn next_deadline(n: &Node, early: &Sub, late: &Sub) -> Option<ProcTime> {
    if n.late_phase {
        late.as_ref().and_then(|l| n.children[1].next_deadline(l))
    } else {
        early.as_ref().and_then(|e| n.children[0].next_deadline(e))
    }
}

/// Stays in the late phase only if every merged window with state was in it
/// and the watermark has passed the merged window's end; otherwise returns
/// to the early phase, and the late trigger starts over
/// (`AfterWatermarkEarlyAndLate.onMerge`). A new element's own window has
/// no state and doesn't count, which is what Beam's golden
/// `early_late_sessions` shows.
#[inline]
pub(super) fn merge(out: &mut Node, early: &Sub, late: &Sub, nodes: &[&Node], ctx: &Ctx) {
    out.late_phase = nodes.iter().all(|n| n.late_phase) && ctx.end_passed();
    if out.late_phase {
        if let Some(l) = late {
            out.children[1] = merged_child(l, 1, nodes, ctx);
        }
    } else {
        if let Some(e) = early {
            out.children[0] = merged_child(e, 0, nodes, ctx);
        }
        // The on-time pane is owed again; a later late phase starts fresh.
        out.finished = false;
    }
}

/// `merge` for one source, in place (`Node::merge_alone`): `was_late` is
/// the source's phase. The child of the phase left behind starts fresh, as
/// in `merge`, where it is a new node.
#[inline]
pub(super) fn merge_alone(n: &mut Node, early: &Sub, late: &Sub, was_late: bool, ctx: &Ctx) {
    let slot = |c: &Sub| c.as_deref().map_or_else(Node::default, Node::new);
    n.late_phase = was_late && ctx.end_passed();
    if n.late_phase {
        n.children[0] = slot(early);
        if let Some(l) = late {
            n.children[1].merge_alone(l, ctx);
        }
    } else {
        if let Some(e) = early {
            n.children[0].merge_alone(e, ctx);
        }
        n.children[1] = slot(late);
        n.finished = false;
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_ctx;
    use super::*;

    #[test]
    fn without_late_finishes_on_time() {
        let t = Trigger::AfterWatermark {
            early: None,
            late: None,
        };
        let mut n = Node::new(&t);
        assert!(!n.should_fire(&t, &test_ctx(9, 0)));
        assert!(n.should_fire(&t, &test_ctx(10, 0)));
        n.on_fire(&t, &test_ctx(10, 0));
        assert!(n.finished);
    }
}
