//! The engine: per key and window state, timers, firing, expiry and dead
//! letters. Triggers decide *when*; this module decides *what* a pane holds
//! (accumulation), what it is called (pane info), and when state is freed.

use crate::aggregate::AggValue;
use crate::output::{DeadLetter, DeadLetterReason, Key, Output, Pane, PaneInfo, Record, Timing};
use crate::pipeline::{Accumulation, ConfigError, OnTimeBehavior, Pipeline, TimestampCombiner};
use crate::time::{EventTime, ProcTime};
use crate::trigger_state::{Ctx, Node};
use crate::window::{Window, WindowFn};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Limits that keep the engine's memory bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Open windows (over all keys) the engine will hold. An element that
    /// would open one more becomes a dead letter with reason `state limit`.
    pub windows_open_max: u64,
}

impl EngineConfig {
    /// Ten million open windows: far above any shipped scenario.
    pub const DEFAULT: EngineConfig = EngineConfig {
        windows_open_max: 10_000_000,
    };
}

/// How much state the engine holds. All zero once the watermark reaches +∞
/// and the outputs are drained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StateSize {
    /// Windows that can still fire.
    pub windows_open: u64,
    /// Windows whose trigger finished, kept until expiry so that later
    /// elements are dead-lettered as `window closed`.
    pub windows_closed: u64,
    /// Accumulator values held (one per window, or one per element for `collect`).
    pub values_held: u64,
    /// Event-time and processing-time timers set.
    pub timers: u64,
    /// Outputs not yet polled.
    pub outputs_queued: u64,
}

impl StateSize {
    /// True when nothing at all is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == StateSize::default()
    }
}

/// Counters over the engine's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngineStats {
    /// Records handed in.
    pub records_in: u64,
    /// Records (or parts of records, for sliding windows) dead-lettered.
    pub dead_letters: u64,
    /// Panes emitted, not counting retractions.
    pub panes: u64,
    /// Retractions emitted.
    pub retractions: u64,
    /// Watermarks ignored because they would have moved the watermark back.
    pub watermark_regressions: u64,
    /// Calls whose `now` was behind an earlier call's (treated as the earlier `now`).
    pub clock_regressions: u64,
    /// Most windows open at once.
    pub windows_open_peak: u64,
}

/// What the engine holds for one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowStatus {
    /// The window holds state and can fire.
    Open,
    /// The window's trigger finished; a tombstone is kept until expiry.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TimerKind {
    /// The watermark passed the end of the window: ask the trigger.
    EndOfWindow,
    /// The watermark reached `end + allowed_lateness`: last pane, free state.
    Expiry,
}

type WindowKey = (Key, Window);

#[derive(Debug, Clone)]
struct WindowState {
    acc: AggValue,
    /// Elements arrived (or retracted contents became unemitted) since the last pane.
    dirty: bool,
    trigger: Node,
    /// Panes emitted so far: the next pane's index.
    panes: u64,
    /// Last non-speculative index emitted, −1 before the first.
    nonspeculative: i64,
    /// A non-early pane has been emitted, so every later pane is late.
    non_early_emitted: bool,
    /// The window held state before the watermark passed its end. A window
    /// first seen after that can't produce an on-time pane.
    seen_before_end: bool,
    /// Output-timestamp hold of the pending pane (earliest/latest combiners).
    hold: Option<EventTime>,
    /// The last pane emitted, kept in retracting mode to withdraw it later.
    last: Option<Box<(AggValue, EventTime, PaneInfo)>>,
    /// Processing-time timer registered for this window.
    deadline: Option<ProcTime>,
    /// The end-of-window activation happened (or can't: the window was
    /// created after the watermark passed its end).
    end_of_window_done: bool,
    /// The watermark passed the end with nothing to hold it (see
    /// `on_end_of_window`): every later pane is late.
    on_time_forfeited: bool,
}

#[derive(Debug, Clone)]
enum Slot {
    Open(Box<WindowState>),
    Closed,
}

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
/// input first fires the processing-time timers due at or before `now`, so
/// an extra `handle_timeout` is a harmless no-op.
///
/// **Lateness.** With input watermark `W`, allowed lateness `L` and a window
/// `[s, e)`: an element with time `t` in that window is *admitted* when
/// `W < e + L` and *dead-lettered* (reason `window expired`) when
/// `W >= e + L`. An element with `t < W` but admitted is *late data*: it
/// lands in a late pane. An element whose time equals the watermark (`t == W`)
/// is not late. A window's state is freed when `W >= e + L`.
#[derive(Debug, Clone)]
pub struct Engine {
    pipeline: Pipeline,
    config: EngineConfig,
    now: ProcTime,
    watermark: EventTime,
    states: FxHashMap<WindowKey, Slot>,
    /// Sessions only: every window (open or closed) of each key, by start.
    sessions: FxHashMap<Key, Vec<Window>>,
    /// Event-time timers bucketed by time. Entries are deleted lazily: a
    /// timer whose window was merged away, closed or re-installed is
    /// recognised as stale when it fires, which keeps the per-record path
    /// free of tree deletions.
    event_timers: BTreeMap<EventTime, Vec<(TimerKind, Key, Window)>>,
    event_timer_entries: u64,
    proc_timers: BTreeSet<(ProcTime, Key, Window)>,
    outputs: VecDeque<Output>,
    windows_open: u64,
    windows_closed: u64,
    stats: EngineStats,
    uses_processing_time: bool,
    /// Reused buffers, so the per-record path doesn't allocate.
    scratch: Vec<Window>,
    touched: Vec<Window>,
}

impl Engine {
    /// An engine for `pipeline`, or the reason it cannot run.
    pub fn new(pipeline: Pipeline, config: EngineConfig) -> Result<Engine, ConfigError> {
        pipeline.validate()?;
        let uses_processing_time = pipeline.trigger.uses_processing_time();
        Ok(Engine {
            pipeline,
            config,
            now: ProcTime::MIN,
            watermark: EventTime::MIN,
            states: FxHashMap::default(),
            sessions: FxHashMap::default(),
            event_timers: BTreeMap::new(),
            event_timer_entries: 0,
            proc_timers: BTreeSet::new(),
            outputs: VecDeque::new(),
            windows_open: 0,
            windows_closed: 0,
            stats: EngineStats::default(),
            uses_processing_time,
            scratch: Vec::new(),
            touched: Vec::new(),
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

    /// The output watermark a downstream stage would see: the input
    /// watermark held back by the timestamps of panes not yet emitted.
    #[must_use]
    pub fn output_watermark(&self) -> EventTime {
        let holds = self.states.iter().filter_map(|((_, w), slot)| match slot {
            Slot::Open(st) if st.dirty => Some(self.pane_timestamp(w, st)),
            _ => None,
        });
        holds.fold(self.watermark, EventTime::min)
    }

    /// How much state is held now.
    #[must_use]
    pub fn state_size(&self) -> StateSize {
        let values_held = self
            .states
            .values()
            .map(|slot| match slot {
                Slot::Open(st) => st.acc.values_held(),
                Slot::Closed => 0,
            })
            .sum();
        StateSize {
            windows_open: self.windows_open,
            windows_closed: self.windows_closed,
            values_held,
            timers: self.event_timer_entries + self.proc_timers.len() as u64,
            outputs_queued: self.outputs.len() as u64,
        }
    }

    /// Whether `window` of `key` holds state: open, closed (a tombstone kept
    /// until expiry), or nothing (`None`: never opened, merged away, or freed).
    #[must_use]
    pub fn window_status(&self, key: Key, window: Window) -> Option<WindowStatus> {
        match self.states.get(&(key, window))? {
            Slot::Open(_) => Some(WindowStatus::Open),
            Slot::Closed => Some(WindowStatus::Closed),
        }
    }

    /// Counters since construction.
    #[must_use]
    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    // ---- inputs --------------------------------------------------------

    /// One element, as a bundle of its own.
    pub fn handle_record(&mut self, now: ProcTime, record: Record) {
        self.handle_bundle(now, std::slice::from_ref(&record));
    }

    /// One bundle: every element is added, then each window the bundle
    /// touched asks its trigger once whether to fire (Beam's driver).
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

    /// Advances the input watermark to `watermark` and fires everything it
    /// makes due: on-time panes, then expiries, in timer order. A watermark
    /// behind the current one is ignored and counted.
    pub fn handle_watermark(&mut self, now: ProcTime, watermark: EventTime) {
        self.advance_clock(now);
        if watermark < self.watermark {
            self.stats.watermark_regressions += 1;
            return;
        }
        self.watermark = watermark;
        while let Some(entry) = self.event_timers.first_entry() {
            if *entry.key() > watermark {
                break;
            }
            let mut due = entry.remove();
            self.event_timer_entries -= due.len() as u64;
            // End-of-window activations before expiries, then by key and
            // window: a canonical order that doesn't depend on arrival.
            due.sort_unstable();
            for (kind, key, window) in due {
                match kind {
                    TimerKind::EndOfWindow => self.on_end_of_window(key, window),
                    TimerKind::Expiry => self.expire(key, window),
                }
            }
        }
        self.assert_invariants();
    }

    /// Advances processing time to `now`, firing every processing-time timer
    /// due at or before it, in time order.
    pub fn handle_timeout(&mut self, now: ProcTime) {
        self.advance_clock(now);
        self.assert_invariants();
    }

    // ---- outputs -------------------------------------------------------

    /// The next output, oldest first.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When the next processing-time timer is due, if any.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<ProcTime> {
        self.proc_timers.first().map(|&(at, _, _)| at)
    }

    // ---- internals -----------------------------------------------------

    fn advance_clock(&mut self, now: ProcTime) {
        if now < self.now {
            self.stats.clock_regressions += 1;
        } else {
            self.now = now;
        }
        while let Some(&(at, key, window)) = self.proc_timers.first() {
            if at > self.now {
                break;
            }
            self.proc_timers.pop_first();
            let ctx = Ctx {
                window,
                watermark: self.watermark,
                now: at,
            };
            let fire = match self.states.get_mut(&(key, window)) {
                Some(Slot::Open(st)) => {
                    st.deadline = None;
                    st.trigger.should_fire(&self.pipeline.trigger, &ctx)
                }
                _ => false,
            };
            if fire {
                self.fire(key, window, &ctx);
            }
            self.update_deadline(key, window, at);
        }
    }

    fn ctx(&self, window: Window) -> Ctx {
        Ctx {
            window,
            watermark: self.watermark,
            now: self.now,
        }
    }

    fn process_key(&mut self, key: Key, records: &[Record]) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.clear();
        if self.pipeline.window.is_merging() {
            self.add_merging(key, records, &mut touched);
        } else if let [r] = records {
            // One record: its windows are distinct, so each window's trigger
            // can be asked right after the add, with one hash lookup when
            // the window is already open. Outputs come in the same order as
            // on the general path: dead letters, then panes.
            let mut windows = std::mem::take(&mut self.scratch);
            windows.clear();
            self.pipeline.window.assign(r.time, &mut windows);
            let mut refused: Vec<(DeadLetterReason, Window)> = Vec::new();
            for &w in &windows {
                if w.expiry(self.pipeline.allowed_lateness) <= self.watermark {
                    refused.push((DeadLetterReason::WindowExpired, w));
                    continue;
                }
                let fire = match self.add_single_fast(r, w) {
                    Some(fire) => fire,
                    None if matches!(self.states.get(&(r.key, w)), Some(Slot::Closed)) => {
                        refused.push((DeadLetterReason::WindowClosed, w));
                        continue;
                    }
                    None if self.open_window(r.key, w, None) => {
                        self.add_single_fast(r, w).unwrap_or(false)
                    }
                    None => {
                        refused.push((DeadLetterReason::StateLimit, w));
                        continue;
                    }
                };
                if fire {
                    touched.push(w);
                } else {
                    self.update_deadline(key, w, self.now);
                }
            }
            self.scratch = windows;
            self.dead_letter(r, refused);
            for &w in &touched {
                let ctx = self.ctx(w);
                self.fire(key, w, &ctx);
                self.update_deadline(key, w, self.now);
            }
            self.touched = touched;
            return;
        } else {
            for r in records {
                self.add_non_merging(r, &mut touched);
            }
        }
        for &window in &touched {
            let ctx = self.ctx(window);
            let fire = match self.states.get(&(key, window)) {
                Some(Slot::Open(st)) => st.trigger.should_fire(&self.pipeline.trigger, &ctx),
                _ => false,
            };
            if fire {
                self.fire(key, window, &ctx);
            }
            self.update_deadline(key, window, self.now);
        }
        self.touched = touched;
    }

    fn add_non_merging(&mut self, r: &Record, touched: &mut Vec<Window>) {
        let mut windows = std::mem::take(&mut self.scratch);
        windows.clear();
        self.pipeline.window.assign(r.time, &mut windows);
        let mut refused: Vec<(DeadLetterReason, Window)> = Vec::new();
        for &w in &windows {
            if w.expiry(self.pipeline.allowed_lateness) <= self.watermark {
                refused.push((DeadLetterReason::WindowExpired, w));
                continue;
            }
            let admitted = match self
                .states
                .get(&(r.key, w))
                .map(|slot| matches!(slot, Slot::Open(_)))
            {
                Some(true) => Ok(()),
                Some(false) => Err(DeadLetterReason::WindowClosed),
                None if self.open_window(r.key, w, None) => Ok(()),
                None => Err(DeadLetterReason::StateLimit),
            };
            match admitted {
                Ok(()) => {
                    self.add_to_window(r.key, w, r);
                    if !touched.contains(&w) {
                        touched.push(w);
                    }
                }
                Err(reason) => refused.push((reason, w)),
            }
        }
        self.scratch = windows;
        self.dead_letter(r, refused);
    }

    /// Sessions: refuse elements whose own window expired or overlaps a
    /// closed session, merge the rest with the key's open sessions, then add.
    fn add_merging(&mut self, key: Key, records: &[Record], touched: &mut Vec<Window>) {
        let mut admitted: Vec<(Window, Record)> = Vec::new();
        for r in records {
            let WindowFn::Sessions { gap } = self.pipeline.window else {
                unreachable!("only sessions merge");
            };
            let proto = Window::new(r.time, r.time.plus(gap));
            let reason = if proto.expiry(self.pipeline.allowed_lateness) <= self.watermark {
                Some(DeadLetterReason::WindowExpired)
            } else if self.closed_session_overlapping(key, &proto).is_some() {
                Some(DeadLetterReason::WindowClosed)
            } else {
                None
            };
            match reason {
                Some(reason) => {
                    let w = if reason == DeadLetterReason::WindowClosed {
                        self.closed_session_overlapping(key, &proto)
                            .unwrap_or(proto)
                    } else {
                        proto
                    };
                    self.dead_letter(r, vec![(reason, w)]);
                }
                None => admitted.push((proto, *r)),
            }
        }
        if admitted.is_empty() {
            return;
        }
        let groups = self.merge_groups(key, admitted.iter().map(|(w, _)| *w));
        for (result, members) in groups {
            self.merge_into(key, result, &members);
            for (proto, r) in &admitted {
                if result.intersects(proto) || result == *proto {
                    if matches!(self.states.get(&(key, result)), Some(Slot::Open(_))) {
                        self.add_to_window(key, result, r);
                    } else {
                        self.dead_letter(r, vec![(DeadLetterReason::StateLimit, result)]);
                    }
                }
            }
            if !touched.contains(&result) {
                touched.push(result);
            }
        }
    }

    fn closed_session_overlapping(&self, key: Key, w: &Window) -> Option<Window> {
        self.sessions
            .get(&key)?
            .iter()
            .copied()
            .find(|s| s.intersects(w) && matches!(self.states.get(&(key, *s)), Some(Slot::Closed)))
    }

    /// Beam's `MergeOverlappingIntervalWindows` over the key's open sessions
    /// plus the new windows: returns each merged window that involves a new
    /// window, with the existing open sessions it absorbs.
    fn merge_groups(
        &self,
        key: Key,
        new: impl Iterator<Item = Window>,
    ) -> Vec<(Window, Vec<Window>)> {
        let existing: Vec<Window> = self
            .sessions
            .get(&key)
            .map(|ws| {
                ws.iter()
                    .copied()
                    .filter(|w| matches!(self.states.get(&(key, *w)), Some(Slot::Open(_))))
                    .collect()
            })
            .unwrap_or_default();
        let mut all: Vec<(Window, bool)> = existing.iter().map(|w| (*w, true)).collect();
        all.extend(new.map(|w| (w, false)));
        all.sort();
        let mut groups: Vec<(Window, Vec<Window>, bool)> = Vec::new();
        for (w, is_existing) in all {
            match groups.last_mut() {
                Some((span, members, has_new)) if span.intersects(&w) => {
                    *span = span.span(&w);
                    if is_existing {
                        members.push(w);
                    } else {
                        *has_new = true;
                    }
                }
                _ => groups.push((w, if is_existing { vec![w] } else { vec![] }, !is_existing)),
            }
        }
        groups
            .into_iter()
            .filter(|(_, _, has_new)| *has_new)
            .map(|(span, mut members, _)| {
                members.dedup();
                (span, members)
            })
            .collect()
    }

    /// Makes `result` the one open window standing for `members`: their
    /// accumulators, triggers and holds merge into it; in retracting mode the
    /// merged-away windows' last panes are withdrawn.
    fn merge_into(&mut self, key: Key, result: Window, members: &[Window]) {
        if members.len() == 1 && members[0] == result {
            return;
        }
        if members.is_empty() && self.windows_open >= self.config.windows_open_max {
            // A brand-new session with no room: the caller dead-letters its elements.
            return;
        }
        let mut base: Option<Box<WindowState>> = None;
        // A merged-away window's allocation, reused for a new merged window.
        let mut spare: Option<Box<WindowState>> = None;
        let mut absorbed: Vec<(Window, WindowState)> = Vec::with_capacity(members.len());
        for &m in members {
            let Some(Slot::Open(mut st)) = self.states.remove(&(key, m)) else {
                continue;
            };
            self.windows_open -= 1;
            self.forget_window(key, m, st.deadline);
            if m == result {
                base = Some(st);
            } else if spare.is_none() {
                let other = std::mem::replace(&mut *st, self.fresh(result));
                spare = Some(st);
                absorbed.push((m, other));
            } else {
                absorbed.push((m, *st));
            }
        }
        // Keeping the result window's own state keeps its pane info; a new
        // window starts at pane 0, as Beam's golden transcripts show.
        let had_base = base.is_some();
        let mut st = match (base, spare) {
            (Some(st), _) | (None, Some(st)) => st,
            (None, None) => Box::new(self.fresh(result)),
        };
        st.deadline = None;
        let mut triggers: Vec<&Node> = Vec::with_capacity(absorbed.len() + 1);
        if had_base {
            triggers.push(&st.trigger);
        }
        triggers.extend(absorbed.iter().map(|(_, other)| &other.trigger));
        let merged_trigger = Node::merged(&self.pipeline.trigger, &triggers, &self.ctx(result));
        st.trigger = merged_trigger;
        let retracting = self.pipeline.accumulation == Accumulation::AccumulatingAndRetracting;
        for (m, other) in absorbed {
            st.acc.merge(&other.acc);
            st.dirty |= other.dirty;
            st.hold = match (st.hold, other.hold) {
                (Some(a), Some(b)) => Some(match self.pipeline.timestamp_combiner {
                    TimestampCombiner::Latest => a.max(b),
                    _ => a.min(b),
                }),
                (a, b) => a.or(b),
            };
            st.seen_before_end |= other.seen_before_end;
            if retracting {
                if let Some(last) = other.last {
                    let (value, timestamp, info) = *last;
                    self.stats.retractions += 1;
                    self.outputs.push_back(Output::Pane(Pane {
                        key,
                        window: m,
                        value,
                        timestamp,
                        info,
                        retraction: true,
                        fired_at: self.now,
                        watermark: self.watermark,
                    }));
                    // What that pane said is withdrawn, so the merged window
                    // owes a pane even if nothing new arrives.
                    st.dirty = true;
                }
            }
        }
        self.install(key, result, st);
    }

    fn fresh_state(&self, window: Window) -> Box<WindowState> {
        Box::new(self.fresh(window))
    }

    fn fresh(&self, window: Window) -> WindowState {
        WindowState {
            acc: self.pipeline.aggregate.empty(),
            dirty: false,
            trigger: Node::new(&self.pipeline.trigger),
            panes: 0,
            nonspeculative: -1,
            non_early_emitted: false,
            seen_before_end: self.watermark < window.end,
            hold: None,
            last: None,
            deadline: None,
            end_of_window_done: self.watermark >= window.end,
            on_time_forfeited: false,
        }
    }

    /// Opens a fresh window, unless the engine is at its limit.
    fn open_window(&mut self, key: Key, window: Window, state: Option<Box<WindowState>>) -> bool {
        if self.windows_open >= self.config.windows_open_max {
            return false;
        }
        let st = state.unwrap_or_else(|| self.fresh_state(window));
        self.install(key, window, st);
        true
    }

    fn install(&mut self, key: Key, window: Window, st: Box<WindowState>) {
        let lateness = self.pipeline.allowed_lateness;
        let expiry = window.expiry(lateness);
        // With zero lateness the end of the window is also its expiry: one
        // activation does both, so the on-time pane is also the last one.
        if expiry != window.end && self.watermark < window.end && !st.end_of_window_done {
            self.add_event_timer(window.end, TimerKind::EndOfWindow, key, window);
        }
        self.add_event_timer(expiry, TimerKind::Expiry, key, window);
        if self.pipeline.window.is_merging() {
            let ws = self.sessions.entry(key).or_default();
            if let Err(i) = ws.binary_search(&window) {
                ws.insert(i, window);
            }
        }
        self.states.insert((key, window), Slot::Open(st));
        self.windows_open += 1;
        self.stats.windows_open_peak = self.stats.windows_open_peak.max(self.windows_open);
    }

    fn add_event_timer(&mut self, at: EventTime, kind: TimerKind, key: Key, window: Window) {
        self.event_timers
            .entry(at)
            .or_default()
            .push((kind, key, window));
        self.event_timer_entries += 1;
    }

    /// Drops the processing-time timer and index entry of a window whose
    /// state was removed (its event timers go stale and are skipped).
    fn forget_window(&mut self, key: Key, window: Window, deadline: Option<ProcTime>) {
        if let Some(at) = deadline {
            self.proc_timers.remove(&(at, key, window));
        }
        if let Some(ws) = self.sessions.get_mut(&key) {
            ws.retain(|w| *w != window);
            if ws.is_empty() {
                self.sessions.remove(&key);
            }
        }
    }

    fn add_to_window(&mut self, key: Key, window: Window, r: &Record) {
        let ctx = self.ctx(window);
        let Some(Slot::Open(st)) = self.states.get_mut(&(key, window)) else {
            unreachable!("adding to a window that is not open");
        };
        add_element(&self.pipeline, st, r, &ctx);
    }

    /// The common case — one record in a non-merging window that is
    /// already open — with one hash lookup: add it and ask the trigger.
    /// Returns `None` when the slow path must handle the window.
    fn add_single_fast(&mut self, r: &Record, window: Window) -> Option<bool> {
        let ctx = self.ctx(window);
        match self.states.get_mut(&(r.key, window)) {
            Some(Slot::Open(st)) => {
                add_element(&self.pipeline, st, r, &ctx);
                Some(st.trigger.should_fire(&self.pipeline.trigger, &ctx))
            }
            _ => None,
        }
    }

    fn update_deadline(&mut self, key: Key, window: Window, after: ProcTime) {
        if !self.uses_processing_time {
            return;
        }
        let Some(Slot::Open(st)) = self.states.get_mut(&(key, window)) else {
            return;
        };
        let next = st
            .trigger
            .next_deadline(&self.pipeline.trigger)
            .filter(|&at| at > after);
        if next != st.deadline {
            if let Some(old) = st.deadline {
                self.proc_timers.remove(&(old, key, window));
            }
            if let Some(at) = next {
                self.proc_timers.insert((at, key, window));
            }
            st.deadline = next;
        }
    }

    fn on_end_of_window(&mut self, key: Key, window: Window) {
        let ctx = self.ctx(window);
        let fire = match self.states.get_mut(&(key, window)) {
            Some(Slot::Open(st)) if !st.end_of_window_done => {
                st.end_of_window_done = true;
                // With `on_time: if_non_empty` nothing holds the output
                // watermark at the end of a window with nothing pending, so
                // it passes the end and no later pane can be on time
                // (Beam's WatermarkHold adds no end-of-window hold then).
                if self.pipeline.on_time == OnTimeBehavior::IfNonEmpty && !st.dirty {
                    st.on_time_forfeited = true;
                }
                st.trigger.should_fire(&self.pipeline.trigger, &ctx)
            }
            _ => false,
        };
        if fire {
            self.fire(key, window, &ctx);
        }
        self.update_deadline(key, window, self.now);
    }

    /// The trigger said fire.
    fn fire(&mut self, key: Key, window: Window, ctx: &Ctx) {
        let Some(Slot::Open(st)) = self.states.get_mut(&(key, window)) else {
            return;
        };
        let timing = timing_of(st, ctx.watermark, &window);
        st.trigger.on_fire(&self.pipeline.trigger, ctx);
        let finished = st.trigger.finished;
        self.emit(key, window, timing, finished, ctx.now);
        if finished {
            let deadline = match self.states.insert((key, window), Slot::Closed) {
                Some(Slot::Open(st)) => st.deadline,
                _ => None,
            };
            if let Some(at) = deadline {
                self.proc_timers.remove(&(at, key, window));
            }
            self.windows_open -= 1;
            self.windows_closed += 1;
        }
    }

    /// The watermark reached `end + allowed_lateness`: emit what was never
    /// emitted as the last pane, then free everything.
    fn expire(&mut self, key: Key, window: Window) {
        match self.states.get(&(key, window)) {
            Some(Slot::Open(st)) => {
                let timing = timing_of(st, self.watermark, &window);
                self.emit(key, window, timing, true, self.now);
                if let Some(Slot::Open(st)) = self.states.remove(&(key, window)) {
                    self.windows_open -= 1;
                    self.forget_window(key, window, st.deadline);
                }
            }
            Some(Slot::Closed) => {
                self.states.remove(&(key, window));
                self.windows_closed -= 1;
                self.forget_window(key, window, None);
            }
            None => {}
        }
    }

    /// Emits the window's pane if there is something to say (Beam's
    /// `needToEmit`): new elements, or an on-time pane the pipeline wants
    /// even when empty. Then clears what the accumulation mode discards.
    fn emit(
        &mut self,
        key: Key,
        window: Window,
        timing: Timing,
        is_last: bool,
        fired_at: ProcTime,
    ) {
        let discarding = self.pipeline.accumulation == Accumulation::Discarding;
        let retracting = self.pipeline.accumulation == Accumulation::AccumulatingAndRetracting;
        let fire_empty =
            timing == Timing::OnTime && self.pipeline.on_time == OnTimeBehavior::Always;
        let watermark = self.watermark;
        let timestamp = match self.states.get(&(key, window)) {
            Some(Slot::Open(st)) => self.pane_timestamp(&window, st),
            _ => return,
        };
        let Some(Slot::Open(st)) = self.states.get_mut(&(key, window)) else {
            return;
        };
        if st.dirty || fire_empty {
            let info = PaneInfo {
                timing,
                index: st.panes,
                nonspeculative_index: if timing == Timing::Early {
                    -1
                } else {
                    st.nonspeculative + 1
                },
                is_first: st.panes == 0,
                is_last,
            };
            let value = st.acc.finish();
            if retracting {
                if let Some(last) = st.last.take() {
                    let (old, old_ts, old_info) = *last;
                    self.stats.retractions += 1;
                    self.outputs.push_back(Output::Pane(Pane {
                        key,
                        window,
                        value: old,
                        timestamp: old_ts,
                        info: old_info,
                        retraction: true,
                        fired_at,
                        watermark,
                    }));
                }
                st.last = Some(Box::new((value.clone(), timestamp, info)));
            }
            st.panes += 1;
            if timing != Timing::Early {
                st.nonspeculative = info.nonspeculative_index;
                st.non_early_emitted = true;
            }
            self.stats.panes += 1;
            self.outputs.push_back(Output::Pane(Pane {
                key,
                window,
                value,
                timestamp,
                info,
                retraction: false,
                fired_at,
                watermark,
            }));
        }
        st.dirty = false;
        st.hold = None;
        if discarding {
            st.acc = self.pipeline.aggregate.empty();
        }
    }

    fn pane_timestamp(&self, window: &Window, st: &WindowState) -> EventTime {
        match self.pipeline.timestamp_combiner {
            TimestampCombiner::EndOfWindow => window.max_timestamp(),
            TimestampCombiner::Earliest | TimestampCombiner::Latest => {
                st.hold.unwrap_or_else(|| window.max_timestamp())
            }
        }
    }

    fn dead_letter(&mut self, r: &Record, refused: Vec<(DeadLetterReason, Window)>) {
        if refused.is_empty() {
            return;
        }
        // One dead letter per reason, each listing its windows.
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
    /// with the maps and no event timer is left behind the watermark.
    fn assert_invariants(&self) {
        if cfg!(debug_assertions) {
            debug_assert_eq!(
                self.windows_open + self.windows_closed,
                self.states.len() as u64,
                "window counters disagree with the state map"
            );
            if let Some((&at, _)) = self.event_timers.first_key_value() {
                debug_assert!(
                    at > self.watermark,
                    "event timer at {at} left behind watermark {}",
                    self.watermark
                );
            }
            if let Some(&(at, ..)) = self.proc_timers.first() {
                debug_assert!(
                    at > self.now,
                    "processing timer at {at} left behind now {}",
                    self.now
                );
            }
        }
    }
}

/// Beam's `PaneInfoTracker`: once a non-early pane has gone out every pane
/// is late; before the watermark passes the end a pane is early; the first
/// pane after that is on time, unless the output watermark could already
/// have passed the end — the window was first seen only after the watermark
/// had passed its end, or nothing held it there (`on_time_forfeited`).
fn timing_of(st: &WindowState, watermark: EventTime, window: &Window) -> Timing {
    if st.non_early_emitted || st.on_time_forfeited {
        Timing::Late
    } else if watermark < window.end {
        Timing::Early
    } else if !st.seen_before_end {
        Timing::Late
    } else {
        Timing::OnTime
    }
}

/// Folds one element into an open window: value, pending flag, hold, and
/// the trigger's view of it.
#[inline]
fn add_element(pipeline: &Pipeline, st: &mut WindowState, r: &Record, ctx: &Ctx) {
    st.acc.add(r.value);
    st.dirty = true;
    // An element behind the watermark can't hold it back.
    if r.time >= ctx.watermark {
        st.hold = Some(match (pipeline.timestamp_combiner, st.hold) {
            (TimestampCombiner::Latest, Some(h)) => h.max(r.time),
            (_, Some(h)) => h.min(r.time),
            (_, None) => r.time,
        });
    }
    st.trigger.on_element(&pipeline.trigger, ctx);
}
