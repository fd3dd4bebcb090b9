//! burn export: a Rust function over `burn::tensor::Tensor` batches (burn 0.22: tensors carry
//! their device, not a backend type parameter). Differentiable wherever gevo's own burn loss is.

use super::lower::{Arg, Dialect, Lowered, Operand, Shape, lower};
use super::{ExportError, Format, Origin, doc_lines};
use crate::program::Program;
use crate::program::ops::DIV_EPS;

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
    if l.uses_noise() {
        uses.push("Distribution");
    }
    if l.ops_used.contains("softmax") {
        uses.push("activation::softmax");
    }
    let mut out = format!(
        "// Exported by gevo (burn) from {}.\n\nuse burn::tensor::{{{}}};\n",
        origin.describe(),
        uses.join(", ")
    );
    for (op, helper) in HELPERS {
        if l.ops_used.contains(op) {
            out += &format!("\n{helper}");
        }
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

/// Helper functions for ops that read an argument more than once, by op name.
const HELPERS: [(&str, &str); 7] = [
    (
        "logsumexp_list",
        "/// log(sum(exp(x))) of each row, shifted by the row maximum for stability.
fn logsumexp_rows(x: Tensor<2>) -> Tensor<1> {
    let top = x.clone().max_dim(1);
    ((x - top.clone()).exp().sum_dim(1).log() + top).squeeze_dim::<1>(1)
}
",
    ),
    (
        "std_list",
        "/// Population standard deviation of each row.
fn std_rows(x: Tensor<2>) -> Tensor<1> {
    let mean = x.clone().mean_dim(1);
    (x - mean).square().mean_dim(1).sqrt().squeeze_dim::<1>(1)
}
",
    ),
    (
        "entropy",
        "/// -sum(p * ln(p + 1e-12)) of each row.
fn entropy_rows(p: Tensor<2>) -> Tensor<1> {
    (p.clone() * p.add_scalar(1e-12).log()).sum_dim(1).neg().squeeze_dim::<1>(1)
}
",
    ),
    (
        "kl_div",
        "/// sum(p * (ln(p + 1e-12) - ln(q + 1e-12))) of each row.
fn kl_div_rows(p: Tensor<2>, q: Tensor<2>) -> Tensor<1> {
    let log_ratio = p.clone().add_scalar(1e-12).log() - q.add_scalar(1e-12).log();
    (p * log_ratio).sum_dim(1).squeeze_dim::<1>(1)
}
",
    ),
    (
        "add_gaussian_noise",
        "/// x + N(0, 0.1^2) noise.
fn add_gaussian_noise<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let noise = Tensor::random(x.shape(), Distribution::Normal(0.0, 0.1), &x.device());
    x + noise
}
",
    ),
    (
        "mean_batch",
        "/// The batch mean, repeated on every row.
fn mean_batch(x: Tensor<1>) -> Tensor<1> {
    let rows = x.dims()[0];
    x.mean().expand([rows])
}
",
    ),
    (
        "std_batch",
        "/// The batch's population standard deviation, repeated on every row.
fn std_batch(x: Tensor<1>) -> Tensor<1> {
    let rows = x.dims()[0];
    let mean = x.clone().mean().expand([rows]);
    (x - mean).square().mean().sqrt().expand([rows])
}
",
    ),
];

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

    fn op(&self, op: &str, args: &[Arg], _node: usize) -> Option<String> {
        let a = args.first().map(|x| x.text.as_str()).unwrap_or("");
        let b = args.get(1).map(|x| x.text.as_str()).unwrap_or("");
        let rows = |method: &str| format!("{a}.{method}(1).squeeze_dim::<1>(1)");
        if is_binary(op) {
            return Some(binary(op, &args[0], &args[1]));
        }
        Some(match op {
            "neg" | "abs" | "sin" | "cos" | "tanh" | "square" => format!("{a}.{op}()"),
            "exp" => format!("{a}.clamp_max(80.0).exp()"),
            "log" => format!("{a}.abs().add_scalar(1e-12).log()"),
            "sqrt" => format!("{a}.abs().sqrt()"),
            "multiply_tenth" => format!("{a}.mul_scalar(0.1)"),
            "add_gaussian_noise" => format!("add_gaussian_noise({a})"),
            "sum_list" => rows("sum_dim"),
            "mean_list" => rows("mean_dim"),
            "max_list" => rows("max_dim"),
            "min_list" => rows("min_dim"),
            "argmax_list" => rows("argmax"),
            "std_list" => format!("std_rows({a})"),
            "logsumexp_list" => format!("logsumexp_rows({a})"),
            "softmax" => format!("softmax({a}, 1)"),
            "entropy" => format!("entropy_rows({a})"),
            "kl_div" => format!("kl_div_rows({a}, {b})"),
            "dot_product" => format!("({a} * {b}).sum_dim(1).squeeze_dim::<1>(1)"),
            "select_list" => {
                format!("{a}.gather(1, {b}.unsqueeze_dim::<2>(1)).squeeze_dim::<1>(1)")
            }
            "mean_batch" => format!("mean_batch({a})"),
            "std_batch" => format!("std_batch({a})"),
            _ => return None,
        })
    }

    fn full_like(&self, like: &str, v: f64) -> String {
        format!("Tensor::full({like}.shape(), {v:?}, &{like}.device())")
    }
}

fn is_binary(op: &str) -> bool {
    super::lower::is_elementwise_binary(op)
}

/// An elementwise binary op; a literal operand becomes a `*_scalar` method or a clamp.
fn binary(op: &str, x: &Arg, y: &Arg) -> String {
    let (a, b) = (&x.text, &y.text);
    match (op, x.literal, y.literal) {
        ("add", None, None) => format!("{a} + {b}"),
        ("sub", None, None) => format!("{a} - {b}"),
        ("mul", None, None) => format!("{a} * {b}"),
        ("div", None, None) => format!("{a} / {b}.add_scalar(1e-10)"),
        ("max", None, None) => format!("{a}.max_pair({b})"),
        ("min", None, None) => format!("{a}.min_pair({b})"),
        ("l2_distance", None, None) => format!("({a} - {b}).square().mul_scalar(0.5)"),
        ("sub", Some(c), None) => format!("{b}.neg().add_scalar({c:?})"),
        ("div", Some(c), None) => format!("{b}.add_scalar(1e-10).recip().mul_scalar({c:?})"),
        ("div", None, Some(c)) => format!("{a}.div_scalar({:?})", c + DIV_EPS),
        // Commutative in value (l2_distance squares the difference).
        (_, Some(c), None) => scalar(op, b, c),
        (_, None, Some(c)) => scalar(op, a, c),
        _ => unreachable!("constant-only ops are folded before rendering"),
    }
}

fn scalar(op: &str, t: &str, c: f64) -> String {
    match op {
        "add" => format!("{t}.add_scalar({c:?})"),
        "sub" => format!("{t}.sub_scalar({c:?})"),
        "mul" => format!("{t}.mul_scalar({c:?})"),
        "max" => format!("{t}.clamp_min({c:?})"),
        "min" => format!("{t}.clamp_max({c:?})"),
        _ => format!("{t}.sub_scalar({c:?}).square().mul_scalar(0.5)"),
    }
}
