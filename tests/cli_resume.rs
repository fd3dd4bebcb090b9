//! Crash safety: kill -9 a running campaign, resume it, lose nothing; deterministic runs resume
//! to the same archive as an uninterrupted run.

mod common;
use common::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// Starts `gevo run …` and SIGKILLs it once its live summary shows `at_least` candidates.
/// Returns the live summary read just before the kill.
fn run_and_kill(args: &[&str], dir: &Path, at_least: u64) -> serde_json::Value {
    let mut child = spawn(args);
    let start = Instant::now();
    while live_candidates(dir) < at_least {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "campaign made no progress"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "campaign ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let live: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("live.json")).unwrap()).unwrap();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    live
}

#[test]
fn kill_then_resume_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("killed");
    let d = dir.to_str().unwrap();
    let budget = "60000";
    let live = run_and_kill(
        &[
            "run",
            "--space",
            "symbolic_regression",
            "--task",
            "nguyen-5",
            "--budget",
            budget,
            "--workers",
            "2",
            "--archive",
            d,
            "--quiet",
        ],
        &dir,
        5000,
    );
    // While killed, the archive is readable and holds at least what the live summary reported.
    let before = inspect(&dir, 5);
    let n_before = before["stats"]["candidates"].as_u64().unwrap();
    assert!(n_before >= live["stats"]["candidates"].as_u64().unwrap());
    let top_live: Vec<(u64, f64)> = live["top"]
        .as_array()
        .unwrap()
        .iter()
        .take(5)
        .map(|r| (r["id"].as_u64().unwrap(), r["fitness"].as_f64().unwrap()))
        .collect();
    ok(&["resume", d, "--quiet"]);
    let after = inspect(&dir, 100000);
    assert_eq!(
        after["stats"]["candidates"].as_u64().unwrap().to_string(),
        budget
    );
    assert_eq!(after["status"], "finished");
    // Every candidate the live summary showed before the kill is still there, unchanged.
    for (id, fit) in top_live {
        let shown: serde_json::Value =
            serde_json::from_str(&ok(&["show", d, &id.to_string(), "--json"])).unwrap();
        assert_eq!(
            shown["fitness"].as_f64().unwrap(),
            fit,
            "candidate {id} changed"
        );
    }
}

fn all_records(dir: &Path) -> Vec<(u64, String, String)> {
    let doc = inspect(dir, 1_000_000);
    doc["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_u64().unwrap(),
                r["fitness"].to_string(),
                r["expression"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn deterministic_resume_equals_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let common = [
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-2",
        "--budget",
        "30000",
        "--seed",
        "7",
        "--deterministic",
        "--quiet",
    ];
    let mut args_a = vec!["run", "--workers", "1", "--archive", a.to_str().unwrap()];
    args_a.extend(common);
    ok(&args_a);
    // Different worker count and a kill in the middle must not change the result.
    let mut args_b = vec!["run", "--workers", "2", "--archive", b.to_str().unwrap()];
    args_b.extend(common);
    run_and_kill(&args_b, &b, 8000);
    ok(&["resume", b.to_str().unwrap(), "--quiet"]);
    let (ra, rb) = (all_records(&a), all_records(&b));
    assert!(ra.len() > 1000);
    assert_eq!(ra, rb);
    let (sa, sb) = (
        inspect(&a, 1)["stats"].clone(),
        inspect(&b, 1)["stats"].clone(),
    );
    for k in [
        "candidates",
        "evaluations",
        "fec_hits",
        "best_id",
        "best_fitness",
    ] {
        assert_eq!(sa[k], sb[k], "{k}");
    }
}
