//! Optimizer domain: evolving update rules (Chen et al., "Symbolic Discovery of Optimization
//! Algorithms", 2023 — the search that found Lion).
//!
//! A program maps per-parameter tensors `(w, g, m, v, lr, step)` to
//! `update_rule(update, m', v')`; a step applies `w ← w − update` and keeps `m'`, `v'` as the
//! state (at most two buffers, the memory of AdamW).
//!
//! - [`update_rule`]: running a program on flat f64 vectors,
//! - [`burn_optimizer`]: any program as a burn optimizer,
//! - [`problems`], [`mlp`]: the training problems (data: [`crate::datasets::digits`]),
//! - [`task`], [`evaluator`], [`fingerprint`]: task files, scoring, functional hash.

pub mod burn_optimizer;
pub mod domain;
pub mod evaluator;
pub mod fingerprint;
pub mod mlp;
pub mod problems;
pub mod task;
pub mod update_rule;

#[cfg(test)]
mod reference_tests;

pub use burn_optimizer::ProgramOptimizer;
pub use evaluator::{LoadedTask, OptimizerEvaluator};
pub use task::{OptimizerTask, Problem};
pub use update_rule::{OPTIMIZER_INPUTS, OptimizerState, UpdateRule};

use crate::domains::plugin::EvaluatorError;
use crate::engine::Evaluator;
use crate::program::space::SearchSpace;
use crate::task_file::{TaskSpec, parse_toml, task_dir};
use std::path::Path;
use std::sync::Arc;

/// Parses an optimizer task file and checks its problem, without loading data.
///
/// # Errors
/// A malformed file (with its line), a task of another domain, invalid `[problem]` settings.
pub fn parse_task(origin: &str, text: &str) -> Result<OptimizerTask, EvaluatorError> {
    let t: OptimizerTask = parse_toml(text, origin)?;
    if t.domain != "optimizer" {
        return Err(EvaluatorError::WrongDomain {
            origin: origin.to_string(),
            task: t.name,
            domain: t.domain,
            expected: "optimizer",
            note: "; optimizer task sets take only optimizer tasks",
        });
    }
    t.problem
        .validate()
        .map_err(|e| EvaluatorError::InvalidTask {
            origin: origin.to_string(),
            message: format!("[problem]: {e}"),
        })?;
    Ok(t)
}

/// Parses an optimizer task file and loads its data; `origin` is its path (or
/// `<embedded>/tasks/…`).
///
/// # Errors
/// A malformed file (with its line), a task of another domain, a missing dataset.
pub fn load_task(origin: &str, text: &str) -> Result<LoadedTask, EvaluatorError> {
    let t = parse_task(origin, text)?;
    LoadedTask::load(t, task_dir(origin)).map_err(|e| EvaluatorError::Data {
        task: origin.to_string(),
        message: format!("{e:#}"),
    })
}

/// Builds the optimizer evaluator: the spec's tasks are the meta-training set; the union of
/// their `held_out` lists (minus the training tasks) is the held-out set.
///
/// # Errors
/// Malformed task files, missing data, unknown held-out task names, a space that is not an
/// optimizer space.
pub fn build_evaluator(
    space: SearchSpace,
    spec: &TaskSpec,
    device: &str,
) -> Result<Arc<dyn Evaluator>, EvaluatorError> {
    update_rule::check_space(&space)
        .map_err(|e| EvaluatorError::SpaceMismatch(format!("task `{}`: {e}", spec.name)))?;
    let mut train = Vec::new();
    for (origin, text) in &spec.files {
        train.push(load_task(origin, text)?);
    }
    let mut held_out: Vec<LoadedTask> = Vec::new();
    for t in &train {
        for name in &t.task.held_out {
            let known = train.iter().chain(&held_out).any(|x| &x.task.name == name);
            if known {
                continue;
            }
            let src = crate::catalog::task(name).ok_or_else(|| EvaluatorError::UnknownHeldOut {
                task: t.task.name.clone(),
                name: name.clone(),
                known: crate::catalog::task_names().join(", "),
            })?;
            let origin = match &src.dir {
                Some(d) => d
                    .join(Path::new(&src.origin).file_name().unwrap_or_default())
                    .display()
                    .to_string(),
                None => src.origin.clone(),
            };
            held_out.push(load_task(&origin, &src.text)?);
        }
    }
    let device =
        crate::nn::device::parse(device).map_err(|e| EvaluatorError::Device(e.to_string()))?;
    Ok(Arc::new(OptimizerEvaluator::new(
        space, train, held_out, device,
    )))
}
