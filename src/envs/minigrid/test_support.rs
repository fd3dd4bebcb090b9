//! Test helpers: loading the MiniGrid reference fixtures, replaying them, and a BFS solver.

use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use super::grid::{Action, GridWorld};
use super::{Environment, Step, check_action};

/// Fixture directory, relative to `CARGO_MANIFEST_DIR`. The only place to change when the
/// fixtures move.
const FIXTURE_DIR: &str = "tests/fixtures/minigrid";

/// One fixture file, as written by `make_minigrid_fixtures.py`.
#[derive(Debug, Deserialize)]
pub(crate) struct Fixture {
    pub env_id: String,
    pub minigrid_version: String,
    pub gymnasium_version: String,
    pub max_steps: usize,
    pub num_actions: usize,
    pub episodes: Vec<Episode>,
}

/// One recorded episode.
#[derive(Debug, Deserialize)]
pub(crate) struct Episode {
    pub seed: u64,
    pub policy: String,
    pub initial_state: Vec<f64>,
    pub actions: Vec<usize>,
    pub states: Vec<Vec<f64>>,
    pub obs: Vec<Vec<f64>>,
    pub rewards: Vec<f64>,
    pub terminated: Vec<bool>,
    pub truncated: Vec<bool>,
    /// Dynamic-Obstacles only: obstacle positions after each step.
    #[serde(default)]
    pub obstacles: Vec<Vec<(usize, usize)>>,
}

/// Outcome of a replay.
#[derive(Debug)]
#[allow(dead_code)] // fields are read through `Debug` in reports
pub(crate) struct ReplayReport {
    pub env_id: String,
    pub minigrid_version: String,
    pub gymnasium_version: String,
    pub episodes: usize,
    pub steps: usize,
    pub goal_episodes: usize,
    pub failed_episodes: usize,
    pub truncated_episodes: usize,
    /// max |our reward − MiniGrid's| (asserted ≤ 1e-9).
    pub max_reward_err: f64,
    /// max |our observation code − MiniGrid's| (asserted 0).
    pub max_obs_err: f64,
    /// max |our state entry − the fixture's| (asserted 0).
    pub max_state_err: f64,
}

/// Read and parse `FIXTURE_DIR/file`.
pub(crate) fn load_fixture(file: &str) -> Fixture {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), FIXTURE_DIR, file]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad fixture {}: {e}", path.display()))
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Replay every episode of `fx` on `env`: set the recorded initial state, then for each
/// recorded action call `step(env, episode, t, action)` and compare observation, state,
/// reward and flags. Panics on any mismatch beyond the tolerances in [`ReplayReport`].
pub(crate) fn replay<E: Environment + ?Sized>(
    fx: &Fixture,
    env: &mut E,
    mut step: impl FnMut(&mut E, &Episode, usize, usize) -> Step,
) -> ReplayReport {
    assert_eq!(env.id(), fx.env_id);
    assert_eq!(env.num_actions(), fx.num_actions);
    let mut report = ReplayReport {
        env_id: fx.env_id.clone(),
        minigrid_version: fx.minigrid_version.clone(),
        gymnasium_version: fx.gymnasium_version.clone(),
        episodes: fx.episodes.len(),
        steps: 0,
        goal_episodes: 0,
        failed_episodes: 0,
        truncated_episodes: 0,
        max_reward_err: 0.0,
        max_obs_err: 0.0,
        max_state_err: 0.0,
    };
    assert!(fx.episodes.len() >= 3);
    for (e, ep) in fx.episodes.iter().enumerate() {
        let n = ep.actions.len();
        assert!(n > 0);
        for len in [ep.states.len(), ep.obs.len(), ep.rewards.len()] {
            assert_eq!(len, n);
        }
        assert_eq!((ep.terminated.len(), ep.truncated.len()), (n, n));
        // Start from another layout to check that set_state overwrites everything.
        env.reset(&mut ChaCha8Rng::seed_from_u64(ep.seed));
        env.set_state(&ep.initial_state).unwrap();
        assert_eq!(env.state(), ep.initial_state);
        for t in 0..n {
            let ctx = format!("{} episode {e} ({}) step {t}", fx.env_id, ep.policy);
            let a = ep.actions[t];
            check_action(env, a).unwrap();
            let s = step(env, ep, t, a);
            assert_eq!(s.obs.len(), env.observation_dim(), "{ctx}");
            let obs_err = max_abs_diff(&s.obs, &ep.obs[t]);
            let state_err = max_abs_diff(&env.state(), &ep.states[t]);
            let reward_err = (s.reward - ep.rewards[t]).abs();
            report.max_obs_err = report.max_obs_err.max(obs_err);
            report.max_state_err = report.max_state_err.max(state_err);
            report.max_reward_err = report.max_reward_err.max(reward_err);
            assert_eq!(s.obs, ep.obs[t], "{ctx}: observation");
            assert_eq!(env.state(), ep.states[t], "{ctx}: state");
            assert!(
                reward_err <= 1e-9,
                "{ctx}: reward {} vs {}",
                s.reward,
                ep.rewards[t]
            );
            assert_eq!(s.terminated, ep.terminated[t], "{ctx}: terminated");
            assert_eq!(s.truncated, ep.truncated[t], "{ctx}: truncated");
        }
        assert!(ep.terminated[n - 1] || ep.truncated[n - 1]);
        if ep.terminated[n - 1] {
            if ep.rewards[n - 1] > 0.0 {
                report.goal_episodes += 1;
            } else {
                report.failed_episodes += 1;
            }
        } else {
            report.truncated_episodes += 1;
        }
        report.steps += n;
    }
    println!("{report:?}");
    report
}

/// Replay `file` on `env` with plain `step` calls.
pub(crate) fn replay_plain<E: Environment + ?Sized>(file: &str, env: &mut E) -> ReplayReport {
    let fx = load_fixture(file);
    replay(&fx, env, |env, _, _, a| env.step(a))
}

/// Length of a shortest action sequence (over `actions`) from `world` to a positive reward,
/// by BFS over the deterministic dynamics (transitions ending without reward are pruned);
/// `None` if the goal is unreachable.
pub(crate) fn shortest_solution(world: &GridWorld, actions: &[Action]) -> Option<usize> {
    let key = |w: &GridWorld| -> Vec<u64> { w.state().into_iter().map(|v| v as u64).collect() };
    let mut start = world.clone();
    start.step_count = 0;
    start.max_steps = usize::MAX;
    let mut seen = HashSet::new();
    seen.insert(key(&start));
    let mut queue = VecDeque::from([(start, 0usize)]);
    while let Some((node, depth)) = queue.pop_front() {
        for &a in actions {
            let mut child = node.clone();
            let (r, term, _) = child.step(a);
            if term && r > 0.0 {
                return Some(depth + 1);
            }
            if term {
                continue;
            }
            child.step_count = 0;
            if seen.insert(key(&child)) {
                queue.push_back((child, depth + 1));
            }
        }
    }
    None
}

/// All seven actions.
pub(crate) const ALL_ACTIONS: [Action; 7] = [
    Action::Left,
    Action::Right,
    Action::Forward,
    Action::Pickup,
    Action::Drop,
    Action::Toggle,
    Action::Done,
];
