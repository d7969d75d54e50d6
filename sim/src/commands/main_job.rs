//! `tidemark` with no arguments (`cargo run --release`): the report over
//! every shipped scenario on the default seeds, into `reports/`; exit 1,
//! listing them, if a shipped expectation failed.

use crate::output::Output;
use crate::report::DEFAULT_SEEDS;
use std::process::ExitCode;

/// The main job.
pub fn run(stdout: &mut Output) -> anyhow::Result<ExitCode> {
    super::report::run(&[], DEFAULT_SEEDS, None, stdout)
}
