//! `CartPole-v1`: a pole hinged on a cart moving along a frictionless track.
//!
//! Port of Gymnasium's `gymnasium/envs/classic_control/cartpole.py` (`CartPoleEnv`, default
//! arguments: Euler integrator, `sutton_barto_reward=False`), itself the cart-pole of
//! Barto, Sutton & Anderson, "Neuronlike adaptive elements that can solve difficult learning
//! control problems", IEEE Trans. SMC 13(5), 1983. Time limit as in Gymnasium's registry: 500.

use rand_chacha::ChaCha8Rng;

use super::{ClassicControl, Physics, uniform};

/// Gymnasium id of this environment.
pub const ID: &str = "CartPole-v1";
/// Gymnasium registry `max_episode_steps` for `CartPole-v1`.
pub const MAX_EPISODE_STEPS: usize = 500;

/// Gravity (m/s^2).
pub const GRAVITY: f64 = 9.8;
/// Cart mass (kg).
pub const MASS_CART: f64 = 1.0;
/// Pole mass (kg).
pub const MASS_POLE: f64 = 0.1;
/// Cart + pole mass (kg) (computed as Gymnasium does: `masspole + masscart`).
pub const TOTAL_MASS: f64 = MASS_POLE + MASS_CART;
/// Half the pole's length (m).
pub const LENGTH: f64 = 0.5;
/// Pole mass times half-length (kg m).
pub const POLE_MASS_LENGTH: f64 = MASS_POLE * LENGTH;
/// Magnitude of the force applied to the cart (N).
pub const FORCE_MAG: f64 = 10.0;
/// Integration time step (s).
pub const TAU: f64 = 0.02;
/// The episode terminates when `|theta|` exceeds this: 12 degrees (rad)
/// (computed as Gymnasium does: `12 * 2 * pi / 360`).
pub const THETA_THRESHOLD_RADIANS: f64 = 12.0 * 2.0 * std::f64::consts::PI / 360.0;
/// The episode terminates when `|x|` exceeds this (m).
pub const X_THRESHOLD: f64 = 2.4;
/// `reset` draws every state component uniformly from `[-RESET_BOUND, RESET_BOUND)`.
pub const RESET_BOUND: f64 = 0.05;

/// The cart-pole environment (`CartPole-v1`).
///
/// * State (`state()`, Gymnasium's `env.unwrapped.state`, float64): `[x, x_dot, theta,
///   theta_dot]` — cart position (m), cart velocity (m/s), pole angle from vertical (rad,
///   positive = leaning right), pole angular velocity (rad/s).
/// * Observation (length 4): the state after rounding each component to `f32` (Gymnasium
///   returns `np.array(self.state, dtype=np.float32)`); values are exact `f32`s widened to
///   `f64`. The internal state keeps full `f64` precision, as in Gymnasium.
/// * Actions (2): `0` pushes the cart left, `1` pushes it right, with `FORCE_MAG` newtons.
///   An out-of-range action is a caller bug (see [`check_action`](super::super::check_action)): debug
///   builds panic; release builds push left like Gymnasium's
///   `force_mag if action == 1 else -force_mag`.
/// * Reward: `+1` every step including the terminating one; `0` for steps taken after a
///   termination without reset (Gymnasium's `steps_beyond_terminated` behaviour).
/// * Termination: `|x| > 2.4` or `|theta| > 12°`. Truncation: after `max_episode_steps`
///   steps (default 500).
/// * Reset: each component uniform in `[-0.05, 0.05)`.
pub type CartPole = ClassicControl<CartPolePhysics>;

/// The physics of [`CartPole`] (`CartPoleEnv`); remembers whether the episode has already
/// terminated (Gymnasium's `steps_beyond_terminated`), for the reward.
#[derive(Debug, Clone, Default)]
pub struct CartPolePhysics {
    terminated_before: bool,
}

impl Physics for CartPolePhysics {
    const ID: &'static str = ID;
    const MAX_EPISODE_STEPS: usize = MAX_EPISODE_STEPS;
    const OBSERVATION_DIM: usize = 4;
    const NUM_ACTIONS: usize = 2;
    type State = [f64; 4];

    fn initial_state(rng: &mut ChaCha8Rng) -> [f64; 4] {
        uniform(rng, -RESET_BOUND, RESET_BOUND)
    }

    fn begin_episode(&mut self) {
        self.terminated_before = false;
    }

    fn step(&mut self, state: &mut [f64; 4], action: usize) -> (f64, bool) {
        let [mut x, mut x_dot, mut theta, mut theta_dot] = *state;
        let force = if action == 1 { FORCE_MAG } else { -FORCE_MAG };
        let costheta = theta.cos();
        let sintheta = theta.sin();
        // Same operation order as Gymnasium, so results are bit-identical.
        let temp = (force + POLE_MASS_LENGTH * (theta_dot * theta_dot) * sintheta) / TOTAL_MASS;
        let thetaacc = (GRAVITY * sintheta - costheta * temp)
            / (LENGTH * (4.0 / 3.0 - MASS_POLE * (costheta * costheta) / TOTAL_MASS));
        let xacc = temp - POLE_MASS_LENGTH * thetaacc * costheta / TOTAL_MASS;
        // Euler integrator (Gymnasium's default `kinematics_integrator = "euler"`).
        x += TAU * x_dot;
        x_dot += TAU * xacc;
        theta += TAU * theta_dot;
        theta_dot += TAU * thetaacc;
        *state = [x, x_dot, theta, theta_dot];

        // Gymnasium's exact comparisons (a NaN state does not terminate, as in Python).
        #[allow(clippy::manual_range_contains)]
        let terminated = x < -X_THRESHOLD
            || x > X_THRESHOLD
            || theta < -THETA_THRESHOLD_RADIANS
            || theta > THETA_THRESHOLD_RADIANS;
        let reward = if !terminated {
            1.0
        } else if !self.terminated_before {
            self.terminated_before = true;
            1.0
        } else {
            0.0
        };
        (reward, terminated)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Environment;
    use super::super::test_support::{assert_reset_within, cartpole_balance, replay_fixture};
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn matches_gymnasium_fixture() {
        let report = replay_fixture("cartpole_v1.json", |max| {
            Box::new(CartPole::with_max_episode_steps(max))
        });
        report.assert_within_tolerance();
    }

    #[test]
    fn reset_within_gymnasium_range() {
        assert_reset_within(&mut CartPole::new(), &[(-0.05, 0.05); 4]);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "out of range")]
    fn step_out_of_range_debug_asserts() {
        CartPole::new().step(2);
    }

    #[test]
    fn reward_after_termination_and_custom_limit() {
        let mut env = CartPole::with_max_episode_steps(Some(200));
        env.set_state(&[2.39, 1.0, 0.0, 0.0]).unwrap();
        let s = env.step(1);
        assert!(s.terminated && s.reward == 1.0);
        let s = env.step(1);
        assert!(s.terminated && s.reward == 0.0);

        let mut rng = ChaCha8Rng::seed_from_u64(3);
        env.reset(&mut rng);
        env.set_state(&[0.0; 4]).unwrap();
        let mut obs = env.state();
        for t in 1..=200 {
            let s = env.step(cartpole_balance(&obs));
            obs = s.obs.clone();
            assert!(!s.terminated, "step {t}");
            assert_eq!(s.truncated, t == 200, "step {t}");
        }
    }
}
