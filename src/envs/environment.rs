//! The environment interface: Gymnasium semantics, `reset` starts an episode, `step` applies
//! one discrete action. Implemented by every environment of this module and by user-defined
//! ones; the DQN inner loop trains on any implementation.

use rand_chacha::ChaCha8Rng;

/// One transition's result, as Gymnasium's `env.step` returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Observation after the action, length `observation_dim()`.
    pub obs: Vec<f64>,
    /// Reward for this transition.
    pub reward: f64,
    /// The MDP reached a terminal state (no bootstrapping past it).
    pub terminated: bool,
    /// The episode was cut by a time limit (bootstrapping past it is still valid).
    pub truncated: bool,
}

/// A discrete-action environment with Gymnasium's dynamics.
pub trait Environment: Send {
    /// Gymnasium id, e.g. `CartPole-v1`.
    fn id(&self) -> &str;
    /// Length of an observation vector.
    fn observation_dim(&self) -> usize;
    /// Number of discrete actions.
    fn num_actions(&self) -> usize;
    /// Start a new episode, drawing the initial state from `rng`; returns the first observation.
    fn reset(&mut self, rng: &mut ChaCha8Rng) -> Vec<f64>;
    /// Apply `action` and return the transition.
    ///
    /// `action` must be `< num_actions()`. Callers holding an unvalidated action (from a
    /// config, a network's arg-max over a wrongly sized head, ...) validate it first with
    /// [`check_action`], which reports [`EnvError::ActionOutOfRange`]; implementations only
    /// `debug_assert!` the range (what a release build does with an out-of-range action is
    /// stated in each environment's doc; it never panics).
    fn step(&mut self, action: usize) -> Step;
    /// The internal state in Gymnasium's `env.unwrapped.state` layout.
    fn state(&self) -> Vec<f64>;
    /// Overwrite the internal state (same layout as `state()`), resetting the episode step counter.
    fn set_state(&mut self, state: &[f64]) -> Result<(), EnvError>;
}

/// Errors from environment construction or use.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// `make` was given an id that is not registered: (the id, the known ids joined by ", ").
    #[error("unknown environment id `{0}` (known: {1})")]
    UnknownId(String, String),
    /// `set_state` was given a state vector of the wrong length.
    #[error("{env}: state vector has length {got}, expected {expected}")]
    StateLength {
        /// Gymnasium id of the environment.
        env: String,
        /// Length of the vector given.
        got: usize,
        /// Length of the environment's state (`state().len()`).
        expected: usize,
    },
    /// `set_state` was given a state vector of the right length whose content is not a state
    /// of the environment (a MiniGrid agent inside a wall, an obstacle off its cell, …).
    #[error("{env}: invalid state: {reason}")]
    InvalidState {
        /// Gymnasium id of the environment.
        env: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An action `>= num_actions()` was given (reported by [`check_action`]).
    #[error("{env}: action {action} out of range (the environment has {num_actions} actions)")]
    ActionOutOfRange {
        /// Gymnasium id of the environment.
        env: String,
        /// The offending action.
        action: usize,
        /// Number of discrete actions of the environment.
        num_actions: usize,
    },
}

/// Validate `action` for `env`: `Ok(())` when `action < env.num_actions()`, else
/// [`EnvError::ActionOutOfRange`]. Call this before [`Environment::step`] whenever the action
/// does not come from a source already known to produce `0..num_actions()`.
pub fn check_action<E: Environment + ?Sized>(env: &E, action: usize) -> Result<(), EnvError> {
    let num_actions = env.num_actions();
    if action < num_actions {
        Ok(())
    } else {
        Err(EnvError::ActionOutOfRange {
            env: env.id().to_string(),
            action,
            num_actions,
        })
    }
}

/// Check that `state` has length `expected` for `set_state` of environment `env` (its id);
/// otherwise [`EnvError::StateLength`].
pub fn check_state_len(env: &str, state: &[f64], expected: usize) -> Result<(), EnvError> {
    if state.len() == expected {
        Ok(())
    } else {
        Err(EnvError::StateLength {
            env: env.to_string(),
            got: state.len(),
            expected,
        })
    }
}

/// A boxed environment is an environment (forwards every call), so wrappers such as
/// `RewardScale` work over `Box<dyn Environment>` as returned by `make`.
impl<E: Environment + ?Sized> Environment for Box<E> {
    fn id(&self) -> &str {
        (**self).id()
    }
    fn observation_dim(&self) -> usize {
        (**self).observation_dim()
    }
    fn num_actions(&self) -> usize {
        (**self).num_actions()
    }
    fn reset(&mut self, rng: &mut ChaCha8Rng) -> Vec<f64> {
        (**self).reset(rng)
    }
    fn step(&mut self, action: usize) -> Step {
        (**self).step(action)
    }
    fn state(&self) -> Vec<f64> {
        (**self).state()
    }
    fn set_state(&mut self, state: &[f64]) -> Result<(), EnvError> {
        (**self).set_state(state)
    }
}
