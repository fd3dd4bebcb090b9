//! NumPy export: a function over `np.ndarray` batches, float64-exact against gevo's evaluator.
//!
//! The array-API spelling of the ops ([`crate::program::ops::Lowerings::array`]) is shared with
//! [`super::jax`] (`jax.numpy` mirrors NumPy's API).

use super::lower::Dialect;
use super::python::{PythonTarget, literal, render};
use super::{ExportError, Format, Origin};
use crate::program::Program;
use crate::program::ops::OpSpec;
use crate::program::ops::lowering::Code;

/// The program as a Python module defining one NumPy function.
///
/// # Errors
/// An invalid program, or an RL program whose inputs a DQN batch cannot express.
pub fn to_numpy(program: &Program, origin: &Origin) -> Result<String, ExportError> {
    render(
        program,
        origin,
        &PythonTarget {
            dialect: &ArrayApi { module: "np" },
            framework: "NumPy",
            imports: &["import numpy as np"],
            array_type: "np.ndarray",
            noise_param: Some("rng: np.random.Generator"),
            noise_doc: "rng: the generator add_gaussian_noise draws from.",
            scalar_to_array: None,
        },
    )
}

/// Spelling shared by NumPy and `jax.numpy` (`module` is `np` or `jnp`).
pub(crate) struct ArrayApi {
    /// The module alias.
    pub module: &'static str,
}

impl Dialect for ArrayApi {
    fn format(&self) -> Format {
        if self.module == "np" {
            Format::Numpy
        } else {
            Format::Jax
        }
    }

    fn literal(&self, v: f64) -> String {
        literal(v)
    }

    fn var(&self, name: &str, _again: bool) -> String {
        name.to_string()
    }

    fn widen(&self, column: String) -> String {
        format!("{column}[:, None]")
    }

    fn code<'s>(&self, op: &'s OpSpec) -> Option<&'s Code> {
        op.lowering.array.as_ref()
    }

    fn module(&self) -> &str {
        self.module
    }

    fn full_like(&self, like: &str, v: f64) -> String {
        format!("{}.full_like({like}, {})", self.module, literal(v))
    }
}
