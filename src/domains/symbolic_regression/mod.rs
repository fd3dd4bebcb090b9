//! Symbolic regression: fit an expression `f(x₁…x_k) ≈ y` to a dataset.
//!
//! Fitness is `1 / (1 + NRMSE_train)` (1 is a perfect fit), where NRMSE = RMSE / std(y); the test
//! score is R² on held-out points. Constants are **mutated** (×U[0.5, 2], sign flip with
//! probability 0.1) and, with `gevo run --optimize-constants P`, **fitted** to the training rows
//! by BFGS ([`constants`]); the fitted program is archived as a child of the candidate.

pub mod constants;
pub mod dataset;
pub mod domain;
pub mod evaluator;
pub mod nguyen;
pub mod task;

use crate::domains::plugin::EvaluatorError;
use crate::engine::Evaluator;
use crate::program::space::SearchSpace;
use crate::task_file::{TaskSpec, parse_toml};
pub use dataset::{Dataset, DatasetError};
pub use evaluator::SymbolicRegressionEvaluator;
use std::path::Path;
use std::sync::Arc;
pub use task::SymbolicRegressionTask;

/// Builds the symbolic-regression evaluator of one task file, or of a CSV spec
/// (`--data FILE.csv --target COL`).
///
/// # Errors
/// A malformed task file (with its line), a missing or malformed dataset, a task set of more
/// than one task, a space whose inputs are not bound to the data.
pub fn build_evaluator(
    space: SearchSpace,
    spec: &TaskSpec,
) -> Result<Arc<dyn Evaluator>, EvaluatorError> {
    let dataset = |e: DatasetError| EvaluatorError::Dataset(e.to_string());
    if let (Some(csv), Some(target)) = (&spec.csv, &spec.target) {
        let task = SymbolicRegressionTask::from_csv(Path::new(csv), target);
        let (train, test) = match &spec.csv_data {
            Some(data) => task.load_stored(data, csv),
            // Settings written before the data was stored: the file at its path.
            None => task.load(None, csv),
        }
        .map_err(dataset)?;
        return Ok(Arc::new(SymbolicRegressionEvaluator::new(
            space, &task.name, &train, &test,
        )));
    }
    let [(origin, text)] = spec.files.as_slice() else {
        return Err(match spec.files.is_empty() {
            true => EvaluatorError::NoTask,
            false => EvaluatorError::OneTaskAtATime {
                domain: "symbolic regression",
                task: spec.name.clone(),
            },
        });
    };
    if space.task_inputs.is_none() {
        return Err(EvaluatorError::SpaceMismatch(format!(
            "task `{}` is symbolic regression, but space `{}` is not (try --space symbolic_regression)",
            spec.name, space.name
        )));
    }
    let task: SymbolicRegressionTask = parse_toml(text, origin)?;
    let (train, test) = task
        .load(Path::new(origin).parent(), origin)
        .map_err(dataset)?;
    Ok(Arc::new(SymbolicRegressionEvaluator::new(
        space, &task.name, &train, &test,
    )))
}
