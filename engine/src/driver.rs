//! The engine: its public API and the order of work. An input first fires
//! the processing-time timers it makes due; a bundle admits and adds each
//! element, then asks each window it touched whether to fire; a watermark
//! step activates every window with a due event timer, then moves each
//! key's output watermark. What happens inside lives elsewhere: admission
//! (`admission`), session merging (`sessions`), holds and output watermarks
//! (`holds`), pane info and emission (`panes`), triggers (`triggers`).

use crate::admission::Admission;
use crate::assigned::Assigned;
use crate::holds::OutputWatermarks;
use crate::output::{DeadLetter, DeadLetterReason, Key, Output, Record};
use crate::output_queue::OutputQueue;
use crate::pipeline::{ConfigError, Pipeline};
use crate::stats::{EngineConfig, EngineStats, StateSize, WindowStatus};
use crate::table::WindowTable;
use crate::time::{Duration, EventTime, ProcTime};
use crate::triggers::Ctx;
use crate::window::{fixed_window, is_whole_fixed, Window, WindowFn};
use crate::window_state::{Slot, WindowState};
use rustc_hash::FxHashMap;

/// The windowing engine for one pipeline.
///
/// Methods come in four groups, as in quinn-proto's `Connection`:
/// - getters: [`watermark`](Self::watermark), [`output_watermark`](Self::output_watermark),
///   [`state_size`](Self::state_size), [`stats`](Self::stats), [`now`](Self::now);
/// - inputs: [`handle_bundle`](Self::handle_bundle), [`handle_record`](Self::handle_record),
///   [`handle_watermark`](Self::handle_watermark), [`handle_timeout`](Self::handle_timeout);
/// - outputs: [`poll_output`](Self::poll_output) (drain it after every input) and
///   [`poll_timeout`](Self::poll_timeout) (when to call `handle_timeout` next).
///
/// Every input takes `now`, the processing time, which must not go back
/// (an earlier `now` is treated as the latest one seen, and counted). Every
/// input first fires the processing-time timers that `now` is strictly
/// after, so an extra `handle_timeout` is a harmless no-op.
///
/// **Lateness.** With input watermark `W`, allowed lateness `L` and a window
/// `[s, e)`: an element with time `t` in that window is *admitted* when
/// `W < e + L` and *dead-lettered* (reason `window expired`) when
/// `W >= e + L`. A window's state is freed when `W >= e + L`. Whether a
/// pane is early, on time or late follows Beam Java's `describePane`, with a
/// per-key output watermark (see the crate's README).
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) pipeline: Pipeline,
    pub(crate) config: EngineConfig,
    pub(crate) now: ProcTime,
    pub(crate) watermark: EventTime,
    pub(crate) table: WindowTable,
    pub(crate) holds: OutputWatermarks,
    pub(crate) outputs: OutputQueue,
    pub(crate) stats: EngineStats,
    uses_processing_time: bool,
    /// The pipeline's shape is the default one (`add`).
    pub(crate) default_shape: bool,
    /// Its windows may be kept lean (`Slot::lean_pipeline`).
    pub(crate) lean: bool,
    /// Watermark steps so far: the current step's id.
    step: u64,
    /// The windows of the last time assigned, for the next elements.
    assigned: Assigned,
    /// Reused, so the per-record path doesn't allocate.
    touched: Vec<Window>,
    /// The event timers being activated, reused across watermark steps.
    due: Vec<crate::window_state::WindowKey>,
    /// The windows whose timers are due (`Book::by_window`), reused.
    due_windows: Vec<Window>,
    pub(crate) merge_scratch: crate::sessions::MergeScratch,
    /// The last fixed window assigned, if whole (`fixed`).
    last_fixed: Option<Window>,
    /// The windows `expire_window` takes out, reused: lean ones apart.
    pub(crate) expired: Vec<(Key, Slot)>,
    /// The lean ones, as (key, sum).
    pub(crate) expired_lean: Vec<(u64, i64)>,
}

impl Engine {
    /// An engine for `pipeline`, or the reason it cannot run.
    pub fn new(pipeline: Pipeline, config: EngineConfig) -> Result<Engine, ConfigError> {
        pipeline.validate()?;
        Ok(Engine {
            uses_processing_time: pipeline.trigger.uses_processing_time(),
            default_shape: pipeline.is_default_shape(),
            lean: Slot::lean_pipeline(&pipeline),
            // A watermark that goes back (known bugs) reopens windows.
            table: WindowTable::new(&pipeline.window, !known_bug_any!()),
            pipeline,
            config,
            now: ProcTime::MIN,
            watermark: EventTime::MIN,
            holds: OutputWatermarks::new(),
            outputs: OutputQueue::default(),
            stats: EngineStats::default(),
            step: 0,
            assigned: Assigned::default(),
            touched: Vec::new(),
            due: Vec::new(),
            due_windows: Vec::new(),
            merge_scratch: Default::default(),
            expired: Vec::new(),
            expired_lean: Vec::new(),
            last_fixed: None,
        })
    }

    // ---- getters -------------------------------------------------------

    /// The pipeline this engine runs.
    #[must_use]
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The input watermark.
    #[must_use]
    pub fn watermark(&self) -> EventTime {
        self.watermark
    }

    /// The latest processing time seen.
    #[must_use]
    pub fn now(&self) -> ProcTime {
        self.now
    }

    /// The output watermark a downstream stage would see now: the input
    /// watermark held back by the holds of panes not yet emitted, over all
    /// keys (a stage's watermark, unlike the per-key one panes are timed by).
    #[must_use]
    pub fn output_watermark(&self) -> EventTime {
        let holds = self
            .table
            .slots()
            .filter_map(|(window, slot)| slot.hold(&window));
        holds.fold(self.watermark, EventTime::min)
    }

    /// How much state is held now.
    #[must_use]
    pub fn state_size(&self) -> StateSize {
        let values_held = self.table.slots().map(|(_, slot)| slot.values_held()).sum();
        StateSize {
            windows_open: self.table.book.windows_open,
            windows_closed: self.table.book.windows_closed,
            values_held,
            timers: self
                .table
                .timers(self.watermark, self.pipeline.allowed_lateness),
            outputs_queued: self.outputs.len() as u64,
        }
    }

    /// Whether `window` of `key` holds state: open, closed (a tombstone kept
    /// until expiry), or nothing (`None`: never opened, merged away, or freed).
    #[must_use]
    pub fn window_status(&self, key: Key, window: Window) -> Option<WindowStatus> {
        match *self.table.slot(key, window)? {
            Slot::Open(_) | Slot::Lean(_) => Some(WindowStatus::Open),
            Slot::Closed => Some(WindowStatus::Closed),
        }
    }

    /// Counters since construction.
    #[must_use]
    pub fn stats(&self) -> EngineStats {
        EngineStats {
            windows_open_peak: self.table.book.windows_open_peak,
            ..self.stats
        }
    }

    // ---- inputs --------------------------------------------------------

    /// One element, as a bundle of its own.
    pub fn handle_record(&mut self, now: ProcTime, record: Record) {
        // What `handle_bundle` does for one record, one call shorter.
        self.advance_clock(now);
        self.stats.records_in += 1;
        self.process_key(record.key, std::slice::from_ref(&record));
        self.assert_invariants();
    }

    /// One bundle: every element is added, then each window the bundle
    /// touched asks its trigger once whether to fire (Beam's
    /// `processElements`).
    pub fn handle_bundle(&mut self, now: ProcTime, records: &[Record]) {
        self.advance_clock(now);
        self.stats.records_in += records.len() as u64;
        match records {
            [] => {}
            [one] => self.process_key(one.key, records),
            _ => {
                // Group by key in order of first appearance; order within a
                // key is kept, so the result is a pure function of the input.
                let mut index: FxHashMap<Key, usize> = FxHashMap::default();
                let mut groups: Vec<(Key, Vec<Record>)> = Vec::new();
                for r in records {
                    let i = *index.entry(r.key).or_insert_with(|| {
                        groups.push((r.key, Vec::new()));
                        groups.len() - 1
                    });
                    groups[i].1.push(*r);
                }
                for (key, recs) in groups {
                    self.process_key(key, &recs);
                }
            }
        }
        self.assert_invariants();
    }

    /// One watermark step (Beam's `ReduceFnTester.advanceInputWatermark`):
    /// sets the input watermark, activates each window with a due event
    /// timer once, then moves every key's output watermark. A watermark
    /// behind the current one is ignored and counted.
    pub fn handle_watermark(&mut self, now: ProcTime, watermark: EventTime) {
        self.advance_clock(now);
        let regress = known_bug!(IdleReturnRegresses | WatermarkBackwards);
        if watermark < self.watermark && !regress {
            self.stats.watermark_regressions += 1;
            return;
        }
        self.watermark = watermark;
        self.step += 1;
        let mut due = std::mem::take(&mut self.due);
        let mut due_windows = std::mem::take(&mut self.due_windows);
        if self.table.book.by_window {
            while let Some(at) = self.table.pop_due_windows(watermark, &mut due_windows) {
                if let Some(window) = self.bulk_expiry(at, &due_windows) {
                    self.expire_window(window);
                    continue;
                }
                self.table.keys_due(&due_windows, &mut due);
                for &(key, window) in &due {
                    self.activate(key, window);
                }
            }
        } else {
            while self.table.pop_due(watermark, &mut due).is_some() {
                WindowTable::sort_due(&mut due);
                for &(key, window) in &due {
                    self.activate(key, window);
                }
            }
        }
        due.clear();
        due_windows.clear();
        self.due = due;
        self.due_windows = due_windows;
        self.holds.end_step(watermark, &self.table);
        self.assert_invariants();
    }

    /// Advances processing time to `now`, firing every processing-time timer
    /// it is strictly after, in time order.
    pub fn handle_timeout(&mut self, now: ProcTime) {
        self.advance_clock(now);
        self.assert_invariants();
    }

    // ---- outputs -------------------------------------------------------

    /// The next output, oldest first. Inline: callers drain it after every
    /// input, and the call cost as much as the pop.
    #[inline]
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front(&self.pipeline)
    }

    /// The earliest processing time at which a timer fires, if any: one
    /// tick after the time it waits for, since timers fire only when the
    /// clock is strictly after it.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<ProcTime> {
        let at = self.table.book.proc_timers.first().map(|&(at, _, _)| at);
        if known_bug!(ProcTimerTickLate) {
            // KNOWN BUG: the timer is reported, and fires, one tick late.
            return at.map(|t| t.plus(crate::time::Duration(1)));
        }
        at
    }

    // ---- the order of work ----------------------------------------------

    pub(crate) fn ctx(&self, window: Window) -> Ctx {
        Ctx {
            window,
            watermark: self.watermark,
            now: self.now,
        }
    }

    #[inline(always)]
    fn advance_clock(&mut self, now: ProcTime) {
        if now < self.now {
            self.stats.clock_regressions += 1;
        } else {
            self.now = now;
        }
        // Without a trigger that waits on processing time no timer is ever
        // set: nothing to fire, and no call on the per-record path.
        if self.uses_processing_time {
            self.fire_proc_timers();
        }
    }

    /// Fires every processing-time timer `now` is strictly after, in time
    /// order.
    fn fire_proc_timers(&mut self) {
        let late = i64::from(known_bug!(ProcTimerTickLate));
        let reverse = known_bug!(ProcTimersWrongOrder);
        while let Some(&(first, ..)) = self.table.book.proc_timers.first() {
            if first.0.saturating_add(late) > self.now.0 {
                break;
            }
            let next = if reverse {
                // KNOWN BUG: of the timers due now, the latest fires first.
                let now = self.now;
                self.table
                    .book
                    .proc_timers
                    .iter()
                    .take_while(|(at, ..)| *at <= now)
                    .last()
                    .copied()
            } else {
                self.table.book.proc_timers.first().copied()
            };
            let Some((due, key, window)) = next else {
                break;
            };
            self.table.book.proc_timers.remove(&(due, key, window));
            let ctx = self.ctx(window);
            let fire = match self.table.open_mut(key, window) {
                Some(st) => {
                    st.deadline = None;
                    st.trigger.should_fire(&self.pipeline.trigger, &ctx)
                }
                None => false,
            };
            if fire {
                self.fire(key, window);
            }
            self.refresh_deadline(key, window, due);
        }
    }

    /// The fixed window of `t`, by way of the last one: consecutive
    /// elements mostly fall in the same one, and aligning a time to its
    /// window costs a division. Only a time strictly inside the remembered
    /// window reuses it (a time at a window's start is where the
    /// `EndElementInWindow` known bug differs). `Assigned` keeps the same
    /// memo for every window function, as a slice; one record of a fixed
    /// pipeline keeps this one, a window by value, since going through
    /// `Assigned` and `add_one` instead measured tumbling 1K at 31.8% of
    /// `hash` against 39.7–41.2%, and early/late at 23.5% against 29%.
    #[inline(always)]
    fn fixed(&mut self, size: Duration, offset: Duration, t: EventTime) -> Window {
        match self.last_fixed {
            Some(w) if w.start < t && t < w.end => w,
            _ => {
                let w = fixed_window(size, offset, t);
                self.last_fixed = is_whole_fixed(&w, size).then_some(w);
                w
            }
        }
    }

    /// Whether `window` may take an element as a lean window does
    /// (`Slot::Lean`): the pipeline's windows may be lean, it runs its
    /// default shape, and the watermark is before the window's end. The
    /// known bugs' hooks are on the full path.
    #[inline(always)]
    pub(crate) fn lean_before(&self, window: &Window) -> bool {
        self.lean_shape() && self.watermark < window.end
    }

    /// `lean_before` but for the window's end.
    #[inline(always)]
    pub(crate) fn lean_shape(&self) -> bool {
        self.lean && self.default_shape && !known_bug_any!()
    }

    /// The time an element is windowed by: its event time.
    #[inline]
    fn element_time(&self, r: &Record) -> EventTime {
        if known_bug!(WindowsByProcessingTime) {
            // KNOWN BUG: windows by processing time.
            return EventTime(self.now.0);
        }
        r.time
    }

    pub(crate) fn refresh_deadline(&mut self, key: Key, window: Window, after: ProcTime) {
        if self.uses_processing_time {
            self.table
                .refresh_deadline(key, window, &self.pipeline.trigger, after);
        }
    }

    /// One record under fixed windows, so one window: the common case of a
    /// keyed stream, with no buffers to take and put back. Outputs in the
    /// same order as the general path: a dead letter, or then a pane.
    #[inline(always)]
    fn add_one_fixed<const DEFAULT_SHAPE: bool>(
        &mut self,
        size: Duration,
        offset: Duration,
        r: &Record,
    ) {
        let w = self.fixed(size, offset, self.element_time(r));
        match self.add_as::<DEFAULT_SHAPE>(r, w) {
            Ok(true) => {
                self.fire(r.key, w);
                self.refresh_deadline(r.key, w, self.now);
            }
            Ok(false) => self.refresh_deadline(r.key, w, self.now),
            Err(reason) => self.dead_letter(r, vec![(reason, w)]),
        }
    }

    /// A key's records of one bundle. The pipeline's shape is looked at
    /// once here, not per window: each one-record path is compiled for the
    /// default shape and for any other (`Pipeline::shape`).
    #[inline(always)]
    fn process_key(&mut self, key: Key, records: &[Record]) {
        if self.default_shape {
            self.process_key_as::<true>(key, records);
        } else {
            self.process_key_as::<false>(key, records);
        }
    }

    #[inline(always)]
    fn process_key_as<const DEFAULT_SHAPE: bool>(&mut self, key: Key, records: &[Record]) {
        match (records, self.pipeline.window) {
            ([r], WindowFn::Fixed { size, offset }) => {
                self.add_one_fixed::<DEFAULT_SHAPE>(size, offset, r);
            }
            ([r], WindowFn::Sessions { gap }) if DEFAULT_SHAPE => {
                if !self.grow_in_place::<true>(key, r, gap) {
                    self.process_bundle_of_key(key, records);
                }
            }
            ([r], WindowFn::Sliding { .. } | WindowFn::Global) if DEFAULT_SHAPE => {
                self.add_one::<true>(key, r);
            }
            _ => self.process_other(key, records),
        }
    }

    /// `process_key_as::<false>` for all but fixed windows: out of line,
    /// so that the fixed path of a pipeline of another shape (early and
    /// late firings, say) is compiled in a small function of its own.
    #[inline(never)]
    fn process_other(&mut self, key: Key, records: &[Record]) {
        match (records, self.pipeline.window) {
            ([r], WindowFn::Sessions { gap }) if self.grow_in_place::<false>(key, r, gap) => {}
            ([r], WindowFn::Sliding { .. } | WindowFn::Global) => self.add_one::<false>(key, r),
            _ => self.process_bundle_of_key(key, records),
        }
    }

    /// `process_key` for what the one-record paths leave: several records
    /// of a key, or a session that does not just grow. Kept out of line, so
    /// that the one-record paths stay small enough to be inlined whole.
    #[inline(never)]
    fn process_bundle_of_key(&mut self, key: Key, records: &[Record]) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.clear();
        if self.pipeline.window.is_merging() {
            self.add_merging(key, records, &mut touched);
        } else {
            for r in records {
                self.add_non_merging(r, &mut touched);
            }
        }
        for &window in &touched {
            let ctx = self.ctx(window);
            // Asked of a lean window's state on the stack: it stays lean.
            let fire = match self.table.slot(key, window).as_deref() {
                Some(Slot::Open(st)) => st.trigger.should_fire(&self.pipeline.trigger, &ctx),
                Some(Slot::Lean(sum)) => WindowState::lean(&window, *sum)
                    .trigger
                    .should_fire(&self.pipeline.trigger, &ctx),
                Some(Slot::Closed) | None => false,
            };
            if fire {
                self.fire(key, window);
            }
            self.refresh_deadline(key, window, self.now);
        }
        self.touched = touched;
    }

    /// One record of a pipeline that doesn't merge: its windows are
    /// distinct, so each window's trigger can be asked right after the add,
    /// with one hash lookup. Outputs come in the same order as on the
    /// general path: dead letters, then panes. Nothing is taken out of
    /// `self` and put back per record: the windows are read in place by
    /// index (`add` never assigns), and `touched` is taken only when a
    /// window fires.
    fn add_one<const DEFAULT_SHAPE: bool>(&mut self, key: Key, r: &Record) {
        let windows = self
            .assigned
            .of(&self.pipeline.window, self.element_time(r))
            .len();
        self.touched.clear();
        let mut refused: Vec<(DeadLetterReason, Window)> = Vec::new();
        for i in 0..windows {
            let w = self.assigned.windows()[i];
            match self.add_as::<DEFAULT_SHAPE>(r, w) {
                Ok(true) => self.touched.push(w),
                Ok(false) => self.refresh_deadline(key, w, self.now),
                Err(reason) => refused.push((reason, w)),
            }
        }
        if !refused.is_empty() {
            self.dead_letter(r, refused);
        }
        if !self.touched.is_empty() {
            let touched = std::mem::take(&mut self.touched);
            for &w in &touched {
                self.fire(key, w);
                self.refresh_deadline(key, w, self.now);
            }
            self.touched = touched;
        }
    }

    /// Admits `r` to `window` and adds it. Returns whether the trigger is
    /// now ready, or why the element was refused.
    ///
    /// The most common pipeline shape runs the same code compiled with its
    /// trigger and combiner as constants (`Pipeline::shape`): for a sliding
    /// element, four times over.
    #[inline(always)]
    fn add(&mut self, r: &Record, window: Window) -> Result<bool, DeadLetterReason> {
        if self.default_shape {
            self.add_as::<true>(r, window)
        } else {
            self.add_as::<false>(r, window)
        }
    }

    /// `add`, with `DEFAULT_SHAPE` saying the pipeline's trigger is
    /// `Trigger::Default` and its combiner `end_of_window`.
    #[inline(always)]
    fn add_as<const DEFAULT_SHAPE: bool>(
        &mut self,
        r: &Record,
        window: Window,
    ) -> Result<bool, DeadLetterReason> {
        let (trigger, combiner) = self.pipeline.shape::<DEFAULT_SHAPE>();
        let ctx = self.ctx(window);
        let max = self.config.windows_open_max;
        let lean = (DEFAULT_SHAPE && self.lean_before(&window)).then_some(r.value);
        match self
            .table
            .admit(&self.pipeline, max, r.key, window, self.watermark, lean)
        {
            Admission::Open(st) => {
                let hold =
                    self.holds
                        .element_hold(combiner, r.key, &window, r.time, self.watermark);
                let placed = st.add(trigger, combiner, r, hold, &ctx);
                let fire = st.trigger.should_fire(trigger, &ctx);
                if let Some(at) = placed {
                    self.holds.placed(combiner, r.key, window, at);
                }
                Ok(fire)
            }
            Admission::Lean(sum) => {
                WindowState::add_lean(sum, r.value);
                debug_assert!(!WindowState::lean(&window, *sum)
                    .trigger
                    .should_fire(trigger, &ctx));
                Ok(false)
            }
            // As above, from a fresh window: the sum is the value.
            Admission::OpenedLean => Ok(false),
            Admission::Refused(reason) => Err(reason),
        }
    }

    fn add_non_merging(&mut self, r: &Record, touched: &mut Vec<Window>) {
        let mut assigned = std::mem::take(&mut self.assigned);
        let mut refused: Vec<(DeadLetterReason, Window)> = Vec::new();
        for &w in assigned.of(&self.pipeline.window, self.element_time(r)) {
            match self.add(r, w) {
                Ok(_) => {
                    if !touched.contains(&w) {
                        touched.push(w);
                    }
                }
                Err(reason) => refused.push((reason, w)),
            }
        }
        self.assigned = assigned;
        self.dead_letter(r, refused);
    }

    /// One window's activation in a watermark step (Beam Java's
    /// `onTimers`), once per step however many of its timers are due: past
    /// `end + allowed_lateness` it expires, without asking the trigger, even
    /// if the end was passed in this same step; otherwise the watermark
    /// passed its end, and the trigger is asked.
    fn activate(&mut self, key: Key, window: Window) {
        let lateness = self.pipeline.allowed_lateness;
        if window.expiry(lateness) <= self.watermark {
            // Expired: taken out at once, one hash probe (with 1M windows
            // expiring, each a cache miss). A window activated earlier in
            // this step was activated by the same watermark, so it expired
            // then: an open window found here was not activated yet.
            match self.table.remove(key, window) {
                Some(Slot::Open(mut st)) => {
                    self.on_trigger_last(key, window, &mut st);
                    self.table.spare.recycle(st);
                }
                Some(Slot::Lean(sum)) => self.expire_lean(key, window, sum),
                Some(Slot::Closed) => {}
                None => self.table.anchor_fired(key, window, lateness),
            }
            return;
        }
        let ctx = self.ctx(window);
        let (fire, held) = match self.table.slot_mut(key, window) {
            Some(Slot::Open(st)) if st.activated != self.step => {
                st.activated = self.step;
                let fire = st.trigger.should_fire(&self.pipeline.trigger, &ctx);
                // A firing releases the hold; otherwise it stays, now
                // behind the watermark.
                (fire, if fire { None } else { st.hold })
            }
            Some(_) => return,
            None => {
                self.table.anchor_fired(key, window, lateness);
                return;
            }
        };
        if let Some(at) = held {
            self.holds
                .still_held(self.pipeline.timestamp_combiner, key, window, at);
        }
        if fire {
            self.fire(key, window);
        }
        self.refresh_deadline(key, window, self.now);
    }

    /// The trigger said fire (Beam's `emit`): the trigger advances, the pane
    /// goes out, and a finished trigger closes the window.
    pub(crate) fn fire(&mut self, key: Key, window: Window) {
        let ctx = self.ctx(window);
        let Some(st) = self.table.open_mut(key, window) else {
            return;
        };
        st.trigger.on_fire(&self.pipeline.trigger, &ctx);
        let finished = st.trigger.finished;
        self.on_trigger(key, window, finished);
        if finished {
            self.table
                .close(key, window, self.pipeline.allowed_lateness);
        }
    }

    /// One dead letter per reason, each listing its windows.
    pub(crate) fn dead_letter(&mut self, r: &Record, refused: Vec<(DeadLetterReason, Window)>) {
        if refused.is_empty() {
            return;
        }
        let mut reasons: Vec<DeadLetterReason> =
            refused.iter().map(|(reason, _)| *reason).collect();
        reasons.sort();
        reasons.dedup();
        for reason in reasons {
            let windows: Vec<Window> = refused
                .iter()
                .filter(|(r2, _)| *r2 == reason)
                .map(|(_, w)| *w)
                .collect();
            if known_bug!(LateDataDroppedSilently) && reason == DeadLetterReason::WindowExpired {
                // KNOWN BUG: late data dropped without a dead letter.
                continue;
            }
            self.stats.dead_letters += 1;
            self.outputs.push_back(Output::DeadLetter(DeadLetter {
                record: *r,
                windows,
                watermark: self.watermark,
                reason,
                at: self.now,
            }));
        }
    }

    /// Cheap checks after every input, in debug builds: the counters agree
    /// with the map and no timer is left behind its clock.
    fn assert_invariants(&self) {
        if cfg!(debug_assertions) && !known_bug_any!() {
            let book = &self.table.book;
            debug_assert_eq!(
                book.windows_open + book.windows_closed,
                self.table.len() as u64,
                "window counters disagree with the window table"
            );
            if let Some(at) = self.table.first_event_timer() {
                debug_assert!(
                    at > self.watermark,
                    "event timer at {at} left behind watermark {}",
                    self.watermark
                );
            }
            if let Some(&(at, ..)) = book.proc_timers.first() {
                debug_assert!(
                    at > self.now,
                    "processing timer due at {at} left behind now {}",
                    self.now
                );
            }
        }
    }
}
