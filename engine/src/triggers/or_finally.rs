//! `or_finally(t, until)`: Beam's `OrFinallyStateMachine`. Fires like `t`
//! until `until` fires; that firing is the last and finishes the window.
//! Child 0 is `t`, child 1 is `until`.

use super::{Ctx, Node};
use crate::time::ProcTime;
use crate::trigger::Trigger;

#[inline]
pub(super) fn on_element(n: &mut Node, trigger: &Trigger, until: &Trigger, ctx: &Ctx) {
    n.children[0].on_element(trigger, ctx);
    n.children[1].on_element(until, ctx);
}

#[inline]
pub(super) fn should_fire(n: &Node, trigger: &Trigger, until: &Trigger, ctx: &Ctx) -> bool {
    n.children[0].should_fire(trigger, ctx) || n.children[1].should_fire(until, ctx)
}

#[inline]
pub(super) fn on_fire(n: &mut Node, trigger: &Trigger, until: &Trigger, ctx: &Ctx) {
    if n.children[1].should_fire(until, ctx) {
        n.children[1].on_fire(until, ctx);
        n.finished = true;
    } else {
        n.children[0].on_fire(trigger, ctx);
        n.finished = n.children[0].finished;
    }
}

#[inline]
pub(super) fn next_deadline(n: &Node, trigger: &Trigger, until: &Trigger) -> Option<ProcTime> {
    let a = n.children[0].next_deadline(trigger);
    let b = n.children[1].next_deadline(until);
    a.into_iter().chain(b).min()
}
