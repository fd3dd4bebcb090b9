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

    // The default top list: one row per function, with its number of copies, which add up to
    // the function's records in `--all`.
    let distinct: serde_json::Value =
        serde_json::from_str(&ok(&["inspect", d, "--json", "--top", "20"])).unwrap();
    let every = inspect(&dir, 1_000_000);
    let top = distinct["top"].as_array().unwrap();
    assert_eq!(top.len(), 20, "{distinct}");
    let fps: std::collections::HashSet<&str> = top
        .iter()
        .map(|r| r["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fps.len(), top.len(), "a function listed twice: {distinct}");
    let records_of = |fp: &str| {
        every["top"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["fingerprint"] == fp
                    && r["outcome"] == "ok"
                    && r["fitness"].as_f64().is_some_and(f64::is_finite)
            })
            .count() as u64
    };
    for r in top {
        let fp = r["fingerprint"].as_str().unwrap();
        assert_eq!(r["copies"].as_u64(), Some(records_of(fp)), "{r}");
    }
    assert!(
        top.iter().any(|r| r["copies"].as_u64().unwrap() > 1),
        "at this budget the cache serves copies of some top function: {distinct}"
    );
    let table = ok(&["inspect", d, "--top", "3"]);
    assert!(table.contains("copies"), "{table}");
}

#[test]
fn plot_needs_an_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let e = fails(&["plot", tmp.path().join("missing").to_str().unwrap()]);
    assert!(e.contains("missing"), "{e}");
}

#[test]
fn compare_equations() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    // Nguyen-2 is x⁴ + x³ + x² + x: x² + x fits it better than x² alone.
    let a = write(
        "a.json",
        r#"{"inputs":[{"name":"x","dtype":"float"}],"nodes":[{"op":"mul","args":[0,0]},{"op":"add","args":[1,0]}],"output":2}"#,
    );
    let b = write(
        "b.json",
        r#"{"inputs":[{"name":"x","dtype":"float"}],"nodes":[{"op":"mul","args":[0,0]}],"output":1}"#,
    );
    let args = |x: &str, y: &str| {
        vec![
            "compare".to_string(),
            x.to_string(),
            y.to_string(),
            "--space".into(),
            "symbolic_regression".into(),
            "--task".into(),
            "nguyen-2".into(),
            "--seeds".into(),
            "3".into(),
        ]
    };
    let mut j = args(&a, &b);
    j.push("--json".into());
    let doc: serde_json::Value =
        serde_json::from_str(&ok(&j.iter().map(String::as_str).collect::<Vec<_>>())).unwrap();
    assert!(
        doc["comparison"]["mean_difference"].as_f64().unwrap() > 0.1,
        "{doc}"
    );
    let text = ok(&args(&a, &b).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(text.contains("paired t-test: undefined"), "{text}");
    // A loss program is not an equation.
    let loss = format!(
        "{}/search_spaces/rl_loss/seeds/dqn.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let e = fails(
        &args(&a, &loss)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(e.contains("dqn.json"), "{e}");
}
