//! The domains gevo ships, looked up by the `domain` key of a task file.

use super::architecture::domain::ArchitectureDomain;
use super::optimizer::domain::OptimizerDomain;
use super::plugin::{Domain, EvaluatorError};
use super::rl_loss::domain::RlLossDomain;
use super::symbolic_regression::domain::SymbolicRegressionDomain;
use crate::engine::Evaluator;
use crate::program::space::SearchSpace;
use crate::task_file::{TaskSpec, domain_line, domain_of};
use std::sync::Arc;

/// Every registered domain, in the order they are listed to users.
pub const DOMAINS: [&dyn Domain; 4] = [
    &SymbolicRegressionDomain,
    &RlLossDomain,
    &OptimizerDomain,
    &ArchitectureDomain,
];

/// The domain named `name` (the `domain` key of a task file).
pub fn domain(name: &str) -> Option<&'static dyn Domain> {
    DOMAINS.into_iter().find(|d| d.name() == name)
}

/// Names of the registered domains.
pub fn domain_names() -> Vec<&'static str> {
    DOMAINS.iter().map(|d| d.name()).collect()
}

/// The domain that scores `spec`: symbolic regression for a CSV spec, else the domain of its
/// first task file.
///
/// # Errors
/// A spec with no task, a malformed first task file, an unknown domain.
pub fn domain_of_spec(spec: &TaskSpec) -> Result<&'static dyn Domain, EvaluatorError> {
    if spec.csv.is_some() && spec.target.is_some() {
        return Ok(&SymbolicRegressionDomain);
    }
    let (origin, text) = spec.files.first().ok_or(EvaluatorError::NoTask)?;
    let name = domain_of(text, origin)?;
    domain(&name).ok_or_else(|| EvaluatorError::UnknownDomain {
        file: origin.clone(),
        line: domain_line(text),
        domain: name,
        known: domain_names().join(", "),
    })
}

/// Builds the evaluator for a space and task through the task's domain; `device` selects the
/// inner loops' burn device (`cpu`, or `wgpu` in builds with the `wgpu` feature).
///
/// # Errors
/// Malformed task files, missing data, an unknown domain, a task whose domain does not fit
/// the space.
pub fn build_evaluator(
    space: SearchSpace,
    spec: &TaskSpec,
    device: &str,
) -> Result<Arc<dyn Evaluator>, EvaluatorError> {
    domain_of_spec(spec)?.build_evaluator(space, spec, device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_is_found_by_its_name_and_ships_seeds() {
        for d in DOMAINS {
            assert_eq!(domain(d.name()).map(|x| x.name()), Some(d.name()));
            assert!(
                crate::catalog::load_space(d.default_space()).is_ok(),
                "{}",
                d.name()
            );
        }
        assert!(domain("chess").is_none());
        assert!(!RlLossDomain.seeds().is_empty());
    }

    #[test]
    fn specs_resolve_to_their_domain() {
        let spec = crate::task_file::resolve("cartpole").unwrap();
        assert_eq!(domain_of_spec(&spec).unwrap().name(), "rl_loss");
        let spec = crate::task_file::resolve("nguyen-1").unwrap();
        assert_eq!(domain_of_spec(&spec).unwrap().name(), "symbolic_regression");
        let csv = TaskSpec {
            name: "d".into(),
            files: vec![],
            csv: Some("/d.csv".into()),
            target: Some("y".into()),
            csv_data: None,
        };
        assert_eq!(domain_of_spec(&csv).unwrap().name(), "symbolic_regression");
    }

    #[test]
    fn an_unknown_domain_names_its_line() {
        let spec = TaskSpec {
            name: "d".into(),
            files: vec![("d.toml".into(), "name = \"d\"\ndomain = \"chess\"\n".into())],
            csv: None,
            target: None,
            csv_data: None,
        };
        let e = domain_of_spec(&spec).err().unwrap().to_string();
        assert!(e.starts_with("d.toml:2: unknown domain `chess`"), "{e}");
        assert!(e.contains("rl_loss"), "{e}");
    }

    #[test]
    fn each_domain_validates_its_own_task_files() {
        for (task, domain_name) in [("cartpole", "rl_loss"), ("nguyen-1", "symbolic_regression")] {
            let spec = crate::task_file::resolve(task).unwrap();
            let (origin, text) = &spec.files[0];
            for d in DOMAINS {
                let ok = d.validate_task(origin, text).is_ok();
                if d.name() == domain_name {
                    assert!(ok, "{} refuses {task}", d.name());
                } else if d.name() != "symbolic_regression" {
                    assert!(!ok, "{} accepts {task}", d.name());
                }
            }
        }
    }
}
