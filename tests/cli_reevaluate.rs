//! `gevo reevaluate` and `gevo run --final-seeds` through the real binary: held-out tasks,
//! runs stored as they finish, kill -9 and rerun, and `inspect` ranking by the result.

mod common;
use common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TINY_DQN: &str = "[dqn]\ntrain_episodes = 6\nmax_env_steps = 400\nmin_replay_size = 64\n";

/// A tiny CartPole training task holding out a tiny reward-scaled CartPole (named relative to
/// the task file), or `held_out` when given.
fn tasks(dir: &Path, held_out: &str) -> PathBuf {
    let env = "[environment]\nid = \"CartPole-v1\"\nmax_episode_steps = 200\nreturn_range = [0.0, 200.0]\nscore_episodes = 5\n";
    let p = dir.join("cartpole-tiny.toml");
    std::fs::write(
        &p,
        format!("domain = \"rl_loss\"\nname = \"cartpole-tiny\"\nheld_out = [\"{held_out}\"]\n{env}{TINY_DQN}"),
    )
    .unwrap();
    std::fs::write(
        dir.join("held-tiny.toml"),
        format!("domain = \"rl_loss\"\nname = \"held-tiny\"\n{env}reward_scale = 10.0\n{TINY_DQN}"),
    )
    .unwrap();
    p
}

/// A finished two-candidate campaign (DQN and undiscounted TD: two distinct functions).
fn campaign(dir: &Path, extra: &[&str]) -> (PathBuf, String) {
    let task = tasks(dir, "held-tiny");
    let arch = dir.join("a");
    let mut args = vec![
        "run",
        "--space",
        "rl_loss",
        "--task",
        task.to_str().unwrap(),
        "--bootstrap",
        "dqn,td_undiscounted",
        "--budget",
        "2",
        "--population",
        "2",
        "--workers",
        "2",
        "--archive",
        arch.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let out = ok(&args);
    (arch, out)
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).expect("--json prints JSON")
}

#[test]
fn reevaluation_stores_every_run_and_inspect_ranks_by_it() {
    let t = tempfile::tempdir().unwrap();
    let (arch, _) = campaign(t.path(), &[]);
    let d = arch.to_str().unwrap();
    let doc = json(&[
        "reevaluate",
        d,
        "--top",
        "2",
        "--seeds",
        "2",
        "--json",
        "-q",
    ]);
    assert_eq!(doc["task_set"], "cartpole-tiny");
    assert_eq!(doc["held_out_tasks"], serde_json::json!(["held-tiny"]));
    // 2 programs × (training set + 1 held-out task) × 2 seeds.
    assert_eq!(doc["runs"]["total"], 8, "{doc}");
    assert_eq!(
        (
            doc["runs"]["ran"].as_u64(),
            doc["runs"]["stored_before"].as_u64()
        ),
        (Some(8), Some(0))
    );
    let programs = doc["programs"].as_array().unwrap();
    assert_eq!(programs.len(), 2, "{doc}");
    let mut means = vec![];
    for p in programs {
        let train: Vec<f64> = p["train_scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let held: Vec<f64> = p["held_out_scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!((train.len(), held.len()), (2, 2), "{p}");
        for x in train.iter().chain(&held) {
            assert!((0.0..=1.0).contains(x), "{p}");
        }
        let mean = p["train"]["mean"].as_f64().unwrap();
        assert!((mean - (train[0] + train[1]) / 2.0).abs() < 1e-12, "{p}");
        assert_eq!(p["train"]["n"], 2);
        assert!(p["train"]["ci95"].is_array(), "{p}");
        let held_mean = p["held_out"]["mean"].as_f64().unwrap();
        assert!((held_mean - (held[0] + held[1]) / 2.0).abs() < 1e-12, "{p}");
        let tasks: Vec<(&str, bool)> = p["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["task"].as_str().unwrap(),
                    t["held_out"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            tasks,
            [("cartpole-tiny", false), ("held-tiny", true)],
            "{p}"
        );
        assert!(!p["expression"].as_str().unwrap().is_empty());
        means.push((p["candidate"].as_u64().unwrap(), mean));
    }
    assert!(
        means[0].1 >= means[1].1,
        "best training mean first: {means:?}"
    );

    // A rerun trains nothing and prints the same table from the archive.
    let out = ok(&["reevaluate", d, "--top", "2", "--seeds", "2", "-q"]);
    assert!(out.contains("8 runs: 8 stored before, 0 run now"), "{out}");
    assert!(
        out.contains("held-out score = sum of normalized scores"),
        "{out}"
    );
    let first = format!("{:.3} ± ", means[0].1);
    assert!(out.contains(&first), "{out}");
    assert!(out.contains("held-tiny (held out)"), "{out}");

    // inspect ranks the re-evaluated programs first, by their final training mean.
    let doc = inspect(&arch, 10);
    assert_eq!(doc["ranked_by"], "reevaluation");
    let top = doc["top"].as_array().unwrap();
    let ranked: Vec<(u64, f64)> = top
        .iter()
        .take(2)
        .map(|r| {
            (
                r["id"].as_u64().unwrap(),
                r["reevaluation"]["train"]["mean"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ranked, means, "{doc}");
    assert_eq!(top[0]["reevaluation"]["seeds"], 2);
    assert!(top[0]["reevaluation"]["held_out"]["std"].is_number());
    let table = ok(&["inspect", d]);
    assert!(
        table.contains("final train (n)") && table.contains("held-out"),
        "{table}"
    );
}

#[test]
fn final_seeds_reevaluate_at_the_end_of_the_campaign_and_are_stored_in_its_settings() {
    let t = tempfile::tempdir().unwrap();
    let (arch, out) = campaign(t.path(), &["--final-seeds", "1", "--final-top", "1"]);
    assert!(
        out.contains("re-evaluation on cartpole-tiny (1 held-out task(s): held-tiny)"),
        "{out}"
    );
    assert!(out.contains("2 runs: 0 stored before, 2 run now"), "{out}");
    let settings: Value =
        serde_json::from_str(&std::fs::read_to_string(arch.join("campaign.json")).unwrap())
            .unwrap();
    assert_eq!(
        (
            settings["final_seeds"].as_u64(),
            settings["final_top"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        settings["held_out"][0]["name"], "held-tiny",
        "the held-out task is archived"
    );
    let doc = inspect(&arch, 10);
    let with: Vec<&Value> = doc["top"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["reevaluation"].is_object())
        .collect();
    assert_eq!(with.len(), 1, "{doc}");
    // Resuming the finished campaign finds every final run stored.
    let out = ok(&["resume", arch.to_str().unwrap(), "--quiet"]);
    assert!(out.contains("2 runs: 2 stored before, 0 run now"), "{out}");
}

#[test]
fn a_killed_reevaluation_keeps_its_finished_runs_and_a_rerun_completes_the_rest() {
    let t = tempfile::tempdir().unwrap();
    let (arch, _) = campaign(t.path(), &[]);
    let d = arch.to_str().unwrap();
    // 2 programs × 2 targets × 4 seeds = 16 runs on one worker: the kill lands mid-way.
    let args = [
        "reevaluate",
        d,
        "--top",
        "2",
        "--seeds",
        "4",
        "--workers",
        "1",
    ];
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let start = Instant::now();
    let mut stored = 0;
    while stored < 2 {
        let line = lines
            .next()
            .expect("reevaluate ended before storing 2 runs")
            .unwrap();
        stored += line.starts_with("stored candidate") as usize;
        assert!(start.elapsed() < Duration::from_secs(300), "no progress");
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let doc = json(&[
        "reevaluate",
        d,
        "--top",
        "2",
        "--seeds",
        "4",
        "--json",
        "-q",
    ]);
    let before = doc["runs"]["stored_before"].as_u64().unwrap();
    let ran = doc["runs"]["ran"].as_u64().unwrap();
    assert!(
        before >= 2,
        "the runs reported stored survived the kill: {doc}"
    );
    assert!(before < 16, "the kill came after the end: {doc}");
    assert_eq!(
        before + ran,
        16,
        "finished runs are not trained again: {doc}"
    );
    for p in doc["programs"].as_array().unwrap() {
        assert_eq!(p["train"]["n"], 4, "{p}");
        assert_eq!(p["held_out"]["n"], 4, "{p}");
    }
}

#[test]
fn bad_input_is_refused_with_clear_errors() {
    let t = tempfile::tempdir().unwrap();
    let (arch, _) = campaign(t.path(), &[]);
    let d = arch.to_str().unwrap();
    let e = fails(&["reevaluate", d, "--top", "2", "--seeds", "0"]);
    assert!(
        e.contains("--seeds") && e.contains("0 is not in 1.."),
        "{e}"
    );
    let e = fails(&["reevaluate", d, "--top", "0", "--seeds", "1"]);
    assert!(e.contains("--top") && e.contains("0 is not in 1.."), "{e}");
    let e = fails(&["reevaluate", d, "--seeds", "1", "--task", "nguyen-1"]);
    assert!(
        e.contains("a `symbolic_regression` task") && e.contains("`rl_loss` programs"),
        "{e}"
    );
    let e = fails(&["reevaluate", t.path().to_str().unwrap(), "--seeds", "1"]);
    assert!(e.contains("no gevo archive here"), "{e}");
    // Nothing was stored by the refused commands.
    let doc = inspect(&arch, 10);
    assert_eq!(doc["ranked_by"], "fec_mean");
    // A held-out name that names no task stops `gevo run` before it starts, naming the file.
    let sub = t.path().join("bad");
    std::fs::create_dir(&sub).unwrap();
    let task = tasks(&sub, "no-such-held-out-task");
    let e = fails(&[
        "run",
        "--space",
        "rl_loss",
        "--task",
        task.to_str().unwrap(),
        "--budget",
        "1",
        "--archive",
        sub.join("a").to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        e.contains("cartpole-tiny.toml") && e.contains("unknown task `no-such-held-out-task`"),
        "{e}"
    );
    assert!(!sub.join("a").exists(), "no archive for a refused campaign");
    let e = fails(&[
        "run",
        "--space",
        "rl_loss",
        "--task",
        "cartpole",
        "--final-seeds",
        "0",
        "--quiet",
    ]);
    assert!(e.contains("--final-seeds must be at least 1"), "{e}");
}
