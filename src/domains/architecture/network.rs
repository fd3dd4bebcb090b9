//! A classifier built in burn from a NAS-Bench-101 cell: stem conv3×3-BN-ReLU, the cell stacked
//! `cells` times at constant width, global average pooling, a linear head (Ying et al., ICML
//! 2019, §2.1, scaled down to 8×8 digit images).
//!
//! Inside a cell each live interior node sums its live inputs and applies its layer; the output
//! sums its live inputs. Layers are initialized from a seed mixed with the node's *canonical
//! hash* (its op and the sorted hashes of its inputs), so two isomorphic cells — the same graph
//! with vertices numbered differently — build the same network with the same weights.

use crate::program::Program;
use crate::program::cell::Cell;
use burn::module::{Module, Param};
use burn::nn::conv::Conv2d;
use burn::nn::pool::MaxPool2dConfig;
use burn::nn::{BatchNorm, BatchNormConfig, Linear, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The layer of a live interior node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// conv3×3 → BatchNorm → ReLU.
    Conv3x3,
    /// conv1×1 → BatchNorm → ReLU.
    Conv1x1,
    /// 3×3 max-pool, stride 1, same padding.
    MaxPool3x3,
}

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
            let layer = match op.name() {
                "conv3x3_bn_relu" => Layer::Conv3x3,
                "conv1x1_bn_relu" => Layer::Conv1x1,
                "maxpool3x3" => Layer::MaxPool3x3,
                other => return Err(format!("`{other}` is not an interior cell op")),
            };
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
            nodes,
            output_inputs,
        })
    }

    /// Number of convolution layers per cell.
    pub fn convolutions(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| n.layer != Layer::MaxPool3x3)
            .count()
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

/// The network's parameters (the structure is the [`Plan`] passed to `forward`).
#[derive(Module, Debug)]
pub struct CellNetwork {
    stem: ConvBn,
    /// `cells × plan.convolutions()` layers, cell by cell in plan order.
    convs: Vec<ConvBn>,
    head: Linear,
}

impl CellNetwork {
    /// Builds the network of `plan` with `cells` stacked cells of `channels` channels for
    /// `1 × 8 × 8` inputs and 10 classes; weights from `seed` (see the module docs).
    pub fn new(plan: &Plan, channels: usize, cells: usize, seed: u64, device: &Device) -> Self {
        let stem = ConvBn::new(1, channels, 3, mix(seed, 1), device);
        let mut convs = Vec::new();
        for c in 0..cells {
            for n in &plan.nodes {
                let k = match n.layer {
                    Layer::Conv3x3 => 3,
                    Layer::Conv1x1 => 1,
                    Layer::MaxPool3x3 => continue,
                };
                let s = mix(mix(seed, c as u64 + 2), n.hash);
                convs.push(ConvBn::new(channels, channels, k, s, device));
            }
        }
        let classes = 10;
        let w = uniform(channels * classes, channels, mix(seed, 0xEAD));
        let b = uniform(classes, channels, mix(seed, 0xB1A5));
        let head = Linear {
            weight: Param::from_data(TensorData::new(w, [channels, classes]), device),
            bias: Some(Param::from_data(TensorData::new(b, [classes]), device)),
        };
        CellNetwork { stem, convs, head }
    }

    /// Class logits `[B, 10]` of images `[B, 64]` (8×8, row-major) through `cells` stacked
    /// copies of `plan` (the values `new` was built with).
    pub fn forward(&self, plan: &Plan, cells: usize, images: Tensor<2>) -> Tensor<2> {
        let [b, _] = images.dims();
        let mut x = self.stem.forward(images.reshape([b, 1, 8, 8]));
        let per_cell = plan.convolutions();
        let pool = MaxPool2dConfig::new([3, 3])
            .with_strides([1, 1])
            .with_padding(PaddingConfig2d::Same)
            .init();
        let width = plan.nodes.last().map_or(1, |n| n.vertex + 1);
        let sum = |vals: &[Option<Tensor<4>>], inputs: &[usize]| -> Tensor<4> {
            inputs
                .iter()
                .map(|&i| vals[i].clone().expect("live inputs precede their users"))
                .reduce(|a, b| a + b)
                .expect("a live node has a live input")
        };
        for c in 0..cells {
            let mut vals: Vec<Option<Tensor<4>>> = vec![None; width];
            vals[0] = Some(x);
            let mut conv = c * per_cell;
            for n in &plan.nodes {
                let s = sum(&vals, &n.inputs);
                let y = match n.layer {
                    Layer::MaxPool3x3 => pool.forward(s),
                    Layer::Conv3x3 | Layer::Conv1x1 => {
                        conv += 1;
                        self.convs[conv - 1].forward(s)
                    }
                };
                vals[n.vertex] = Some(y);
            }
            x = sum(&vals, &plan.output_inputs);
        }
        let [b, ch, _, _] = x.dims();
        let pooled = x.mean_dim(3).mean_dim(2).reshape([b, ch]);
        self.head.forward(pooled)
    }
}
