//! The contract a domain plugs in through: its name (the `domain` key of its task files), what
//! its search spaces need, how it reads its task files and builds its evaluator, and its seed
//! programs. [`super::registry`] lists the domains gevo ships.

use crate::engine::Evaluator;
use crate::program::space::SearchSpace;
use crate::task_file::{TaskError, TaskSpec};
use std::sync::Arc;

/// What a domain needs from its space and tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// The space's inputs are bound to the task's variables (symbolic regression's data
    /// columns) rather than fixed by the space file.
    pub task_inputs: bool,
    /// Its tasks may read a data file (a CSV), which an evaluation needs at hand.
    pub dataset: bool,
}

/// Why an evaluator could not be built for a space and task.
#[derive(Debug, thiserror::Error)]
pub enum EvaluatorError {
    /// A malformed task file (names the file and line).
    #[error(transparent)]
    Task(#[from] TaskError),
    /// The spec names no task file.
    #[error("no task")]
    NoTask,
    /// A task file whose `domain` no registered domain handles.
    #[error("{file}:{line}: unknown domain `{domain}` (known: {known})")]
    UnknownDomain {
        /// The task file.
        file: String,
        /// Line of its `domain` key (0 when there is none).
        line: usize,
        /// The domain as written.
        domain: String,
        /// The registered domains, comma separated.
        known: String,
    },
    /// A task of another domain in a task set.
    #[error("{origin}: task `{task}` is `{domain}`, not {expected}{note}")]
    WrongDomain {
        /// The task file.
        origin: String,
        /// The task's name.
        task: String,
        /// The task's domain.
        domain: String,
        /// The domain of the task set.
        expected: &'static str,
        /// What the domain accepts (may be empty).
        note: &'static str,
    },
    /// A domain that takes one task at a time was given several.
    #[error("{domain} takes one task at a time (got `{task}`)")]
    OneTaskAtATime {
        /// The domain, in words.
        domain: &'static str,
        /// The task set as given.
        task: String,
    },
    /// The space does not fit the task's domain (the message suggests the space to use).
    #[error("{0}")]
    SpaceMismatch(String),
    /// A task file that parses but whose settings are invalid.
    #[error("{origin}: {message}")]
    InvalidTask {
        /// The task file.
        origin: String,
        /// What is wrong (with the table it is in).
        message: String,
    },
    /// A held-out task name that names no task.
    #[error("task `{task}`: unknown held-out task `{name}` (known tasks: {known})")]
    UnknownHeldOut {
        /// The task that lists it.
        task: String,
        /// The unknown name.
        name: String,
        /// The known task names, comma separated.
        known: String,
    },
    /// A task's data (dataset, environment) cannot be loaded.
    #[error("task `{task}`: {message}")]
    Data {
        /// The task (name or file).
        task: String,
        /// What failed, with its causes.
        message: String,
    },
    /// A dataset that cannot be read (names the file, and the line where there is one).
    #[error("{0}")]
    Dataset(String),
    /// An unknown or unavailable burn device.
    #[error("{0}")]
    Device(String),
}

/// A problem domain as a plugin of the engine.
pub trait Domain: Sync {
    /// The `domain` key of its task files (`rl_loss`, `symbolic_regression`, …).
    fn name(&self) -> &'static str;
    /// The shipped search space of the domain (its seed programs live under
    /// `search_spaces/<space>/seeds`).
    fn default_space(&self) -> &'static str;
    /// What its spaces and tasks need.
    fn needs(&self) -> Needs;
    /// Parses and checks one task file without loading its data.
    ///
    /// # Errors
    /// A malformed file (with its line), a task of another domain, invalid settings.
    fn validate_task(&self, origin: &str, text: &str) -> Result<(), EvaluatorError>;
    /// Builds the evaluator of `spec` over `space` on burn device `device` (`cpu`, or `wgpu`
    /// in builds with the `wgpu` feature).
    ///
    /// # Errors
    /// Malformed task files, missing data, a space that does not fit the domain, an
    /// unavailable device.
    fn build_evaluator(
        &self,
        space: SearchSpace,
        spec: &TaskSpec,
        device: &str,
    ) -> Result<Arc<dyn Evaluator>, EvaluatorError>;
    /// The held-out tasks of `spec` that its evaluator does not score, each as a one-task
    /// spec: `gevo reevaluate` builds an evaluator for each and reports their scores as the
    /// held-out score. Default: none (a domain whose evaluator scores its held-out tasks
    /// itself, as the optimizer's test score, or that has none). RL losses: the `held_out`
    /// lists of the task files.
    ///
    /// # Errors
    /// Malformed task files, unknown held-out names (naming the file that lists them).
    fn held_out_tasks(&self, spec: &TaskSpec) -> Result<Vec<TaskSpec>, EvaluatorError> {
        let _ = spec;
        Ok(vec![])
    }
    /// Seed programs of its shipped space, as (name, JSON text).
    fn seeds(&self) -> Vec<(String, String)> {
        crate::catalog::seeds(self.default_space())
    }
}
