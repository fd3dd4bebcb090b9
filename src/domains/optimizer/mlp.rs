//! Training a small MLP classifier on the digits with any burn optimizer — the optimizer
//! domain's neural-network task (and the reference runs of Adam, AdamW and Lion).

use super::digits::{Digits, NUM_CLASSES, NUM_FEATURES};
use crate::domains::rl_loss::dqn::QNetwork;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::seq::SliceRandom;
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

fn batch_tensors(data: &Digits, idx: &[usize], device: &Device) -> (Tensor<2>, Tensor<2>) {
    let mut x = Vec::with_capacity(idx.len() * NUM_FEATURES);
    let mut onehot = vec![0f32; idx.len() * NUM_CLASSES];
    for (r, &i) in idx.iter().enumerate() {
        x.extend_from_slice(&data.x[i * NUM_FEATURES..(i + 1) * NUM_FEATURES]);
        onehot[r * NUM_CLASSES + data.y[i]] = 1.0;
    }
    (
        Tensor::from_data(TensorData::new(x, [idx.len(), NUM_FEATURES]), device),
        Tensor::from_data(TensorData::new(onehot, [idx.len(), NUM_CLASSES]), device),
    )
}

/// Mean cross-entropy `[1]` of logits `[B, 10]` against one-hot targets `[B, 10]`.
fn cross_entropy(logits: Tensor<2>, onehot: Tensor<2>) -> Tensor<1> {
    let b = logits.dims()[0] as f64;
    (log_softmax(logits, 1) * onehot).sum().mul_scalar(-1.0 / b)
}

/// Mean cross-entropy and accuracy of `net` on `data` (no gradient).
pub fn evaluate(net: &QNetwork, data: &Digits, device: &Device) -> (f64, f64) {
    let idx: Vec<usize> = (0..data.len()).collect();
    let (x, onehot) = batch_tensors(data, &idx, device);
    let logits = net.snapshot().q_values(x);
    let loss = cross_entropy(logits.clone(), onehot).into_scalar::<f32>() as f64;
    let z: Vec<f32> = logits.into_data().iter::<f32>().collect();
    let correct = data
        .y
        .iter()
        .enumerate()
        .filter(|(r, y)| {
            let row = &z[r * NUM_CLASSES..(r + 1) * NUM_CLASSES];
            let best = (0..NUM_CLASSES).fold(0, |b, k| if row[k] > row[b] { k } else { b });
            best == **y
        })
        .count();
    (loss, correct as f64 / data.len().max(1) as f64)
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
    let mut net = QNetwork::new(NUM_FEATURES, &run.hidden, NUM_CLASSES, &mut rng, &autodiff);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut cursor = order.len();
    let (mut non_finite, mut timed_out, mut steps) = (false, false, 0);
    while steps < run.steps {
        if deadline.is_some_and(|d| Instant::now() > d) {
            timed_out = true;
            break;
        }
        if cursor + run.batch_size > order.len() {
            order.shuffle(&mut rng);
            cursor = 0;
        }
        let idx = &order[cursor..cursor + run.batch_size.min(order.len())];
        cursor += run.batch_size;
        let (x, onehot) = batch_tensors(train, idx, &autodiff);
        let loss = cross_entropy(net.q_values(x), onehot);
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
