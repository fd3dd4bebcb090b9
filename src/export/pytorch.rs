//! PyTorch export: a differentiable function over `torch.Tensor` batches, ready to drop into a
//! DQN update (see `docs/export.md`); an optimizer update rule also gets a
//! `torch.optim.Optimizer` subclass.

use super::lower::Convention;
use super::lower::{Arg, Dialect};
use super::python::{PythonTarget, literal, render};
use super::{ExportError, Format, Origin};
use crate::program::Program;

/// The program as a Python module defining one PyTorch function.
///
/// # Errors
/// An invalid program, or an RL program whose inputs a DQN batch cannot express.
pub fn to_pytorch(program: &Program, origin: &Origin) -> Result<String, ExportError> {
    let module = render_function(program, origin)?;
    let types = crate::program::validate::infer_types(program)?;
    if types.get(program.output) != Some(&crate::program::DType::Update) {
        return Ok(module);
    }
    let function = origin.function_name(Convention::UpdateRule);
    Ok(module + &optimizer_class(&function))
}

/// A `torch.optim.Optimizer` subclass that applies the exported update rule to every parameter.
fn optimizer_class(function: &str) -> String {
    let stem = function.trim_end_matches("_update");
    let class: String = stem
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<String>()
        + "Optimizer";
    format!(
        r#"

class {class}(torch.optim.Optimizer):
    """torch.optim.Optimizer applying `{function}` to every parameter: per parameter it keeps the
    state buffers m and v (zeros at first) and the step count, and sets p <- p - update."""

    def __init__(self, params, lr: float = 1e-3):
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                state["step"] += 1
                update, m, v = {function}(
                    p, p.grad, state["m"], state["v"], group["lr"], float(state["step"])
                )
                p.sub_(update)
                state["m"], state["v"] = m, v
        return loss
"#
    )
}

fn render_function(program: &Program, origin: &Origin) -> Result<String, ExportError> {
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
            scalar_to_array: Some(
                "torch.as_tensor({scalar}, dtype={like}.dtype, device={like}.device)",
            ),
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
        let c = args.get(2).map(|x| x.text.as_str()).unwrap_or("");
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
            "sign" => format!("torch.sign({a})"),
            "arctan" => format!("torch.atan({a})"),
            "pow" => format!("abs({a}) ** {b}"),
            "clip" => match args[1].literal {
                Some(_) => format!("torch.clamp({a}, min=-abs({b}), max=abs({b}))"),
                None => format!("torch.maximum(torch.minimum({a}, abs({b})), -abs({b}))"),
            },
            "interpolate" => format!("(1.0 - {c}) * {a} + {c} * {b}"),
            "norm" => format!("torch.linalg.vector_norm({a}).expand_as({a})"),
            "update_rule" => format!("({a}, {b}, {c})"),
            _ => return None,
        })
    }

    fn full_like(&self, like: &str, v: f64) -> String {
        format!("torch.full_like({like}, {})", literal(v))
    }
}
