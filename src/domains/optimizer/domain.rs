//! The optimizer domain as a plugin.

use crate::domains::plugin::{Domain, EvaluatorError, Needs};
use crate::engine::Evaluator;
use crate::program::space::SearchSpace;
use crate::task_file::TaskSpec;
use std::sync::Arc;

/// Update rules (optimizers) evolved by meta-training on small problems (Chen et al., 2023).
#[derive(Debug, Clone, Copy, Default)]
pub struct OptimizerDomain;

impl Domain for OptimizerDomain {
    fn name(&self) -> &'static str {
        "optimizer"
    }

    fn default_space(&self) -> &'static str {
        "optimizer"
    }

    fn needs(&self) -> Needs {
        Needs {
            task_inputs: false,
            dataset: true,
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
}
