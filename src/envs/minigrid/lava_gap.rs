//! `MiniGrid-LavaGapS5-v0`: a vertical strip of lava with a one-cell gap separates the agent
//! from the goal; stepping on lava ends the episode with no reward.
//!
//! Port of `minigrid/envs/lavagap.py` (`LavaGapEnv(size=5)`, `obstacle_type=Lava`) of the
//! `minigrid` package 3.2.0 (Chevalier-Boisvert et al., 2023).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::grid::{Grid, GridWorld, WorldObj};
use super::{MiniGrid, Task};

/// Gymnasium id of this environment.
pub const ID: &str = "MiniGrid-LavaGapS5-v0";
/// Grid side length (walls included).
pub const SIZE: usize = 5;
/// MiniGrid's default `max_steps`: `4 * size**2` = 100.
pub const MAX_STEPS: usize = 4 * SIZE * SIZE;
/// Number of actions: MiniGrid's full action space.
pub const NUM_ACTIONS: usize = 7;

/// The lava-gap room (`MiniGrid-LavaGapS5-v0`) with the fully observable observation.
///
/// * Layout (`LavaGapEnv._gen_grid`): outer wall, agent at `(1, 1)` facing right, goal at
///   `(3, 3)`; the gap position is drawn as `x ~ U{2, .., size-3}` (always 2 for size 5,
///   still drawn as MiniGrid does), then `y ~ U{1, .., size-2}`; column `x` rows
///   `1..size-1` are lava except the gap cell.
/// * Actions (7): MiniGrid's `Actions` ([`super::grid::Action`]). Out-of-range actions (a caller
///   bug, see [`check_action`](super::check_action)) debug-assert; release builds treat them as
///   `done` (a no-op that still counts a step) where MiniGrid raises `ValueError`.
/// * Stepping onto lava: the agent moves onto it, `terminated`, reward 0.
/// * Observation, state, rewards and truncation (100 steps): see the [module-level
///   doc](super).
pub type LavaGap = MiniGrid<LavaGapTask>;

/// The layout of [`LavaGap`] (`LavaGapEnv`).
#[derive(Debug, Clone, Default)]
pub struct LavaGapTask;

impl Task for LavaGapTask {
    const ID: &'static str = ID;
    const MAX_STEPS: usize = MAX_STEPS;
    const NUM_ACTIONS: usize = NUM_ACTIONS;

    /// `LavaGapEnv._gen_grid(5, 5)`.
    fn generate(&mut self, max_steps: usize, rng: &mut ChaCha8Rng) -> GridWorld {
        let (w, h) = (SIZE, SIZE);
        let mut grid = Grid::walled_room_with_goal(w, h);
        let gap_x = rng.random_range(2..w - 2);
        let gap_y = rng.random_range(1..h - 1);
        grid.vert_wall(gap_x, 1, h - 2, WorldObj::lava());
        grid.set(gap_x, gap_y, None);
        GridWorld::new(grid, (1, 1), 0, max_steps)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Environment;
    use super::super::grid::{Action, ObjectType};
    use super::super::test_support::{ALL_ACTIONS, replay_plain, shortest_solution};
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn matches_minigrid_fixture() {
        let report = replay_plain("lava_gap_s5_v0.json", &mut LavaGap::new());
        assert!(report.goal_episodes >= 1);
        assert!(report.failed_episodes >= 1);
        assert!(report.truncated_episodes >= 1);
    }

    #[test]
    fn reset_layouts_valid_and_uniform() {
        let mut env = LavaGap::new();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut gap_counts = [0usize; 5];
        let n = 3000;
        for _ in 0..n {
            env.reset(&mut rng);
            let w = env.world();
            assert_eq!((w.agent_pos, w.agent_dir), ((1, 1), 0));
            assert_eq!(w.grid.get(3, 3), Some(WorldObj::goal()));
            let lava: Vec<_> = (1..4)
                .filter(|&y| w.grid.get(2, y).is_some_and(|c| c.kind == ObjectType::Lava))
                .collect();
            assert_eq!(lava.len(), 2);
            let gap = (1..4).find(|&y| w.grid.get(2, y).is_none()).unwrap();
            gap_counts[gap] += 1;
            // Solvable; shortest path length depends on the gap row.
            let len = shortest_solution(w, &ALL_ACTIONS).unwrap();
            assert!((5..=8).contains(&len), "{len}");
        }
        for (y, &c) in gap_counts.iter().enumerate().take(4).skip(1) {
            let p = c as f64 / n as f64;
            assert!((p - 1.0 / 3.0).abs() < 0.04, "gap row {y}: {p}");
        }
    }

    #[test]
    fn lava_terminates_without_reward() {
        let mut env = LavaGap::new();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        loop {
            env.reset(&mut rng);
            if env.world().grid.get(2, 1).is_some() {
                break;
            }
        }
        let s = env.step(Action::Forward as usize);
        assert!(s.terminated && !s.truncated && s.reward == 0.0);
        assert_eq!(env.world().agent_pos, (2, 1));
        assert_eq!(
            &s.obs[(2 * 5 + 1) * 3..(2 * 5 + 1) * 3 + 3],
            &[10.0, 0.0, 0.0]
        );
    }
}
