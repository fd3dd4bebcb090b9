//! PyTorch export: a differentiable function over `torch.Tensor` batches, ready to drop into a
//! DQN update (see `docs/export.md`); an optimizer update rule also gets a
//! `torch.optim.Optimizer` subclass.

use super::lower::{Convention, Dialect};
use super::python::{PythonTarget, literal, render};
use super::{ExportError, Format, Origin};
use crate::program::Program;
use crate::program::ops::OpSpec;
use crate::program::ops::lowering::Code;

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

    fn code<'s>(&self, op: &'s OpSpec) -> Option<&'s Code> {
        op.lowering.pytorch.as_ref()
    }

    fn module(&self) -> &str {
        "torch"
    }

    fn full_like(&self, like: &str, v: f64) -> String {
        format!("torch.full_like({like}, {})", literal(v))
    }
}
