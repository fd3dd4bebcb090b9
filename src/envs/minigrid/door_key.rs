//! `MiniGrid-DoorKey-5x5-v0`: pick up the key, unlock the door in the splitting wall, and
//! reach the goal on the other side.
//!
//! Port of `minigrid/envs/doorkey.py` (`DoorKeyEnv(size=5)`) of the `minigrid` package 3.2.0
//! (Chevalier-Boisvert et al., 2023).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::grid::{Color, DoorState, Grid, GridWorld, WorldObj};
use super::{MiniGrid, Task};

/// Gymnasium id of this environment.
pub const ID: &str = "MiniGrid-DoorKey-5x5-v0";
/// Grid side length (walls included).
pub const SIZE: usize = 5;
/// MiniGrid's default `max_steps`: `10 * size**2` = 250.
pub const MAX_STEPS: usize = 10 * SIZE * SIZE;
/// Number of actions: MiniGrid's full action space.
pub const NUM_ACTIONS: usize = 7;

/// The door-key room (`MiniGrid-DoorKey-5x5-v0`) with the fully observable observation.
///
/// * Layout (`DoorKeyEnv._gen_grid`, draws in this order): outer wall; goal at `(3, 3)`;
///   splitting wall column `x ~ U{2, .., size-3}` (always 2 for size 5) over the full height;
///   the agent uniformly on an empty cell left of the wall (rejection sampling, as
///   `place_agent`), direction `U{0..3}`; a locked yellow door at row `U{1, .., size-3}` of the
///   wall; a yellow key uniformly on an empty, non-agent cell left of the wall.
/// * Actions (7): MiniGrid's `Actions` ([`super::grid::Action`]): pickup takes the key,
///   toggle with the key unlocks and opens the door (toggle then closes/opens it), drop puts
///   the key on an empty front cell. Out-of-range actions (a caller bug, see
///   [`check_action`](super::check_action)) debug-assert; release builds treat them as `done` (a
///   no-op that still counts a step) where MiniGrid raises `ValueError`.
/// * Observation, state, rewards and truncation (250 steps): see the [module-level
///   doc](super). The carried key is in the state, not in the observation.
pub type DoorKey = MiniGrid<DoorKeyTask>;

/// The layout of [`DoorKey`] (`DoorKeyEnv`).
#[derive(Debug, Clone, Default)]
pub struct DoorKeyTask;

impl Task for DoorKeyTask {
    const ID: &'static str = ID;
    const MAX_STEPS: usize = MAX_STEPS;
    const NUM_ACTIONS: usize = NUM_ACTIONS;

    /// `DoorKeyEnv._gen_grid(5, 5)`.
    fn generate(&mut self, max_steps: usize, rng: &mut ChaCha8Rng) -> GridWorld {
        let (w, h) = (SIZE, SIZE);
        let mut grid = Grid::walled_room_with_goal(w, h);
        let split = rng.random_range(2..w - 2);
        grid.vert_wall(split, 0, h, WorldObj::wall());
        // `place_agent(size=(split, height))`: the agent is placed while `agent_pos = (-1, -1)`.
        let mut world = GridWorld::new(grid, (usize::MAX, usize::MAX), 0, max_steps);
        world.agent_pos = world.empty_pos(rng, (0, 0), (split, h));
        world.agent_dir = rng.random_range(0..4);
        let door_y = rng.random_range(1..h - 2);
        world.grid.set(
            split,
            door_y,
            Some(WorldObj::door(Color::Yellow, DoorState::Locked)),
        );
        world.place_obj(rng, WorldObj::key(Color::Yellow), (0, 0), (split, h));
        world
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::Environment;
    use super::super::grid::{Action, ObjectType};
    use super::super::test_support::{ALL_ACTIONS, replay_plain, shortest_solution};
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn matches_minigrid_fixture() {
        let report = replay_plain("door_key_5x5_v0.json", &mut DoorKey::new());
        assert!(report.goal_episodes >= 1 && report.truncated_episodes >= 1);
    }

    #[test]
    fn reset_layouts_valid_and_uniform() {
        let mut env = DoorKey::new();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        // (agent cell, agent direction, door row, key cell) -> count.
        type Layout = ((usize, usize), usize, usize, (usize, usize));
        let mut counts: HashMap<Layout, usize> = HashMap::new();
        let n = 6000;
        for _ in 0..n {
            env.reset(&mut rng);
            let w = env.world();
            assert_eq!(w.grid.get(3, 3), Some(WorldObj::goal()));
            assert_eq!(w.agent_pos.0, 1);
            assert!(w.carrying.is_none() && w.step_count == 0);
            let door_y = (1..4)
                .find(|&y| w.grid.get(2, y).is_some_and(|c| c.kind == ObjectType::Door))
                .unwrap();
            assert!(door_y <= 2);
            assert_eq!(
                w.grid.get(2, door_y),
                Some(WorldObj::door(Color::Yellow, DoorState::Locked))
            );
            let keys: Vec<_> = (1..4)
                .filter(|&y| w.grid.get(1, y) == Some(WorldObj::key(Color::Yellow)))
                .map(|y| (1, y))
                .collect();
            assert_eq!(keys.len(), 1);
            assert_ne!(keys[0], w.agent_pos);
            let c = counts
                .entry((w.agent_pos, w.agent_dir, door_y, keys[0]))
                .or_default();
            if *c == 0 {
                // Solvable (BFS once per distinct layout).
                assert!(shortest_solution(w, &ALL_ACTIONS).is_some());
            }
            *c += 1;
        }
        // 3 agent cells x 4 directions x 2 door rows x 2 key cells, all equally likely.
        assert_eq!(counts.len(), 48);
        for (k, &c) in &counts {
            let p = c as f64 / n as f64;
            assert!((p - 1.0 / 48.0).abs() < 0.008, "{k:?}: {p}");
        }
    }

    #[test]
    fn door_mechanics() {
        let mut env = DoorKey::new();
        // Agent (1, 2) facing up at the key (1, 1); locked door at (2, 2).
        let mut s = env.state();
        let cell = |x: usize, y: usize| 6 + (x * 5 + y) * 3;
        for y in 1..4 {
            s[cell(1, y)..cell(1, y) + 3].copy_from_slice(&[1.0, 0.0, 0.0]);
            s[cell(2, y)..cell(2, y) + 3].copy_from_slice(&[2.0, 5.0, 0.0]);
        }
        s[cell(1, 1)..cell(1, 1) + 3].copy_from_slice(&[5.0, 4.0, 0.0]);
        s[cell(2, 2)..cell(2, 2) + 3].copy_from_slice(&[4.0, 4.0, 2.0]);
        s[..4].copy_from_slice(&[1.0, 2.0, 3.0, 0.0]);
        env.set_state(&s).unwrap();
        let door = |env: &DoorKey| env.world().grid.get(2, 2).unwrap().door;
        // Without the key the locked door does not open.
        env.step(Action::Right as usize);
        env.step(Action::Toggle as usize);
        assert_eq!(door(&env), DoorState::Locked);
        env.step(Action::Forward as usize);
        assert_eq!(env.world().agent_pos, (1, 2));
        env.step(Action::Left as usize);
        env.step(Action::Pickup as usize);
        assert_eq!(env.world().carrying, Some(WorldObj::key(Color::Yellow)));
        assert_eq!(env.state()[4..6], [5.0, 4.0]);
        env.step(Action::Right as usize);
        env.step(Action::Toggle as usize);
        assert_eq!(door(&env), DoorState::Open);
        env.step(Action::Toggle as usize);
        assert_eq!(door(&env), DoorState::Closed);
        env.step(Action::Forward as usize);
        assert_eq!(env.world().agent_pos, (1, 2));
        env.step(Action::Toggle as usize);
        let s = env.step(Action::Forward as usize);
        assert_eq!(env.world().agent_pos, (2, 2));
        // The agent overlay hides the open door; the key is still carried.
        assert_eq!(&s.obs[cell(2, 2) - 6..cell(2, 2) - 3], &[10.0, 0.0, 0.0]);
        assert_eq!(env.state()[cell(2, 2)..cell(2, 2) + 3], [4.0, 4.0, 0.0]);
        // Drop onto the (empty) cell in front, pick it up again.
        env.step(Action::Drop as usize);
        assert!(env.world().carrying.is_none());
        assert_eq!(
            env.world().grid.get(3, 2),
            Some(WorldObj::key(Color::Yellow))
        );
        env.step(Action::Pickup as usize);
        env.step(Action::Forward as usize);
        env.step(Action::Right as usize);
        let s = env.step(Action::Forward as usize);
        assert!(s.terminated);
        assert_eq!(s.reward, 1.0 - 0.9 * (16.0 / 250.0));
    }
}
