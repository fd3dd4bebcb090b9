//! RL-loss task files (`tasks/cartpole.toml`, …): one environment, the DQN inner loop's
//! settings, the return range used for normalization, and campaign defaults.
//!
//! ```toml
//! domain = "rl_loss"
//! name = "cartpole"
//! held_out = ["acrobot", "mountaincar"]   # trained only by `gevo reevaluate`
//! [environment]
//! id = "CartPole-v1"
//! max_episode_steps = 200
//! return_range = [0.0, 200.0]
//! [dqn]            # any DqnConfig field; omitted fields keep their documented defaults
//! hidden = [64, 64]
//! [campaign]       # defaults for `gevo run` when the flags are not given
//! budget = 100
//! population = 20
//! ```

use super::dqn::DqnConfig;
use serde::Deserialize;

/// The environment of a task.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSpec {
    /// Environment id (`gevo env list`).
    pub id: String,
    /// Episode time limit (None: Gymnasium's registry value).
    #[serde(default)]
    pub max_episode_steps: Option<usize>,
    /// `[R_min, R_max]` for the normalized score (R − R_min)/(R_max − R_min), clipped to [0, 1]
    /// (Co-Reyes et al. 2021, §4: CartPole 0/200, Acrobot −500/−50, MountainCar −200/−110).
    pub return_range: [f64; 2],
    /// Multiply rewards by this factor (robustness tests ×10 … ×10000); the return range is in
    /// unscaled units.
    #[serde(default = "one")]
    pub reward_scale: f64,
    /// Training episodes whose returns are averaged for the score (default 50, the paper's).
    #[serde(default = "fifty")]
    pub score_episodes: usize,
}

fn one() -> f64 {
    1.0
}
fn fifty() -> usize {
    50
}

/// An RL-loss task file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RlLossTask {
    /// Always `rl_loss`.
    pub domain: String,
    /// Task name.
    pub name: String,
    /// One-line description.
    #[serde(default)]
    pub description: String,
    /// Held-out tasks: names of other `rl_loss` task files (shipped names, or paths relative to
    /// this file). The union of the lists of a task set, minus its training tasks, is the
    /// set's held-out set ([`super::held_out_specs`]). Held-out environments are never part
    /// of fitness and are not trained during a campaign: each is a full DQN training, so only
    /// `gevo reevaluate` (or `gevo run --final-seeds`) trains them (Co-Reyes et al. 2021, §4:
    /// losses are judged on environments they never saw).
    #[serde(default)]
    pub held_out: Vec<String>,
    /// The environment.
    pub environment: EnvironmentSpec,
    /// Inner-loop settings.
    #[serde(default)]
    pub dqn: DqnConfig,
    /// Campaign defaults (read by `gevo run`).
    #[serde(default)]
    pub campaign: Option<toml::Table>,
    /// Also reject, as `no_gradient`, a loss whose probe outputs do not depend on `reward` nor
    /// on `discount` (default false; docs/results.md, "Rejecting losses that cannot learn").
    /// In a task set, any task setting it applies it to the whole evaluation.
    #[serde(default)]
    pub require_reward: bool,
}

/// The normalized score of a mean return: (R − R_min)/(R_max − R_min), clipped to [0, 1].
pub fn normalized_score(mean_return: f64, range: [f64; 2]) -> f64 {
    let [lo, hi] = range;
    ((mean_return - lo) / (hi - lo)).clamp(0.0, 1.0)
}
