//! Scoring a loss program: train a DQN agent with it on each environment of the task set, in
//! order, and sum the normalized training returns (Co-Reyes et al., ICLR 2021, §4).
//!
//! The first environment is a hurdle: if its score is below the campaign's hurdle (the paper
//! uses 0.6 on CartPole), the other environments are skipped and the outcome is `hurdle`.

use super::burn_loss::ProgramLoss;
use super::dqn::{self, TrainingOutcome, TrainingReport};
use super::envs::{Environment, RewardScale};
use super::probe::LossProbe;
use super::task::{RlLossTask, normalized_score};
use crate::domains::plugin::EvaluatorError;
use crate::engine::{Cost, EvalContext, Evaluation, Evaluator, Outcome};
use crate::program::Program;
use crate::space::SearchSpace;
use burn::tensor::Device;
use std::time::Instant;

/// Evaluates loss programs by inner-loop DQN training.
pub struct RlLossEvaluator {
    space: SearchSpace,
    name: String,
    tasks: Vec<RlLossTask>,
    device: Device,
    probe: LossProbe,
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
        let start = Instant::now();
        let mut total = 0.0;
        let mut steps = 0u64;
        let mut details = Vec::new();
        for (k, task) in self.tasks.iter().enumerate() {
            let elapsed = start.elapsed().as_secs_f64();
            let left = ctx.time_limit.map(|t| (t.as_secs_f64() - elapsed).max(0.0));
            let report = match self.train(program, k, ctx.seed.wrapping_add(k as u64), left) {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!("task {}: {e:#}", task.name);
                    return Evaluation::failed(
                        Outcome::Invalid,
                        Cost {
                            wall_secs: start.elapsed().as_secs_f64(),
                            steps,
                        },
                    );
                }
            };
            steps += report.env_steps;
            let cost = Cost {
                wall_secs: start.elapsed().as_secs_f64(),
                steps,
            };
            let outcome = match report.outcome {
                TrainingOutcome::Completed => None,
                TrainingOutcome::NonFinite { .. } => Some(Outcome::NonFinite),
                TrainingOutcome::Diverged { .. } => Some(Outcome::Diverged),
                TrainingOutcome::TimedOut { .. } => Some(Outcome::TimedOut),
            };
            if let Some(o) = outcome {
                let mut e = Evaluation::failed(o, cost);
                e.details = details;
                e.details
                    .push((format!("{}/env_steps", task.name), report.env_steps as f64));
                return e;
            }
            let mean = Self::mean_final_return(task, &report);
            let score = normalized_score(mean, task.environment.return_range);
            total += score;
            details.push((format!("{}/score", task.name), score));
            details.push((format!("{}/mean_return", task.name), mean));
            details.push((
                format!("{}/episodes", task.name),
                report.episode_returns.len() as f64,
            ));
            if k == 0 && self.tasks.len() > 1 && ctx.hurdle.is_some_and(|h| score < h) {
                return Evaluation {
                    fitness: Some(total),
                    test_score: None,
                    details,
                    outcome: Outcome::Hurdle,
                    cost,
                };
            }
        }
        Evaluation {
            fitness: Some(total),
            test_score: None,
            details,
            outcome: Outcome::Ok,
            cost: Cost {
                wall_secs: start.elapsed().as_secs_f64(),
                steps,
            },
        }
    }

    fn probe_outputs(&self, program: &Program) -> Vec<f64> {
        self.probe.outputs(program)
    }
}
