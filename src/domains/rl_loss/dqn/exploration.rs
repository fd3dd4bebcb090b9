//! ε-greedy exploration with a linearly decaying ε (Mnih et al. 2015; ICLR 2021 appendix A:
//! ε 1.0 → 0.05).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Linear ε schedule: `start` at env step 0, `end` from env step `decay_steps` on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpsilonSchedule {
    /// ε at env step 0 (probability of a uniform random action).
    pub start: f64,
    /// ε once the decay is over.
    pub end: f64,
    /// Env steps over which ε moves linearly from `start` to `end` (0: always `end`).
    pub decay_steps: u64,
}

impl EpsilonSchedule {
    /// ε after `env_step` environment steps.
    pub fn value(&self, env_step: u64) -> f64 {
        if env_step >= self.decay_steps {
            return self.end;
        }
        let frac = env_step as f64 / self.decay_steps as f64;
        self.start + (self.end - self.start) * frac
    }

    /// ε-greedy choice: with probability `epsilon` a uniform random action in
    /// `0..num_actions`, otherwise `greedy()` (called only then, so the network forward pass is
    /// skipped on exploratory steps). One `f64` draw is always taken from `rng`, plus one more
    /// for the random action.
    pub fn select<E>(
        epsilon: f64,
        num_actions: usize,
        rng: &mut ChaCha8Rng,
        greedy: impl FnOnce() -> Result<usize, E>,
    ) -> Result<usize, E> {
        if rng.random::<f64>() < epsilon {
            Ok(rng.random_range(0..num_actions))
        } else {
            greedy()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn linear_decay() {
        let s = EpsilonSchedule {
            start: 1.0,
            end: 0.1,
            decay_steps: 100,
        };
        assert_eq!(s.value(0), 1.0);
        assert!((s.value(50) - 0.55).abs() < 1e-12);
        assert!((s.value(99) - 0.109).abs() < 1e-12);
        assert_eq!(s.value(100), 0.1);
        assert_eq!(s.value(10_000), 0.1);
        let instant = EpsilonSchedule {
            decay_steps: 0,
            ..s
        };
        assert_eq!(instant.value(0), 0.1);
    }

    #[test]
    fn greedy_and_random_choices() {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let greedy = || Ok::<_, ()>(7);
        assert_eq!(EpsilonSchedule::select(0.0, 8, &mut rng, greedy), Ok(7));
        let mut counts = [0; 3];
        for _ in 0..3000 {
            let a = EpsilonSchedule::select(1.0, 3, &mut rng, || -> Result<usize, ()> {
                panic!("greedy must not be called at ε = 1")
            })
            .unwrap();
            counts[a] += 1;
        }
        assert!(
            counts.iter().all(|&c| (900..1100).contains(&c)),
            "{counts:?}"
        );
    }
}
