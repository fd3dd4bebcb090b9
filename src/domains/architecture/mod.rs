//! Architecture domain: NAS-Bench-101 cells (Ying et al., ICML 2019) built in burn and trained
//! on the UCI digits.
//!
//! - [`cell`]: cells as programs, their sampling, mutation and rules,
//! - [`network`]: the burn network of a cell,
//! - [`task`], [`evaluator`], [`fingerprint`]: task files, scoring, functional hash.

pub mod cell;
pub mod domain;
pub mod evaluator;
pub mod fingerprint;
pub mod network;
pub mod task;

pub use evaluator::ArchitectureEvaluator;
pub use task::ArchitectureTask;

use crate::domains::plugin::EvaluatorError;
use crate::engine::Evaluator;
use crate::program::DType;
use crate::program::space::SearchSpace;
use crate::task_file::{TaskSpec, parse_toml, task_dir};
use std::sync::Arc;

/// Parses an architecture task file and checks its settings, without loading data.
///
/// # Errors
/// A malformed file (with its line), a task of another domain, invalid settings.
pub fn parse_task(origin: &str, text: &str) -> Result<ArchitectureTask, EvaluatorError> {
    let task: ArchitectureTask = parse_toml(text, origin)?;
    if task.domain != "architecture" {
        return Err(EvaluatorError::WrongDomain {
            origin: origin.to_string(),
            task: task.name,
            domain: task.domain,
            expected: "architecture",
            note: "",
        });
    }
    task.validate()
        .map_err(|message| EvaluatorError::InvalidTask {
            origin: origin.to_string(),
            message,
        })?;
    Ok(task)
}

/// Builds the architecture evaluator for one task on `device`.
///
/// # Errors
/// Malformed task file (with its line), missing data, a space that is not a cell space, a task
/// set of more than one task.
pub fn build_evaluator(
    space: SearchSpace,
    spec: &TaskSpec,
    device: &str,
) -> Result<Arc<dyn Evaluator>, EvaluatorError> {
    if space.cell.is_none() || !matches!(space.output, DType::FeatureMap | DType::Features) {
        return Err(EvaluatorError::SpaceMismatch(format!(
            "task `{}` trains architectures, but space `{}` is not a cell space (try --space architecture)",
            spec.name, space.name
        )));
    }
    let [(origin, text)] = spec.files.as_slice() else {
        return Err(EvaluatorError::OneTaskAtATime {
            domain: "architecture search",
            task: spec.name.clone(),
        });
    };
    let task = parse_task(origin, text)?;
    let d = crate::datasets::digits::load(&task.training.data, task_dir(origin)).map_err(|e| {
        EvaluatorError::Data {
            task: origin.clone(),
            message: format!("{e:#}"),
        }
    })?;
    let data = crate::datasets::digits::split(&d, task.training.split_seed, 0.6, 0.2);
    let device =
        crate::nn::device::parse(device).map_err(|e| EvaluatorError::Device(e.to_string()))?;
    Ok(Arc::new(ArchitectureEvaluator::new(
        space, task, data, device,
    )))
}
