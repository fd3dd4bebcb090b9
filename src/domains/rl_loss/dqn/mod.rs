//! DQN inner loop with a pluggable loss (Co-Reyes et al., "Evolving Reinforcement Learning
//! Algorithms", ICLR 2021): trains a value-based agent with an arbitrary [`DqnLoss`] and reports
//! its training returns.
//!
//! - [`adam`]: Adam fused into one host loop (the optimizer step).
//! - [`config`]: hyper-parameters and the `paper()` / `fast()` presets.
//! - [`q_network`]: the MLP Q-network.
//! - [`replay`]: the replay buffer.
//! - [`exploration`]: ε-greedy with linear decay.
//! - [`host_mlp`]: the Q-network's parameters on the host (acting, optimizer state).
//! - [`loss`]: the loss interface and the standard DQN loss.
//! - [`online`]: the online network as a loss sees it (leaf Q-values, hand-written backward).
//! - [`trainer`]: the training loop and greedy rollouts.

pub mod adam;
pub mod config;
pub mod exploration;
pub mod host_mlp;
pub mod loss;
pub mod online;
pub mod q_network;
pub mod replay;
pub mod trainer;

pub use adam::FusedAdam;
pub use config::{ConfigError, DqnConfig};
pub use exploration::EpsilonSchedule;
pub use host_mlp::HostMlp;
pub use loss::{DqnLoss, LossInputs, StandardDqnLoss};
pub use online::OnlineNetwork;
pub use q_network::QNetwork;
pub use replay::{Batch, ReplayBuffer};
pub use trainer::{
    TrainedAgent, TrainingOutcome, TrainingReport, greedy_rollout, train, train_agent,
};
