//! `repeatedly(t)`: Beam's `RepeatedlyStateMachine`. Runs its child
//! forever: when the child finishes on a firing, it starts over fresh.

use super::{fire_repeatedly, Ctx, Node};
use crate::trigger::Trigger;

#[inline]
pub(super) fn on_element(n: &mut Node, child: &Trigger, ctx: &Ctx) {
    n.children[0].on_element(child, ctx);
}

#[inline]
pub(super) fn should_fire(n: &Node, child: &Trigger, ctx: &Ctx) -> bool {
    n.children[0].should_fire(child, ctx)
}

#[inline]
pub(super) fn on_fire(n: &mut Node, child: &Trigger, ctx: &Ctx) {
    fire_repeatedly(&mut n.children[0], child, ctx);
}

#[cfg(test)]
mod tests {
    use super::super::test_ctx;
    use super::*;

    #[test]
    fn resets_its_child() {
        let t = Trigger::Repeatedly(Box::new(Trigger::AfterCount(1)));
        let mut n = Node::new(&t);
        n.on_element(&t, &test_ctx(0, 0));
        n.on_fire(&t, &test_ctx(0, 0));
        assert!(!n.finished);
        assert!(!n.should_fire(&t, &test_ctx(0, 0)));
    }
}
