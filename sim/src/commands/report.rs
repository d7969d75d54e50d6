//! `tidemark report [SCENARIO…] [--seeds A..B] [--out DIR]`: load
//! scenarios, collect their stages, render, write, print the summary table.

use crate::output::Output;
use crate::report::shipped::{
    shipped_scenarios, REPORT_DIR, REPORT_SEEDS_MAX, SCENARIO_DIR, USER_REPORT_DIR,
};
use crate::report::{collect_all, render, summary_table, write};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Runs the reports for `paths` (all shipped scenarios when empty) over
/// `seeds`, writes them to `out` and prints the summary table. Without
/// `out`: [`REPORT_DIR`] for the shipped set, [`USER_REPORT_DIR`] for
/// named scenarios.
pub fn run(
    paths: &[PathBuf],
    seeds: Range<u64>,
    out: Option<&Path>,
    stdout: &mut Output,
) -> anyhow::Result<ExitCode> {
    let (paths, default_out) = if paths.is_empty() {
        (shipped_scenarios(Path::new(SCENARIO_DIR))?, REPORT_DIR)
    } else {
        (paths.to_vec(), USER_REPORT_DIR)
    };
    let out = out.unwrap_or(Path::new(default_out));
    let n = seeds.end - seeds.start;
    anyhow::ensure!(
        n <= REPORT_SEEDS_MAX,
        "--seeds {}..{} is {n} seeds; a report aggregates at most {REPORT_SEEDS_MAX} \
         (use `tidemark sweep` to check more seeds)",
        seeds.start,
        seeds.end
    );
    let scenarios = paths
        .iter()
        .map(|p| crate::scenario::load(p).map_err(anyhow::Error::from))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let bar = progress_bar();
    let mut reports = collect_all(&scenarios, seeds.clone(), &bar)?;
    bar.finish_and_clear();
    let out_arg = if out == Path::new(default_out) {
        String::new()
    } else {
        format!(" --out {}", shell_word(&out.display().to_string()))
    };
    for (r, p) in reports.iter_mut().zip(&paths) {
        r.regenerate = format!(
            "{} --seeds {}..{}{out_arg}",
            shell_word(&p.display().to_string()),
            seeds.start,
            seeds.end
        );
    }
    let files = render(&reports);
    write(out, &files)?;
    stdout.line(&summary_table(&reports))?;
    eprintln!(
        "wrote {} files to {} ({} scenarios, seeds {}..{}); start with {}",
        files.len(),
        out.display(),
        reports.len(),
        seeds.start,
        seeds.end,
        out.join("README.md").display()
    );
    // The reports are written either way (they show what failed); the exit
    // code says whether every shipped expectation held on every seed.
    let failed: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            r.failures
                .iter()
                .map(move |f| format!("{} seed {}: {}", r.name, f.seed, f.failure))
        })
        .collect();
    if failed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("{} expected check(s) failed:", failed.len());
    for f in &failed {
        eprintln!("  {f}");
    }
    Ok(ExitCode::from(1))
}

/// `text` quoted for a POSIX shell when it needs to be.
fn shell_word(text: &str) -> String {
    crate::sweep::shell_quote(text)
}

/// A bar on stderr when it is a terminal; hidden otherwise, so logs and
/// pipes get only the table. The one wall-clock reader here; it never
/// reaches a report.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} simulating {pos}/{len} runs [{bar:40}] {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
