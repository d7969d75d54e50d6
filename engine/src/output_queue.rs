//! The engine's outputs, oldest first, where the last panes of a window
//! expired in bulk wait as `(key, sum)` pairs and become [`Output`]s only
//! as they are polled.
//!
//! Why: with many keys, a watermark step expires tens of thousands of lean
//! key-windows at once (`expiry`), and queuing each last pane as a 112-byte
//! `Output` wrote megabytes that no cache held, for the caller to read
//! back: the two were nearly two fifths of the time with a million keys.
//! The pairs are already in `expire_window`'s sorted scratch, which moves
//! here whole; each pane is built from its pair when polled, by the body of
//! the `emit` every other pane goes through (inlined here, so the pane is
//! built in registers), so what a caller sees, and in what order, is
//! unchanged.

use crate::output::{Key, Output};
use crate::panes::{self, Emission};
use crate::pipeline::Pipeline;
use crate::stats::EngineStats;
use crate::window_state::WindowState;
use std::collections::VecDeque;

/// Outputs in the order the engine produced them.
#[derive(Debug, Clone, Default)]
pub(crate) struct OutputQueue {
    items: VecDeque<Queued>,
    /// Outputs queued, counting each pair of a batch as its pane.
    len: usize,
    /// A drained batch's pairs, emptied, for `expire_window`'s next use.
    spare: Vec<(u64, i64)>,
}

#[derive(Debug, Clone)]
enum Queued {
    Ready(Output),
    Lean(Box<LeanPanes>),
}

/// The last panes of one window's lean key-windows, expired together: what
/// `Engine::expire_lean` would have emitted for each pair, in pair order.
#[derive(Debug, Clone)]
struct LeanPanes {
    /// Every field but the key is each pair's: one window, one instant,
    /// and one output watermark for every key (`expire_window` queues no
    /// batch otherwise).
    emission: Emission,
    /// `(key, sum)`, in the order to emit.
    pairs: Vec<(u64, i64)>,
    /// The next pair to emit.
    next: usize,
}

impl OutputQueue {
    /// How many outputs are queued.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn push_back(&mut self, output: Output) {
        self.items.push_back(Queued::Ready(output));
        self.len += 1;
    }

    /// Queues the last panes of `pairs`, each a lean key-window of
    /// `emission.window`, after everything queued so far.
    pub(crate) fn push_lean(&mut self, emission: Emission, pairs: Vec<(u64, i64)>) {
        if pairs.is_empty() {
            self.keep_spare(pairs);
            return;
        }
        self.len += pairs.len();
        self.items.push_back(Queued::Lean(Box::new(LeanPanes {
            emission,
            pairs,
            next: 0,
        })));
    }

    /// An empty vector for the next batch's pairs: the last drained batch's
    /// allocation, so a step of a million keys doesn't fault in a fresh one.
    pub(crate) fn take_spare(&mut self) -> Vec<(u64, i64)> {
        std::mem::take(&mut self.spare)
    }

    /// The oldest output, built now if it is a pair.
    #[inline]
    pub(crate) fn pop_front(&mut self, pipeline: &Pipeline) -> Option<Output> {
        match self.items.front()? {
            Queued::Ready(_) => {
                self.len -= 1;
                match self.items.pop_front() {
                    Some(Queued::Ready(output)) => Some(output),
                    _ => None,
                }
            }
            Queued::Lean(_) => self.pop_lean(pipeline),
        }
    }

    /// `pop_front` when a batch of pairs is in front. Out of line, so the
    /// usual pop stays small enough to inline into the caller's loop. A
    /// batch is never empty (`push_lean`) and leaves when drained, and
    /// each pair is one pane (`lean_last_pane`).
    #[inline(never)]
    fn pop_lean(&mut self, pipeline: &Pipeline) -> Option<Output> {
        let Some(Queued::Lean(batch)) = self.items.front_mut() else {
            return None;
        };
        let &(key, sum) = batch.pairs.get(batch.next)?;
        batch.next += 1;
        let output = lean_last_pane(pipeline, &batch.emission, Key(key), sum);
        if batch.next == batch.pairs.len() {
            self.recycle_front();
        }
        self.len -= 1;
        output
    }

    /// Drops the drained batch in front, keeping its allocation.
    fn recycle_front(&mut self) {
        if let Some(Queued::Lean(batch)) = self.items.pop_front() {
            self.keep_spare(batch.pairs);
        }
    }

    /// Keeps the larger of `pairs` and the spare, emptied.
    fn keep_spare(&mut self, mut pairs: Vec<(u64, i64)>) {
        if pairs.capacity() > self.spare.capacity() {
            pairs.clear();
            self.spare = pairs;
        }
    }
}

/// The last pane of the lean key-window `(key, emission.window)` holding
/// `sum`: what `emit` makes of the state it stands for, on the stack. (A
/// lean state is pending and has no earlier pane, so this is one pane and
/// never a retraction.)
#[inline]
fn lean_last_pane(pipeline: &Pipeline, emission: &Emission, key: Key, sum: i64) -> Option<Output> {
    let mut st = WindowState::lean(&emission.window, sum);
    let mut out = None;
    // The engine's stats counted this pane when the batch was queued.
    let mut counted = EngineStats::default();
    panes::emit_inline(
        pipeline,
        Emission { key, ..*emission },
        &mut st,
        &mut out,
        &mut counted,
    );
    st.forget_lean();
    out
}

/// Where `emit` puts what it emits: the engine's queue, or one slot for a
/// pane built as it is polled.
pub(crate) trait Sink {
    fn push(&mut self, output: Output);
}

impl Sink for OutputQueue {
    #[inline]
    fn push(&mut self, output: Output) {
        self.push_back(output);
    }
}

impl Sink for Option<Output> {
    #[inline]
    fn push(&mut self, output: Output) {
        debug_assert!(self.is_none(), "a lean last pane is one output");
        *self = Some(output);
    }
}
