//! Constants and elementwise arithmetic: the ops every numeric space shares (Co-Reyes et al.,
//! ICLR 2021, appendix A; the Nguyen function set of symbolic regression).

use super::lowering::{Code, CodeArgs, Latex, NameArgs, NameRule, Prec, Snippet, Tex, fill};
use super::rules::{self, binary, unary};
use super::tensor::{tensor_binary, tensor_unary};
use super::{
    Algebra, DIV_EPS, EXP_CLIP, EqualArgs, KernelContext, LOG_EPS, NOISE_STD, OpSpec,
    standard_normal,
};
use crate::program::value::Value;
use burn::tensor::{Distribution, Tensor};

fn k_const(_: &[&Value], _: &mut Value, _: &mut KernelContext<'_>) {
    // Constants are written by the interpreter from the node's value.
}
fn k_add(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    binary(a, o, |x, y| x + y)
}
fn k_sub(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    binary(a, o, |x, y| x - y)
}
fn k_mul(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    binary(a, o, |x, y| x * y)
}
fn k_div(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    binary(a, o, |x, y| x / (y + DIV_EPS))
}
fn k_max(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    binary(a, o, f64::max)
}
fn k_min(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    binary(a, o, f64::min)
}
fn k_l2_distance(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    binary(a, o, |x, y| 0.5 * (x - y) * (x - y))
}
fn k_neg(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    unary(a, o, |x| -x)
}
fn k_abs(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    unary(a, o, f64::abs)
}
fn k_sin(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    unary(a, o, f64::sin)
}
fn k_cos(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    unary(a, o, f64::cos)
}
fn k_tanh(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    unary(a, o, f64::tanh)
}
fn k_exp(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    unary(a, o, |x| x.min(EXP_CLIP).exp())
}
fn k_log(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    unary(a, o, |x| (x.abs() + LOG_EPS).ln())
}
fn k_sqrt(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    unary(a, o, |x| x.abs().sqrt())
}
fn k_square(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    unary(a, o, |x| x * x)
}
fn k_multiply_tenth(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    unary(a, o, |x| 0.1 * x)
}
fn k_add_gaussian_noise(a: &[&Value], o: &mut Value, ctx: &mut KernelContext<'_>) {
    let x = a[0];
    o.reshape_for(x.rows, x.width);
    for (out, v) in o.data.iter_mut().zip(&x.data) {
        *out = v + NOISE_STD * standard_normal(ctx.rng);
    }
}

/// `a + b` with the right operand parenthesised when it starts with a minus sign.
fn latex_add(a: &[Tex]) -> Tex {
    let rhs = if a[1].text.starts_with('-') {
        a[1].at(Prec::Atom)
    } else {
        a[1].at(Prec::Sum)
    };
    Tex::new(format!("{} + {rhs}", a[0].at(Prec::Sum)), Prec::Sum)
}

/// torch.fmax/fmin take tensors only: a literal bound becomes a clamp.
fn torch_bound(a: &CodeArgs<'_>, f: &str, side: &str) -> String {
    let (x, y) = (a.text(0), a.text(1));
    match (a.literal(0), a.literal(1)) {
        (Some(_), None) => format!("torch.clamp({y}, {side}={x})"),
        (None, Some(_)) => format!("torch.clamp({x}, {side}={y})"),
        _ => format!("torch.{f}({x}, {y})"),
    }
}
fn torch_max(a: &CodeArgs<'_>) -> String {
    torch_bound(a, "fmax", "min")
}
fn torch_min(a: &CodeArgs<'_>) -> String {
    torch_bound(a, "fmin", "max")
}

/// burn spelling of a binary op with the same value for `(t, c)` and `(c, t)`: `pair` for two
/// tensors, `scalar(tensor, literal)` when one side is a literal.
fn burn_symmetric(a: &CodeArgs<'_>, pair: &str, scalar: fn(&str, f64) -> String) -> String {
    match (a.literal(0), a.literal(1)) {
        (None, None) => fill(pair, a),
        (Some(c), None) => scalar(a.text(1), c),
        (None, Some(c)) => scalar(a.text(0), c),
        (Some(_), Some(_)) => unreachable!("constant-only ops are folded before rendering"),
    }
}
fn burn_add(a: &CodeArgs<'_>) -> String {
    burn_symmetric(a, "{0} + {1}", |t, c| format!("{t}.add_scalar({c:?})"))
}
fn burn_mul(a: &CodeArgs<'_>) -> String {
    burn_symmetric(a, "{0} * {1}", |t, c| format!("{t}.mul_scalar({c:?})"))
}
fn burn_max(a: &CodeArgs<'_>) -> String {
    burn_symmetric(a, "{0}.max_pair({1})", |t, c| {
        format!("{t}.clamp_min({c:?})")
    })
}
fn burn_min(a: &CodeArgs<'_>) -> String {
    burn_symmetric(a, "{0}.min_pair({1})", |t, c| {
        format!("{t}.clamp_max({c:?})")
    })
}
fn burn_l2_distance(a: &CodeArgs<'_>) -> String {
    // The difference is squared: symmetric in value.
    burn_symmetric(a, "({0} - {1}).square().mul_scalar(0.5)", |t, c| {
        format!("{t}.sub_scalar({c:?}).square().mul_scalar(0.5)")
    })
}
fn burn_sub(a: &CodeArgs<'_>) -> String {
    match (a.literal(0), a.literal(1)) {
        (Some(c), None) => format!("{}.neg().add_scalar({c:?})", a.text(1)),
        (None, Some(c)) => format!("{}.sub_scalar({c:?})", a.text(0)),
        _ => burn_symmetric(a, "{0} - {1}", |_, _| unreachable!()),
    }
}
fn burn_div(a: &CodeArgs<'_>) -> String {
    match (a.literal(0), a.literal(1)) {
        (Some(c), None) => format!("{}.add_scalar(1e-10).recip().mul_scalar({c:?})", a.text(1)),
        (None, Some(c)) => format!("{}.div_scalar({:?})", a.text(0), c + DIV_EPS),
        _ => burn_symmetric(a, "{0} / {1}.add_scalar(1e-10)", |_, _| unreachable!()),
    }
}

/// `r + γ·max Q'` reads as the TD target.
fn name_add(a: &NameArgs<'_>) -> String {
    let either = |n: &str| a.name(0) == n || a.name(1) == n;
    if either("rewards")
        && (a.name(0).starts_with("discounted") || a.name(1).starts_with("discounted"))
    {
        "td_target".into()
    } else {
        "total".into()
    }
}
fn name_sub(a: &NameArgs<'_>) -> String {
    if a.name(0).ends_with("_taken") && a.name(1).starts_with("td_target") {
        "td_error".into()
    } else {
        "difference".into()
    }
}
fn name_mul(a: &NameArgs<'_>) -> String {
    if a.name(0) == "discounts" || a.name(1) == "discounts" {
        "discounted".into()
    } else {
        "product".into()
    }
}
fn name_square(a: &NameArgs<'_>) -> String {
    let n = a.name(0);
    if !n.is_empty() && n.len() <= 16 {
        format!("{n}_sq")
    } else {
        "square".into()
    }
}

const MAX_MIN_NOTE: Snippet = Snippet {
    order: 5,
    text: "max/min of two values ignore a NaN operand (fmax/fmin)",
};

pub(super) const OPS: [OpSpec; 19] = [
    OpSpec::new("const", 0, rules::constant, k_const),
    OpSpec::new("add", 2, rules::binary_numeric, k_add)
        .symbol("+")
        .elementwise()
        .tensor(tensor_binary!(|a, b| a + b))
        .algebra(Algebra {
            right_identity: Some(0.0),
            left_identity: Some(0.0),
            ..Algebra::NONE
        })
        .latex(Latex::Custom(latex_add))
        .array(Code::template("{0} + {1}"))
        .pytorch(Code::template("{0} + {1}"))
        .burn(Code::custom(burn_add))
        .named(NameRule::Custom(name_add)),
    OpSpec::new("sub", 2, rules::binary_numeric, k_sub)
        .ordered()
        .symbol("-")
        .elementwise()
        .tensor(tensor_binary!(|a, b| a - b))
        .algebra(Algebra {
            right_identity: Some(0.0),
            equal_args: Some(EqualArgs::Zero),
            left_zero_negates: true,
            ..Algebra::NONE
        })
        .latex(Latex::Template("@0 - @1*", Prec::Sum))
        .array(Code::template("{0} - {1}"))
        .pytorch(Code::template("{0} - {1}"))
        .burn(Code::custom(burn_sub))
        .named(NameRule::Custom(name_sub)),
    OpSpec::new("mul", 2, rules::binary_numeric, k_mul)
        .symbol("*")
        .elementwise()
        .tensor(tensor_binary!(|a, b| a * b))
        .algebra(Algebra {
            right_identity: Some(1.0),
            left_identity: Some(1.0),
            absorbing: Some(0.0),
            negated_by: Some(-1.0),
            equal_args: Some(EqualArgs::Op("square")),
            ..Algebra::NONE
        })
        .latex(Latex::Template(r"@0* \cdot @1*", Prec::Product))
        .array(Code::template("{0} * {1}"))
        .pytorch(Code::template("{0} * {1}"))
        .burn(Code::custom(burn_mul))
        .named(NameRule::Custom(name_mul)),
    OpSpec::new("div", 2, rules::binary_numeric, k_div)
        .ordered()
        .symbol("/")
        .elementwise()
        .tensor(tensor_binary!(|a, b| a / b.add_scalar(DIV_EPS)))
        .latex(Latex::Template(
            r"\operatorname{pdiv}\left(@0, @1\right)",
            Prec::Atom,
        ))
        .latex_legend(&[Snippet {
            order: 0,
            text: r"\operatorname{pdiv}(x, y) = x / (y + 1e-10)",
        }])
        .array(Code::template("{0} / ({1} + 1e-10)"))
        .pytorch(Code::template("{0} / ({1} + 1e-10)"))
        .burn(Code::custom(burn_div))
        .notes(&[Snippet {
            order: 0,
            text: "div(x, y) = x / (y + 1e-10)",
        }])
        .named(NameRule::Fixed("ratio")),
    OpSpec::new("max", 2, rules::binary_numeric, k_max)
        .elementwise()
        .tensor(tensor_binary!(|a, b| a.max_pair(b)))
        .algebra(Algebra {
            equal_args: Some(EqualArgs::First),
            ..Algebra::NONE
        })
        .latex(Latex::Template(r"\max\left(@0, @1\right)", Prec::Atom))
        .array(Code::template("{m}.fmax({0}, {1})"))
        .pytorch(Code::custom(torch_max))
        .burn(Code::custom(burn_max))
        .notes(&[MAX_MIN_NOTE])
        .named(NameRule::Fixed("maximum")),
    OpSpec::new("min", 2, rules::binary_numeric, k_min)
        .elementwise()
        .tensor(tensor_binary!(|a, b| a.min_pair(b)))
        .algebra(Algebra {
            equal_args: Some(EqualArgs::First),
            ..Algebra::NONE
        })
        .latex(Latex::Template(r"\min\left(@0, @1\right)", Prec::Atom))
        .array(Code::template("{m}.fmin({0}, {1})"))
        .pytorch(Code::custom(torch_min))
        .burn(Code::custom(burn_min))
        .notes(&[MAX_MIN_NOTE])
        .named(NameRule::Fixed("minimum")),
    OpSpec::new("l2_distance", 2, rules::binary_numeric, k_l2_distance)
        .elementwise()
        .tensor(tensor_binary!(|a, b| (a - b).square().mul_scalar(0.5)))
        .algebra(Algebra {
            equal_args: Some(EqualArgs::Zero),
            ..Algebra::NONE
        })
        .latex(Latex::Template(
            r"\tfrac{1}{2} \left(@0 - @1*\right)^{2}",
            Prec::Product,
        ))
        .array(Code::template("0.5 * ({0} - {1}) ** 2"))
        .pytorch(Code::template("0.5 * ({0} - {1}) ** 2"))
        .burn(Code::custom(burn_l2_distance))
        .named(NameRule::Fixed("half_sq_dist")),
    OpSpec::new("neg", 1, rules::unary_numeric, k_neg)
        .elementwise()
        .tensor(tensor_unary!(|a| a.neg()))
        .algebra(Algebra {
            involution: true,
            ..Algebra::NONE
        })
        .latex(Latex::Template("-@0!", Prec::Product))
        .array(Code::template("-{0}"))
        .pytorch(Code::template("-{0}"))
        .burn(Code::template("{0}.neg()"))
        .named(NameRule::Fixed("negated")),
    OpSpec::new("abs", 1, rules::unary_numeric, k_abs)
        .elementwise()
        .tensor(tensor_unary!(|a| a.abs()))
        .algebra(Algebra {
            absolute: true,
            nonnegative: true,
            even: true,
            ..Algebra::NONE
        })
        .latex(Latex::Template(r"\left\lvert @0 \right\rvert", Prec::Atom))
        .array(Code::template("{m}.abs({0})"))
        .pytorch(Code::template("torch.abs({0})"))
        .burn(Code::template("{0}.abs()")),
    OpSpec::new("sin", 1, rules::unary_numeric, k_sin)
        .elementwise()
        .tensor(tensor_unary!(|a| a.sin()))
        .latex(Latex::Template(r"\sin\left(@0\right)", Prec::Atom))
        .array(Code::template("{m}.sin({0})"))
        .pytorch(Code::template("torch.sin({0})"))
        .burn(Code::template("{0}.sin()")),
    OpSpec::new("cos", 1, rules::unary_numeric, k_cos)
        .elementwise()
        .tensor(tensor_unary!(|a| a.cos()))
        .latex(Latex::Template(r"\cos\left(@0\right)", Prec::Atom))
        .array(Code::template("{m}.cos({0})"))
        .pytorch(Code::template("torch.cos({0})"))
        .burn(Code::template("{0}.cos()")),
    OpSpec::new("tanh", 1, rules::unary_numeric, k_tanh)
        .elementwise()
        .tensor(tensor_unary!(|a| a.tanh()))
        .latex(Latex::Template(r"\tanh\left(@0\right)", Prec::Atom))
        .array(Code::template("{m}.tanh({0})"))
        .pytorch(Code::template("torch.tanh({0})"))
        .burn(Code::template("{0}.tanh()")),
    OpSpec::new("exp", 1, rules::unary_numeric, k_exp)
        .elementwise()
        .tensor(tensor_unary!(|a| a.clamp_max(EXP_CLIP).exp()))
        .latex(Latex::Template(
            r"\operatorname{pexp}\left(@0\right)",
            Prec::Atom,
        ))
        .latex_legend(&[Snippet {
            order: 2,
            text: r"\operatorname{pexp}(x) = e^{\min(x, 80)}",
        }])
        .array(Code::template("{m}.exp({m}.minimum({0}, 80.0))"))
        .pytorch(Code::template("torch.exp(torch.clamp({0}, max=80.0))"))
        .burn(Code::template("{0}.clamp_max(80.0).exp()"))
        .notes(&[Snippet {
            order: 2,
            text: "exp(x) = e^min(x, 80.0)",
        }]),
    OpSpec::new("log", 1, rules::unary_numeric, k_log)
        .elementwise()
        .tensor(tensor_unary!(|a| a.abs().add_scalar(LOG_EPS).log()))
        .latex(Latex::Template(
            r"\operatorname{plog}\left(@0\right)",
            Prec::Atom,
        ))
        .latex_legend(&[Snippet {
            order: 1,
            text: r"\operatorname{plog}(x) = \ln(|x| + 1e-12)",
        }])
        .array(Code::template("{m}.log({m}.abs({0}) + 1e-12)"))
        .pytorch(Code::template("torch.log(torch.abs({0}) + 1e-12)"))
        .burn(Code::template("{0}.abs().add_scalar(1e-12).log()"))
        .notes(&[Snippet {
            order: 1,
            text: "log(x) = ln(|x| + 1e-12)",
        }]),
    OpSpec::new("sqrt", 1, rules::unary_numeric, k_sqrt)
        .elementwise()
        .tensor(tensor_unary!(|a| a.abs().sqrt()))
        .algebra(Algebra {
            nonnegative: true,
            of_square: Some("abs"),
            ..Algebra::NONE
        })
        .latex(Latex::Template(
            r"\sqrt{\left\lvert @0 \right\rvert}",
            Prec::Atom,
        ))
        .array(Code::template("{m}.sqrt({m}.abs({0}))"))
        .pytorch(Code::template("torch.sqrt(torch.abs({0}))"))
        .burn(Code::template("{0}.abs().sqrt()"))
        .notes(&[Snippet {
            order: 3,
            text: "sqrt(x) = sqrt(|x|)",
        }]),
    OpSpec::new("square", 1, rules::unary_numeric, k_square)
        .elementwise()
        .tensor(tensor_unary!(|a| a.square()))
        .algebra(Algebra {
            nonnegative: true,
            even: true,
            ..Algebra::NONE
        })
        .latex(Latex::Template("@0!^{2}", Prec::Atom))
        .array(Code::template("{0} ** 2"))
        .pytorch(Code::template("{0} ** 2"))
        .burn(Code::template("{0}.square()"))
        .named(NameRule::Custom(name_square)),
    OpSpec::new("multiply_tenth", 1, rules::unary_numeric, k_multiply_tenth)
        .elementwise()
        .tensor(tensor_unary!(|a| a.mul_scalar(0.1)))
        .latex(Latex::Template(r"0.1 \cdot @0*", Prec::Product))
        .array(Code::template("0.1 * {0}"))
        .pytorch(Code::template("0.1 * {0}"))
        .burn(Code::template("{0}.mul_scalar(0.1)"))
        .named(NameRule::Fixed("tenth")),
    OpSpec::new(
        "add_gaussian_noise",
        1,
        rules::unary_numeric,
        k_add_gaussian_noise,
    )
    .stochastic()
    .tensor(tensor_unary!(|a| {
        let noise = Tensor::random(a.shape(), Distribution::Normal(0.0, NOISE_STD), &a.device());
        a + noise
    }))
    .latex(Latex::Template(
        r"@0 + \mathcal{N}\left(0, 0.1^{2}\right)",
        Prec::Sum,
    ))
    .array(Code::template(
        "{0} + 0.1 * rng.standard_normal({m}.shape({0}))",
    ))
    .jax(Code::template(
        "{0} + 0.1 * jax.random.normal(jax.random.fold_in(key, {node}), jnp.shape({0}))",
    ))
    .pytorch(Code::template("{0} + 0.1 * torch.randn_like({0})"))
    .burn(
        Code::template("add_gaussian_noise({0})")
            .with_helpers(&[Snippet {
                order: 4,
                text: "/// x + N(0, 0.1^2) noise.
fn add_gaussian_noise<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let noise = Tensor::random(x.shape(), Distribution::Normal(0.0, 0.1), &x.device());
    x + noise
}
",
            }])
            .with_imports(&["Distribution"]),
    )
    .notes(&[Snippet {
        order: 14,
        text: "add_gaussian_noise(x) = x + N(0, 0.1^2)",
    }])
    .named(NameRule::Fixed("noisy")),
];
