//! `gevo inspect --known`: known algorithms found in a real campaign under rewritten forms.

mod common;
use common::*;
use serde_json::{Value, json};
use std::path::Path;

/// A CartPole task that trains for a few hundred steps only: this test reads fingerprints, not
/// fitness.
fn tiny_task(dir: &Path) -> String {
    let p = dir.join("cartpole-tiny.toml");
    std::fs::write(
        &p,
        r#"domain = "rl_loss"
name = "cartpole-tiny"
[environment]
id = "CartPole-v1"
max_episode_steps = 50
return_range = [0.0, 50.0]
score_episodes = 2
[dqn]
train_episodes = 3
max_env_steps = 150
min_replay_size = 64
"#,
    )
    .unwrap();
    p.to_str().unwrap().to_string()
}

/// A shipped rl_loss seed with its first `keep` nodes, then `tail` nodes, output the last.
fn rewrite(seed: &str, keep: usize, tail: Value, dir: &Path, name: &str) -> String {
    let path = format!(
        "{}/search_spaces/rl_loss/seeds/{seed}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut p: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let inputs = p["inputs"].as_array().unwrap().len();
    let nodes = p["nodes"].as_array_mut().unwrap();
    nodes.truncate(keep);
    nodes.extend(tail.as_array().unwrap().iter().cloned());
    p["output"] = json!(inputs + nodes.len() - 1);
    let out = dir.join(format!("{name}.json"));
    std::fs::write(&out, p.to_string()).unwrap();
    out.to_str().unwrap().to_string()
}

#[test]
fn rewritten_seeds_in_a_campaign_are_named_with_their_first_id() {
    let t = tempfile::tempdir().unwrap();
    // Undiscounted TD with a redundant max(Q, Q): l2_distance(max(Q, Q), r + max Q').
    let td = rewrite(
        "td_undiscounted",
        6,
        json!([{"op": "max", "args": [8, 8]}, {"op": "l2_distance", "args": [13, 11]}]),
        t.path(),
        "td_redundant_max",
    );
    // DQN as (Q − Y)² instead of l2_distance(Q, Y) = ½(Q − Y)²: DQN up to the factor 2.
    let dqn = rewrite(
        "dqn",
        6,
        json!([{"op": "sub", "args": [8, 12]}, {"op": "square", "args": [13]}]),
        t.path(),
        "dqn_squared_error",
    );
    let arch = t.path().join("rl");
    let d = arch.to_str().unwrap();
    ok(&[
        "run",
        "--space",
        "rl_loss",
        "--task",
        &tiny_task(t.path()),
        "--bootstrap",
        &format!("{td},{dqn}"),
        "--budget",
        "6",
        "--population",
        "2",
        "--tournament",
        "1",
        "--deterministic",
        "--seed",
        "5",
        "--archive",
        d,
        "--quiet",
    ]);
    let doc: Value =
        serde_json::from_str(&ok(&["inspect", d, "--known", "--json", "--top", "100"])).unwrap();
    let reached = doc["known_reached"].as_array().unwrap();
    let row = |label: &str| {
        reached
            .iter()
            .find(|r| r["label"] == label)
            .unwrap_or_else(|| panic!("{label} not reached: {doc}"))
    };
    let td_row = row("td_undiscounted");
    assert_eq!(td_row["first_id"], 0, "{td_row}");
    assert_eq!(td_row["candidates"], 1);
    assert_eq!(td_row["factor"], Value::Null);
    let dqn_row = row("dqn (×2)");
    assert_eq!(dqn_row["first_id"], 1, "{dqn_row}");
    assert_eq!(dqn_row["name"], "dqn");
    assert_eq!(dqn_row["factor"].as_f64(), Some(2.0));
    assert!(
        reached.iter().all(|r| r["label"] != "dqn"),
        "(Q − Y)² is not an exact DQN: {doc}"
    );
    // The per-candidate column, on the seeds and on every copy the campaign made of them.
    let top = doc["top"].as_array().unwrap();
    let known_of = |id: u64| {
        top.iter()
            .find(|r| r["id"] == id)
            .map(|r| r["known"].clone())
    };
    assert_eq!(known_of(0).unwrap()["label"], "td_undiscounted");
    assert_eq!(known_of(1).unwrap()["label"], "dqn (×2)");
    let copies: u64 = reached.iter().map(|r| r["copies"].as_u64().unwrap()).sum();
    let marked = top.iter().filter(|r| !r["known"].is_null()).count() as u64;
    assert!(marked <= copies && copies >= 2);
    assert!(doc["known_checked"].as_array().unwrap().len() >= 6);

    // The table names both, with their first ids.
    let table = ok(&["inspect", d, "--known"]);
    let line = |label: &str| {
        table
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} row:\n{table}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(line("td_undiscounted")[1], "0");
    assert_eq!(line("dqn (×2)")[2], "1");
    assert!(table.contains("not reached:"), "{table}");
}

#[test]
fn a_space_without_seeds_is_a_clear_error() {
    let t = tempfile::tempdir().unwrap();
    let arch = t.path().join("sr");
    let d = arch.to_str().unwrap();
    ok(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--budget",
        "20",
        "--population",
        "10",
        "--archive",
        d,
        "--quiet",
    ]);
    let err = fails(&["inspect", d, "--known"]);
    assert!(err.contains("ships no seed programs"), "{err}");
    // Without --known nothing changes: no known fields.
    assert!(inspect(&arch, 3).get("known_reached").is_none());
}
