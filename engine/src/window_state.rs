//! What the engine keeps for one window of one key.

use crate::aggregate::AggValue;
use crate::holds::combine;
use crate::output::{PaneInfo, Record};
use crate::pipeline::{Pipeline, TimestampCombiner};
use crate::time::{EventTime, ProcTime};
use crate::trigger::Trigger;
use crate::triggers::{Ctx, Node};
use crate::window::Window;

/// A window of a key: the unit of state.
pub(crate) type WindowKey = (crate::output::Key, Window);

/// Which panes a window has emitted so far: all `describe_pane` needs to
/// know about the past (Beam's `PaneInfoTracker` keeps the previous
/// `PaneInfo` for the same purpose).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PanePhase {
    /// No pane yet: the next one is the first.
    NoPane,
    /// Only early panes so far; `last` is the last one's index.
    Early { last: u64 },
    /// A non-early pane went out, so every later pane is late. `last` and
    /// `nonspeculative` are the last pane's indexes.
    NonEarly { last: u64, nonspeculative: i64 },
}

/// The last pane emitted, kept in retracting mode to withdraw it later.
#[derive(Debug, Clone)]
pub(crate) struct LastPane {
    pub(crate) value: AggValue,
    pub(crate) timestamp: EventTime,
    pub(crate) info: PaneInfo,
}

/// An open window.
#[derive(Debug, Clone)]
pub(crate) struct WindowState {
    pub(crate) acc: AggValue,
    /// Elements arrived (or retracted contents became unemitted) since the
    /// last pane: Beam's `NonEmptyPanes`.
    pub(crate) dirty: bool,
    pub(crate) trigger: Node,
    pub(crate) phase: PanePhase,
    /// The element hold (Beam's `WatermarkHold` element hold): the pending
    /// pane's output timestamp, which also holds the key's output watermark.
    /// `None` when no pending element could place one (see `holds`).
    pub(crate) hold: Option<EventTime>,
    pub(crate) last: Option<Box<LastPane>>,
    /// Processing-time timer registered for this window.
    pub(crate) deadline: Option<ProcTime>,
    /// The watermark step that last activated the window: a window is
    /// activated at most once per step, however many of its timers are due.
    pub(crate) activated: u64,
}

impl WindowState {
    /// A window with nothing in it yet.
    pub(crate) fn new(pipeline: &Pipeline) -> WindowState {
        WindowState::with_trigger(pipeline, Node::new(&pipeline.trigger))
    }

    /// A window with nothing in it yet, and `trigger`, a fresh state of the
    /// pipeline's trigger.
    #[inline]
    fn with_trigger(pipeline: &Pipeline, trigger: Node) -> WindowState {
        debug_assert_eq!(trigger, Node::new(&pipeline.trigger));
        WindowState {
            acc: pipeline.aggregate.empty(),
            dirty: false,
            trigger,
            phase: PanePhase::NoPane,
            hold: None,
            last: None,
            deadline: None,
            activated: 0,
        }
    }

    /// The state a lean slot (`Slot::Lean`) of `window` stands for: a fresh
    /// window of a lean pipeline after elements summing to `sum` were
    /// added before its end. Each add set `dirty`, placed the hold at the
    /// max timestamp (never too late before the end, `holds`), and left the
    /// default trigger as it was (it keeps no state); nothing fired, so no
    /// pane, no activation and no deadline. (A session that grew in place
    /// took the grown window's hold, and kept the rest: `grow_in_place`.)
    #[inline]
    pub(crate) fn lean(window: &Window, sum: i64) -> WindowState {
        debug_assert_eq!(Node::LEAF, Node::new(&Trigger::Default));
        WindowState {
            acc: AggValue::Sum(sum),
            dirty: true,
            trigger: Node::LEAF,
            phase: PanePhase::NoPane,
            hold: Some(window.max_timestamp()),
            last: None,
            deadline: None,
            activated: 0,
        }
    }

    /// Lets go of a state made by [`WindowState::lean`] after its last
    /// pane. What is left owns no memory but the pane kept for a
    /// retraction (the accumulator is a sum, the trigger a leaf), so the
    /// rest is not dropped: a drop's checks cost as much as a tenth of the
    /// pane.
    #[inline]
    pub(crate) fn forget_lean(mut self) {
        debug_assert!(matches!(self.acc, AggValue::Sum(_)));
        debug_assert_eq!(self.trigger, Node::LEAF);
        drop(self.last.take());
        std::mem::forget(self);
    }

    /// Folds one admitted element into the state a lean slot stands for
    /// (`Slot::Lean`), as `add` does to that state before the window's
    /// end: the sum moves; the pending flag and the hold (at the max
    /// timestamp) stay, and the default trigger keeps no state, nor is it
    /// ready before the end.
    #[inline(always)]
    pub(crate) fn add_lean(sum: &mut i64, value: i64) {
        *sum = crate::aggregate::sum(*sum, value);
    }

    /// Folds one admitted element in: its value, the pending flag, its hold
    /// (`hold`, when it may place one), and the trigger's view of it.
    /// Returns the window's hold when it moved, for the caller to index.
    /// `trigger` and `combiner` are the pipeline's (or constants equal to
    /// them: `Engine::add`).
    #[inline(always)]
    pub(crate) fn add(
        &mut self,
        trigger: &Trigger,
        combiner: TimestampCombiner,
        r: &Record,
        hold: Option<EventTime>,
        ctx: &Ctx,
    ) -> Option<EventTime> {
        self.acc.add(r.value);
        self.dirty = true;
        self.trigger.on_element(trigger, ctx);
        let combined = combine(combiner, self.hold, hold);
        if combined == self.hold {
            return None;
        }
        self.hold = combined;
        combined
    }
}

/// What the engine holds for a window it knows.
#[derive(Debug, Clone)]
pub(crate) enum Slot {
    Open(Box<WindowState>),
    /// An open window of a lean pipeline (`Slot::lean_pipeline`) that has
    /// only been added to (a session: and grown in place), before its end:
    /// its sum is all it holds that a fresh window does not
    /// (`WindowState::lean`). Kept with no box (the window store keeps
    /// the sum alone, in a map of its own: `window_store::Keys`; a session
    /// in its entry): with a million keys, most key-windows are born and
    /// expire like this, and the box was three cache lines written and read
    /// again per key-window (`docs/engine-profile.md`). Anything else done
    /// to it first makes it `Open` (`inflate`).
    Lean(i64),
    /// The trigger finished: a tombstone (Beam's finished bits), kept until
    /// expiry so that later elements are dead-lettered as `window closed`.
    Closed,
}

impl Slot {
    /// Whether a pipeline's windows may be kept lean: the default trigger
    /// (which keeps no state and never fires before the end), the
    /// `end_of_window` combiner (whose hold, before the end, is the max
    /// timestamp), and a sum. A session is lean from its birth while it
    /// only grows in place (`grow_in_place`); a merge makes it a box.
    pub(crate) fn lean_pipeline(pipeline: &Pipeline) -> bool {
        pipeline.is_default_shape() && pipeline.aggregate == crate::aggregate::Aggregate::Sum
    }

    /// Makes a lean slot `Open`, with the state it stands for.
    #[inline]
    pub(crate) fn inflate(&mut self, window: &Window, spare: &mut SparePool) {
        if let Slot::Lean(sum) = *self {
            *self = Slot::Open(spare.boxed_lean(window, sum));
        }
    }

    /// The window's element hold, if it is open and holds.
    pub(crate) fn hold(&self, window: &Window) -> Option<EventTime> {
        match self {
            Slot::Open(st) => st.hold,
            Slot::Lean(_) => Some(window.max_timestamp()),
            Slot::Closed => None,
        }
    }

    /// Values the window's accumulator holds (0 when closed).
    pub(crate) fn values_held(&self) -> u64 {
        match self {
            Slot::Open(st) => st.acc.values_held(),
            Slot::Lean(sum) => AggValue::Sum(*sum).values_held(),
            Slot::Closed => 0,
        }
    }
}

/// Boxes of expired windows kept for the next windows to open: with many
/// keys, windows open and expire by the tens of thousands per watermark
/// step, and returning each box to the allocator (out of order) cost more
/// than the rest of expiry. Bounded; a clone (a checkpoint) starts empty.
#[derive(Default)]
// The boxes themselves are what is kept (handed back as boxes, no copy).
#[allow(clippy::vec_box)]
pub(crate) struct SparePool(Vec<Box<WindowState>>);

/// Boxes kept at most.
const SPARE_MAX: usize = 1 << 16;

/// How many boxes ahead `fresh` fetches one.
const PREFETCH_AHEAD: usize = 4;

impl SparePool {
    /// A box holding a fresh state.
    #[inline]
    pub(crate) fn fresh(&mut self, pipeline: &Pipeline) -> Box<WindowState> {
        match self.0.pop() {
            Some(mut b) => {
                // Boxes are handed out from the top: fetch one a few ahead.
                if let Some(ahead) = self.0.len().checked_sub(PREFETCH_AHEAD) {
                    crate::prefetch::prefetch::<WindowState>(&self.0[ahead]);
                }
                // The box was emptied of heap memory when recycled, but for
                // its trigger tree, reset then and kept: allocated with the
                // box, it stays beside it in memory, where the first touch
                // of the box brings it along. The old value is forgotten,
                // not dropped: dropping would read all of the box, which by
                // now is cold (with a million keys, a miss per window
                // opened), while a store need not wait for the line.
                let trigger = std::mem::take(&mut b.trigger);
                let fresh = WindowState::with_trigger(pipeline, trigger);
                std::mem::forget(std::mem::replace(&mut *b, fresh));
                b
            }
            None => Box::new(WindowState::new(pipeline)),
        }
    }

    /// A box holding the state a lean slot of `window` with sum `sum`
    /// stands for (`WindowState::lean`): a spare one if any.
    pub(crate) fn boxed_lean(&mut self, window: &Window, sum: i64) -> Box<WindowState> {
        let st = WindowState::lean(window, sum);
        match self.0.pop() {
            Some(mut b) => {
                *b = st;
                b
            }
            None => Box::new(st),
        }
    }

    /// Keeps a box no longer needed, if there is room, after freeing what
    /// it owns on the heap but its trigger tree, and resetting that, while
    /// it is still in cache (see `fresh`).
    #[inline]
    pub(crate) fn recycle(&mut self, mut b: Box<WindowState>) {
        if self.0.len() < SPARE_MAX {
            b.acc = AggValue::Sum(0);
            b.trigger.reset();
            b.last = None;
            self.0.push(b);
        }
    }
}

impl Clone for SparePool {
    fn clone(&self) -> SparePool {
        SparePool::default()
    }
}

impl std::fmt::Debug for SparePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SparePool({})", self.0.len())
    }
}
