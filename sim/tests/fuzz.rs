//! Structure-aware fuzzing of the two input formats.
//!
//! Inputs are generated, not random bytes: scenarios built from the
//! grammar with values drawn from pools of ordinary and extreme spellings
//! (±i64 limits, NaN, negative and enormous durations, traversal names,
//! control characters, huge counts), and shipped scenarios and transcripts
//! mutated line by line (a scalar swapped for an extreme one, a line
//! deleted, duplicated, tab-indented, truncated, a BOM prepended). Each
//! input must either be refused with a located `InputError` (exit 2) or be
//! accepted within the loader's cost budget, and then run without a panic
//! (a run that stops with an error is exit 2 too).
//!
//! `cargo test` runs a bounded number of cases (fixed seed, so a failure
//! reproduces). The long run is
//!
//! ```sh
//! TIDEMARK_FUZZ_CASES=200000 TIDEMARK_FUZZ_SEED=7 \
//!   cargo test -p tidemark-sim --test fuzz -- --ignored --nocapture
//! ```
//!
//! which prints how many inputs it tried and what happened to them. Any
//! input that panics is written to the temp directory and named in the
//! failure.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use tidemark_sim::scenario::{self, cost};
use tidemark_sim::transcript;

const NAMES: &[&str] = &[
    "ok",
    "a.b-c_d",
    "",
    "../evil",
    "/tmp/evil",
    "\"a\\u0007b\"",
    "\"a b\"",
    "-x",
    ".x",
    "\"é\"",
    "engine",
    "log",
    "sensors",
];
const DURATIONS: &[&str] = &[
    "0ms",
    "1ms",
    "250ms",
    "1s",
    "10s",
    "1m",
    "5m",
    "1h",
    "-1s",
    "-24000h",
    "24000h",
    "24001h",
    "9223372036854775807ms",
    "-9223372036854775807ms",
    "1",
    "1.5s",
    "\"\"",
    "10 s",
    "null",
];
const INTS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "-1",
    "100",
    "1024",
    "1025",
    "100000",
    "1000001",
    "4000000000",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "1844674407370",
    "1844674407371",
];
const FLOATS: &[&str] = &[
    "0", "0.5", "1", "2", "1.5", "-1", ".nan", ".inf", "-.inf", "1e9", "1e-9", "0.99", "1e300",
];
const TRIGGERS: &[&str] = &[
    "default",
    "never",
    "always",
    "{after_count: 0}",
    "{after_count: 3}",
    "{after_count: 18446744073709551615}",
    "{repeatedly: {after_count: 2}}",
    "{after_watermark: {early: {after_count: 1}, late: always}}",
    "{after_processing_time: 1ms}",
    "{repeatedly: {after_processing_time: 1ms}}",
    "{after_processing_time: {delay: 1s, period: 1ms, offset: 0ms}}",
    "{after_any: []}",
    "{after_all: [{after_count: 1}, never]}",
    "{after_each: [{after_count: 1}, {after_count: 2}]}",
    "{or_finally: {trigger: always, until: {after_count: 5}}}",
];
const WINDOWS: &[&str] = &[
    "{fixed: 1s}",
    "{fixed: 1m}",
    "{fixed: {size: 1m, offset: 10s}}",
    "{fixed: 0s}",
    "{sliding: {size: 10s, period: 1s}}",
    "{sliding: {size: 1h, period: 1ms}}",
    "{sliding: {size: 1s, period: 10s}}",
    "{sliding: {size: 24000h, period: 24000h}}",
    "{sessions: 5s}",
    "{sessions: {gap: -1s}}",
    "global",
];
const WATERMARKS: &[&str] = &[
    "perfect",
    "{bounded_out_of_orderness: 1s}",
    "{bounded_out_of_orderness: -1s}",
    "{punctuated: 1ms}",
    "{punctuated: 1s}",
    "{punctuated: {interval: 0ms}}",
];

fn pick<'a>(rng: &mut ChaCha8Rng, pool: &[&'a str]) -> &'a str {
    pool.choose(rng).copied().unwrap_or("0")
}

/// A scenario from the grammar, every field drawn from its pool; about
/// half the draws are ordinary values so that many inputs get past the
/// first check and reach the deeper ones.
fn random_scenario(rng: &mut ChaCha8Rng) -> String {
    let ordinary = |rng: &mut ChaCha8Rng, normal: &str, pool: &[&str]| -> String {
        if rng.gen_bool(0.6) {
            normal.to_string()
        } else {
            pick(rng, pool).to_string()
        }
    };
    let mut y = String::new();
    y.push_str(&format!("name: {}\n", ordinary(rng, "fuzz", NAMES)));
    y.push_str("description: fuzzed\n");
    if rng.gen_bool(0.3) {
        y.push_str(&format!("seed: {}\n", pick(rng, INTS)));
    }
    y.push_str(&format!("duration: {}\n", ordinary(rng, "10s", DURATIONS)));
    y.push_str("workload:\n");
    let keys = if rng.gen_bool(0.2) {
        "[a, b, \"c\\u0001\"]".to_string()
    } else {
        ordinary(rng, "4", INTS)
    };
    y.push_str(&format!("  keys: {keys}\n  sources:\n"));
    for g in 0..rng.gen_range(1..=3) {
        y.push_str(&format!(
            "    - name: {}\n",
            ordinary(rng, &format!("g{g}"), NAMES)
        ));
        y.push_str(&format!("      count: {}\n", ordinary(rng, "2", INTS)));
        y.push_str(&format!("      rate: {}\n", ordinary(rng, "2", FLOATS)));
        if rng.gen_bool(0.5) {
            y.push_str(&format!(
                "      values: {{uniform: {{min: {}, max: {}}}}}\n",
                ordinary(rng, "1", INTS),
                ordinary(rng, "100", INTS)
            ));
        } else {
            y.push_str(&format!(
                "      values: {{constant: {}}}\n",
                ordinary(rng, "1", INTS)
            ));
        }
        if rng.gen_bool(0.4) {
            y.push_str(&format!("      clock_skew: {}\n", pick(rng, DURATIONS)));
        }
        if rng.gen_bool(0.2) {
            y.push_str(&format!(
                "      offline: [{{at: {}, for: {}, sources: {}}}]\n",
                ordinary(rng, "1s", DURATIONS),
                ordinary(rng, "2s", DURATIONS),
                ordinary(rng, "1", FLOATS)
            ));
        }
        if rng.gen_bool(0.2) {
            y.push_str(&format!(
                "      bursts: [{{at: {}, for: {}, rate: {}}}]\n",
                ordinary(rng, "1s", DURATIONS),
                ordinary(rng, "2s", DURATIONS),
                ordinary(rng, "10", FLOATS)
            ));
        }
    }
    y.push_str("network:\n");
    y.push_str(&format!(
        "  latency: {{uniform: {{min: {}, max: {}}}}}\n",
        ordinary(rng, "1ms", DURATIONS),
        ordinary(rng, "50ms", DURATIONS)
    ));
    y.push_str(&format!("  loss: {}\n", ordinary(rng, "0", FLOATS)));
    if rng.gen_bool(0.5) {
        y.push_str(&format!(
            "  retry: {{timeout: {}, max_attempts: {}}}\n",
            ordinary(rng, "100ms", DURATIONS),
            ordinary(rng, "3", INTS)
        ));
    }
    if rng.gen_bool(0.3) {
        y.push_str(&format!(
            "  partitions: [{{at: {}, for: {}, from: {}}}]\n",
            ordinary(rng, "1s", DURATIONS),
            ordinary(rng, "1s", DURATIONS),
            ordinary(rng, "g0", NAMES)
        ));
    }
    if rng.gen_bool(0.2) {
        y.push_str(&format!(
            "  holds: [{{at: {}, for: {}, from: g0}}]\n",
            ordinary(rng, "1s", DURATIONS),
            ordinary(rng, "1s", DURATIONS)
        ));
    }
    if rng.gen_bool(0.15) {
        y.push_str(&format!(
            "  log: {{partitions: {}}}\n",
            ordinary(rng, "2", INTS)
        ));
    }
    y.push_str("pipeline:\n");
    y.push_str(&format!(
        "  window: {}\n",
        ordinary(rng, "{fixed: 1s}", WINDOWS)
    ));
    y.push_str(&format!(
        "  watermark: {}\n",
        ordinary(rng, "{bounded_out_of_orderness: 1s}", WATERMARKS)
    ));
    y.push_str(&format!(
        "  allowed_lateness: {}\n",
        ordinary(rng, "0s", DURATIONS)
    ));
    if rng.gen_bool(0.3) {
        y.push_str(&format!("  idle_timeout: {}\n", pick(rng, DURATIONS)));
    }
    y.push_str(&format!("  workers: {}\n", ordinary(rng, "1", INTS)));
    y.push_str("strategies:\n");
    for s in 0..rng.gen_range(1..=3) {
        y.push_str(&format!(
            "  - {{name: {}, trigger: {}, accumulation: {}}}\n",
            ordinary(rng, &format!("s{s}"), NAMES),
            ordinary(rng, "default", TRIGGERS),
            pick(
                rng,
                &[
                    "discarding",
                    "accumulating",
                    "accumulating_and_retracting",
                    "bogus"
                ]
            )
        ));
    }
    if rng.gen_bool(0.3) {
        y.push_str("expect:\n  invariants: all\n");
    }
    y
}

/// `text` with one to three line-level mutations.
fn mutate(rng: &mut ChaCha8Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..rng.gen_range(1..=3) {
        if lines.is_empty() {
            break;
        }
        let i = rng.gen_range(0..lines.len());
        match rng.gen_range(0..8) {
            // A scalar after `key: ` swapped for an extreme one.
            0..=3 => {
                if let Some(colon) = lines[i].find(": ") {
                    let pool: &[&str] = match rng.gen_range(0..4) {
                        0 => INTS,
                        1 => DURATIONS,
                        2 => FLOATS,
                        _ => NAMES,
                    };
                    let head = lines[i][..colon + 2].to_string();
                    lines[i] = format!("{head}{}", pick(rng, pool));
                }
            }
            4 => {
                lines.remove(i);
            }
            5 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            6 => lines[i] = format!("\t{}", lines[i].trim_start()),
            _ => {
                let cut = rng.gen_range(0..=lines[i].len());
                let cut = (0..=cut)
                    .rev()
                    .find(|&c| lines[i].is_char_boundary(c))
                    .unwrap_or(0);
                lines[i].truncate(cut);
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    if rng.gen_bool(0.05) {
        out.insert(0, '\u{feff}');
    }
    out
}

fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[derive(Debug, Default)]
struct Stats {
    scenarios: u64,
    scenarios_refused: u64,
    scenarios_accepted: u64,
    scenarios_run: u64,
    runs_stopped_with_error: u64,
    /// The first few such errors, for the report (each is exit 2).
    run_errors: Vec<String>,
    transcript_files: u64,
    transcripts_refused: u64,
    transcripts_run: u64,
    panics: Vec<PathBuf>,
}

/// Keeps a panicking input for reproduction.
fn keep(stats: &mut Stats, kind: &str, text: &str) {
    let path = std::env::temp_dir().join(format!(
        "tidemark-fuzz-{kind}-{}-{}.yaml",
        std::process::id(),
        stats.panics.len()
    ));
    let _ = std::fs::write(&path, text);
    stats.panics.push(path);
}

/// One scenario input: refused with a location, or accepted within budget
/// and (when cheap enough to run here) run without a panic.
fn scenario_case(stats: &mut Stats, text: &str, run_budget: &mut u64) {
    stats.scenarios += 1;
    let path = Path::new("fuzz.yaml");
    let parsed = catch_unwind(AssertUnwindSafe(|| scenario::parse(text, path)));
    let s = match parsed {
        Err(_) => return keep(stats, "scenario-load", text),
        Ok(Err(e)) => {
            stats.scenarios_refused += 1;
            assert!(
                e.to_string().starts_with("fuzz.yaml"),
                "an input error names the file: {e}"
            );
            return;
        }
        Ok(Ok(s)) => s,
    };
    stats.scenarios_accepted += 1;
    let c = cost::estimate(&s);
    assert!(c.engine_work <= cost::ENGINE_WORK_MAX, "{c:?}\n{text}");
    assert!(c.wire_messages <= cost::WIRE_MESSAGES_MAX, "{c:?}\n{text}");
    assert!(
        c.network_steps() <= cost::NETWORK_STEPS_MAX,
        "{c:?}\n{text}"
    );
    // Run only what is cheap, so the bounded run stays short on any machine.
    let cheap = c.events <= 2_000.0 && c.network_steps() <= 200_000.0 && c.engine_work <= 50_000.0;
    if *run_budget == 0 || !cheap {
        return;
    }
    *run_budget -= 1;
    stats.scenarios_run += 1;
    match catch_unwind(AssertUnwindSafe(|| tidemark_sim::run::run_seed(&s, 1))) {
        Err(_) => keep(stats, "scenario-run", text),
        Ok(Err(e)) => {
            stats.runs_stopped_with_error += 1;
            if stats.run_errors.len() < 5 {
                let kept = std::env::temp_dir().join(format!(
                    "tidemark-fuzz-run-error-{}-{}.yaml",
                    std::process::id(),
                    stats.run_errors.len()
                ));
                let _ = std::fs::write(&kept, text);
                let mut e = format!("{e:#}");
                e.truncate(300);
                stats.run_errors.push(format!("{}: {e}", kept.display()));
            }
        }
        Ok(Ok(_)) => {}
    }
}

fn transcript_case(stats: &mut Stats, text: &str) {
    stats.transcript_files += 1;
    let parsed = catch_unwind(AssertUnwindSafe(|| {
        transcript::parse_str(Path::new("fuzz.yaml"), text)
    }));
    let ts = match parsed {
        Err(_) => return keep(stats, "transcript-load", text),
        Ok(Err(_)) => {
            stats.transcripts_refused += 1;
            return;
        }
        Ok(Ok(ts)) => ts,
    };
    for t in &ts {
        stats.transcripts_run += 1;
        // An engine ConfigError is a refusal (exit 2); a wrong output is a
        // failed transcript (exit 1); only a panic is a bug here.
        if catch_unwind(AssertUnwindSafe(|| transcript::run(t))).is_err() {
            return keep(stats, "transcript-run", text);
        }
    }
}

fn fuzz(cases: u64, seed: u64, run_budget: u64) -> Stats {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let scenarios = files(&root.join("scenarios"));
    let mut transcripts = files(&root.join("engine/tests/transcripts"));
    transcripts.extend(files(&root.join("engine/tests/transcripts/beam")));
    assert!(!scenarios.is_empty() && !transcripts.is_empty());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut stats = Stats::default();
    let mut run_budget = run_budget;
    // Panics are caught and counted; keep their messages off the output.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for _ in 0..cases {
        match rng.gen_range(0..3) {
            0 => {
                let text = random_scenario(&mut rng);
                scenario_case(&mut stats, &text, &mut run_budget);
            }
            1 => {
                let (_, base) = &scenarios[rng.gen_range(0..scenarios.len())];
                let text = mutate(&mut rng, base);
                scenario_case(&mut stats, &text, &mut run_budget);
            }
            _ => {
                let (_, base) = &transcripts[rng.gen_range(0..transcripts.len())];
                let text = mutate(&mut rng, base);
                transcript_case(&mut stats, &text);
            }
        }
    }
    std::panic::set_hook(hook);
    stats
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn bounded_fuzz_never_panics_and_stays_within_budget() {
    let stats = fuzz(600, 0, 12);
    assert!(
        stats.panics.is_empty(),
        "panicking inputs: {:?}",
        stats.panics
    );
    // The generator must reach past the first check, or it tests nothing.
    assert!(
        stats.scenarios_refused > 0 && stats.scenarios_accepted > 0,
        "{stats:?}"
    );
    assert!(
        stats.transcripts_refused > 0 && stats.transcripts_run > 0,
        "{stats:?}"
    );
}

#[test]
#[ignore = "long run: TIDEMARK_FUZZ_CASES=… cargo test -p tidemark-sim --test fuzz -- --ignored"]
fn long_fuzz() {
    let cases = env_u64("TIDEMARK_FUZZ_CASES", 20_000);
    let seed = env_u64("TIDEMARK_FUZZ_SEED", 1);
    let stats = fuzz(cases, seed, env_u64("TIDEMARK_FUZZ_RUNS", 500));
    eprintln!("fuzz: {cases} inputs, seed {seed}: {stats:#?}");
    assert!(
        stats.panics.is_empty(),
        "panicking inputs: {:?}",
        stats.panics
    );
}
