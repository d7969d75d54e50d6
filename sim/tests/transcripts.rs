//! `tidemark transcript`: exit codes, located errors and the JSON lines.
//! The transcripts themselves run in the engine's tests
//! (engine/tests/transcripts.rs).

use std::path::{Path, PathBuf};
use std::process::Command;

fn beam_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/transcripts/beam/trigger_transcripts.yaml")
}

// ---- the binary -------------------------------------------------------------

fn tidemark(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tidemark"))
        .args(args)
        .output()
        .expect("run tidemark")
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, text).expect("write scratch file");
    path
}

fn arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn cli_exits_2_on_a_bad_file_with_one_located_line() {
    let bad = scratch(
        "transcript_bad.yaml",
        "name: t\npipeline:\n  window: {fixed: 10}\n  colour: blue\nsteps: []\n",
    );
    let out = tidemark(&["transcript", arg(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with(&format!("{}:4:3: ", bad.display())),
        "{stderr}"
    );
}

#[test]
fn cli_exits_1_on_a_failing_transcript_and_0_on_beam() {
    let failing = scratch(
        "transcript_failing.yaml",
        "name: t\npipeline:\n  window: {fixed: 10}\nsteps:\n  - input: [1]\n  - watermark: 10\n",
    );
    let out = tidemark(&["transcript", arg(&failing)]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("FAIL "), "{stdout}");
    assert!(stdout.contains("unexpected output"), "{stdout}");
    assert!(stdout.contains("0 passed, 1 failed"), "{stdout}");

    let out = tidemark(&["transcript", arg(&beam_file())]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn cli_json_lines_have_the_documented_fields() {
    let out = tidemark(&["transcript", arg(&beam_file()), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (mut panes, mut dead_letters) = (0, 0);
    for line in stdout.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        for field in ["name", "passed", "error", "steps"] {
            assert!(v.get(field).is_some(), "{field} missing: {line}");
        }
        assert_eq!(v["passed"], true, "{line}");
        for step in v["steps"].as_array().expect("steps") {
            assert!(step["action"].is_string(), "{line}");
            for o in step["outputs"].as_array().expect("outputs") {
                let fields: &[&str] = match o["kind"].as_str() {
                    Some("pane") => {
                        panes += 1;
                        &[
                            "key",
                            "window",
                            "value",
                            "timestamp",
                            "timing",
                            "index",
                            "nonspeculative_index",
                            "is_first",
                            "is_last",
                            "retraction",
                            "fired_at",
                            "watermark",
                        ]
                    }
                    Some("dead_letter") => {
                        dead_letters += 1;
                        &[
                            "event",
                            "key",
                            "value",
                            "time",
                            "windows",
                            "watermark",
                            "reason",
                            "at",
                        ]
                    }
                    _ => panic!("unknown output kind: {o}"),
                };
                for f in fields {
                    assert!(o.get(f).is_some(), "{f} missing: {o}");
                }
            }
        }
    }
    assert!(
        panes > 20 && dead_letters == 4,
        "{panes} panes, {dead_letters} dead letters"
    );
    // The field order is fixed so other tools can diff the output.
    let first = stdout.lines().next().expect("a line");
    assert!(
        first.starts_with("{\"name\":\"fixed_default\",\"file\":"),
        "{first}"
    );
    assert!(
        first.contains(
            "{\"kind\":\"pane\",\"key\":\"k\",\"window\":[0,10],\"value\":[1,2,3],\
             \"timestamp\":9,\"timing\":\"on_time\",\"index\":0,\
             \"nonspeculative_index\":0,\"is_first\":true,\"is_last\":true,\"retraction\":false,\
             \"fired_at\":0,\"watermark\":25}"
        ),
        "{first}"
    );
}

/// The transcript JSON is the one output encoding (`tidemark_spec::encode`,
/// also `run --out`'s): infinite times as strings, the mean exact.
#[test]
fn cli_json_uses_the_one_output_encoding() {
    let file = scratch(
        "transcript_global.yaml",
        "name: g\npipeline:\n  window: global\n  trigger: {after_count: 1}\n  aggregate: mean\n\
         steps:\n  - input: [5, 6]\n",
    );
    let out = tidemark(&["transcript", arg(&file), "--format", "json"]);
    // No expect step, so the pane is unexpected; it is still printed.
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("json");
    assert_eq!(v["passed"], false);
    let pane = &v["steps"][0]["outputs"][0];
    assert_eq!(
        pane["window"],
        serde_json::json!(["-inf", "+inf"]),
        "{pane}"
    );
    assert_eq!(
        pane["value"],
        serde_json::json!({"sum": 11, "count": 2}),
        "{pane}"
    );
    assert_eq!(pane["watermark"], "-inf", "{pane}");
}
