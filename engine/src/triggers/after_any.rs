//! `after_any(ts)`: Beam's `AfterFirstStateMachine`. Fires when any child
//! is ready, fires every ready child, and finishes when any child finished.

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
        .any(|(c, child)| child.should_fire(c, ctx))
}

#[inline]
pub(super) fn on_fire(n: &mut Node, cs: &[Trigger], ctx: &Ctx) {
    for (c, child) in cs.iter().zip(&mut n.children) {
        if child.should_fire(c, ctx) {
            child.on_fire(c, ctx);
        }
    }
    n.finished = n.children.iter().any(|child| child.finished);
}
