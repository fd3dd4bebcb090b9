//! Rust ports of four MiniGrid environments (`MiniGrid-Empty-5x5-v0`, `MiniGrid-LavaGapS5-v0`,
//! `MiniGrid-DoorKey-5x5-v0`, `MiniGrid-Dynamic-Obstacles-5x5-v0`) with the fully observable
//! encoding, behind the [`Environment`] trait, registered in [`super::make`].
//!
//! Source: the `minigrid` package 3.2.0 (Chevalier-Boisvert et al., "Minigrid & Miniworld:
//! Modular & Customizable Reinforcement Learning Environments for Goal-Oriented Tasks", NeurIPS
//! 2023 Datasets & Benchmarks), whose grid worlds Co-Reyes et al., "Evolving Reinforcement
//! Learning Algorithms" (ICLR 2021, §4) use as training and test environments for evolved DQN
//! losses.
//!
//! * **Dynamics**: `MiniGridEnv.step` and each environment's `_gen_grid`/`step` ported
//!   statement by statement ([`grid::GridWorld`]); checked step by step against fixtures
//!   recorded from the real package by `fixtures/make_minigrid_fixtures.py`.
//! * **Actions**: each environment exposes MiniGrid's own `action_space`: all 7 actions
//!   (left, right, forward, pickup, drop, toggle, done; [`grid::Action`]) for Empty, LavaGap and
//!   DoorKey — the full action space, as the paper used — and 3 (left, right, forward) for
//!   Dynamic-Obstacles, whose MiniGrid class restricts its `action_space` to `Discrete(3)`.
//! * **Observation** (length `width * height * 3` = 75): `FullyObsWrapper`'s image,
//!   `grid.encode()` of the whole grid with the agent's cell replaced by `(10 = agent, 0 =
//!   red, direction)`, a `(width, height, 3)` array of (object index, colour index, state)
//!   flattened in numpy's C order: index `(x * height + y) * 3 + channel`. Values are the raw
//!   integer codes as `f64` (not normalised, as MiniGrid returns them); [`grid::normalize_obs`]
//!   scales them into `[0, 1]` for callers that want it. The carried object is not visible in
//!   this observation (as in MiniGrid's `FullyObsWrapper`).
//! * **State** (`state()`/`set_state()`, length `6 + width * height * 3` = 81; Dynamic-Obstacles
//!   appends the obstacles' `x, y` in movement order, 85): `[agent_x, agent_y, agent_dir,
//!   step_count, carried_object_index, carried_colour_index, grid codes...]` with the grid
//!   codes in the observation's order but without the agent overlay, and "carrying nothing"
//!   as `(1, 0)`. The step count is part of the state (the success reward depends on it), so
//!   `set_state` restores it rather than zeroing it. `set_state` panics on a vector of the
//!   right length whose content is not a valid MiniGrid state (the shared [`EnvError`] has no
//!   variant for that).
//! * **Rewards / ends**: `1 − 0.9 · step_count / max_steps` on reaching the goal (terminated),
//!   0 otherwise; stepping onto lava terminates with 0; in Dynamic-Obstacles stepping forward
//!   into a ball or a wall gives −1 and terminates. Truncation when `step_count >= max_steps`
//!   (MiniGrid's own limit, no Gymnasium `TimeLimit`): 100 (4·5²) for Empty, LavaGap and
//!   Dynamic-Obstacles, 250 (10·5²) for DoorKey; the truncation flag can be set together with
//!   `terminated`, as in MiniGrid.
//! * **Randomness**: `reset` follows MiniGrid's generation logic draw for draw, but with our
//!   `ChaCha8Rng` instead of numpy's generator (same distributions, different streams).

pub mod door_key;
pub mod dynamic_obstacles;
pub mod empty;
pub mod grid;
pub mod lava_gap;

pub use super::environment::{EnvError, Environment, Step, check_action};
pub use door_key::DoorKey;
pub use dynamic_obstacles::DynamicObstacles;
pub use empty::Empty;
pub use lava_gap::LavaGap;

/// One step of an environment with MiniGrid's full 7-action space: `MiniGridEnv.step` on
/// `world`, returning the `FullyObsWrapper` observation. An out-of-range action (a caller bug)
/// debug-asserts; in release builds it is treated as `done` (a no-op that still counts a
/// step), where MiniGrid would raise `ValueError`.
fn step_full_action_space(world: &mut grid::GridWorld, id: &str, action: usize) -> Step {
    debug_assert!(action < 7, "{id}: action {action} out of range");
    let a = grid::Action::from_index(action).unwrap_or(grid::Action::Done);
    let (reward, terminated, truncated) = world.step(a);
    Step {
        obs: world.full_obs(),
        reward,
        terminated,
        truncated,
    }
}

/// `set_state` of a plain grid world (layout in the module doc) whose length the caller
/// has checked: overwrites `world`.
///
/// # Panics
/// If the content is not a valid MiniGrid state (see [`grid::GridWorld::set_state`]).
fn set_world_state(world: &mut grid::GridWorld, id: &str, state: &[f64]) {
    if let Err(e) = world.set_state(state) {
        panic!("{id}: invalid state: {e}");
    }
}

/// Test helpers: loading the MiniGrid reference fixtures, replaying them, and a BFS solver.
#[cfg(test)]
pub(crate) mod test_support {
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
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("bad fixture {}: {e}", path.display()))
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
}

#[cfg(test)]
mod tests {
    use super::super::{default_max_steps, make, make_with_max_steps};
    use super::*;
    use rand::SeedableRng;

    const IDS: [&str; 4] = [empty::ID, lava_gap::ID, door_key::ID, dynamic_obstacles::ID];
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn registry() {
        assert_eq!(
            IDS,
            [
                "MiniGrid-Empty-5x5-v0",
                "MiniGrid-LavaGapS5-v0",
                "MiniGrid-DoorKey-5x5-v0",
                "MiniGrid-Dynamic-Obstacles-5x5-v0"
            ]
        );
        let dims: Vec<_> = IDS
            .iter()
            .map(|id| {
                let mut e = make(id).unwrap();
                assert_eq!(e.id(), *id);
                let obs = e.reset(&mut ChaCha8Rng::seed_from_u64(0));
                assert_eq!(obs.len(), e.observation_dim());
                (e.observation_dim(), e.num_actions(), e.state().len())
            })
            .collect();
        assert_eq!(
            dims,
            vec![(75, 7, 81), (75, 7, 81), (75, 7, 81), (75, 3, 85)]
        );
        let limits: Vec<_> = IDS
            .iter()
            .map(|id| default_max_steps(id).unwrap())
            .collect();
        assert_eq!(limits, vec![100, 100, 250, 100]);
    }

    #[test]
    fn custom_max_steps_truncates() {
        for id in IDS {
            let mut env = make_with_max_steps(id, 7).unwrap();
            env.reset(&mut ChaCha8Rng::seed_from_u64(5));
            for t in 1..=7 {
                let s = env.step(0); // turning left never ends an episode
                assert!(!s.terminated, "{id} t={t}");
                assert_eq!(s.truncated, t == 7, "{id} t={t}");
            }
        }
    }

    #[test]
    fn fixtures_through_registry() {
        // Dynamic-Obstacles needs the recorded obstacle moves (see its module's tests).
        for (id, file) in [
            ("MiniGrid-Empty-5x5-v0", "empty_5x5_v0.json"),
            ("MiniGrid-LavaGapS5-v0", "lava_gap_s5_v0.json"),
            ("MiniGrid-DoorKey-5x5-v0", "door_key_5x5_v0.json"),
        ] {
            let fx = test_support::load_fixture(file);
            assert_eq!(fx.max_steps, default_max_steps(id).unwrap());
            let mut env = make(id).unwrap();
            let report = test_support::replay(&fx, &mut env, |env, _, _, a| env.step(a));
            assert_eq!(report.max_obs_err, 0.0);
        }
    }
}
