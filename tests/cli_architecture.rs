//! The architecture domain through the real binary: a NAS-Bench-101 cell campaign on the digits
//! (small network, short training), resume, inspection, exports and bad input.

mod common;
use common::*;

/// A fast variant of `digits-cnn`: 8 channels, one cell, 100 steps.
fn small_task(dir: &std::path::Path) -> String {
    let path = dir.join("digits-cnn-small.toml");
    std::fs::write(
        &path,
        "domain = \"architecture\"\nname = \"digits-cnn-small\"\n\
         [network]\nchannels = 8\ncells = 1\n\
         [training]\nsteps = 100\nbatch_size = 32\nlr = 0.02\ndata = \"data/digits.csv\"\n",
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn cell_campaign_resumes_and_exports() {
    let tmp = tempfile::tempdir().unwrap();
    let task = small_task(tmp.path());
    let dir = tmp.path().join("arch");
    let d = dir.to_str().unwrap();
    ok(&[
        "run",
        "--space",
        "architecture",
        "--task",
        &task,
        "--archive",
        d,
        "--budget",
        "6",
        "--population",
        "3",
        "--tournament",
        "2",
        "--bootstrap",
        "resnet_block",
        "--deterministic",
        "--seed",
        "2",
    ]);
    ok(&["resume", d, "--budget", "9"]);
    let doc = inspect(&dir, 3);
    assert_eq!(doc["stats"]["candidates"], 9, "{doc}");
    let best = doc["stats"]["best_fitness"].as_f64().unwrap();
    // Ten classes: chance is 0.1; even 100 steps of an 8-channel residual cell do far better.
    assert!(best > 0.6, "best validation accuracy {best}");
    let top = &doc["top"][0];
    assert!(
        top["details"]["digits-cnn-small/test_accuracy"]
            .as_f64()
            .unwrap()
            > 0.3
    );
    let id = top["id"].as_u64().unwrap().to_string();
    let shown = ok(&["show", d, &id]);
    assert!(shown.contains("cell_output("), "{shown}");
    // Every child is a valid NAS-Bench-101 cell: ≤ 9 edges, 7 vertices.
    for k in 0..9 {
        let json = ok(&["export", d, &k.to_string(), "--format", "json"]);
        let p: serde_json::Value = serde_json::from_str(&json).unwrap();
        let nodes = p["nodes"].as_array().unwrap();
        let edges: usize = nodes
            .iter()
            .map(|n| n["args"].as_array().unwrap().len())
            .sum();
        assert!(edges <= 9 && nodes.len() == 6, "candidate {k}: {json}");
    }
    assert!(ok(&["export", d, &id, "--format", "dot"]).starts_with("digraph"));
    let err = fails(&["export", d, &id, "--format", "numpy"]);
    assert!(err.contains("cannot express op"), "{err}");
}

#[test]
fn bad_cells_and_tasks_get_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let task = small_task(tmp.path());
    let write = |name: &str, nodes: serde_json::Value| {
        let p = tmp.path().join(name);
        let doc = serde_json::json!({
            "inputs": [{"name": "input", "dtype": "feature_map"}],
            "nodes": nodes,
            "output": 6,
        });
        std::fs::write(&p, doc.to_string()).unwrap();
        p.to_str().unwrap().to_string()
    };
    let eval = |program: &str| {
        fails(&[
            "eval",
            program,
            "--space",
            "architecture",
            "--task",
            &task,
            "--seeds",
            "1",
        ])
    };
    // Ten edges.
    let dense = write(
        "dense.json",
        serde_json::json!([
            {"op": "conv3x3_bn_relu", "args": [0]},
            {"op": "conv3x3_bn_relu", "args": [0, 1]},
            {"op": "conv3x3_bn_relu", "args": [0, 1, 2]},
            {"op": "conv1x1_bn_relu", "args": [0]},
            {"op": "maxpool3x3", "args": []},
            {"op": "cell_output", "args": [1, 2, 3]}
        ]),
    );
    let err = eval(&dense);
    assert!(err.contains("10 edges, at most 9"), "{err}");
    // A cycle: node 2 reads node 3, which comes later.
    let cycle = write(
        "cycle.json",
        serde_json::json!([
            {"op": "conv3x3_bn_relu", "args": [0]},
            {"op": "conv3x3_bn_relu", "args": [3]},
            {"op": "conv3x3_bn_relu", "args": [2]},
            {"op": "conv1x1_bn_relu", "args": []},
            {"op": "maxpool3x3", "args": []},
            {"op": "cell_output", "args": [1, 3]}
        ]),
    );
    let err = eval(&cycle);
    assert!(err.contains("not an earlier value"), "{err}");
    // A dataset that is not there.
    let missing = tmp.path().join("missing.toml");
    std::fs::write(
        &missing,
        "domain = \"architecture\"\nname = \"m\"\n[network]\nchannels = 8\ncells = 1\n\
         [training]\nsteps = 5\nbatch_size = 8\nlr = 0.01\ndata = \"elsewhere/digits.csv\"\n",
    )
    .unwrap();
    let err = fails(&[
        "eval",
        "search_spaces/architecture/seeds/resnet_block.json",
        "--space",
        "architecture",
        "--task",
        missing.to_str().unwrap(),
    ]);
    assert!(
        err.contains("elsewhere/digits.csv") && err.contains("not found"),
        "{err}"
    );
}

#[test]
fn tabular_cells_train_on_the_digit_features() {
    let out = ok(&[
        "eval",
        "search_spaces/architecture_tabular/seeds/residual_block.json",
        "--space",
        "architecture_tabular",
        "--task",
        "digits-tabular",
        "--seeds",
        "2",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mean = doc["mean"].as_f64().unwrap();
    assert!(mean > 0.9, "residual MLP cell: validation accuracy {mean}");
    // An image cell is not a tabular cell.
    let err = fails(&[
        "eval",
        "search_spaces/architecture/seeds/resnet_block.json",
        "--space",
        "architecture_tabular",
        "--task",
        "digits-tabular",
    ]);
    assert!(err.contains("program inputs"), "{err}");
}
