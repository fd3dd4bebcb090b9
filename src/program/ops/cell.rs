//! NAS-Bench-101 cell ops (Ying et al., ICML 2019, §2.1): each node sums its inputs, then applies
//! its layer. They are layers with weights, run in a burn network built from the cell
//! (`domains::architecture`); exported as graphs (DOT, JSON) and as a LaTeX formula.

use super::lowering::{Latex, Prec};
use super::rules;
use super::{KernelContext, OpSpec};
use crate::program::value::Value;

/// Cell ops are not computed on the f64 path, which yields NaN for them.
fn k_network_only(a: &[&Value], o: &mut Value, _: &mut KernelContext<'_>) {
    let rows = a.iter().map(|v| v.rows).max().unwrap_or(1);
    o.reshape_for(rows, 1);
    o.data.fill(f64::NAN);
}

/// A cell op: sums any number of inputs of one type, then applies its layer (`latex` names it).
const fn cell_op(name: &'static str, rule: super::TypeRule, latex: &'static str) -> OpSpec {
    OpSpec::new(name, 1, rule, k_network_only)
        .variadic()
        .latex(Latex::Template(latex, Prec::Atom))
}

pub(super) const OPS: [OpSpec; 7] = [
    cell_op(
        "conv3x3_bn_relu",
        rules::feature_maps,
        r"\operatorname{conv3x3}\left(@+\right)",
    ),
    cell_op(
        "conv1x1_bn_relu",
        rules::feature_maps,
        r"\operatorname{conv1x1}\left(@+\right)",
    ),
    cell_op(
        "maxpool3x3",
        rules::feature_maps,
        r"\operatorname{maxpool3x3}\left(@+\right)",
    ),
    // The output node only sums.
    OpSpec::new("cell_output", 1, rules::cell_output, k_network_only)
        .variadic()
        .latex(Latex::Template("@+", Prec::Sum)),
    // Cell ops for tabular inputs (`features` [B, C]): dense layers at constant width.
    cell_op(
        "dense_relu",
        rules::features,
        r"\operatorname{dense\_relu}\left(@+\right)",
    ),
    cell_op(
        "dense",
        rules::features,
        r"\operatorname{dense}\left(@+\right)",
    ),
    cell_op(
        "relu",
        rules::features,
        r"\operatorname{relu}\left(@+\right)",
    ),
];
