//! JAX export: a `jax.numpy` function, differentiable and jit-able (enable `jax_enable_x64` for
//! float64 agreement with gevo).

use super::lower::{Arg, Dialect};
use super::numpy::{ArrayApi, array_op};
use super::python::{PythonTarget, render};
use super::{ExportError, Format, Origin};
use crate::program::Program;

/// The program as a Python module defining one JAX function.
///
/// # Errors
/// An invalid program, or an RL program whose inputs a DQN batch cannot express.
pub fn to_jax(program: &Program, origin: &Origin) -> Result<String, ExportError> {
    render(
        program,
        origin,
        &PythonTarget {
            dialect: &Jax,
            framework: "JAX",
            imports: &["import jax", "import jax.numpy as jnp"],
            array_type: "jax.Array",
            helpers: &[],
            noise_param: Some("key: jax.Array"),
            noise_doc: "key: the PRNG key add_gaussian_noise draws from (folded with the node index).",
            scalar_to_array: None,
        },
    )
}

/// `jax.numpy` spelling: NumPy's, with `jax.nn` reductions and keyed noise.
struct Jax;

const JNP: ArrayApi = ArrayApi { module: "jnp" };

impl Dialect for Jax {
    fn format(&self) -> Format {
        Format::Jax
    }

    fn literal(&self, v: f64) -> String {
        JNP.literal(v)
    }

    fn var(&self, name: &str, again: bool) -> String {
        JNP.var(name, again)
    }

    fn widen(&self, column: String) -> String {
        JNP.widen(column)
    }

    fn op(&self, op: &str, args: &[Arg], node: usize) -> Option<String> {
        let a = args.first().map(|x| x.text.as_str()).unwrap_or("");
        match op {
            "logsumexp_list" => Some(format!("jax.nn.logsumexp({a}, axis=1)")),
            "softmax" => Some(format!("jax.nn.softmax({a}, axis=1)")),
            "add_gaussian_noise" => Some(format!(
                "{a} + 0.1 * jax.random.normal(jax.random.fold_in(key, {node}), jnp.shape({a}))"
            )),
            _ => array_op("jnp", op, args),
        }
    }

    fn full_like(&self, like: &str, v: f64) -> String {
        JNP.full_like(like, v)
    }
}
