//! A reader that stops reading (`tidemark … | head -1`) is not an error:
//! every subcommand exits 0 without a word on stderr. Each case runs the
//! real binary twice: once with stdout a pipe whose reader is already gone
//! (every write fails with EPIPE, deterministically), and once as `head -1`
//! does it (read one line, close the pipe, wait).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tidemark(args: &[String]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidemark"));
    cmd.args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Stdout is a pipe with no reader left, from the first write on.
fn reader_gone(args: &[String]) -> (ExitStatus, String) {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = tidemark(args)
        .stdout(writer)
        .output()
        .expect("tidemark runs");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Stdout is read for one line, then closed, as `| head -1` does.
fn head_one(args: &[String]) -> (ExitStatus, String) {
    let mut child = tidemark(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("tidemark runs");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("reading the first line");
    assert!(!line.is_empty(), "{args:?} printed nothing");
    // The reader (and with it the pipe's only read end) is dropped here.
    let out = child.wait_with_output().expect("tidemark finishes");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_quiet_exit_0(args: &[&str]) {
    let args: Vec<String> = args.iter().map(ToString::to_string).collect();
    let (status, stderr) = reader_gone(&args);
    assert_eq!(status.code(), Some(0), "{args:?}, reader gone:\n{stderr}");
    assert_eq!(stderr, "", "{args:?}, reader gone: not quiet");
    let (status, stderr) = head_one(&args);
    assert_eq!(status.code(), Some(0), "{args:?}, head -1:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}, head -1:\n{stderr}");
    assert!(!stderr.contains("error"), "{args:?}, head -1:\n{stderr}");
}

const SCENARIO: &str = "scenarios/in_order_baseline.yaml";

#[test]
fn run_exits_0_on_a_closed_pipe() {
    assert_quiet_exit_0(&["run", SCENARIO]);
    assert_quiet_exit_0(&["run", SCENARIO, "--format", "json"]);
}

#[test]
fn replay_exits_0_on_a_closed_pipe() {
    assert_quiet_exit_0(&["replay", SCENARIO, "--seed", "1"]);
}

#[test]
fn sweep_exits_0_on_a_closed_pipe() {
    assert_quiet_exit_0(&["sweep", SCENARIO, "--seeds", "0..3"]);
    assert_quiet_exit_0(&["sweep", SCENARIO, "--seeds", "0..3", "--format", "json"]);
}

#[test]
fn report_exits_0_on_a_closed_pipe_and_still_writes_its_files() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("broken_pipe_report");
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.to_str().expect("utf-8 path");
    assert_quiet_exit_0(&["report", SCENARIO, "--seeds", "0..1", "--out", out]);
    assert!(
        dir.join("README.md").is_file(),
        "the report is written before the table is printed"
    );
}

#[test]
fn transcript_json_exits_0_on_a_closed_pipe() {
    assert_quiet_exit_0(&[
        "transcript",
        "--format",
        "json",
        "engine/tests/transcripts/beam/trigger_transcripts.yaml",
    ]);
}

#[test]
fn schema_exits_0_on_a_closed_pipe() {
    assert_quiet_exit_0(&["schema"]);
}
