//! The invariants checked on every run, each held or failed with the first
//! counterexample found (in key, window order, so the same run always
//! reports the same one).
//!
//! The checks read only model values and engine outputs; the expected
//! results come from [`crate::oracle`], which shares no code with the
//! engine's windowing, so each property is computed twice, independently.

use crate::final_panes::{final_panes, FinalPanes, Finals};
use crate::log::Log;
use crate::model::{Delivery, StrategyRun, Trace, Workload};
use crate::oracle::{self, combine, element_count, Cell, Results, Windowing};
use std::collections::BTreeMap;
use std::fmt;
use tidemark_engine::{Accumulation, AggValue, Key, Pane, Timing, Window, WindowFn};

pub use crate::scenario::Invariant;

/// The stable name of an invariant, as scenarios spell it in
/// `expect.invariants` and as JSON summaries and reports print it.
#[must_use]
pub fn name(invariant: Invariant) -> &'static str {
    match invariant {
        Invariant::Conservation => "conservation",
        Invariant::FinalEqualsAdmittedTruth => "final_equals_admitted_truth",
        Invariant::FinalEqualsTruthWhenNothingLate => "final_equals_truth_when_nothing_late",
        Invariant::NoEarlyOnTimePane => "no_early_on_time_pane",
        Invariant::WatermarkMonotone => "watermark_monotone",
        Invariant::AccumulationConsistent => "accumulation_consistent",
        Invariant::Deterministic => "deterministic",
        Invariant::ExactlyOnceEqualsCrashFree => "exactly_once_equals_crash_free",
        Invariant::AtLeastOnceCoversCrashFree => "at_least_once_covers_crash_free",
        Invariant::NothingLostButRetention => "nothing_lost_but_retention",
        Invariant::StateBoundedAfterRestore => "state_bounded_after_restore",
        Invariant::WatermarkConformance => "watermark_conformance",
        Invariant::FiringConformance => "firing_conformance",
        Invariant::AdmissionJustified => "admission_justified",
        Invariant::RetractionConformance => "retraction_conformance",
    }
}

/// The first place an invariant broke.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counterexample {
    /// One sentence saying what went wrong.
    pub what: String,
    /// The key's name, when a key is involved.
    pub key: Option<String>,
    /// The window, when one is involved.
    pub window: Option<Window>,
    /// What should have been seen.
    pub expected: Option<String>,
    /// What was seen.
    pub actual: Option<String>,
    /// Ids of the events involved (at most [`EVENTS_SHOWN_MAX`]).
    pub events: Vec<u64>,
}

/// Counterexamples list at most this many event ids, to stay readable.
pub const EVENTS_SHOWN_MAX: usize = 20;

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)?;
        if let Some(key) = &self.key {
            write!(f, "; key {key}")?;
        }
        if let Some(window) = &self.window {
            write!(f, "; window {window}")?;
        }
        if let Some(expected) = &self.expected {
            write!(f, "; expected {expected}")?;
        }
        if let Some(actual) = &self.actual {
            write!(f, "; actual {actual}")?;
        }
        if !self.events.is_empty() {
            write!(f, "; events {:?}", self.events)?;
        }
        Ok(())
    }
}

/// How one invariant fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It held.
    Held,
    /// It broke; the first counterexample.
    Failed(Box<Counterexample>),
    /// Its precondition did not hold, so there was nothing to check.
    NotApplicable(&'static str),
}

impl Outcome {
    /// True unless it failed.
    #[must_use]
    pub fn ok(&self) -> bool {
        !matches!(self, Outcome::Failed(_))
    }
}

/// One invariant's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Which invariant.
    pub invariant: Invariant,
    /// How it fared.
    pub outcome: Outcome,
}

/// Everything the per-strategy checks look at.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// What the sources generated.
    pub workload: &'a Workload,
    /// What the network delivered.
    pub trace: &'a Trace,
    /// The strategy's run.
    pub run: &'a StrategyRun,
    /// The pipeline's window function and aggregation.
    pub windowing: Windowing,
    /// The strategy's accumulation mode.
    pub accumulation: Accumulation,
    /// Whether the pipeline deduplicates by event id.
    pub dedup: bool,
    /// Whether the pipeline's watermark is the harness's perfect one.
    pub watermark_perfect: bool,
    /// Runs of the same trigger over the same trace in other accumulation
    /// modes (for the accumulation check); may be empty.
    pub siblings: &'a [(Accumulation, &'a StrategyRun)],
    /// The log the run read.
    pub log: &'a Log,
    /// The same strategy on the same log without crashes, when the run had any.
    pub crash_free: Option<&'a StrategyRun>,
    /// Whether the strategy's outputs depend on processing time (a
    /// processing-time trigger or an idle timeout): then a run that
    /// replays at other times may legitimately differ from the crash-free one.
    pub processing_time_dependent: bool,
}

impl Subject<'_> {
    /// (partition, offset) of trace delivery `d` in the log.
    #[must_use]
    pub fn log_place(&self, d: usize) -> Option<(u32, u64)> {
        let channel = self.trace.deliveries.get(d)?.channel();
        self.log
            .entries(channel)
            .iter()
            .find(|e| e.delivery() == d)
            .map(|e| (channel, e.offset()))
    }
}

/// A strategy's final values, the oracle's answers and the verdicts.
#[derive(Debug, Clone)]
pub struct StrategyCheck {
    /// Final values read off the panes.
    pub finals: FinalPanes,
    /// The oracle over what the engine admitted.
    pub admitted: Results,
    /// Share of generated events dead-lettered (for any window).
    pub dead_letter_fraction: f64,
    /// Ids of the events dead-lettered (for any window), ascending.
    pub dead_lettered: Vec<u64>,
    /// One verdict per invariant except determinism (a run-level check).
    pub verdicts: Vec<Verdict>,
}

/// Runs every per-strategy invariant.
#[must_use]
pub fn check_strategy(s: &Subject<'_>) -> StrategyCheck {
    let merging = matches!(s.windowing.window, WindowFn::Sessions { .. });
    let finals = final_panes(&s.run.panes, s.accumulation, merging);
    let admitted = oracle::admitted_truth(s.workload, s.trace, s.run, s.dedup, s.windowing);
    // The invariants check the engine's surviving history: panes an
    // at-least-once sink showed from work a crash threw away are counted
    // as duplicates and checked by at_least_once_covers_crash_free.
    // Accuracy (and the finals reports show) is what downstream saw.
    let first = crate::recovery_checks::surviving(s.run);
    let sibling_firsts: Vec<(Accumulation, std::borrow::Cow<'_, StrategyRun>)> = s
        .siblings
        .iter()
        .map(|(m, r)| (*m, crate::recovery_checks::surviving(r)))
        .collect();
    let sibling_refs: Vec<(Accumulation, &StrategyRun)> = sibling_firsts
        .iter()
        .map(|(m, r)| (*m, r.as_ref()))
        .collect();
    let engine_view = Subject {
        run: &first,
        siblings: &sibling_refs,
        ..*s
    };
    let first_finals = final_panes(&first.panes, s.accumulation, merging);
    let verdicts = vec![
        verdict(
            Invariant::Conservation,
            conservation(&engine_view, &admitted, &first_finals.values),
        ),
        verdict(
            Invariant::FinalEqualsAdmittedTruth,
            compare(
                &engine_view,
                &admitted,
                &first_finals.values,
                "the admitted truth",
            ),
        ),
        verdict(
            Invariant::FinalEqualsTruthWhenNothingLate,
            truth_when_complete(&engine_view, &first_finals.values),
        ),
        verdict(
            Invariant::NoEarlyOnTimePane,
            on_time(&engine_view, &admitted),
        ),
        verdict(
            Invariant::WatermarkMonotone,
            watermark_monotone(&engine_view),
        ),
        verdict(
            Invariant::AccumulationConsistent,
            accumulation(&engine_view, &first_finals, merging),
        ),
        verdict(
            Invariant::ExactlyOnceEqualsCrashFree,
            crate::recovery_checks::exactly_once(s),
        ),
        verdict(
            Invariant::AtLeastOnceCoversCrashFree,
            crate::recovery_checks::at_least_once(s),
        ),
        verdict(
            Invariant::NothingLostButRetention,
            crate::recovery_checks::nothing_lost(s),
        ),
        verdict(
            Invariant::StateBoundedAfterRestore,
            crate::recovery_checks::state_bounded(s),
        ),
    ];
    StrategyCheck {
        dead_letter_fraction: dead_letter_fraction(s),
        dead_lettered: dead_lettered(s),
        finals,
        admitted,
        verdicts,
    }
}

fn verdict(invariant: Invariant, outcome: Outcome) -> Verdict {
    Verdict { invariant, outcome }
}

fn fail(c: Counterexample) -> Outcome {
    Outcome::Failed(Box::new(c))
}

fn key_name(workload: &Workload, key: Key) -> String {
    usize::try_from(key.0)
        .ok()
        .and_then(|i| workload.keys.get(i))
        .cloned()
        .unwrap_or_else(|| format!("#{}", key.0))
}

fn shown(events: &[u64]) -> Vec<u64> {
    events.iter().copied().take(EVENTS_SHOWN_MAX).collect()
}

fn dead_lettered(s: &Subject<'_>) -> Vec<u64> {
    let ids: std::collections::BTreeSet<u64> =
        s.run.dead_letters.iter().map(|d| d.record.id).collect();
    ids.into_iter().collect()
}

fn dead_letter_fraction(s: &Subject<'_>) -> f64 {
    let ids: std::collections::BTreeSet<u64> =
        s.run.dead_letters.iter().map(|d| d.record.id).collect();
    if s.workload.events.is_empty() {
        return 0.0;
    }
    ids.len() as f64 / s.workload.events.len() as f64
}

/// Conservation, per event: lost xor delivered; dead letters name delivered
/// events; the engine saw each delivered event once (dedup) or every copy;
/// and where the aggregation records counts, the final panes hold exactly
/// the admitted (copy, window) pairs.
fn conservation(s: &Subject<'_>, admitted: &Results, finals: &Finals) -> Outcome {
    if let Err(c) = delivered_xor_lost(s) {
        return fail(*c);
    }
    if let Err(c) = dead_letters_are_delivered(s) {
        return fail(*c);
    }
    if let Err(c) = copies_seen(s) {
        return fail(*c);
    }
    let counted: Option<u64> = finals.values().map(element_count).sum();
    let Some(counted) = counted else {
        // Sum, min and max don't say how many elements they hold; the
        // admitted-truth check covers those values.
        return Outcome::Held;
    };
    let admitted_total: u64 = admitted.values().map(|c| c.events.len() as u64).sum();
    if counted == admitted_total {
        return Outcome::Held;
    }
    let mut c = first_difference(s, admitted, finals).unwrap_or_default();
    c.what = format!(
        "{admitted_total} admitted element copies (per window), but {counted} counted in final panes; first differing window"
    );
    fail(c)
}

fn delivered_xor_lost(s: &Subject<'_>) -> Result<(), Box<Counterexample>> {
    let n = s.workload.events.len();
    let mut delivered = vec![false; n];
    let mut lost = vec![false; n];
    let unknown = |id: u64, what: &str| {
        Box::new(Counterexample {
            what: format!("{what} names event {id}, which was never generated"),
            events: vec![id],
            ..Counterexample::default()
        })
    };
    for d in &s.trace.deliveries {
        if let Delivery::Record { event, .. } = *d {
            let slot = usize::try_from(event)
                .ok()
                .and_then(|i| delivered.get_mut(i));
            *slot.ok_or_else(|| unknown(event, "a delivery"))? = true;
        }
    }
    for &id in &s.trace.undelivered {
        let slot = usize::try_from(id).ok().and_then(|i| lost.get_mut(i));
        *slot.ok_or_else(|| unknown(id, "the undelivered list"))? = true;
    }
    for (id, (&d, &l)) in delivered.iter().zip(&lost).enumerate() {
        if d == l {
            let e = &s.workload.events[id];
            return Err(Box::new(Counterexample {
                what: if d {
                    "event both delivered and reported lost".into()
                } else {
                    "event neither delivered nor reported lost".into()
                },
                key: Some(key_name(s.workload, Key(e.key))),
                events: vec![e.id],
                ..Counterexample::default()
            }));
        }
    }
    Ok(())
}

fn dead_letters_are_delivered(s: &Subject<'_>) -> Result<(), Box<Counterexample>> {
    let lost: std::collections::BTreeSet<u64> = s.trace.undelivered.iter().copied().collect();
    for dl in &s.run.dead_letters {
        let r = dl.record;
        let event = usize::try_from(r.id)
            .ok()
            .and_then(|i| s.workload.events.get(i));
        let problem = match event {
            None => Some("a dead letter names an event that was never generated".to_string()),
            Some(_) if lost.contains(&r.id) => {
                Some("a dead letter names an event the network lost".into())
            }
            Some(e) if (e.key, e.value, e.time) != (r.key.0, r.value, r.time) => {
                Some("a dead letter's record differs from the event it names".into())
            }
            Some(_) => None,
        };
        if let Some(what) = problem {
            return Err(Box::new(Counterexample {
                what,
                key: Some(key_name(s.workload, r.key)),
                window: dl.windows.first().copied(),
                actual: Some(format!("key {} value {} time {}", r.key.0, r.value, r.time)),
                events: vec![r.id],
                ..Counterexample::default()
            }));
        }
    }
    Ok(())
}

/// The engine saw each delivered event once when deduplicating, and every
/// delivered copy otherwise; the duplicate counters agree with the trace.
fn copies_seen(s: &Subject<'_>) -> Result<(), Box<Counterexample>> {
    let (mut copies, mut duplicates) = (0u64, 0u64);
    let missed = crate::oracle::missed_set(s.run);
    // Copies read, and of them the repeats of an event read before (the
    // trace's duplicates, unless retention dropped the first copy).
    let mut read = vec![
        false;
        s.workload
            .events
            .iter()
            .map(|e| e.id as usize + 1)
            .max()
            .unwrap_or(0)
    ];
    for (i, d) in s.trace.deliveries.iter().enumerate() {
        if let Delivery::Record { event, .. } = *d {
            if missed.contains(&i) {
                continue;
            }
            copies += 1;
            let repeat = usize::try_from(event)
                .ok()
                .and_then(|i| read.get_mut(i))
                .is_some_and(|r| std::mem::replace(r, true));
            duplicates += u64::from(repeat);
        }
    }
    let r = s.run;
    let (records_in, dropped, counted) = if s.dedup {
        (copies - duplicates, duplicates, 0)
    } else {
        (copies, 0, duplicates)
    };
    let expected =
        format!("records_in {records_in}, duplicates dropped {dropped}, counted {counted}");
    let actual = format!(
        "records_in {}, duplicates dropped {}, counted {}",
        r.records_in, r.duplicates_dropped, r.duplicates_counted
    );
    if expected == actual {
        return Ok(());
    }
    Err(Box::new(Counterexample {
        what: format!(
            "the engine's record counts disagree with the trace (deduplication {})",
            if s.dedup { "on" } else { "off" }
        ),
        expected: Some(expected),
        actual: Some(actual),
        ..Counterexample::default()
    }))
}

/// The first (key, window) where `finals` and `expected` disagree.
fn first_difference(
    s: &Subject<'_>,
    expected: &Results,
    finals: &Finals,
) -> Option<Counterexample> {
    first_difference_in(s.workload, expected, finals)
}

/// The first (key, window) where `finals` and `expected` disagree, as a
/// counterexample without its `what`.
#[must_use]
pub fn first_difference_in(
    workload: &Workload,
    expected: &Results,
    finals: &Finals,
) -> Option<Counterexample> {
    let mut e = expected.iter().peekable();
    let mut f = finals.iter().peekable();
    loop {
        let (kw, want, got): (&(Key, Window), Option<&Cell>, Option<&AggValue>) =
            match (e.peek(), f.peek()) {
                (None, None) => return None,
                (Some((ek, cell)), Some((fk, _))) if ek < fk => (*ek, Some(*cell), None),
                (Some((ek, cell)), None) => (*ek, Some(*cell), None),
                (Some((ek, cell)), Some((fk, value))) if ek == fk => {
                    (*ek, Some(*cell), Some(*value))
                }
                (_, Some((fk, value))) => (*fk, None, Some(*value)),
            };
        if want.is_some() {
            e.next();
        }
        if got.is_some() {
            f.next();
        }
        if want.map(|c| &c.value) == got {
            continue;
        }
        return Some(Counterexample {
            what: String::new(),
            key: Some(key_name(workload, kw.0)),
            window: Some(kw.1),
            expected: Some(want.map_or("no window".into(), |c| c.value.to_string())),
            actual: Some(got.map_or("no final pane".into(), ToString::to_string)),
            events: want.map(|c| shown(&c.events)).unwrap_or_default(),
        });
    }
}

fn compare(s: &Subject<'_>, expected: &Results, finals: &Finals, against: &str) -> Outcome {
    match first_difference(s, expected, finals) {
        None => Outcome::Held,
        Some(mut c) => {
            c.what = format!("a final pane differs from {against}");
            fail(c)
        }
    }
}

/// Final panes equal the truth over what the network delivered, when the
/// watermark was perfect or nothing was late. Events lost in the network are
/// left out: no engine could count them, and conservation accounts for them.
fn truth_when_complete(s: &Subject<'_>, finals: &Finals) -> Outcome {
    let late = s.run.panes.iter().any(|p| p.info.timing == Timing::Late);
    let nothing_late = !late && s.run.dead_letters.is_empty();
    if !s.watermark_perfect && !nothing_late {
        return Outcome::NotApplicable("the watermark was not perfect and some data was late");
    }
    if !s.run.recovery.retention_missed.is_empty() {
        // Counted against the truth in `accuracy`, and checked by
        // nothing_lost_but_retention.
        return Outcome::NotApplicable("retention dropped log entries before they were read");
    }
    let delivered = oracle::delivered_truth(s.workload, s.trace, s.dedup, s.windowing);
    compare(
        s,
        &delivered,
        finals,
        "the truth (perfect watermark or nothing late)",
    )
}

/// No on-time pane before the watermark reached the window's end, no early
/// pane after; per window, pane indexes count up from 0, `is_first` marks
/// index 0, and nothing follows an `is_last` pane.
fn on_time(s: &Subject<'_>, admitted: &Results) -> Outcome {
    let mut next: BTreeMap<(Key, Window), (u64, bool)> = BTreeMap::new();
    for p in s.run.panes.iter().filter(|p| !p.retraction) {
        let (index, closed) = next.get(&(p.key, p.window)).copied().unwrap_or((0, false));
        let problem = match p.info.timing {
            Timing::OnTime if p.watermark < p.window.end => {
                Some("an on-time pane fired before the watermark passed the window's end")
            }
            Timing::Early if p.watermark >= p.window.end => {
                Some("an early pane fired after the watermark passed the window's end")
            }
            _ if closed => Some("a pane followed the window's last pane"),
            _ if p.info.index != index || p.info.is_first != (index == 0) => {
                Some("pane indexes do not count up from 0")
            }
            _ => None,
        };
        if let Some(what) = problem {
            let events = admitted
                .get(&(p.key, p.window))
                .map(|c| shown(&c.events))
                .unwrap_or_default();
            return fail(Counterexample {
                what: what.into(),
                key: Some(key_name(s.workload, p.key)),
                window: Some(p.window),
                expected: Some(format!(
                    "pane index {index}, watermark vs end {}",
                    p.window.end
                )),
                actual: Some(describe_pane(p)),
                events,
            });
        }
        next.insert((p.key, p.window), (index + 1, p.info.is_last));
    }
    Outcome::Held
}

fn describe_pane(p: &Pane) -> String {
    format!(
        "{} pane index {}{} value {} at watermark {} (processing time {})",
        p.info.timing,
        p.info.index,
        if p.info.is_last { " (last)" } else { "" },
        p.value,
        p.watermark,
        p.fired_at
    )
}

/// Applied watermarks never go back, per worker; nor do the watermarks a
/// window's panes report.
fn watermark_monotone(s: &Subject<'_>) -> Outcome {
    let mut per_worker: BTreeMap<u32, tidemark_engine::EventTime> = BTreeMap::new();
    for &(at, worker, w) in &s.run.watermarks {
        if let Some(&prev) = per_worker.get(&worker) {
            if w < prev {
                return fail(Counterexample {
                    what: format!("worker {worker}'s watermark went back at processing time {at}"),
                    expected: Some(format!(">= {prev}")),
                    actual: Some(w.to_string()),
                    ..Counterexample::default()
                });
            }
        }
        per_worker.insert(worker, w);
    }
    let mut per_window: BTreeMap<(Key, Window), tidemark_engine::EventTime> = BTreeMap::new();
    let mut newest: BTreeMap<(Key, Window, bool), u64> = BTreeMap::new();
    for p in &s.run.panes {
        // A pane replayed after a restore (an at-least-once duplicate)
        // reports the watermark of its first firing: skip it.
        let n = newest.entry((p.key, p.window, p.retraction)).or_insert(0);
        if p.info.index < *n {
            continue;
        }
        *n = p.info.index + 1;
        let prev = per_window.entry((p.key, p.window)).or_insert(p.watermark);
        if p.watermark < *prev {
            return fail(Counterexample {
                what: "a window's panes report a watermark that went back".into(),
                key: Some(key_name(s.workload, p.key)),
                window: Some(p.window),
                expected: Some(format!(">= {prev}")),
                actual: Some(describe_pane(p)),
                ..Counterexample::default()
            });
        }
        *prev = p.watermark;
    }
    Outcome::Held
}

/// Retractions cancel (this run, when retracting); and against sibling runs
/// of the same trigger over the same trace: discarding panes add up to the
/// accumulating panes one by one, and a retracting run's panes are the
/// accumulating run's panes. Sessions merge differently per mode (a merged
/// window's first pane holds only the unemitted part when discarding), so
/// there only the final values are compared.
fn accumulation(s: &Subject<'_>, finals: &FinalPanes, merging: bool) -> Outcome {
    if let Some(p) = finals.problems.first() {
        let pane = &s.run.panes[p.position];
        return fail(Counterexample {
            what: if p.retraction {
                "a retraction does not withdraw the window's live pane".into()
            } else {
                "a pane arrived before the previous one was retracted".into()
            },
            key: Some(key_name(s.workload, p.key)),
            window: Some(p.window),
            expected: Some(
                p.live
                    .as_ref()
                    .map_or("nothing live".into(), |v| format!("retraction of {v}")),
            ),
            actual: Some(format!(
                "{}{}",
                if pane.retraction {
                    "retraction of "
                } else {
                    ""
                },
                describe_pane(pane)
            )),
            ..Counterexample::default()
        });
    }
    let mut runs: Vec<(Accumulation, &StrategyRun)> = vec![(s.accumulation, s.run)];
    runs.extend(
        s.siblings
            .iter()
            .copied()
            .filter(|(m, _)| *m != s.accumulation),
    );
    let find = |mode| runs.iter().find(|(m, _)| *m == mode).map(|(_, r)| *r);
    let accumulating = find(Accumulation::Accumulating);
    let pairs = [
        (find(Accumulation::Discarding), Accumulation::Discarding),
        (
            find(Accumulation::AccumulatingAndRetracting),
            Accumulation::AccumulatingAndRetracting,
        ),
    ];
    let Some(acc) = accumulating else {
        return Outcome::Held;
    };
    for (other, mode) in pairs {
        let Some(other) = other else { continue };
        let result = if merging {
            same_finals(s, other, mode, acc)
        } else {
            same_pane_sequences(s, other, mode, acc)
        };
        if let Err(c) = result {
            return fail(*c);
        }
    }
    Outcome::Held
}

fn same_finals(
    s: &Subject<'_>,
    other: &StrategyRun,
    mode: Accumulation,
    acc: &StrategyRun,
) -> Result<(), Box<Counterexample>> {
    let want = final_panes(&acc.panes, Accumulation::Accumulating, true).values;
    let got = final_panes(&other.panes, mode, true).values;
    let as_results: Results = want
        .into_iter()
        .map(|(kw, value)| {
            (
                kw,
                Cell {
                    value,
                    events: Vec::new(),
                },
            )
        })
        .collect();
    match first_difference(s, &as_results, &got) {
        None => Ok(()),
        Some(mut c) => {
            c.what =
                format!("{mode} final panes differ from accumulating ones over the same trace");
            Err(Box::new(c))
        }
    }
}

fn by_window(run: &StrategyRun) -> BTreeMap<(Key, Window), Vec<&Pane>> {
    let mut m: BTreeMap<(Key, Window), Vec<&Pane>> = BTreeMap::new();
    for p in run.panes.iter().filter(|p| !p.retraction) {
        m.entry((p.key, p.window)).or_default().push(p);
    }
    m
}

/// Per window, the i-th pane in `mode` (folded up to i when discarding)
/// equals the i-th accumulating pane, with the same pane info.
fn same_pane_sequences(
    s: &Subject<'_>,
    other: &StrategyRun,
    mode: Accumulation,
    acc: &StrategyRun,
) -> Result<(), Box<Counterexample>> {
    let want = by_window(acc);
    let got = by_window(other);
    let windows: std::collections::BTreeSet<&(Key, Window)> =
        want.keys().chain(got.keys()).collect();
    for kw in windows {
        let (w, g) = (
            want.get(kw).map_or(&[][..], Vec::as_slice),
            got.get(kw).map_or(&[][..], Vec::as_slice),
        );
        let mut folded: Option<AggValue> = None;
        for i in 0..w.len().max(g.len()) {
            let (wp, gp) = (w.get(i), g.get(i));
            if let Some(gp) = gp {
                folded = Some(match (&folded, mode) {
                    (Some(f), Accumulation::Discarding) => {
                        combine(f, &gp.value).unwrap_or_else(|| f.clone())
                    }
                    _ => gp.value.clone(),
                });
            }
            let same = match (wp, gp) {
                (Some(wp), Some(gp)) => wp.info == gp.info && folded.as_ref() == Some(&wp.value),
                _ => false,
            };
            if !same {
                return Err(Box::new(Counterexample {
                    what: format!("pane {i} in {mode} mode does not match the accumulating run over the same trace"),
                    key: Some(key_name(s.workload, kw.0)),
                    window: Some(kw.1),
                    expected: Some(wp.map_or("no pane".into(), |p| describe_pane(p))),
                    actual: Some(gp.map_or("no pane".into(), |p| {
                        format!("{} (folded: {})", describe_pane(p), folded.as_ref().map_or("-".into(), ToString::to_string))
                    })),
                    ..Counterexample::default()
                }));
            }
        }
    }
    Ok(())
}

/// The oracle and the invariants against the real engine, driven directly
/// (no network): random events in random order under a lagging watermark,
/// every window function, trigger shape and accumulation mode. Any
/// disagreement is a bug in one of two independent implementations.
#[cfg(test)]
mod engine_agreement {
    use super::*;
    use crate::model::Event;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use tidemark_engine::{
        Aggregate, Duration, Engine, EngineConfig, EventTime, OnTimeBehavior, Output, Pipeline,
        ProcTime, Record, TimestampCombiner, Trigger,
    };

    fn workload(rng: &mut ChaCha8Rng) -> Workload {
        let events = (0..60)
            .map(|id| {
                let t = rng.gen_range(0..100);
                Event {
                    id,
                    source: 0,
                    key: rng.gen_range(0..3),
                    value: rng.gen_range(-5..=5),
                    time: EventTime(t),
                    true_time: EventTime(t),
                    sent_at: ProcTime(0),
                }
            })
            .collect();
        Workload {
            events,
            sources: vec!["s".into()],
            keys: vec!["a".into(), "b".into(), "c".into()],
        }
    }

    /// Arrival order: roughly by time with jitter, some events twice.
    fn trace(rng: &mut ChaCha8Rng, w: &Workload) -> Trace {
        let mut order: Vec<(i64, u64)> = Vec::new();
        for e in &w.events {
            order.push((e.time.0 + rng.gen_range(0..40), e.id));
            if rng.gen_bool(0.1) {
                order.push((e.time.0 + rng.gen_range(0..60), e.id));
            }
        }
        order.sort();
        let mut seen = std::collections::BTreeSet::new();
        let deliveries = order
            .iter()
            .enumerate()
            .map(|(i, &(_, id))| Delivery::Record {
                at: ProcTime(i as i64),
                worker: 0,
                channel: 0,
                event: id,
                duplicate: !seen.insert(id),
            })
            .collect();
        Trace {
            deliveries,
            faults: Vec::new(),
            undelivered: Vec::new(),
            workers: 1,
            channels: 1,
            end: ProcTime(order.len() as i64),
        }
    }

    fn run(w: &Workload, t: &Trace, pipeline: Pipeline, dedup: bool) -> StrategyRun {
        let mut engine = Engine::new(pipeline, EngineConfig::DEFAULT).expect("valid pipeline");
        let mut out = StrategyRun {
            strategy: "s".into(),
            panes: Vec::new(),
            dead_letters: Vec::new(),
            watermarks: Vec::new(),
            records_in: 0,
            duplicates_dropped: 0,
            duplicates_counted: 0,
            watermark_regressions: 0,
            visible_at: Vec::new(),
            recovery: crate::model::Recovery::default(),
        };
        let mut max_seen = i64::MIN;
        for d in &t.deliveries {
            let Delivery::Record {
                at,
                event,
                duplicate,
                ..
            } = *d
            else {
                continue;
            };
            if duplicate && dedup {
                out.duplicates_dropped += 1;
                continue;
            }
            out.duplicates_counted += u64::from(duplicate);
            out.records_in += 1;
            let e = w.events[event as usize];
            let record = Record {
                id: e.id,
                key: Key(e.key),
                value: e.value,
                time: e.time,
            };
            engine.handle_record(at, record);
            max_seen = max_seen.max(e.time.0);
            let wm = EventTime(max_seen - 15);
            if wm > engine.watermark() {
                engine.handle_watermark(at, wm);
                out.watermarks.push((at, 0, wm));
            }
        }
        engine.handle_watermark(t.end, EventTime::MAX);
        out.watermarks.push((t.end, 0, EventTime::MAX));
        while let Some(o) = engine.poll_output() {
            match o {
                Output::Pane(p) => out.panes.push(p),
                Output::DeadLetter(d) => out.dead_letters.push(d),
            }
        }
        out
    }

    fn windows() -> Vec<WindowFn> {
        let d = Duration;
        vec![
            WindowFn::Fixed {
                size: d(10),
                offset: d(0),
            },
            WindowFn::Fixed {
                size: d(10),
                offset: d(3),
            },
            WindowFn::Sliding {
                size: d(10),
                period: d(5),
                offset: d(0),
            },
            // period == size: the widest period allowed (a gap, period >
            // size, is refused by `Pipeline::validate`).
            WindowFn::Sliding {
                size: d(7),
                period: d(7),
                offset: d(2),
            },
            WindowFn::Sessions { gap: d(6) },
            WindowFn::Global,
        ]
    }

    fn triggers() -> Vec<Trigger> {
        vec![
            Trigger::Default,
            Trigger::AfterWatermark {
                early: Some(Box::new(Trigger::AfterCount(2))),
                late: Some(Box::new(Trigger::AfterCount(1))),
            },
            Trigger::AfterCount(3),
            Trigger::Always,
            Trigger::Never,
        ]
    }

    #[test]
    fn engine_agrees_with_the_oracle_and_every_invariant_holds() {
        let modes = [
            Accumulation::Discarding,
            Accumulation::Accumulating,
            Accumulation::AccumulatingAndRetracting,
        ];
        // Dead letters, late panes and retractions seen: the test must reach them.
        let mut seen = (0, 0, 0);
        for seed in 0..4u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let w = workload(&mut rng);
            let t = trace(&mut rng, &w);
            for (i, window) in windows().into_iter().enumerate() {
                for trigger in triggers() {
                    let aggregate = [
                        Aggregate::Sum,
                        Aggregate::Count,
                        Aggregate::Collect,
                        Aggregate::Min,
                    ][i % 4];
                    let dedup = seed % 2 == 0;
                    let runs: Vec<(Accumulation, StrategyRun)> = modes
                        .iter()
                        .map(|&accumulation| {
                            let pipeline = Pipeline {
                                window,
                                trigger: trigger.clone(),
                                accumulation,
                                allowed_lateness: Duration(8),
                                timestamp_combiner: TimestampCombiner::EndOfWindow,
                                aggregate,
                                on_time: OnTimeBehavior::Always,
                            };
                            (accumulation, run(&w, &t, pipeline, dedup))
                        })
                        .collect();
                    let siblings: Vec<(Accumulation, &StrategyRun)> =
                        runs.iter().map(|(m, r)| (*m, r)).collect();
                    let windowing = Windowing { window, aggregate };
                    for (mode, r) in &runs {
                        let s = Subject {
                            workload: &w,
                            trace: &t,
                            run: r,
                            windowing,
                            accumulation: *mode,
                            dedup,
                            watermark_perfect: false,
                            siblings: &siblings,
                            log: &crate::log::Log::from_trace(&t, Default::default()),
                            crash_free: None,
                            processing_time_dependent: false,
                        };
                        let check = check_strategy(&s);
                        seen.0 += r.dead_letters.len();
                        seen.1 += r
                            .panes
                            .iter()
                            .filter(|p| p.info.timing == Timing::Late)
                            .count();
                        seen.2 += r.panes.iter().filter(|p| p.retraction).count();
                        for v in &check.verdicts {
                            assert!(
                                v.outcome.ok(),
                                "seed {seed} {window} {trigger:?} {mode} {aggregate}: {} failed: {:?}",
                                name(v.invariant),
                                v.outcome
                            );
                        }
                    }
                }
            }
        }
        assert!(seen.0 > 0 && seen.1 > 0 && seen.2 > 0, "{seen:?}");
    }

    #[test]
    fn a_wrong_pane_is_caught_with_its_window_and_events() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let w = workload(&mut rng);
        let t = trace(&mut rng, &w);
        let window = WindowFn::Fixed {
            size: Duration(10),
            offset: Duration(0),
        };
        let pipeline = Pipeline {
            window,
            trigger: Trigger::Default,
            accumulation: Accumulation::Accumulating,
            allowed_lateness: Duration(8),
            timestamp_combiner: TimestampCombiner::EndOfWindow,
            aggregate: Aggregate::Count,
            on_time: OnTimeBehavior::Always,
        };
        let mut r = run(&w, &t, pipeline, true);
        let last = r.panes.len() - 1;
        r.panes[last].value = AggValue::Count(1000);
        r.panes[0].watermark = EventTime(r.panes[0].window.end.0 - 1);
        let windowing = Windowing {
            window,
            aggregate: Aggregate::Count,
        };
        let s = Subject {
            workload: &w,
            trace: &t,
            run: &r,
            windowing,
            accumulation: Accumulation::Accumulating,
            dedup: true,
            watermark_perfect: false,
            siblings: &[],
            log: &crate::log::Log::from_trace(&t, Default::default()),
            crash_free: None,
            processing_time_dependent: false,
        };
        let check = check_strategy(&s);
        let failed: Vec<&str> = check
            .verdicts
            .iter()
            .filter(|v| !v.outcome.ok())
            .map(|v| name(v.invariant))
            .collect();
        assert_eq!(
            failed,
            [
                "conservation",
                "final_equals_admitted_truth",
                "no_early_on_time_pane"
            ]
        );
        let Outcome::Failed(c) = &check.verdicts[1].outcome else {
            unreachable!()
        };
        assert_eq!(c.window, Some(r.panes[last].window));
        assert_eq!(c.actual.as_deref(), Some("1000"));
        assert!(!c.events.is_empty());
    }
}
