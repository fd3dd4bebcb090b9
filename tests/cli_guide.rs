//! Guided evolution through the real binary: `--guide discriminator`, resume, and the accounting
//! in `inspect --json`.

mod common;
use common::*;

fn guided_run(arch: &std::path::Path, budget: &str) -> String {
    guided_run_with(arch, budget, &[])
}

fn guided_run_with(arch: &std::path::Path, budget: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--budget",
        budget,
        "--population",
        "30",
        "--tournament",
        "5",
        "--seed",
        "2",
        "--deterministic",
        "--workers",
        "2",
        "--guide",
        "discriminator",
        "--guide-warmup",
        "20",
        "--guide-retrain-every",
        "16",
        "--guide-steps",
        "10",
        "--archive",
        arch.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    ok(&args)
}

/// The fields of the guide's accounting that do not depend on timing.
fn counts(doc: &serde_json::Value) -> serde_json::Value {
    let g = &doc["guide"];
    serde_json::json!([
        g["discriminator_calls"],
        g["children_rejected"],
        g["free_labels"],
        g["retrains"],
        g["accuracy"],
        doc["stats"]["evaluations"],
        doc["top"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].clone())
            .collect::<Vec<_>>(),
    ])
}

#[test]
fn guided_campaign_reports_accounting_and_resumes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (split, straight) = (dir.path().join("split"), dir.path().join("straight"));
    // A multiple of the batch (8), so both campaigns propose the same batches.
    let out = guided_run(&split, "304");
    assert!(out.contains("guide:"), "{out}");
    ok(&[
        "resume",
        split.to_str().unwrap(),
        "--budget",
        "500",
        "--quiet",
    ]);
    let doc = inspect(&split, 10);
    assert_eq!(doc["stats"]["candidates"].as_u64(), Some(500));
    let g = &doc["guide"];
    assert!(g.is_object(), "inspect --json has a guide section: {doc}");
    let calls = g["discriminator_calls"].as_u64().unwrap();
    let evals = g["real_evaluations"].as_u64().unwrap();
    assert!(calls > 0 && g["retrains"].as_u64().unwrap() >= 2, "{g}");
    assert!(g["retrain_secs"].as_f64().unwrap() > 0.0);
    assert!(g["inference_secs"].as_f64().unwrap() > 0.0);
    let share = g["evaluation_share"].as_f64().unwrap();
    assert!((share - evals as f64 / (evals + calls) as f64).abs() < 1e-12);
    let acc = g["accuracy"].as_array().unwrap();
    assert!(!acc.is_empty(), "held-out accuracy recorded: {g}");
    for p in acc {
        let a = p["accuracy"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&a) && p["pairs"].as_u64().unwrap() > 0);
    }
    // Resuming restored the weights, buffer and RNG: the split campaign equals a straight one.
    guided_run(&straight, "500");
    assert_eq!(counts(&doc), counts(&inspect(&straight, 10)));
    // The text view shows the accounting too.
    let text = ok(&["inspect", split.to_str().unwrap()]);
    assert!(text.contains("discriminator calls"), "{text}");
    assert!(text.contains("held-out accuracy"), "{text}");
    // The plot has a panel for the discriminator's accuracy.
    let plots = split.join("plots");
    ok(&["plot", split.to_str().unwrap(), "--format", "svg"]);
    let svg = std::fs::read_to_string(plots.join("progress.svg")).unwrap();
    assert!(svg.contains("discriminator held-out pair accuracy"));
}

#[test]
fn unguided_campaigns_have_no_guide_section() {
    let dir = tempfile::tempdir().unwrap();
    let arch = dir.path().join("plain");
    ok(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--budget",
        "300",
        "--max-evaluations",
        "50",
        "--seed",
        "1",
        "--archive",
        arch.to_str().unwrap(),
        "--quiet",
    ]);
    let doc = inspect(&arch, 1);
    assert!(doc["guide"].is_null());
    assert_eq!(
        doc["stats"]["evaluations"].as_u64(),
        Some(50),
        "--max-evaluations stops the run"
    );
    assert_eq!(doc["status"], "finished");
}

/// `--guide-accept-known-ties` lets known duplicates that tie their parent through (cache hits,
/// no evaluation) instead of retrying them: more cache hits, fewer rejected children.
#[test]
fn accepting_known_ties_keeps_cache_hits() {
    let dir = tempfile::tempdir().unwrap();
    let (strict, lenient) = (dir.path().join("strict"), dir.path().join("lenient"));
    guided_run(&strict, "400");
    guided_run_with(&lenient, "400", &["--guide-accept-known-ties"]);
    let summary = |arch: &std::path::Path| {
        let doc = inspect(arch, 1);
        let s = &doc["stats"];
        let hits = s["candidates"].as_u64().unwrap() - s["evaluations"].as_u64().unwrap();
        (hits, doc["guide"]["children_rejected"].as_u64().unwrap())
    };
    let ((hits_strict, rejected_strict), (hits_lenient, rejected_lenient)) =
        (summary(&strict), summary(&lenient));
    assert!(
        hits_lenient > hits_strict && rejected_lenient < rejected_strict,
        "strict: {hits_strict} hits, {rejected_strict} rejected; \
         lenient: {hits_lenient} hits, {rejected_lenient} rejected"
    );
}
