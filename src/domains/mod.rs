//! Domains: each turns a program into a [`crate::engine::Evaluation`] (fitness, details,
//! outcome, cost) through the [`crate::engine::Evaluator`] contract.

pub mod architecture;
pub mod optimizer;
pub mod rl_loss;
pub mod symbolic_regression;
