//! Episode step counter reproducing Gymnasium's `TimeLimit` wrapper
//! (`gymnasium/wrappers/common.py`): after the `max_episode_steps`-th `step` since the last
//! reset, `truncated` is `true` (and stays `true` if the caller keeps stepping).

/// Step counter with an optional cap, embedded in every environment of this module.
///
/// Mirrors `TimeLimit`: `elapsed_steps += 1; truncated = elapsed_steps >= max_episode_steps`.
/// `None` means no time limit (the environment never truncates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLimit {
    max_episode_steps: Option<usize>,
    elapsed_steps: usize,
}

impl TimeLimit {
    /// A counter at zero with the given cap (`None`: unlimited).
    pub fn new(max_episode_steps: Option<usize>) -> Self {
        Self {
            max_episode_steps,
            elapsed_steps: 0,
        }
    }

    /// The cap (`None`: unlimited).
    pub fn max_episode_steps(&self) -> Option<usize> {
        self.max_episode_steps
    }

    /// Change the cap; the elapsed count is kept.
    pub fn set_max_episode_steps(&mut self, max_episode_steps: Option<usize>) {
        self.max_episode_steps = max_episode_steps;
    }

    /// Steps taken since the last reset.
    pub fn elapsed_steps(&self) -> usize {
        self.elapsed_steps
    }

    /// Start a new episode (elapsed steps back to 0).
    pub fn reset(&mut self) {
        self.elapsed_steps = 0;
    }

    /// Count one step; returns whether the episode is truncated after it.
    #[inline]
    pub fn tick(&mut self) -> bool {
        self.elapsed_steps += 1;
        matches!(self.max_episode_steps, Some(max) if self.elapsed_steps >= max)
    }
}

#[cfg(test)]
mod tests {
    use super::TimeLimit;

    #[test]
    fn truncates_at_cap_and_after() {
        let mut t = TimeLimit::new(Some(3));
        assert!(!t.tick());
        assert!(!t.tick());
        assert!(t.tick());
        assert!(t.tick());
        t.reset();
        assert_eq!(t.elapsed_steps(), 0);
        assert!(!t.tick());
        let mut u = TimeLimit::new(None);
        assert!((0..10_000).all(|_| !u.tick()));
    }
}
