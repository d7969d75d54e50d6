//! `after_count(n)`: Beam's `AfterPaneStateMachine.elementCountAtLeast`.
//! Fires once the pane holds at least `n` elements, then finishes. `count`
//! holds the elements seen; merged windows add their counts.

use super::Node;

#[inline]
pub(super) fn on_element(n: &mut Node) {
    n.count += 1;
}

#[inline]
pub(super) fn should_fire(n: &Node, target: u64) -> bool {
    n.count >= target
}

#[inline]
pub(super) fn on_fire(n: &mut Node) {
    n.finished = true;
}

#[cfg(test)]
mod tests {
    use super::super::test_ctx;
    use super::*;
    use crate::trigger::Trigger;

    #[test]
    fn fires_at_n_and_finishes() {
        let t = Trigger::AfterCount(2);
        let mut n = Node::new(&t);
        n.on_element(&t, &test_ctx(0, 0));
        assert!(!n.should_fire(&t, &test_ctx(0, 0)));
        n.on_element(&t, &test_ctx(0, 0));
        assert!(n.should_fire(&t, &test_ctx(0, 0)));
        n.on_fire(&t, &test_ctx(0, 0));
        assert!(n.finished);
    }
}
