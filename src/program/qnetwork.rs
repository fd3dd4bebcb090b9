//! A small f64 Q-network used by the CPU interpreter (functional hashing of RL losses).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A ReLU MLP `S → hidden… → A` in f64, evaluated row by row.
///
/// Used only on the CPU path: the functional hash of an RL loss applies the loss to fixed random
/// transitions with fixed random small Q-networks (Co-Reyes et al., ICLR 2021, §3.2).
#[derive(Debug, Clone, PartialEq)]
pub struct QNetworkF64 {
    /// `(weights [out × in] row-major, bias [out])` per layer.
    pub layers: Vec<(Vec<f64>, Vec<f64>)>,
    /// Layer sizes, input first.
    pub sizes: Vec<usize>,
}

impl QNetworkF64 {
    /// A network with weights drawn uniformly from ±1/√fan_in (PyTorch's Linear default range).
    pub fn random(sizes: &[usize], rng: &mut ChaCha8Rng) -> Self {
        let mut layers = Vec::new();
        for w in sizes.windows(2) {
            let (fan_in, fan_out) = (w[0], w[1]);
            let bound = 1.0 / (fan_in as f64).sqrt();
            let weights = (0..fan_in * fan_out)
                .map(|_| rng.random_range(-bound..bound))
                .collect();
            let bias = (0..fan_out)
                .map(|_| rng.random_range(-bound..bound))
                .collect();
            layers.push((weights, bias));
        }
        QNetworkF64 {
            layers,
            sizes: sizes.to_vec(),
        }
    }

    /// Number of outputs (actions).
    pub fn num_outputs(&self) -> usize {
        *self.sizes.last().unwrap_or(&0)
    }

    /// Q-values for a batch of states `[rows, S]` (row-major) → `[rows, A]` (row-major).
    pub fn forward(&self, states: &[f64], rows: usize) -> Vec<f64> {
        let mut cur = states.to_vec();
        let last = self.layers.len().saturating_sub(1);
        for (l, (w, b)) in self.layers.iter().enumerate() {
            let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
            let mut next = vec![0.0; rows * n_out];
            for r in 0..rows {
                let x = &cur[r * n_in..(r + 1) * n_in];
                for o in 0..n_out {
                    let row = &w[o * n_in..(o + 1) * n_in];
                    let mut s = b[o];
                    for (wi, xi) in row.iter().zip(x) {
                        s += wi * xi;
                    }
                    next[r * n_out + o] = if l < last { s.max(0.0) } else { s };
                }
            }
            cur = next;
        }
        cur
    }
}
