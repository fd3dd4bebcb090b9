//! The contract every domain implements: score a program, and give its outputs on the probe
//! inputs that the functional hash reads.

use super::Evaluation;
use crate::program::Program;
use crate::program::space::SearchSpace;
use std::time::Duration;

/// Per-evaluation settings passed by the search.
#[derive(Debug, Clone, Default)]
pub struct EvalContext {
    /// Seed for everything random inside the evaluation (derived from the candidate id).
    pub seed: u64,
    /// Current hurdle: stop after the first stage if its fitness is below this.
    pub hurdle: Option<f64>,
    /// Wall-clock limit per evaluation.
    pub time_limit: Option<Duration>,
}

/// A domain's scorer. Implementations must be deterministic given `ctx.seed`.
pub trait Evaluator: Send + Sync {
    /// The search space (inputs bound to the task).
    fn space(&self) -> &SearchSpace;
    /// Task name (for records and printing).
    fn task_name(&self) -> &str;
    /// Evaluates a valid program.
    fn evaluate(&self, program: &Program, ctx: &EvalContext) -> Evaluation;
    /// Outputs on the fixed canonical probe inputs (the functional hash's input), with every RNG
    /// reset, flattened to one vector.
    fn probe_outputs(&self, program: &Program) -> Vec<f64>;
}
