//! Scoring expressions on a dataset.

use super::Dataset;
use super::constants::{ConstantFit, FitConfig, fit_constants};
use crate::engine::staged::{StageClock, below_hurdle, hurdle_stop};
use crate::engine::{EvalContext, Evaluation, Evaluator, Improvement, Outcome};
use crate::program::Program;
use crate::program::interpreter::Interpreter;
use crate::program::ops::KernelContext;
use crate::program::space::SearchSpace;
use crate::program::value::Value;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cell::RefCell;

/// Rows of the canonical probe batch used for fingerprints.
pub const PROBE_ROWS: usize = 16;
/// Seed of the probe batch (fixed forever: changing it changes every fingerprint).
const PROBE_SEED: u64 = 0x5eed_f00d;
/// Fraction of training rows in the first stage when a hurdle is active.
const HURDLE_STAGE_FRACTION: f64 = 0.25;

thread_local! {
    static INTERPRETER: RefCell<Interpreter> = RefCell::new(Interpreter::new());
}

/// Evaluates expressions on a train/test split.
pub struct SymbolicRegressionEvaluator {
    space: SearchSpace,
    task: String,
    train: Vec<Value>,
    train_y: Vec<f64>,
    test: Vec<Value>,
    test_y: Vec<f64>,
    stage: Vec<Value>,
    stage_y: Vec<f64>,
    probe: Vec<Value>,
}

/// Goodness of fit of predictions against targets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitScores {
    /// Mean squared error.
    pub mse: f64,
    /// RMSE / std(y) (RMSE when y is constant).
    pub nrmse: f64,
    /// Coefficient of determination 1 − SSE/SST.
    pub r2: f64,
}

/// MSE, NRMSE and R² of `pred` (broadcast if a scalar) against `y`; `None` if non-finite.
pub fn fit_scores(pred: &Value, y: &[f64]) -> Option<FitScores> {
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let mut sse = 0.0;
    let mut sst = 0.0;
    if pred.data.len() == y.len() {
        for (p, t) in pred.data.iter().zip(y) {
            sse += (p - t) * (p - t);
            sst += (t - mean) * (t - mean);
        }
    } else {
        let p = pred.data[0];
        for t in y {
            sse += (p - t) * (p - t);
            sst += (t - mean) * (t - mean);
        }
    }
    if !sse.is_finite() {
        return None;
    }
    let mse = sse / n;
    let var = sst / n;
    let nrmse = if var > 0.0 {
        (mse / var).sqrt()
    } else {
        mse.sqrt()
    };
    let r2 = if sst > 0.0 {
        1.0 - sse / sst
    } else if sse == 0.0 {
        1.0
    } else {
        0.0
    };
    Some(FitScores { mse, nrmse, r2 })
}

/// Runs `p` on `x` with this thread's interpreter (RNG reset) and hands the output to `f`.
fn with_output<T>(p: &Program, x: &[Value], f: impl FnOnce(&Value) -> T) -> T {
    INTERPRETER.with(|it| {
        let mut it = it.borrow_mut();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut ctx = KernelContext::new(&mut rng);
        f(it.run(p, x, &mut ctx))
    })
}

fn columns(d: &Dataset) -> Vec<Value> {
    d.columns.iter().map(|c| Value::column(c.clone())).collect()
}

impl SymbolicRegressionEvaluator {
    /// An evaluator for `space` (inputs bound to the data's variables) on `(train, test)`.
    pub fn new(space: SearchSpace, task: &str, train: &Dataset, test: &Dataset) -> Self {
        let space = space.with_task_inputs(&train.names);
        let n_stage = ((train.rows() as f64 * HURDLE_STAGE_FRACTION).ceil() as usize).max(1);
        let stage_idx: Vec<usize> = (0..n_stage.min(train.rows())).collect();
        let stage = train.subset(&stage_idx);
        let mut rng = ChaCha8Rng::seed_from_u64(PROBE_SEED);
        let probe = (0..space.inputs.len())
            .map(|_| {
                Value::column(
                    (0..PROBE_ROWS)
                        .map(|_| rng.random_range(-3.0..3.0))
                        .collect(),
                )
            })
            .collect();
        SymbolicRegressionEvaluator {
            space,
            task: task.to_string(),
            train: columns(train),
            train_y: train.target.clone(),
            test: columns(test),
            test_y: test.target.clone(),
            stage: columns(&stage),
            stage_y: stage.target,
            probe,
        }
    }

    fn score(&self, p: &Program, x: &[Value], y: &[f64]) -> Option<FitScores> {
        with_output(p, x, |out| fit_scores(out, y))
    }

    /// Training-set predictions' fit (the fitness's basis), for benchmarks and tests.
    pub fn train_scores(&self, p: &Program) -> Option<FitScores> {
        self.score(p, &self.train, &self.train_y)
    }
}

/// Fitness from NRMSE: `1 / (1 + NRMSE)`, in (0, 1], 1 for a perfect fit.
pub fn fitness_from_nrmse(nrmse: f64) -> f64 {
    1.0 / (1.0 + nrmse)
}

impl Evaluator for SymbolicRegressionEvaluator {
    fn space(&self) -> &SearchSpace {
        &self.space
    }

    fn task_name(&self) -> &str {
        &self.task
    }

    fn evaluate(&self, p: &Program, ctx: &EvalContext) -> Evaluation {
        // Rows are the steps. The first stage (a quarter of the training rows) runs only when
        // there is a hurdle; there is no time limit, an evaluation takes microseconds.
        let clock = StageClock::start(ctx);
        let cost = |rows: usize| clock.cost(rows as u64);
        if ctx.hurdle.is_some() {
            match self.score(p, &self.stage, &self.stage_y) {
                None => return Evaluation::failed(Outcome::NonFinite, cost(self.stage_y.len())),
                Some(s) if below_hurdle(ctx, fitness_from_nrmse(s.nrmse)) => {
                    return hurdle_stop(
                        fitness_from_nrmse(s.nrmse),
                        vec![("stage_nrmse".into(), s.nrmse)],
                        cost(self.stage_y.len()),
                    );
                }
                Some(_) => {}
            }
        }
        let rows = self.train_y.len() + self.test_y.len();
        let Some(train) = self.score(p, &self.train, &self.train_y) else {
            return Evaluation::failed(Outcome::NonFinite, cost(self.train_y.len()));
        };
        let test = self.score(p, &self.test, &self.test_y);
        let mut details = vec![
            ("train_mse".into(), train.mse),
            ("train_nrmse".into(), train.nrmse),
            ("train_r2".into(), train.r2),
        ];
        if let Some(t) = test {
            details.push(("test_nrmse".into(), t.nrmse));
            details.push(("test_r2".into(), t.r2));
        }
        Evaluation {
            fitness: Some(fitness_from_nrmse(train.nrmse)),
            test_score: test.map(|t| t.r2),
            details,
            outcome: Outcome::Ok,
            cost: cost(rows),
        }
    }

    fn probe_outputs(&self, p: &Program) -> Vec<f64> {
        with_output(p, &self.probe, |out| out.broadcast_to(PROBE_ROWS, 1))
    }

    /// Fits the live constants to the training rows (BFGS, [`super::constants`]).
    fn improve(&self, p: &Program, ctx: &EvalContext) -> Improvement {
        match fit_constants(
            p,
            &self.train,
            &self.train_y,
            ctx.seed,
            &FitConfig::default(),
        ) {
            ConstantFit::NoConstants => Improvement::NotApplicable,
            ConstantFit::Fitted { program, .. } => Improvement::Improved(program),
            ConstantFit::Kept { reason } => Improvement::Kept(reason),
        }
    }
}
