//! Test helpers: loading the MiniGrid reference fixtures, replaying them, and a BFS solver.

use std::collections::{HashSet, VecDeque};

use serde::Deserialize;

use super::super::test_support::{Episode, load_json, max_abs_diff, replay_episodes};
use super::grid::{Action, GridWorld};
use super::{Environment, Step};

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
    load_json(FIXTURE_DIR, file)
}

/// Replay every episode of `fx` on `env`: set the recorded initial state, then for each
/// recorded action call `step(env, episode, t, action)` and compare observation, state,
/// reward and flags. Panics on any mismatch beyond the tolerances in [`ReplayReport`].
pub(crate) fn replay<E: Environment + ?Sized>(
    fx: &Fixture,
    env: &mut E,
    step: impl FnMut(&mut E, &Episode, usize, usize) -> Step,
) -> ReplayReport {
    assert_eq!(env.num_actions(), fx.num_actions);
    let last = |ep: &Episode| ep.actions.len() - 1;
    let ended = |ep: &&Episode| ep.terminated[last(ep)];
    let mut report = ReplayReport {
        env_id: fx.env_id.clone(),
        minigrid_version: fx.minigrid_version.clone(),
        gymnasium_version: fx.gymnasium_version.clone(),
        episodes: fx.episodes.len(),
        steps: fx.episodes.iter().map(|ep| ep.actions.len()).sum(),
        goal_episodes: fx
            .episodes
            .iter()
            .filter(ended)
            .filter(|ep| ep.rewards[last(ep)] > 0.0)
            .count(),
        failed_episodes: fx
            .episodes
            .iter()
            .filter(ended)
            .filter(|ep| ep.rewards[last(ep)] <= 0.0)
            .count(),
        truncated_episodes: fx.episodes.iter().filter(|ep| !ended(ep)).count(),
        max_reward_err: 0.0,
        max_obs_err: 0.0,
        max_state_err: 0.0,
    };
    replay_episodes(
        &fx.env_id,
        &fx.episodes,
        env,
        step,
        |ctx, ep, t, s, state| {
            let reward_err = (s.reward - ep.rewards[t]).abs();
            report.max_obs_err = report.max_obs_err.max(max_abs_diff(&s.obs, &ep.obs[t]));
            report.max_state_err = report.max_state_err.max(max_abs_diff(state, &ep.states[t]));
            report.max_reward_err = report.max_reward_err.max(reward_err);
            assert_eq!(s.obs, ep.obs[t], "{ctx}: observation");
            assert_eq!(state, ep.states[t], "{ctx}: state");
            assert!(
                reward_err <= 1e-9,
                "{ctx}: reward {} vs {}",
                s.reward,
                ep.rewards[t]
            );
        },
    );
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
pub(crate) const ALL_ACTIONS: [Action; 7] = Action::ALL;
