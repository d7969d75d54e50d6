//! Drives the engine through a transcript's steps and checks each `expect`
//! and `state` step.

use super::check::assign;
use super::keys::Keys;
use super::render::output_line;
use super::spec::{fmt_window, Expected, FailureKind, StateCheck, Step, Transcript};
use std::fmt::{self, Write as _};
use tidemark_engine::{
    ConfigError, Engine, EngineConfig, EventTime, Key, Output, ProcTime, Record, WindowStatus,
};

/// One step as it ran.
#[derive(Debug, Clone)]
pub struct StepLog {
    /// `input`, `clock`, `watermark`, `expect`, `expect_in_order` or `state`.
    pub action: &'static str,
    /// The step, e.g. `watermark 100`.
    pub description: String,
    /// Every output the engine produced during the step.
    pub outputs: Vec<Output>,
}

/// Why a transcript failed: the first check that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What kind of check.
    pub kind: FailureKind,
    /// 1-based step number, `None` for the check after the last step.
    pub step: Option<usize>,
    /// The step, as in [`StepLog::description`].
    pub action: String,
    /// The diff: what was expected and what the engine produced.
    pub detail: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(n) => write!(f, "step {n} ({}): {}", self.action, self.kind)?,
            None => write!(f, "after the last step: {}", self.kind)?,
        }
        if !self.detail.is_empty() {
            write!(f, "\n{}", self.detail)?;
        }
        Ok(())
    }
}

/// A transcript's run: every step's outputs and the verdict.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The transcript's name.
    pub name: String,
    /// The error a negative transcript declares.
    pub expected_error: Option<FailureKind>,
    /// Every step, in order, with its outputs.
    pub steps: Vec<StepLog>,
    /// The first check that failed, if any.
    pub failure: Option<Failure>,
    /// Key names, to print outputs.
    pub keys: Keys,
}

impl Outcome {
    /// True when the transcript passed: no check failed, or, for a negative
    /// transcript, the first failure is exactly the declared error.
    #[must_use]
    pub fn passed(&self) -> bool {
        match (&self.failure, self.expected_error) {
            (None, None) => true,
            (Some(f), Some(e)) => f.kind == e,
            _ => false,
        }
    }

    /// Why the transcript did not pass, or `None` when it passed.
    #[must_use]
    pub fn explanation(&self) -> Option<String> {
        if self.passed() {
            return None;
        }
        Some(match (&self.failure, self.expected_error) {
            (Some(f), None) => f.to_string(),
            (None, Some(e)) => {
                format!("expected the checker to fail with \"{e}\", but every check passed")
            }
            (Some(f), Some(e)) => {
                format!("expected the checker to fail with \"{e}\", but it failed with:\n{f}")
            }
            (None, None) => String::new(),
        })
    }
}

/// Runs a transcript to its end (recording every step's outputs even after
/// a check failed) and keeps the first failure.
pub fn run(t: &Transcript) -> Result<Outcome, ConfigError> {
    let mut engine = Engine::new(t.pipeline.clone(), EngineConfig::DEFAULT)?;
    let mut keys = Keys::default();
    let mut now = ProcTime(0);
    let mut next_id = 0u64;
    // Outputs produced since the last `expect` and not matched yet.
    let mut pending: Vec<Output> = Vec::new();
    let mut steps = Vec::with_capacity(t.steps.len());
    let mut failure: Option<Failure> = None;

    for (i, step) in t.steps.iter().enumerate() {
        let number = i + 1;
        let description = step.to_string();
        if !matches!(step, Step::Expect(_) | Step::ExpectInOrder(_)) && !pending.is_empty() {
            fail(
                &mut failure,
                FailureKind::UnexpectedOutput,
                Some(number),
                &description,
                unexpected_detail(&pending, &keys),
            );
            // Reported once; later steps start from a clean slate.
            pending.clear();
        }
        match step {
            Step::Input(elems) => {
                let records: Vec<Record> = elems
                    .iter()
                    .map(|e| {
                        let id = next_id;
                        next_id += 1;
                        Record {
                            id,
                            key: keys.intern(&e.key),
                            value: e.value,
                            time: EventTime(e.time),
                        }
                    })
                    .collect();
                engine.handle_bundle(now, &records);
            }
            Step::Clock(t) => {
                // The parser refuses clocks that go back.
                now = ProcTime(*t);
                engine.handle_timeout(now);
            }
            Step::Watermark(w) => engine.handle_watermark(now, EventTime(*w)),
            Step::Expect(items) | Step::ExpectInOrder(items) => {
                let detail = if matches!(step, Step::ExpectInOrder(_)) {
                    check_expect_in_order(items, &mut pending, &keys)
                } else {
                    check_expect(items, &mut pending, &keys)
                };
                if let Some(detail) = detail {
                    fail(
                        &mut failure,
                        FailureKind::UnmatchedExpectation,
                        Some(number),
                        &description,
                        detail,
                    );
                }
            }
            Step::State(check) => {
                if let Some(detail) = check_state(check, &engine, &keys) {
                    fail(
                        &mut failure,
                        FailureKind::StateMismatch,
                        Some(number),
                        &description,
                        detail,
                    );
                }
            }
        }
        let outputs: Vec<Output> = std::iter::from_fn(|| engine.poll_output()).collect();
        pending.extend(outputs.iter().cloned());
        steps.push(StepLog {
            action: step.action(),
            description,
            outputs,
        });
    }
    if !pending.is_empty() {
        let detail = unexpected_detail(&pending, &keys);
        fail(
            &mut failure,
            FailureKind::UnexpectedOutput,
            None,
            "end",
            detail,
        );
    }
    Ok(Outcome {
        name: t.name.clone(),
        expected_error: t.error,
        steps,
        failure,
        keys,
    })
}

fn fail(
    slot: &mut Option<Failure>,
    kind: FailureKind,
    step: Option<usize>,
    action: &str,
    detail: String,
) {
    if slot.is_none() {
        *slot = Some(Failure {
            kind,
            step,
            action: action.to_owned(),
            detail,
        });
    }
}

fn unexpected_detail(pending: &[Output], keys: &Keys) -> String {
    let mut s = String::from("  outputs no expect step matched:");
    for o in pending {
        let _ = write!(s, "\n    {}", output_line(o, keys));
    }
    s
}

/// Matches an `expect_in_order` block against the pending outputs as a
/// subsequence: each item takes the first matching output after the one
/// the previous item took (first fit is optimal for a subsequence), and the
/// matched ones are removed. When the items match only in another order,
/// the diff says so.
fn check_expect_in_order(
    items: &[Expected],
    pending: &mut Vec<Output>,
    keys: &Keys,
) -> Option<String> {
    let mut taken: Vec<usize> = Vec::with_capacity(items.len());
    let mut from = 0;
    let mut first_missing = None;
    for (i, e) in items.iter().enumerate() {
        match (from..pending.len()).find(|&j| super::check::matches(e, &pending[j], keys)) {
            Some(j) => {
                taken.push(j);
                from = j + 1;
            }
            None => {
                first_missing = Some(i);
                break;
            }
        }
    }
    let Some(i) = first_missing else {
        let mut j = 0;
        pending.retain(|_| {
            let keep = !taken.contains(&j);
            j += 1;
            keep
        });
        return None;
    };
    // Not in this order: fall back to the unordered check for the diff
    // (and to consume what matches), and say which item broke the order.
    let unordered_ok = assign(items, pending, keys).iter().all(Option::is_some);
    let mut s = String::new();
    if unordered_ok {
        let _ = writeln!(
            s,
            "  every item matched, but not in the listed order: item {} ({}) came out before item {}",
            i + 1,
            items[i],
            i
        );
        s.push_str("  actual outputs since the last expect, in order:");
        for o in pending.iter() {
            let _ = write!(s, "\n    {}", output_line(o, keys));
        }
        let _ = check_expect(items, pending, keys);
        return Some(s);
    }
    check_expect(items, pending, keys)
}

/// Matches an `expect` block against the pending outputs, removing the
/// matched ones. Returns the diff when some expected item matched nothing.
fn check_expect(items: &[Expected], pending: &mut Vec<Output>, keys: &Keys) -> Option<String> {
    let assignment = assign(items, pending, keys);
    let unmatched: Vec<&Expected> = items
        .iter()
        .zip(&assignment)
        .filter(|(_, a)| a.is_none())
        .map(|(e, _)| e)
        .collect();
    let detail = if unmatched.is_empty() {
        None
    } else {
        let mut s = String::new();
        for e in &unmatched {
            let _ = writeln!(s, "  expected: {e}");
        }
        if pending.is_empty() {
            s.push_str("  actual: no output since the last expect");
        } else {
            s.push_str("  actual outputs since the last expect:");
            for (j, o) in pending.iter().enumerate() {
                let taken = if assignment.contains(&Some(j)) {
                    "  (matched another item)"
                } else {
                    ""
                };
                let _ = write!(s, "\n    {}{taken}", output_line(o, keys));
            }
        }
        Some(s)
    };
    let mut j = 0;
    pending.retain(|_| {
        let keep = !assignment.contains(&Some(j));
        j += 1;
        keep
    });
    detail
}

/// Checks a `state` step; returns the diff when a window is not as stated.
fn check_state(check: &StateCheck, engine: &Engine, keys: &Keys) -> Option<String> {
    // A key no input used holds nothing; any unused number stands for it.
    let key = keys.lookup(&check.key).unwrap_or(Key(u64::MAX));
    let wanted = [
        (&check.open, Some(WindowStatus::Open)),
        (&check.closed, Some(WindowStatus::Closed)),
        (&check.absent, None),
    ];
    let mut s = String::new();
    for (windows, want) in wanted {
        for w in windows {
            let got = engine.window_status(key, *w);
            if got != want {
                let mut name = String::new();
                let _ = fmt_window(&mut name, w);
                let _ = writeln!(
                    s,
                    "  window {name} of key {}: expected {}, found {}",
                    check.key,
                    status_name(want),
                    status_name(got)
                );
            }
        }
    }
    if s.is_empty() {
        None
    } else {
        s.pop();
        Some(s)
    }
}

fn status_name(s: Option<WindowStatus>) -> &'static str {
    match s {
        Some(WindowStatus::Open) => "open",
        Some(WindowStatus::Closed) => "closed",
        None => "absent",
    }
}
