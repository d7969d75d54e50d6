//! The hostile-input corpus (`sim/tests/hostile/`): every case in
//! `cases.tsv` runs the `tidemark` binary and must exit as the table says,
//! with the located message it gives. Cases too big to keep as files
//! (a 100,000-character name, 20,000 strategies) are generated here. Each
//! case runs in a fresh directory, which is also its working directory, and
//! nothing may be written outside it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

/// A fresh, empty directory for one case.
fn scratch(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tidemark-hostile-{}-{label}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

struct Outcome {
    code: Option<i32>,
    stderr: String,
}

fn tidemark(args: &[String], cwd: &Path, stdin: Option<&str>) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidemark"));
    cmd.args(args)
        .current_dir(cwd)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("the tidemark binary runs");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        pipe.write_all(text.as_bytes()).expect("writing stdin");
    }
    let out = child.wait_with_output().expect("tidemark finishes");
    Outcome {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn check(label: &str, out: &Outcome, code: i32, message: &str) {
    assert_eq!(
        out.code,
        Some(code),
        "{label}: expected exit {code}; stderr:\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(message),
        "{label}: stderr lacks `{message}`:\n{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("panicked"),
        "{label}: panicked:\n{}",
        out.stderr
    );
}

#[test]
fn every_corpus_case_exits_as_its_table_says() {
    let dir = corpus();
    let table = std::fs::read_to_string(dir.join("cases.tsv")).expect("cases.tsv");
    let mut cases = 0;
    for (n, line) in table.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 3, "cases.tsv:{}: expected 3 columns", n + 1);
        let tmp = scratch(&format!("case{}", n + 1));
        let args: Vec<String> = cols[0]
            .split(' ')
            .map(|a| {
                a.replace("{dir}", &dir.display().to_string())
                    .replace("{tmp}", &tmp.display().to_string())
            })
            .collect();
        let code: i32 = cols[1].parse().expect("an exit status");
        let out = tidemark(&args, &tmp, None);
        check(&format!("cases.tsv:{}", n + 1), &out, code, cols[2]);
        if code == 2 {
            // Refused input writes nothing at all.
            let written: Vec<_> = std::fs::read_dir(&tmp)
                .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default();
            assert!(written.is_empty(), "cases.tsv:{}: wrote {written:?}", n + 1);
        }
        let _ = std::fs::remove_dir_all(&tmp);
        cases += 1;
    }
    assert!(cases >= 30, "only {cases} cases");
    // The traversal and absolute names above never reached the disk.
    assert!(!Path::new("/tmp/tidemark-evil.md").exists());
    assert!(!Path::new("/tmp/tidemark-evil.svg").exists());
}

fn valid() -> String {
    std::fs::read_to_string(corpus().join("valid.yaml")).expect("valid.yaml")
}

#[test]
fn huge_names_and_strategy_counts_are_refused_at_the_field() {
    let tmp = scratch("generated");
    let long = valid().replacen(
        "name: hostile",
        &format!("name: {}", "x".repeat(100_000)),
        1,
    );
    std::fs::write(tmp.join("long.yaml"), long).expect("write");
    let out = tidemark(&["run".into(), "long.yaml".into()], &tmp, None);
    check(
        "100,000-character name",
        &out,
        2,
        "long.yaml:1:7: name: scenario name is 100000 characters long",
    );
    assert!(out.stderr.len() < 1_000, "the error must not echo the name");

    for count in [101, 20_000] {
        let mut text = valid();
        for i in 1..count {
            text.push_str(&format!(
                "  - {{name: s{i}, trigger: default, accumulation: discarding}}\n"
            ));
        }
        std::fs::write(tmp.join("many.yaml"), text).expect("write");
        let out = tidemark(&["run".into(), "many.yaml".into()], &tmp, None);
        check(
            &format!("{count} strategies"),
            &out,
            2,
            &format!("strategies[100]: {count} strategies is too many"),
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn a_scenario_read_from_a_pipe_still_runs() {
    let tmp = scratch("pipe");
    let out = tidemark(&["run".into(), "/dev/stdin".into()], &tmp, Some(&valid()));
    check("run /dev/stdin", &out, 0, "");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn a_users_report_does_not_touch_the_shipped_reports() {
    let tmp = scratch("report");
    let scenario = corpus().join("valid.yaml");
    let args = [
        "report".to_string(),
        scenario.display().to_string(),
        "--seeds".into(),
        "0..1".into(),
    ];
    let out = tidemark(&args, &tmp, None);
    check("report without --out", &out, 0, "tidemark-reports");
    assert!(tmp.join("tidemark-reports/hostile.md").is_file());
    assert!(!tmp.join("reports").exists());
    let page = std::fs::read_to_string(tmp.join("tidemark-reports/hostile.md")).expect("page");
    assert!(
        page.contains(&format!(
            "Regenerate with `tidemark report {} --seeds 0..1`",
            scenario.display()
        )),
        "{page}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn the_repository_stands_alone() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // `cargo test` (the README's command) must test every crate, and CI
    // must run exactly that command.
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    assert!(
        !manifest.contains("\ndefault-members"),
        "default-members narrows `cargo test`"
    );
    let ci = std::fs::read_to_string(root.join(".ci/run")).expect(".ci/run");
    assert!(
        ci.lines().any(|l| l == "cargo test"),
        ".ci/run must run `cargo test`"
    );
    // No doc or schema points at a design document outside the repository.
    let needle = concat!("DESIGN", ".md");
    let mut stack = vec![
        root.join("engine"),
        root.join("sim"),
        root.join("scenarios"),
    ];
    stack.extend(["README.md", "ARCHITECTURE.md"].map(|f| root.join(f)));
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&p) {
                stack.extend(entries.filter_map(Result::ok).map(|e| e.path()));
            }
        } else if p
            .extension()
            .is_some_and(|x| ["rs", "md", "json", "yaml"].iter().any(|e| x == *e))
        {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            assert!(!text.contains(needle), "{} mentions {needle}", p.display());
        }
    }
}
