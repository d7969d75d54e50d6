//! A sweep's machine-readable result, and `merge`: many shards' results
//! into the one summary the unsharded sweep would have printed.
//!
//! Scale-out needs no scheduler of ours: each machine (a Kubernetes indexed
//! Job's pod, a CI matrix leg) runs `sweep --shard K/N --out FILE`, and
//! `merge` checks that the files belong together before adding them up.
//! Belonging together means: the same result format and tidemark version,
//! the same scenario (path, name and a fingerprint of the file's bytes, so
//! an edited scenario can't hide behind an unchanged path), the same seed
//! range and the same shard count, with every shard present exactly once.
//! Anything else is bad input, reported at the file, line and column of the
//! offending field, exit 2: a summary that silently counted a shard twice,
//! or missed one, would claim seeds passed that never ran.
//!
//! The summary keeps only failing seeds (with their replay command and
//! every failed check), never the passing ones, so it stays small for a
//! 100,000-seed campaign and can be built while seeds stream in.

use crate::input_error::InputError;
use crate::run::SeedReport;
use crate::sweep::{self, replay_command, Shard};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

/// The `format` field of every sweep result this version writes and reads.
pub const FORMAT: &str = "tidemark-sweep/1";

/// A sweep's (or a shard's, or merged shards') result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSummary {
    /// Always [`FORMAT`].
    pub format: String,
    /// The tidemark version that ran the seeds: results from different
    /// versions are not comparable.
    pub tidemark_version: String,
    /// The scenario file as given on the command line (replay commands use it).
    pub scenario: String,
    /// The scenario's `name`.
    pub scenario_name: String,
    /// FNV-1a 64 of the scenario file's bytes, in hex.
    pub scenario_fnv64: String,
    /// The whole seed range, `A..B` (B excluded), before sharding.
    pub seeds: String,
    /// Which slice of `seeds` ran; `null` for all of them.
    pub shard: Option<ShardJson>,
    /// How many seeds ran.
    pub seeds_run: u64,
    /// How many of them failed (`failures.len()`).
    pub failed: u64,
    /// The failing seeds, by seed.
    pub failures: Vec<SeedFailure>,
}

/// `--shard K/N` as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardJson {
    /// K, 1-based.
    pub index: u64,
    /// N.
    pub count: u64,
}

/// One failing seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFailure {
    /// The seed.
    pub seed: u64,
    /// The exact command that replays it.
    pub replay: String,
    /// Why the run could not complete, when it could not (then `checks` is empty).
    pub error: Option<String>,
    /// Every check that failed, first first.
    pub checks: Vec<CheckFailure>,
}

/// One failed invariant or threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckFailure {
    /// The strategy, unless the check is run-wide (determinism).
    pub strategy: Option<String>,
    /// The invariant's or threshold's name.
    pub check: String,
    /// The counterexample or measured value, in one line.
    pub detail: String,
}

impl CheckFailure {
    /// The same line `run` and `sweep` print for a failure.
    fn line(&self) -> String {
        match &self.strategy {
            Some(s) => format!("strategy {s}: {} failed: {}", self.check, self.detail),
            None => format!("{} failed: {}", self.check, self.detail),
        }
    }
}

/// The scenario file's fingerprint: FNV-1a (64 bit) of its bytes, as
/// `scenario_fnv64` says.
#[must_use]
pub fn fingerprint(bytes: &[u8]) -> String {
    let h = bytes
        .iter()
        .fold(crate::rng::FNV_OFFSET, |h, &b| crate::rng::fnv1a(h, b));
    format!("{h:016x}")
}

impl SweepSummary {
    /// An empty result for `range` (sharded or not) of the scenario at
    /// `path` with these file bytes; add seeds with [`SweepSummary::add`].
    #[must_use]
    pub fn new(
        path: &Path,
        scenario_name: &str,
        scenario_bytes: &[u8],
        range: Range<u64>,
        shard: Option<Shard>,
    ) -> SweepSummary {
        SweepSummary {
            format: FORMAT.to_string(),
            tidemark_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: path.display().to_string(),
            scenario_name: scenario_name.to_string(),
            scenario_fnv64: fingerprint(scenario_bytes),
            seeds: format!("{}..{}", range.start, range.end),
            shard: shard.map(|s| ShardJson {
                index: s.index,
                count: s.count,
            }),
            seeds_run: 0,
            failed: 0,
            failures: Vec::new(),
        }
    }

    /// Counts one seed's result; keeps it only if it failed. Seeds may come
    /// in any order: failures are kept sorted by seed.
    pub fn add(&mut self, seed: u64, result: &Result<SeedReport, String>) {
        self.seeds_run += 1;
        let failure = match result {
            Ok(report) if report.ok() => return,
            Ok(report) => SeedFailure {
                seed,
                replay: String::new(),
                error: None,
                checks: report
                    .failures
                    .iter()
                    .map(|f| CheckFailure {
                        strategy: f.strategy.clone(),
                        check: f.check.clone(),
                        detail: f.detail.clone(),
                    })
                    .collect(),
            },
            Err(e) => SeedFailure {
                seed,
                replay: String::new(),
                error: Some(e.clone()),
                checks: Vec::new(),
            },
        };
        let replay = replay_command(Path::new(&self.scenario), seed);
        let at = self.failures.partition_point(|f| f.seed < seed);
        self.failures.insert(at, SeedFailure { replay, ..failure });
        self.failed += 1;
    }

    /// Pretty JSON with a final newline: what `--out` writes and `--format
    /// json` prints.
    ///
    /// # Errors
    /// Never in practice: every field is a plain string or number.
    pub fn to_json(&self) -> serde_json::Result<String> {
        Ok(format!("{}\n", serde_json::to_string_pretty(self)?))
    }

    /// The same text `sweep` prints: each failing seed with its first
    /// failure and its replay command, then the count.
    #[must_use]
    pub fn text(&self) -> String {
        let mut out = String::new();
        for f in &self.failures {
            let first = match (&f.error, f.checks.first()) {
                (Some(e), _) => format!("error: {e}"),
                (None, Some(c)) if f.checks.len() > 1 => {
                    format!("{} (+{} more)", c.line(), f.checks.len() - 1)
                }
                (None, Some(c)) => c.line(),
                (None, None) => "failed".to_string(),
            };
            let _ = writeln!(out, "seed {}: {first}\n  {}", f.seed, f.replay);
        }
        if self.failed == 0 {
            let _ = writeln!(out, "all {} seeds passed", self.seeds_run);
        } else {
            let _ = writeln!(out, "{} of {} seeds failed", self.failed, self.seeds_run);
        }
        out
    }
}

/// The 1-based line and column of the first `"key":` in `text`, or of the
/// start of the file: where a mismatch in that field is reported.
fn locate(text: &str, key: &str) -> (usize, usize) {
    let needle = format!("\"{key}\"");
    let Some(at) = text.find(&needle) else {
        return (1, 1);
    };
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// One shard's result file, read and checked on its own.
struct Input<'a> {
    path: &'a Path,
    text: &'a str,
    summary: SweepSummary,
    range: Range<u64>,
    shard: Shard,
}

impl Input<'_> {
    fn error(&self, key: &str, message: impl Into<String>) -> InputError {
        let (line, column) = locate(self.text, key);
        InputError::at(self.path, line, column, message)
    }
}

/// How many seeds of `range` shard `s` runs.
fn shard_len(range: &Range<u64>, s: Shard) -> u64 {
    let len = range.end - range.start;
    let first = s.index - 1;
    if first >= len {
        0
    } else {
        (len - first).div_ceil(s.count)
    }
}

/// Parses one result file and checks it is consistent with itself.
fn read<'a>(path: &'a Path, text: &'a str) -> Result<Input<'a>, InputError> {
    let summary: SweepSummary = serde_json::from_str(text)
        .map_err(|e| InputError::at(path, e.line(), e.column(), e.to_string()))?;
    let located = |key: &str, message: String| {
        let (line, column) = locate(text, key);
        InputError::at(path, line, column, message)
    };
    if summary.format != FORMAT {
        return Err(located(
            "format",
            format!(
                "expected a `{FORMAT}` sweep result (from `tidemark sweep --format json` or `--out`), got `{}`",
                summary.format
            ),
        ));
    }
    let range = sweep::parse_seeds(&summary.seeds).map_err(|m| located("seeds", m))?;
    let shard = match summary.shard {
        None => Shard { index: 1, count: 1 },
        Some(s) if s.index >= 1 && s.index <= s.count => Shard {
            index: s.index,
            count: s.count,
        },
        Some(s) => {
            return Err(located(
                "shard",
                format!("shard {}/{} is not K/N with 1 <= K <= N", s.index, s.count),
            ))
        }
    };
    let expected = shard_len(&range, shard);
    if summary.seeds_run != expected {
        return Err(located(
            "seeds_run",
            format!(
                "shard {}/{} of seeds {} runs {expected} seeds, but the file says {} ran: an incomplete or edited result",
                shard.index, shard.count, summary.seeds, summary.seeds_run
            ),
        ));
    }
    if summary.failed != summary.failures.len() as u64 {
        return Err(located(
            "failed",
            format!(
                "`failed` is {} but `failures` lists {} seeds",
                summary.failed,
                summary.failures.len()
            ),
        ));
    }
    let mut previous = None;
    for f in &summary.failures {
        let in_shard =
            range.contains(&f.seed) && (f.seed - range.start) % shard.count == shard.index - 1;
        if !in_shard {
            return Err(located(
                "failures",
                format!(
                    "failing seed {} is not one of shard {}/{} of seeds {}",
                    f.seed, shard.index, shard.count, summary.seeds
                ),
            ));
        }
        if previous.is_some_and(|p| p >= f.seed) {
            return Err(located(
                "failures",
                format!("failing seed {} is listed twice or out of order", f.seed),
            ));
        }
        previous = Some(f.seed);
    }
    Ok(Input {
        path,
        text,
        summary,
        range,
        shard,
    })
}

/// Merges shard results (`(path, file text)` pairs) into the summary of the
/// whole sweep, the same value the unsharded sweep writes.
///
/// # Errors
/// A file that is not a sweep result, results that don't belong to the same
/// sweep, a shard given twice, or a shard missing: located at the field.
pub fn merge(files: &[(&Path, &str)]) -> Result<SweepSummary, InputError> {
    let inputs = files
        .iter()
        .map(|&(path, text)| read(path, text))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(first) = inputs.first() else {
        return Err(InputError::at(
            Path::new("merge"),
            0,
            0,
            "no result files given",
        ));
    };
    let count = first.shard.count;
    let mut seen: Vec<Option<&Path>> = vec![None; count as usize];
    for input in &inputs {
        let (a, b) = (&first.summary, &input.summary);
        let same = |key: &str, x: &str, y: &str| {
            if x == y {
                Ok(())
            } else {
                Err(input.error(
                    key,
                    format!(
                        "{key} `{y}` differs from `{x}` in {}: these results are not shards of one sweep",
                        first.path.display()
                    ),
                ))
            }
        };
        same("tidemark_version", &a.tidemark_version, &b.tidemark_version)?;
        same("scenario", &a.scenario, &b.scenario)?;
        same("scenario_name", &a.scenario_name, &b.scenario_name)?;
        same("scenario_fnv64", &a.scenario_fnv64, &b.scenario_fnv64)?;
        same("seeds", &a.seeds, &b.seeds)?;
        if input.shard.count != count {
            return Err(input.error(
                "shard",
                format!(
                    "shard {}/{} is one of {} shards, but {} is one of {count}",
                    input.shard.index,
                    input.shard.count,
                    input.shard.count,
                    first.path.display()
                ),
            ));
        }
        let slot = &mut seen[(input.shard.index - 1) as usize];
        if let Some(other) = slot {
            return Err(input.error(
                "shard",
                format!(
                    "overlapping shards: shard {}/{count} is also {}",
                    input.shard.index,
                    other.display()
                ),
            ));
        }
        *slot = Some(input.path);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_none())
        .map(|(i, _)| format!("{}/{count}", i + 1))
        .collect();
    if !missing.is_empty() {
        return Err(first.error(
            "shard",
            format!(
                "missing shard(s) {}: merge needs every shard of the sweep, or the summary would count seeds that never ran",
                missing.join(", ")
            ),
        ));
    }
    let mut merged = SweepSummary {
        shard: None,
        seeds_run: 0,
        failed: 0,
        failures: Vec::new(),
        ..first.summary.clone()
    };
    debug_assert_eq!(
        merged.seeds,
        format!("{}..{}", first.range.start, first.range.end)
    );
    for input in inputs {
        merged.seeds_run += input.summary.seeds_run;
        merged.failed += input.summary.failed;
        merged.failures.extend(input.summary.failures);
    }
    // Shards interleave seeds; each file is sorted, the union is re-sorted.
    merged.failures.sort_by_key(|f| f.seed);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_fingerprint_is_fnv1a() {
        // FNV-1a 64 of "a" is a published test vector: `scenario_fnv64`
        // must stay comparable with results written by earlier builds.
        assert_eq!(fingerprint(b"a"), "af63dc4c8601ec8c");
    }

    fn summary(shard: Option<(u64, u64)>, failing: &[u64]) -> SweepSummary {
        let range = 0..10;
        let shard = shard.map(|(index, count)| Shard { index, count });
        let mut s = SweepSummary::new(Path::new("s.yaml"), "s", b"name: s\n", range.clone(), shard);
        for seed in sweep::shard_seeds(range, shard) {
            if failing.contains(&seed) {
                s.add(seed, &Err(format!("boom {seed}")));
            } else {
                // A passing seed only counts (building a real passing
                // report needs a whole run; the integration test does that).
                s.seeds_run += 1;
            }
        }
        s
    }

    fn json(s: &SweepSummary) -> String {
        s.to_json().unwrap_or_default()
    }

    fn merge_texts(files: &[(&str, String)]) -> Result<SweepSummary, InputError> {
        let pairs: Vec<(&Path, &str)> = files
            .iter()
            .map(|(p, t)| (Path::new(*p), t.as_str()))
            .collect();
        merge(&pairs)
    }

    #[test]
    fn shards_merge_into_the_unsharded_summary() {
        let whole = summary(None, &[2, 3, 7]);
        let shards: Vec<(&str, String)> = vec![
            ("c.json", json(&summary(Some((3, 3)), &[2]))),
            ("a.json", json(&summary(Some((1, 3)), &[3]))),
            ("b.json", json(&summary(Some((2, 3)), &[7]))),
        ];
        assert_eq!(merge_texts(&shards), Ok(whole.clone()));
        assert_eq!(whole.seeds_run, 10);
        assert_eq!(whole.failed, 3);
        assert!(whole.text().ends_with("3 of 10 seeds failed\n"));
    }

    #[test]
    fn a_shard_given_twice_is_an_overlap_located_at_its_shard_field() {
        let a = json(&summary(Some((1, 2)), &[]));
        let err = merge_texts(&[("a.json", a.clone()), ("again.json", a)])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with("again.json:")
                && err.contains("overlapping shards: shard 1/2 is also a.json"),
            "{err}"
        );
        let (line, _) = locate(&json(&summary(Some((1, 2)), &[])), "shard");
        assert!(err.starts_with(&format!("again.json:{line}:")), "{err}");
    }

    #[test]
    fn a_missing_shard_or_a_different_sweep_is_refused() {
        let one = json(&summary(Some((1, 2)), &[]));
        let err = merge_texts(&[("a.json", one.clone())])
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("missing shard(s) 2/2")));

        let mut other = summary(Some((2, 2)), &[]);
        other.scenario_fnv64 = fingerprint(b"name: edited\n");
        let err = merge_texts(&[("a.json", one.clone()), ("b.json", json(&other))])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with("b.json:") && err.contains("scenario_fnv64"),
            "{err}"
        );

        let three = json(&summary(Some((2, 3)), &[]));
        let err = merge_texts(&[("a.json", one), ("b.json", three)])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("one of 3 shards, but a.json is one of 2"),
            "{err}"
        );
    }

    #[test]
    fn malformed_or_inconsistent_files_are_located() {
        let err = merge_texts(&[("bad.json", "{\n  \"format\": 3\n}".into())])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("bad.json:2:"), "{err}");

        let mut s = summary(Some((1, 2)), &[]);
        s.seeds_run -= 1;
        let err = merge_texts(&[("short.json", json(&s))])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("runs 5 seeds, but the file says 4 ran"),
            "{err}"
        );

        let mut s = summary(Some((1, 2)), &[]);
        s.format = "something-else".into();
        let err = merge_texts(&[("f.json", json(&s))])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with("f.json:2:3: expected a `tidemark-sweep/1`"),
            "{err}"
        );
    }
}
