//! NumPy export: a function over `np.ndarray` batches, float64-exact against gevo's evaluator.
//!
//! The op table here is shared with [`super::jax`] (`jax.numpy` mirrors NumPy's API).

use super::lower::{Arg, Dialect};
use super::python::{PythonTarget, literal, render};
use super::{ExportError, Format, Origin};
use crate::program::Program;

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
            helpers: &[
                ("logsumexp_list", LOGSUMEXP),
                ("softmax", LOGSUMEXP),
                ("softmax", SOFTMAX),
            ],
            noise_param: Some("rng: np.random.Generator"),
            noise_doc: "rng: the generator add_gaussian_noise draws from.",
            scalar_to_array: None,
        },
    )
}

const LOGSUMEXP: &str = "def logsumexp_rows(x):
    \"\"\"log(sum(exp(x))) of each row, shifted by the row maximum for stability.\"\"\"
    top = np.max(x, axis=1)
    return top + np.log(np.sum(np.exp(x - top[:, None]), axis=1))
";

const SOFTMAX: &str = "def softmax_rows(x):
    \"\"\"exp(x - logsumexp(x)) of each row.\"\"\"
    return np.exp(x - logsumexp_rows(x)[:, None])
";

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

    fn op(&self, op: &str, args: &[Arg], _node: usize) -> Option<String> {
        array_op(self.module, op, args)
    }

    fn full_like(&self, like: &str, v: f64) -> String {
        format!("{}.full_like({like}, {})", self.module, literal(v))
    }
}

/// The NumPy-API spelling of `op` with module alias `m`; row reductions run over axis 1.
pub(crate) fn array_op(m: &str, op: &str, args: &[Arg]) -> Option<String> {
    let a = args.first().map(|x| x.text.as_str()).unwrap_or("");
    let b = args.get(1).map(|x| x.text.as_str()).unwrap_or("");
    let c = args.get(2).map(|x| x.text.as_str()).unwrap_or("");
    Some(match op {
        "add" => format!("{a} + {b}"),
        "sub" => format!("{a} - {b}"),
        "mul" => format!("{a} * {b}"),
        "div" => format!("{a} / ({b} + 1e-10)"),
        "max" => format!("{m}.fmax({a}, {b})"),
        "min" => format!("{m}.fmin({a}, {b})"),
        "l2_distance" => format!("0.5 * ({a} - {b}) ** 2"),
        "neg" => format!("-{a}"),
        "abs" | "sin" | "cos" | "tanh" => format!("{m}.{op}({a})"),
        "exp" => format!("{m}.exp({m}.minimum({a}, 80.0))"),
        "log" => format!("{m}.log({m}.abs({a}) + 1e-12)"),
        "sqrt" => format!("{m}.sqrt({m}.abs({a}))"),
        "square" => format!("{a} ** 2"),
        "multiply_tenth" => format!("0.1 * {a}"),
        "add_gaussian_noise" => format!("{a} + 0.1 * rng.standard_normal({m}.shape({a}))"),
        "sum_list" | "mean_list" | "max_list" | "min_list" | "std_list" => {
            let f = op.trim_end_matches("_list");
            format!("{m}.{f}({a}, axis=1)")
        }
        "logsumexp_list" => format!("logsumexp_rows({a})"),
        "argmax_list" => format!("{m}.argmax({a}, axis=1)"),
        "softmax" => format!("softmax_rows({a})"),
        "entropy" => format!("-{m}.sum({a} * {m}.log({a} + 1e-12), axis=1)"),
        "kl_div" => format!("{m}.sum({a} * ({m}.log({a} + 1e-12) - {m}.log({b} + 1e-12)), axis=1)"),
        "dot_product" => format!("{m}.sum({a} * {b}, axis=1)"),
        "select_list" => format!("{m}.take_along_axis({a}, {b}[:, None], axis=1)[:, 0]"),
        "mean_batch" => format!("{m}.full_like({a}, {m}.mean({a}))"),
        "std_batch" => format!("{m}.full_like({a}, {m}.std({a}))"),
        "sign" => format!("{m}.sign({a})"),
        "arctan" => format!("{m}.arctan({a})"),
        "pow" => format!("abs({a}) ** {b}"),
        "clip" => format!("{m}.clip({a}, -abs({b}), abs({b}))"),
        "interpolate" => format!("(1.0 - {c}) * {a} + {c} * {b}"),
        "norm" => format!("{m}.full_like({a}, {m}.sqrt({m}.sum({a} ** 2)))"),
        "update_rule" => format!("({a}, {b}, {c})"),
        _ => return None,
    })
}
