//! The Q-network's parameters as plain host `f32` vectors: the master copy that the fused Adam
//! step updates in place, and the network that picks ε-greedy actions without a burn graph.
//!
//! Acting and the optimizer step touch ~10 small tensors per environment step; done as burn ops
//! they cost more than the minibatch's forward pass (per-op dispatch dominates at these sizes,
//! measured in BENCHMARKS.md), so both run here on the host.

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Device, TensorData};

/// One dense layer: `weight` is `[fan_in, fan_out]` row-major (burn's layout, `y = x·W + b`),
/// `bias` is `[fan_out]`.
#[derive(Debug, Clone, PartialEq)]
pub struct HostLayer {
    /// Input width.
    pub fan_in: usize,
    /// Output width.
    pub fan_out: usize,
    /// `[fan_in, fan_out]`, row-major.
    pub weight: Vec<f32>,
    /// `[fan_out]`.
    pub bias: Vec<f32>,
}

/// MLP with ReLU between layers and a linear output, as [`super::QNetwork`], on host memory.
#[derive(Debug, Clone, PartialEq)]
pub struct HostMlp {
    /// Dense layers, input to output.
    pub layers: Vec<HostLayer>,
}

impl HostMlp {
    /// Builds the burn layers of a [`super::QNetwork`] holding these parameters on `device`
    /// (pass an autodiff device for a trainable network).
    pub(crate) fn to_linears(&self, device: &Device) -> Vec<Linear> {
        self.layers
            .iter()
            .map(|l| Linear {
                weight: Param::from_data(
                    TensorData::new(l.weight.clone(), [l.fan_in, l.fan_out]),
                    device,
                ),
                bias: Some(Param::from_data(
                    TensorData::new(l.bias.clone(), [l.fan_out]),
                    device,
                )),
            })
            .collect()
    }

    /// Q-values `[A]` for one observation `[S]` (`S` = observation size, `A` = actions).
    pub fn q_values(&self, obs: &[f64]) -> Vec<f32> {
        let mut x: Vec<f32> = obs.iter().map(|&v| v as f32).collect();
        let last = self.layers.len() - 1;
        for (i, l) in self.layers.iter().enumerate() {
            assert_eq!(x.len(), l.fan_in, "observation length");
            let mut y = l.bias.clone();
            for (xi, row) in x.iter().zip(l.weight.chunks_exact(l.fan_out)) {
                for (yo, w) in y.iter_mut().zip(row) {
                    *yo += xi * w;
                }
            }
            if i < last {
                y.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            x = y;
        }
        x
    }

    /// Greedy action for one observation, plus the largest |Q| among its actions (for the
    /// divergence check). Ties go to the lowest action index; a NaN Q-value yields
    /// `max_abs_q = NaN`.
    pub fn greedy_action(&self, obs: &[f64]) -> (usize, f64) {
        argmax_and_max_abs(&self.q_values(obs))
    }
}

/// `(argmax, max |q|)` over one row of Q-values; ties to the lowest index, NaN propagated.
pub(crate) fn argmax_and_max_abs(q: &[f32]) -> (usize, f64) {
    let mut best = 0;
    let mut max_abs = 0.0f64;
    for (a, &v) in q.iter().enumerate() {
        if v > q[best] {
            best = a;
        }
        // `f64::max` ignores NaN, so NaN is propagated explicitly.
        let v = f64::from(v).abs();
        max_abs = if v.is_nan() { v } else { max_abs.max(v) };
        if max_abs.is_nan() {
            break;
        }
    }
    (best, max_abs)
}
