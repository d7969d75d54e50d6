//! Session windows: merging. Beam Java's `MergingActiveWindowSet` and
//! `ReduceFnRunner.onMerge`, restated:
//! - only open windows take part; a closed session (its trigger finished)
//!   is not in the active set, so a new element's session may overlap it
//!   and start a new session beside it;
//! - an element is refused as closed only when the window it merges into is
//!   itself a closed window;
//! - the merged window keeps the pane info of the open window it equals;
//!   a new merged window starts fresh (index 0);
//! - holds: under `end_of_window` the sources' holds are dropped and one is
//!   placed at the merged window's max timestamp (if not too late); under
//!   `earliest`/`latest` the sources' holds combine;
//! - in retracting mode the merged-away windows' last panes are withdrawn.

use crate::admission::Admission;
use crate::driver::Engine;
use crate::output::{DeadLetterReason, Key, Record};
use crate::panes::retraction;
use crate::pipeline::{Accumulation, TimestampCombiner};
use crate::time::EventTime;
use crate::trigger::Trigger;
use crate::triggers::{Ctx, Node};
use crate::window::{Window, WindowFn};
use crate::window_state::{PanePhase, Slot, WindowState};

/// Buffers every merge reuses, so extending a session allocates nothing of
/// its own (they were five vectors per element).
#[derive(Debug, Clone, Default)]
pub(crate) struct MergeScratch {
    /// The bundle's elements for this key that are not expired, with their
    /// own windows.
    admitted: Vec<(Window, Record)>,
    /// The key's open sessions (`true`) and the new windows, sorted.
    all: Vec<(Window, bool)>,
    /// Each merged window that involves a new window, with its existing
    /// members as the range `members[lo..hi]`.
    groups: Vec<(Window, usize, usize)>,
    members: Vec<Window>,
    /// The merged-away states of one merge.
    absorbed: Vec<(Window, Box<WindowState>)>,
}

impl Engine {
    /// Adds a key's elements to sessions: refuses those whose own session
    /// expired, merges the rest with the key's open sessions, then admits
    /// each element to its merged window.
    pub(crate) fn add_merging(&mut self, key: Key, records: &[Record], touched: &mut Vec<Window>) {
        let WindowFn::Sessions { gap } = self.pipeline.window else {
            unreachable!("only sessions merge");
        };
        let lateness = self.pipeline.allowed_lateness;
        let mut sc = std::mem::take(&mut self.merge_scratch);
        sc.admitted.clear();
        for r in records {
            // Expiry is judged on the element's own window, before merging
            // (Beam's LateDataDroppingDoFnRunner).
            let own = Window::new(r.time, r.time.plus(gap));
            if own.expiry(lateness) <= self.watermark {
                self.dead_letter(r, vec![(DeadLetterReason::WindowExpired, own)]);
            } else {
                sc.admitted.push((own, *r));
            }
        }
        if !sc.admitted.is_empty() {
            self.merge_groups(key, &mut sc);
            for g in 0..sc.groups.len() {
                let (result, lo, hi) = sc.groups[g];
                self.merge_into(key, result, &sc.members[lo..hi], &mut sc.absorbed);
                for (own, r) in &sc.admitted {
                    if result.intersects(own) || result == *own {
                        self.add_to(key, result, r);
                    }
                }
                if !touched.contains(&result) {
                    touched.push(result);
                }
            }
        }
        self.merge_scratch = sc;
    }

    /// The usual case of one element, handled without the general merge:
    /// its own window `[t, t + gap)` is not expired and overlaps exactly
    /// one window of the key, an open session that starts at or before `t`.
    /// Merging then leaves that session as it is (`t + gap` is inside it)
    /// or grows it to end at `t + gap`, which the general path does by
    /// taking the state out and installing it under the merged window with
    /// fresh timers; here its entry in the session store takes the grown
    /// window (nothing moves), its timers lazily
    /// (`session_index`), with the rules `merge_into` applies to a single
    /// source. Then the element is added and the trigger asked, as
    /// `add_to` and `process_bundle_of_key` would. Returns false, having changed
    /// nothing, when the case does not apply.
    #[inline(always)]
    pub(crate) fn grow_in_place<const DEFAULT_SHAPE: bool>(
        &mut self,
        key: Key,
        r: &Record,
        gap: crate::time::Duration,
    ) -> bool {
        let own = Window::new(r.time, r.time.plus(gap));
        let lateness = self.pipeline.allowed_lateness;
        let watermark = self.watermark;
        if own.expiry(lateness) <= watermark {
            return false;
        }
        let lean = DEFAULT_SHAPE && self.lean_shape();
        // One probe of the session store finds the session and its state;
        // the borrows below are of disjoint fields of `self`.
        let table = &mut self.table;
        let Some(session) = table.sessions.sole_overlap(key, &own) else {
            return false;
        };
        if !session.is_open() || session.window.start > own.start {
            return false;
        }
        let from = session.window;
        let result = from.span(&own);
        let grew = result != from;
        if grew {
            if let Some(end_timer) = session.grow(result, watermark, lateness) {
                table.book.set_timers(key, result, end_timer, lateness);
            }
        }
        if let Slot::Lean(sum) = &mut session.slot {
            if lean && watermark < result.end {
                // What the path below does to the state the slot stands
                // for (`WindowState::lean`): a grown session starts fresh
                // with the same sum, pending flag and hold (at the grown
                // window's max timestamp), the default trigger has nothing
                // to merge, then the add (`add_lean`); no deadline, no
                // pane to retract.
                WindowState::add_lean(sum, r.value);
                return true;
            }
            // The state it stood for, in the window it had.
            session.slot.inflate(&from, &mut table.spare);
        }
        let Slot::Open(st) = &mut session.slot else {
            unreachable!("checked open above");
        };
        let pipeline = &self.pipeline;
        let ctx = Ctx {
            window: result,
            watermark,
            now: self.now,
        };
        let (trigger, combiner) = pipeline.shape::<DEFAULT_SHAPE>();
        let retracting = pipeline.accumulation == Accumulation::AccumulatingAndRetracting;
        let hold = self
            .holds
            .element_hold(combiner, key, &result, r.time, watermark);
        let last = if grew {
            // `merge_into` with one source that is not the merged window: a
            // new window, so it starts fresh (no pane history) with the
            // source's accumulator, pending flag and hold. The entry takes
            // the new identity; its processing-time timer, set for the old
            // one, is dropped (refreshed below).
            if let Some(at) = st.deadline.take() {
                table.book.proc_timers.remove(&(at, key, from));
            }
            let last = st.last.take();
            st.phase = PanePhase::NoPane;
            st.activated = 0;
            if retracting && last.is_some() {
                st.dirty = true;
            }
            st.trigger.merge_alone(trigger, &ctx);
            if combiner == TimestampCombiner::EndOfWindow {
                st.hold =
                    self.holds
                        .element_hold(combiner, key, &result, EventTime::MIN, watermark);
            }
            if let Some(at) = st.hold {
                self.holds.placed(combiner, key, result, at);
            }
            last
        } else {
            None
        };
        if let Some(at) = st.add(trigger, combiner, r, hold, &ctx) {
            self.holds.placed(combiner, key, result, at);
        }
        let fire = st.trigger.should_fire(trigger, &ctx);
        if let (true, Some(last)) = (retracting, last) {
            self.retract(key, from, *last);
        }
        if fire {
            self.fire(key, result);
        }
        self.refresh_deadline(key, result, self.now);
        true
    }

    /// Admits `r` to `window` and adds it, or dead-letters it.
    fn add_to(&mut self, key: Key, window: Window, r: &Record) {
        let hold = self.holds.element_hold(
            self.pipeline.timestamp_combiner,
            key,
            &window,
            r.time,
            self.watermark,
        );
        let ctx = self.ctx(window);
        let max = self.config.windows_open_max;
        let lean = self.lean_before(&window).then_some(r.value);
        match self
            .table
            .admit_session(&self.pipeline, max, key, window, self.watermark, lean)
        {
            Admission::Open(st) => {
                if let Some(at) = st.add(
                    &self.pipeline.trigger,
                    self.pipeline.timestamp_combiner,
                    r,
                    hold,
                    &ctx,
                ) {
                    self.holds
                        .placed(self.pipeline.timestamp_combiner, key, window, at);
                }
            }
            Admission::Refused(reason) => self.dead_letter(r, vec![(reason, window)]),
            Admission::Lean(sum) => WindowState::add_lean(sum, r.value),
            Admission::OpenedLean => {}
        }
    }

    /// Beam's `MergeOverlappingIntervalWindows` over the key's open sessions
    /// plus the new windows (`sc.admitted`): fills `sc.groups` with each
    /// merged window that involves a new window, and `sc.members` with the
    /// existing open sessions each absorbs.
    fn merge_groups(&self, key: Key, sc: &mut MergeScratch) {
        sc.all.clear();
        sc.groups.clear();
        sc.members.clear();
        sc.all
            .extend(self.table.sessions.open_windows(key).map(|w| (w, true)));
        sc.all.extend(sc.admitted.iter().map(|(w, _)| (*w, false)));
        sc.all.sort_unstable();
        // The group being built: its span, where its members start, and
        // whether a new window is in it.
        let mut current: Option<(Window, usize, bool)> = None;
        for &(w, is_existing) in &sc.all {
            match &mut current {
                Some((span, lo, has_new)) if span.intersects(&w) => {
                    *span = span.span(&w);
                    if !is_existing {
                        *has_new = true;
                    } else if sc.members[*lo..].last() != Some(&w) {
                        sc.members.push(w);
                    }
                }
                _ => {
                    if let Some(done) = current.take() {
                        finish_group(done, &mut sc.groups, &mut sc.members);
                    }
                    let lo = sc.members.len();
                    if is_existing {
                        sc.members.push(w);
                    }
                    current = Some((w, lo, !is_existing));
                }
            }
        }
        if let Some(done) = current {
            finish_group(done, &mut sc.groups, &mut sc.members);
        }
    }

    /// Makes `result` the one open window standing for the open `members`:
    /// their accumulators, triggers and holds merge into it. With no
    /// members there is nothing to merge: admission opens the new window
    /// (or refuses it, as closed or at the state limit). `absorbed` is a
    /// reused buffer, empty between calls.
    fn merge_into(
        &mut self,
        key: Key,
        result: Window,
        members: &[Window],
        absorbed: &mut Vec<(Window, Box<WindowState>)>,
    ) {
        if members.is_empty() || members == [result] {
            return;
        }
        // A closed window the open ones merge into. Java's trigger merge
        // starts from the window's own finished bits: a bare
        // `after_watermark` clears them when a merging window is unfinished,
        // and the window reopens; every other trigger leaves them, and the
        // window stays closed (`testMergingWithCloseTrigger`). Then the
        // element is refused as closed (by admission, the slot being
        // closed), and the open sessions stay as they were: Java would
        // merge them into the closed window, where their contents are lost
        // without a trace (deviation N2, engine/README.md).
        if matches!(self.table.slot(key, result).as_deref(), Some(Slot::Closed)) {
            if !matches!(
                self.pipeline.trigger,
                Trigger::AfterWatermark {
                    early: None,
                    late: None
                }
            ) {
                return;
            }
            self.table.remove_for_merge(key, result);
        }
        let mut base: Option<Box<WindowState>> = None;
        absorbed.clear();
        for &m in members {
            let st = match self.table.remove_for_merge(key, m) {
                Some(Slot::Open(st)) => st,
                // A lean session merges as the state it stands for.
                Some(Slot::Lean(sum)) => self.table.spare.boxed_lean(&m, sum),
                Some(Slot::Closed) | None => continue,
            };
            if m == result {
                base = Some(st);
            } else {
                absorbed.push((m, st));
            }
        }
        let ctx = self.ctx(result);
        let merged_trigger = match (&base, absorbed.as_slice()) {
            // The usual merge (a session extended by an element): one
            // source, no vector of nodes.
            (Some(b), []) => Node::merged(&self.pipeline.trigger, &[&b.trigger], &ctx),
            (None, [(_, one)]) => Node::merged(&self.pipeline.trigger, &[&one.trigger], &ctx),
            _ => {
                let mut triggers: Vec<&Node> = Vec::with_capacity(absorbed.len() + 1);
                if let Some(b) = &base {
                    triggers.push(&b.trigger);
                }
                triggers.extend(absorbed.iter().map(|(_, other)| &other.trigger));
                Node::merged(&self.pipeline.trigger, &triggers, &ctx)
            }
        };
        let combiner = self.pipeline.timestamp_combiner;
        let retracting = self.pipeline.accumulation == Accumulation::AccumulatingAndRetracting;
        let mut sources = absorbed.drain(..);
        let mut st = match (base, sources.next()) {
            (Some(st), first) => {
                // `first` is merged below like the rest.
                let mut st = st;
                if let Some((m, other)) = first {
                    self.absorb(key, &mut st, m, *other, retracting);
                }
                st
            }
            (None, Some((m, mut st))) => {
                // A new merged window starts fresh; a fresh state merged
                // with its first source is that source's accumulator,
                // pending flag and hold, with no pane history: so the
                // source's box is reused instead of allocating one.
                let last = st.last.take();
                st.phase = PanePhase::NoPane;
                st.activated = 0;
                // KNOWN BUG (SessionMergeLosesState): the fresh merged
                // window keeps none of this source's state either, as when
                // a fresh state absorbed every source (before this path
                // reused the source's box): a session extended by an
                // element forgets what it held.
                if known_bug!(SessionMergeLosesState) {
                    st.acc = WindowState::new(&self.pipeline).acc;
                }
                if let (true, Some(last)) = (retracting, last) {
                    self.retract(key, m, *last);
                    st.dirty = true;
                }
                st
            }
            (None, None) => Box::new(WindowState::new(&self.pipeline)),
        };
        for (m, other) in sources {
            self.absorb(key, &mut st, m, *other, retracting);
        }
        st.deadline = None;
        st.trigger = merged_trigger;
        if combiner == TimestampCombiner::EndOfWindow {
            // The sources' holds are dropped; one goes at the merged max
            // timestamp unless too late.
            st.hold =
                self.holds
                    .element_hold(combiner, key, &result, EventTime::MIN, self.watermark);
        }
        if let Some(at) = st.hold {
            self.holds.placed(combiner, key, result, at);
        }
        self.table.install_session(
            key,
            result,
            Slot::Open(st),
            self.watermark,
            self.pipeline.allowed_lateness,
        );
    }

    /// Folds the merged-away window `m`'s state into `st`.
    fn absorb(
        &mut self,
        key: Key,
        st: &mut WindowState,
        m: Window,
        other: WindowState,
        retracting: bool,
    ) {
        // KNOWN BUG (SessionMergeLosesState): the absorbed state is dropped.
        if !known_bug!(SessionMergeLosesState) {
            st.acc.merge(&other.acc);
        }
        st.dirty |= other.dirty;
        st.hold = crate::holds::combine(self.pipeline.timestamp_combiner, st.hold, other.hold);
        if let (true, Some(last)) = (retracting, other.last) {
            self.retract(key, m, *last);
            // What that pane said is withdrawn, so the merged window owes a
            // pane even if nothing new arrives.
            st.dirty = true;
        }
    }

    fn retract(&mut self, key: Key, m: Window, last: crate::window_state::LastPane) {
        self.stats.retractions += 1;
        self.outputs
            .push_back(retraction(key, m, last, self.now, self.watermark));
    }
}

/// Keeps a finished group if a new window is in it (deduplicated members
/// are `members[lo..]`), else drops its members.
fn finish_group(
    (span, lo, has_new): (Window, usize, bool),
    groups: &mut Vec<(Window, usize, usize)>,
    members: &mut Vec<Window>,
) {
    if has_new {
        groups.push((span, lo, members.len()));
    } else {
        members.truncate(lo);
    }
}
