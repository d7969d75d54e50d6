//! The command line, in one place. Each variant's doc comment is its help.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Tidemark: a deterministic simulation and correctness harness for
/// event-time stream processing.
#[derive(Debug, Parser)]
#[command(name = "tidemark", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one seed of a scenario: a summary per strategy, every invariant
    /// checked; exit 1 if an expected invariant or threshold failed.
    Run {
        /// The scenario YAML file.
        scenario: PathBuf,
        /// Master seed (default: the scenario's `seed`).
        #[arg(long, env = "TIDEMARK_SEED")]
        seed: Option<u64>,
        /// `table` for people; `json` for a stable machine-readable summary.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Also write trace.jsonl, panes.jsonl and dead_letters.jsonl here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run many seeds in parallel; print each failing seed with the exact
    /// `replay` command; exit 1 if any seed failed.
    Sweep {
        /// The scenario YAML file.
        scenario: PathBuf,
        /// Seeds as `A..B` (B excluded), `A..=B`, or one seed `N`.
        #[arg(long)]
        seeds: String,
        /// Worker threads (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Run only the K-th of N interleaved slices of the seeds (1-based
        /// `K/N`), to split a sweep across machines.
        #[arg(long)]
        shard: Option<String>,
        /// `table` for people; `json` for the machine-readable result that
        /// `merge` reads (failing seeds, their checks and replay commands).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Also write the JSON result to this file (for `merge`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Swarm testing: each seed turns on a random subset of the
        /// scenario's fault kinds (one seed in eight none); the summary says
        /// which kinds were on in the failing seeds. Replay with `--swarm`.
        #[arg(long)]
        swarm: bool,
    },
    /// Merge the JSON results of a sharded sweep (`sweep --shard K/N --out
    /// FILE`, one file per shard) into the summary of the whole sweep; exit 1
    /// if any seed failed, 2 if the files are not every shard of one sweep.
    Merge {
        /// The shards' result files, in any order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// `table` prints what the unsharded sweep prints; `json` its result.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Re-run one seed verbosely: the network's fault decisions, each
    /// strategy's verdicts, and the first broken check's counterexample.
    Replay {
        /// The scenario YAML file.
        scenario: PathBuf,
        /// The seed to replay.
        #[arg(long, env = "TIDEMARK_SEED")]
        seed: u64,
        /// Replay the seed's swarm variant (as `sweep --swarm` ran it).
        #[arg(long)]
        swarm: bool,
    },
    /// Minimise a failing seed to a small scenario that still fails the same
    /// check, and write it as a regression scenario.
    Shrink {
        /// The scenario YAML file.
        scenario: PathBuf,
        /// The failing seed.
        #[arg(long, env = "TIDEMARK_SEED")]
        seed: u64,
        /// Where to write the regression scenario.
        #[arg(long, default_value = "scenarios/regressions")]
        out: PathBuf,
    },
    /// Compare trigger strategies: per scenario a Markdown page with tables,
    /// the event-time/processing-time diagram and an accuracy-against-latency
    /// chart, plus an index (README.md); prints the summary table.
    Report {
        /// Scenario YAML files (default: every `scenarios/*.yaml`).
        scenarios: Vec<PathBuf>,
        /// Seeds to run, as `A..B` (B excluded), `A..=B` or `N`; figures are
        /// the median and the worst over them.
        #[arg(long, default_value = "0..8", value_parser = crate::sweep::parse_seeds)]
        seeds: std::ops::Range<u64>,
        /// Directory the reports are written to (created if missing).
        #[arg(long, default_value = "reports")]
        out: PathBuf,
    },
    /// Print the JSON Schema of the scenario format, for editors.
    Schema,
    /// The known-bug table: sweep every shipped scenario with each
    /// known-bug variant of the engine and workers; print which scenario
    /// and check caught it, on how many seeds. Only in builds with the
    /// `known-bugs` feature (never a release build).
    #[cfg(feature = "known-bugs")]
    KnownBugs {
        /// Scenario YAML files (default: every `scenarios/*.yaml`).
        scenarios: Vec<PathBuf>,
        /// Seeds swept per scenario and variant.
        #[arg(long, default_value = "0..20", value_parser = crate::sweep::parse_seeds)]
        seeds: std::ops::Range<u64>,
        /// Only these variants (by name); default all.
        #[arg(long = "bug")]
        bugs: Vec<String>,
        /// Also shrink each variant's first caught seed and report the
        /// regression's size in events.
        #[arg(long)]
        shrink: bool,
    },
    /// Run scripted engine transcripts; exit 1 if any fails.
    Transcript {
        /// Transcript YAML files (several documents per file, separated by `---`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// `table` prints a line per transcript; `json` prints one JSON object
        /// per transcript with every step's outputs.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// Parses the command line and runs it: 0 ok, 1 a check failed, 2 bad input.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // `TIDEMARK_KNOWN_BUG=NAME tidemark run|sweep|replay|shrink …` runs any
    // command against one known-bug variant.
    #[cfg(feature = "known-bugs")]
    if let Ok(name) = std::env::var("TIDEMARK_KNOWN_BUG") {
        match tidemark_engine::known_bugs::KnownBug::from_name(&name) {
            Some(bug) => tidemark_engine::known_bugs::set(Some(bug)),
            None => {
                eprintln!("error: TIDEMARK_KNOWN_BUG: no known-bug variant `{name}`");
                return ExitCode::from(2);
            }
        }
    }
    let result = match cli.command {
        Some(Command::Transcript { files, format }) => crate::transcript::cli(&files, format),
        #[cfg(feature = "known-bugs")]
        Some(Command::KnownBugs {
            scenarios,
            seeds,
            bugs,
            shrink,
        }) => crate::known_bugs::cli(&scenarios, seeds, &bugs, shrink),
        Some(Command::Schema) => {
            print!("{}", crate::scenario::schema::json());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Report {
            scenarios,
            seeds,
            out,
        }) => crate::report::cli::run(&scenarios, seeds, &out),
        // The main job: every shipped scenario on the default seeds.
        Some(Command::Run {
            scenario,
            seed,
            format,
            out,
        }) => crate::commands::run(&scenario, seed, format, out.as_deref()),
        Some(Command::Sweep {
            scenario,
            seeds,
            jobs,
            shard,
            format,
            out,
            swarm,
        }) => crate::commands::sweep(
            &scenario,
            &seeds,
            jobs,
            shard.as_deref(),
            format,
            out.as_deref(),
            swarm,
        ),
        Some(Command::Merge { files, format }) => crate::commands::merge(&files, format),
        Some(Command::Replay {
            scenario,
            seed,
            swarm,
        }) => crate::commands::replay(&scenario, seed, swarm),
        Some(Command::Shrink {
            scenario,
            seed,
            out,
        }) => crate::commands::shrink(&scenario, seed, &out),
        None => crate::report::cli::main_job(),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
