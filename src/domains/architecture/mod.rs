//! Architecture domain: NAS-Bench-101 cells (Ying et al., ICML 2019) built in burn and trained
//! on the UCI digits.
//!
//! - [`cell`]: cells as programs, their sampling, mutation and rules,
//! - [`network`]: the burn network of a cell,
//! - [`task`], [`evaluator`], [`fingerprint`]: task files, scoring, functional hash.

pub mod cell;
pub mod evaluator;
pub mod fingerprint;
pub mod network;
pub mod task;

pub use evaluator::ArchitectureEvaluator;
pub use task::ArchitectureTask;

use crate::engine::Evaluator;
use crate::evolution::TaskSpec;
use crate::program::DType;
use crate::space::SearchSpace;
use anyhow::{anyhow, bail};
use std::sync::Arc;

/// Builds the architecture evaluator for one task on `device`.
///
/// # Errors
/// Malformed task file (with its line), missing data, a space that is not a cell space, a task
/// set of more than one task.
pub fn build_evaluator(
    space: SearchSpace,
    spec: &TaskSpec,
    device: &str,
) -> anyhow::Result<Arc<dyn Evaluator>> {
    if space.cell.is_none() || !matches!(space.output, DType::FeatureMap | DType::Features) {
        bail!(
            "task `{}` trains architectures, but space `{}` is not a cell space (try --space architecture)",
            spec.name,
            space.name
        );
    }
    let [(origin, text)] = spec.files.as_slice() else {
        bail!(
            "architecture search takes one task at a time (got `{}`)",
            spec.name
        );
    };
    let task: ArchitectureTask = crate::task::parse_toml(text, origin)?;
    if task.domain != "architecture" {
        bail!(
            "{origin}: task `{}` is `{}`, not architecture",
            task.name,
            task.domain
        );
    }
    task.validate().map_err(|e| anyhow!("{origin}: {e}"))?;
    let d = crate::datasets::digits::load(&task.training.data, crate::task::task_dir(origin))
        .map_err(|e| anyhow!("task `{origin}`: {e:#}"))?;
    let data = crate::datasets::digits::split(&d, task.training.split_seed, 0.6, 0.2);
    let device = crate::nn::device::parse(device)?;
    Ok(Arc::new(ArchitectureEvaluator::new(
        space, task, data, device,
    )))
}
