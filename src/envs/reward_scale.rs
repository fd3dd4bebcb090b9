//! Reward-scaling wrapper, used by robustness tests (rewards ×10 … ×10000): a loss function
//! that only works at one reward scale is penalised by evaluating it on scaled environments.

use rand_chacha::ChaCha8Rng;

use super::environment::{EnvError, Environment, Step};

/// Wraps an environment and multiplies every reward by a constant factor; observations,
/// termination, truncation, state and id are the inner environment's, unchanged.
///
/// Works over a concrete environment or over `Box<dyn Environment>` (as returned by
/// [`super::make`]). Like Gymnasium's `TransformReward(env, lambda r: scale * r)`.
#[derive(Debug, Clone)]
pub struct RewardScale<E> {
    inner: E,
    scale: f64,
}

impl<E: Environment> RewardScale<E> {
    /// Wrap `inner`, multiplying its rewards by `scale` (any finite value, e.g. 10.0 or 1e4).
    pub fn new(inner: E, scale: f64) -> Self {
        Self { inner, scale }
    }

    /// The reward factor.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The wrapped environment.
    pub fn inner(&self) -> &E {
        &self.inner
    }

    /// The wrapped environment, mutably.
    pub fn inner_mut(&mut self) -> &mut E {
        &mut self.inner
    }

    /// Unwrap.
    pub fn into_inner(self) -> E {
        self.inner
    }
}

impl<E: Environment> Environment for RewardScale<E> {
    fn id(&self) -> &str {
        self.inner.id()
    }

    fn observation_dim(&self) -> usize {
        self.inner.observation_dim()
    }

    fn num_actions(&self) -> usize {
        self.inner.num_actions()
    }

    fn reset(&mut self, rng: &mut ChaCha8Rng) -> Vec<f64> {
        self.inner.reset(rng)
    }

    #[inline]
    fn step(&mut self, action: usize) -> Step {
        let mut step = self.inner.step(action);
        step.reward *= self.scale;
        step
    }

    fn state(&self) -> Vec<f64> {
        self.inner.state()
    }

    fn set_state(&mut self, state: &[f64]) -> Result<(), EnvError> {
        self.inner.set_state(state)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{list, make};
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn scales_rewards_only() {
        for &id in list() {
            for scale in [10.0, 100.0, 1000.0, 10000.0, -0.5] {
                let mut plain = make(id).unwrap();
                let mut scaled = RewardScale::new(make(id).unwrap(), scale);
                assert_eq!(scaled.id(), id);
                assert_eq!(scaled.scale(), scale);
                let o1 = plain.reset(&mut ChaCha8Rng::seed_from_u64(5));
                let o2 = scaled.reset(&mut ChaCha8Rng::seed_from_u64(5));
                assert_eq!(o1, o2);
                for t in 0..150 {
                    let a = t % plain.num_actions();
                    let s1 = plain.step(a);
                    let s2 = scaled.step(a);
                    assert_eq!(s2.reward, s1.reward * scale);
                    assert_eq!(
                        (&s1.obs, s1.terminated, s1.truncated),
                        (&s2.obs, s2.terminated, s2.truncated)
                    );
                    if s1.terminated || s1.truncated {
                        break;
                    }
                }
                assert_eq!(plain.state(), scaled.state());
            }
        }
    }

    #[test]
    fn over_concrete_env() {
        let mut env = RewardScale::new(super::super::MountainCar::new(), 10.0);
        env.reset(&mut ChaCha8Rng::seed_from_u64(1));
        assert_eq!(env.step(1).reward, -10.0);
        assert_eq!(env.inner().elapsed_steps(), 1);
        assert!(env.set_state(&[0.0]).is_err());
    }
}
