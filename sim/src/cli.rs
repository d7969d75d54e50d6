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
    /// Compare trigger strategies: per scenario a Markdown page with tables,
    /// the event-time/processing-time diagram and an accuracy-against-latency
    /// chart, plus an index (README.md); prints the summary table.
    Report {
        /// Scenario YAML files (default: every `scenarios/*.yaml`).
        scenarios: Vec<PathBuf>,
        /// Seeds to run, as `A..B` (B excluded), `A..=B` or `N`; figures are
        /// the median and the worst over them.
        #[arg(long, default_value = "0..8", value_parser = crate::report::cli::parse_seeds)]
        seeds: std::ops::Range<u64>,
        /// Directory the reports are written to (created if missing).
        #[arg(long, default_value = "reports")]
        out: PathBuf,
    },
    /// Print the JSON Schema of the scenario format, for editors.
    Schema,
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
    let result = match cli.command {
        Some(Command::Transcript { files, format }) => crate::transcript::cli(&files, format),
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
