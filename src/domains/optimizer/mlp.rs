//! Training a small MLP classifier on the digits with any burn optimizer — the optimizer
//! domain's neural-network task (and the reference runs of Adam, AdamW and Lion).

use crate::datasets::digits::{
    Digits, Minibatches, NUM_CLASSES, NUM_FEATURES, cross_entropy, loss_and_accuracy,
};
use crate::nn::Mlp;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::Device;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// Settings of one MLP training run.
#[derive(Debug, Clone, PartialEq)]
pub struct MlpRun {
    /// Hidden layer widths (ReLU), e.g. `[32]`: 64 → 32 → 10.
    pub hidden: Vec<usize>,
    /// Optimizer steps (one minibatch each).
    pub steps: usize,
    /// Minibatch size.
    pub batch_size: usize,
    /// Learning rate passed to the optimizer.
    pub lr: f64,
    /// Seed of the initial weights and the minibatch order.
    pub seed: u64,
}

/// The result of a training run.
#[derive(Debug, Clone, PartialEq)]
pub struct MlpReport {
    /// Mean cross-entropy (nats) on the validation set after training.
    pub val_loss: f64,
    /// Validation accuracy in [0, 1].
    pub val_accuracy: f64,
    /// Test accuracy in [0, 1].
    pub test_accuracy: f64,
    /// Steps actually taken (fewer when the loss went non-finite or time ran out).
    pub steps: usize,
    /// Whether the training loss became NaN or ±∞.
    pub non_finite: bool,
    /// Whether the deadline stopped training.
    pub timed_out: bool,
}

/// Mean cross-entropy and accuracy of `net` on `data` (no gradient).
pub fn evaluate(net: &Mlp, data: &Digits, device: &Device) -> (f64, f64) {
    let idx: Vec<usize> = (0..data.len()).collect();
    let (x, _) = data.tensors(&idx, device);
    loss_and_accuracy(net.snapshot().forward(x), data)
}

/// Trains an MLP `64 → hidden… → 10` on `train` with `optim` for `run.steps` minibatch steps
/// (cross-entropy loss), then scores it on `validation` and `test`. Parameters live on
/// `device.autodiff()`. Stops early when the loss is non-finite or `deadline` passes.
pub fn train(
    run: &MlpRun,
    optim: &mut ModuleOptimizer,
    (train, validation, test): (&Digits, &Digits, &Digits),
    device: &Device,
    deadline: Option<Instant>,
) -> MlpReport {
    let autodiff = device.clone().autodiff();
    let mut rng = ChaCha8Rng::seed_from_u64(run.seed);
    let mut net = Mlp::new(NUM_FEATURES, &run.hidden, NUM_CLASSES, &mut rng, &autodiff);
    let mut batches = Minibatches::new(train.len(), run.batch_size);
    let (mut non_finite, mut timed_out, mut steps) = (false, false, 0);
    while steps < run.steps {
        if deadline.is_some_and(|d| Instant::now() > d) {
            timed_out = true;
            break;
        }
        let idx = batches.next_batch(&mut rng).to_vec();
        let (x, onehot) = train.tensors(&idx, &autodiff);
        let loss = cross_entropy(net.forward(x), onehot);
        let value = loss.clone().into_scalar::<f32>();
        if !value.is_finite() {
            non_finite = true;
            break;
        }
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optim.step(run.lr, net, grads);
        steps += 1;
    }
    let (val_loss, val_accuracy) = evaluate(&net, validation, device);
    let (_, test_accuracy) = evaluate(&net, test, device);
    MlpReport {
        val_loss,
        val_accuracy,
        test_accuracy,
        steps,
        non_finite: non_finite || !val_loss.is_finite(),
        timed_out,
    }
}
