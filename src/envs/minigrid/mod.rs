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
//! * **Structure**: one environment, [`MiniGrid`], implements [`Environment`] over a
//!   [`Task`] that supplies only what a MiniGrid subclass does: its layout (`_gen_grid`) and,
//!   where it overrides `MiniGridEnv.step`, its own step. [`Empty`], [`LavaGap`], [`DoorKey`]
//!   and [`DynamicObstacles`] are `MiniGrid` over their tasks.
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

#[cfg(test)]
pub(crate) mod test_support;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::environment::check_state_len;
pub use super::environment::{EnvError, Environment, Step, check_action};
pub use door_key::DoorKey;
pub use dynamic_obstacles::DynamicObstacles;
pub use empty::Empty;
use grid::{Action, GridWorld};
pub use lava_gap::LavaGap;

/// What one MiniGrid environment adds to [`MiniGrid`]: the part a `MiniGridEnv` subclass
/// defines. The value holds the task's own per-episode data (none for most tasks; the
/// obstacles and their generator for Dynamic-Obstacles).
pub trait Task: Default + Clone + std::fmt::Debug + Send {
    /// Gymnasium id, e.g. `MiniGrid-Empty-5x5-v0`.
    const ID: &'static str;
    /// MiniGrid's default `max_steps` for this environment.
    const MAX_STEPS: usize;
    /// Size of the `action_space` (7, or fewer where the subclass restricts it).
    const NUM_ACTIONS: usize;

    /// `_gen_grid`: the layout of a new episode with time limit `max_steps`, drawn from `rng`
    /// in MiniGrid's order, resetting the task's own per-episode data.
    fn generate(&mut self, max_steps: usize, rng: &mut ChaCha8Rng) -> GridWorld;

    /// One step on `world` with `action < NUM_ACTIONS` (the caller has debug-asserted the
    /// range): `(reward, terminated, truncated)`. The default is `MiniGridEnv.step` with the
    /// full action space, an out-of-range action (release builds) acting as `done` (a no-op
    /// that still counts a step) where MiniGrid raises `ValueError`.
    fn step(&mut self, world: &mut GridWorld, action: usize) -> (f64, bool, bool) {
        world.step(Action::from_index(action).unwrap_or(Action::Done))
    }

    /// Entries the task appends to the flat state (after the world's).
    fn extra_state(&self) -> Vec<f64> {
        Vec::new()
    }

    /// Restore the task's data from `extra` (as [`extra_state`](Self::extra_state) wrote it,
    /// length checked by the caller) for the already restored `world`. On an invalid value
    /// nothing changes and the error says why.
    fn set_extra_state(&mut self, world: &GridWorld, extra: &[f64]) -> Result<(), String> {
        let _ = (world, extra);
        Ok(())
    }
}

/// A MiniGrid environment with the fully observable observation: `MiniGridEnv` with
/// `FullyObsWrapper`, over task `T` (observation, state, rewards and truncation in the
/// [module-level doc](self)).
#[derive(Debug, Clone)]
pub struct MiniGrid<T: Task> {
    world: GridWorld,
    task: T,
}

impl<T: Task> Default for MiniGrid<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Task> MiniGrid<T> {
    /// The environment with MiniGrid's `max_steps` ([`Task::MAX_STEPS`]), in the layout
    /// `reset` draws from `ChaCha8Rng::seed_from_u64(0)`.
    pub fn new() -> Self {
        Self::with_max_steps(T::MAX_STEPS)
    }

    /// The environment with a custom `max_steps` (time limit and reward scale).
    ///
    /// # Panics
    /// If `max_steps == 0`.
    pub fn with_max_steps(max_steps: usize) -> Self {
        assert!(max_steps > 0, "{}: max_steps must be positive", T::ID);
        let mut task = T::default();
        let world = task.generate(max_steps, &mut ChaCha8Rng::seed_from_u64(0));
        Self { world, task }
    }

    /// The current world (grid, agent, carried object, step count).
    pub fn world(&self) -> &GridWorld {
        &self.world
    }
}

impl<T: Task> Environment for MiniGrid<T> {
    fn id(&self) -> &str {
        T::ID
    }

    fn observation_dim(&self) -> usize {
        self.world.grid.width() * self.world.grid.height() * 3
    }

    fn num_actions(&self) -> usize {
        T::NUM_ACTIONS
    }

    fn reset(&mut self, rng: &mut ChaCha8Rng) -> Vec<f64> {
        self.world = self.task.generate(self.world.max_steps, rng);
        self.world.full_obs()
    }

    fn step(&mut self, action: usize) -> Step {
        debug_assert!(
            action < T::NUM_ACTIONS,
            "{}: action {action} out of range",
            T::ID
        );
        let (reward, terminated, truncated) = self.task.step(&mut self.world, action);
        Step {
            obs: self.world.full_obs(),
            reward,
            terminated,
            truncated,
        }
    }

    fn state(&self) -> Vec<f64> {
        let mut s = self.world.state();
        s.extend(self.task.extra_state());
        s
    }

    /// # Panics
    /// If the content is not a valid MiniGrid state (see [`GridWorld::set_state`] and the
    /// task's [`Task::set_extra_state`]); the shared [`EnvError`] has no variant for that.
    fn set_state(&mut self, state: &[f64]) -> Result<(), EnvError> {
        let n = self.world.state_len();
        check_state_len(T::ID, state, n + self.task.extra_state().len())?;
        let mut world = self.world.clone();
        let restored = world
            .set_state(&state[..n])
            .and_then(|()| self.task.set_extra_state(&world, &state[n..]));
        restored.map_err(|reason| EnvError::InvalidState {
            env: T::ID.to_string(),
            reason,
        })?;
        self.world = world;
        Ok(())
    }
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
