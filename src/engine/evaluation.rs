//! What one evaluation of a candidate yields: fitness, details, outcome and cost.

use serde::{Deserialize, Serialize};

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
    /// Rejected before training: it cannot learn anything (RL losses: the gradient with
    /// respect to the online Q-network is zero or non-finite on the probe batches).
    NoGradient,
    /// The evaluator panicked (a bug in the evaluator or an op kernel, not in the candidate);
    /// the archive keeps the panic message ([`crate::engine::EvalResult::panic`]).
    Panicked,
    /// The distributed executor got no evaluation: every worker that took the request died
    /// or timed out (`max_deliver` deliveries), or a worker refused it (another gevo version,
    /// a missing or different dataset, a request over its limits). Not the candidate's fault.
    WorkerFailed,
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
            Outcome::NoGradient => "no_gradient",
            Outcome::Panicked => "panicked",
            Outcome::WorkerFailed => "worker_failed",
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
