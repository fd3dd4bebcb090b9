//! A loss that cannot learn is not a candidate: before training, the gradient of the batch-mean
//! loss with respect to the online Q-network θ is computed on fixed probe batches, through the
//! same burn path the DQN inner loop trains with ([`ProgramLoss`] and
//! [`OnlineNetwork::backprop`]).
//!
//! A loss passes when at least one probe batch gives a finite gradient with an entry above
//! [`ZERO_TOLERANCE`]` · (1 + |L̄|)` (`L̄` the batch-mean loss). Constant losses such as
//! `Q − Q`, `l2_distance(Q, Q)` or `logsumexp(Q − Q)`, and losses that reach θ only through the
//! target network, fail on every batch and are rejected with `no_gradient` (issue 13: from
//! scratch on CartPole such losses filled the top of the ranking with lucky scores). Several
//! independent batches and networks keep an accidental zero (every ReLU of a hidden unit off,
//! a `max` picking the target side on one batch) from rejecting a real loss.

use super::burn_loss::ProgramLoss;
use super::dqn::{HostMlp, LossInputs, OnlineNetwork, QNetwork};
use crate::program::Program;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Independent probe batches (networks and transitions).
pub const GRADIENT_REPEATS: usize = 3;
/// Transitions per probe batch.
pub const GRADIENT_TRANSITIONS: usize = 32;
/// A gradient whose largest entry is at most this times `1 + |L̄|` counts as zero. Far below
/// anything Adam would turn into a step, above the residue of exact cancellations.
pub const ZERO_TOLERANCE: f64 = 1e-9;
const STATE_DIM: usize = 4;
const HIDDEN: usize = 8;
const ACTIONS: usize = 3;
const SEED: u64 = 0x96_ad_c4_ec;

/// One probe batch on the host (plain `f32`, so the check is `Send + Sync`).
#[derive(Debug, Clone)]
struct ProbeBatch {
    online: HostMlp,
    target: HostMlp,
    s_tm1: Vec<f32>,
    s_t: Vec<f32>,
    action: Vec<i64>,
    reward: Vec<f32>,
    discount: Vec<f32>,
}

/// The fixed probe batches of the gradient check (the same in every process).
#[derive(Debug, Clone)]
pub struct GradientCheck {
    batches: Vec<ProbeBatch>,
}

impl Default for GradientCheck {
    fn default() -> Self {
        Self::new()
    }
}

impl GradientCheck {
    /// The canonical probe: [`GRADIENT_REPEATS`] batches of [`GRADIENT_TRANSITIONS`]
    /// transitions (4-d states uniform in ±1, 3 actions, rewards uniform in ±1, every fifth
    /// transition terminal) with `4 → 8 → 3` ReLU Q-networks in PyTorch's default init.
    pub fn new() -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(SEED);
        let device = Device::flex();
        let n = GRADIENT_TRANSITIONS;
        let batches = (0..GRADIENT_REPEATS)
            .map(|_| {
                let online = QNetwork::new(STATE_DIM, &[HIDDEN], ACTIONS, &mut rng, &device);
                let target = QNetwork::new(STATE_DIM, &[HIDDEN], ACTIONS, &mut rng, &device);
                let mut uniform = |k: usize| -> Vec<f32> {
                    (0..k).map(|_| rng.random_range(-1.0f32..1.0)).collect()
                };
                let s_tm1 = uniform(n * STATE_DIM);
                let s_t = uniform(n * STATE_DIM);
                let reward = uniform(n);
                let action = (0..n)
                    .map(|_| rng.random_range(0..ACTIONS as i64))
                    .collect();
                let discount = (0..n)
                    .map(|i| if i % 5 == 4 { 0.0 } else { 0.99 })
                    .collect();
                ProbeBatch {
                    online: online.to_host(),
                    target: target.to_host(),
                    s_tm1,
                    s_t,
                    action,
                    reward,
                    discount,
                }
            })
            .collect();
        GradientCheck { batches }
    }

    /// Whether `program` (a valid RL loss) has a non-zero, finite gradient with respect to θ
    /// on at least one probe batch. Costs a few milliseconds (three forward and backward
    /// passes of a 32-transition batch).
    pub fn has_gradient(&self, program: &Program) -> bool {
        let loss = ProgramLoss::new(program.clone());
        self.batches.iter().any(|b| batch_has_gradient(&loss, b))
    }
}

fn batch_has_gradient(loss: &ProgramLoss, b: &ProbeBatch) -> bool {
    let device = Device::flex();
    let n = GRADIENT_TRANSITIONS;
    let online = QNetwork::from_host(&b.online, &device);
    let target = QNetwork::from_host(&b.target, &device);
    let theta = OnlineNetwork::new(&online);
    let inputs = LossInputs {
        online: &theta,
        target: &target,
        s_tm1: Tensor::from_data(TensorData::new(b.s_tm1.clone(), [n, STATE_DIM]), &device),
        action: Tensor::<1, Int>::from_data(TensorData::new(b.action.clone(), [n]), &device),
        reward: Tensor::from_data(TensorData::new(b.reward.clone(), [n]), &device),
        discount: Tensor::from_data(TensorData::new(b.discount.clone(), [n]), &device),
        s_t: Tensor::from_data(TensorData::new(b.s_t.clone(), [n, STATE_DIM]), &device),
    };
    let mean = loss.forward(&inputs).mean();
    if !mean.is_autodiff() {
        return false; // nothing tracked: no path from θ
    }
    let value = mean
        .clone()
        .into_data()
        .try_to_vec::<f32>()
        .ok()
        .and_then(|v| v.first().copied())
        .map_or(f64::NAN, f64::from);
    if !value.is_finite() {
        return false;
    }
    let tolerance = ZERO_TOLERANCE * (1.0 + value.abs());
    let mut largest = 0.0f64;
    for (w, bias) in theta.backprop(&mean.backward()) {
        for g in w.iter().chain(bias.iter()).flatten() {
            let g = f64::from(*g);
            if !g.is_finite() {
                return false;
            }
            largest = largest.max(g.abs());
        }
    }
    largest > tolerance
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains::rl_loss::test_programs::{program, seed};

    #[test]
    fn every_seed_loss_has_a_gradient() {
        let check = GradientCheck::new();
        let seeds = crate::catalog::seeds("rl_loss");
        assert!(seeds.len() >= 6);
        for (name, text) in seeds {
            let p = Program::from_json(&text, &name).unwrap();
            assert!(check.has_gradient(&p), "{name} rejected");
        }
    }

    #[test]
    fn constant_losses_are_rejected() {
        let check = GradientCheck::new();
        // Inputs: 0 q_param, 1 action, 2 s_tm1, 3 q_targ_param, 4 s_t, 5 reward, 6 discount.
        // 7 = Q(s_tm1) [B, A]
        let q = ("qvalue_list", &[0usize, 2][..]);
        let q_minus_q = program(&[q, ("sub", &[7, 7]), ("sum_list", &[8])]);
        let l2 = program(&[q, ("l2_distance", &[7, 7]), ("sum_list", &[8])]);
        let lse = program(&[q, ("sub", &[7, 7]), ("logsumexp_list", &[8])]);
        for (name, p) in [("Q − Q", q_minus_q), ("l2(Q, Q)", l2), ("lse(Q − Q)", lse)] {
            assert!(!check.has_gradient(&p), "{name} accepted");
        }
        // The control: one term that reads Q.
        let sum_q = program(&[q, ("sum_list", &[7])]);
        assert!(check.has_gradient(&sum_q));
    }

    #[test]
    fn a_loss_reaching_theta_only_through_the_target_network_is_rejected() {
        let check = GradientCheck::new();
        // max_list(Q'(s_t)) − reward, with Q_θ(s_tm1) computed but cancelled: θ is read, yet
        // no gradient reaches it.
        let p = program(&[
            ("qvalue_list", &[3, 4]),
            ("max_list", &[7]),
            ("sub", &[8, 5]),
            ("qvalue_list", &[0, 2]),
            ("sub", &[10, 10]),
            ("sum_list", &[11]),
            ("add", &[9, 12]),
        ]);
        assert!(!check.has_gradient(&p));
        // Through the online network instead, the same loss learns.
        let mut online = p.clone();
        online.nodes[0].args = vec![0, 4];
        assert!(check.has_gradient(&online));
        // DQN with its online Q-value replaced by the target network's: rejected.
        let mut dqn = seed("dqn");
        for node in &mut dqn.nodes {
            if node.op.name() == "qvalue_list" && node.args[0] == 0 {
                node.args[0] = 3;
            }
        }
        assert!(!check.has_gradient(&dqn));
    }
}
