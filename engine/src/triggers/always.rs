//! `always`: fires on every bundle that added an element, and never
//! finishes. `count` holds the elements since the last pane.

use super::Node;

#[inline]
pub(super) fn on_element(n: &mut Node) {
    n.count += 1;
}

#[inline]
pub(super) fn should_fire(n: &Node) -> bool {
    n.count >= 1
}

#[inline]
pub(super) fn on_fire(n: &mut Node) {
    n.count = 0;
}
