//! Adam (Kingma & Ba, ICLR 2015) fused into one host loop over the Q-network's parameters.
//!
//! Same update as burn's `Adam` and PyTorch's `torch.optim.Adam` (no weight decay, no AMSGrad):
//! `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
//! `θ ← θ − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)`. burn's version issues ~10 tensor ops
//! per parameter tensor; at DQN sizes (a few thousand weights) their dispatch cost exceeds the
//! arithmetic, so the DQN inner loop uses this one (agreement with burn's Adam is tested).

use super::host_mlp::HostMlp;

/// Adam state for one [`HostMlp`]: first and second moments per parameter tensor and the
/// step count of each (a tensor without a gradient in some step keeps its state, as in burn).
#[derive(Debug, Clone)]
pub struct FusedAdam {
    /// β₁ (default 0.9).
    pub beta_1: f32,
    /// β₂ (default 0.999).
    pub beta_2: f32,
    /// ε added to `√v̂` (PyTorch convention).
    pub epsilon: f32,
    /// Per parameter tensor, in [`FusedAdam::step`]'s order; created on first use.
    state: Vec<Option<Moments>>,
}

/// Adam state of one parameter tensor.
#[derive(Debug, Clone)]
struct Moments {
    /// First moment `m`.
    m: Vec<f32>,
    /// Second moment `v`.
    v: Vec<f32>,
    /// Steps taken `t`.
    t: i32,
}

/// Gradients of one layer: weight `[fan_in·fan_out]` and bias `[fan_out]`, `None` where the
/// loss did not reach the tensor.
pub type LayerGrads = (Option<Vec<f32>>, Option<Vec<f32>>);

impl FusedAdam {
    /// Adam with β = (0.9, 0.999) and the given ε.
    pub fn new(epsilon: f32) -> Self {
        Self {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon,
            state: Vec::new(),
        }
    }

    /// One Adam step with step size `lr` on every parameter of `net` that has a gradient in
    /// `grads` (one entry per layer, input to output).
    ///
    /// # Panics
    /// If `grads` does not match `net`'s layers or a gradient has the wrong length.
    pub fn step(&mut self, lr: f32, net: &mut HostMlp, grads: &[LayerGrads]) {
        assert_eq!(
            grads.len(),
            net.layers.len(),
            "one gradient entry per layer"
        );
        if self.state.is_empty() {
            self.state = vec![None; 2 * net.layers.len()];
        }
        let tensors = net
            .layers
            .iter_mut()
            .zip(grads)
            .flat_map(|(l, (gw, gb))| [(&mut l.weight, gw), (&mut l.bias, gb)]);
        for ((param, grad), state) in tensors.zip(&mut self.state) {
            let Some(grad) = grad else { continue };
            assert_eq!(grad.len(), param.len(), "gradient length");
            let Moments { m, v, t } = state.get_or_insert_with(|| Moments {
                m: vec![0.0; param.len()],
                v: vec![0.0; param.len()],
                t: 0,
            });
            *t += 1;
            let (b1, b2) = (self.beta_1, self.beta_2);
            // burn's factoring: θ −= lr·m·(√bc₂/bc₁) / (√v + ε·√bc₂).
            let bc2_sqrt = (1.0 - b2.powi(*t)).sqrt();
            let step = lr * bc2_sqrt / (1.0 - b1.powi(*t));
            let eps = self.epsilon * bc2_sqrt;
            for (((p, &g), m), v) in param
                .iter_mut()
                .zip(grad.iter())
                .zip(m.iter_mut())
                .zip(v.iter_mut())
            {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                *p -= step * *m / (v.sqrt() + eps);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains::rl_loss::dqn::QNetwork;
    use crate::domains::rl_loss::dqn::q_network::host_vec;
    use burn::optim::{AdamConfig, GradientsParams};
    use burn::tensor::{Device, Tensor, TensorData};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Five steps of the fused Adam leave the same parameters as burn's `Adam` fed the same
    /// gradients (a fixed quadratic loss of the network's outputs).
    #[test]
    fn matches_burns_adam() {
        let ad = Device::flex().autodiff();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut net = QNetwork::new(3, &[8], 2, &mut rng, &ad);
        let mut host = net.to_host();
        let x: Vec<f32> = (0..15).map(|_| rng.random_range(-1.0..1.0)).collect();
        let x = Tensor::<2>::from_data(TensorData::new(x, [5, 3]), &ad);
        let mut burn_adam = AdamConfig::new().with_epsilon(1e-6).init();
        let mut fused = FusedAdam::new(1e-6);
        let lr = 0.05;
        for _ in 0..5 {
            // The same loss at the fused copy's parameters, differentiated by burn.
            let at_host = QNetwork::from_host(&host, &ad);
            let g = (at_host.q_values(x.clone()) - 0.3)
                .square()
                .mean()
                .backward();
            let grads: Vec<LayerGrads> = at_host
                .layers()
                .iter()
                .map(|l| {
                    (
                        l.weight.val().grad(&g).map(host_vec),
                        l.bias.as_ref().unwrap().val().grad(&g).map(host_vec),
                    )
                })
                .collect();
            fused.step(lr, &mut host, &grads);

            let g = (net.q_values(x.clone()) - 0.3).square().mean().backward();
            let g = GradientsParams::from_grads(g, &net);
            net = burn_adam.step(f64::from(lr), net, g);
        }
        let want = net.to_host();
        for (a, b) in host.layers.iter().zip(&want.layers) {
            for (p, q) in a
                .weight
                .iter()
                .chain(&a.bias)
                .zip(b.weight.iter().chain(&b.bias))
            {
                assert!((p - q).abs() < 1e-5, "{p} vs {q}");
            }
        }
        assert_ne!(
            host,
            QNetwork::new(3, &[8], 2, &mut ChaCha8Rng::seed_from_u64(1), &ad).to_host()
        );
    }
}
