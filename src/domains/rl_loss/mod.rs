//! RL-loss domain: evolving value-based RL losses (Co-Reyes et al., ICLR 2021).
//!
//! - the environments it trains on live in [`crate::envs`],
//! - [`probe`]: the functional hash's fixed transitions,
//! - [`dqn`]: the DQN inner loop with a pluggable loss,
//! - [`burn_loss`]: loss programs as burn computations,
//! - [`gradient_check`]: rejecting losses whose gradient in θ is zero before training,
//! - [`task`] and [`evaluator`]: task files and scoring.

pub mod burn_loss;
pub mod domain;
pub mod dqn;
pub mod evaluator;
pub mod gradient_check;
pub mod probe;
pub mod task;
#[cfg(test)]
mod test_programs;

pub use burn_loss::ProgramLoss;
pub use evaluator::RlLossEvaluator;
pub use task::RlLossTask;

/// The environments, at their former path under the RL-loss domain.
pub use crate::envs;
pub use crate::envs::default_max_steps;

use crate::domains::plugin::EvaluatorError;
use crate::engine::Evaluator;
use crate::envs::{EnvError, Environment};
use crate::program::space::SearchSpace;
use crate::task_file::{TaskSpec, parse_toml};
use std::sync::Arc;

pub use crate::program::ops::LOSS_INPUTS;

/// Every environment id gevo can train on ([`crate::envs::list`]).
pub fn environment_ids() -> Vec<&'static str> {
    envs::list().to_vec()
}

/// Builds environment `id` with a time limit (`None`: the registry's).
///
/// # Errors
/// [`EnvError::UnknownId`] listing the known ids.
pub fn make_env(id: &str, max_steps: Option<usize>) -> Result<Box<dyn Environment>, EnvError> {
    match max_steps {
        Some(n) => envs::make_with_max_steps(id, n),
        None => envs::make(id),
    }
}

/// Parses one `rl_loss` task file and checks its DQN settings.
///
/// # Errors
/// A malformed file (with its line), a task of another domain, invalid `[dqn]` settings.
pub fn parse_task(origin: &str, text: &str) -> Result<RlLossTask, EvaluatorError> {
    let t: RlLossTask = parse_toml(text, origin)?;
    if t.domain != "rl_loss" {
        return Err(EvaluatorError::WrongDomain {
            origin: origin.to_string(),
            task: t.name,
            domain: t.domain,
            expected: "rl_loss",
            note: "; RL task sets take only rl_loss tasks",
        });
    }
    t.dqn.validate().map_err(|e| EvaluatorError::InvalidTask {
        origin: origin.to_string(),
        message: format!("[dqn]: {e}"),
    })?;
    Ok(t)
}

/// Parses the task files of a spec (each must be an `rl_loss` task).
///
/// # Errors
/// A malformed file (with its line), a task of another domain.
pub fn load_tasks(spec: &TaskSpec) -> Result<Vec<RlLossTask>, EvaluatorError> {
    spec.files
        .iter()
        .map(|(origin, text)| parse_task(origin, text))
        .collect()
}

/// Builds the RL-loss evaluator for a task set on `device` (`cpu` or `wgpu`).
///
/// # Errors
/// Malformed task files, unknown environments, a space that is not an RL-loss space, an
/// unavailable device.
pub fn build_evaluator(
    space: SearchSpace,
    spec: &TaskSpec,
    device: &str,
) -> Result<Arc<dyn Evaluator>, EvaluatorError> {
    for required in LOSS_INPUTS {
        if space.input_index(required).is_none() {
            return Err(EvaluatorError::SpaceMismatch(format!(
                "task `{}` trains RL losses, but space `{}` has no input `{required}` (try --space rl_loss)",
                spec.name, space.name
            )));
        }
    }
    let tasks = load_tasks(spec)?;
    let device =
        crate::nn::device::parse(device).map_err(|e| EvaluatorError::Device(e.to_string()))?;
    Ok(Arc::new(RlLossEvaluator::new(space, tasks, device)?))
}
