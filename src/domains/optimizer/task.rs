//! Optimizer task files (`tasks/digits-mlp.toml`, …): the training problem an update rule is
//! scored on, its step budget and learning rate, the held-out tasks reported next to it, and
//! campaign defaults.
//!
//! ```toml
//! domain = "optimizer"
//! name = "digits-mlp"
//! held_out = ["digits-logistic", "rosenbrock"]
//! [problem]
//! kind = "mlp"          # quadratic | rosenbrock | logistic | mlp
//! hidden = [32]
//! steps = 300
//! batch_size = 64
//! lr = 0.01
//! data = "data/digits.csv"
//! ```

use serde::Deserialize;

/// The problem an update rule trains on, with its budget.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Problem {
    /// A rotated ill-conditioned quadratic (see [`super::problems::Quadratic`]); score =
    /// `log10(f₀/f_T) / decades`, clipped to [0, 1].
    Quadratic {
        /// Dimension.
        dim: usize,
        /// Condition number of the Hessian.
        condition: f64,
        /// Seed of the matrix and the optimum (fixed per task).
        problem_seed: u64,
        /// Optimizer steps.
        steps: usize,
        /// Learning rate.
        lr: f64,
        /// Orders of magnitude of loss decrease that give a full score.
        decades: f64,
    },
    /// The Rosenbrock function (see [`super::problems::Rosenbrock`]); scored like `quadratic`.
    Rosenbrock {
        /// Dimension (≥ 2).
        dim: usize,
        /// Optimizer steps.
        steps: usize,
        /// Learning rate.
        lr: f64,
        /// Orders of magnitude of loss decrease that give a full score.
        decades: f64,
    },
    /// Softmax regression on the digits, minibatch SGD-style steps; score = validation accuracy.
    Logistic {
        /// Optimizer steps.
        steps: usize,
        /// Minibatch size.
        batch_size: usize,
        /// Learning rate.
        lr: f64,
        /// Dataset CSV, relative to the task file (`data/digits.csv` is also shipped inside gevo).
        data: String,
        /// Seed of the train/validation/test split (60/20/20).
        #[serde(default)]
        split_seed: u64,
    },
    /// An MLP classifier on the digits trained with burn; score = validation accuracy.
    Mlp {
        /// Hidden layer widths.
        hidden: Vec<usize>,
        /// Optimizer steps.
        steps: usize,
        /// Minibatch size.
        batch_size: usize,
        /// Learning rate.
        lr: f64,
        /// Dataset CSV, relative to the task file.
        data: String,
        /// Seed of the train/validation/test split (60/20/20).
        #[serde(default)]
        split_seed: u64,
    },
}

impl Problem {
    /// Checks ranges that serde cannot.
    ///
    /// # Errors
    /// A message naming the bad field.
    pub fn validate(&self) -> Result<(), String> {
        let (steps, lr) = match self {
            Problem::Quadratic {
                dim,
                condition,
                steps,
                lr,
                decades,
                ..
            } => {
                if *dim == 0 || *condition < 1.0 || *decades <= 0.0 {
                    return Err("need dim ≥ 1, condition ≥ 1 and decades > 0".into());
                }
                (*steps, *lr)
            }
            Problem::Rosenbrock {
                dim,
                steps,
                lr,
                decades,
            } => {
                if *dim < 2 || *decades <= 0.0 {
                    return Err("need dim ≥ 2 and decades > 0".into());
                }
                (*steps, *lr)
            }
            Problem::Logistic {
                steps,
                batch_size,
                lr,
                ..
            }
            | Problem::Mlp {
                steps,
                batch_size,
                lr,
                ..
            } => {
                if *batch_size == 0 {
                    return Err("batch_size must be ≥ 1".into());
                }
                (*steps, *lr)
            }
        };
        if steps == 0 || !(lr.is_finite() && lr > 0.0) {
            return Err("need steps ≥ 1 and a positive learning rate".into());
        }
        Ok(())
    }
}

/// An optimizer task file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimizerTask {
    /// Always `optimizer`.
    pub domain: String,
    /// Task name.
    pub name: String,
    /// One-line description.
    #[serde(default)]
    pub description: String,
    /// Tasks (names in `tasks/`) scored after the meta-training tasks and reported as the
    /// held-out score; they never affect fitness.
    #[serde(default)]
    pub held_out: Vec<String>,
    /// The problem.
    pub problem: Problem,
    /// Campaign defaults (read by `gevo run`).
    #[serde(default)]
    pub campaign: Option<toml::Table>,
}
