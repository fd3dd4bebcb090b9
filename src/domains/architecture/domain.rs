//! The architecture domain as a plugin.

use crate::domains::plugin::{Domain, EvaluatorError, Needs};
use crate::engine::Evaluator;
use crate::program::space::SearchSpace;
use crate::task_file::TaskSpec;
use std::sync::Arc;

/// NAS-Bench-101 cells trained on the UCI digits (Ying et al., ICML 2019).
#[derive(Debug, Clone, Copy, Default)]
pub struct ArchitectureDomain;

impl Domain for ArchitectureDomain {
    fn name(&self) -> &'static str {
        "architecture"
    }

    fn default_space(&self) -> &'static str {
        "architecture"
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
