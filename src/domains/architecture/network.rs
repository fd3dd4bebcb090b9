//! A classifier built in burn from a NAS-Bench-101 cell (Ying et al., ICML 2019, §2.1, scaled
//! down to the 8×8 digits): for image cells a conv3×3-BN-ReLU stem, the cell stacked `cells`
//! times at constant width, global average pooling and a linear head; for tabular cells
//! (`features` input) a dense-ReLU stem from the 64 pixels, the stacked cells and a linear head.
//!
//! Inside a cell each live interior node sums its live inputs and applies its layer; the output
//! sums its live inputs. Layers are initialized from a seed mixed with the node's *canonical
//! hash* (its op and the sorted hashes of its inputs), so two isomorphic cells — the same graph
//! with vertices numbered differently — build the same network with the same weights.

use super::cell::Cell;
use crate::program::{DType, Program};
use burn::module::{Module, Param};
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2dConfig;
use burn::nn::{BatchNorm, BatchNormConfig, Linear, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The layer of a live interior node, as the op spec declares it.
pub use crate::program::ops::CellLayer as Layer;

/// A live node of the pruned cell: its layer, its live inputs (vertex numbers) and, for
/// convolutions, the index of its parameters within one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanNode {
    /// Vertex number (program value index).
    pub vertex: usize,
    /// The layer.
    pub layer: Layer,
    /// Live input vertices, summed.
    pub inputs: Vec<usize>,
    /// Canonical hash (isomorphism-invariant).
    pub hash: u64,
}

/// The pruned cell: live interior nodes in order and the output's live inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Whether the cell reads feature vectors (`features`) rather than feature maps.
    pub tabular: bool,
    /// Live interior nodes, in topological order.
    pub nodes: Vec<PlanNode>,
    /// Live inputs of the output vertex.
    pub output_inputs: Vec<usize>,
}

fn mix(a: u64, b: u64) -> u64 {
    // SplitMix64 finalizer over a combination of both.
    let mut z = a ^ b.wrapping_add(0x9E37_79B9_7F4A_7C15).rotate_left(17);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn name_hash(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01B3)
    })
}

impl Plan {
    /// The plan of a valid cell program.
    ///
    /// # Errors
    /// A program that is not a cell (see [`Cell::from_program`]).
    pub fn of(p: &Program) -> Result<Plan, String> {
        let cell = Cell::from_program(p)?;
        let live = cell.on_path();
        let v = cell.vertices();
        let mut hash = vec![0u64; v];
        hash[0] = 1;
        let mut nodes = Vec::new();
        for j in 1..v - 1 {
            if !live[j] {
                continue;
            }
            let inputs: Vec<usize> = (0..j).filter(|&i| live[i] && cell.edges[i][j]).collect();
            let op = cell.ops[j - 1];
            let mut hs: Vec<u64> = inputs.iter().map(|&i| hash[i]).collect();
            hs.sort_unstable();
            hash[j] = hs.iter().fold(name_hash(op.name()), |h, x| mix(h, *x));
            let layer = op
                .spec()
                .cell_layer
                .ok_or_else(|| format!("`{}` is not an interior cell op", op.name()))?;
            nodes.push(PlanNode {
                vertex: j,
                layer,
                inputs,
                hash: hash[j],
            });
        }
        let output_inputs = (0..v - 1)
            .filter(|&i| live[i] && cell.edges[i][v - 1])
            .collect();
        Ok(Plan {
            tabular: p.inputs[0].dtype == DType::Features,
            nodes,
            output_inputs,
        })
    }

    /// Number of layers with weights (convolutions or dense layers) per cell.
    pub fn weighted_layers(&self) -> usize {
        self.nodes.iter().filter(|n| n.layer.has_weights()).count()
    }
}

/// Convolution (no bias) → BatchNorm → ReLU.
#[derive(Module, Debug)]
pub struct ConvBn {
    conv: Conv2d,
    bn: BatchNorm,
}

/// `n` numbers from U(−b, b), `b = 1/√fan_in` (PyTorch's default for conv and linear layers).
fn uniform(n: usize, fan_in: usize, seed: u64) -> Vec<f32> {
    let bound = 1.0 / (fan_in as f64).sqrt();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| rng.random_range(-bound..bound) as f32)
        .collect()
}

impl ConvBn {
    fn new(c_in: usize, c_out: usize, k: usize, seed: u64, device: &Device) -> Self {
        let w = uniform(c_out * c_in * k * k, c_in * k * k, seed);
        ConvBn {
            conv: Conv2d {
                weight: Param::from_data(TensorData::new(w, [c_out, c_in, k, k]), device),
                bias: None,
                stride: [1, 1],
                kernel_size: [k, k],
                dilation: [1, 1],
                groups: 1,
                padding: PaddingConfig2d::Same,
            },
            bn: BatchNormConfig::new(c_out).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        relu(self.bn.forward(self.conv.forward(x)))
    }
}

/// A linear layer `fan_in → fan_out` with PyTorch's default initialization, from `seed`.
fn linear(fan_in: usize, fan_out: usize, seed: u64, device: &Device) -> Linear {
    let w = uniform(fan_in * fan_out, fan_in, seed);
    let b = uniform(fan_out, fan_in, mix(seed, 0xB1A5));
    Linear {
        weight: Param::from_data(TensorData::new(w, [fan_in, fan_out]), device),
        bias: Some(Param::from_data(TensorData::new(b, [fan_out]), device)),
    }
}

/// The first layer, before the stacked cells.
// One stem per network: the size of the smaller variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
enum Stem {
    /// Image cells: conv stem.
    Conv(ConvBn),
    /// Tabular cells: dense stem from the 64 pixels.
    Dense(Linear),
}

/// The network's parameters (the structure is the [`Plan`] passed to `forward`).
#[derive(Module, Debug)]
pub struct CellNetwork {
    stem: Stem,
    /// Image cells: `cells × plan.weighted_layers()` layers, cell by cell in plan order.
    convs: Vec<ConvBn>,
    /// Tabular cells: the same for dense layers.
    denses: Vec<Linear>,
    head: Linear,
}

/// Runs `cells` stacked copies of `plan` on `x`; `layer(node, k, input)` applies node `node`
/// whose weighted layer (if any) is number `k` overall.
fn run_cells<const D: usize>(
    plan: &Plan,
    cells: usize,
    mut x: Tensor<D>,
    layer: impl Fn(&PlanNode, usize, Tensor<D>) -> Tensor<D>,
) -> Tensor<D> {
    let width = plan.nodes.last().map_or(1, |n| n.vertex + 1);
    // A plan lists live nodes only, in topological order, so every input already has a value;
    // a node without one would be dead and is skipped.
    let sum = |vals: &[Option<Tensor<D>>], inputs: &[usize]| -> Option<Tensor<D>> {
        inputs
            .iter()
            .filter_map(|&i| vals[i].clone())
            .reduce(|a, b| a + b)
    };
    let per_cell = plan.weighted_layers();
    for c in 0..cells {
        let mut vals: Vec<Option<Tensor<D>>> = vec![None; width];
        vals[0] = Some(x.clone());
        let mut k = c * per_cell;
        for n in &plan.nodes {
            if let Some(s) = sum(&vals, &n.inputs) {
                vals[n.vertex] = Some(layer(n, k, s));
            }
            if n.layer.has_weights() {
                k += 1;
            }
        }
        if let Some(out) = sum(&vals, &plan.output_inputs) {
            x = out;
        }
    }
    x
}

impl CellNetwork {
    /// Builds the network of `plan` with `cells` stacked cells of `channels` channels (or
    /// features) for 8×8 digit images and 10 classes; weights from `seed` (see the module docs).
    pub fn new(plan: &Plan, channels: usize, cells: usize, seed: u64, device: &Device) -> Self {
        let mut convs = Vec::new();
        let mut denses = Vec::new();
        for c in 0..cells {
            for n in plan.nodes.iter().filter(|n| n.layer.has_weights()) {
                let s = mix(mix(seed, c as u64 + 2), n.hash);
                match n.layer {
                    Layer::Conv3x3 => convs.push(ConvBn::new(channels, channels, 3, s, device)),
                    Layer::Conv1x1 => convs.push(ConvBn::new(channels, channels, 1, s, device)),
                    _ => denses.push(linear(channels, channels, s, device)),
                }
            }
        }
        let stem = if plan.tabular {
            Stem::Dense(linear(64, channels, mix(seed, 1), device))
        } else {
            Stem::Conv(ConvBn::new(1, channels, 3, mix(seed, 1), device))
        };
        CellNetwork {
            stem,
            convs,
            denses,
            head: linear(channels, 10, mix(seed, 0xEAD), device),
        }
    }

    /// Class logits `[B, 10]` of images `[B, 64]` (8×8, row-major) through `cells` stacked
    /// copies of `plan` (the values `new` was built with).
    pub fn forward(&self, plan: &Plan, cells: usize, images: Tensor<2>) -> Tensor<2> {
        let stem = match &self.stem {
            Stem::Conv(stem) => stem,
            Stem::Dense(stem) => {
                let x = relu(stem.forward(images));
                let x = run_cells(plan, cells, x, |n, k, s| match n.layer {
                    Layer::DenseRelu => relu(self.denses[k].forward(s)),
                    Layer::Dense => self.denses[k].forward(s),
                    _ => relu(s),
                });
                return self.head.forward(x);
            }
        };
        let [b, _] = images.dims();
        let x = stem.forward(images.reshape([b, 1, 8, 8]));
        let pool = MaxPool2dConfig::new([3, 3])
            .with_strides([1, 1])
            .with_padding(PaddingConfig2d::Same)
            .init();
        let x = run_cells(plan, cells, x, |n, k, s| match n.layer {
            Layer::MaxPool3x3 => pool.forward(s),
            _ => self.convs[k].forward(s),
        });
        let [b, ch, _, _] = x.dims();
        let pooled = x.mean_dim(3).mean_dim(2).reshape([b, ch]);
        self.head.forward(pooled)
    }
}
