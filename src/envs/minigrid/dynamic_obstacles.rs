//! `MiniGrid-Dynamic-Obstacles-5x5-v0`: reach the goal while two balls move randomly; stepping
//! forward into a ball (or a wall) gives −1 and ends the episode.
//!
//! Port of `minigrid/envs/dynamicobstacles.py` (`DynamicObstaclesEnv(size=5, n_obstacles=2)`,
//! defaults `agent_start_pos=(1, 1)`, `agent_start_dir=0`) of the `minigrid` package 3.2.0
//! (Chevalier-Boisvert et al., 2023).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::grid::{Action, Color, Grid, GridWorld, ObjectType, WorldObj};
use super::{MiniGrid, Step, Task};

/// Gymnasium id of this environment.
pub const ID: &str = "MiniGrid-Dynamic-Obstacles-5x5-v0";
/// Grid side length (walls included).
pub const SIZE: usize = 5;
/// MiniGrid's default `max_steps`: `4 * size**2` = 100.
pub const MAX_STEPS: usize = 4 * SIZE * SIZE;
/// Number of obstacles (the registry's `n_obstacles=2`).
pub const N_OBSTACLES: usize = 2;
/// Number of actions: MiniGrid restricts this environment's `action_space` to
/// `Discrete(3)` (left, right, forward).
pub const NUM_ACTIONS: usize = 3;
/// `place_obj(..., max_tries=100)` for an obstacle move.
pub const MOVE_MAX_TRIES: usize = 100;

/// The dynamic-obstacles room (`MiniGrid-Dynamic-Obstacles-5x5-v0`) with the fully observable
/// observation.
///
/// * Layout (`_gen_grid`): outer wall, goal at `(3, 3)`, agent at `(1, 1)` facing right, then
///   two blue balls each placed uniformly on an empty non-agent cell (in order).
/// * Actions (3): left, right, forward. An out-of-range action debug-asserts; release builds
///   map it to `left` (0), as MiniGrid's `step` does.
/// * Step (`DynamicObstaclesEnv.step`): (1) `not_clear` = the cell in front holds an object
///   other than the goal (a ball or a wall); (2) each obstacle in turn moves to a uniformly
///   drawn empty, non-agent cell of the 3×3 square centred on it (clipped to the grid; its
///   own cell is occupied so it cannot stay), by rejection sampling with at most 101 draws,
///   staying put if all fail; (3) `MiniGridEnv.step(action)`; (4) if the action is forward
///   and `not_clear`, reward −1 and `terminated` (even if the ball has moved away and the
///   agent advanced).
/// * Obstacle moves are drawn from a generator owned by the environment, re-seeded from the
///   `reset` generator (`ChaCha8Rng::from_rng`) at each `reset`; it is not part of the state.
///   [`step_with_obstacle_moves`](DynamicObstacles::step_with_obstacle_moves) applies given moves
///   instead (used to replay MiniGrid trajectories, whose numpy draws we cannot reproduce).
/// * State: the common layout (see the [module-level doc](super)) followed by `x, y` of each
///   obstacle in movement order (length 85); `set_state` panics if those cells do not hold
///   balls or coincide.
pub type DynamicObstacles = MiniGrid<DynamicObstaclesTask>;

/// The layout and dynamics of [`DynamicObstacles`] (`DynamicObstaclesEnv`): the obstacles'
/// positions in movement order and the generator of their moves.
#[derive(Debug, Clone)]
pub struct DynamicObstaclesTask {
    obstacles: Vec<(usize, usize)>,
    rng: ChaCha8Rng,
}

impl Default for DynamicObstaclesTask {
    fn default() -> Self {
        Self {
            obstacles: Vec::new(),
            rng: ChaCha8Rng::seed_from_u64(0),
        }
    }
}

impl Task for DynamicObstaclesTask {
    const ID: &'static str = ID;
    const MAX_STEPS: usize = MAX_STEPS;
    const NUM_ACTIONS: usize = NUM_ACTIONS;

    /// `DynamicObstaclesEnv._gen_grid(5, 5)`, then the obstacle-move generator re-seeded from
    /// `rng`.
    fn generate(&mut self, max_steps: usize, rng: &mut ChaCha8Rng) -> GridWorld {
        let grid = Grid::walled_room_with_goal(SIZE, SIZE);
        let mut world = GridWorld::new(grid, (1, 1), 0, max_steps);
        self.obstacles.clear();
        for _ in 0..N_OBSTACLES {
            // MiniGrid uses max_tries=100 here and raises on failure; with 7 free cells for 2
            // balls that has probability < 1e-14, so we search without bound instead.
            let ball = WorldObj::ball(Color::Blue);
            let pos = world.place_obj(rng, ball, (0, 0), (SIZE, SIZE));
            self.obstacles.push(pos);
        }
        self.rng = ChaCha8Rng::from_rng(rng);
        world
    }

    fn step(&mut self, world: &mut GridWorld, action: usize) -> (f64, bool, bool) {
        let not_clear = not_clear(world);
        for i in 0..self.obstacles.len() {
            let old = self.obstacles[i];
            let top = (old.0.saturating_sub(1), old.1.saturating_sub(1));
            if let Some(new) =
                world.find_empty_pos(&mut self.rng, top, (3, 3), Some(MOVE_MAX_TRIES))
            {
                self.move_obstacle(world, i, new);
            }
        }
        finish_step(world, action, not_clear)
    }

    fn extra_state(&self) -> Vec<f64> {
        self.obstacles
            .iter()
            .flat_map(|&(x, y)| [x as f64, y as f64])
            .collect()
    }

    /// Errors if an obstacle position is not a distinct cell holding a ball.
    fn set_extra_state(&mut self, world: &GridWorld, extra: &[f64]) -> Result<(), String> {
        let mut obstacles = Vec::with_capacity(N_OBSTACLES);
        for (i, p) in extra.chunks(2).enumerate() {
            let pos = (p[0] as usize, p[1] as usize);
            let valid = p
                .iter()
                .all(|v| v.fract() == 0.0 && (0.0..SIZE as f64).contains(v))
                && world
                    .grid
                    .get(pos.0, pos.1)
                    .is_some_and(|c| c.kind == ObjectType::Ball)
                && !obstacles.contains(&pos);
            if !valid {
                return Err(format!("obstacle {i} at {p:?} is not a distinct ball cell"));
            }
            obstacles.push(pos);
        }
        self.obstacles = obstacles;
        Ok(())
    }
}

impl DynamicObstaclesTask {
    /// Move obstacle `i` to `new` (`place_obj` then clearing the old cell).
    fn move_obstacle(&mut self, world: &mut GridWorld, i: usize, new: (usize, usize)) {
        let old = self.obstacles[i];
        let ball = world.grid.get(old.0, old.1);
        world.grid.set(new.0, new.1, ball);
        world.grid.set(old.0, old.1, None);
        self.obstacles[i] = new;
    }
}

/// Step (1): is there an object other than the goal in front of the agent?
fn not_clear(world: &GridWorld) -> bool {
    world
        .front_cell()
        .is_some_and(|c| c.kind != ObjectType::Goal)
}

/// Steps (3) and (4); an out-of-range action (release builds) is `left`, as in MiniGrid.
fn finish_step(world: &mut GridWorld, action: usize, not_clear: bool) -> (f64, bool, bool) {
    let a = Action::from_index(action)
        .filter(|_| action < NUM_ACTIONS)
        .unwrap_or(Action::Left);
    let (mut reward, mut terminated, truncated) = world.step(a);
    if a == Action::Forward && not_clear {
        reward = -1.0;
        terminated = true;
    }
    (reward, terminated, truncated)
}

impl DynamicObstacles {
    /// Obstacle positions in movement order.
    pub fn obstacles(&self) -> &[(usize, usize)] {
        &self.task.obstacles
    }

    /// `step` with the obstacle moves given instead of drawn: `new_positions[i]` is where
    /// obstacle `i` is after this step's move (its old position for "stayed put"). Moves are
    /// applied in order, each checked against the grid as left by the previous ones: a new
    /// position must be an empty, non-agent cell of the 3×3 square centred on the old one.
    /// On an illegal move (or a wrong count) nothing changes and the error says why.
    pub fn step_with_obstacle_moves(
        &mut self,
        action: usize,
        new_positions: &[(usize, usize)],
    ) -> Result<Step, String> {
        if new_positions.len() != self.task.obstacles.len() {
            return Err(format!(
                "{} obstacle positions given, the environment has {}",
                new_positions.len(),
                self.task.obstacles.len()
            ));
        }
        let mut world = self.world.clone();
        let mut task = self.task.clone();
        let not_clear = not_clear(&world);
        for (i, &new) in new_positions.iter().enumerate() {
            let old = task.obstacles[i];
            if new == old {
                continue;
            }
            let in_square = |c: usize, o: usize| o.saturating_sub(1) <= c && c <= o + 1;
            if !in_square(new.0, old.0)
                || !in_square(new.1, old.1)
                || new.0 >= SIZE
                || new.1 >= SIZE
                || world.grid.get(new.0, new.1).is_some()
                || new == world.agent_pos
            {
                return Err(format!("obstacle {i}: illegal move {old:?} -> {new:?}"));
            }
            task.move_obstacle(&mut world, i, new);
        }
        debug_assert!(action < NUM_ACTIONS, "{ID}: action {action} out of range");
        let (reward, terminated, truncated) = finish_step(&mut world, action, not_clear);
        self.world = world;
        self.task = task;
        Ok(Step {
            obs: self.world.full_obs(),
            reward,
            terminated,
            truncated,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::EnvError;
    use super::super::Environment;
    use super::super::test_support::{load_fixture, replay};
    use super::*;

    #[test]
    fn matches_minigrid_fixture_with_recorded_obstacle_moves() {
        let fx = load_fixture("dynamic_obstacles_5x5_v0.json");
        let mut env = DynamicObstacles::new();
        let report = replay(&fx, &mut env, |env, ep, t, a| {
            let moves = &ep.obstacles[t];
            let s = env.step_with_obstacle_moves(a, moves).unwrap();
            assert_eq!(env.obstacles(), moves.as_slice());
            s
        });
        assert!(report.goal_episodes >= 1);
        assert!(report.failed_episodes >= 1);
        assert!(report.truncated_episodes >= 1);
    }

    #[test]
    fn reset_layouts_valid_and_uniform() {
        let mut env = DynamicObstacles::new();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut counts: HashMap<(usize, usize), usize> = HashMap::new();
        let n = 7000;
        for _ in 0..n {
            env.reset(&mut rng);
            let w = env.world();
            assert_eq!((w.agent_pos, w.agent_dir), ((1, 1), 0));
            assert_eq!(w.grid.get(3, 3), Some(WorldObj::goal()));
            let obs = env.obstacles();
            assert_eq!(obs.len(), 2);
            assert_ne!(obs[0], obs[1]);
            for &p in obs {
                assert_eq!(w.grid.get(p.0, p.1), Some(WorldObj::ball(Color::Blue)));
                *counts.entry(p).or_default() += 1;
            }
        }
        // Each ball is uniform over the 7 interior cells other than the agent's and the goal's.
        assert_eq!(counts.len(), 7);
        for (p, &c) in &counts {
            let f = c as f64 / (2 * n) as f64;
            assert!((f - 1.0 / 7.0).abs() < 0.015, "{p:?}: {f}");
        }
    }

    #[test]
    fn obstacles_move_to_uniform_free_neighbours() {
        let mut env = DynamicObstacles::new();
        // Agent (1, 1) facing down; balls at (2, 2) and (3, 1); goal (3, 3).
        let mut s = env.state();
        for x in 1..4 {
            for y in 1..4 {
                let k = 6 + (x * 5 + y) * 3;
                if (x, y) != (3, 3) {
                    s[k..k + 3].copy_from_slice(&[1.0, 0.0, 0.0]);
                }
            }
        }
        for (x, y) in [(2, 2), (3, 1)] {
            let k = 6 + (x * 5 + y) * 3;
            s[k..k + 3].copy_from_slice(&[6.0, 2.0, 0.0]);
        }
        s[2] = 1.0;
        s[81..85].copy_from_slice(&[2.0, 2.0, 3.0, 1.0]);
        let mut counts: HashMap<(usize, usize), usize> = HashMap::new();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let n = 6000;
        for _ in 0..n {
            env.reset(&mut rng);
            env.set_state(&s).unwrap();
            let step = env.step(0);
            assert!(!step.terminated);
            let o = env.obstacles();
            // Ball 0 moves first: free neighbours of (2, 2) are (1, 2), (1, 3), (2, 1), (2, 3),
            // (3, 2) — not the agent (1, 1), the goal, or ball 1 at (3, 1).
            assert!(
                [(1, 2), (1, 3), (2, 1), (2, 3), (3, 2)].contains(&o[0]),
                "{o:?}"
            );
            *counts.entry(o[0]).or_default() += 1;
            assert_ne!(o[1], (3, 1));
            assert_ne!(o[0], o[1]);
        }
        assert_eq!(counts.len(), 5);
        for (p, &c) in &counts {
            let f = c as f64 / n as f64;
            assert!((f - 0.2).abs() < 0.025, "{p:?}: {f}");
        }
    }

    #[test]
    fn collisions_give_minus_one() {
        let mut env = DynamicObstacles::new();
        // Facing up into the wall: -1, terminated, the agent does not move.
        let mut s = env.state();
        s[2] = 3.0;
        env.set_state(&s).unwrap();
        let pos = env.obstacles().to_vec();
        let step = env.step_with_obstacle_moves(2, &pos).unwrap();
        assert!(step.terminated && step.reward == -1.0);
        assert_eq!(env.world().agent_pos, (1, 1));
        // A ball in front that moves away: -1 although the agent advances.
        let mut s = env.state();
        s[2] = 0.0;
        s[3] = 0.0;
        let (k_old, k_new) = (6 + (2 * 5 + 1) * 3, 6 + (3 * 5 + 2) * 3);
        for (x, y) in env.obstacles().to_vec() {
            let k = 6 + (x * 5 + y) * 3;
            s[k..k + 3].copy_from_slice(&[1.0, 0.0, 0.0]);
        }
        s[k_old..k_old + 3].copy_from_slice(&[6.0, 2.0, 0.0]);
        s[6 + (5 + 3) * 3..6 + (5 + 3) * 3 + 3].copy_from_slice(&[6.0, 2.0, 0.0]);
        s[81..85].copy_from_slice(&[2.0, 1.0, 1.0, 3.0]);
        env.set_state(&s).unwrap();
        let step = env.step_with_obstacle_moves(2, &[(3, 2), (1, 3)]).unwrap();
        assert!(step.terminated && step.reward == -1.0);
        assert_eq!(env.world().agent_pos, (2, 1));
        assert_eq!(env.state()[k_new], 6.0);
        // Illegal moves are rejected and leave the environment unchanged.
        env.set_state(&s).unwrap();
        assert!(env.step_with_obstacle_moves(2, &[(1, 1), (1, 3)]).is_err());
        assert!(env.step_with_obstacle_moves(2, &[(2, 3), (1, 3)]).is_err());
        assert!(env.step_with_obstacle_moves(2, &[(2, 1)]).is_err());
        assert_eq!(env.state(), s);
    }

    #[test]
    fn obstacle_not_on_a_ball_is_an_error_and_leaves_the_environment_unchanged() {
        let mut env = DynamicObstacles::new();
        let before = env.state();
        let mut s = before.clone();
        s[81] = 1.0;
        s[82] = 1.0; // the agent's (empty) cell
        let err = env.set_state(&s).unwrap_err();
        assert!(
            matches!(&err, EnvError::InvalidState { env, .. } if env == ID),
            "{err}"
        );
        assert_eq!(env.state(), before);
    }
}
