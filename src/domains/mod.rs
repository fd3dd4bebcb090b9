//! Domains: each turns a program into a [`crate::engine::Evaluation`] (fitness, details,
//! outcome, cost) through the [`crate::engine::Evaluator`] contract, and plugs into the engine
//! through the [`plugin::Domain`] trait; [`registry`] lists them.

pub mod architecture;
pub mod optimizer;
pub mod plugin;
pub mod registry;
pub mod rl_loss;
pub mod symbolic_regression;

pub use plugin::{Domain, EvaluatorError, Needs};
