//! Test helpers: loading the Gymnasium reference fixtures and replaying them.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use super::super::test_support::{Episode, load_json, max_abs_diff, replay_episodes};
use super::Environment;

/// Fixture directory, relative to `CARGO_MANIFEST_DIR`. The only place to change when the
/// fixtures move.
pub(crate) const FIXTURE_DIR: &str = "tests/fixtures/envs";

/// One fixture file, as written by `make_env_fixtures.py`.
#[derive(Debug, Deserialize)]
pub(crate) struct Fixture {
    pub env_id: String,
    pub gymnasium_version: String,
    pub numpy_version: String,
    pub max_episode_steps: usize,
    pub episodes: Vec<Episode>,
}

/// Outcome of a replay: worst absolute deviations over all steps of all episodes.
#[derive(Debug)]
#[allow(dead_code)] // fields are read through `Debug` in reports
pub(crate) struct ReplayReport {
    pub env_id: String,
    pub gymnasium_version: String,
    pub numpy_version: String,
    pub episodes: usize,
    pub steps: usize,
    pub terminated_episodes: usize,
    pub truncated_episodes: usize,
    /// max |our internal f64 state - Gymnasium's `env.unwrapped.state`|.
    pub max_state_err: f64,
    /// max |our observation - Gymnasium's float32 observation|.
    pub max_obs_err: f64,
    /// The same, in units of the float32 spacing (ULP) at Gymnasium's value.
    pub max_obs_err_f32_ulps: f64,
}

impl ReplayReport {
    /// The tolerances of the fixture tests: internal float64 state within 1e-9 (absolute) of
    /// Gymnasium's, every observation component within one float32 ULP of Gymnasium's float32
    /// observation (our observations are rounded to f32 like Gymnasium's, so an agreement of
    /// the state to ~1e-16 gives identical observations except, at worst, when a value sits on
    /// an f32 rounding boundary). On x86-64 Linux/glibc both errors are exactly 0.
    pub fn assert_within_tolerance(&self) {
        assert!(self.max_state_err <= 1e-9, "{self:?}");
        assert!(self.max_obs_err_f32_ulps <= 1.0, "{self:?}");
    }
}

/// Spacing of float32 values at `v` (its ULP), as f64.
fn f32_ulp(v: f32) -> f64 {
    let a = v.abs();
    let next = f32::from_bits(a.to_bits() + 1);
    (next as f64) - (a as f64)
}

/// Read and parse `FIXTURE_DIR/file`.
pub(crate) fn load_fixture(file: &str) -> Fixture {
    load_json(FIXTURE_DIR, file)
}

/// Replay every episode of `fx` on `env`: set the recorded initial state, apply the recorded
/// actions, and compare each step's state, observation, reward, terminated and truncated.
/// Rewards and flags must match exactly (panics otherwise); state/observation deviations are
/// returned for the caller to bound.
pub(crate) fn replay<E: Environment + ?Sized>(fx: &Fixture, env: &mut E) -> ReplayReport {
    let mut report = ReplayReport {
        env_id: fx.env_id.clone(),
        gymnasium_version: fx.gymnasium_version.clone(),
        numpy_version: fx.numpy_version.clone(),
        episodes: fx.episodes.len(),
        steps: fx.episodes.iter().map(|ep| ep.actions.len()).sum(),
        terminated_episodes: fx
            .episodes
            .iter()
            .filter(|ep| ep.terminated.last() == Some(&true))
            .count(),
        truncated_episodes: fx
            .episodes
            .iter()
            .filter(|ep| ep.truncated.last() == Some(&true))
            .count(),
        max_state_err: 0.0,
        max_obs_err: 0.0,
        max_obs_err_f32_ulps: 0.0,
    };
    let step = |env: &mut E, _: &Episode, _, a| env.step(a);
    replay_episodes(
        &fx.env_id,
        &fx.episodes,
        env,
        step,
        |ctx, ep, t, step, state| {
            report.max_state_err = report.max_state_err.max(max_abs_diff(state, &ep.states[t]));
            for (&ours, &theirs) in step.obs.iter().zip(&ep.obs[t]) {
                let theirs = theirs as f32;
                let err = (ours - theirs as f64).abs();
                report.max_obs_err = report.max_obs_err.max(err);
                report.max_obs_err_f32_ulps =
                    report.max_obs_err_f32_ulps.max(err / f32_ulp(theirs));
            }
            assert_eq!(step.reward, ep.rewards[t], "{ctx}: reward");
        },
    );
    println!("{report:?}");
    report
}

/// Load `file` and replay it on a fresh environment with the fixture's time limit.
pub(crate) fn replay_fixture(
    file: &str,
    make: impl Fn(Option<usize>) -> Box<dyn Environment>,
) -> ReplayReport {
    let fx = load_fixture(file);
    let mut env = make(Some(fx.max_episode_steps));
    replay(&fx, &mut env)
}

/// Reset `env` many times and check each state component `i` lies in `[lo_i, hi_i)` (or
/// equals `lo_i` when `lo_i == hi_i`), that the draws cover the range (uniform: extremes
/// within 2% of the bounds, mean within 3% of the centre), and that the returned observation
/// is the one `set_state` + observation logic gives (first step reproducibility).
pub(crate) fn assert_reset_within<E: Environment + ?Sized>(env: &mut E, ranges: &[(f64, f64)]) {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let n = 4000;
    let mut mins = vec![f64::INFINITY; ranges.len()];
    let mut maxs = vec![f64::NEG_INFINITY; ranges.len()];
    let mut sums = vec![0.0; ranges.len()];
    for _ in 0..n {
        let obs = env.reset(&mut rng);
        assert_eq!(obs.len(), env.observation_dim());
        assert!(
            obs.iter().all(|&v| v == v as f32 as f64),
            "obs are f32 values"
        );
        let s = env.state();
        assert_eq!(s.len(), ranges.len());
        for (i, (&v, &(lo, hi))) in s.iter().zip(ranges).enumerate() {
            if lo == hi {
                assert_eq!(v, lo);
            } else {
                assert!(lo <= v && v < hi, "component {i}: {v} not in [{lo}, {hi})");
            }
            mins[i] = mins[i].min(v);
            maxs[i] = maxs[i].max(v);
            sums[i] += v;
        }
    }
    for (i, &(lo, hi)) in ranges.iter().enumerate() {
        let w = hi - lo;
        assert!(
            mins[i] - lo <= 0.02 * w && hi - maxs[i] <= 0.02 * w,
            "component {i}"
        );
        let mean = sums[i] / n as f64;
        assert!(
            (mean - (lo + hi) / 2.0).abs() <= 0.03 * w.max(1e-12),
            "component {i}: {mean}"
        );
    }
    // Different seeds give different initial states; the same seed gives the same one.
    let a = env.reset(&mut ChaCha8Rng::seed_from_u64(1));
    let b = env.reset(&mut ChaCha8Rng::seed_from_u64(1));
    let c = env.reset(&mut ChaCha8Rng::seed_from_u64(2));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

/// A state-feedback controller that balances the cart-pole indefinitely from small states
/// (the fixture's policy 0): push right iff `0.05 x + 0.2 v + 3 theta + 0.6 omega > 0`.
pub(crate) fn cartpole_balance(obs: &[f64]) -> usize {
    usize::from(0.05 * obs[0] + 0.2 * obs[1] + 3.0 * obs[2] + 0.6 * obs[3] > 0.0)
}
