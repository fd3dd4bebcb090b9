//! `MountainCar-v0`: an under-powered car in a valley must rock back and forth to reach the
//! flag on the right hill.
//!
//! Port of Gymnasium's `gymnasium/envs/classic_control/mountain_car.py` (`MountainCarEnv`,
//! `goal_velocity = 0`), after Moore, "Efficient memory-based learning for robot control",
//! PhD thesis, University of Cambridge, 1990. Time limit as in Gymnasium's registry: 200.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::{ClassicControl, Physics};

/// Gymnasium id of this environment.
pub const ID: &str = "MountainCar-v0";
/// Gymnasium registry `max_episode_steps` for `MountainCar-v0`.
pub const MAX_EPISODE_STEPS: usize = 200;

/// Leftmost position (an inelastic wall) (position units).
pub const MIN_POSITION: f64 = -1.2;
/// Rightmost position.
pub const MAX_POSITION: f64 = 0.6;
/// Bound on `|velocity|` (position units per step).
pub const MAX_SPEED: f64 = 0.07;
/// The episode terminates when `position >= GOAL_POSITION` and `velocity >= GOAL_VELOCITY`.
pub const GOAL_POSITION: f64 = 0.5;
/// See [`GOAL_POSITION`].
pub const GOAL_VELOCITY: f64 = 0.0;
/// Velocity change per step from the engine (`(action - 1) * FORCE`).
pub const FORCE: f64 = 0.001;
/// Gravity coefficient: velocity change `-GRAVITY * cos(3 position)` per step.
pub const GRAVITY: f64 = 0.0025;
/// `reset` draws the position uniformly from `[RESET_LOW, RESET_HIGH)`; velocity starts at 0.
pub const RESET_LOW: f64 = -0.6;
/// See [`RESET_LOW`].
pub const RESET_HIGH: f64 = -0.4;

/// The mountain-car environment (`MountainCar-v0`).
///
/// * State (`state()`, Gymnasium's `env.unwrapped.state`, float64): `[position, velocity]`;
///   position in `[-1.2, 0.6]`, velocity in `[-0.07, 0.07]` (per step; no time unit).
/// * Observation (length 2): the state rounded to `f32` as Gymnasium's `dtype=np.float32`
///   (exact f32 values widened to `f64`).
/// * Actions (3): `0` accelerate left, `1` no acceleration, `2` accelerate right. An
///   out-of-range action is a caller bug (see [`check_action`](super::super::check_action)): debug
///   builds panic; release builds accelerate right (the last action).
/// * Dynamics: `velocity += (action - 1) * 0.001 - 0.0025 cos(3 position)`, clipped to
///   `±0.07`; `position += velocity`, clipped to `[-1.2, 0.6]`; hitting the left wall with
///   negative velocity zeroes the velocity.
/// * Reward: `-1` every step. Termination: `position >= 0.5` and `velocity >= 0`.
///   Truncation: after `max_episode_steps` steps (default 200).
/// * Reset: position uniform in `[-0.6, -0.4)`, velocity 0.
pub type MountainCar = ClassicControl<MountainCarPhysics>;

/// The physics of [`MountainCar`] (`MountainCarEnv`).
#[derive(Debug, Clone, Default)]
pub struct MountainCarPhysics;

/// `np.clip(x, lo, hi)` for non-NaN scalars: `minimum(maximum(x, lo), hi)`.
#[inline]
fn clip(x: f64, lo: f64, hi: f64) -> f64 {
    x.max(lo).min(hi)
}

impl Physics for MountainCarPhysics {
    const ID: &'static str = ID;
    const MAX_EPISODE_STEPS: usize = MAX_EPISODE_STEPS;
    const OBSERVATION_DIM: usize = 2;
    const NUM_ACTIONS: usize = 3;
    type State = [f64; 2];

    fn initial_state(rng: &mut ChaCha8Rng) -> [f64; 2] {
        [rng.random_range(RESET_LOW..RESET_HIGH), 0.0]
    }

    fn step(&mut self, state: &mut [f64; 2], action: usize) -> (f64, bool) {
        let [mut position, mut velocity] = *state;
        let push = action.min(2) as f64 - 1.0;
        velocity += push * FORCE + (3.0 * position).cos() * (-GRAVITY);
        velocity = clip(velocity, -MAX_SPEED, MAX_SPEED);
        position += velocity;
        position = clip(position, MIN_POSITION, MAX_POSITION);
        if position == MIN_POSITION && velocity < 0.0 {
            velocity = 0.0;
        }
        let terminated = position >= GOAL_POSITION && velocity >= GOAL_VELOCITY;
        *state = [position, velocity];
        (-1.0, terminated)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Environment;
    use super::super::test_support::{assert_reset_within, replay_fixture};
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn matches_gymnasium_fixture() {
        let report = replay_fixture("mountain_car_v0.json", |max| {
            Box::new(MountainCar::with_max_episode_steps(max))
        });
        report.assert_within_tolerance();
    }

    #[test]
    fn reset_within_gymnasium_range() {
        let mut env = MountainCar::new();
        assert_reset_within(&mut env, &[(-0.6, -0.4), (0.0, 0.0)]);
    }

    #[test]
    fn left_wall_stops_the_car() {
        let mut env = MountainCar::new();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        env.reset(&mut rng);
        env.set_state(&[-1.19, -0.05]).unwrap();
        let s = env.step(0);
        assert_eq!(env.state(), vec![MIN_POSITION, 0.0]);
        assert!(!s.terminated && !s.truncated && s.reward == -1.0);
    }
}
