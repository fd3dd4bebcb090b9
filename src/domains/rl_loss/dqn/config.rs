//! Hyper-parameters of the DQN inner loop (Co-Reyes et al., "Evolving Reinforcement Learning
//! Algorithms", ICLR 2021, §4 and appendix A).

use serde::{Deserialize, Serialize};

/// Settings of one DQN training run.
///
/// Deserialization rejects unknown fields and fills missing ones from [`DqnConfig::default`]
/// (the fast preset, see [`DqnConfig::fast`]). Times are counted in *environment steps*
/// (one call to `Environment::step`) or *learner steps* (one gradient step) as stated per field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DqnConfig {
    /// Widths of the hidden ReLU layers of the Q-network MLP, input to output.
    /// Default `[64, 64]`; paper `[256, 256]`.
    pub hidden_sizes: Vec<usize>,
    /// Adam learning rate (step size). Default `1e-3`; paper `1e-4`.
    pub learning_rate: f64,
    /// Adam ε (numerical-stability term, PyTorch's convention). Default `1e-8`.
    pub adam_epsilon: f64,
    /// Transitions per minibatch (`B`). Default `64`; paper `32`.
    pub batch_size: usize,
    /// Discount factor γ ∈ [0, 1]. Default `0.99`.
    pub discount: f64,
    /// Learner (gradient) steps between hard copies of the online network into the target
    /// network. Default `100`; paper `100`.
    pub target_update_period: u64,
    /// Replay buffer capacity in transitions (oldest overwritten first). Default `100_000`;
    /// paper `1_000_000`.
    pub replay_capacity: usize,
    /// Transitions collected before the first gradient step (must be ≥ `batch_size`).
    /// Default `500`; paper `1000`.
    pub min_replay_size: usize,
    /// ε of ε-greedy exploration at environment step 0 (probability of a uniform random action).
    /// Default `1.0`.
    pub epsilon_start: f64,
    /// ε after `epsilon_decay_steps` environment steps (kept constant afterwards). Default `0.05`.
    pub epsilon_end: f64,
    /// Environment steps over which ε decays linearly from `epsilon_start` to `epsilon_end`.
    /// Default `2000`; paper `1000`.
    pub epsilon_decay_steps: u64,
    /// Training stops after this many episodes (complete or truncated). Default `250`.
    pub train_episodes: u64,
    /// Hard cap on total environment steps; training stops when it is reached even mid-episode.
    /// Default `100_000`.
    pub max_env_steps: u64,
    /// Environment steps per gradient step (one gradient step every `train_every` env steps once
    /// the replay holds `min_replay_size` transitions). Default `1`.
    pub train_every: u64,
    /// If set, episodes are truncated (not terminated: bootstrapping continues) after this many
    /// environment steps, on top of any time limit the environment applies itself.
    /// Default `None` (the environment's own limit).
    pub max_episode_steps: Option<u64>,
    /// Seed of every random choice of the run (weight init, env resets, exploration, replay
    /// sampling). Default `0`.
    pub seed: u64,
    /// Wall-clock budget of the run in seconds; exceeding it ends training with
    /// `TrainingOutcome::TimedOut`. Default `None` (no limit).
    pub time_limit_secs: Option<f64>,
    /// Training ends with `TrainingOutcome::Diverged` when a Q-value seen during action
    /// selection has an absolute value above this. Default `1e6`.
    pub divergence_threshold: f64,
}

impl Default for DqnConfig {
    fn default() -> Self {
        Self::fast()
    }
}

/// A configuration value outside its valid range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid DQN config: {0}")]
pub struct ConfigError(pub String);

impl DqnConfig {
    /// The paper's settings (ICLR 2021 §4 / appendix A): MLP 256-256 ReLU, Adam lr 1e-4,
    /// batch 32, target copy every 100 learner steps, replay 1e6, 1000 transitions before
    /// learning, ε 1.0 → 0.05 over 1000 env steps, γ 0.99, one gradient step per env step.
    pub fn paper() -> Self {
        Self {
            hidden_sizes: vec![256, 256],
            learning_rate: 1e-4,
            adam_epsilon: 1e-8,
            batch_size: 32,
            discount: 0.99,
            target_update_period: 100,
            replay_capacity: 1_000_000,
            min_replay_size: 1000,
            epsilon_start: 1.0,
            epsilon_end: 0.05,
            epsilon_decay_steps: 1000,
            train_episodes: 250,
            max_env_steps: 100_000,
            train_every: 1,
            max_episode_steps: None,
            seed: 0,
            time_limit_secs: None,
            divergence_threshold: 1e6,
        }
    }

    /// The fast default, tuned by measurement so that the standard DQN loss solves CartPole-v1
    /// capped at 200 steps per episode within few environment steps: MLP 64-64 ReLU, Adam lr 1e-3,
    /// batch 64, target copy every 100 learner steps, replay 1e5, 500 transitions before learning,
    /// ε 1.0 → 0.05 over 2000 env steps, γ 0.99, 250 episodes.
    pub fn fast() -> Self {
        Self {
            hidden_sizes: vec![64, 64],
            learning_rate: 1e-3,
            adam_epsilon: 1e-8,
            batch_size: 64,
            discount: 0.99,
            target_update_period: 100,
            replay_capacity: 100_000,
            min_replay_size: 500,
            epsilon_start: 1.0,
            epsilon_end: 0.05,
            epsilon_decay_steps: 2000,
            train_episodes: 250,
            max_env_steps: 100_000,
            train_every: 1,
            max_episode_steps: None,
            seed: 0,
            time_limit_secs: None,
            divergence_threshold: 1e6,
        }
    }

    /// Checks ranges that would otherwise make training meaningless or panic.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |m: &str| Err(ConfigError(m.to_string()));
        if self.hidden_sizes.contains(&0) {
            return err("hidden_sizes must be positive");
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return err("learning_rate must be finite and > 0");
        }
        if !(self.adam_epsilon.is_finite() && self.adam_epsilon > 0.0) {
            return err("adam_epsilon must be finite and > 0");
        }
        if self.batch_size == 0 {
            return err("batch_size must be > 0");
        }
        if !(0.0..=1.0).contains(&self.discount) {
            return err("discount must lie in [0, 1]");
        }
        if self.target_update_period == 0 {
            return err("target_update_period must be > 0");
        }
        if self.replay_capacity < self.batch_size {
            return err("replay_capacity must be >= batch_size");
        }
        if self.min_replay_size < self.batch_size || self.min_replay_size > self.replay_capacity {
            return err("min_replay_size must lie in [batch_size, replay_capacity]");
        }
        for (name, e) in [
            ("epsilon_start", self.epsilon_start),
            ("epsilon_end", self.epsilon_end),
        ] {
            if !(0.0..=1.0).contains(&e) {
                return Err(ConfigError(format!("{name} must lie in [0, 1]")));
            }
        }
        if self.train_every == 0 {
            return err("train_every must be > 0");
        }
        if self.max_episode_steps == Some(0) {
            return err("max_episode_steps must be > 0");
        }
        if self.time_limit_secs.is_some_and(|t| t.is_nan() || t < 0.0) {
            return err("time_limit_secs must be >= 0");
        }
        if self.divergence_threshold.is_nan() || self.divergence_threshold <= 0.0 {
            return err("divergence_threshold must be > 0");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_roundtrip() {
        for c in [DqnConfig::paper(), DqnConfig::fast()] {
            c.validate().unwrap();
            let s = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<DqnConfig>(&s).unwrap(), c);
        }
        let partial: DqnConfig = serde_json::from_str(r#"{"seed": 7}"#).unwrap();
        assert_eq!(partial.seed, 7);
        assert_eq!(partial.hidden_sizes, DqnConfig::fast().hidden_sizes);
        assert!(serde_json::from_str::<DqnConfig>(r#"{"bogus": 1}"#).is_err());
    }
}
