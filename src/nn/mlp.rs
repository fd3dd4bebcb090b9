//! A multilayer perceptron in burn: dense layers with a ReLU after every one but the last.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// MLP `input → hidden… → output`, ReLU between layers, linear output.
///
/// A network whose parameters live on an autodiff device is trainable (its outputs carry
/// gradients to the parameters); a copy made with [`Mlp::snapshot`] lives on the plain device
/// and its outputs carry no gradient.
#[derive(Module, Debug)]
pub struct Mlp {
    /// Dense layers, input to output; every layer but the last is followed by a ReLU.
    layers: Vec<Linear>,
}

impl Mlp {
    /// Builds a network with weights drawn from `rng` (deterministic per seed and independent of
    /// burn's global RNG, so concurrent runs stay reproducible). Layer by layer, all weights are
    /// drawn before the biases.
    ///
    /// Initialization matches burn's and PyTorch's `Linear` default: weight and bias each
    /// `U(-1/√fan_in, 1/√fan_in)` (Kaiming-uniform with gain 1/√3). Parameters are created on
    /// `device` (pass an autodiff device to train the network).
    ///
    /// # Panics
    /// If `input`, `output` or a hidden size is zero.
    pub fn new(
        input: usize,
        hidden: &[usize],
        output: usize,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        assert!(input > 0 && output > 0 && !hidden.contains(&0));
        let mut sizes = Vec::with_capacity(hidden.len() + 2);
        sizes.push(input);
        sizes.extend_from_slice(hidden);
        sizes.push(output);
        let layers = sizes
            .windows(2)
            .map(|w| {
                let (fan_in, fan_out) = (w[0], w[1]);
                let bound = 1.0 / (fan_in as f64).sqrt();
                let mut uniform = |n: usize| -> Vec<f32> {
                    (0..n)
                        .map(|_| rng.random_range(-bound..bound) as f32)
                        .collect()
                };
                // burn stores the weight as [d_input, d_output] (O = I·W + b).
                let weight = uniform(fan_in * fan_out);
                let bias = uniform(fan_out);
                Linear {
                    weight: Param::from_data(TensorData::new(weight, [fan_in, fan_out]), device),
                    bias: Some(Param::from_data(TensorData::new(bias, [fan_out]), device)),
                }
            })
            .collect();
        Self { layers }
    }

    /// A network of the given dense layers (input to output).
    ///
    /// # Panics
    /// If `layers` is empty.
    pub fn from_layers(layers: Vec<Linear>) -> Self {
        assert!(!layers.is_empty(), "an MLP has at least one layer");
        Self { layers }
    }

    /// Outputs `[B, O]` for a batch of inputs `x` of shape `[B, I]`.
    ///
    /// On a trainable (autodiff) network the result is tracked and gradients flow to the
    /// parameters; on a snapshot (plain device) `x` is moved off autodiff first so the whole
    /// forward pass runs without recording a graph and the result carries no gradient.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let mut x = if self.is_trainable() {
            x
        } else {
            x.without_autodiff()
        };
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i < last {
                x = relu(x);
            }
        }
        x
    }

    /// A copy of the current parameters on the plain (non-autodiff) device: outputs carry no
    /// gradient.
    pub fn snapshot(&self) -> Self {
        self.valid()
    }

    /// Whether the parameters live on an autodiff device (outputs carry gradients).
    pub fn is_trainable(&self) -> bool {
        self.layers[0].weight.val().is_autodiff()
    }

    /// Width of the input (`I`).
    pub fn input_width(&self) -> usize {
        self.layers[0].weight.shape().dims::<2>()[0]
    }

    /// Width of the output (`O`).
    pub fn output_width(&self) -> usize {
        self.layers[self.layers.len() - 1]
            .weight
            .shape()
            .dims::<2>()[1]
    }

    /// The dense layers, input to output (ReLU after every one but the last).
    pub fn layers(&self) -> &[Linear] {
        &self.layers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn init_is_seeded_and_bounded_by_the_fan_in() {
        let device = Device::flex();
        let mk = |seed| Mlp::new(4, &[8, 8], 2, &mut ChaCha8Rng::seed_from_u64(seed), &device);
        let (a, b, c) = (mk(1), mk(1), mk(2));
        assert_eq!(
            (a.input_width(), a.output_width(), a.layers().len()),
            (4, 2, 3)
        );
        let x = Tensor::<2>::from_data(TensorData::new(vec![0.1f32; 12], [3, 4]), &device);
        let ya = a.forward(x.clone()).into_data();
        assert_eq!(ya.shape().as_slice(), &[3, 2]);
        assert_eq!(ya, b.forward(x.clone()).into_data());
        assert_ne!(ya, c.forward(x).into_data());
        // fan_in 4: |w| ≤ 1/2; fan_in 8: |w| ≤ 1/√8.
        let w0 = a.layers[0].weight.val().into_data();
        assert!(w0.as_slice::<f32>().unwrap().iter().all(|x| x.abs() <= 0.5));
        let w1 = a.layers[1].weight.val().into_data();
        let bound = 1.0 / 8f32.sqrt();
        assert!(
            w1.as_slice::<f32>()
                .unwrap()
                .iter()
                .all(|x| x.abs() <= bound)
        );
    }

    #[test]
    fn weights_then_biases_layer_by_layer() {
        // The draw order is part of every archived DQN run: pin the first values.
        let device = Device::flex();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let net = Mlp::new(1, &[2], 1, &mut rng, &device);
        let mut expect = ChaCha8Rng::seed_from_u64(0);
        let mut draw = |bound: f64| expect.random_range(-bound..bound) as f32;
        let second = 1.0 / 2f64.sqrt();
        let want: Vec<Vec<f32>> = vec![
            vec![draw(1.0), draw(1.0)],
            vec![draw(1.0), draw(1.0)],
            vec![draw(second), draw(second)],
            vec![draw(second)],
        ];
        let values = |d: TensorData| d.as_slice::<f32>().unwrap().to_vec();
        let mut got = Vec::new();
        for l in net.layers() {
            got.push(values(l.weight.val().into_data()));
            got.push(values(l.bias.as_ref().unwrap().val().into_data()));
        }
        assert_eq!(got, want);
    }

    #[test]
    fn snapshot_is_plain_and_equal() {
        let device = Device::flex().autodiff();
        let net = Mlp::new(3, &[5], 2, &mut ChaCha8Rng::seed_from_u64(0), &device);
        assert!(net.is_trainable());
        let snap = net.snapshot();
        assert!(!snap.is_trainable());
        let x = Tensor::<2>::from_data(TensorData::new(vec![0.3f32, -0.2, 1.0], [1, 3]), &device);
        let y1 = net.forward(x.clone());
        let y2 = snap.forward(x);
        assert!(!y2.is_autodiff());
        assert_eq!(y1.inner().into_data(), y2.into_data());
    }
}
