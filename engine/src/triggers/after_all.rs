//! `after_all(ts)`: Beam's `AfterAllStateMachine`. Fires when every
//! unfinished child is ready (a finished child counts as satisfied), fires
//! them all, and finishes when every child has finished.

use super::{Ctx, Node};
use crate::trigger::Trigger;

#[inline]
pub(super) fn on_element(n: &mut Node, cs: &[Trigger], ctx: &Ctx) {
    for (c, child) in cs.iter().zip(&mut n.children) {
        child.on_element(c, ctx);
    }
}

#[inline]
pub(super) fn should_fire(n: &Node, cs: &[Trigger], ctx: &Ctx) -> bool {
    cs.iter()
        .zip(&n.children)
        .all(|(c, child)| child.finished || child.should_fire(c, ctx))
}

#[inline]
pub(super) fn on_fire(n: &mut Node, cs: &[Trigger], ctx: &Ctx) {
    for (c, child) in cs.iter().zip(&mut n.children) {
        if !child.finished {
            child.on_fire(c, ctx);
        }
    }
    n.finished = n.children.iter().all(|child| child.finished);
}
