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

/// `y = 2.5·x² + 0.7` on 60 rows of x in [-2, 2] (a deterministic grid, no RNG needed).
fn quadratic_csv(dir: &std::path::Path) -> std::path::PathBuf {
    let csv = dir.join("quadratic.csv");
    let mut text = String::from("x,y\n");
    for i in 0..60 {
        let x = -2.0 + 4.0 * (i as f64 * 0.618_034).fract();
        text += &format!("{x},{}\n", 2.5 * x * x + 0.7);
    }
    std::fs::write(&csv, text).unwrap();
    csv
}

fn run_fitting(csv: &std::path::Path, arch: &std::path::Path, workers: &str) {
    ok(&[
        "run",
        "--space",
        "symbolic_regression",
        "--data",
        csv.to_str().unwrap(),
        "--target",
        "y",
        "--budget",
        "5000",
        "--population",
        "50",
        "--seed",
        "3",
        "--deterministic",
        "--workers",
        workers,
        "--optimize-constants",
        "0.1",
        "--parsimony",
        "0.001",
        "--archive",
        arch.to_str().unwrap(),
        "--quiet",
    ]);
}

#[test]
fn constant_fitting_finds_non_trivial_coefficients_and_inspect_recommends_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let csv = quadratic_csv(dir.path());
    let arch = dir.path().join("fit");
    run_fitting(&csv, &arch, "2");
    let doc = inspect(&arch, 5);
    let best = &doc["top"][0];
    let r2 = best["test_score"].as_f64().unwrap();
    assert!(r2 >= 0.9999, "test R² {r2} for {}", best["expression"]);
    let fitted = doc["top"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["mutation"] == "constants_fitted")
        .expect("a fitted child among the best");
    assert!(fitted["test_score"].as_f64().unwrap() >= 0.9999, "{fitted}");
    // The fitted child is its own record, with its parent kept (append-only) and a different
    // fingerprint.
    let parent = fitted["parent"].as_u64().unwrap().to_string();
    let shown: serde_json::Value =
        serde_json::from_str(&ok(&["show", arch.to_str().unwrap(), &parent, "--json"])).unwrap();
    assert_ne!(shown["fingerprint"], fitted["fingerprint"]);
    assert_ne!(shown["expression"], fitted["expression"]);
    assert_eq!(
        shown["size"], fitted["size"],
        "same structure, new constants"
    );
    // The settings are archived, so `resume` goes on with them.
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(arch.join("campaign.json")).unwrap())
            .unwrap();
    assert_eq!(settings["optimize_constants"], 0.1);
    assert_eq!(settings["parsimony"], 0.001);
    // PySR's rule recommends an exact-fit model, shown in text and JSON.
    let text = ok(&["inspect", arch.to_str().unwrap(), "--pareto"]);
    assert!(text.contains("recommended (PySR's rule"), "{text}");
    let pareto: serde_json::Value = serde_json::from_str(&ok(&[
        "inspect",
        arch.to_str().unwrap(),
        "--pareto",
        "--json",
    ]))
    .unwrap();
    let rec = &pareto["recommended"];
    assert!(rec["loss"].as_f64().unwrap() < 1e-10, "{rec}");
    // Every hall-of-fame entry has its training MSE, cache hits too (from their function's
    // first evaluation), so PySR's rule weighs all of them.
    let hof = pareto["hall_of_fame"].as_array().unwrap();
    assert!(
        hof.iter().all(|e| e["train_mse"].as_f64().is_some()),
        "{pareto}"
    );
    assert!(rec["expression"].as_str().unwrap().contains('x'), "{rec}");
    // Deterministic with fitting on: the same archive whatever the worker count.
    let again = dir.path().join("again");
    run_fitting(&csv, &again, "1");
    // Wall-clock costs aside, the best records are the same.
    let timeless = |d: &serde_json::Value| {
        let mut top = d["top"].clone();
        for r in top.as_array_mut().unwrap() {
            r.as_object_mut().unwrap().remove("wall_secs");
        }
        top
    };
    assert_eq!(timeless(&inspect(&again, 5)), timeless(&doc));
}

#[test]
fn bad_csv_data_and_fitting_settings_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, text: &str, extra: &[&str]| {
        let csv = dir.path().join(name);
        std::fs::write(&csv, text).unwrap();
        let mut args = vec![
            "run",
            "--space",
            "symbolic_regression",
            "--data",
            csv.to_str().unwrap(),
            "--target",
            "y",
            "--budget",
            "10",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        fails(&args)
    };
    let rows: String = (0..10).map(|i| format!("{i},3\n")).collect();
    let e = run("constant.csv", &format!("x,y\n{rows}"), &[]);
    assert!(
        e.contains("constant.csv") && e.contains("`y` is constant"),
        "{e}"
    );
    let e = run("dup.csv", "x,x,y\n1,2,3\n2,3,5\n3,4,8\n", &[]);
    assert!(
        e.contains("dup.csv:1:") && e.contains("duplicate column `x`"),
        "{e}"
    );
    let e = run("few.csv", "x,y\n1,2\n2,5\n", &[]);
    assert!(
        e.contains("few.csv") && e.contains("too few for a held-out split"),
        "{e}"
    );
    let good: String = (0..10).map(|i| format!("{i},{}\n", i * i)).collect();
    let e = run(
        "good.csv",
        &format!("x,y\n{good}"),
        &["--optimize-constants", "1.5"],
    );
    assert!(e.contains("--optimize-constants must lie in [0, 1]"), "{e}");
    let e = run("good.csv", &format!("x,y\n{good}"), &["--parsimony=-1"]);
    assert!(e.contains("--parsimony"), "{e}");
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
