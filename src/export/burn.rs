//! burn export: a Rust function over `burn::tensor::Tensor` batches (burn 0.22: tensors carry
//! their device, not a backend type parameter). Differentiable wherever gevo's own burn loss is.

use super::lower::{Dialect, Lowered, Operand, Shape, lower};
use super::{ExportError, Format, Origin, doc_lines};
use crate::program::Program;
use crate::program::ops::OpSpec;
use crate::program::ops::lowering::Code;

/// The program as a Rust source file defining one burn function (plus the small helpers its
/// ops need).
///
/// # Errors
/// An invalid program, an RL program whose inputs a DQN batch cannot express, or a program with
/// a scalar (`const`-typed) input.
pub fn to_burn(program: &Program, origin: &Origin) -> Result<String, ExportError> {
    let l: Lowered = lower(program, Format::Burn)?;
    if l.convention == super::lower::Convention::UpdateRule {
        return Err(ExportError::UnsupportedProgram {
            format: Format::Burn,
            reason: "an optimizer update rule runs in Rust as a burn optimizer: \
                     gevo::domains::optimizer::ProgramOptimizer::new(Program::load(path)?).init()"
                .into(),
        });
    }
    if let Some(p) = l.params.iter().find(|p| p.shape == Shape::Scalar) {
        return Err(ExportError::UnsupportedInput {
            format: Format::Burn,
            input: p.name.clone(),
            dtype: crate::program::DType::Const,
            reason: "burn exports take tensor inputs only".into(),
        });
    }
    let (lines, ret) = l.render(&Burn)?;
    let mut uses = vec!["Int", "Tensor"];
    uses.extend(l.imports(&Burn));
    let mut out = format!(
        "// Exported by gevo (burn) from {}.\n\nuse burn::tensor::{{{}}};\n",
        origin.describe(),
        uses.join(", ")
    );
    for helper in l.helpers(&Burn) {
        out += &format!("\n{helper}");
    }
    out.push('\n');
    let noise = "add_gaussian_noise draws from the device's RNG (burn's seed).";
    for line in doc_lines(program, &l, origin, "burn", noise) {
        out += &if line.is_empty() {
            "///\n".to_string()
        } else {
            format!("/// {line}\n")
        };
    }
    if l.signature().any(|p| !p.used) {
        out += "#[allow(unused_variables)]\n";
    }
    let params: Vec<String> = l
        .signature()
        .map(|p| format!("{}: {}", p.name, tensor_type(p.shape)))
        .collect();
    let out_shape = match l.output {
        Operand::Var(k) => l.vars[k].shape,
        Operand::Literal(_) => Shape::Column,
    };
    out += &format!(
        "pub fn {}({}) -> {} {{\n",
        origin.function_name(l.convention),
        params.join(", "),
        tensor_type(out_shape)
    );
    // The last statement defines the output: it becomes the tail expression.
    let tail = match lines.last() {
        Some((var, expr)) if *var == ret => Some(expr.clone()),
        _ => None,
    };
    let body = if tail.is_some() {
        &lines[..lines.len() - 1]
    } else {
        &lines[..]
    };
    for (var, expr) in body {
        out += &format!("    let {var} = {expr};\n");
    }
    out += &format!("    {}\n}}\n", tail.unwrap_or(ret));
    Ok(out)
}

fn tensor_type(s: Shape) -> &'static str {
    match s {
        Shape::Column | Shape::Scalar => "Tensor<1>",
        Shape::Table => "Tensor<2>",
        Shape::Actions => "Tensor<1, Int>",
    }
}

/// burn spelling: methods on tensors, `*_scalar` forms for literals, clones where a variable is
/// read again.
struct Burn;

impl Dialect for Burn {
    fn format(&self) -> Format {
        Format::Burn
    }

    fn literal(&self, v: f64) -> String {
        format!("{v:?}")
    }

    fn var(&self, name: &str, again: bool) -> String {
        if again {
            format!("{name}.clone()")
        } else {
            name.to_string()
        }
    }

    fn widen(&self, column: String) -> String {
        format!("{column}.unsqueeze_dim::<2>(1)")
    }

    fn code<'s>(&self, op: &'s OpSpec) -> Option<&'s Code> {
        op.lowering.burn.as_ref()
    }

    fn full_like(&self, like: &str, v: f64) -> String {
        format!("Tensor::full({like}.shape(), {v:?}, &{like}.device())")
    }
}
