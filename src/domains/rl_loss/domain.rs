//! The RL-loss domain as a plugin.

use crate::domains::plugin::{Domain, EvaluatorError, Needs};
use crate::engine::Evaluator;
use crate::program::space::SearchSpace;
use crate::task_file::TaskSpec;
use std::sync::Arc;

/// Value-based RL losses trained by inner-loop DQN (Co-Reyes et al., ICLR 2021).
#[derive(Debug, Clone, Copy, Default)]
pub struct RlLossDomain;

impl Domain for RlLossDomain {
    fn name(&self) -> &'static str {
        "rl_loss"
    }

    fn default_space(&self) -> &'static str {
        "rl_loss"
    }

    fn needs(&self) -> Needs {
        Needs {
            task_inputs: false,
            dataset: false,
        }
    }

    fn validate_task(&self, origin: &str, text: &str) -> Result<(), EvaluatorError> {
        super::parse_task(origin, text).map(drop)
    }

    fn build_evaluator(
        &self,
        space: SearchSpace,
        spec: &TaskSpec,
        device: &str,
    ) -> Result<Arc<dyn Evaluator>, EvaluatorError> {
        super::build_evaluator(space, spec, device)
    }

    fn held_out_tasks(&self, spec: &TaskSpec) -> Result<Vec<TaskSpec>, EvaluatorError> {
        super::held_out_specs(spec)
    }
}
