//! Experience replay: a fixed-capacity ring buffer of transitions on flat `f32` storage with
//! uniform sampling (Mnih et al. 2015; ICLR 2021 appendix A uses a 1e6-transition buffer).

use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Ring buffer of transitions `(s_t, a_t, r_t, terminated_t, s_{t+1})`.
///
/// Storage is flat: observation `i` occupies `obs[i*S .. (i+1)*S]`. Until the buffer is full,
/// it grows; afterwards the oldest transition is overwritten.
#[derive(Debug, Clone)]
pub struct ReplayBuffer {
    obs_dim: usize,
    capacity: usize,
    /// Next slot to write once the buffer is full (the oldest transition).
    next: usize,
    obs: Vec<f32>,
    next_obs: Vec<f32>,
    actions: Vec<i64>,
    rewards: Vec<f32>,
    /// `1 − terminated`, so the discount is `γ · not_terminal`.
    not_terminal: Vec<f32>,
}

/// One minibatch as tensors on one device (`B` = batch size, `S` = observation size).
#[derive(Debug, Clone)]
pub struct Batch {
    /// `[B, S]` states `s_t`.
    pub s_tm1: Tensor<2>,
    /// `[B]` actions `a_t`.
    pub action: Tensor<1, Int>,
    /// `[B]` rewards `r_t`.
    pub reward: Tensor<1>,
    /// `[B]` discounts `γ · (1 − terminated_t)`.
    pub discount: Tensor<1>,
    /// `[B, S]` next states `s_{t+1}`.
    pub s_t: Tensor<2>,
}

impl ReplayBuffer {
    /// An empty buffer for observations of length `obs_dim` holding at most `capacity`
    /// transitions. Memory grows with use, up to `2·capacity·obs_dim + 3·capacity` words.
    ///
    /// # Panics
    /// If `capacity` or `obs_dim` is zero.
    pub fn new(obs_dim: usize, capacity: usize) -> Self {
        assert!(obs_dim > 0 && capacity > 0);
        Self {
            obs_dim,
            capacity,
            next: 0,
            obs: Vec::new(),
            next_obs: Vec::new(),
            actions: Vec::new(),
            rewards: Vec::new(),
            not_terminal: Vec::new(),
        }
    }

    /// Number of stored transitions (≤ capacity).
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// Whether no transition is stored.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Maximum number of stored transitions.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Stores one transition, overwriting the oldest when full. `obs` and `next_obs` have length
    /// `obs_dim`; `terminated` is the MDP's terminal flag (a time-limit truncation is not
    /// terminal and must be passed as `false`).
    ///
    /// # Panics
    /// If an observation has the wrong length.
    pub fn push(
        &mut self,
        obs: &[f64],
        action: usize,
        reward: f64,
        terminated: bool,
        next_obs: &[f64],
    ) {
        let s = self.obs_dim;
        assert!(obs.len() == s && next_obs.len() == s, "observation length");
        let not_terminal = if terminated { 0.0 } else { 1.0 };
        if self.len() < self.capacity {
            self.obs.extend(obs.iter().map(|&x| x as f32));
            self.next_obs.extend(next_obs.iter().map(|&x| x as f32));
            self.actions.push(action as i64);
            self.rewards.push(reward as f32);
            self.not_terminal.push(not_terminal);
        } else {
            let i = self.next;
            for (dst, &src) in self.obs[i * s..(i + 1) * s].iter_mut().zip(obs) {
                *dst = src as f32;
            }
            for (dst, &src) in self.next_obs[i * s..(i + 1) * s].iter_mut().zip(next_obs) {
                *dst = src as f32;
            }
            self.actions[i] = action as i64;
            self.rewards[i] = reward as f32;
            self.not_terminal[i] = not_terminal;
            self.next = (i + 1) % self.capacity;
        }
    }

    /// Draws `batch_size` transitions uniformly with replacement using `rng` and returns them as
    /// tensors on `device` (one `Tensor::from_data` per field), with discount `γ·(1−terminated)`.
    ///
    /// # Panics
    /// If the buffer is empty.
    pub fn sample(
        &self,
        batch_size: usize,
        gamma: f64,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Batch {
        assert!(!self.is_empty(), "sampling from an empty replay buffer");
        let s = self.obs_dim;
        let n = self.len();
        let mut s_tm1 = Vec::with_capacity(batch_size * s);
        let mut s_t = Vec::with_capacity(batch_size * s);
        let mut action = Vec::with_capacity(batch_size);
        let mut reward = Vec::with_capacity(batch_size);
        let mut discount = Vec::with_capacity(batch_size);
        let gamma = gamma as f32;
        for _ in 0..batch_size {
            let i = rng.random_range(0..n);
            s_tm1.extend_from_slice(&self.obs[i * s..(i + 1) * s]);
            s_t.extend_from_slice(&self.next_obs[i * s..(i + 1) * s]);
            action.push(self.actions[i]);
            reward.push(self.rewards[i]);
            discount.push(gamma * self.not_terminal[i]);
        }
        Batch {
            s_tm1: Tensor::from_data(TensorData::new(s_tm1, [batch_size, s]), device),
            action: Tensor::from_data(TensorData::new(action, [batch_size]), device),
            reward: Tensor::from_data(TensorData::new(reward, [batch_size]), device),
            discount: Tensor::from_data(TensorData::new(discount, [batch_size]), device),
            s_t: Tensor::from_data(TensorData::new(s_t, [batch_size, s]), device),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn ints(t: Tensor<1, Int>) -> Vec<i64> {
        t.into_data().convert::<i64>().try_to_vec::<i64>().unwrap()
    }
    fn floats<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn wraparound_overwrites_oldest() {
        let mut rb = ReplayBuffer::new(2, 3);
        for k in 0..5 {
            let x = k as f64;
            rb.push(&[x, -x], k, 10.0 * x, k == 4, &[x + 0.5, 0.0]);
        }
        assert_eq!(rb.len(), 3);
        // Slots: 0 ← k=3, 1 ← k=4, 2 ← k=2.
        assert_eq!(rb.actions, vec![3, 4, 2]);
        assert_eq!(rb.obs, vec![3.0, -3.0, 4.0, -4.0, 2.0, -2.0]);
        assert_eq!(rb.not_terminal, vec![1.0, 0.0, 1.0]);
        assert_eq!(rb.next, 2);
    }

    #[test]
    fn sampling_is_uniform_consistent_and_seeded() {
        let device = Device::flex();
        let mut rb = ReplayBuffer::new(1, 4);
        for k in 0..6 {
            let x = k as f64;
            rb.push(&[x], k, x, k % 2 == 1, &[x + 100.0]);
        }
        // Stored: k = 4, 5, 2, 3.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let b = rb.sample(2000, 0.5, &mut rng, &device);
        let (s, a, r) = (floats(b.s_tm1), ints(b.action), floats(b.reward));
        let (d, s2) = (floats(b.discount), floats(b.s_t));
        let mut counts = [0usize; 6];
        for i in 0..2000 {
            let k = a[i] as usize;
            counts[k] += 1;
            assert_eq!(s[i], k as f32);
            assert_eq!(r[i], k as f32);
            assert_eq!(s2[i], k as f32 + 100.0);
            assert_eq!(d[i], if k % 2 == 1 { 0.0 } else { 0.5 });
        }
        assert_eq!(counts[0] + counts[1], 0);
        for c in &counts[2..] {
            assert!((400..600).contains(c), "{counts:?}");
        }
        let mut rng2 = ChaCha8Rng::seed_from_u64(3);
        let b2 = rb.sample(2000, 0.5, &mut rng2, &device);
        assert_eq!(ints(b2.action), a);
    }
}
