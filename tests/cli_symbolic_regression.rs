//! End-to-end symbolic regression through the real binary.

mod common;
use common::*;

#[test]
fn solves_nguyen_1() {
    let dir = tempfile::tempdir().unwrap();
    let arch = dir.path().join("a");
    let out = ok(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--budget",
        "20000",
        "--seed",
        "1",
        "--deterministic",
        "--workers",
        "2",
        "--archive",
        arch.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(out.contains("best:"), "{out}");
    let doc = inspect(&arch, 1);
    let best = &doc["top"][0];
    let r2 = best["test_score"].as_f64().unwrap();
    assert!(r2 >= 0.9999, "test R² {r2} for {}", best["expression"]);
    assert_eq!(doc["stats"]["candidates"].as_u64(), Some(20000));
    assert!(
        doc["stats"]["fec_hits"].as_u64().unwrap() > 0,
        "some children are functional duplicates"
    );
}

#[test]
fn runs_on_a_csv_file_and_shows_lineage() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("data.csv");
    let mut text = String::from("a,b,y\n");
    for i in 0..40 {
        let a = i as f64 / 10.0;
        let b = (i % 7) as f64;
        text += &format!("{a},{b},{}\n", a * b + a);
    }
    std::fs::write(&csv, text).unwrap();
    let arch = dir.path().join("csv");
    ok(&[
        "run",
        "--space",
        "symbolic_regression",
        "--data",
        csv.to_str().unwrap(),
        "--target",
        "y",
        "--budget",
        "3000",
        "--population",
        "50",
        "--archive",
        arch.to_str().unwrap(),
        "--quiet",
    ]);
    let doc = inspect(&arch, 3);
    let best = &doc["top"][0];
    assert!(best["fitness"].as_f64().unwrap() > 0.5);
    for key in [
        "id",
        "fitness",
        "test_score",
        "expression",
        "size",
        "outcome",
    ] {
        assert!(best.get(key).is_some(), "missing field {key}");
    }
    let id = best["id"].as_u64().unwrap().to_string();
    let show = ok(&["show", arch.to_str().unwrap(), &id]);
    assert!(show.contains("lineage:"), "{show}");
    let shown: serde_json::Value =
        serde_json::from_str(&ok(&["show", arch.to_str().unwrap(), &id, "--json"])).unwrap();
    assert_eq!(shown["expression"], best["expression"]);
    let dot = ok(&["export", arch.to_str().unwrap(), &id, "--format", "dot"]);
    assert!(dot.starts_with("digraph"));
    let json = ok(&["export", arch.to_str().unwrap(), &id, "--format", "json"]);
    let p: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(p["inputs"][0]["name"], "a");
}

#[test]
fn lists_spaces_and_tasks() {
    let spaces = ok(&["spaces"]);
    assert!(spaces.contains("symbolic_regression"));
    let tasks = ok(&["tasks"]);
    for i in 1..=12 {
        assert!(tasks.contains(&format!("nguyen-{i} ")), "{tasks}");
    }
}

#[test]
fn a_csv_campaign_resumes_after_its_file_is_moved() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("data.csv");
    let mut text = String::from("x,y\n");
    for i in 0..30 {
        let x = i as f64 / 10.0;
        text += &format!("{x},{}\n", x * x);
    }
    std::fs::write(&csv, text).unwrap();
    let arch = dir.path().join("a");
    let a = arch.to_str().unwrap();
    ok(&[
        "run",
        "--space",
        "symbolic_regression",
        "--data",
        csv.to_str().unwrap(),
        "--target",
        "y",
        "--budget",
        "200",
        "--population",
        "20",
        "--tournament",
        "5",
        "--seed",
        "3",
        "--archive",
        a,
        "--quiet",
    ]);
    // The data is stored in the campaign settings: moving the file away changes nothing.
    std::fs::rename(&csv, dir.path().join("elsewhere.csv")).unwrap();
    ok(&["resume", a, "--budget", "400", "--quiet"]);
    let doc = inspect(&arch, 1);
    assert_eq!(doc["stats"]["candidates"].as_u64(), Some(400));
    assert!(doc["top"][0]["fitness"].as_f64().is_some(), "{doc}");
}
