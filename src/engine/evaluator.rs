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

/// What a domain's local improvement of an evaluated candidate gave (symbolic regression: its
/// constants fitted by BFGS, as PySR does).
#[derive(Debug, Clone, PartialEq)]
pub enum Improvement {
    /// Nothing to improve (no constants, or the domain has no local improvement).
    NotApplicable,
    /// A better program of the same structure; the campaign archives it as a child of the
    /// candidate (mutation `constants_fitted`) with its own fingerprint and evaluation.
    Improved(Program),
    /// The attempt kept the original program; the reason (`non_finite`, `singular`,
    /// `no_improvement`) is recorded on the candidate as the detail `constant_fit_kept_<reason>`.
    Kept(&'static str),
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
    /// Locally improves an evaluated program (called by the campaign when
    /// `--optimize-constants` selects it); deterministic given `ctx.seed`. The default has
    /// nothing to improve.
    fn improve(&self, _program: &Program, _ctx: &EvalContext) -> Improvement {
        Improvement::NotApplicable
    }
}
