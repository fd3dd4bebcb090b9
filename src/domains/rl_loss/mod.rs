//! RL-loss domain: evolving value-based RL losses (Co-Reyes et al., ICLR 2021).
//!
//! - the environments it trains on live in [`crate::envs`],
//! - [`probe`]: the functional hash's fixed transitions,
//! - [`dqn`]: the DQN inner loop with a pluggable loss,
//! - [`burn_loss`]: loss programs as burn computations,
//! - [`gradient_check`]: rejecting losses whose gradient in θ is zero before training,
//! - [`task`] and [`evaluator`]: task files and scoring.

pub mod burn_loss;
pub mod domain;
pub mod dqn;
pub mod evaluator;
pub mod gradient_check;
pub mod probe;
pub mod task;
#[cfg(test)]
mod test_programs;

pub use burn_loss::ProgramLoss;
pub use evaluator::RlLossEvaluator;
pub use task::RlLossTask;

/// The environments, at their former path under the RL-loss domain.
pub use crate::envs;
pub use crate::envs::default_max_steps;

use crate::domains::plugin::EvaluatorError;
use crate::engine::Evaluator;
use crate::envs::{EnvError, Environment};
use crate::program::space::SearchSpace;
use crate::task_file::{TaskSpec, parse_toml, task_dir};
use std::path::Path;
use std::sync::Arc;

pub use crate::program::ops::LOSS_INPUTS;

/// Every environment id gevo can train on ([`crate::envs::list`]).
pub fn environment_ids() -> Vec<&'static str> {
    envs::list().to_vec()
}

/// Builds environment `id` with a time limit (`None`: the registry's).
///
/// # Errors
/// [`EnvError::UnknownId`] listing the known ids.
pub fn make_env(id: &str, max_steps: Option<usize>) -> Result<Box<dyn Environment>, EnvError> {
    match max_steps {
        Some(n) => envs::make_with_max_steps(id, n),
        None => envs::make(id),
    }
}

/// Parses one `rl_loss` task file and checks its DQN settings.
///
/// # Errors
/// A malformed file (with its line), a task of another domain, invalid `[dqn]` settings.
pub fn parse_task(origin: &str, text: &str) -> Result<RlLossTask, EvaluatorError> {
    // The domain first, so that a task of another domain is named as such rather than as
    // unknown fields.
    let domain = crate::task_file::domain_of(text, origin)?;
    if domain != "rl_loss" {
        let table: toml::Table = parse_toml(text, origin)?;
        return Err(EvaluatorError::WrongDomain {
            origin: origin.to_string(),
            task: table
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or_default()
                .to_string(),
            domain,
            expected: "rl_loss",
            note: "; RL task sets take only rl_loss tasks",
        });
    }
    let t: RlLossTask = parse_toml(text, origin)?;
    t.dqn.validate().map_err(|e| EvaluatorError::InvalidTask {
        origin: origin.to_string(),
        message: format!("[dqn]: {e}"),
    })?;
    Ok(t)
}

/// Parses the task files of a spec (each must be an `rl_loss` task).
///
/// # Errors
/// A malformed file (with its line), a task of another domain.
pub fn load_tasks(spec: &TaskSpec) -> Result<Vec<RlLossTask>, EvaluatorError> {
    spec.files
        .iter()
        .map(|(origin, text)| parse_task(origin, text))
        .collect()
}

/// Finds held-out task `name` listed by the task file at `origin`: a path relative to that
/// file's folder first (for task files outside `tasks/`), then a shipped name or a path.
fn find_held_out(origin: &str, name: &str) -> Option<crate::catalog::Source> {
    if let Some(dir) = task_dir(origin) {
        let p = dir.join(name);
        let p = if p.extension().is_none() {
            p.with_extension("toml")
        } else {
            p
        };
        if p.is_file()
            && let Ok(text) = std::fs::read_to_string(&p)
        {
            return Some(crate::catalog::Source {
                origin: p.display().to_string(),
                text,
                dir: p.parent().map(Path::to_path_buf),
            });
        }
    }
    crate::catalog::task(name)
}

/// The held-out set of a task set: the union of its task files' `held_out` lists, minus its
/// training tasks (by task name), first listed first, each as a one-task spec holding the
/// file's text (so a campaign can store it). Each is parsed and checked like a training task.
///
/// # Errors
/// [`EvaluatorError::InvalidTask`] naming the task file that lists an unknown name; the
/// errors of [`parse_task`] for a held-out file (malformed, of another domain, bad `[dqn]`).
pub fn held_out_specs(spec: &TaskSpec) -> Result<Vec<TaskSpec>, EvaluatorError> {
    let train = load_tasks(spec)?;
    let mut out: Vec<(String, TaskSpec)> = Vec::new();
    for ((origin, _), task) in spec.files.iter().zip(&train) {
        for name in &task.held_out {
            let src = find_held_out(origin, name).ok_or_else(|| EvaluatorError::InvalidTask {
                origin: origin.clone(),
                message: format!(
                    "held_out: unknown task `{name}` (known tasks: {})",
                    crate::catalog::task_names().join(", ")
                ),
            })?;
            let origin = match &src.dir {
                Some(d) => std::fs::canonicalize(d)
                    .unwrap_or_else(|_| d.clone())
                    .join(Path::new(&src.origin).file_name().unwrap_or_default())
                    .display()
                    .to_string(),
                None => src.origin.clone(),
            };
            let held = parse_task(&origin, &src.text)?;
            let known = train.iter().any(|t| t.name == held.name)
                || out.iter().any(|(n, _)| *n == held.name);
            if known {
                continue;
            }
            out.push((
                held.name.clone(),
                TaskSpec {
                    name: held.name,
                    files: vec![(origin, src.text)],
                    csv: None,
                    target: None,
                    csv_data: None,
                },
            ));
        }
    }
    Ok(out.into_iter().map(|(_, s)| s).collect())
}

/// Builds the RL-loss evaluator for a task set on `device` (`cpu` or `wgpu`). It trains only
/// the training tasks; the held-out set ([`held_out_specs`]) is resolved and checked here, so
/// an unknown held-out name fails before a campaign starts.
///
/// # Errors
/// Malformed task files, unknown environments, a space that is not an RL-loss space, an
/// unavailable device.
pub fn build_evaluator(
    space: SearchSpace,
    spec: &TaskSpec,
    device: &str,
) -> Result<Arc<dyn Evaluator>, EvaluatorError> {
    for required in LOSS_INPUTS {
        if space.input_index(required).is_none() {
            return Err(EvaluatorError::SpaceMismatch(format!(
                "task `{}` trains RL losses, but space `{}` has no input `{required}` (try --space rl_loss)",
                spec.name, space.name
            )));
        }
    }
    let tasks = load_tasks(spec)?;
    held_out_specs(spec)?;
    let device =
        crate::nn::device::parse(device).map_err(|e| EvaluatorError::Device(e.to_string()))?;
    Ok(Arc::new(RlLossEvaluator::new(space, tasks, device)?))
}

#[cfg(test)]
mod held_out_tests {
    use super::*;

    fn names(spec: &TaskSpec) -> Vec<String> {
        held_out_specs(spec)
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect()
    }

    fn spec_of(path: &Path) -> TaskSpec {
        crate::task_file::resolve(path.to_str().unwrap()).unwrap()
    }

    const HEAD: &str =
        "domain = \"rl_loss\"\n[environment]\nid = \"CartPole-v1\"\nreturn_range = [0.0, 200.0]\n";

    #[test]
    fn the_meta_training_set_holds_out_five_tasks_and_never_its_own() {
        let spec = crate::task_file::resolve("cartpole,minigrid-lavagap,minigrid-empty").unwrap();
        assert_eq!(
            names(&spec),
            [
                "acrobot",
                "mountaincar",
                "minigrid-doorkey",
                "minigrid-dynamic-obstacles",
                "cartpole-reward-x10"
            ]
        );
        let held = held_out_specs(&spec).unwrap();
        let scaled = parse_task(&held[4].files[0].0, &held[4].files[0].1).unwrap();
        assert_eq!(scaled.environment.reward_scale, 10.0);
        let spec = crate::task_file::resolve("cartpole,acrobot").unwrap();
        assert!(!names(&spec).contains(&"acrobot".to_string()));
        // A task without a list has no held-out set.
        assert!(names(&crate::task_file::resolve("minigrid-empty").unwrap()).is_empty());
    }

    #[test]
    fn held_out_names_resolve_next_to_their_task_file_and_bad_ones_name_it() {
        let t = tempfile::tempdir().unwrap();
        let a = t.path().join("a.toml");
        std::fs::write(
            &a,
            format!("name = \"a\"\nheld_out = [\"b\", \"b.toml\"]\n{HEAD}"),
        )
        .unwrap();
        std::fs::write(t.path().join("b.toml"), format!("name = \"b\"\n{HEAD}")).unwrap();
        assert_eq!(names(&spec_of(&a)), ["b"]);

        std::fs::write(
            &a,
            format!("name = \"a\"\nheld_out = [\"no-such-task\"]\n{HEAD}"),
        )
        .unwrap();
        let e = held_out_specs(&spec_of(&a)).unwrap_err().to_string();
        assert!(
            e.contains("a.toml") && e.contains("unknown task `no-such-task`"),
            "{e}"
        );
        // The evaluator refuses the task set too, before any campaign starts.
        let space = crate::catalog::load_space("rl_loss").unwrap();
        let e = build_evaluator(space, &spec_of(&a), "cpu")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("no-such-task"), "{e}");

        std::fs::write(
            &a,
            format!("name = \"a\"\nheld_out = [\"nguyen-1\"]\n{HEAD}"),
        )
        .unwrap();
        let e = held_out_specs(&spec_of(&a)).unwrap_err().to_string();
        assert!(e.contains("nguyen-1") && e.contains("not rl_loss"), "{e}");
    }
}
