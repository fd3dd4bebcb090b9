//! Cheap f64 training problems for optimizer search, each with an analytic gradient: an
//! ill-conditioned rotated quadratic, the Rosenbrock function and softmax (multinomial
//! logistic) regression on the digits.

use crate::datasets::digits::{Digits, NUM_CLASSES, NUM_FEATURES};
use crate::program::ops::standard_normal;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A differentiable objective over a flat parameter vector.
pub trait Objective {
    /// Number of parameters `N`.
    fn dim(&self) -> usize;
    /// Initial parameters `[N]` (seeded).
    fn init(&self, rng: &mut ChaCha8Rng) -> Vec<f64>;
    /// The training loss at `w` (`[N]`); writes its gradient into `grad` (`[N]`). `batch` picks
    /// a minibatch for stochastic objectives (ignored by deterministic ones).
    fn loss_grad(&self, w: &[f64], grad: &mut [f64], batch: Option<&[usize]>) -> f64;
    /// Training rows minibatches are drawn from (0 for deterministic objectives).
    fn rows(&self) -> usize {
        0
    }
}

/// `f(w) = ½ (w − w*)ᵀ A (w − w*)` with `A = Q diag(λ) Qᵀ`, eigenvalues log-spaced in
/// `[1/κ, 1]` and `Q` a product of random Householder reflections (so the problem is not
/// axis-aligned and per-coordinate scaling cannot undo the conditioning by itself).
#[derive(Debug, Clone)]
pub struct Quadratic {
    a: Vec<f64>,
    optimum: Vec<f64>,
    n: usize,
}

impl Quadratic {
    /// A random quadratic of dimension `n` and condition number `condition`, fixed by `rng`.
    pub fn new(n: usize, condition: f64, rng: &mut ChaCha8Rng) -> Self {
        let mut q = vec![0.0; n * n];
        for i in 0..n {
            q[i * n + i] = 1.0;
        }
        for _ in 0..3 {
            let mut u: Vec<f64> = (0..n).map(|_| standard_normal(rng)).collect();
            let norm = u.iter().map(|x| x * x).sum::<f64>().sqrt();
            u.iter_mut().for_each(|x| *x /= norm);
            // Q ← Q (I − 2uuᵀ)
            for r in 0..n {
                let dot: f64 = (0..n).map(|c| q[r * n + c] * u[c]).sum();
                for c in 0..n {
                    q[r * n + c] -= 2.0 * dot * u[c];
                }
            }
        }
        let lambda: Vec<f64> = (0..n)
            .map(|i| condition.powf(-(i as f64) / (n.max(2) - 1) as f64))
            .collect();
        let mut a = vec![0.0; n * n];
        for r in 0..n {
            for c in 0..n {
                a[r * n + c] = (0..n)
                    .map(|k| q[r * n + k] * lambda[k] * q[c * n + k])
                    .sum();
            }
        }
        let optimum = (0..n).map(|_| standard_normal(rng)).collect();
        Quadratic { a, optimum, n }
    }
}

impl Objective for Quadratic {
    fn dim(&self) -> usize {
        self.n
    }

    fn init(&self, rng: &mut ChaCha8Rng) -> Vec<f64> {
        (0..self.n).map(|_| standard_normal(rng)).collect()
    }

    fn loss_grad(&self, w: &[f64], grad: &mut [f64], _: Option<&[usize]>) -> f64 {
        let n = self.n;
        let d: Vec<f64> = w.iter().zip(&self.optimum).map(|(a, b)| a - b).collect();
        let mut f = 0.0;
        for r in 0..n {
            let ad: f64 = (0..n).map(|c| self.a[r * n + c] * d[c]).sum();
            grad[r] = ad;
            f += 0.5 * d[r] * ad;
        }
        f
    }
}

/// The Rosenbrock function `Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)²` (minimum 0 at all ones),
/// started near the classic point (−1.2, 1, −1.2, 1, …) with a small seeded jitter.
#[derive(Debug, Clone)]
pub struct Rosenbrock {
    /// Dimension (≥ 2).
    pub n: usize,
}

impl Objective for Rosenbrock {
    fn dim(&self) -> usize {
        self.n
    }

    fn init(&self, rng: &mut ChaCha8Rng) -> Vec<f64> {
        (0..self.n)
            .map(|i| if i % 2 == 0 { -1.2 } else { 1.0 } + rng.random_range(-0.05..0.05))
            .collect()
    }

    fn loss_grad(&self, x: &[f64], grad: &mut [f64], _: Option<&[usize]>) -> f64 {
        grad.fill(0.0);
        let mut f = 0.0;
        for i in 0..self.n - 1 {
            let t = x[i + 1] - x[i] * x[i];
            f += 100.0 * t * t + (1.0 - x[i]) * (1.0 - x[i]);
            grad[i] += -400.0 * x[i] * t - 2.0 * (1.0 - x[i]);
            grad[i + 1] += 200.0 * t;
        }
        f
    }
}

/// Softmax regression on the digits: `W` is `[64, 10]` then the bias `[10]` (650 parameters);
/// the loss is the mean cross-entropy over the (mini)batch.
#[derive(Debug, Clone)]
pub struct SoftmaxRegression {
    /// Training images.
    pub train: Digits,
}

/// Number of parameters of [`SoftmaxRegression`].
pub const SOFTMAX_PARAMS: usize = NUM_FEATURES * NUM_CLASSES + NUM_CLASSES;

/// Class scores of one image `x` (`[64]`) under parameters `w`.
fn logits(w: &[f64], x: &[f32]) -> [f64; NUM_CLASSES] {
    let bias = &w[NUM_FEATURES * NUM_CLASSES..];
    let mut z = [0.0; NUM_CLASSES];
    for (k, zk) in z.iter_mut().enumerate() {
        *zk = bias[k];
    }
    for (j, &xj) in x.iter().enumerate() {
        if xj != 0.0 {
            let row = &w[j * NUM_CLASSES..(j + 1) * NUM_CLASSES];
            for k in 0..NUM_CLASSES {
                z[k] += xj as f64 * row[k];
            }
        }
    }
    z
}

impl SoftmaxRegression {
    /// Mean cross-entropy and accuracy of parameters `w` on `data`.
    pub fn evaluate(w: &[f64], data: &Digits) -> (f64, f64) {
        let (mut loss, mut correct) = (0.0, 0usize);
        for (i, &y) in data.y.iter().enumerate() {
            let z = logits(w, &data.x[i * NUM_FEATURES..(i + 1) * NUM_FEATURES]);
            let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            loss += lse - z[y];
            let best = (0..NUM_CLASSES).fold(0, |b, k| if z[k] > z[b] { k } else { b });
            correct += usize::from(best == y);
        }
        let n = data.len().max(1) as f64;
        (loss / n, correct as f64 / n)
    }
}

impl Objective for SoftmaxRegression {
    fn dim(&self) -> usize {
        SOFTMAX_PARAMS
    }

    fn init(&self, _: &mut ChaCha8Rng) -> Vec<f64> {
        vec![0.0; SOFTMAX_PARAMS]
    }

    fn rows(&self) -> usize {
        self.train.len()
    }

    fn loss_grad(&self, w: &[f64], grad: &mut [f64], batch: Option<&[usize]>) -> f64 {
        grad.fill(0.0);
        let all: Vec<usize>;
        let rows = match batch {
            Some(b) => b,
            None => {
                all = (0..self.train.len()).collect();
                &all
            }
        };
        let mut loss = 0.0;
        let scale = 1.0 / rows.len().max(1) as f64;
        for &i in rows {
            let x = &self.train.x[i * NUM_FEATURES..(i + 1) * NUM_FEATURES];
            let z = logits(w, x);
            let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = z.iter().map(|v| (v - m).exp()).sum();
            let y = self.train.y[i];
            loss += m + s.ln() - z[y];
            let mut dz = [0.0; NUM_CLASSES];
            for k in 0..NUM_CLASSES {
                dz[k] = ((z[k] - m).exp() / s - f64::from(u8::from(k == y))) * scale;
            }
            for (j, &xj) in x.iter().enumerate() {
                if xj != 0.0 {
                    for k in 0..NUM_CLASSES {
                        grad[j * NUM_CLASSES + k] += xj as f64 * dz[k];
                    }
                }
            }
            for k in 0..NUM_CLASSES {
                grad[NUM_FEATURES * NUM_CLASSES + k] += dz[k];
            }
        }
        loss * scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Central differences agree with the analytic gradient.
    fn check_gradient(f: &dyn Objective, w: &[f64], batch: Option<&[usize]>) {
        let mut g = vec![0.0; f.dim()];
        f.loss_grad(w, &mut g, batch);
        let mut scratch = vec![0.0; f.dim()];
        for i in (0..f.dim()).step_by((f.dim() / 7).max(1)) {
            let h = 1e-6;
            let (mut a, mut b) = (w.to_vec(), w.to_vec());
            a[i] += h;
            b[i] -= h;
            let num = (f.loss_grad(&a, &mut scratch, batch) - f.loss_grad(&b, &mut scratch, batch))
                / (2.0 * h);
            assert!(
                (num - g[i]).abs() < 1e-5 * (1.0 + g[i].abs()),
                "{i}: {num} vs {}",
                g[i]
            );
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let q = Quadratic::new(6, 100.0, &mut rng);
        let w = q.init(&mut rng);
        check_gradient(&q, &w, None);
        let r = Rosenbrock { n: 4 };
        check_gradient(&r, &r.init(&mut rng), None);
        let d =
            crate::datasets::digits::parse(crate::datasets::digits::EMBEDDED_DIGITS, "d").unwrap();
        let s = SoftmaxRegression {
            train: d.subset(&(0..50).collect::<Vec<_>>()),
        };
        let w: Vec<f64> = (0..SOFTMAX_PARAMS)
            .map(|i| ((i * 7) % 13) as f64 * 0.01)
            .collect();
        check_gradient(&s, &w, Some(&[0, 3, 7, 9]));
    }

    #[test]
    fn quadratic_is_conditioned_as_asked() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let q = Quadratic::new(5, 1000.0, &mut rng);
        // Symmetric, and trace = Σλ.
        let n = 5;
        let trace: f64 = (0..n).map(|i| q.a[i * n + i]).sum();
        let want: f64 = (0..n).map(|i| 1000f64.powf(-(i as f64) / 4.0)).sum();
        assert!((trace - want).abs() < 1e-9);
        for r in 0..n {
            for c in 0..n {
                assert!((q.a[r * n + c] - q.a[c * n + r]).abs() < 1e-12);
            }
        }
    }
}
