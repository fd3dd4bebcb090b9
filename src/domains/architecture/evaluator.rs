//! Scoring a cell: build the network, train it on the task's data, fitness = validation
//! accuracy, test score = test accuracy.

use super::network::{CellNetwork, Plan};
use super::task::ArchitectureTask;
use crate::datasets::digits::{Digits, Minibatches, cross_entropy, loss_and_accuracy};
use crate::engine::{Cost, EvalContext, Evaluation, Evaluator, Outcome};
use crate::program::Program;
use crate::program::space::SearchSpace;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::Device;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// The result of training one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct CellReport {
    /// Validation accuracy in [0, 1].
    pub val_accuracy: f64,
    /// Validation cross-entropy (nats).
    pub val_loss: f64,
    /// Test accuracy in [0, 1].
    pub test_accuracy: f64,
    /// Trainable parameters of the network.
    pub parameters: usize,
    /// Steps taken.
    pub steps: usize,
    /// `None` when training completed.
    pub failure: Option<Outcome>,
}

/// Evaluates cells by training them on a digits task.
pub struct ArchitectureEvaluator {
    space: SearchSpace,
    task: ArchitectureTask,
    data: (Digits, Digits, Digits),
    device: Device,
}

impl ArchitectureEvaluator {
    /// An evaluator for `task` with its data split loaded, on `device`.
    pub fn new(
        space: SearchSpace,
        task: ArchitectureTask,
        data: (Digits, Digits, Digits),
        device: Device,
    ) -> Self {
        ArchitectureEvaluator {
            space,
            task,
            data,
            device,
        }
    }

    /// Trains `cell` with `seed` (initial weights and minibatch order).
    ///
    /// # Errors
    /// A program that is not a cell.
    pub fn train(
        &self,
        cell: &Program,
        seed: u64,
        deadline: Option<Instant>,
    ) -> Result<CellReport, String> {
        let plan = Plan::of(cell)?;
        let (train, val, test) = &self.data;
        let t = &self.task.training;
        let cells = self.task.network.cells;
        let autodiff = self.device.clone().autodiff();
        let mut net = CellNetwork::new(&plan, self.task.network.channels, cells, seed, &autodiff);
        let parameters = net.num_params();
        let mut optim = AdamConfig::new().with_epsilon(1e-8).init();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut batches = Minibatches::new(train.len(), t.batch_size);
        let mut failure = None;
        let mut steps = 0;
        while steps < t.steps {
            if deadline.is_some_and(|d| Instant::now() > d) {
                failure = Some(Outcome::TimedOut);
                break;
            }
            let idx = batches.next_batch(&mut rng).to_vec();
            let (x, onehot) = train.tensors(&idx, &autodiff);
            let loss = cross_entropy(net.forward(&plan, cells, x), onehot);
            if !loss.clone().into_scalar::<f32>().is_finite() {
                failure = Some(Outcome::NonFinite);
                break;
            }
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(t.lr, net, grads);
            steps += 1;
        }
        let frozen = net.valid();
        let score = |d: &Digits| {
            let idx: Vec<usize> = (0..d.len()).collect();
            let (x, _) = d.tensors(&idx, &self.device);
            loss_and_accuracy(frozen.forward(&plan, cells, x), d)
        };
        let (val_loss, val_accuracy) = score(val);
        let (_, test_accuracy) = score(test);
        if failure.is_none() && !val_loss.is_finite() {
            failure = Some(Outcome::NonFinite);
        }
        Ok(CellReport {
            val_accuracy,
            val_loss,
            test_accuracy,
            parameters,
            steps,
            failure,
        })
    }
}

impl Evaluator for ArchitectureEvaluator {
    fn space(&self) -> &SearchSpace {
        &self.space
    }

    fn task_name(&self) -> &str {
        &self.task.name
    }

    fn evaluate(&self, program: &Program, ctx: &EvalContext) -> Evaluation {
        let start = Instant::now();
        let deadline = ctx.time_limit.map(|t| start + t);
        let r = match self.train(program, ctx.seed, deadline) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!("not a cell: {e}");
                return Evaluation::failed(Outcome::Invalid, Cost::default());
            }
        };
        let cost = Cost {
            wall_secs: start.elapsed().as_secs_f64(),
            steps: r.steps as u64,
        };
        let name = &self.task.name;
        let details = vec![
            (format!("{name}/val_accuracy"), r.val_accuracy),
            (format!("{name}/val_loss"), r.val_loss),
            (format!("{name}/test_accuracy"), r.test_accuracy),
            (format!("{name}/parameters"), r.parameters as f64),
        ];
        if let Some(o) = r.failure {
            let mut e = Evaluation::failed(o, cost);
            e.details = details;
            return e;
        }
        Evaluation {
            fitness: Some(r.val_accuracy),
            test_score: Some(r.test_accuracy),
            details,
            outcome: Outcome::Ok,
            cost,
        }
    }

    fn probe_outputs(&self, program: &Program) -> Vec<f64> {
        super::fingerprint::probe(program, &self.task, &self.data.1, &self.device)
    }
}
