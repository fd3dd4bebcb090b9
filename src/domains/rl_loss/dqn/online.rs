//! The online network θ as a loss sees it. Its MLP forward pass runs without autodiff; the
//! Q-values enter the loss graph as leaf tensors, and after `backward()` the gradient with
//! respect to θ is backpropagated through the MLP by hand from the gradients of those leaves.
//!
//! A loss reaches θ only through `Q_θ(s)` (ICLR 2021 §3: the `QValueList(q_param, ·)` input),
//! so autodiff is needed only between the Q-values and the loss. Recording the MLP as well
//! cost more than its arithmetic at DQN sizes (per-op graph bookkeeping; BENCHMARKS.md).

use std::cell::RefCell;

use burn::tensor::activation::relu;
use burn::tensor::{Gradients, Tensor};

use super::adam::LayerGrads;
use super::q_network::{QNetwork, host_vec};

/// One `q_values` call: the layer inputs `[B, fan_in]` (observations, then post-ReLU hidden
/// activations) and the leaf Q-values `[B, A]` handed to the loss.
struct Record {
    inputs: Vec<Tensor<2>>,
    leaf: Tensor<2>,
}

/// Q-network θ for one minibatch loss: [`OnlineNetwork::q_values`] returns Q-values that
/// carry gradients, and [`OnlineNetwork::backprop`] turns the loss's gradients into gradients
/// of θ.
pub struct OnlineNetwork<'a> {
    net: &'a QNetwork,
    tape: RefCell<Vec<Record>>,
}

impl<'a> OnlineNetwork<'a> {
    /// Wraps `net`, whose parameters must live on a plain (non-autodiff) device (a
    /// [`QNetwork::snapshot`]).
    ///
    /// # Panics
    /// If `net` is trainable (on an autodiff device).
    pub fn new(net: &'a QNetwork) -> Self {
        assert!(
            !net.is_trainable(),
            "OnlineNetwork wraps a plain-device network"
        );
        Self {
            net,
            tape: RefCell::new(Vec::new()),
        }
    }

    /// The wrapped network.
    pub fn network(&self) -> &QNetwork {
        self.net
    }

    /// Q-values `Q_θ(s, ·)`: `states` `[B, S]` → `[B, A]`, an autodiff leaf that requires a
    /// gradient, so any loss built from it is tracked back to θ.
    pub fn q_values(&self, states: Tensor<2>) -> Tensor<2> {
        let layers = self.net.layers();
        let mut inputs = Vec::with_capacity(layers.len());
        let mut x = states.without_autodiff();
        for (i, layer) in layers.iter().enumerate() {
            inputs.push(x.clone());
            x = layer.forward(x);
            if i + 1 < layers.len() {
                x = relu(x);
            }
        }
        let leaf = x.autodiff().require_grad();
        self.tape.borrow_mut().push(Record {
            inputs,
            leaf: leaf.clone(),
        });
        leaf
    }

    /// Gradients of θ (weight `[fan_in·fan_out]` row-major and bias `[fan_out]` per layer,
    /// input to output) given `grads` from `loss.backward()`, summed over every
    /// [`OnlineNetwork::q_values`] call the loss made. Entries are `None` when no call's
    /// Q-values reached the loss.
    ///
    /// For a layer `y = x·W + b` with upstream gradient `dy` `[B, out]`: `dW = xᵀ·dy`,
    /// `db = Σ_B dy`, `dx = dy·Wᵀ`, masked by `x > 0` below a ReLU.
    pub fn backprop(&self, grads: &Gradients) -> Vec<LayerGrads> {
        let layers = self.net.layers();
        let mut out: Vec<LayerGrads> = vec![(None, None); layers.len()];
        for record in self.tape.borrow().iter() {
            let Some(mut dy) = record.leaf.grad(grads) else {
                continue;
            };
            for (l, layer) in layers.iter().enumerate().rev() {
                let x = &record.inputs[l];
                let dw = x.clone().transpose().matmul(dy.clone());
                let db = dy.clone().sum_dim(0);
                accumulate(&mut out[l].0, dw);
                accumulate(&mut out[l].1, db);
                if l > 0 {
                    let dx = dy.matmul(layer.weight.val().transpose());
                    dy = dx.mask_fill(x.clone().lower_equal_elem(0.0), 0.0);
                }
            }
        }
        out
    }
}

/// Adds `t` (flattened) into `sum`.
fn accumulate<const D: usize>(sum: &mut Option<Vec<f32>>, t: Tensor<D>) {
    let v = host_vec(t);
    match sum {
        Some(s) => s.iter_mut().zip(v).for_each(|(a, b)| *a += b),
        None => *sum = Some(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn states(rng: &mut ChaCha8Rng, b: usize, s: usize, device: &Device) -> Tensor<2> {
        let v: Vec<f32> = (0..b * s).map(|_| rng.random_range(-2.0..2.0)).collect();
        Tensor::from_data(TensorData::new(v, [b, s]), device)
    }

    /// The hand-written backward pass equals burn's autodiff through the whole MLP, for a
    /// loss that calls the network twice (both calls contribute) and for one that calls it
    /// once.
    #[test]
    fn backprop_matches_autodiff() {
        let plain = Device::flex();
        let ad = plain.clone().autodiff();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let trainable = QNetwork::new(3, &[16, 8], 2, &mut rng, &ad);
        let snapshot = trainable.snapshot();
        let (s1, s2) = (
            states(&mut rng, 32, 3, &plain),
            states(&mut rng, 32, 3, &plain),
        );
        // loss(Q) = mean(Q(s1)² · 0.5) + mean(Q(s1) · Q(s2)) − mean(Q(s2))
        let loss = |q1: Tensor<2>, q2: Tensor<2>| {
            q1.clone().square().mul_scalar(0.5).mean() + (q1 * q2.clone()).mean() - q2.mean()
        };
        for twice in [true, false] {
            let online = OnlineNetwork::new(&snapshot);
            let q1 = online.q_values(s1.clone());
            let q2 = if twice {
                online.q_values(s2.clone())
            } else {
                snapshot.q_values(s2.clone())
            };
            let got = online.backprop(&loss(q1, q2).backward());

            let q1 = trainable.q_values(s1.clone());
            let q2 = if twice {
                trainable.q_values(s2.clone())
            } else {
                trainable.q_values(s2.clone()).detach()
            };
            let grads = loss(q1, q2).backward();
            for (l, layer) in trainable.layers().iter().enumerate() {
                let want_w = host_vec(layer.weight.val().grad(&grads).unwrap());
                let want_b = host_vec(layer.bias.as_ref().unwrap().val().grad(&grads).unwrap());
                for (g, w) in [(&got[l].0, want_w), (&got[l].1, want_b)] {
                    let g = g.as_ref().expect("gradient present");
                    assert_eq!(g.len(), w.len());
                    for (a, b) in g.iter().zip(&w) {
                        assert!(
                            (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                            "layer {l}: {a} vs {b}"
                        );
                    }
                }
            }
        }
    }

    /// A loss that never reads the online Q-values gives no gradient.
    #[test]
    fn untouched_network_has_no_gradient() {
        let plain = Device::flex();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let net = QNetwork::new(3, &[4], 2, &mut rng, &plain);
        let online = OnlineNetwork::new(&net);
        let q = online.q_values(states(&mut rng, 4, 3, &plain));
        let loss = q.detach().sum()
            + Tensor::<1>::ones([1], &plain.clone().autodiff())
                .require_grad()
                .sum();
        let grads = online.backprop(&loss.backward());
        assert!(grads.iter().all(|(w, b)| w.is_none() && b.is_none()));
    }
}
