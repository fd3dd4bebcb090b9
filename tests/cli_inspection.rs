//! Inspecting a real campaign: plots, the hall of fame, simplified programs.

mod common;
use common::*;

fn campaign(dir: &std::path::Path) {
    ok(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-4",
        "--archive",
        dir.to_str().unwrap(),
        "--budget",
        "800",
        "--deterministic",
        "--seed",
        "3",
    ]);
}

#[test]
fn plots_hall_of_fame_and_simplified_programs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sr");
    campaign(&dir);
    let d = dir.to_str().unwrap();

    // Plots: both formats, valid headers, non-trivial sizes.
    let out = tmp.path().join("plots");
    let listed = ok(&["plot", d, "--out", out.to_str().unwrap()]);
    for name in ["progress", "hall_of_fame"] {
        let svg = std::fs::read_to_string(out.join(format!("{name}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("<text"), "{name}.svg has no text");
        let png = std::fs::read(out.join(format!("{name}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5_000);
        assert!(listed.contains(&format!("{name}.png")));
    }

    // Hall of fame: one row per size, the front strictly improving with size, and the best
    // program of the campaign on it.
    let csv_path = tmp.path().join("hof.csv");
    ok(&[
        "inspect",
        d,
        "--pareto",
        "--csv",
        csv_path.to_str().unwrap(),
    ]);
    let doc: serde_json::Value =
        serde_json::from_str(&ok(&["inspect", d, "--pareto", "--json"])).unwrap();
    let rows = doc["hall_of_fame"].as_array().unwrap();
    assert!(rows.len() >= 3, "{doc}");
    let sizes: Vec<u64> = rows.iter().map(|r| r["size"].as_u64().unwrap()).collect();
    assert!(sizes.windows(2).all(|w| w[0] < w[1]));
    let front: Vec<f64> = rows
        .iter()
        .filter(|r| r["pareto"] == true)
        .map(|r| r["fitness"].as_f64().unwrap())
        .collect();
    assert!(front.windows(2).all(|w| w[0] < w[1]));
    let best = inspect(&dir, 1)["stats"]["best_fitness"].as_f64().unwrap();
    assert_eq!(*front.last().unwrap(), best);
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(csv.starts_with("size,id,fitness,test_score,pareto,expression\n"));
    assert_eq!(csv.lines().count(), rows.len() + 1);

    // show: the simplified form and LaTeX of the best program.
    let id = inspect(&dir, 1)["top"][0]["id"]
        .as_u64()
        .unwrap()
        .to_string();
    let shown: serde_json::Value = serde_json::from_str(&ok(&["show", d, &id, "--json"])).unwrap();
    assert!(shown["simplified"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(shown["latex"].as_str().is_some_and(|s| s.contains('x')));
}

#[test]
fn plot_needs_an_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let e = fails(&["plot", tmp.path().join("missing").to_str().unwrap()]);
    assert!(e.contains("missing"), "{e}");
}
