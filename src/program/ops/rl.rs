//! Ops over Q-value tables, distributions and batches: the RL-loss spaces' list reductions,
//! `softmax`/`entropy`/`kl_div`, `select_list`, `qvalue_list` (a Q-network applied to states)
//! and batch statistics (Co-Reyes et al., ICLR 2021, appendix A).

use super::lowering::{Code, Latex, NameArgs, NameRule, Prec, Snippet, Tex};
use super::rules::{self, logsumexp, per_row, std_of};
use super::tensor::{self, Pair, TensorContext, TensorValue, as_pair, float, list};
use super::{KernelContext, LOG_EPS, OpSpec};
use crate::program::value::Value;
use burn::tensor::Tensor;
use burn::tensor::activation::softmax;

/// The inputs of an RL loss program, in the paper's order: Q-network θ, a_t, s_t, target
/// network θ', s_{t+1}, r_t, γ·(1 − done) (Co-Reyes et al., ICLR 2021, §3.1). `qvalue_list`
/// reads the `Param` and `State` ones; the exporters turn them into a DQN batch.
pub const LOSS_INPUTS: [&str; 7] = [
    "q_param",
    "action",
    "s_tm1",
    "q_targ_param",
    "s_t",
    "reward",
    "discount",
];

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
fn k_std_list(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    per_row(a, o, std_of)
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
    let f = ctx.functions[param.data[0] as usize];
    let q = f.apply(&states.data, states.rows);
    o.rows = states.rows;
    o.width = f.outputs();
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

fn t_sum_list(a: &[TensorValue], _: &mut TensorContext<'_>) -> TensorValue {
    tensor::per_row(list(&a[0]).sum_dim(1))
}
fn t_mean_list(a: &[TensorValue], _: &mut TensorContext<'_>) -> TensorValue {
    tensor::per_row(list(&a[0]).mean_dim(1))
}
fn t_max_list(a: &[TensorValue], _: &mut TensorContext<'_>) -> TensorValue {
    tensor::per_row(list(&a[0]).max_dim(1))
}
fn t_min_list(a: &[TensorValue], _: &mut TensorContext<'_>) -> TensorValue {
    tensor::per_row(list(&a[0]).min_dim(1))
}
fn t_std_list(a: &[TensorValue], _: &mut TensorContext<'_>) -> TensorValue {
    let t = list(&a[0]);
    let m = t.clone().mean_dim(1);
    tensor::per_row((t - m).square().mean_dim(1).sqrt())
}
fn t_logsumexp_list(a: &[TensorValue], _: &mut TensorContext<'_>) -> TensorValue {
    let t = list(&a[0]);
    let m = t.clone().max_dim(1).detach();
    tensor::per_row((t - m.clone()).exp().sum_dim(1).log() + m)
}
fn t_argmax_list(a: &[TensorValue], _: &mut TensorContext<'_>) -> TensorValue {
    TensorValue::Action(list(&a[0]).argmax(1).squeeze_dim::<1>(1))
}
fn t_softmax(a: &[TensorValue], _: &mut TensorContext<'_>) -> TensorValue {
    TensorValue::List(softmax(list(&a[0]), 1))
}
fn t_entropy(a: &[TensorValue], _: &mut TensorContext<'_>) -> TensorValue {
    let pr = list(&a[0]);
    tensor::per_row((pr.clone() * pr.add_scalar(LOG_EPS).log()).sum_dim(1).neg())
}
fn t_kl_div(a: &[TensorValue], _: &mut TensorContext<'_>) -> TensorValue {
    let (pr, q) = (list(&a[0]), list(&a[1]));
    tensor::per_row(
        (pr.clone() * (pr.add_scalar(LOG_EPS).log() - q.add_scalar(LOG_EPS).log())).sum_dim(1),
    )
}
fn t_dot_product(a: &[TensorValue], _: &mut TensorContext<'_>) -> TensorValue {
    match as_pair(&a[0], &a[1]) {
        Pair::L(x, y) => tensor::per_row((x * y).sum_dim(1)),
        Pair::F(x, y) => TensorValue::Float(x * y),
    }
}
fn t_select_list(a: &[TensorValue], _: &mut TensorContext<'_>) -> TensorValue {
    let t = list(&a[0]);
    let TensorValue::Action(act) = a[1].clone() else {
        unreachable!("type rules admit only actions here")
    };
    tensor::per_row(t.gather(1, act.unsqueeze_dim::<2>(1)))
}
fn t_qvalue_list(a: &[TensorValue], ctx: &mut TensorContext<'_>) -> TensorValue {
    let (TensorValue::Param(handle), TensorValue::State { rows, input }) = (&a[0], &a[1]) else {
        unreachable!("type rules admit only (param, state) here")
    };
    TensorValue::List(ctx.functions.apply(*handle, *input, rows.clone()))
}
fn t_mean_batch(a: &[TensorValue], ctx: &mut TensorContext<'_>) -> TensorValue {
    let t: Tensor<1> = float(&a[0]);
    TensorValue::Float(t.mean().expand([ctx.batch]))
}
fn t_std_batch(a: &[TensorValue], ctx: &mut TensorContext<'_>) -> TensorValue {
    let t = float(&a[0]);
    let m = t.clone().mean();
    TensorValue::Float(
        (t - m.expand([ctx.batch]))
            .square()
            .mean()
            .sqrt()
            .expand([ctx.batch]),
    )
}

/// `Q(s, ·)`: a table whose action slot a later `select_list` or reduction fills.
fn latex_qvalues(a: &[Tex]) -> Tex {
    Tex {
        text: format!(r"{}({}, \cdot)", a[0].text, a[1].text),
        prec: Prec::Atom,
        slot: true,
    }
}

/// `Q(s_t, ·)[a_t]` reads as the Q-value of the action taken.
fn name_select(a: &NameArgs<'_>) -> String {
    if a.name(1) == "actions" && a.is_table(0) {
        format!("{}_taken", a.noun(0))
    } else {
        a.with("selected", 0, "selected")
    }
}

const LOGSUMEXP_ROWS: Snippet = Snippet {
    order: 0,
    text: "def logsumexp_rows(x):
    \"\"\"log(sum(exp(x))) of each row, shifted by the row maximum for stability.\"\"\"
    top = {m}.max(x, axis=1)
    return top + {m}.log({m}.sum({m}.exp(x - top[:, None]), axis=1))
",
};

const SOFTMAX_ROWS: Snippet = Snippet {
    order: 1,
    text: "def softmax_rows(x):
    \"\"\"exp(x - logsumexp(x)) of each row.\"\"\"
    return {m}.exp(x - logsumexp_rows(x)[:, None])
",
};

const STD_NOTE: Snippet = Snippet {
    order: 6,
    text: "std is the population standard deviation (divides by n)",
};
const LN_NOTE: Snippet = Snippet {
    order: 4,
    text: "entropy and kl_div take ln(p + 1e-12) of probabilities",
};
const BROADCAST_NOTE: Snippet = Snippet {
    order: 7,
    text: "mean_batch/std_batch broadcast the batch statistic to every row",
};

/// Reduction over the actions of each row.
const fn over_actions(
    name: &'static str,
    kernel: super::Kernel,
    tensor: super::tensor::TensorKernel,
    latex: &'static str,
    array: &'static str,
    pytorch: &'static str,
    burn: &'static str,
) -> OpSpec {
    OpSpec::new(name, 1, rules::list_to_float, kernel)
        .tensor(tensor)
        .latex(Latex::Template(latex, Prec::Product))
        .array(Code::template(array))
        .pytorch(Code::template(pytorch))
        .burn(Code::template(burn))
}

pub(super) const OPS: [OpSpec; 15] = [
    over_actions(
        "sum_list",
        k_sum_list,
        t_sum_list,
        r"\sum_{a} @0[a]",
        "{m}.sum({0}, axis=1)",
        "torch.sum({0}, dim=1)",
        "{0}.sum_dim(1).squeeze_dim::<1>(1)",
    )
    .named(NameRule::Prefixed("sum", "row_sum")),
    over_actions(
        "mean_list",
        k_mean_list,
        t_mean_list,
        r"\operatorname{mean}_{a} @0[a]",
        "{m}.mean({0}, axis=1)",
        "torch.mean({0}, dim=1)",
        "{0}.mean_dim(1).squeeze_dim::<1>(1)",
    )
    .named(NameRule::Prefixed("mean", "row_mean")),
    over_actions(
        "max_list",
        k_max_list,
        t_max_list,
        r"\max_{a} @0[a]",
        "{m}.max({0}, axis=1)",
        "torch.amax({0}, dim=1)",
        "{0}.max_dim(1).squeeze_dim::<1>(1)",
    )
    .named(NameRule::Prefixed("max", "row_max")),
    over_actions(
        "min_list",
        k_min_list,
        t_min_list,
        r"\min_{a} @0[a]",
        "{m}.min({0}, axis=1)",
        "torch.amin({0}, dim=1)",
        "{0}.min_dim(1).squeeze_dim::<1>(1)",
    )
    .named(NameRule::Prefixed("min", "row_min")),
    over_actions(
        "std_list",
        k_std_list,
        t_std_list,
        r"\operatorname{std}_{a} @0[a]",
        "{m}.std({0}, axis=1)",
        "torch.std({0}, dim=1, correction=0)",
        "std_rows({0})",
    )
    .burn(Code::template("std_rows({0})").with_helpers(&[Snippet {
        order: 1,
        text: "/// Population standard deviation of each row.
fn std_rows(x: Tensor<2>) -> Tensor<1> {
    let mean = x.clone().mean_dim(1);
    (x - mean).square().mean_dim(1).sqrt().squeeze_dim::<1>(1)
}
",
    }]))
    .notes(&[STD_NOTE])
    .named(NameRule::Prefixed("std", "row_std")),
    over_actions(
        "logsumexp_list",
        k_logsumexp_list,
        t_logsumexp_list,
        r"\log \sum_{a} \exp @0[a]",
        "logsumexp_rows({0})",
        "torch.logsumexp({0}, dim=1)",
        "logsumexp_rows({0})",
    )
    .array(Code::template("logsumexp_rows({0})").with_helpers(&[LOGSUMEXP_ROWS]))
    .jax(Code::template("jax.nn.logsumexp({0}, axis=1)"))
    .burn(
        Code::template("logsumexp_rows({0})").with_helpers(&[Snippet {
            order: 0,
            text: "/// log(sum(exp(x))) of each row, shifted by the row maximum for stability.
fn logsumexp_rows(x: Tensor<2>) -> Tensor<1> {
    let top = x.clone().max_dim(1);
    ((x - top.clone()).exp().sum_dim(1).log() + top).squeeze_dim::<1>(1)
}
",
        }]),
    )
    .named(NameRule::Prefixed("logsumexp", "row_logsumexp")),
    OpSpec::new("argmax_list", 1, rules::list_to_action, k_argmax_list)
        .tensor(t_argmax_list)
        .latex(Latex::Template(
            r"\operatorname*{arg\,max}_{a} @0[a]",
            Prec::Product,
        ))
        .array(Code::template("{m}.argmax({0}, axis=1)"))
        .pytorch(Code::template("torch.argmax({0}, dim=1)"))
        .burn(Code::template("{0}.argmax(1).squeeze_dim::<1>(1)"))
        .notes(&[Snippet {
            order: 8,
            text: "argmax takes the first maximal action",
        }])
        .named(NameRule::Prefixed("greedy", "greedy_actions")),
    OpSpec::new("softmax", 1, rules::list_to_prob, k_softmax)
        .tensor(t_softmax)
        .latex(Latex::Template(
            r"\operatorname{softmax}\left(@0\right)",
            Prec::Atom,
        ))
        .array(Code::template("softmax_rows({0})").with_helpers(&[LOGSUMEXP_ROWS, SOFTMAX_ROWS]))
        .jax(Code::template("jax.nn.softmax({0}, axis=1)"))
        .pytorch(Code::template("torch.softmax({0}, dim=1)"))
        .burn(Code::template("softmax({0}, 1)").with_imports(&["activation::softmax"]))
        .named(NameRule::Prefixed("softmax", "probs")),
    OpSpec::new("entropy", 1, rules::prob_to_float, k_entropy)
        .tensor(t_entropy)
        .latex(Latex::Template(r"\mathrm{H}\left(@0\right)", Prec::Atom))
        .array(Code::template(
            "-{m}.sum({0} * {m}.log({0} + 1e-12), axis=1)",
        ))
        .pytorch(Code::template(
            "-torch.sum({0} * torch.log({0} + 1e-12), dim=1)",
        ))
        .burn(Code::template("entropy_rows({0})").with_helpers(&[Snippet {
            order: 2,
            text: "/// -sum(p * ln(p + 1e-12)) of each row.
fn entropy_rows(p: Tensor<2>) -> Tensor<1> {
    (p.clone() * p.add_scalar(1e-12).log()).sum_dim(1).neg().squeeze_dim::<1>(1)
}
",
        }]))
        .notes(&[LN_NOTE]),
    OpSpec::new("kl_div", 2, rules::prob_prob_to_float, k_kl_div)
        .ordered()
        .tensor(t_kl_div)
        .latex(Latex::Template(
            r"\mathrm{KL}\left(@0 \,\middle\|\, @1\right)",
            Prec::Atom,
        ))
        .array(Code::template(
            "{m}.sum({0} * ({m}.log({0} + 1e-12) - {m}.log({1} + 1e-12)), axis=1)",
        ))
        .pytorch(Code::template(
            "torch.sum({0} * (torch.log({0} + 1e-12) - torch.log({1} + 1e-12)), dim=1)",
        ))
        .burn(
            Code::template("kl_div_rows({0}, {1})").with_helpers(&[Snippet {
                order: 3,
                text: "/// sum(p * (ln(p + 1e-12) - ln(q + 1e-12))) of each row.
fn kl_div_rows(p: Tensor<2>, q: Tensor<2>) -> Tensor<1> {
    let log_ratio = p.clone().add_scalar(1e-12).log() - q.add_scalar(1e-12).log();
    (p * log_ratio).sum_dim(1).squeeze_dim::<1>(1)
}
",
            }]),
        )
        .notes(&[LN_NOTE])
        .named(NameRule::Fixed("kl")),
    OpSpec::new("dot_product", 2, rules::list_list_to_float, k_dot_product)
        .tensor(t_dot_product)
        .latex(Latex::Template(
            r"\left\langle @0, @1 \right\rangle",
            Prec::Atom,
        ))
        .array(Code::template("{m}.sum({0} * {1}, axis=1)"))
        .pytorch(Code::template("torch.sum({0} * {1}, dim=1)"))
        .burn(Code::template("({0} * {1}).sum_dim(1).squeeze_dim::<1>(1)"))
        .named(NameRule::Fixed("dot")),
    OpSpec::new("select_list", 2, rules::select, k_select_list)
        .ordered()
        .tensor(t_select_list)
        .latex(Latex::Template("@0[@1]", Prec::Atom))
        .array(Code::template(
            "{m}.take_along_axis({0}, {1}[:, None], axis=1)[:, 0]",
        ))
        .pytorch(Code::template(
            "{0}.gather(1, {1}.long().unsqueeze(1)).squeeze(1)",
        ))
        .burn(Code::template(
            "{0}.gather(1, {1}.unsqueeze_dim::<2>(1)).squeeze_dim::<1>(1)",
        ))
        .named(NameRule::Custom(name_select)),
    OpSpec::new("qvalue_list", 2, rules::qvalues, k_qvalue_list)
        .ordered()
        .tensor(t_qvalue_list)
        .latex(Latex::Custom(latex_qvalues))
        .as_input(),
    OpSpec::new("mean_batch", 1, rules::float_to_float, k_mean_batch)
        .tensor(t_mean_batch)
        .latex(Latex::Template(
            r"\operatorname{mean}_{\mathrm{batch}}\left(@0\right)",
            Prec::Atom,
        ))
        .array(Code::template("{m}.full_like({0}, {m}.mean({0}))"))
        .pytorch(Code::template("torch.mean({0}).expand_as({0})"))
        .burn(Code::template("mean_batch({0})").with_helpers(&[Snippet {
            order: 5,
            text: "/// The batch mean, repeated on every row.
fn mean_batch(x: Tensor<1>) -> Tensor<1> {
    let rows = x.dims()[0];
    x.mean().expand([rows])
}
",
        }]))
        .notes(&[BROADCAST_NOTE])
        .named(NameRule::Fixed("batch_mean")),
    OpSpec::new("std_batch", 1, rules::float_to_float, k_std_batch)
        .tensor(t_std_batch)
        .latex(Latex::Template(
            r"\operatorname{std}_{\mathrm{batch}}\left(@0\right)",
            Prec::Atom,
        ))
        .array(Code::template("{m}.full_like({0}, {m}.std({0}))"))
        .pytorch(Code::template(
            "torch.std({0}, correction=0).expand_as({0})",
        ))
        .burn(Code::template("std_batch({0})").with_helpers(&[Snippet {
            order: 6,
            text: "/// The batch's population standard deviation, repeated on every row.
fn std_batch(x: Tensor<1>) -> Tensor<1> {
    let rows = x.dims()[0];
    let mean = x.clone().mean().expand([rows]);
    (x - mean).square().mean().sqrt().expand([rows])
}
",
        }]))
        .notes(&[STD_NOTE, BROADCAST_NOTE])
        .named(NameRule::Fixed("batch_std")),
];
