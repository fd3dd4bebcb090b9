//! The pluggable loss interface of the DQN inner loop and the standard DQN loss
//! (ICLR 2021 §3–4: evolved programs map `(Q, Q_targ, s_t, a_t, r_t, γ, s_{t+1})` to a loss).

use burn::tensor::{Int, Tensor};

use super::online::OnlineNetwork;
use super::q_network::QNetwork;

/// What a loss sees for one minibatch (`B` transitions, `S` = observation size,
/// `A` = number of actions).
///
/// The batch tensors live on the plain (non-autodiff) device: combined with the online
/// network's tracked outputs they act as constants.
pub struct LossInputs<'a> {
    /// Q-network θ: its Q-values carry gradients back to θ.
    pub online: &'a OnlineNetwork<'a>,
    /// Target network θ' (a plain-device snapshot); its outputs carry no gradient.
    pub target: &'a QNetwork,
    /// `[B, S]` states `s_t` (the paper calls it `s_tm1`).
    pub s_tm1: Tensor<2>,
    /// `[B]` actions `a_t`.
    pub action: Tensor<1, Int>,
    /// `[B]` rewards `r_t`.
    pub reward: Tensor<1>,
    /// `[B]` discounts `γ·(1 − terminated)` (a time-limit truncation is not terminal).
    pub discount: Tensor<1>,
    /// `[B, S]` next states `s_{t+1}`.
    pub s_t: Tensor<2>,
}

/// A loss program: returns the per-sample loss, shape `[B]` (the trainer minimizes its mean).
pub trait DqnLoss: Sync {
    /// Per-sample loss `[B]` for the minibatch in `inputs`.
    fn loss(&self, inputs: &LossInputs<'_>) -> Tensor<1>;
}

/// The standard DQN loss (Mnih et al. 2015), the paper's baseline and a bootstrap seed of the
/// search: `Q = Q_θ(s_t)[a_t]`, `Y = r_t + discount · max_a Q_θ'(s_{t+1}, a)`,
/// loss `½ (Q − Y)²` per sample.
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardDqnLoss;

impl DqnLoss for StandardDqnLoss {
    fn loss(&self, inputs: &LossInputs<'_>) -> Tensor<1> {
        let q_tm1 = inputs.online.q_values(inputs.s_tm1.clone()); // [B, A]
        let q_a = q_tm1
            .gather(1, inputs.action.clone().unsqueeze_dim::<2>(1))
            .squeeze_dim::<1>(1); // [B]
        let q_t = inputs
            .target
            .q_values(inputs.s_t.clone())
            .max_dim(1)
            .squeeze_dim::<1>(1); // [B]
        let y = (inputs.reward.clone() + inputs.discount.clone() * q_t).detach();
        (q_a - y).square().mul_scalar(0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Hand-computed check on a 1-layer network with known weights.
    #[test]
    fn standard_loss_matches_formula() {
        let ad = Device::flex().autodiff();
        let plain = Device::flex();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let online = QNetwork::new(2, &[], 2, &mut rng, &ad).snapshot();
        let target = QNetwork::new(2, &[], 2, &mut rng, &ad).snapshot();
        let s1 = [[0.5f32, -1.0], [1.5, 0.25]];
        let s2 = [[-0.5f32, 2.0], [0.0, 1.0]];
        let inputs = LossInputs {
            online: &OnlineNetwork::new(&online),
            target: &target,
            s_tm1: Tensor::from_data(s1, &plain),
            action: Tensor::from_data(TensorData::new(vec![1i64, 0], [2]), &plain),
            reward: Tensor::from_data([1.0f32, -2.0], &plain),
            discount: Tensor::from_data([0.9f32, 0.0], &plain),
            s_t: Tensor::from_data(s2, &plain),
        };
        let got = StandardDqnLoss
            .loss(&inputs)
            .inner()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let q = |net: &QNetwork, s: [[f32; 2]; 2]| {
            net.snapshot()
                .q_values(Tensor::from_data(s, &plain))
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()
        };
        let (q1, q2) = (q(&online, s1), q(&target, s2));
        let y0 = 1.0 + 0.9 * q2[0].max(q2[1]);
        let y1 = -2.0;
        let want = [0.5 * (q1[1] - y0).powi(2), 0.5 * (q1[2] - y1).powi(2)];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "{got:?} vs {want:?}");
        }
    }
}
