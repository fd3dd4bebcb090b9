//! The Q-network: an MLP with ReLU hidden layers mapping observations to one Q-value per action
//! (ICLR 2021 appendix A: 256-256 ReLU for the classic-control tasks).

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};

use super::host_mlp::{HostLayer, HostMlp, argmax_and_max_abs};
use crate::nn::{Mlp, host_f32};
use rand_chacha::ChaCha8Rng;

/// MLP Q-network `Q(s, ·; θ)`: `obs_dim → hidden_sizes… → num_actions`, ReLU between layers,
/// linear output (a [`Mlp`]).
///
/// A network whose parameters live on an autodiff device is trainable (its outputs carry
/// gradients to θ); a copy made with [`QNetwork::snapshot`] lives on the plain device and
/// its outputs carry no gradient (the target network and action selection use such copies).
#[derive(Module, Debug)]
pub struct QNetwork {
    /// The MLP `S → … → A`.
    mlp: Mlp,
}

impl QNetwork {
    /// Builds a network with weights drawn from `rng` as [`Mlp::new`] does (burn's and
    /// PyTorch's `Linear` default init, deterministic per seed). Parameters are created on
    /// `device` (pass an autodiff device to train the network).
    ///
    /// # Panics
    /// If `obs_dim`, `num_actions` or a hidden size is zero.
    pub fn new(
        obs_dim: usize,
        hidden_sizes: &[usize],
        num_actions: usize,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        Self {
            mlp: Mlp::new(obs_dim, hidden_sizes, num_actions, rng, device),
        }
    }

    /// The same network in f64 for the CPU interpreter (weights `[out × in]`, row-major).
    pub fn to_f64(&self) -> crate::domains::rl_loss::probe::QNetworkF64 {
        let host = self.to_host();
        let mut sizes = vec![host.layers[0].fan_in];
        let mut layers = Vec::new();
        for l in &host.layers {
            let (fan_in, fan_out) = (l.fan_in, l.fan_out);
            sizes.push(fan_out);
            let mut wt = vec![0.0; fan_in * fan_out];
            for i in 0..fan_in {
                for o in 0..fan_out {
                    wt[o * fan_in + i] = f64::from(l.weight[i * fan_out + o]);
                }
            }
            layers.push((wt, l.bias.iter().map(|&b| f64::from(b)).collect()));
        }
        crate::domains::rl_loss::probe::QNetworkF64 { layers, sizes }
    }

    /// Q-values `Q(s, a)` for a batch of states: `states` is `[B, S]` (`S` = observation size),
    /// the result is `[B, A]` (`A` = number of actions).
    ///
    /// On a trainable (autodiff) network the result is tracked and gradients flow to θ; on a
    /// snapshot (plain device) the forward pass records no graph and the result carries no
    /// gradient.
    pub fn q_values(&self, states: Tensor<2>) -> Tensor<2> {
        self.mlp.forward(states)
    }

    /// A copy of the current parameters on the plain (non-autodiff) device: outputs carry no
    /// gradient. Used for the target network θ' (hard update) and for acting.
    pub fn snapshot(&self) -> Self {
        self.valid()
    }

    /// Whether the parameters live on an autodiff device (outputs carry gradients).
    pub fn is_trainable(&self) -> bool {
        self.mlp.is_trainable()
    }

    /// Length of the observation vector the network expects (`S`).
    pub fn obs_dim(&self) -> usize {
        self.mlp.input_width()
    }

    /// Number of actions (`A`, the width of [`QNetwork::q_values`]'s output).
    pub fn num_actions(&self) -> usize {
        self.mlp.output_width()
    }

    /// Greedy action for one observation, plus the largest |Q| among its actions (for the
    /// divergence check). Ties go to the lowest action index; a NaN Q-value yields
    /// `max_abs_q = NaN`. Call on a snapshot to avoid recording an autodiff graph.
    pub fn greedy_action(&self, obs: &[f64]) -> (usize, f64) {
        let device = self.layers()[0].weight.val().device();
        let data = TensorData::new(
            obs.iter().map(|&x| x as f32).collect::<Vec<f32>>(),
            [1, obs.len()],
        );
        let q = self.q_values(Tensor::from_data(data, &device)).into_data();
        argmax_and_max_abs(&host_f32(q))
    }

    /// The parameters as host `f32` vectors (burn's `[fan_in, fan_out]` weight layout).
    pub fn to_host(&self) -> HostMlp {
        HostMlp {
            layers: self
                .layers()
                .iter()
                .map(|l| {
                    let [fan_in, fan_out] = l.weight.val().dims();
                    HostLayer {
                        fan_in,
                        fan_out,
                        weight: host_vec(l.weight.val()),
                        bias: match &l.bias {
                            Some(b) => host_vec(b.val()),
                            None => vec![0.0; fan_out],
                        },
                    }
                })
                .collect(),
        }
    }

    /// A network holding `host`'s parameters on `device` (an autodiff device makes it
    /// trainable).
    pub fn from_host(host: &HostMlp, device: &Device) -> Self {
        Self {
            mlp: Mlp::from_layers(host.to_linears(device)),
        }
    }

    /// The dense layers, input to output (ReLU after every one but the last).
    pub(super) fn layers(&self) -> &[Linear] {
        self.mlp.layers()
    }
}

/// A float tensor's values as a host vector (flattened, row-major).
pub(super) fn host_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    host_f32(t.into_data())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn shapes_and_init_are_seeded() {
        let device = Device::flex();
        let mk = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            QNetwork::new(4, &[8, 8], 2, &mut rng, &device)
        };
        let (a, b, c) = (mk(1), mk(1), mk(2));
        assert_eq!((a.obs_dim(), a.num_actions()), (4, 2));
        let s = Tensor::<2>::from_data(TensorData::new(vec![0.1f32; 12], [3, 4]), &device);
        let qa = a.q_values(s.clone()).into_data();
        assert_eq!(qa.shape().as_slice(), &[3, 2]);
        assert_eq!(qa, b.q_values(s.clone()).into_data());
        assert_ne!(qa, c.q_values(s).into_data());
        let w = a.layers()[0].weight.val().into_data();
        assert!(w.as_slice::<f32>().unwrap().iter().all(|x| x.abs() <= 0.5));
    }

    #[test]
    fn snapshot_is_plain_and_equal() {
        let device = Device::flex().autodiff();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let net = QNetwork::new(3, &[5], 2, &mut rng, &device);
        assert!(net.is_trainable());
        let snap = net.snapshot();
        assert!(!snap.is_trainable());
        let s = Tensor::<2>::from_data(TensorData::new(vec![0.3f32, -0.2, 1.0], [1, 3]), &device);
        let q1 = net.q_values(s.clone());
        let q2 = snap.q_values(s);
        assert!(!q2.is_autodiff());
        assert_eq!(q1.inner().into_data(), q2.into_data());
    }
}
