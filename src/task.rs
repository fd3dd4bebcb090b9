//! Tasks: resolving `--task`/`--data` into a self-contained [`TaskSpec`] (the task-file
//! helpers live in [`crate::task_file`], re-exported here) and building a campaign's
//! evaluator through the domain [`registry`](crate::domains::registry).

pub use crate::domains::plugin::EvaluatorError;
pub use crate::task_file::{
    TaskError, TaskSpec, TaskSpecError, csv_spec, domain_of, parse_toml, resolve, task_dir,
};

use crate::engine::Evaluator;
use crate::program::space::SearchSpace;
use std::sync::Arc;

/// Builds the evaluator for a space and task through the task's domain; `device` selects the
/// inner loops' burn device (`cpu`, or `wgpu` in builds with the `wgpu` feature).
///
/// # Errors
/// Malformed task files, missing data, an unknown domain, a task whose domain does not fit
/// the space.
pub fn build_evaluator(
    space: SearchSpace,
    spec: &TaskSpec,
    device: &str,
) -> Result<Arc<dyn Evaluator>, EvaluatorError> {
    crate::domains::registry::build_evaluator(space, spec, device)
}
