//! `--eval-seeds` and `--max-duplicates` through the real binary.

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// A CartPole task with a tiny training budget and an optional `[campaign]` table.
fn task(dir: &Path, campaign: &str) -> PathBuf {
    let p = dir.join("cartpole-tiny.toml");
    std::fs::write(
        &p,
        format!(
            r#"domain = "rl_loss"
name = "cartpole-tiny"
[environment]
id = "CartPole-v1"
max_episode_steps = 200
return_range = [0.0, 200.0]
score_episodes = 5
[dqn]
train_episodes = 10
max_env_steps = 800
min_replay_size = 64
{campaign}
"#
        ),
    )
    .unwrap();
    p
}

fn detail(record: &serde_json::Value, name: &str) -> f64 {
    record["details"][name]
        .as_f64()
        .unwrap_or_else(|| panic!("no detail {name} in {record}"))
}

#[test]
fn eval_seeds_store_each_seed_and_their_spread() {
    let dir = tempfile::tempdir().unwrap();
    let t = task(dir.path(), "");
    let arch = dir.path().join("a");
    ok(&[
        "run",
        "--space",
        "rl_loss",
        "--task",
        t.to_str().unwrap(),
        "--bootstrap",
        "dqn",
        "--budget",
        "2",
        "--population",
        "2",
        "--eval-seeds",
        "2",
        "--max-duplicates",
        "1",
        "--deterministic",
        "--workers",
        "2",
        "--archive",
        arch.to_str().unwrap(),
        "--quiet",
    ]);
    let doc = inspect(&arch, 5);
    assert_eq!(doc["eval_seeds"].as_u64(), Some(2));
    assert_eq!(doc["max_duplicates"].as_u64(), Some(1));
    let evaluated: Vec<&serde_json::Value> = doc["top"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["fec_hit"] == false)
        .collect();
    assert!(!evaluated.is_empty(), "{doc}");
    for r in evaluated {
        let (a, b) = (detail(r, "seed0/fitness"), detail(r, "seed1/fitness"));
        let fitness = r["fitness"].as_f64().unwrap();
        assert!((fitness - (a + b) / 2.0).abs() < 1e-9, "{r}");
        assert!((detail(r, "fitness_std") - (a - b).abs() / 2f64.sqrt()).abs() < 1e-9);
    }
    let text = ok(&["inspect", arch.to_str().unwrap()]);
    assert!(text.contains("2 training seed(s) each"), "{text}");
}

#[test]
fn a_task_file_sets_eval_seeds_and_zero_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let t = task(dir.path(), "[campaign]\neval_seeds = 3");
    let arch = dir.path().join("from-task");
    // One candidate: the task file's setting reaches the archive and its evaluation.
    ok(&[
        "run",
        "--space",
        "rl_loss",
        "--task",
        t.to_str().unwrap(),
        "--budget",
        "1",
        "--archive",
        arch.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(inspect(&arch, 1)["eval_seeds"].as_u64(), Some(3));
    for (flag, name) in [
        ("--eval-seeds", "zero-seeds"),
        ("--max-duplicates", "zero-dups"),
    ] {
        let out = dir.path().join(name);
        let err = fails(&[
            "run",
            "--space",
            "rl_loss",
            "--task",
            t.to_str().unwrap(),
            flag,
            "0",
            "--archive",
            out.to_str().unwrap(),
            "--quiet",
        ]);
        assert!(err.contains(flag) && err.contains("at least 1"), "{err}");
        assert!(!out.exists(), "no archive is created for a bad setting");
    }
    let zero = task(dir.path(), "[campaign]\neval_seeds = 0");
    let err = fails(&[
        "run",
        "--space",
        "rl_loss",
        "--task",
        zero.to_str().unwrap(),
        "--archive",
        dir.path().join("zero-task").to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        err.contains("eval-seeds") || err.contains("eval_seeds"),
        "{err}"
    );
}
