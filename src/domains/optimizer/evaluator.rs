//! Scoring an update rule: train each meta-training task's problem with it, in order, and sum
//! the task scores (each in [0, 1]); the held-out tasks are scored the same way and reported as
//! the test score, never used as fitness. Each task is a stage of [`crate::engine::staged`]; the
//! first is a hurdle stage, as for RL losses.

use super::burn_optimizer::ProgramOptimizer;
use super::mlp::{self, MlpRun};
use super::problems::{Objective, Quadratic, Rosenbrock, SoftmaxRegression};
use super::task::{OptimizerTask, Problem};
use super::update_rule::{OptimizerState, UpdateRule};
use crate::datasets::digits::{self, Digits};
use crate::engine::staged::{Stage, StageResult, evaluate_staged};
use crate::engine::{EvalContext, Evaluation, Evaluator, Outcome};
use crate::program::Program;
use crate::program::space::SearchSpace;
use burn::tensor::Device;
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::time::Instant;

/// A task with its data loaded.
#[derive(Debug, Clone)]
pub struct LoadedTask {
    /// The task file.
    pub task: OptimizerTask,
    /// Train/validation/test digits for `logistic` and `mlp` problems (private: [`Self::load`]
    /// fills it for exactly those).
    data: Option<(Digits, Digits, Digits)>,
}

impl LoadedTask {
    /// Loads a task's dataset (relative paths resolve against `base`).
    ///
    /// # Errors
    /// A missing or malformed dataset file.
    pub fn load(task: OptimizerTask, base: Option<&Path>) -> anyhow::Result<Self> {
        let data = match &task.problem {
            Problem::Logistic {
                data, split_seed, ..
            }
            | Problem::Mlp {
                data, split_seed, ..
            } => {
                let d = digits::load(data, base)?;
                Some(digits::split(&d, *split_seed, 0.6, 0.2))
            }
            _ => None,
        };
        Ok(LoadedTask { task, data })
    }
}

/// How one task run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskResult {
    /// Score in [0, 1] (validation accuracy, or loss decades reached / decades asked).
    pub score: f64,
    /// Named figures: final loss, validation loss, test accuracy, …
    pub details: Vec<(&'static str, f64)>,
    /// Optimizer steps taken.
    pub steps: u64,
    /// `None` when training completed.
    pub failure: Option<Outcome>,
}

impl TaskResult {
    /// A digits problem whose data was not loaded: [`LoadedTask::load`] always loads it, so
    /// this only guards against a future constructor that forgets to.
    fn without_data() -> TaskResult {
        TaskResult {
            score: 0.0,
            details: Vec::new(),
            steps: 0,
            failure: Some(Outcome::Invalid),
        }
    }
}

/// Runs `rule` on `task` with `seed`.
pub fn run_task(
    rule: &Program,
    task: &LoadedTask,
    seed: u64,
    device: &Device,
    deadline: Option<Instant>,
) -> TaskResult {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    match &task.task.problem {
        Problem::Quadratic {
            dim,
            condition,
            problem_seed,
            steps,
            lr,
            decades,
        } => {
            let q = Quadratic::new(
                *dim,
                *condition,
                &mut ChaCha8Rng::seed_from_u64(*problem_seed),
            );
            descend(rule, &q, *steps, *lr, *decades, None, &mut rng, deadline)
        }
        Problem::Rosenbrock {
            dim,
            steps,
            lr,
            decades,
        } => descend(
            rule,
            &Rosenbrock { n: *dim },
            *steps,
            *lr,
            *decades,
            None,
            &mut rng,
            deadline,
        ),
        Problem::Logistic {
            steps,
            batch_size,
            lr,
            ..
        } => {
            let Some((train, val, test)) = task.data.as_ref() else {
                return TaskResult::without_data();
            };
            let obj = SoftmaxRegression {
                train: train.clone(),
            };
            let mut r = descend(
                rule,
                &obj,
                *steps,
                *lr,
                1.0,
                Some(*batch_size),
                &mut rng,
                deadline,
            );
            if r.result.failure.is_none() {
                let w = r.final_weights.take().unwrap_or_default();
                let (val_loss, val_acc) = SoftmaxRegression::evaluate(&w, val);
                let (_, test_acc) = SoftmaxRegression::evaluate(&w, test);
                r.result.score = if val_loss.is_finite() { val_acc } else { 0.0 };
                r.result.details = vec![
                    ("val_loss", val_loss),
                    ("val_accuracy", val_acc),
                    ("test_accuracy", test_acc),
                ];
            }
            return r.result;
        }
        Problem::Mlp {
            hidden,
            steps,
            batch_size,
            lr,
            ..
        } => {
            let Some((train, val, test)) = task.data.as_ref() else {
                return TaskResult::without_data();
            };
            let run = MlpRun {
                hidden: hidden.clone(),
                steps: *steps,
                batch_size: *batch_size,
                lr: *lr,
                seed,
            };
            let mut optim = ProgramOptimizer::new(rule.clone()).init();
            let rep = mlp::train(&run, &mut optim, (train, val, test), device, deadline);
            let failure = if rep.non_finite {
                Some(Outcome::NonFinite)
            } else if rep.timed_out {
                Some(Outcome::TimedOut)
            } else {
                None
            };
            return TaskResult {
                score: rep.val_accuracy,
                details: vec![
                    ("val_loss", rep.val_loss),
                    ("val_accuracy", rep.val_accuracy),
                    ("test_accuracy", rep.test_accuracy),
                ],
                steps: rep.steps as u64,
                failure,
            };
        }
    }
    .result
}

struct Descent {
    result: TaskResult,
    final_weights: Option<Vec<f64>>,
}

/// Gradient steps with `rule` on an f64 objective; scores `log10(f₀/f_T)/decades`.
#[allow(clippy::too_many_arguments)]
fn descend(
    rule: &Program,
    obj: &dyn Objective,
    steps: usize,
    lr: f64,
    decades: f64,
    batch_size: Option<usize>,
    rng: &mut ChaCha8Rng,
    deadline: Option<Instant>,
) -> Descent {
    let mut rule = UpdateRule::new(rule.clone());
    let mut w = obj.init(rng);
    let mut g = vec![0.0; w.len()];
    let mut state = OptimizerState::zeros(w.len());
    let f0 = obj.loss_grad(&w, &mut g, None);
    let fail = |o: Outcome, t: usize| Descent {
        result: TaskResult {
            score: 0.0,
            details: vec![],
            steps: t as u64,
            failure: Some(o),
        },
        final_weights: None,
    };
    for t in 0..steps {
        if deadline.is_some_and(|d| Instant::now() > d) {
            return fail(Outcome::TimedOut, t);
        }
        let f = match batch_size {
            Some(b) => {
                let rows = stochastic_rows(obj, b, rng);
                obj.loss_grad(&w, &mut g, Some(&rows))
            }
            None => obj.loss_grad(&w, &mut g, None),
        };
        if !f.is_finite() {
            return fail(Outcome::NonFinite, t);
        }
        if rule.step(&mut w, &g, &mut state, lr).is_err() {
            return fail(Outcome::NonFinite, t);
        }
    }
    let f_final = obj.loss_grad(&w, &mut g, None);
    if !f_final.is_finite() {
        return fail(Outcome::NonFinite, steps);
    }
    let score = ((f0 / f_final.max(f64::MIN_POSITIVE)).log10() / decades).clamp(0.0, 1.0);
    Descent {
        result: TaskResult {
            score,
            details: vec![("initial_loss", f0), ("final_loss", f_final)],
            steps: steps as u64,
            failure: None,
        },
        final_weights: Some(w),
    }
}

/// A minibatch of `b` distinct training rows.
fn stochastic_rows(obj: &dyn Objective, b: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let n = obj.rows().max(1);
    sample(rng, n, b.min(n)).into_vec()
}

/// Evaluates update rules on meta-training tasks (fitness) and held-out tasks (test score).
pub struct OptimizerEvaluator {
    space: SearchSpace,
    name: String,
    train: Vec<LoadedTask>,
    held_out: Vec<LoadedTask>,
    device: Device,
}

impl OptimizerEvaluator {
    /// An evaluator for meta-training `train` (in order; the first is the hurdle stage) and
    /// `held_out` tasks on `device`.
    pub fn new(
        space: SearchSpace,
        train: Vec<LoadedTask>,
        held_out: Vec<LoadedTask>,
        device: Device,
    ) -> Self {
        let name = train
            .iter()
            .map(|t| t.task.name.as_str())
            .collect::<Vec<_>>()
            .join(",");
        OptimizerEvaluator {
            space,
            name,
            train,
            held_out,
            device,
        }
    }

    /// Meta-training tasks, in order.
    pub fn train_tasks(&self) -> &[LoadedTask] {
        &self.train
    }

    /// Held-out tasks.
    pub fn held_out_tasks(&self) -> &[LoadedTask] {
        &self.held_out
    }
}

impl Evaluator for OptimizerEvaluator {
    fn space(&self) -> &SearchSpace {
        &self.space
    }

    fn task_name(&self) -> &str {
        &self.name
    }

    fn evaluate(&self, program: &Program, ctx: &EvalContext) -> Evaluation {
        let tasks: Vec<&LoadedTask> = self.train.iter().chain(&self.held_out).collect();
        let stages: Vec<Stage> = tasks
            .iter()
            .enumerate()
            .map(|(k, t)| Stage {
                name: &t.task.name,
                held_out: k >= self.train.len(),
            })
            .collect();
        evaluate_staged(ctx, &stages, |input| {
            let r = run_task(
                program,
                tasks[input.index],
                input.seed,
                &self.device,
                input.deadline,
            );
            match r.failure {
                // A failed run's figures are not recorded.
                Some(outcome) => StageResult::Failed {
                    outcome,
                    details: vec![],
                    steps: r.steps,
                },
                None => StageResult::Scored {
                    score: r.score,
                    details: r
                        .details
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                    steps: r.steps,
                },
            }
        })
    }

    fn probe_outputs(&self, program: &Program) -> Vec<f64> {
        super::fingerprint::probe(program)
    }
}
