//! Symbolic regression: fit an expression `f(x₁…x_k) ≈ y` to a dataset.
//!
//! Fitness is `1 / (1 + NRMSE_train)` (1 is a perfect fit), where NRMSE = RMSE / std(y); the test
//! score is R² on held-out points. Constants are **mutated** (×U[0.5, 2], sign flip with
//! probability 0.1), not fitted by gradient or least squares.

pub mod dataset;
pub mod evaluator;
pub mod nguyen;
pub mod task;

pub use dataset::{Dataset, DatasetError};
pub use evaluator::SymbolicRegressionEvaluator;
pub use task::SymbolicRegressionTask;
