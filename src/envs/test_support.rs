//! Test helpers shared by both families: reading reference fixtures and replaying recorded
//! episodes on an environment.

use std::path::PathBuf;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{Environment, Step, check_action};

/// One recorded episode, as the fixture scripts (`tests/fixtures/*/make_*_fixtures.py`)
/// write it: `states[t]`, `obs[t]`, `rewards[t]` and the flags follow `actions[t]`.
#[derive(Debug, Deserialize)]
pub(crate) struct Episode {
    pub seed: u64,
    pub policy: String,
    pub initial_state: Vec<f64>,
    pub actions: Vec<usize>,
    pub states: Vec<Vec<f64>>,
    /// Classic control: float32 observations in shortest repr (round to f32 to recover them).
    pub obs: Vec<Vec<f64>>,
    pub rewards: Vec<f64>,
    pub terminated: Vec<bool>,
    pub truncated: Vec<bool>,
    /// Dynamic-Obstacles only: obstacle positions after each step.
    #[serde(default)]
    pub obstacles: Vec<Vec<(usize, usize)>>,
}

/// Read and parse `dir/file`, `dir` relative to `CARGO_MANIFEST_DIR`.
pub(crate) fn load_json<T: DeserializeOwned>(dir: &str, file: &str) -> T {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), dir, file].iter().collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad fixture {}: {e}", path.display()))
}

/// Largest `|a_i - b_i|` (the lengths must agree).
pub(crate) fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Replay every episode on `env` (whose id must be `env_id`): reset with the episode's seed
/// (so that `set_state` must overwrite another episode's leftovers), set the recorded initial
/// state, then for each recorded action validate it, call `step(env, episode, t, action)`,
/// and check the observation length and both flags. Each step's result and the state after it
/// go to `compare(ctx, episode, t, step, state)` for the family's own tolerances. Panics on
/// any mismatch; each episode must end where the recording does.
pub(crate) fn replay_episodes<E: Environment + ?Sized>(
    env_id: &str,
    episodes: &[Episode],
    env: &mut E,
    mut step: impl FnMut(&mut E, &Episode, usize, usize) -> Step,
    mut compare: impl FnMut(&str, &Episode, usize, &Step, &[f64]),
) {
    assert_eq!(env.id(), env_id);
    assert!(episodes.len() >= 3);
    for (e, ep) in episodes.iter().enumerate() {
        let n = ep.actions.len();
        assert!(n > 0);
        for len in [ep.states.len(), ep.obs.len(), ep.rewards.len()] {
            assert_eq!(len, n);
        }
        assert_eq!((ep.terminated.len(), ep.truncated.len()), (n, n));
        env.reset(&mut ChaCha8Rng::seed_from_u64(ep.seed));
        env.set_state(&ep.initial_state).unwrap();
        assert_eq!(env.state(), ep.initial_state);
        for t in 0..n {
            let ctx = format!("{env_id} episode {e} ({}) step {t}", ep.policy);
            let a = ep.actions[t];
            check_action(env, a).unwrap();
            let s = step(env, ep, t, a);
            assert_eq!(s.obs.len(), env.observation_dim(), "{ctx}");
            assert_eq!(s.obs.len(), ep.obs[t].len(), "{ctx}");
            compare(&ctx, ep, t, &s, &env.state());
            assert_eq!(s.terminated, ep.terminated[t], "{ctx}: terminated");
            assert_eq!(s.truncated, ep.truncated[t], "{ctx}: truncated");
        }
        assert!(ep.terminated[n - 1] || ep.truncated[n - 1]);
    }
}
