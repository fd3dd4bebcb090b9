//! `MiniGrid-Empty-5x5-v0`: an empty room; the agent starts in the top-left corner and must
//! reach the goal in the bottom-right corner.
//!
//! Port of `minigrid/envs/empty.py` (`EmptyEnv(size=5)`, defaults `agent_start_pos=(1, 1)`,
//! `agent_start_dir=0`) of the `minigrid` package 3.2.0 (Chevalier-Boisvert et al., 2023).

use rand_chacha::ChaCha8Rng;

use super::grid::{Grid, GridWorld};
use super::{MiniGrid, Task};

/// Gymnasium id of this environment.
pub const ID: &str = "MiniGrid-Empty-5x5-v0";
/// Grid side length (walls included).
pub const SIZE: usize = 5;
/// MiniGrid's default `max_steps`: `4 * size**2` = 100.
pub const MAX_STEPS: usize = 4 * SIZE * SIZE;
/// Number of actions: MiniGrid's full action space.
pub const NUM_ACTIONS: usize = 7;

/// The empty room (`MiniGrid-Empty-5x5-v0`) with the fully observable observation.
///
/// * Layout: outer wall, goal at `(3, 3)`, agent at `(1, 1)` facing right (direction 0).
///   The layout is fixed: `reset` draws nothing from the generator.
/// * Actions (7): MiniGrid's `Actions` (see [`super::grid::Action`]); only left, right and
///   forward have an effect here. Out-of-range actions (a caller bug, see
///   [`check_action`](super::check_action)) debug-assert; release builds treat them as `done` (a
///   no-op that still counts a step) where MiniGrid raises `ValueError`.
/// * Observation, state, rewards and truncation (100 steps): see the [module-level
///   doc](super).
pub type Empty = MiniGrid<EmptyTask>;

/// The layout of [`Empty`] (`EmptyEnv`).
#[derive(Debug, Clone, Default)]
pub struct EmptyTask;

impl Task for EmptyTask {
    const ID: &'static str = ID;
    const MAX_STEPS: usize = MAX_STEPS;
    const NUM_ACTIONS: usize = NUM_ACTIONS;

    /// `EmptyEnv._gen_grid(5, 5)`.
    fn generate(&mut self, max_steps: usize, _rng: &mut ChaCha8Rng) -> GridWorld {
        let grid = Grid::walled_room_with_goal(SIZE, SIZE);
        GridWorld::new(grid, (1, 1), 0, max_steps)
    }
}

#[cfg(test)]
mod tests {
    use super::super::EnvError;
    use super::super::Environment;
    use super::super::grid::Action;
    use super::super::test_support::{ALL_ACTIONS, replay_plain, shortest_solution};
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn matches_minigrid_fixture() {
        let report = replay_plain("empty_5x5_v0.json", &mut Empty::new());
        assert!(report.goal_episodes >= 1 && report.truncated_episodes >= 1);
    }

    #[test]
    fn reset_layout() {
        let mut env = Empty::new();
        let obs = env.reset(&mut ChaCha8Rng::seed_from_u64(0));
        assert_eq!(obs.len(), 75);
        // Agent at (1, 1) facing right, goal at (3, 3), walls around.
        assert_eq!(&obs[(5 + 1) * 3..(5 + 1) * 3 + 3], &[10.0, 0.0, 0.0]);
        assert_eq!(&obs[(3 * 5 + 3) * 3..(3 * 5 + 3) * 3 + 3], &[8.0, 1.0, 0.0]);
        assert_eq!(obs.iter().step_by(3).filter(|&&v| v == 2.0).count(), 16);
        assert_eq!(
            shortest_solution(env.world(), &ALL_ACTIONS),
            Some(5), // forward, forward, right, forward, forward
        );
    }

    #[test]
    fn invalid_state_content_is_an_error_and_leaves_the_environment_unchanged() {
        let mut env = Empty::new();
        let before = env.state();
        let mut s = before.clone();
        s[0] = 0.0; // agent inside the outer wall
        let err = env.set_state(&s).unwrap_err();
        assert!(
            matches!(&err, EnvError::InvalidState { env, .. } if env == ID),
            "{err}"
        );
        assert!(err.to_string().contains("invalid state"), "{err}");
        assert_eq!(env.state(), before);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "out of range")]
    fn step_out_of_range_debug_asserts() {
        Empty::new().step(7);
    }

    #[test]
    fn goal_reward_and_state_round_trip() {
        let mut env = Empty::new();
        for a in [
            Action::Forward,
            Action::Forward,
            Action::Right,
            Action::Forward,
        ] {
            assert_eq!(env.step(a as usize).reward, 0.0);
        }
        let s = env.state();
        let mut other = Empty::new();
        other.set_state(&s).unwrap();
        assert_eq!(other.state(), s);
        let step = other.step(Action::Forward as usize);
        assert!(step.terminated && !step.truncated);
        assert_eq!(step.reward, 1.0 - 0.9 * (5.0 / 100.0));
    }
}
