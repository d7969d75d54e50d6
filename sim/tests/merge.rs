//! Scale-out through the binary: a sweep split into three shards
//! (`sweep --shard K/3 --out FILE`, as three pods of a Kubernetes indexed
//! Job or three CI matrix legs would run it) and merged with `merge` gives
//! byte for byte the JSON and the text of the same sweep run whole, with the
//! same exit code; shards that don't belong together are refused, exit 2,
//! at a located field.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A scenario with failing and passing seeds among the first twelve.
const SCENARIO: &str = "../scenarios/regressions/aggressive_watermark.yaml";
const SEEDS: &str = "0..12";

fn tidemark(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tidemark"))
        .args(args)
        .env_remove("TIDEMARK_SEED")
        .output()
        .expect("run tidemark");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read a result file")
}

/// Runs shard `k` of 3 into `merge_{tag}_{k}.json` (a file per test: tests
/// run in parallel); returns its path.
fn shard(tag: &str, k: u64) -> PathBuf {
    let out = tmp(&format!("merge_{tag}_{k}.json"));
    let (code, _, err) = tidemark(&[
        "sweep",
        SCENARIO,
        "--seeds",
        SEEDS,
        "--shard",
        &format!("{k}/3"),
        "--jobs",
        "1",
        "--out",
        &out.to_string_lossy(),
    ]);
    assert!(code == 0 || code == 1, "shard {k}: exit {code}: {err}");
    out
}

#[test]
fn three_shards_merge_into_the_unsharded_sweep() {
    let whole = tmp("merge_whole.json");
    let (whole_code, whole_text, err) = tidemark(&[
        "sweep",
        SCENARIO,
        "--seeds",
        SEEDS,
        "--out",
        &whole.to_string_lossy(),
    ]);
    assert_eq!(whole_code, 1, "the scenario must fail some seed: {err}");
    let (_, whole_json, _) = tidemark(&["sweep", SCENARIO, "--seeds", SEEDS, "--format", "json"]);
    assert_eq!(whole_json, read(&whole), "--format json and --out agree");

    // In an order other than the shards', as a cluster's files arrive.
    let shards = [shard("ok", 2), shard("ok", 3), shard("ok", 1)];
    let args = |format: &str| {
        let mut a = vec!["merge".to_string(), "--format".into(), format.into()];
        a.extend(shards.iter().map(|p| p.to_string_lossy().into_owned()));
        a
    };
    let run = |format: &str| {
        let a = args(format);
        tidemark(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (code, merged_json, err) = run("json");
    assert_eq!(code, whole_code, "{err}");
    assert_eq!(merged_json, whole_json);
    let (code, merged_text, _) = run("table");
    assert_eq!(code, whole_code);
    assert_eq!(merged_text, whole_text);

    let v: serde_json::Value = serde_json::from_str(&merged_json).expect("JSON");
    assert_eq!(v["seeds_run"], 12);
    let failures = v["failures"].as_array().expect("failures");
    assert!(!failures.is_empty() && failures.len() < 12);
    assert_eq!(
        failures[0]["replay"]
            .as_str()
            .map(|r| r.starts_with("tidemark replay ")),
        Some(true)
    );
}

#[test]
fn a_shard_twice_or_missing_is_bad_input() {
    let (a, b) = (shard("bad", 1), shard("bad", 2));
    let (a_s, b_s) = (a.to_string_lossy(), b.to_string_lossy());
    let (code, out, err) = tidemark(&["merge", &a_s, &b_s, &a_s]);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains(&format!(
            "{a_s}:8:3: overlapping shards: shard 1/3 is also {a_s}"
        )),
        "{err}"
    );
    let (code, _, err) = tidemark(&["merge", &a_s, &b_s]);
    assert_eq!(code, 2);
    assert!(err.contains("missing shard(s) 3/3"), "{err}");
    let (code, _, err) = tidemark(&["merge", &tmp("no_such_result.json").to_string_lossy()]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");
}

/// The example manifests are documentation, but their shard counts must
/// agree with themselves or the merge they lead to is refused.
#[test]
fn the_example_manifests_agree_on_their_shard_count() {
    let yaml = |path: &str| -> serde_yaml::Value {
        let text = std::fs::read_to_string(Path::new("..").join(path)).expect("read a manifest");
        serde_yaml::from_str(&text).expect("a YAML manifest")
    };
    let job = yaml("deploy/kubernetes/sweep-job.yaml");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    let container = &spec["template"]["spec"]["containers"][0];
    let shards = container["env"]
        .as_sequence()
        .and_then(|env| env.iter().find(|e| e["name"].as_str() == Some("SHARDS")))
        .and_then(|e| e["value"].as_str())
        .and_then(|v| v.parse::<u64>().ok());
    assert_eq!(spec["completions"].as_u64(), shards);
    let script = container["command"][2].as_str().unwrap_or_default();
    assert!(
        script.contains("JOB_COMPLETION_INDEX + 1") && script.contains("--shard \"$K/$SHARDS\"")
    );

    let workflow = yaml("deploy/github-actions/sweep.yml");
    let matrix = workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"]
        .as_sequence()
        .map(Vec::len);
    assert_eq!(matrix.map(|n| n as u64), workflow["env"]["SHARDS"].as_u64());
}
