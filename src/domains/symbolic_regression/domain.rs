//! The symbolic regression domain as a plugin.

use crate::domains::plugin::{Domain, EvaluatorError, Needs};
use crate::engine::Evaluator;
use crate::program::space::SearchSpace;
use crate::task_file::TaskSpec;
use std::sync::Arc;

/// Expressions fitted to a dataset (symbolic regression).
#[derive(Debug, Clone, Copy, Default)]
pub struct SymbolicRegressionDomain;

impl Domain for SymbolicRegressionDomain {
    fn name(&self) -> &'static str {
        "symbolic_regression"
    }

    fn default_space(&self) -> &'static str {
        "symbolic_regression"
    }

    fn needs(&self) -> Needs {
        Needs {
            task_inputs: true,
            dataset: true,
        }
    }

    fn validate_task(&self, origin: &str, text: &str) -> Result<(), EvaluatorError> {
        crate::task_file::parse_toml::<super::SymbolicRegressionTask>(text, origin)
            .map(drop)
            .map_err(Into::into)
    }

    fn build_evaluator(
        &self,
        space: SearchSpace,
        spec: &TaskSpec,
        _device: &str,
    ) -> Result<Arc<dyn Evaluator>, EvaluatorError> {
        super::build_evaluator(space, spec)
    }
}
