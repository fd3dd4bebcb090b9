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

/// The layer a cell op applies to the sum of its inputs: data the network builder of the
/// architecture domain reads instead of matching op names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellLayer {
    /// conv3×3 → BatchNorm → ReLU.
    Conv3x3,
    /// conv1×1 → BatchNorm → ReLU.
    Conv1x1,
    /// 3×3 max-pool, stride 1, same padding.
    MaxPool3x3,
    /// Linear `C → C` then ReLU (tabular cells).
    DenseRelu,
    /// Linear `C → C` (tabular cells).
    Dense,
    /// ReLU alone (tabular cells).
    Relu,
}

impl CellLayer {
    /// Whether the layer has trainable weights.
    pub fn has_weights(self) -> bool {
        !matches!(self, CellLayer::MaxPool3x3 | CellLayer::Relu)
    }
}

/// A cell op: sums any number of inputs of one type, then applies `layer` (`latex` names it).
const fn cell_op(
    name: &'static str,
    rule: super::TypeRule,
    latex: &'static str,
    layer: CellLayer,
) -> OpSpec {
    OpSpec::new(name, 1, rule, k_network_only)
        .variadic()
        .cell_layer(layer)
        .latex(Latex::Template(latex, Prec::Atom))
}

pub(super) const OPS: [OpSpec; 7] = [
    cell_op(
        "conv3x3_bn_relu",
        rules::feature_maps,
        r"\operatorname{conv3x3}\left(@+\right)",
        CellLayer::Conv3x3,
    ),
    cell_op(
        "conv1x1_bn_relu",
        rules::feature_maps,
        r"\operatorname{conv1x1}\left(@+\right)",
        CellLayer::Conv1x1,
    ),
    cell_op(
        "maxpool3x3",
        rules::feature_maps,
        r"\operatorname{maxpool3x3}\left(@+\right)",
        CellLayer::MaxPool3x3,
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
        CellLayer::DenseRelu,
    ),
    cell_op(
        "dense",
        rules::features,
        r"\operatorname{dense}\left(@+\right)",
        CellLayer::Dense,
    ),
    cell_op(
        "relu",
        rules::features,
        r"\operatorname{relu}\left(@+\right)",
        CellLayer::Relu,
    ),
];
