//! `gevo ablate` through the real binary.

mod common;
use common::*;

#[test]
fn ablate_passes_eval_seeds_to_every_campaign() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    ok(&[
        "ablate",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--seeds",
        "1",
        "--max-evaluations",
        "12",
        "--population",
        "6",
        "--tournament",
        "2",
        "--eval-seeds",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    for arm in ["re", "re_fec", "re_fec_disc"] {
        let doc = inspect(&out.join("archives").join(format!("{arm}-seed0")), 1);
        assert_eq!(doc["eval_seeds"].as_u64(), Some(2), "{arm}: {doc}");
    }
    let err = fails(&[
        "ablate",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--max-evaluations",
        "12",
        "--eval-seeds",
        "0",
        "--out",
        dir.path().join("zero").to_str().unwrap(),
    ]);
    assert!(err.contains("--eval-seeds must be at least 1"), "{err}");
}
