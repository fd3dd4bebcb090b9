//! JAX export: a `jax.numpy` function, differentiable and jit-able (enable `jax_enable_x64` for
//! float64 agreement with gevo); an optimizer update rule also gets an optax
//! `GradientTransformation`.

use super::lower::{Convention, Dialect};
use super::numpy::ArrayApi;
use super::python::{PythonTarget, render};
use super::{ExportError, Format, Origin};
use crate::program::Program;
use crate::program::ops::OpSpec;
use crate::program::ops::lowering::Code;

/// The program as a Python module defining one JAX function.
///
/// # Errors
/// An invalid program, or an RL program whose inputs a DQN batch cannot express.
pub fn to_jax(program: &Program, origin: &Origin) -> Result<String, ExportError> {
    let module = render(
        program,
        origin,
        &PythonTarget {
            dialect: &Jax,
            framework: "JAX",
            imports: &["import jax", "import jax.numpy as jnp"],
            array_type: "jax.Array",
            noise_param: Some("key: jax.Array"),
            noise_doc: "key: the PRNG key add_gaussian_noise draws from (folded with the node index).",
            scalar_to_array: None,
        },
    )?;
    let types = crate::program::validate::infer_types(program)?;
    if types.get(program.output) != Some(&crate::program::DType::Update) {
        return Ok(module);
    }
    let function = origin.function_name(Convention::UpdateRule);
    Ok(module + &gradient_transformation(&function))
}

/// An optax `GradientTransformation` applying the exported update rule to every leaf.
fn gradient_transformation(function: &str) -> String {
    let stem = function.trim_end_matches("_update");
    format!(
        r#"

def {stem}_optimizer(learning_rate: float):
    """An optax.GradientTransformation applying `{function}` to every leaf of the parameters:
    its state holds the buffers m and v (zeros at first) and the step count; the updates it
    returns are -update, for optax.apply_updates. `update` needs `params`."""
    import optax

    def init_fn(params):
        zeros = lambda p: jax.tree_util.tree_map(jnp.zeros_like, p)
        return {{"m": zeros(params), "v": zeros(params), "step": jnp.zeros([], jnp.int32)}}

    def update_fn(updates, state, params=None):
        if params is None:
            raise ValueError("{stem}_optimizer reads the weights: pass params to update()")
        step = state["step"] + 1
        treedef = jax.tree_util.tree_structure(params)
        leaves = [
            {function}(w, g, m, v, learning_rate, step.astype(jnp.result_type(w)))
            for w, g, m, v in zip(
                treedef.flatten_up_to(params),
                treedef.flatten_up_to(updates),
                treedef.flatten_up_to(state["m"]),
                treedef.flatten_up_to(state["v"]),
            )
        ]
        shapes = [jnp.shape(w) for w in treedef.flatten_up_to(params)]
        column = lambda k, sign: treedef.unflatten(
            [sign * jnp.broadcast_to(out[k], s) for out, s in zip(leaves, shapes)]
        )
        return column(0, -1.0), {{"m": column(1, 1.0), "v": column(2, 1.0), "step": step}}

    return optax.GradientTransformation(init_fn, update_fn)
"#
    )
}

/// `jax.numpy` spelling: NumPy's, except where an op has its own JAX spelling (`jax.nn`
/// reductions, keyed noise).
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

    fn code<'s>(&self, op: &'s OpSpec) -> Option<&'s Code> {
        op.jax_code()
    }

    fn module(&self) -> &str {
        JNP.module
    }

    fn full_like(&self, like: &str, v: f64) -> String {
        JNP.full_like(like, v)
    }
}
