//! Domains: each turns a program into an [`Evaluation`] (fitness, details, outcome, cost).

pub mod architecture;
pub mod optimizer;
pub mod rl_loss;
pub mod symbolic_regression;

use crate::program::Program;
use crate::space::SearchSpace;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How an evaluation ended. A failing candidate is an outcome, never a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Evaluated; fitness is meaningful.
    Ok,
    /// The program produced NaN or ±∞.
    NonFinite,
    /// Training diverged (e.g. |Q| beyond the task's bound).
    Diverged,
    /// The evaluation ran past its time limit.
    TimedOut,
    /// Stopped after its first stage, whose fitness was below the hurdle.
    Hurdle,
    /// The program failed validation (never evaluated).
    Invalid,
}

impl Outcome {
    /// Name as printed and stored.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NonFinite => "non_finite",
            Outcome::Diverged => "diverged",
            Outcome::TimedOut => "timed_out",
            Outcome::Hurdle => "hurdle",
            Outcome::Invalid => "invalid",
        }
    }
}

/// What an evaluation cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    /// Wall-clock seconds.
    pub wall_secs: f64,
    /// Domain steps (rows evaluated, environment steps, training steps).
    pub steps: u64,
}

/// The result of evaluating one candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Fitness, larger is better; `None` when the candidate failed. Candidates stopped at a
    /// hurdle keep their first-stage fitness.
    pub fitness: Option<f64>,
    /// Held-out score (symbolic regression: test R²; RL: none), when the domain has one.
    pub test_score: Option<f64>,
    /// Named per-task figures (train/test NRMSE, per-environment normalized returns, …).
    pub details: Vec<(String, f64)>,
    /// How it ended.
    pub outcome: Outcome,
    /// What it cost.
    pub cost: Cost,
}

impl Evaluation {
    /// A failed evaluation with no fitness.
    pub fn failed(outcome: Outcome, cost: Cost) -> Self {
        Evaluation {
            fitness: None,
            test_score: None,
            details: vec![],
            outcome,
            cost,
        }
    }
}

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
