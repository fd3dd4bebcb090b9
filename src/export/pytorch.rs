//! PyTorch export: a differentiable function over `torch.Tensor` batches, ready to drop into a
//! DQN update (see `docs/export.md`).

use super::lower::{Arg, Dialect};
use super::python::{PythonTarget, literal, render};
use super::{ExportError, Format, Origin};
use crate::program::Program;

/// The program as a Python module defining one PyTorch function.
///
/// # Errors
/// An invalid program, or an RL program whose inputs a DQN batch cannot express.
pub fn to_pytorch(program: &Program, origin: &Origin) -> Result<String, ExportError> {
    render(
        program,
        origin,
        &PythonTarget {
            dialect: &Torch,
            framework: "PyTorch",
            imports: &["import torch"],
            array_type: "torch.Tensor",
            helpers: &[],
            noise_param: None,
            noise_doc: "add_gaussian_noise draws from torch's global RNG (torch.manual_seed).",
        },
    )
}

/// PyTorch spelling; row reductions run over `dim=1`.
struct Torch;

impl Dialect for Torch {
    fn format(&self) -> Format {
        Format::Pytorch
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
        let a = args.first().map(|x| x.text.as_str()).unwrap_or("");
        let b = args.get(1).map(|x| x.text.as_str()).unwrap_or("");
        // torch.fmax/fmin take tensors only: a literal bound becomes a clamp.
        let bound = |f: &str, side: &str| match (&args[0].literal, &args[1].literal) {
            (Some(_), None) => format!("torch.clamp({b}, {side}={a})"),
            (None, Some(_)) => format!("torch.clamp({a}, {side}={b})"),
            _ => format!("torch.{f}({a}, {b})"),
        };
        Some(match op {
            "add" => format!("{a} + {b}"),
            "sub" => format!("{a} - {b}"),
            "mul" => format!("{a} * {b}"),
            "div" => format!("{a} / ({b} + 1e-10)"),
            "max" => bound("fmax", "min"),
            "min" => bound("fmin", "max"),
            "l2_distance" => format!("0.5 * ({a} - {b}) ** 2"),
            "neg" => format!("-{a}"),
            "abs" | "sin" | "cos" | "tanh" => format!("torch.{op}({a})"),
            "exp" => format!("torch.exp(torch.clamp({a}, max=80.0))"),
            "log" => format!("torch.log(torch.abs({a}) + 1e-12)"),
            "sqrt" => format!("torch.sqrt(torch.abs({a}))"),
            "square" => format!("{a} ** 2"),
            "multiply_tenth" => format!("0.1 * {a}"),
            "add_gaussian_noise" => format!("{a} + 0.1 * torch.randn_like({a})"),
            "sum_list" => format!("torch.sum({a}, dim=1)"),
            "mean_list" => format!("torch.mean({a}, dim=1)"),
            "max_list" => format!("torch.amax({a}, dim=1)"),
            "min_list" => format!("torch.amin({a}, dim=1)"),
            "std_list" => format!("torch.std({a}, dim=1, correction=0)"),
            "logsumexp_list" => format!("torch.logsumexp({a}, dim=1)"),
            "argmax_list" => format!("torch.argmax({a}, dim=1)"),
            "softmax" => format!("torch.softmax({a}, dim=1)"),
            "entropy" => format!("-torch.sum({a} * torch.log({a} + 1e-12), dim=1)"),
            "kl_div" => {
                format!("torch.sum({a} * (torch.log({a} + 1e-12) - torch.log({b} + 1e-12)), dim=1)")
            }
            "dot_product" => format!("torch.sum({a} * {b}, dim=1)"),
            "select_list" => format!("{a}.gather(1, {b}.long().unsqueeze(1)).squeeze(1)"),
            "mean_batch" => format!("torch.mean({a}).expand_as({a})"),
            "std_batch" => format!("torch.std({a}, correction=0).expand_as({a})"),
            _ => return None,
        })
    }

    fn full_like(&self, like: &str, v: f64) -> String {
        format!("torch.full_like({like}, {})", literal(v))
    }
}
