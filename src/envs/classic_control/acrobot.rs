//! `Acrobot-v1`: a two-link pendulum actuated at the elbow, to be swung up.
//!
//! Port of Gymnasium's `gymnasium/envs/classic_control/acrobot.py` (`AcrobotEnv`, defaults:
//! `book_or_nips = "book"` dynamics, `torque_noise_max = 0`), after Sutton, "Generalization in
//! reinforcement learning: successful examples using sparse coarse coding", NIPS 1996, and
//! Sutton & Barto, "Reinforcement Learning: An Introduction" (the "book" equations).
//! Time limit as in Gymnasium's registry: 500.

use std::f64::consts::PI;

use rand_chacha::ChaCha8Rng;

use super::{ClassicControl, Physics, uniform};

/// Gymnasium id of this environment.
pub const ID: &str = "Acrobot-v1";
/// Gymnasium registry `max_episode_steps` for `Acrobot-v1`.
pub const MAX_EPISODE_STEPS: usize = 500;

/// Duration of one step, integrated by a single RK4 step (s).
pub const DT: f64 = 0.2;
/// Length of link 1 (m).
pub const LINK_LENGTH_1: f64 = 1.0;
/// Length of link 2 (m) (kept for documentation; the dynamics use `LINK_COM_POS_2`).
pub const LINK_LENGTH_2: f64 = 1.0;
/// Mass of link 1 (kg).
pub const LINK_MASS_1: f64 = 1.0;
/// Mass of link 2 (kg).
pub const LINK_MASS_2: f64 = 1.0;
/// Position of the centre of mass of link 1 (m).
pub const LINK_COM_POS_1: f64 = 0.5;
/// Position of the centre of mass of link 2 (m).
pub const LINK_COM_POS_2: f64 = 0.5;
/// Moment of inertia of each link (kg m^2).
pub const LINK_MOI: f64 = 1.0;
/// Gravity (m/s^2).
pub const GRAVITY: f64 = 9.8;
/// Bound on `|dtheta1|` (rad/s): `4 pi`.
pub const MAX_VEL_1: f64 = 4.0 * PI;
/// Bound on `|dtheta2|` (rad/s): `9 pi`.
pub const MAX_VEL_2: f64 = 9.0 * PI;
/// Torque applied at the elbow for actions 0, 1, 2 (N m).
pub const AVAIL_TORQUE: [f64; 3] = [-1.0, 0.0, 1.0];
/// `reset` draws every state component uniformly from `[-RESET_BOUND, RESET_BOUND)`,
/// then rounds it to `f32` as Gymnasium does.
pub const RESET_BOUND: f64 = 0.1;

/// The acrobot environment (`Acrobot-v1`).
///
/// * State (`state()`, Gymnasium's `env.unwrapped.state`): `[theta1, theta2, dtheta1,
///   dtheta2]` — angle of link 1 from hanging down (rad, wrapped to `[-pi, pi]`), angle of
///   link 2 relative to link 1 (rad, wrapped), and their angular velocities (rad/s, clipped to
///   `±4 pi` and `±9 pi`). Gymnasium stores the reset state as float32 (values here are those
///   f32s widened) and float64 after the first step; so does this port.
/// * Observation (length 6): `[cos theta1, sin theta1, cos theta2, sin theta2, dtheta1,
///   dtheta2]`, each rounded to `f32` as Gymnasium's `dtype=np.float32` (exact f32 values
///   widened to `f64`).
/// * Actions (3): torque `-1`, `0`, `+1` N m on the elbow joint (no torque noise). An
///   out-of-range action is a caller bug (see [`check_action`](super::super::check_action)): debug
///   builds panic; release builds apply `+1` (the last action).
/// * Dynamics: one RK4 step of length 0.2 s on the "book" equations, then angle wrapping
///   and velocity clipping exactly as Gymnasium's `step`.
/// * Reward: `-1` per step, `0` on the terminating step. Termination: the free end rises
///   above the bar, `-cos(theta1) - cos(theta2 + theta1) > 1`. Truncation: after
///   `max_episode_steps` steps (default 500).
/// * Reset: each component uniform in `[-0.1, 0.1)`, rounded to `f32`.
pub type Acrobot = ClassicControl<AcrobotPhysics>;

/// The physics of [`Acrobot`] (`AcrobotEnv`).
#[derive(Debug, Clone, Default)]
pub struct AcrobotPhysics;

/// Python's `x**2` on a float64 scalar: numpy/CPython call libm `pow(x, 2.0)`, which
/// (glibc: < 1 ULP, not correctly rounded) differs from `x * x` in the last bit for ~0.1% of
/// inputs. `black_box` keeps LLVM from rewriting `pow(x, 2.0)` into `x * x`, so this calls the
/// same libm `pow` and stays bit-identical to Gymnasium (cost: ~20 ns per call, 12 per step).
#[inline]
fn py_square(x: f64) -> f64 {
    x.powf(std::hint::black_box(2.0))
}

/// Time derivative of `[theta1, theta2, dtheta1, dtheta2]` under elbow torque `a`
/// (Gymnasium's `AcrobotEnv._dsdt`, "book" variant). Operation order follows the Python
/// source so results are bit-identical. Squares of constants (`lc1**2`, ...) are exact and
/// written as products; squares of state-dependent values go through [`py_square`].
#[inline]
fn dsdt(s: &[f64; 4], a: f64) -> [f64; 4] {
    let m1 = LINK_MASS_1;
    let m2 = LINK_MASS_2;
    let l1 = LINK_LENGTH_1;
    let lc1 = LINK_COM_POS_1;
    let lc2 = LINK_COM_POS_2;
    let i1 = LINK_MOI;
    let i2 = LINK_MOI;
    let g = GRAVITY;
    let [theta1, theta2, dtheta1, dtheta2] = *s;
    let cos_t2 = theta2.cos();
    let sin_t2 = theta2.sin();
    let d1 = m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2.0 * l1 * lc2 * cos_t2) + i1 + i2;
    let d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos_t2) + i2;
    let phi2 = m2 * lc2 * g * (theta1 + theta2 - PI / 2.0).cos();
    let phi1 = -m2 * l1 * lc2 * py_square(dtheta2) * sin_t2
        - 2.0 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin_t2
        + (m1 * lc1 + m2 * l1) * g * (theta1 - PI / 2.0).cos()
        + phi2;
    let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * py_square(dtheta1) * sin_t2 - phi2)
        / (m2 * (lc2 * lc2) + i2 - py_square(d2) / d1);
    let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    [dtheta1, dtheta2, ddtheta1, ddtheta2]
}

/// Gymnasium's `wrap(x, m, M)`: shift `x` by multiples of `M - m` into `[m, M]`.
#[inline]
fn wrap(mut x: f64, m: f64, big_m: f64) -> f64 {
    let diff = big_m - m;
    while x > big_m {
        x -= diff;
    }
    while x < m {
        x += diff;
    }
    x
}

/// Gymnasium's `bound(x, m, M)`: Python's `min(max(x, m), M)`.
#[inline]
fn bound(x: f64, m: f64, big_m: f64) -> f64 {
    let y = if m > x { m } else { x };
    if big_m < y { big_m } else { y }
}

/// Termination: the free end is above the bar, `-cos(theta1) - cos(theta2 + theta1) > 1`.
fn is_terminal(s: &[f64; 4]) -> bool {
    -s[0].cos() - (s[1] + s[0]).cos() > 1.0
}

impl Physics for AcrobotPhysics {
    const ID: &'static str = ID;
    const MAX_EPISODE_STEPS: usize = MAX_EPISODE_STEPS;
    const OBSERVATION_DIM: usize = 6;
    const NUM_ACTIONS: usize = 3;
    type State = [f64; 4];

    /// Uniform in `[-0.1, 0.1)`, stored as float32 like Gymnasium's reset state.
    fn initial_state(rng: &mut ChaCha8Rng) -> [f64; 4] {
        uniform(rng, -RESET_BOUND, RESET_BOUND).map(|v: f64| v as f32 as f64)
    }

    fn step(&mut self, state: &mut [f64; 4], action: usize) -> (f64, bool) {
        let torque = AVAIL_TORQUE[action.min(2)];
        // Gymnasium's `rk4(self._dsdt, s_augmented, [0, self.dt])`: one classical RK4 step.
        // The augmented torque component has zero derivative, so it stays `torque` exactly.
        let y0 = *state;
        let dt = DT;
        let dt2 = dt / 2.0;
        let add = |k: &[f64; 4], h: f64| -> [f64; 4] {
            [
                y0[0] + h * k[0],
                y0[1] + h * k[1],
                y0[2] + h * k[2],
                y0[3] + h * k[3],
            ]
        };
        let k1 = dsdt(&y0, torque);
        let k2 = dsdt(&add(&k1, dt2), torque);
        let k3 = dsdt(&add(&k2, dt2), torque);
        let k4 = dsdt(&add(&k3, dt), torque);
        let h6 = dt / 6.0;
        let mut ns = [0.0; 4];
        for i in 0..4 {
            ns[i] = y0[i] + h6 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
        ns[0] = wrap(ns[0], -PI, PI);
        ns[1] = wrap(ns[1], -PI, PI);
        ns[2] = bound(ns[2], -MAX_VEL_1, MAX_VEL_1);
        ns[3] = bound(ns[3], -MAX_VEL_2, MAX_VEL_2);
        *state = ns;

        let terminated = is_terminal(state);
        let reward = if terminated { 0.0 } else { -1.0 };
        (reward, terminated)
    }

    /// `[cos theta1, sin theta1, cos theta2, sin theta2, dtheta1, dtheta2]`.
    fn observation(state: &[f64; 4]) -> impl Iterator<Item = f64> {
        let [t1, t2, dt1, dt2] = *state;
        [t1.cos(), t1.sin(), t2.cos(), t2.sin(), dt1, dt2].into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Environment;
    use super::super::test_support::{assert_reset_within, replay_fixture};
    use super::*;

    #[test]
    fn matches_gymnasium_fixture() {
        let report = replay_fixture("acrobot_v1.json", |max| {
            Box::new(Acrobot::with_max_episode_steps(max))
        });
        report.assert_within_tolerance();
    }

    #[test]
    fn reset_within_gymnasium_range_and_f32() {
        let mut env = Acrobot::new();
        assert_reset_within(&mut env, &[(-0.1, 0.1); 4]);
        assert!(env.state().iter().all(|&v| v == v as f32 as f64));
    }

    #[test]
    fn wrap_and_bound() {
        assert_eq!(
            wrap(3.0 * PI / 2.0 + 0.0, -PI, PI),
            3.0 * PI / 2.0 - 2.0 * PI
        );
        assert_eq!(wrap(-7.0, -PI, PI), -7.0 + 2.0 * PI);
        assert_eq!(wrap(20.0, -PI, PI), 20.0 - 2.0 * PI - 2.0 * PI - 2.0 * PI);
        assert_eq!(bound(50.0, -MAX_VEL_2, MAX_VEL_2), MAX_VEL_2);
        assert_eq!(bound(-50.0, -MAX_VEL_1, MAX_VEL_1), -MAX_VEL_1);
        assert_eq!(bound(1.5, -2.0, 2.0), 1.5);
    }
}
