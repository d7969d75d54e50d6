//! The interactive report page in a real browser: headless Debian
//! `chromium` loads `sessions_late_merge.html#selftest`, whose script moves
//! the scrubber, selects the first window and writes what it saw into the
//! DOM; `--dump-dom` hands that DOM back. Checks: no script or console
//! error, the scrubber changes what is drawn, and the selected window's
//! panes are exactly the run's panes for that key and window.
//!
//! Skipped, saying so, when chromium is not installed (`.ci/run` installs
//! it, so CI always runs it). `CHROMIUM=/path` picks another binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use tidemark_sim::report;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn chromium() -> Option<PathBuf> {
    let chosen = std::env::var_os("CHROMIUM").map(PathBuf::from);
    chosen
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from))
        .find(|p| p.exists())
}

/// The value of `attr` on the element with id `selftest`, unescaped.
fn attr(dom: &str, attr: &str) -> Option<String> {
    let start = dom.find("id=\"selftest\"")?;
    let tag_end = start + dom[start..].find('>')?;
    let tag = &dom[start..tag_end];
    let from = tag.find(&format!("{attr}=\""))? + attr.len() + 2;
    let len = tag[from..].find('"')?;
    Some(
        tag[from..from + len]
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

#[test]
fn interactive_page_replays_the_run_in_chromium() {
    let Some(chromium) = chromium() else {
        eprintln!(
            "SKIPPED browser test: no chromium at $CHROMIUM or /usr/bin/chromium (install Debian's `chromium`, or set CHROMIUM=/path)"
        );
        return;
    };
    let path = repo().join("scenarios/sessions_late_merge.yaml");
    let scenario = tidemark_sim::scenario::load(&path).expect("shipped scenario loads");
    let r = report::collect(&scenario, 0..3).expect("report collects");
    let files = report::render(std::slice::from_ref(&r));
    let dir = std::env::temp_dir().join(format!("tidemark-browser-{}", std::process::id()));
    report::write(&dir, &files).expect("write page");
    let page = dir.join("sessions_late_merge.html");
    let text = std::fs::read_to_string(&page).expect("page written");
    for banned in ["http://", "https://", "src=", "href="] {
        let hits: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(banned) && !l.contains("http://www.w3.org/2000/svg"))
            .collect();
        assert!(
            hits.is_empty(),
            "the page must be self-contained; {banned} in {hits:?}"
        );
    }
    let profile = dir.join("profile");
    let output = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}#selftest", page.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&output.stdout);
    let log = String::from_utf8_lossy(&output.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    assert_eq!(
        attr(&dom, "data-done").as_deref(),
        Some("yes"),
        "the self-test did not finish; DOM: {}",
        &dom[..dom.len().min(2000)]
    );
    assert_eq!(attr(&dom, "data-errors").as_deref(), Some(""));

    // The scrubber: at its start nothing or little has arrived, at its end
    // everything has, in every panel.
    let scrub = attr(&dom, "data-scrub").expect("scrub counts");
    let counts: Vec<Vec<u64>> = scrub
        .split(' ')
        .map(|s| s.split(',').map(|n| n.parse().expect("a count")).collect())
        .collect();
    let scene = r.scene.as_ref().expect("a scene");
    for (panel, end) in counts[2].iter().enumerate() {
        assert!(counts[0][panel] < *end, "scrubber did not move: {scrub}");
        assert_eq!(*end as usize, scene.arrivals.len());
    }

    // The selected window's panes, against the run itself.
    let key: u64 = attr(&dom, "data-key").expect("key").parse().expect("a key");
    let window: Vec<i64> = attr(&dom, "data-window")
        .expect("window")
        .split(',')
        .map(|n| n.parse().expect("a bound"))
        .collect();
    let sim = tidemark_sim::run::simulate(&scenario, scene.seed).expect("simulate");
    let shown = attr(&dom, "data-panes").expect("panes");
    let shown: Vec<&str> = shown.split('\n').collect();
    assert_eq!(shown.len(), sim.runs.len());
    let mut total = 0;
    for (run, shown) in sim.runs.iter().zip(shown) {
        let expected: Vec<String> = run
            .panes
            .iter()
            .filter(|p| {
                p.key.0 == key && p.window.start.0 >= window[0] && p.window.end.0 <= window[1]
            })
            .map(|p| {
                let timing = match p.info.timing {
                    tidemark_engine::Timing::Early => "early",
                    tidemark_engine::Timing::OnTime => "on time",
                    tidemark_engine::Timing::Late => "late",
                };
                format!("{}|{}|{timing}|{}", p.fired_at.0, p.value, p.retraction)
            })
            .collect();
        total += expected.len();
        assert_eq!(shown, expected.join(";"), "strategy {}", run.strategy);
    }
    assert!(total > 0, "the selected window has no panes to compare");
}
