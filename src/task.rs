//! Task files (`tasks/*.toml`): which domain scores the candidates and how. Building the
//! evaluator of a campaign from its self-contained [`TaskSpec`].

use crate::domains::symbolic_regression::{SymbolicRegressionEvaluator, SymbolicRegressionTask};
use crate::engine::Evaluator;
use crate::evolution::TaskSpec;
use crate::space::SearchSpace;
use anyhow::{Context, anyhow, bail};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A task file's error: names the file, the line and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct TaskError {
    /// The file.
    pub file: String,
    /// 1-based line (0 when not tied to a line).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses TOML into `T`, reporting the line of any error.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
) -> Result<T, TaskError> {
    toml::from_str(text).map_err(|e| TaskError {
        file: origin.to_string(),
        line: e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(0),
        message: e.message().to_string(),
    })
}

/// The folder of a task file that relative data paths resolve against (`None` for the copies
/// embedded in the binary).
pub fn task_dir(origin: &str) -> Option<&Path> {
    (!origin.starts_with("<embedded>"))
        .then(|| Path::new(origin).parent())
        .flatten()
}

/// The `domain` key of a task file.
pub fn domain_of(text: &str, origin: &str) -> Result<String, TaskError> {
    #[derive(serde::Deserialize)]
    struct Head {
        domain: Option<String>,
    }
    let v: toml::Table = parse_toml(text, origin)?;
    let head: Head = v.try_into().map_err(|e: toml::de::Error| TaskError {
        file: origin.to_string(),
        line: 0,
        message: e.message().to_string(),
    })?;
    head.domain.ok_or_else(|| TaskError {
        file: origin.to_string(),
        line: 1,
        message:
            "missing `domain` (e.g. domain = \"symbolic_regression\", \"rl_loss\" or \"optimizer\")"
                .into(),
    })
}

/// Resolves `--task a,b` (names or paths) into a self-contained spec.
///
/// # Errors
/// Unknown task names (listing the known ones).
pub fn resolve(task: &str) -> anyhow::Result<TaskSpec> {
    let mut files = Vec::new();
    for name in task.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let src = crate::catalog::task(name).ok_or_else(|| {
            anyhow!(
                "unknown task `{name}` (known tasks: {})",
                crate::catalog::task_names().join(", ")
            )
        })?;
        let origin = match &src.dir {
            Some(d) => std::fs::canonicalize(d)
                .unwrap_or_else(|_| d.clone())
                .join(Path::new(&src.origin).file_name().unwrap_or_default())
                .display()
                .to_string(),
            None => src.origin.clone(),
        };
        files.push((origin, src.text));
    }
    if files.is_empty() {
        bail!("--task is empty");
    }
    Ok(TaskSpec {
        name: task.to_string(),
        files,
        csv: None,
        target: None,
    })
}

/// A CSV task spec (`--data FILE.csv --target COL`).
pub fn csv_spec(path: &Path, target: &str) -> anyhow::Result<TaskSpec> {
    let abs: PathBuf = std::fs::canonicalize(path)
        .with_context(|| format!("{}: cannot open the data file", path.display()))?;
    Ok(TaskSpec {
        name: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "csv".into()),
        files: vec![],
        csv: Some(abs.display().to_string()),
        target: Some(target.to_string()),
    })
}

/// Builds the evaluator for a space and task; `device` selects the inner loops' burn device
/// (`cpu`, or `wgpu` in builds with the `wgpu` feature).
///
/// # Errors
/// Malformed task files, missing data, a task whose domain does not fit the space.
pub fn build_evaluator(
    space: SearchSpace,
    spec: &TaskSpec,
    device: &str,
) -> anyhow::Result<Arc<dyn Evaluator>> {
    if let (Some(csv), Some(target)) = (&spec.csv, &spec.target) {
        let task = SymbolicRegressionTask::from_csv(Path::new(csv), target);
        let (train, test) = task.load(None, csv)?;
        return Ok(Arc::new(SymbolicRegressionEvaluator::new(
            space, &task.name, &train, &test,
        )));
    }
    let (origin, text) = spec.files.first().ok_or_else(|| anyhow!("no task"))?;
    let domain = domain_of(text, origin)?;
    match domain.as_str() {
        "symbolic_regression" => {
            if spec.files.len() > 1 {
                bail!(
                    "symbolic regression takes one task at a time (got `{}`)",
                    spec.name
                );
            }
            if space.task_inputs.is_none() {
                bail!(
                    "task `{}` is symbolic regression, but space `{}` is not (try --space symbolic_regression)",
                    spec.name,
                    space.name
                );
            }
            let task: SymbolicRegressionTask = parse_toml(text, origin)?;
            let base = Path::new(origin).parent();
            let (train, test) = task.load(base, origin)?;
            Ok(Arc::new(SymbolicRegressionEvaluator::new(
                space, &task.name, &train, &test,
            )))
        }
        "rl_loss" => crate::domains::rl_loss::build_evaluator(space, spec, device),
        "optimizer" => crate::domains::optimizer::build_evaluator(space, spec, device),
        "architecture" => crate::domains::architecture::build_evaluator(space, spec, device),
        other => Err(TaskError {
            file: origin.clone(),
            line: text
                .lines()
                .position(|l| l.trim_start().starts_with("domain"))
                .map(|i| i + 1)
                .unwrap_or(0),
            message: format!(
                "unknown domain `{other}` (known: symbolic_regression, rl_loss, optimizer, architecture)"
            ),
        }
        .into()),
    }
}
