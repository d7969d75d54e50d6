//! The subcommand bodies, one file per subcommand: load the input, call the
//! library, print through [`Output`], pick the exit code.
//! 0: every expected invariant and threshold held (or stdout was closed by
//! its reader, see [`crate::output`]); 1: a check failed; 2: bad input (the
//! `InputError` line) or a run that could not complete.
//!
//! To add a subcommand: add its variant (and its help) to
//! [`crate::cli::Command`], write `commands/<name>.rs` with one
//! `pub fn run(…) -> anyhow::Result<ExitCode>` that prints only through an
//! [`Output`], declare the module below and add its arm to [`main`].

mod main_job;
mod merge;
mod replay;
mod report;
mod run;
mod schema;
mod shrink;
mod sweep;
mod transcript;

use crate::cli::{Cli, Command, ScenarioSeed};
use crate::output::{self, Format, Output};
use crate::scenario::{self, Scenario};
use clap::Parser;
use std::path::Path;
use std::process::ExitCode;

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
        None => main_job::run(&mut Output::stdout(Format::Table)),
        Some(Command::Run {
            scenario,
            seed,
            format,
            out,
        }) => run::run(
            &scenario,
            seed,
            out.as_deref(),
            &mut Output::stdout(format.format),
        ),
        Some(Command::Sweep {
            scenario,
            seeds,
            jobs,
            shard,
            format,
            out,
            swarm,
        }) => sweep::run(
            &scenario,
            &seeds,
            jobs,
            shard.as_deref(),
            out.as_deref(),
            swarm,
            &mut Output::stdout(format.format),
        ),
        Some(Command::Merge { files, format }) => {
            merge::run(&files, &mut Output::stdout(format.format))
        }
        Some(Command::Replay {
            seeded: ScenarioSeed { scenario, seed },
            swarm,
        }) => replay::run(&scenario, seed, swarm, &mut Output::stdout(Format::Table)),
        #[cfg(feature = "known-bugs")]
        Some(Command::KnownBugs {
            scenarios,
            seeds,
            bugs,
            shrink,
        }) => crate::known_bugs::cli(&scenarios, seeds, &bugs, shrink),
        Some(Command::Shrink { seeded, out }) => shrink::run(
            &seeded.scenario,
            seeded.seed,
            &out,
            &mut Output::stdout(Format::Table),
        ),
        Some(Command::Report {
            scenarios,
            seeds,
            out,
        }) => report::run(
            &scenarios,
            seeds,
            out.as_deref(),
            &mut Output::stdout(Format::Table),
        ),
        Some(Command::Schema) => schema::run(&mut Output::stdout(Format::Json)),
        Some(Command::Transcript { files, format }) => {
            transcript::run(&files, &mut Output::stdout(format.format))
        }
    };
    match result {
        Ok(code) => code,
        Err(err) if output::is_closed(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn load(path: &Path) -> anyhow::Result<Scenario> {
    // The InputError's Display is the whole one-line `file:line:col: message`.
    Ok(scenario::load(path)?)
}

fn code(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// A run that could not complete, with the scenario file it came from.
fn run_error(path: &Path, message: &str) -> String {
    format!("{}: {message}", path.display())
}
