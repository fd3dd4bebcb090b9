//! Scoring a loss program: train a DQN agent with it on each environment of the task set, in
//! order, and sum the normalized training returns (Co-Reyes et al., ICLR 2021, §4).
//!
//! Each environment is a stage of [`crate::engine::staged`]: the first is a hurdle (the paper
//! uses 0.6 on CartPole); below it the other environments are skipped and the outcome is
//! `hurdle`.
//!
//! Before any training, a loss whose gradient with respect to θ is zero or non-finite on the
//! probe batches ([`super::gradient_check`]) is rejected as `no_gradient`; with a task's
//! `require_reward = true`, so is a loss that reads neither the reward nor the discount.

use super::burn_loss::ProgramLoss;
use super::dqn::{self, TrainingOutcome, TrainingReport};
use super::gradient_check::GradientCheck;
use super::probe::LossProbe;
use super::task::{RlLossTask, normalized_score};
use crate::domains::plugin::EvaluatorError;
use crate::engine::staged::{Stage, StageResult, evaluate_staged};
use crate::engine::{Cost, EvalContext, Evaluation, Evaluator, Outcome};
use crate::envs::{Environment, RewardScale};
use crate::program::Program;
use crate::program::space::SearchSpace;
use burn::tensor::Device;

/// Evaluates loss programs by inner-loop DQN training.
pub struct RlLossEvaluator {
    space: SearchSpace,
    name: String,
    tasks: Vec<RlLossTask>,
    device: Device,
    probe: LossProbe,
    gradient: GradientCheck,
}

impl RlLossEvaluator {
    /// An evaluator for `tasks` (in order; the first is the hurdle stage) on `device`.
    ///
    /// # Errors
    /// An unknown environment id.
    pub fn new(
        space: SearchSpace,
        tasks: Vec<RlLossTask>,
        device: Device,
    ) -> Result<Self, EvaluatorError> {
        for t in &tasks {
            super::make_env(&t.environment.id, None).map_err(|e| EvaluatorError::Data {
                task: t.name.clone(),
                message: e.to_string(),
            })?;
        }
        let name = tasks
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(",");
        Ok(RlLossEvaluator {
            space,
            name,
            tasks,
            device,
            probe: LossProbe::new(),
            gradient: GradientCheck::new(),
        })
    }

    /// The tasks, in evaluation order.
    pub fn tasks(&self) -> &[RlLossTask] {
        &self.tasks
    }

    /// Builds a task's environment (time limit and reward scale applied).
    pub fn make_env(task: &RlLossTask) -> anyhow::Result<Box<dyn Environment>> {
        let e = &task.environment;
        let base = super::make_env(&e.id, e.max_episode_steps)?;
        Ok(if e.reward_scale != 1.0 {
            Box::new(RewardScale::new(base, e.reward_scale))
        } else {
            base
        })
    }

    /// Trains one agent with `program` on task `k` with `seed`; returns the raw report.
    pub fn train(
        &self,
        program: &Program,
        k: usize,
        seed: u64,
        time_limit: Option<f64>,
    ) -> anyhow::Result<TrainingReport> {
        let task = &self.tasks[k];
        let mut env = Self::make_env(task)?;
        let mut cfg = task.dqn.clone();
        cfg.seed = seed;
        if let Some(t) = time_limit {
            cfg.time_limit_secs = Some(cfg.time_limit_secs.map_or(t, |c| c.min(t)));
        }
        let loss = ProgramLoss::new(program.clone());
        Ok(dqn::train(env.as_mut(), &loss, &cfg, &self.device))
    }

    /// `Some(no_gradient evaluation)` for a loss that cannot learn: no gradient reaches θ on
    /// the probe batches, or (with a task's `require_reward`) it reads neither the reward nor
    /// the discount. Its details say which: `zero_gradient` or `ignores_reward` set to 1.
    pub fn reject_before_training(&self, program: &Program) -> Option<Evaluation> {
        let start = std::time::Instant::now();
        let reason = if !self.gradient.has_gradient(program) {
            "zero_gradient"
        } else if self.tasks.iter().any(|t| t.require_reward) && !self.probe.reads_reward(program) {
            "ignores_reward"
        } else {
            return None;
        };
        let cost = Cost {
            wall_secs: start.elapsed().as_secs_f64(),
            steps: 0,
        };
        let mut e = Evaluation::failed(Outcome::NoGradient, cost);
        e.details.push((reason.into(), 1.0));
        Some(e)
    }

    /// Mean return (unscaled) of the last `score_episodes` training episodes.
    pub fn mean_final_return(task: &RlLossTask, report: &TrainingReport) -> f64 {
        let r = &report.episode_returns;
        let n = task.environment.score_episodes.min(r.len()).max(1);
        let tail = &r[r.len().saturating_sub(n)..];
        if tail.is_empty() {
            return task.environment.return_range[0];
        }
        tail.iter().sum::<f64>() / tail.len() as f64 / task.environment.reward_scale
    }
}

impl Evaluator for RlLossEvaluator {
    fn space(&self) -> &SearchSpace {
        &self.space
    }

    fn task_name(&self) -> &str {
        &self.name
    }

    fn evaluate(&self, program: &Program, ctx: &EvalContext) -> Evaluation {
        if let Some(rejected) = self.reject_before_training(program) {
            return rejected;
        }
        let stages: Vec<Stage> = self
            .tasks
            .iter()
            .map(|t| Stage {
                name: &t.name,
                held_out: false,
            })
            .collect();
        evaluate_staged(ctx, &stages, |input| {
            let task = &self.tasks[input.index];
            let report = match self.train(program, input.index, input.seed, input.time_left_secs) {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!("task {}: {e:#}", task.name);
                    return StageResult::Aborted;
                }
            };
            let steps = report.env_steps;
            let failure = match report.outcome {
                TrainingOutcome::Completed => None,
                TrainingOutcome::NonFinite { .. } => Some(Outcome::NonFinite),
                TrainingOutcome::Diverged { .. } => Some(Outcome::Diverged),
                TrainingOutcome::TimedOut { .. } => Some(Outcome::TimedOut),
            };
            if let Some(outcome) = failure {
                return StageResult::Failed {
                    outcome,
                    details: vec![("env_steps".into(), steps as f64)],
                    steps,
                };
            }
            let mean = Self::mean_final_return(task, &report);
            StageResult::Scored {
                score: normalized_score(mean, task.environment.return_range),
                details: vec![
                    ("mean_return".into(), mean),
                    ("episodes".into(), report.episode_returns.len() as f64),
                ],
                steps,
            }
        })
    }

    fn probe_outputs(&self, program: &Program) -> Vec<f64> {
        self.probe.outputs(program)
    }
}
