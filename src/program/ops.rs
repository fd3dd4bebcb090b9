//! The op registry: every op's name, arity, argument-order sensitivity, type rule and batched
//! f64 kernel.
//!
//! Protected ops follow the conventions of Co-Reyes et al. (ICLR 2021, appendix A), used for every
//! space so that one op means one function everywhere:
//! - `div(x, y) = x / (y + 1e-10)`
//! - `log(x) = ln(|x| + 1e-12)`
//! - `sqrt(x) = √|x|`
//! - `exp(x) = e^min(x, 80)` (clipped so that f32 back ends stay finite)
//!
//! Optimizer ops (Chen et al., 2023, §2): `sign` (0 at 0), `arctan`, `pow(x, y) = |x|^y`,
//! `clip(x, c) = min(max(x, −|c|), |c|)`, `interpolate(x, y, w) = (1 − w)·x + w·y`,
//! `norm(x) = ‖x‖₂` over the whole `[N]` column (broadcast back, like `mean_batch`), and
//! `update_rule(update, m', v')`, which packs an optimizer step (see [`DType::Update`]).
//!
//! Binary arithmetic broadcasts: a `Const` against anything, a `Float` column `[B]` against a
//! `List` `[B, A]` (per row). The result of an op on a `Prob` is a `List`.

use super::dtype::DType;
use super::qnetwork::QNetworkF64;
use super::value::Value;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Smallest denominator shift of protected division.
pub const DIV_EPS: f64 = 1e-10;
/// Shift inside protected log.
pub const LOG_EPS: f64 = 1e-12;
/// Upper clip of `exp`'s argument.
pub const EXP_CLIP: f64 = 80.0;
/// Standard deviation of `add_gaussian_noise`.
pub const NOISE_STD: f64 = 0.1;

/// Context the kernels may need beyond their arguments.
pub struct KernelContext<'a> {
    /// Q-networks referenced by `Param` values (by index).
    pub networks: &'a [QNetworkF64],
    /// Source of randomness for stochastic ops; reset per program by the caller.
    pub rng: &'a mut ChaCha8Rng,
}

/// A batched CPU kernel: reads `args`, writes `out` (resizing it; allocations are reused).
pub type Kernel = fn(&[&Value], &mut Value, &mut KernelContext<'_>);

/// A type rule: argument types → result type, or `None` when the op does not apply.
pub type TypeRule = fn(&[DType]) -> Option<DType>;

/// One op of the registry.
pub struct OpSpec {
    /// Name used in files (`add`, `select_list`, …).
    pub name: &'static str,
    /// Number of arguments.
    pub arity: usize,
    /// Whether swapping arguments can change the result (`sub`, `div`, `select_list`, …).
    pub ordered: bool,
    /// The type rule.
    pub type_rule: TypeRule,
    /// The batched f64 kernel.
    pub kernel: Kernel,
    /// Infix/function notation used by the printer: `"+"` for binary infix ops, else the name.
    pub symbol: &'static str,
    /// Takes any number of arguments (`arity` is then nominal): the NAS-Bench-101 cell ops sum
    /// their inputs.
    pub variadic: bool,
}

/// Index of an op in [`REGISTRY`]; serialized as the op's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId(pub u16);

impl OpId {
    /// The op's specification.
    pub fn spec(self) -> &'static OpSpec {
        &REGISTRY[self.0 as usize]
    }

    /// The op's name.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Look an op up by name.
    pub fn by_name(name: &str) -> Option<OpId> {
        REGISTRY
            .iter()
            .position(|s| s.name == name)
            .map(|i| OpId(i as u16))
    }

    /// The `const` op (a literal held in the node's `value`).
    pub fn constant() -> OpId {
        OpId::by_name("const").expect("const op registered")
    }

    /// Whether this is the `const` op.
    pub fn is_const(self) -> bool {
        self.name() == "const"
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for OpId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for OpId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        OpId::by_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown op `{name}` (known ops: {})",
                op_names().join(", ")
            ))
        })
    }
}

/// Names of all registered ops.
pub fn op_names() -> Vec<&'static str> {
    REGISTRY.iter().map(|s| s.name).collect()
}

// ---------------------------------------------------------------------------------------------
// Type rules

fn is_wide(t: DType) -> bool {
    matches!(t, DType::List | DType::Prob)
}

fn rule_unary_numeric(a: &[DType]) -> Option<DType> {
    match a[0] {
        DType::Prob => Some(DType::List),
        t if t.is_numeric() => Some(t),
        _ => None,
    }
}

fn rule_binary_numeric(a: &[DType]) -> Option<DType> {
    let (x, y) = (a[0], a[1]);
    if !x.is_numeric() || !y.is_numeric() {
        return None;
    }
    Some(if is_wide(x) || is_wide(y) {
        DType::List
    } else if x == DType::Float || y == DType::Float {
        DType::Float
    } else {
        DType::Const
    })
}

fn rule_list_to_float(a: &[DType]) -> Option<DType> {
    is_wide(a[0]).then_some(DType::Float)
}

fn rule_list_to_action(a: &[DType]) -> Option<DType> {
    is_wide(a[0]).then_some(DType::Action)
}

fn rule_list_to_prob(a: &[DType]) -> Option<DType> {
    is_wide(a[0]).then_some(DType::Prob)
}

fn rule_prob_to_float(a: &[DType]) -> Option<DType> {
    (a[0] == DType::Prob).then_some(DType::Float)
}

fn rule_prob_prob_to_float(a: &[DType]) -> Option<DType> {
    (a[0] == DType::Prob && a[1] == DType::Prob).then_some(DType::Float)
}

fn rule_list_list_to_float(a: &[DType]) -> Option<DType> {
    (is_wide(a[0]) && is_wide(a[1])).then_some(DType::Float)
}

fn rule_select(a: &[DType]) -> Option<DType> {
    (is_wide(a[0]) && a[1] == DType::Action).then_some(DType::Float)
}

fn rule_qvalues(a: &[DType]) -> Option<DType> {
    (a[0] == DType::Param && a[1] == DType::State).then_some(DType::List)
}

fn rule_float_to_float(a: &[DType]) -> Option<DType> {
    (a[0] == DType::Float).then_some(DType::Float)
}

fn rule_interpolate(a: &[DType]) -> Option<DType> {
    a.iter()
        .all(|t| matches!(t, DType::Float | DType::Const))
        .then(|| {
            if a.contains(&DType::Float) {
                DType::Float
            } else {
                DType::Const
            }
        })
}

fn rule_update(a: &[DType]) -> Option<DType> {
    a.iter()
        .all(|t| matches!(t, DType::Float | DType::Const))
        .then_some(DType::Update)
}

fn rule_feature_maps(a: &[DType]) -> Option<DType> {
    a.iter()
        .all(|t| *t == DType::FeatureMap)
        .then_some(DType::FeatureMap)
}

fn rule_features(a: &[DType]) -> Option<DType> {
    a.iter()
        .all(|t| *t == DType::Features)
        .then_some(DType::Features)
}

/// The output of a cell: one or more inputs of the same cell type.
fn rule_cell_output(a: &[DType]) -> Option<DType> {
    let first = *a.first()?;
    (matches!(first, DType::FeatureMap | DType::Features) && a.iter().all(|t| *t == first))
        .then_some(first)
}

fn rule_const(_: &[DType]) -> Option<DType> {
    Some(DType::Const)
}

// ---------------------------------------------------------------------------------------------
// Kernels

/// Applies `f` elementwise with broadcasting; the same-shape and scalar cases are tight loops.
#[inline(always)]
fn binary(args: &[&Value], out: &mut Value, f: impl Fn(f64, f64) -> f64) {
    let (x, y) = (args[0], args[1]);
    let rows = x.rows.max(y.rows);
    let width = x.width.max(y.width);
    out.reshape_for(rows, width);
    if x.rows == y.rows && x.width == y.width {
        for ((o, a), b) in out.data.iter_mut().zip(&x.data).zip(&y.data) {
            *o = f(*a, *b);
        }
    } else if y.is_scalar() {
        let b = y.data[0];
        for (o, a) in out.data.iter_mut().zip(&x.data) {
            *o = f(*a, b);
        }
    } else if x.is_scalar() {
        let a = x.data[0];
        for (o, b) in out.data.iter_mut().zip(&y.data) {
            *o = f(a, *b);
        }
    } else {
        for r in 0..rows {
            for c in 0..width {
                out.data[r * width + c] = f(x.at(r, c), y.at(r, c));
            }
        }
    }
}

#[inline(always)]
fn unary(args: &[&Value], out: &mut Value, f: impl Fn(f64) -> f64) {
    let x = args[0];
    out.reshape_for(x.rows, x.width);
    for (o, a) in out.data.iter_mut().zip(&x.data) {
        *o = f(*a);
    }
}

/// Reduces each row of a `[B, A]` value to one number.
#[inline(always)]
fn per_row(args: &[&Value], out: &mut Value, f: impl Fn(&[f64]) -> f64) {
    let x = args[0];
    out.reshape_for(x.rows, 1);
    for r in 0..x.rows {
        out.data[r] = f(&x.data[r * x.width..(r + 1) * x.width]);
    }
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
fn k_sum_list(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    per_row(a, o, |r| r.iter().sum())
}
fn k_mean_list(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    per_row(a, o, |r| r.iter().sum::<f64>() / r.len() as f64)
}
fn k_max_list(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    per_row(a, o, |r| {
        r.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    })
}
fn k_min_list(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    per_row(a, o, |r| r.iter().copied().fold(f64::INFINITY, f64::min))
}
fn std_of(r: &[f64]) -> f64 {
    let n = r.len() as f64;
    let m = r.iter().sum::<f64>() / n;
    (r.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt()
}
fn k_std_list(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    per_row(a, o, std_of)
}
fn logsumexp(r: &[f64]) -> f64 {
    let m = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    m + r.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}
fn k_logsumexp_list(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    per_row(a, o, logsumexp)
}
fn k_argmax_list(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    // First maximal index, as numpy/torch argmax.
    per_row(a, o, |r| {
        let mut best = 0;
        for (i, v) in r.iter().enumerate() {
            if *v > r[best] {
                best = i;
            }
        }
        best as f64
    })
}
fn k_softmax(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    let x = a[0];
    o.reshape_for(x.rows, x.width);
    for r in 0..x.rows {
        let row = &x.data[r * x.width..(r + 1) * x.width];
        let lse = logsumexp(row);
        for (c, v) in row.iter().enumerate() {
            o.data[r * x.width + c] = (v - lse).exp();
        }
    }
}
fn k_entropy(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    per_row(a, o, |r| {
        -r.iter().map(|p| p * (p + LOG_EPS).ln()).sum::<f64>()
    })
}
fn k_kl_div(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    let (p, q) = (a[0], a[1]);
    o.reshape_for(p.rows, 1);
    for r in 0..p.rows {
        let mut s = 0.0;
        for c in 0..p.width {
            let (pv, qv) = (p.at(r, c), q.at(r, c));
            s += pv * ((pv + LOG_EPS).ln() - (qv + LOG_EPS).ln());
        }
        o.data[r] = s;
    }
}
fn k_dot_product(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    let (x, y) = (a[0], a[1]);
    let rows = x.rows.max(y.rows);
    let width = x.width.max(y.width);
    o.reshape_for(rows, 1);
    for r in 0..rows {
        o.data[r] = (0..width).map(|c| x.at(r, c) * y.at(r, c)).sum();
    }
}
fn k_select_list(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    let (x, act) = (a[0], a[1]);
    let rows = x.rows.max(act.rows);
    o.reshape_for(rows, 1);
    for r in 0..rows {
        let i = (act.at(r, 0).max(0.0) as usize).min(x.width - 1);
        o.data[r] = x.at(r, i);
    }
}
fn k_qvalue_list(a: &[&Value], o: &mut Value, ctx: &mut KernelContext<'_>) {
    let (param, states) = (a[0], a[1]);
    let net = &ctx.networks[param.data[0] as usize];
    let q = net.forward(&states.data, states.rows);
    o.rows = states.rows;
    o.width = net.num_outputs();
    o.data = q;
}
fn k_mean_batch(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    let x = a[0];
    let m = x.data.iter().sum::<f64>() / x.data.len() as f64;
    o.reshape_for(x.rows, 1);
    o.data.fill(m);
}
fn k_std_batch(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    let x = a[0];
    let s = std_of(&x.data);
    o.reshape_for(x.rows, 1);
    o.data.fill(s);
}
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
/// Cell ops are layers with weights: they run in a burn network built from the cell
/// (`domains::architecture`), not on the f64 path, which yields NaN for them.
fn k_network_only(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    let rows = a.iter().map(|v| v.rows).max().unwrap_or(1);
    o.reshape_for(rows, 1);
    o.data.fill(f64::NAN);
}
fn k_const(_: &[&Value], _: &mut Value, _: &mut KernelContext<'_>) {
    // Constants are written by the interpreter from the node's value.
}

macro_rules! op {
    ($name:literal, $arity:literal, $ordered:literal, $rule:ident, $kernel:ident, $sym:literal) => {
        OpSpec {
            name: $name,
            arity: $arity,
            ordered: $ordered,
            type_rule: $rule,
            kernel: $kernel,
            symbol: $sym,
            variadic: false,
        }
    };
}

/// A NAS-Bench-101 cell op: sums any number of inputs of one type, then applies its layer.
macro_rules! cell_op {
    ($name:literal, $rule:ident) => {
        OpSpec {
            name: $name,
            arity: 1,
            ordered: false,
            type_rule: $rule,
            kernel: k_network_only,
            symbol: $name,
            variadic: true,
        }
    };
}

/// Every op gevo knows. A search space selects a subset by name.
pub static REGISTRY: &[OpSpec] = &[
    op!("const", 0, false, rule_const, k_const, "const"),
    op!("add", 2, false, rule_binary_numeric, k_add, "+"),
    op!("sub", 2, true, rule_binary_numeric, k_sub, "-"),
    op!("mul", 2, false, rule_binary_numeric, k_mul, "*"),
    op!("div", 2, true, rule_binary_numeric, k_div, "/"),
    op!("max", 2, false, rule_binary_numeric, k_max, "max"),
    op!("min", 2, false, rule_binary_numeric, k_min, "min"),
    op!(
        "l2_distance",
        2,
        false,
        rule_binary_numeric,
        k_l2_distance,
        "l2_distance"
    ),
    op!("neg", 1, false, rule_unary_numeric, k_neg, "neg"),
    op!("abs", 1, false, rule_unary_numeric, k_abs, "abs"),
    op!("sin", 1, false, rule_unary_numeric, k_sin, "sin"),
    op!("cos", 1, false, rule_unary_numeric, k_cos, "cos"),
    op!("tanh", 1, false, rule_unary_numeric, k_tanh, "tanh"),
    op!("exp", 1, false, rule_unary_numeric, k_exp, "exp"),
    op!("log", 1, false, rule_unary_numeric, k_log, "log"),
    op!("sqrt", 1, false, rule_unary_numeric, k_sqrt, "sqrt"),
    op!("square", 1, false, rule_unary_numeric, k_square, "square"),
    op!(
        "multiply_tenth",
        1,
        false,
        rule_unary_numeric,
        k_multiply_tenth,
        "multiply_tenth"
    ),
    op!(
        "add_gaussian_noise",
        1,
        false,
        rule_unary_numeric,
        k_add_gaussian_noise,
        "add_gaussian_noise"
    ),
    op!(
        "sum_list",
        1,
        false,
        rule_list_to_float,
        k_sum_list,
        "sum_list"
    ),
    op!(
        "mean_list",
        1,
        false,
        rule_list_to_float,
        k_mean_list,
        "mean_list"
    ),
    op!(
        "max_list",
        1,
        false,
        rule_list_to_float,
        k_max_list,
        "max_list"
    ),
    op!(
        "min_list",
        1,
        false,
        rule_list_to_float,
        k_min_list,
        "min_list"
    ),
    op!(
        "std_list",
        1,
        false,
        rule_list_to_float,
        k_std_list,
        "std_list"
    ),
    op!(
        "logsumexp_list",
        1,
        false,
        rule_list_to_float,
        k_logsumexp_list,
        "logsumexp_list"
    ),
    op!(
        "argmax_list",
        1,
        false,
        rule_list_to_action,
        k_argmax_list,
        "argmax_list"
    ),
    op!("softmax", 1, false, rule_list_to_prob, k_softmax, "softmax"),
    op!(
        "entropy",
        1,
        false,
        rule_prob_to_float,
        k_entropy,
        "entropy"
    ),
    op!(
        "kl_div",
        2,
        true,
        rule_prob_prob_to_float,
        k_kl_div,
        "kl_div"
    ),
    op!(
        "dot_product",
        2,
        false,
        rule_list_list_to_float,
        k_dot_product,
        "dot_product"
    ),
    op!(
        "select_list",
        2,
        true,
        rule_select,
        k_select_list,
        "select_list"
    ),
    op!(
        "qvalue_list",
        2,
        true,
        rule_qvalues,
        k_qvalue_list,
        "qvalue_list"
    ),
    op!(
        "mean_batch",
        1,
        false,
        rule_float_to_float,
        k_mean_batch,
        "mean_batch"
    ),
    op!(
        "std_batch",
        1,
        false,
        rule_float_to_float,
        k_std_batch,
        "std_batch"
    ),
    // Optimizer ops (Chen et al., "Symbolic Discovery of Optimization Algorithms", 2023, §2).
    op!("sign", 1, false, rule_unary_numeric, k_sign, "sign"),
    op!("arctan", 1, false, rule_unary_numeric, k_arctan, "arctan"),
    op!("pow", 2, true, rule_binary_numeric, k_pow, "pow"),
    op!("clip", 2, true, rule_binary_numeric, k_clip, "clip"),
    op!(
        "interpolate",
        3,
        true,
        rule_interpolate,
        k_interpolate,
        "interpolate"
    ),
    op!("norm", 1, false, rule_float_to_float, k_norm, "norm"),
    op!(
        "update_rule",
        3,
        true,
        rule_update,
        k_update_rule,
        "update_rule"
    ),
    // NAS-Bench-101 cell ops (Ying et al., ICML 2019, §2.1): each sums its inputs first.
    cell_op!("conv3x3_bn_relu", rule_feature_maps),
    cell_op!("conv1x1_bn_relu", rule_feature_maps),
    cell_op!("maxpool3x3", rule_feature_maps),
    cell_op!("cell_output", rule_cell_output),
    // Cell ops for tabular inputs (`features` [B, C]): dense layers at constant width.
    cell_op!("dense_relu", rule_features),
    cell_op!("dense", rule_features),
    cell_op!("relu", rule_features),
];

/// Draws `N(0, 1)` by the Box–Muller transform.
pub fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_roundtrip() {
        let names = op_names();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(OpId::by_name(n), Some(OpId(i as u16)));
        }
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
    }

    #[test]
    fn type_rules_broadcast() {
        use DType::*;
        assert_eq!(rule_binary_numeric(&[Float, List]), Some(List));
        assert_eq!(rule_binary_numeric(&[Const, Float]), Some(Float));
        assert_eq!(rule_binary_numeric(&[Const, Const]), Some(Const));
        assert_eq!(rule_binary_numeric(&[Action, Float]), None);
        assert_eq!(rule_select(&[List, Action]), Some(Float));
        assert_eq!(rule_select(&[Action, List]), None);
        assert_eq!(rule_qvalues(&[Param, State]), Some(List));
    }

    #[test]
    fn protected_ops_are_finite() {
        let mut rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
        let mut ctx = KernelContext {
            networks: &[],
            rng: &mut rng,
        };
        let zero = Value::column(vec![0.0, -0.0]);
        let one = Value::column(vec![1.0, 1.0]);
        let mut out = Value::default();
        k_div(&[&one, &zero], &mut out, &mut ctx);
        assert!(out.data.iter().all(|v| v.is_finite()));
        k_log(&[&zero], &mut out, &mut ctx);
        assert!(out.data.iter().all(|v| v.is_finite()));
        k_exp(&[&Value::scalar(1e6)], &mut out, &mut ctx);
        assert!(out.data[0].is_finite());
    }

    #[test]
    fn broadcasting_float_against_list() {
        let mut rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
        let mut ctx = KernelContext {
            networks: &[],
            rng: &mut rng,
        };
        let col = Value::column(vec![1.0, 2.0]);
        let list = Value::matrix(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3);
        let mut out = Value::default();
        k_mul(&[&col, &list], &mut out, &mut ctx);
        assert_eq!(out.data, vec![1.0, 2.0, 3.0, 8.0, 10.0, 12.0]);
        k_select_list(&[&list, &Value::column(vec![2.0, 0.0])], &mut out, &mut ctx);
        assert_eq!(out.data, vec![3.0, 4.0]);
    }
}
