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
        None => {
            eprintln!("no command yet");
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
