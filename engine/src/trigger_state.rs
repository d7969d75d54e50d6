//! Per-window trigger state and the state machine that drives it.
//!
//! One [`Node`] per node of the [`Trigger`] tree, children indexed like
//! Beam's `NestedContext`, so sub-triggers never share state. The semantics
//! follow Beam's `TriggerStateMachine`s: `should_fire` asks, `on_fire` acts
//! and may finish the node, `Repeatedly` resets a finished child.

use crate::time::{Duration, EventTime, ProcTime};
use crate::trigger::Trigger;
use crate::window::Window;

/// What a trigger may look at when asked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub(crate) window: Window,
    pub(crate) watermark: EventTime,
    pub(crate) now: ProcTime,
}

impl Ctx {
    fn end_passed(&self) -> bool {
        self.watermark >= self.window.end
    }
}

/// State of one trigger node. The meaning of `count`, `timer`, `flag` and
/// `index` depends on the node's kind; unused ones stay at zero.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Node {
    pub(crate) finished: bool,
    /// after_count, always: elements since the last reset.
    count: u64,
    /// after_processing_time: when it fires, set by the first element.
    timer: Option<ProcTime>,
    /// after_watermark: the on-time pane has fired (we are in the late phase).
    flag: bool,
    /// after_each: the child now running.
    index: u32,
    children: Vec<Node>,
}

impl Node {
    /// Fresh state for `t`.
    pub(crate) fn new(t: &Trigger) -> Node {
        let children = match t {
            Trigger::AfterWatermark { early, late } => {
                // Slots are fixed: 0 early, 1 late, present or not.
                let slot =
                    |c: &Option<Box<Trigger>>| c.as_deref().map_or_else(Node::default, Node::new);
                vec![slot(early), slot(late)]
            }
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

    fn reset(&mut self, t: &Trigger) {
        *self = Node::new(t);
    }

    /// An element arrived in the window.
    pub(crate) fn on_element(&mut self, t: &Trigger, ctx: &Ctx) {
        if self.finished {
            return;
        }
        match t {
            Trigger::Default | Trigger::Never => {}
            Trigger::Always | Trigger::AfterCount(_) => self.count += 1,
            Trigger::AfterProcessingTime { delay, align } => {
                if self.timer.is_none() {
                    self.timer = Some(fire_time(ctx.now, *delay, *align));
                }
            }
            Trigger::AfterWatermark { early, late } => {
                if self.flag {
                    if let Some(l) = late {
                        self.children[1].on_element(l, ctx);
                    }
                } else if let Some(e) = early {
                    self.children[0].on_element(e, ctx);
                }
            }
            Trigger::Repeatedly(c) => self.children[0].on_element(c, ctx),
            Trigger::AfterAny(cs) | Trigger::AfterAll(cs) => {
                for (c, n) in cs.iter().zip(&mut self.children) {
                    n.on_element(c, ctx);
                }
            }
            Trigger::AfterEach(cs) => {
                let i = self.index as usize;
                if let Some(c) = cs.get(i) {
                    self.children[i].on_element(c, ctx);
                }
            }
            Trigger::OrFinally { trigger, until } => {
                self.children[0].on_element(trigger, ctx);
                self.children[1].on_element(until, ctx);
            }
        }
    }

    /// Whether the window should fire now.
    pub(crate) fn should_fire(&self, t: &Trigger, ctx: &Ctx) -> bool {
        if self.finished {
            return false;
        }
        match t {
            Trigger::Default => ctx.end_passed(),
            Trigger::Never => false,
            Trigger::Always => self.count >= 1,
            Trigger::AfterCount(n) => self.count >= *n,
            Trigger::AfterProcessingTime { .. } => self.timer.is_some_and(|at| ctx.now >= at),
            Trigger::AfterWatermark { early, late } => {
                if self.flag {
                    late.as_ref()
                        .is_some_and(|l| self.children[1].should_fire(l, ctx))
                } else {
                    ctx.end_passed()
                        || early
                            .as_ref()
                            .is_some_and(|e| self.children[0].should_fire(e, ctx))
                }
            }
            Trigger::Repeatedly(c) => self.children[0].should_fire(c, ctx),
            Trigger::AfterAny(cs) => cs
                .iter()
                .zip(&self.children)
                .any(|(c, n)| n.should_fire(c, ctx)),
            Trigger::AfterAll(cs) => {
                // A finished child counts as satisfied, as in Beam's AfterAll.
                cs.iter()
                    .zip(&self.children)
                    .all(|(c, n)| n.finished || n.should_fire(c, ctx))
            }
            Trigger::AfterEach(cs) => {
                let i = self.index as usize;
                cs.get(i)
                    .is_some_and(|c| self.children[i].should_fire(c, ctx))
            }
            Trigger::OrFinally { trigger, until } => {
                self.children[0].should_fire(trigger, ctx)
                    || self.children[1].should_fire(until, ctx)
            }
        }
    }

    /// The window fired; update state. Sets `finished` when the trigger is
    /// done for good. Call only when `should_fire` said yes.
    pub(crate) fn on_fire(&mut self, t: &Trigger, ctx: &Ctx) {
        match t {
            Trigger::Default | Trigger::Never => {}
            Trigger::Always => self.count = 0,
            Trigger::AfterCount(_) | Trigger::AfterProcessingTime { .. } => self.finished = true,
            Trigger::AfterWatermark { early, late } => {
                if self.flag {
                    if let Some(l) = late {
                        fire_repeatedly(&mut self.children[1], l, ctx);
                    }
                } else if ctx.end_passed() {
                    // The on-time pane. The early trigger is done with; the
                    // late one starts counting from here.
                    self.flag = true;
                    self.finished = late.is_none();
                } else if let Some(e) = early {
                    fire_repeatedly(&mut self.children[0], e, ctx);
                }
            }
            Trigger::Repeatedly(c) => fire_repeatedly(&mut self.children[0], c, ctx),
            Trigger::AfterAny(cs) => {
                for (c, n) in cs.iter().zip(&mut self.children) {
                    if n.should_fire(c, ctx) {
                        n.on_fire(c, ctx);
                    }
                }
                self.finished = self.children.iter().any(|n| n.finished);
            }
            Trigger::AfterAll(cs) => {
                for (c, n) in cs.iter().zip(&mut self.children) {
                    if !n.finished {
                        n.on_fire(c, ctx);
                    }
                }
                self.finished = self.children.iter().all(|n| n.finished);
            }
            Trigger::AfterEach(cs) => {
                let i = self.index as usize;
                if let Some(c) = cs.get(i) {
                    self.children[i].on_fire(c, ctx);
                    if self.children[i].finished {
                        self.index += 1;
                    }
                }
                self.finished = self.index as usize >= cs.len();
            }
            Trigger::OrFinally { trigger, until } => {
                if self.children[1].should_fire(until, ctx) {
                    self.children[1].on_fire(until, ctx);
                    self.finished = true;
                } else {
                    self.children[0].on_fire(trigger, ctx);
                    self.finished = self.children[0].finished;
                }
            }
        }
    }

    /// The earliest processing time at which this state could start firing,
    /// if it waits on one.
    pub(crate) fn next_deadline(&self, t: &Trigger) -> Option<ProcTime> {
        if self.finished {
            return None;
        }
        match t {
            Trigger::AfterProcessingTime { .. } => self.timer,
            Trigger::Default | Trigger::Never | Trigger::Always | Trigger::AfterCount(_) => None,
            Trigger::AfterWatermark { early, late } => {
                if self.flag {
                    late.as_ref()
                        .and_then(|l| self.children[1].next_deadline(l))
                } else {
                    early
                        .as_ref()
                        .and_then(|e| self.children[0].next_deadline(e))
                }
            }
            Trigger::Repeatedly(c) => self.children[0].next_deadline(c),
            Trigger::AfterAny(cs) | Trigger::AfterAll(cs) => cs
                .iter()
                .zip(&self.children)
                .filter_map(|(c, n)| n.next_deadline(c))
                .min(),
            Trigger::AfterEach(cs) => {
                let i = self.index as usize;
                cs.get(i).and_then(|c| self.children[i].next_deadline(c))
            }
            Trigger::OrFinally { trigger, until } => {
                let a = self.children[0].next_deadline(trigger);
                let b = self.children[1].next_deadline(until);
                a.into_iter().chain(b).min()
            }
        }
    }

    /// The state of a merged window, from the states of the windows merged
    /// into it (windows that never held state, such as a new element's own
    /// session, contribute nothing). `ctx.window` is the merged window.
    ///
    /// As Beam merges trigger state: counts add, the earliest timer wins,
    /// finished bits and the `after_each` position are the furthest of any.
    /// `after_watermark` stays in its late phase only if every merged window
    /// was in it and the watermark has passed the merged window's end;
    /// otherwise it returns to the early phase and the late trigger starts
    /// over (Beam's `AfterWatermarkEarlyAndLate.onMerge`).
    pub(crate) fn merged(t: &Trigger, nodes: &[&Node], ctx: &Ctx) -> Node {
        let mut out = Node::new(t);
        if nodes.is_empty() {
            return out;
        }
        out.finished = nodes.iter().any(|n| n.finished);
        out.count = nodes.iter().map(|n| n.count).sum();
        out.timer = nodes.iter().filter_map(|n| n.timer).min();
        out.index = nodes.iter().map(|n| n.index).max().unwrap_or(0);
        let child_states =
            |i: usize| -> Vec<&Node> { nodes.iter().map(|n| &n.children[i]).collect() };
        match t {
            Trigger::AfterWatermark { early, late } => {
                out.flag = nodes.iter().all(|n| n.flag) && ctx.end_passed();
                if out.flag {
                    if let Some(l) = late {
                        out.children[1] = Node::merged(l, &child_states(1), ctx);
                    }
                } else {
                    if let Some(e) = early {
                        out.children[0] = Node::merged(e, &child_states(0), ctx);
                    }
                    // The on-time pane is owed again; a later late phase starts fresh.
                    out.finished = false;
                }
            }
            Trigger::Repeatedly(c) => out.children[0] = Node::merged(c, &child_states(0), ctx),
            Trigger::AfterAny(cs) | Trigger::AfterAll(cs) | Trigger::AfterEach(cs) => {
                for (i, c) in cs.iter().enumerate() {
                    out.children[i] = Node::merged(c, &child_states(i), ctx);
                }
            }
            Trigger::OrFinally { trigger, until } => {
                out.children[0] = Node::merged(trigger, &child_states(0), ctx);
                out.children[1] = Node::merged(until, &child_states(1), ctx);
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

fn fire_repeatedly(child: &mut Node, t: &Trigger, ctx: &Ctx) {
    child.on_fire(t, ctx);
    if child.finished {
        child.reset(t);
    }
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
    use super::*;

    fn ctx(wm: i64, now: i64) -> Ctx {
        Ctx {
            window: Window::new(EventTime(0), EventTime(10)),
            watermark: EventTime(wm),
            now: ProcTime(now),
        }
    }

    #[test]
    fn after_count_fires_at_n_and_finishes() {
        let t = Trigger::AfterCount(2);
        let mut n = Node::new(&t);
        n.on_element(&t, &ctx(0, 0));
        assert!(!n.should_fire(&t, &ctx(0, 0)));
        n.on_element(&t, &ctx(0, 0));
        assert!(n.should_fire(&t, &ctx(0, 0)));
        n.on_fire(&t, &ctx(0, 0));
        assert!(n.finished);
    }

    #[test]
    fn repeatedly_resets_its_child() {
        let t = Trigger::Repeatedly(Box::new(Trigger::AfterCount(1)));
        let mut n = Node::new(&t);
        n.on_element(&t, &ctx(0, 0));
        n.on_fire(&t, &ctx(0, 0));
        assert!(!n.finished);
        assert!(!n.should_fire(&t, &ctx(0, 0)));
    }

    #[test]
    fn aligned_processing_time_rounds_up_to_the_next_boundary() {
        let align = Some((Duration(60), Duration(0)));
        assert_eq!(fire_time(ProcTime(61), Duration(0), align), ProcTime(120));
        assert_eq!(fire_time(ProcTime(120), Duration(0), align), ProcTime(120));
        assert_eq!(fire_time(ProcTime(50), Duration(5), None), ProcTime(55));
    }

    #[test]
    fn after_watermark_without_late_finishes_on_time() {
        let t = Trigger::AfterWatermark {
            early: None,
            late: None,
        };
        let mut n = Node::new(&t);
        assert!(!n.should_fire(&t, &ctx(9, 0)));
        assert!(n.should_fire(&t, &ctx(10, 0)));
        n.on_fire(&t, &ctx(10, 0));
        assert!(n.finished);
    }
}
