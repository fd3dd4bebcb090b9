//! RL-loss domain through the real binary: environments, evaluation, campaigns, bad input.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A CartPole task with a tiny training budget, so tests stay fast.
fn small_task(dir: &Path) -> PathBuf {
    sized_task(dir, 15, 1500)
}

fn sized_task(dir: &Path, episodes: u32, steps: u32) -> PathBuf {
    let p = dir.join("cartpole-small.toml");
    std::fs::write(
        &p,
        r#"domain = "rl_loss"
name = "cartpole-small"
[environment]
id = "CartPole-v1"
max_episode_steps = 200
return_range = [0.0, 200.0]
score_episodes = 5
[dqn]
train_episodes = {episodes}
max_env_steps = {steps}
min_replay_size = 64
"#
        .replace("{episodes}", &episodes.to_string())
        .replace("{steps}", &steps.to_string()),
    )
    .unwrap();
    p
}

fn seed_path(name: &str) -> String {
    format!(
        "{}/search_spaces/rl_loss/seeds/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn env_replay_follows_the_gymnasium_fixture() {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/envs/cartpole_v1.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let fx: serde_json::Value = serde_json::from_str(&text).unwrap();
    let ep = &fx["episodes"][0];
    let state: Vec<String> = ep["initial_state"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.to_string())
        .collect();
    let actions: Vec<String> = ep["actions"]
        .as_array()
        .unwrap()
        .iter()
        .take(100)
        .map(|v| v.to_string())
        .collect();
    let out = ok(&[
        "env",
        "replay",
        "--env",
        "CartPole-v1",
        "--state",
        &state.join(","),
        "--actions",
        &actions.join(","),
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let steps = doc["steps"].as_array().unwrap();
    assert_eq!(steps.len(), actions.len());
    for (i, s) in steps.iter().enumerate() {
        for (got, want) in s["obs"]
            .as_array()
            .unwrap()
            .iter()
            .zip(ep["obs"][i].as_array().unwrap())
        {
            let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
            assert!(
                (g - w).abs() <= 1e-7 * (1.0 + w.abs()),
                "step {i}: {g} vs {w}"
            );
        }
        assert_eq!(s["reward"], ep["rewards"][i]);
        assert_eq!(s["terminated"], ep["terminated"][i]);
        assert_eq!(s["truncated"], ep["truncated"][i]);
    }
    let list = ok(&["env", "list"]);
    for id in [
        "CartPole-v1",
        "Acrobot-v1",
        "MountainCar-v0",
        "MiniGrid-DoorKey-5x5-v0",
    ] {
        assert!(list.contains(id), "{list}");
    }
}

#[test]
fn env_rollout_trains_and_runs_the_greedy_policy() {
    let t = tempfile::tempdir().unwrap();
    let task = small_task(t.path());
    let out = ok(&[
        "env",
        "rollout",
        "--env",
        "CartPole-v1",
        "--program",
        &seed_path("dqn"),
        "--task",
        task.to_str().unwrap(),
        "--episodes",
        "3",
        "--max-episode-steps",
        "200",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let returns = doc["returns"].as_array().unwrap();
    assert_eq!(returns.len(), 3);
    for r in returns {
        let r = r.as_f64().unwrap();
        assert!(
            (1.0..=200.0).contains(&r),
            "CartPole returns lie in [1, 200]: {r}"
        );
    }
    assert_eq!(doc["training_outcome"], "Completed");
}

#[test]
fn env_bad_input_is_reported() {
    let e = fails(&[
        "env",
        "replay",
        "--env",
        "Pong-v5",
        "--state",
        "0",
        "--actions",
        "0",
    ]);
    assert!(
        e.contains("unknown environment id `Pong-v5`") && e.contains("CartPole-v1"),
        "{e}"
    );
    let e = fails(&[
        "env",
        "replay",
        "--env",
        "CartPole-v1",
        "--state",
        "0,0,0",
        "--actions",
        "0",
    ]);
    assert!(e.contains("length 3, expected 4"), "{e}");
    let e = fails(&[
        "env",
        "replay",
        "--env",
        "Acrobot-v1",
        "--state",
        "0,0,0,0",
        "--actions",
        "1,3",
    ]);
    assert!(e.contains("action 3 out of range"), "{e}");
}

#[test]
fn eval_retrains_a_program_under_seeds() {
    let t = tempfile::tempdir().unwrap();
    let task = small_task(t.path());
    let out = ok(&[
        "eval",
        &seed_path("dqn"),
        "--task",
        task.to_str().unwrap(),
        "--seeds",
        "2",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["scores"].as_array().unwrap().len(), 2);
    // Each seed's score is its mean return over the last `score_episodes` (5) episodes of its
    // learning curve, normalized by the return range [0, 200].
    for (k, s) in doc["scores"].as_array().unwrap().iter().enumerate() {
        let curve: Vec<f64> = doc["learning_curves"][k]["episode_returns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(curve.len(), 15);
        let want = (curve[10..].iter().sum::<f64>() / 5.0 / 200.0).clamp(0.0, 1.0);
        let got = s.as_f64().unwrap();
        assert!(
            (got - want).abs() < 1e-3,
            "seed {k}: score {got}, curve gives {want}"
        );
    }
    let text = ok(&[
        "eval",
        &seed_path("dqn_clipped"),
        "--task",
        task.to_str().unwrap(),
        "--seeds",
        "1",
    ]);
    assert!(text.contains("mean score"), "{text}");
}

#[test]
fn invalid_losses_and_mismatched_spaces_are_rejected() {
    let t = tempfile::tempdir().unwrap();
    let task = small_task(t.path());
    // reward only: no path from q_param to the loss.
    let dqn: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(seed_path("dqn")).unwrap()).unwrap();
    let mut bad = dqn.clone();
    bad["nodes"] = serde_json::json!([{"op": "square", "args": [5]}]);
    bad["output"] = serde_json::json!(7);
    let p = t.path().join("bad.json");
    std::fs::write(&p, bad.to_string()).unwrap();
    let e = fails(&[
        "eval",
        p.to_str().unwrap(),
        "--task",
        task.to_str().unwrap(),
        "--seeds",
        "1",
    ]);
    assert!(
        e.contains("required input `q_param` does not reach the output"),
        "{e}"
    );
    let e = fails(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "cartpole",
        "--archive",
        t.path().join("a").to_str().unwrap(),
    ]);
    assert!(e.contains("no input `q_param`"), "{e}");
    let bad_env = t.path().join("bad-env.toml");
    std::fs::write(
        &bad_env,
        std::fs::read_to_string(&task)
            .unwrap()
            .replace("CartPole-v1", "CartPole-v9"),
    )
    .unwrap();
    let e = fails(&[
        "run",
        "--space",
        "rl_loss",
        "--task",
        bad_env.to_str().unwrap(),
        "--archive",
        t.path().join("b").to_str().unwrap(),
    ]);
    assert!(e.contains("unknown environment id `CartPole-v9`"), "{e}");
    assert!(!t.path().join("b").exists());
}

#[test]
fn bootstrapped_campaign_survives_a_kill_mid_training() {
    let t = tempfile::tempdir().unwrap();
    let task = sized_task(t.path(), 60, 6000);
    let arch = t.path().join("rl");
    let d = arch.to_str().unwrap();
    let mut child = spawn(&[
        "run",
        "--space",
        "rl_loss",
        "--task",
        task.to_str().unwrap(),
        "--bootstrap",
        "dqn,dqn_reg",
        // Enough candidates that the campaign cannot finish between two polls of live.json
        // (with 10, a fast machine sometimes finished before the kill).
        "--budget",
        "24",
        "--population",
        "4",
        "--tournament",
        "2",
        "--workers",
        "2",
        "--archive",
        d,
        "--quiet",
    ]);
    let start = Instant::now();
    loop {
        let n = live_candidates(&arch);
        assert!(
            child.try_wait().unwrap().is_none(),
            "the campaign finished before it could be killed"
        );
        if n >= 2 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(300), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = inspect(&arch, 100);
    let n_before = before["stats"]["candidates"].as_u64().unwrap();
    assert!(n_before >= 2);
    ok(&["resume", d, "--quiet"]);
    let after = inspect(&arch, 100);
    assert_eq!(after["stats"]["candidates"].as_u64(), Some(24));
    assert_eq!(after["status"], "finished");
    // The seeds were evaluated first and kept.
    let shown: serde_json::Value = serde_json::from_str(&ok(&["show", d, "0", "--json"])).unwrap();
    assert_eq!(shown["seed"], "dqn");
    assert!(
        shown["details"]["cartpole-small/score"].as_f64().is_some(),
        "{shown}"
    );
    // Scores are sums of normalized task scores: finite and within [0, tasks].
    for r in after["top"].as_array().unwrap() {
        let f = r["fitness"].as_f64().unwrap();
        assert!(f.is_finite() && (0.0..=1.0).contains(&f), "{r}");
    }
}

#[test]
fn compare_pairs_seeds() {
    let t = tempfile::tempdir().unwrap();
    let task = small_task(t.path());
    // The same loss twice: identical seeds give identical trainings, so every difference is 0.
    let out = ok(&[
        "compare",
        &seed_path("dqn"),
        &seed_path("dqn"),
        "--task",
        task.to_str().unwrap(),
        "--seeds",
        "2",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = doc["per_seed"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for r in rows {
        assert_eq!(r["a"], r["b"], "{doc}");
    }
    assert_eq!(doc["comparison"]["mean_difference"], 0.0);
    assert_eq!(doc["comparison"]["p_permutation"], 1.0);
    let e = fails(&[
        "compare",
        &seed_path("dqn"),
        &seed_path("dqn"),
        "--task",
        task.to_str().unwrap(),
        "--seeds",
        "0",
    ]);
    assert!(e.contains("--seeds must be between 1 and 24"), "{e}");
}

/// Two losses known to differ: DQN against one that pushes Q(s, a) up without bound (it
/// minimizes `discount − Q(s, a)`); under the same 8 seeds DQN wins every pairing, so the paired
/// tests must find the difference.
#[test]
fn compare_finds_a_real_difference() {
    let t = tempfile::tempdir().unwrap();
    let task = sized_task(t.path(), 40, 4000);
    let ascend = t.path().join("ascend.json");
    std::fs::write(
        &ascend,
        r#"{"inputs": [{"name":"q_param","dtype":"param"},{"name":"action","dtype":"action"},
            {"name":"s_tm1","dtype":"state"},{"name":"q_targ_param","dtype":"param"},
            {"name":"s_t","dtype":"state"},{"name":"reward","dtype":"float"},
            {"name":"discount","dtype":"float"}],
          "nodes": [{"op":"qvalue_list","args":[0,2]},{"op":"select_list","args":[7,1]},
            {"op":"sub","args":[6,8]}],
          "output": 9}"#,
    )
    .unwrap();
    let out = ok(&[
        "compare",
        &seed_path("dqn"),
        ascend.to_str().unwrap(),
        "--task",
        task.to_str().unwrap(),
        "--seeds",
        "8",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let c = &doc["comparison"];
    assert!(c["mean_difference"].as_f64().unwrap() > 0.1, "{doc}");
    assert!(c["p_permutation"].as_f64().unwrap() < 0.05, "{doc}");
    assert!(c["p_t_test"].as_f64().unwrap() < 0.05, "{doc}");
}

/// The library API a Rust trainer uses (as `examples/dqn_with_discovered_loss.rs` does): a loss
/// exported by the CLI and reloaded trains exactly like the original; an equation from a
/// campaign archive is refused as a loss.
#[test]
fn exported_and_reloaded_loss_trains_like_the_original() {
    use gevo::rl::dqn::train_agent;
    use gevo::{Archive, ProgramLoss, rl};
    let t = tempfile::tempdir().unwrap();
    let exported = t.path().join("dqn_reg.json");
    ok(&[
        "export",
        &seed_path("dqn_reg"),
        "--format",
        "json",
        "--output",
        exported.to_str().unwrap(),
    ]);
    let spec = gevo::task::resolve(small_task(t.path()).to_str().unwrap()).unwrap();
    let task = rl::load_tasks(&spec).unwrap().remove(0);
    let device = burn::tensor::Device::flex();
    let train = |loss: &ProgramLoss| {
        let mut env =
            rl::make_env(&task.environment.id, task.environment.max_episode_steps).unwrap();
        train_agent(env.as_mut(), loss, &task.dqn, &device).report
    };
    let original = train(&ProgramLoss::load(seed_path("dqn_reg")).unwrap());
    let reloaded = train(&ProgramLoss::load(&exported).unwrap());
    assert_eq!(original.episode_returns.len(), 15);
    assert_eq!(original.episode_returns, reloaded.episode_returns);
    assert_eq!(original.grad_steps, reloaded.grad_steps);

    let sr = t.path().join("sr");
    ok(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--archive",
        sr.to_str().unwrap(),
        "--budget",
        "20",
    ]);
    let program = Archive::open(&sr).unwrap().program(0).unwrap().unwrap();
    let e = ProgramLoss::try_new(program).unwrap_err().to_string();
    assert!(e.contains("input"), "{e}");
    assert!(
        Archive::open(&sr)
            .unwrap()
            .program(10_000)
            .unwrap()
            .is_none()
    );
}

#[test]
fn losses_without_gradient_are_recorded_and_the_campaign_goes_on() {
    let t = tempfile::tempdir().unwrap();
    let task = small_task(t.path());
    // sum_list(Q(s_tm1) − Q(s_tm1)): reads q_param, yet no gradient reaches θ.
    let dqn: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(seed_path("dqn")).unwrap()).unwrap();
    let mut constant = dqn.clone();
    constant["nodes"] = serde_json::json!([
        {"op": "qvalue_list", "args": [0, 2]},
        {"op": "sub", "args": [7, 7]},
        {"op": "sum_list", "args": [8]},
    ]);
    constant["output"] = serde_json::json!(9);
    let p = t.path().join("q_minus_q.json");
    std::fs::write(&p, constant.to_string()).unwrap();
    let arch = t.path().join("rl");
    let d = arch.to_str().unwrap();
    ok(&[
        "run",
        "--space",
        "rl_loss",
        "--task",
        task.to_str().unwrap(),
        "--bootstrap",
        &format!("{},dqn", p.display()),
        "--budget",
        "6",
        "--population",
        "2",
        "--tournament",
        "2",
        "--workers",
        "1",
        "--deterministic",
        "--archive",
        d,
        "--quiet",
    ]);
    let doc = inspect(&arch, 10);
    assert_eq!(doc["status"], "finished");
    assert_eq!(doc["stats"]["candidates"].as_u64(), Some(6));
    assert!(
        doc["outcomes"]["no_gradient"].as_u64().unwrap_or(0) >= 1,
        "{doc}"
    );
    let first: serde_json::Value = serde_json::from_str(&ok(&["show", d, "0", "--json"])).unwrap();
    assert_eq!(first["outcome"], "no_gradient", "{first}");
    assert_eq!(first["fitness"], serde_json::Value::Null);
    let second: serde_json::Value = serde_json::from_str(&ok(&["show", d, "1", "--json"])).unwrap();
    assert_eq!(second["seed"], "dqn");
    assert_ne!(second["outcome"], "no_gradient", "{second}");
    let table = ok(&["inspect", d]);
    assert!(table.contains("no_gradient"), "{table}");
}
