//! Per-window trigger state and the state machines that drive it.
//!
//! A [`Trigger`] is a spec; each window holds one [`Node`] per node of the
//! spec's tree, children indexed like Beam's `NestedContext`, so
//! sub-triggers never share state. Each trigger kind's behaviour lives in its
//! own module, like Beam Java's `*StateMachine` classes: `on_element` sees an
//! element, `should_fire` asks, `on_fire` acts (and may finish the node),
//! `next_deadline` says when processing time could make it ready, and
//! `merge` combines the states of merging session windows. This file only
//! dispatches: one line per kind and operation.

mod after_all;
mod after_any;
mod after_count;
mod after_each;
mod after_processing_time;
mod after_watermark;
mod always;
mod default_trigger;
mod never;
mod or_finally;
mod repeatedly;

use crate::time::{EventTime, ProcTime};
use crate::trigger::Trigger;
use crate::window::Window;

/// What a trigger may look at when asked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub(crate) window: Window,
    /// The input watermark.
    pub(crate) watermark: EventTime,
    /// The processing time.
    pub(crate) now: ProcTime,
}

impl Ctx {
    /// Beam's `endOfWindowReached`: the input watermark is past the window's
    /// max timestamp, i.e. at or past its end.
    pub(crate) fn end_passed(&self) -> bool {
        if known_bug!(OnTimeOneTickEarly) {
            // KNOWN BUG: the end counts as passed one tick early.
            return self.watermark.0 >= self.window.end.0.saturating_sub(1);
        }
        self.watermark >= self.window.end
    }
}

/// State of one trigger node. The meaning of `count`, `timer`, `late_phase`
/// and `index` depends on the node's kind (see its module); unused ones stay
/// at zero.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Node {
    pub(crate) finished: bool,
    /// after_count, always: elements since the last reset.
    count: u64,
    /// after_processing_time: the time it waits to be strictly after, set by
    /// the first element.
    timer: Option<ProcTime>,
    /// after_watermark: the on-time pane has fired (the late phase).
    late_phase: bool,
    /// after_each: the child now running.
    index: u32,
    children: Vec<Node>,
}

impl Node {
    /// Fresh state for a trigger with no children (what `new` gives it),
    /// spelled out so that it costs no call.
    pub(crate) const LEAF: Node = Node {
        finished: false,
        count: 0,
        timer: None,
        late_phase: false,
        index: 0,
        children: Vec::new(),
    };

    /// Fresh state for `t`.
    pub(crate) fn new(t: &Trigger) -> Node {
        let children = match t {
            Trigger::AfterWatermark { early, late } => after_watermark::children(early, late),
            Trigger::Repeatedly(c) => vec![Node::new(c)],
            Trigger::AfterAny(cs) | Trigger::AfterAll(cs) | Trigger::AfterEach(cs) => {
                cs.iter().map(Node::new).collect()
            }
            Trigger::OrFinally { trigger, until } => vec![Node::new(trigger), Node::new(until)],
            _ => Vec::new(),
        };
        Node {
            children,
            ..Node::default()
        }
    }

    /// Back to the state `Node::new` gives, for the trigger this node was
    /// made for (whose shape never changes), keeping the children's memory:
    /// a recycled window state keeps its tree beside it (`SparePool`).
    pub(crate) fn reset(&mut self) {
        let mut children = std::mem::take(&mut self.children);
        children.iter_mut().for_each(Node::reset);
        *self = Node {
            children,
            ..Node::default()
        };
    }

    /// An element arrived in the window.
    #[inline(always)]
    pub(crate) fn on_element(&mut self, t: &Trigger, ctx: &Ctx) {
        // The kinds that keep no per-element state, and the count, are
        // answered here, inline in the per-record path: a call into the
        // recursive dispatch cost more than the answer.
        match t {
            Trigger::AfterWatermark { early, late } if !self.finished => {
                after_watermark::on_element(self, early, late, ctx);
            }
            _ => self.on_element_leaf(t, ctx),
        }
    }

    /// `on_element` for a leaf inline, anything else by the dispatch: what
    /// `after_watermark` asks of its children. Not recursive, so it inlines
    /// (a recursive inline function is outlined, call and all).
    #[inline(always)]
    pub(super) fn on_element_leaf(&mut self, t: &Trigger, ctx: &Ctx) {
        match t {
            Trigger::Default | Trigger::Never => {}
            Trigger::AfterCount(_) if !self.finished => after_count::on_element(self),
            _ => self.on_element_dispatch(t, ctx),
        }
    }

    fn on_element_dispatch(&mut self, t: &Trigger, ctx: &Ctx) {
        if self.finished {
            return;
        }
        match t {
            Trigger::Default => {}
            Trigger::Never => {}
            Trigger::Always => always::on_element(self),
            Trigger::AfterCount(_) => after_count::on_element(self),
            Trigger::AfterProcessingTime { delay, align } => {
                after_processing_time::on_element(self, *delay, *align, ctx);
            }
            Trigger::AfterWatermark { early, late } => {
                after_watermark::on_element(self, early, late, ctx);
            }
            Trigger::Repeatedly(c) => repeatedly::on_element(self, c, ctx),
            Trigger::AfterAny(cs) => after_any::on_element(self, cs, ctx),
            Trigger::AfterAll(cs) => after_all::on_element(self, cs, ctx),
            Trigger::AfterEach(cs) => after_each::on_element(self, cs, ctx),
            Trigger::OrFinally { trigger, until } => {
                or_finally::on_element(self, trigger, until, ctx);
            }
        }
    }

    /// Whether the window should fire now.
    #[inline(always)]
    pub(crate) fn should_fire(&self, t: &Trigger, ctx: &Ctx) -> bool {
        // As in `on_element`: the common leaves answered inline.
        match t {
            Trigger::AfterWatermark { early, late } => {
                !self.finished && after_watermark::should_fire(self, early, late, ctx)
            }
            _ => self.should_fire_leaf(t, ctx),
        }
    }

    /// `should_fire` for a leaf inline, anything else by the dispatch (see
    /// `on_element_leaf`).
    #[inline(always)]
    pub(super) fn should_fire_leaf(&self, t: &Trigger, ctx: &Ctx) -> bool {
        match t {
            Trigger::Default => !self.finished && default_trigger::should_fire(ctx),
            Trigger::AfterCount(n) => !self.finished && after_count::should_fire(self, *n),
            _ => self.should_fire_dispatch(t, ctx),
        }
    }

    fn should_fire_dispatch(&self, t: &Trigger, ctx: &Ctx) -> bool {
        if self.finished {
            return false;
        }
        match t {
            Trigger::Default => default_trigger::should_fire(ctx),
            Trigger::Never => never::should_fire(),
            Trigger::Always => always::should_fire(self),
            Trigger::AfterCount(n) => after_count::should_fire(self, *n),
            Trigger::AfterProcessingTime { .. } => after_processing_time::should_fire(self, ctx),
            Trigger::AfterWatermark { early, late } => {
                after_watermark::should_fire(self, early, late, ctx)
            }
            Trigger::Repeatedly(c) => repeatedly::should_fire(self, c, ctx),
            Trigger::AfterAny(cs) => after_any::should_fire(self, cs, ctx),
            Trigger::AfterAll(cs) => after_all::should_fire(self, cs, ctx),
            Trigger::AfterEach(cs) => after_each::should_fire(self, cs, ctx),
            Trigger::OrFinally { trigger, until } => {
                or_finally::should_fire(self, trigger, until, ctx)
            }
        }
    }

    /// The window fired; update state. Sets `finished` when the trigger is
    /// done for good. Call only when `should_fire` said yes.
    #[inline]
    pub(crate) fn on_fire(&mut self, t: &Trigger, ctx: &Ctx) {
        match t {
            Trigger::Default => {}
            Trigger::Never => {}
            Trigger::Always => always::on_fire(self),
            Trigger::AfterCount(_) => after_count::on_fire(self),
            Trigger::AfterProcessingTime { .. } => after_processing_time::on_fire(self),
            Trigger::AfterWatermark { early, late } => {
                after_watermark::on_fire(self, early, late, ctx);
            }
            Trigger::Repeatedly(c) => repeatedly::on_fire(self, c, ctx),
            Trigger::AfterAny(cs) => after_any::on_fire(self, cs, ctx),
            Trigger::AfterAll(cs) => after_all::on_fire(self, cs, ctx),
            Trigger::AfterEach(cs) => after_each::on_fire(self, cs, ctx),
            Trigger::OrFinally { trigger, until } => or_finally::on_fire(self, trigger, until, ctx),
        }
    }

    /// The earliest processing time at which this state could start firing,
    /// if it waits on one.
    #[inline]
    pub(crate) fn next_deadline(&self, t: &Trigger) -> Option<ProcTime> {
        if self.finished {
            return None;
        }
        match t {
            Trigger::Default | Trigger::Never | Trigger::Always | Trigger::AfterCount(_) => None,
            Trigger::AfterProcessingTime { .. } => after_processing_time::next_deadline(self),
            Trigger::AfterWatermark { early, late } => {
                after_watermark::next_deadline(self, early, late)
            }
            Trigger::Repeatedly(c) => self.children[0].next_deadline(c),
            Trigger::AfterAny(cs) | Trigger::AfterAll(cs) => self.earliest_child_deadline(cs),
            Trigger::AfterEach(cs) => after_each::next_deadline(self, cs),
            Trigger::OrFinally { trigger, until } => {
                or_finally::next_deadline(self, trigger, until)
            }
        }
    }

    fn earliest_child_deadline(&self, cs: &[Trigger]) -> Option<ProcTime> {
        cs.iter()
            .zip(&self.children)
            .filter_map(|(c, n)| n.next_deadline(c))
            .min()
    }

    /// The state of a merged window, from the states of the windows merged
    /// into it (windows that never held state, such as a new element's own
    /// session, contribute nothing). `ctx.window` is the merged window.
    ///
    /// As Beam merges trigger state: counts add, the earliest timer wins,
    /// finished bits and the `after_each` position are the furthest of any;
    /// composites merge child by child; `after_watermark` has its own rule
    /// (see its module).
    pub(crate) fn merged(t: &Trigger, nodes: &[&Node], ctx: &Ctx) -> Node {
        let mut out = Node::new(t);
        if nodes.is_empty() {
            return out;
        }
        out.finished = nodes.iter().any(|n| n.finished);
        out.count = nodes.iter().map(|n| n.count).sum();
        out.timer = nodes.iter().filter_map(|n| n.timer).min();
        out.index = nodes.iter().map(|n| n.index).max().unwrap_or(0);
        match t {
            Trigger::AfterWatermark { early, late } => {
                after_watermark::merge(&mut out, early, late, nodes, ctx);
            }
            Trigger::Repeatedly(c) => out.children[0] = merged_child(c, 0, nodes, ctx),
            Trigger::AfterAny(cs) | Trigger::AfterAll(cs) | Trigger::AfterEach(cs) => {
                for (i, c) in cs.iter().enumerate() {
                    out.children[i] = merged_child(c, i, nodes, ctx);
                }
            }
            Trigger::OrFinally { trigger, until } => {
                out.children[0] = merged_child(trigger, 0, nodes, ctx);
                out.children[1] = merged_child(until, 1, nodes, ctx);
            }
            Trigger::Default
            | Trigger::Never
            | Trigger::Always
            | Trigger::AfterCount(_)
            | Trigger::AfterProcessingTime { .. } => {}
        }
        out
    }
}

impl Node {
    /// `merged(t, &[self], ctx)` in place: the merge of one source (a
    /// session that grew), which keeps the source's state except where
    /// `after_watermark` resets a child, without building a new tree.
    /// Inline for the leaves, which keep their state (every element of a
    /// growing session comes here): as in `on_element`, a call into the
    /// recursive form cost more than the answer.
    #[inline(always)]
    pub(crate) fn merge_alone(&mut self, t: &Trigger, ctx: &Ctx) {
        match t {
            Trigger::Default
            | Trigger::Never
            | Trigger::Always
            | Trigger::AfterCount(_)
            | Trigger::AfterProcessingTime { .. } => self.late_phase = false,
            _ => self.merge_alone_tree(t, ctx),
        }
    }

    /// `merge_alone` for any node.
    fn merge_alone_tree(&mut self, t: &Trigger, ctx: &Ctx) {
        // `merged` starts from a fresh node, whose phase is early.
        let was_late = std::mem::take(&mut self.late_phase);
        match t {
            Trigger::AfterWatermark { early, late } => {
                after_watermark::merge_alone(self, early, late, was_late, ctx);
            }
            Trigger::Repeatedly(c) => self.children[0].merge_alone_tree(c, ctx),
            Trigger::AfterAny(cs) | Trigger::AfterAll(cs) | Trigger::AfterEach(cs) => {
                for (c, n) in cs.iter().zip(&mut self.children) {
                    n.merge_alone_tree(c, ctx);
                }
            }
            Trigger::OrFinally { trigger, until } => {
                self.children[0].merge_alone_tree(trigger, ctx);
                self.children[1].merge_alone_tree(until, ctx);
            }
            Trigger::Default
            | Trigger::Never
            | Trigger::Always
            | Trigger::AfterCount(_)
            | Trigger::AfterProcessingTime { .. } => {}
        }
    }
}

/// Child `i` of the merged node: the merge of child `i` of every source.
fn merged_child(t: &Trigger, i: usize, nodes: &[&Node], ctx: &Ctx) -> Node {
    let children: Vec<&Node> = nodes.iter().map(|n| &n.children[i]).collect();
    Node::merged(t, &children, ctx)
}

/// Fires `child` as part of a repeating parent: a finished child starts over.
fn fire_repeatedly(child: &mut Node, t: &Trigger, ctx: &Ctx) {
    child.on_fire(t, ctx);
    if child.finished {
        *child = Node::new(t);
    }
}

#[cfg(test)]
pub(crate) fn test_ctx(wm: i64, now: i64) -> Ctx {
    Ctx {
        window: Window::new(EventTime(0), EventTime(10)),
        watermark: EventTime(wm),
        now: ProcTime(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Duration;

    /// `merge_alone` is `merged` of one source, for every kind of node in
    /// the states a few elements and firings lead to, with the merged
    /// window's end passed or not; and `reset` gives `Node::new` back.
    #[test]
    fn merging_one_source_in_place_equals_merged() {
        let count = |n| Box::new(Trigger::AfterCount(n));
        let triggers = [
            Trigger::Default,
            Trigger::Always,
            Trigger::AfterCount(2),
            Trigger::AfterProcessingTime {
                delay: Duration(3),
                align: None,
            },
            Trigger::AfterWatermark {
                early: Some(count(2)),
                late: Some(count(1)),
            },
            Trigger::AfterWatermark {
                early: None,
                late: Some(Box::new(Trigger::Repeatedly(count(2)))),
            },
            Trigger::Repeatedly(Box::new(Trigger::AfterWatermark {
                early: Some(count(1)),
                late: None,
            })),
            Trigger::AfterEach(vec![Trigger::AfterCount(1), Trigger::Default]),
            Trigger::OrFinally {
                trigger: Box::new(Trigger::AfterAny(vec![
                    Trigger::AfterCount(3),
                    Trigger::AfterWatermark {
                        early: None,
                        late: None,
                    },
                ])),
                until: count(5),
            },
        ];
        for t in &triggers {
            let mut n = Node::new(t);
            // Elements before the end, firings as they come, then past it.
            for (i, wm) in [0, 2, 4, 6, 10, 11, 12, 13, 14].into_iter().enumerate() {
                let ctx = test_ctx(wm, i as i64);
                n.on_element(t, &ctx);
                if n.should_fire(t, &ctx) {
                    n.on_fire(t, &ctx);
                }
                // A recycled state's tree, reset in place, is a new one.
                let mut reset = n.clone();
                reset.reset();
                assert_eq!(reset, Node::new(t), "{t:?} reset after {i} elements");
                for merged_wm in [wm, 9, 25] {
                    let merged_ctx = Ctx {
                        window: Window::new(EventTime(0), EventTime(20)),
                        ..test_ctx(merged_wm, i as i64)
                    };
                    let want = Node::merged(t, &[&n], &merged_ctx);
                    let mut got = n.clone();
                    got.merge_alone(t, &merged_ctx);
                    assert_eq!(got, want, "{t:?} after {i} elements, watermark {merged_wm}");
                }
            }
        }
    }
}
