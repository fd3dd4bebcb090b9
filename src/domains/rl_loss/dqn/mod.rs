//! DQN inner loop with a pluggable loss (Co-Reyes et al., "Evolving Reinforcement Learning
//! Algorithms", ICLR 2021): trains a value-based agent with an arbitrary [`DqnLoss`] and reports
//! its training returns.
//!
//! - [`config`]: hyper-parameters and the `paper()` / `fast()` presets.
//! - [`q_network`]: the MLP Q-network.
//! - [`replay`]: the replay buffer.
//! - [`exploration`]: ε-greedy with linear decay.
//! - [`loss`]: the loss interface and the standard DQN loss.
//! - [`trainer`]: the training loop and greedy rollouts.

pub mod config;
pub mod exploration;
pub mod loss;
pub mod q_network;
pub mod replay;
pub mod trainer;

pub use config::{ConfigError, DqnConfig};
pub use exploration::EpsilonSchedule;
pub use loss::{DqnLoss, LossInputs, StandardDqnLoss};
pub use q_network::QNetwork;
pub use replay::{Batch, ReplayBuffer};
pub use trainer::{
    TrainedAgent, TrainingOutcome, TrainingReport, greedy_rollout, train, train_agent,
};
