//! Ops of the optimizer space (Chen et al., "Symbolic Discovery of Optimization Algorithms",
//! 2023, §2): `sign`, `arctan`, `pow`, `clip`, `interpolate`, the whole-tensor `norm` and
//! `update_rule`, which packs an optimizer step.

use super::lowering::{Code, CodeArgs, Latex, NameRule, Prec, Snippet};
use super::rules::{self, binary, unary};
use super::{KernelContext, OpSpec};
use crate::program::value::Value;

fn k_sign(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    // sign(0) = 0, as numpy/torch (Rust's signum gives ±1 at ±0).
    unary(a, o, |x| if x == 0.0 { 0.0 } else { x.signum() })
}
fn k_arctan(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    unary(a, o, f64::atan)
}
fn k_pow(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    binary(a, o, |x, y| x.abs().powf(y))
}
fn k_clip(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    binary(a, o, |x, c| x.min(c.abs()).max(-c.abs()))
}
fn k_interpolate(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    let (x, y, w) = (a[0], a[1], a[2]);
    let rows = x.rows.max(y.rows).max(w.rows);
    o.reshape_for(rows, 1);
    for r in 0..rows {
        let t = w.at(r, 0);
        o.data[r] = (1.0 - t) * x.at(r, 0) + t * y.at(r, 0);
    }
}
fn k_norm(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    let x = a[0];
    let n = x.data.iter().map(|v| v * v).sum::<f64>().sqrt();
    o.reshape_for(x.rows, 1);
    o.data.fill(n);
}
fn k_update_rule(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    let rows = a.iter().map(|v| v.rows).max().unwrap_or(1);
    o.reshape_for(rows, 3);
    for r in 0..rows {
        for (k, v) in a.iter().enumerate() {
            o.data[r * 3 + k] = v.at(r, 0);
        }
    }
}

/// A literal bound becomes one clamp; a tensor bound needs `maximum`/`minimum`.
fn torch_clip(a: &CodeArgs<'_>) -> String {
    let (x, c) = (a.text(0), a.text(1));
    match a.literal(1) {
        Some(_) => format!("torch.clamp({x}, min=-abs({c}), max=abs({c}))"),
        None => format!("torch.maximum(torch.minimum({x}, abs({c})), -abs({c}))"),
    }
}

pub(super) const OPS: [OpSpec; 7] = [
    OpSpec::new("sign", 1, rules::unary_numeric, k_sign)
        .elementwise()
        .latex(Latex::Template(
            r"\operatorname{sign}\left(@0\right)",
            Prec::Atom,
        ))
        .array(Code::template("{m}.sign({0})"))
        .pytorch(Code::template("torch.sign({0})"))
        .notes(&[Snippet {
            order: 13,
            text: "sign(0) = 0",
        }]),
    OpSpec::new("arctan", 1, rules::unary_numeric, k_arctan)
        .elementwise()
        .latex(Latex::Template(r"\arctan\left(@0\right)", Prec::Atom))
        .array(Code::template("{m}.arctan({0})"))
        .pytorch(Code::template("torch.atan({0})")),
    OpSpec::new("pow", 2, rules::binary_numeric, k_pow)
        .ordered()
        .elementwise()
        .latex(Latex::Template(
            r"\left\lvert @0 \right\rvert^{@1}",
            Prec::Atom,
        ))
        .array(Code::template("abs({0}) ** {1}"))
        .pytorch(Code::template("abs({0}) ** {1}"))
        .notes(&[Snippet {
            order: 9,
            text: "pow(x, y) = |x|^y",
        }])
        .named(NameRule::Prefixed("power", "power")),
    OpSpec::new("clip", 2, rules::binary_numeric, k_clip)
        .ordered()
        .elementwise()
        .latex(Latex::Template(
            r"\operatorname{clip}\left(@0, @1\right)",
            Prec::Atom,
        ))
        .array(Code::template("{m}.clip({0}, -abs({1}), abs({1}))"))
        .pytorch(Code::custom(torch_clip))
        .notes(&[Snippet {
            order: 10,
            text: "clip(x, c) = min(max(x, -|c|), |c|)",
        }]),
    OpSpec::new("interpolate", 3, rules::interpolate, k_interpolate)
        .ordered()
        .elementwise()
        .latex(Latex::Template(
            r"\left(1 - @2\right) \cdot @0* + @2* \cdot @1*",
            Prec::Sum,
        ))
        .array(Code::template("(1.0 - {2}) * {0} + {2} * {1}"))
        .pytorch(Code::template("(1.0 - {2}) * {0} + {2} * {1}"))
        .notes(&[Snippet {
            order: 11,
            text: "interpolate(x, y, w) = (1 - w) * x + w * y",
        }]),
    OpSpec::new("norm", 1, rules::float_to_float, k_norm)
        .latex(Latex::Template(
            r"\left\lVert @0 \right\rVert_{2}",
            Prec::Atom,
        ))
        .array(Code::template(
            "{m}.full_like({0}, {m}.sqrt({m}.sum({0} ** 2)))",
        ))
        .pytorch(Code::template(
            "torch.linalg.vector_norm({0}).expand_as({0})",
        ))
        .notes(&[Snippet {
            order: 12,
            text: "norm(x) = the L2 norm of the whole tensor, broadcast to its shape",
        }]),
    OpSpec::new("update_rule", 3, rules::update, k_update_rule)
        .ordered()
        .latex(Latex::Template(
            r"\begin{aligned} \Delta w &= @0 \\ m' &= @1 \\ v' &= @2 \end{aligned}",
            Prec::Atom,
        ))
        .array(Code::template("({0}, {1}, {2})"))
        .pytorch(Code::template("({0}, {1}, {2})")),
];
