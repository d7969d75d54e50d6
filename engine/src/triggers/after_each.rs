//! `after_each(ts)`: Beam's `AfterEachStateMachine`. Runs the children one
//! after another; `index` is the child now running. Finishes after the last.

use super::{Ctx, Node};
use crate::time::ProcTime;
use crate::trigger::Trigger;

#[inline]
pub(super) fn on_element(n: &mut Node, cs: &[Trigger], ctx: &Ctx) {
    let i = n.index as usize;
    if let Some(c) = cs.get(i) {
        n.children[i].on_element(c, ctx);
    }
}

#[inline]
pub(super) fn should_fire(n: &Node, cs: &[Trigger], ctx: &Ctx) -> bool {
    let i = n.index as usize;
    cs.get(i).is_some_and(|c| n.children[i].should_fire(c, ctx))
}

#[inline]
pub(super) fn on_fire(n: &mut Node, cs: &[Trigger], ctx: &Ctx) {
    let i = n.index as usize;
    if let Some(c) = cs.get(i) {
        n.children[i].on_fire(c, ctx);
        if n.children[i].finished {
            n.index += 1;
        }
    }
    n.finished = n.index as usize >= cs.len();
}

#[inline]
pub(super) fn next_deadline(n: &Node, cs: &[Trigger]) -> Option<ProcTime> {
    let i = n.index as usize;
    cs.get(i).and_then(|c| n.children[i].next_deadline(c))
}
