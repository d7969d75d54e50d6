//! The command line's shape: clap types only. Each variant's doc comment is
//! its help; the bodies are in [`crate::commands`], one file per subcommand.

use crate::output::Format;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Tidemark: a deterministic simulation and correctness harness for
/// event-time stream processing.
#[derive(Debug, Parser)]
#[command(name = "tidemark", version, about)]
pub struct Cli {
    /// None: the main job (the report over every shipped scenario).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// A scenario file and the one seed to run (`replay`, `shrink`).
#[derive(Debug, Args)]
pub struct ScenarioSeed {
    /// The scenario YAML file.
    pub scenario: PathBuf,
    /// The seed (as a failing `sweep` prints it).
    #[arg(long, env = "TIDEMARK_SEED")]
    pub seed: u64,
}

/// `--format`, shared by every subcommand that has two outputs.
#[derive(Debug, Clone, Copy, Args)]
pub struct FormatArg {
    /// `table` for people; `json` for machines (the subcommand's help says
    /// what its JSON holds).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one seed of a scenario: a summary per strategy, every invariant
    /// checked; exit 1 if an expected invariant or threshold failed.
    ///
    /// `--format json` prints a stable machine-readable summary.
    Run {
        /// The scenario YAML file.
        scenario: PathBuf,
        /// Master seed (default: the scenario's `seed`).
        #[arg(long, env = "TIDEMARK_SEED")]
        seed: Option<u64>,
        #[command(flatten)]
        format: FormatArg,
        /// Also write trace.jsonl, panes.jsonl and dead_letters.jsonl here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run many seeds in parallel; print each failing seed with the exact
    /// `replay` command; exit 1 if any seed failed.
    ///
    /// `--format json` prints the machine-readable result that `merge`
    /// reads (failing seeds, their checks and replay commands).
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
        #[command(flatten)]
        format: FormatArg,
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
    ///
    /// `--format table` prints what the unsharded sweep prints; `json` its
    /// result.
    Merge {
        /// The shards' result files, in any order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Re-run one seed verbosely: the network's fault decisions, each
    /// strategy's verdicts, and the first broken check's counterexample.
    Replay {
        /// The scenario and the seed to replay.
        #[command(flatten)]
        seeded: ScenarioSeed,
        /// Replay the seed's swarm variant (as `sweep --swarm` ran it).
        #[arg(long)]
        swarm: bool,
    },
    /// Minimise a failing seed to a small scenario that still fails the same
    /// check: down to single events and message fates, listed so that it
    /// needs no seed. Writes it as a `# must: fail` regression scenario.
    Shrink {
        #[command(flatten)]
        seeded: ScenarioSeed,
        /// Where to write the regression scenario.
        #[arg(long, default_value = "scenarios/regressions")]
        out: PathBuf,
    },
    /// Compare trigger strategies: per scenario a Markdown page with tables,
    /// the event-time/processing-time diagram and an accuracy-against-latency
    /// chart (SVG), and an interactive HTML page, plus an index (README.md);
    /// prints the summary table; exit 1 if a shipped expectation failed.
    Report {
        /// Scenario YAML files (default: every `scenarios/*.yaml`).
        scenarios: Vec<PathBuf>,
        /// Seeds to run, as `A..B` (B excluded), `A..=B` or `N`; figures are
        /// the median and the worst over them.
        #[arg(long, default_value = "0..8", value_parser = crate::sweep::parse_seeds)]
        seeds: std::ops::Range<u64>,
        /// Directory the reports are written to (created if missing).
        /// Default: `reports` for the shipped set (no SCENARIO given),
        /// `tidemark-reports` for named scenarios, so a user's report
        /// never overwrites the shipped ones.
        #[arg(long)]
        out: Option<PathBuf>,
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
    ///
    /// `--format table` prints a line per transcript; `json` prints one JSON
    /// object per transcript with every step's outputs.
    Transcript {
        /// Transcript YAML files (several documents per file, separated by `---`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
}
