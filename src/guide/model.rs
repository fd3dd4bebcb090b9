//! The discriminator network: a GIN/GINE-style graph encoder with an optional global attention
//! layer, a pooled readout and an antisymmetric pair head.
//!
//! Source: Co-Reyes, Miao, Tucker, Faust, Real, "Guided Evolution with Binary Discriminators for
//! ML Program Search" (2024), §3: a binary discriminator `D(a, b) = P(a is better than b)` over
//! GNN encodings of both programs; graph-transformer (GPS-style) encoders generalized best. The
//! layer shapes are not published; gevo's choices are documented on each type.
//!
//! burn 0.22 has no sparse tensors, so message passing is a gather (`select` of the source rows
//! per edge) followed by a scatter-add (`select_assign` with [`IndexingUpdateOp::Add`] into the
//! destination rows). Many graphs are batched by concatenating their node lists; a node → graph
//! index does the pooling the same way.
//!
//! Tensors carry no backend type parameter in burn 0.22: the [`Device`] the parameters were
//! created on (flex CPU by default, `.autodiff()` for training) selects the backend.

use super::encoding::GraphEncoding;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::{log_sigmoid, relu, sigmoid, softmax};
use burn::tensor::{Device, IndexingUpdateOp, Int, Tensor, TensorData};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Shape of the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscriminatorConfig {
    /// Width `H` of node and graph embeddings (default 32).
    pub hidden: usize,
    /// Number of message-passing layers (default 3: enough to see three hops in either
    /// direction).
    pub layers: usize,
    /// Add one global self-attention layer over each graph's nodes after message passing (GPS
    /// style; default off: it costs `O(N²)` in the batch's node count).
    pub attention: bool,
}

impl Default for DiscriminatorConfig {
    fn default() -> Self {
        DiscriminatorConfig {
            hidden: 32,
            layers: 3,
            attention: false,
        }
    }
}

/// Several encoded graphs concatenated into one node list, on a device.
#[derive(Debug, Clone)]
pub struct GraphBatch {
    /// Node features `[N, F]` (N: nodes of all graphs, F: the encoder's feature dimension).
    pub x: Tensor<2>,
    /// Edge sources `[E]` (global node indices).
    pub src: Tensor<1, Int>,
    /// Edge destinations `[E]`.
    pub dst: Tensor<1, Int>,
    /// Edge types `[E]`.
    pub edge_type: Tensor<1, Int>,
    /// Graph of each node `[N]`.
    pub graph: Tensor<1, Int>,
    /// `1 / nodes` of each graph, `[G, 1]`.
    pub inv_count: Tensor<2>,
    /// Additive attention mask `[N, N]`: 0 within a graph, −1e9 across graphs (only when built
    /// for a network with attention).
    pub mask: Option<Tensor<2>>,
    /// Total nodes `N`.
    pub num_nodes: usize,
    /// Total directed edges `E`.
    pub num_edges: usize,
    /// Graphs `G`.
    pub num_graphs: usize,
}

impl GraphBatch {
    /// Concatenates `graphs` (all from one [`GraphEncoder`](super::encoding::GraphEncoder), so of
    /// feature dimension `feature_dim`); `attention` also builds the block-diagonal mask.
    ///
    /// # Panics
    /// If `graphs` is empty or a graph's features do not match `feature_dim`.
    pub fn new(
        graphs: &[&GraphEncoding],
        feature_dim: usize,
        attention: bool,
        device: &Device,
    ) -> Self {
        assert!(!graphs.is_empty(), "a batch needs at least one graph");
        let n: usize = graphs.iter().map(|g| g.num_nodes).sum();
        let e: usize = graphs.iter().map(|g| g.num_edges()).sum();
        let mut x = Vec::with_capacity(n * feature_dim);
        let (mut src, mut dst, mut et) = (
            Vec::with_capacity(e),
            Vec::with_capacity(e),
            Vec::with_capacity(e),
        );
        let mut graph = Vec::with_capacity(n);
        let mut inv = Vec::with_capacity(graphs.len());
        let mut offset = 0i64;
        for (k, g) in graphs.iter().enumerate() {
            assert_eq!(g.features.len(), g.num_nodes * feature_dim);
            x.extend_from_slice(&g.features);
            src.extend(g.src.iter().map(|&s| s as i64 + offset));
            dst.extend(g.dst.iter().map(|&d| d as i64 + offset));
            et.extend(g.edge_type.iter().map(|&t| t as i64));
            graph.extend(std::iter::repeat_n(k as i64, g.num_nodes));
            inv.push(1.0 / g.num_nodes.max(1) as f32);
            offset += g.num_nodes as i64;
        }
        let mask = attention.then(|| {
            let mut m = vec![-1e9f32; n * n];
            let mut start = 0;
            for g in graphs {
                for i in start..start + g.num_nodes {
                    m[i * n + start..i * n + start + g.num_nodes].fill(0.0);
                }
                start += g.num_nodes;
            }
            Tensor::from_data(TensorData::new(m, [n, n]), device)
        });
        GraphBatch {
            x: Tensor::from_data(TensorData::new(x, [n, feature_dim]), device),
            src: Tensor::from_data(TensorData::new(src, [e]), device),
            dst: Tensor::from_data(TensorData::new(dst, [e]), device),
            edge_type: Tensor::from_data(TensorData::new(et, [e]), device),
            graph: Tensor::from_data(TensorData::new(graph, [n]), device),
            inv_count: Tensor::from_data(TensorData::new(inv, [graphs.len(), 1]), device),
            mask,
            num_nodes: n,
            num_edges: e,
            num_graphs: graphs.len(),
        }
    }
}

/// One GINE-style message-passing layer (Xu et al., ICLR 2019; Hu et al., ICLR 2020):
/// `m_e = ReLU(h_src + W_type)`, `a_v = Σ_{e→v} m_e`, `h'_v = h_v + MLP(h_v + a_v)` with a
/// two-layer ReLU MLP (the residual keeps deep stacks trainable).
#[derive(Module, Debug)]
pub struct GinLayer {
    /// Edge-type embeddings `[T, H]`.
    edge_embedding: Param<Tensor<2>>,
    mlp_in: Linear,
    mlp_out: Linear,
}

impl GinLayer {
    /// `h` is `[N, H]`; returns `[N, H]`.
    fn forward(&self, h: Tensor<2>, b: &GraphBatch) -> Tensor<2> {
        let agg = if b.num_edges == 0 {
            h.zeros_like()
        } else {
            let msg = relu(
                h.clone().select(0, b.src.clone())
                    + self.edge_embedding.val().select(0, b.edge_type.clone()),
            );
            h.zeros_like()
                .select_assign(0, b.dst.clone(), msg, IndexingUpdateOp::Add)
        };
        let z = self
            .mlp_out
            .forward(relu(self.mlp_in.forward(h.clone() + agg)));
        h + z
    }
}

/// Single-head global self-attention within each graph (the global half of a GPS layer,
/// Rampášek et al., NeurIPS 2022): `h' = h + W_o softmax(QKᵀ/√H + mask) V`.
#[derive(Module, Debug)]
pub struct GlobalAttention {
    query: Linear,
    key: Linear,
    value: Linear,
    output: Linear,
}

impl GlobalAttention {
    fn forward(&self, h: Tensor<2>, mask: Tensor<2>) -> Tensor<2> {
        let d = h.dims()[1] as f64;
        let q = self.query.forward(h.clone());
        let k = self.key.forward(h.clone());
        let v = self.value.forward(h.clone());
        let scores = q.matmul(k.transpose()) / d.sqrt() + mask;
        h + self.output.forward(softmax(scores, 1).matmul(v))
    }
}

/// The pair head: a logit `s(a, b) = f(z_a, z_b) − f(z_b, z_a)` with
/// `f(x, y) = w·ReLU(W[x, y, x⊙y] + c)`, so `s(a, b) = −s(b, a)` and
/// `D(a, b) = σ(s(a, b)) = 1 − D(b, a)` hold by construction.
#[derive(Module, Debug)]
pub struct PairHead {
    hidden: Linear,
    output: Linear,
}

impl PairHead {
    fn f(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        let xy = x.clone() * y.clone();
        self.output
            .forward(relu(self.hidden.forward(Tensor::cat(vec![x, y, xy], 1))))
    }

    /// `za`, `zb`: `[P, H]` graph embeddings; returns the logits `[P]`.
    pub fn logits(&self, za: Tensor<2>, zb: Tensor<2>) -> Tensor<1> {
        let p = za.dims()[0];
        let s = self.f(za.clone(), zb.clone()) - self.f(zb, za);
        s.reshape([p])
    }
}

/// The binary discriminator `D(a, b) = P(fitness(a) > fitness(b))`.
///
/// Node features `[N, F]` → linear + ReLU → `layers` × [`GinLayer`] → optional
/// [`GlobalAttention`] → per graph the mean and the sum of node states, concatenated `[G, 2H]`
/// → linear + ReLU → graph embedding `z` `[G, H]` → [`PairHead`].
#[derive(Module, Debug)]
pub struct Discriminator {
    input: Linear,
    layers: Vec<GinLayer>,
    attention: Option<GlobalAttention>,
    readout: Linear,
    head: PairHead,
}

/// Draws (init) or replays (load) parameter arrays in construction order, given the array's
/// shape and its initialization bound `b` (values are drawn from `U(−b, b)`).
type ParamSource<'a> = dyn FnMut(&[usize], f64) -> Vec<f32> + 'a;

fn linear(d_in: usize, d_out: usize, next: &mut ParamSource<'_>, device: &Device) -> Linear {
    // burn stores the weight as [d_input, d_output] (O = I·W + b).
    let bound = 1.0 / (d_in as f64).sqrt();
    let w = next(&[d_in, d_out], bound);
    let b = next(&[d_out], bound);
    Linear {
        weight: Param::from_data(TensorData::new(w, [d_in, d_out]), device),
        bias: Some(Param::from_data(TensorData::new(b, [d_out]), device)),
    }
}

fn linear_values(l: &Linear, out: &mut Vec<Vec<f32>>) {
    let [_, d_out] = l.weight.val().dims();
    out.push(values(l.weight.val()));
    // Every layer here is built with a bias; a bias-free one is stored as zeros.
    out.push(match &l.bias {
        Some(b) => values(b.val()),
        None => vec![0.0; d_out],
    });
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    host_f32(t.inner().into_data())
}

/// A tensor's values as host `f32`s (flattened, row-major), whatever its stored float type
/// (`guide` may not import `nn`, which has the same helper).
pub(super) fn host_f32(data: TensorData) -> Vec<f32> {
    let data = data.convert::<f32>();
    match data.as_slice::<f32>() {
        Ok(values) => values.to_vec(),
        Err(_) => data.iter::<f32>().collect(),
    }
}

/// A parameter file that does not fit this network's shape.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("discriminator weights do not match the network: {0}")]
pub struct WeightsError(pub String);

impl Discriminator {
    fn build(
        feature_dim: usize,
        edge_types: usize,
        config: &DiscriminatorConfig,
        next: &mut ParamSource<'_>,
        device: &Device,
    ) -> Self {
        let h = config.hidden.max(1);
        let input = linear(feature_dim, h, next, device);
        let layers = (0..config.layers)
            .map(|_| {
                let e = next(&[edge_types.max(1), h], 0.1);
                GinLayer {
                    edge_embedding: Param::from_data(
                        TensorData::new(e, [edge_types.max(1), h]),
                        device,
                    ),
                    mlp_in: linear(h, h, next, device),
                    mlp_out: linear(h, h, next, device),
                }
            })
            .collect();
        let attention = config.attention.then(|| GlobalAttention {
            query: linear(h, h, next, device),
            key: linear(h, h, next, device),
            value: linear(h, h, next, device),
            output: linear(h, h, next, device),
        });
        let readout = linear(2 * h, h, next, device);
        let head = PairHead {
            hidden: linear(3 * h, h, next, device),
            output: linear(h, 1, next, device),
        };
        Discriminator {
            input,
            layers,
            attention,
            readout,
            head,
        }
    }

    /// A freshly initialized network for graphs with `feature_dim` node features and
    /// `edge_types` edge types, parameters drawn from `rng` (burn's and PyTorch's `Linear`
    /// default, `U(−1/√fan_in, 1/√fan_in)`; edge embeddings `U(−0.1, 0.1)`) and created on
    /// `device` (an autodiff device to train).
    pub fn new(
        feature_dim: usize,
        edge_types: usize,
        config: &DiscriminatorConfig,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        let mut next = |shape: &[usize], bound: f64| -> Vec<f32> {
            let n: usize = shape.iter().product();
            (0..n)
                .map(|_| rng.random_range(-bound..bound) as f32)
                .collect()
        };
        Self::build(feature_dim, edge_types, config, &mut next, device)
    }

    /// All parameter values, in construction order (for persistence; see [`Self::from_values`]).
    pub fn to_values(&self) -> Vec<Vec<f32>> {
        let mut out = Vec::new();
        linear_values(&self.input, &mut out);
        for l in &self.layers {
            out.push(values(l.edge_embedding.val()));
            linear_values(&l.mlp_in, &mut out);
            linear_values(&l.mlp_out, &mut out);
        }
        if let Some(a) = &self.attention {
            for l in [&a.query, &a.key, &a.value, &a.output] {
                linear_values(l, &mut out);
            }
        }
        linear_values(&self.readout, &mut out);
        linear_values(&self.head.hidden, &mut out);
        linear_values(&self.head.output, &mut out);
        out
    }

    /// Rebuilds a network from [`Self::to_values`] output.
    ///
    /// # Errors
    /// [`WeightsError`] when the number or sizes of the arrays do not match the shape given by
    /// `feature_dim`, `edge_types` and `config`.
    pub fn from_values(
        feature_dim: usize,
        edge_types: usize,
        config: &DiscriminatorConfig,
        values: Vec<Vec<f32>>,
        device: &Device,
    ) -> Result<Self, WeightsError> {
        let mut it = values.into_iter();
        let mut error = None;
        let mut next = |shape: &[usize], _bound: f64| -> Vec<f32> {
            let n: usize = shape.iter().product();
            match it.next() {
                Some(v) if v.len() == n => v,
                got => {
                    error.get_or_insert_with(|| {
                        format!(
                            "expected {n} values for shape {shape:?}, found {}",
                            got.map(|v| v.len().to_string())
                                .unwrap_or_else(|| "none".into())
                        )
                    });
                    vec![0.0; n]
                }
            }
        };
        let model = Self::build(feature_dim, edge_types, config, &mut next, device);
        if let Some(e) = error {
            return Err(WeightsError(e));
        }
        if it.next().is_some() {
            return Err(WeightsError("more arrays than parameters".into()));
        }
        Ok(model)
    }

    /// Graph embeddings `[G, H]` of a batch.
    pub fn embed(&self, b: &GraphBatch) -> Tensor<2> {
        let mut h = relu(self.input.forward(b.x.clone()));
        for l in &self.layers {
            h = l.forward(h, b);
        }
        if let (Some(a), Some(mask)) = (&self.attention, &b.mask) {
            h = a.forward(h, mask.clone());
        }
        let width = h.dims()[1];
        let sum = Tensor::<2>::zeros([b.num_graphs, width], &h.device()).select_assign(
            0,
            b.graph.clone(),
            h,
            IndexingUpdateOp::Add,
        );
        let mean = sum.clone() * b.inv_count.clone();
        relu(self.readout.forward(Tensor::cat(vec![mean, sum], 1)))
    }

    /// Logits `s(a, b)` `[P]` for pairs of rows of `z` (`[G, H]` from [`Self::embed`]); `a` and
    /// `b` are `[P]` graph indices.
    pub fn pair_logits(&self, z: Tensor<2>, a: Tensor<1, Int>, b: Tensor<1, Int>) -> Tensor<1> {
        self.head.logits(z.clone().select(0, a), z.select(0, b))
    }

    /// Logits `[P]` for pairs of embeddings `za`, `zb` (`[P, H]` each).
    pub fn logits_of_embeddings(&self, za: Tensor<2>, zb: Tensor<2>) -> Tensor<1> {
        self.head.logits(za, zb)
    }

    /// `D(a, b)` `[P]` = σ(s(a, b)) for pairs of rows of `z`.
    pub fn probability(&self, z: Tensor<2>, a: Tensor<1, Int>, b: Tensor<1, Int>) -> Tensor<1> {
        sigmoid(self.pair_logits(z, a, b))
    }

    /// Whether the parameters live on an autodiff device.
    pub fn is_trainable(&self) -> bool {
        self.input.weight.val().is_autodiff()
    }
}

/// Mean binary cross-entropy of `logits` `[P]` against `labels` `[P]` (1: the first program of
/// the pair is better), computed stably as `−y·log σ(s) − (1−y)·log σ(−s)`.
pub fn bce_with_logits(logits: Tensor<1>, labels: Tensor<1>) -> Tensor<1> {
    let pos = log_sigmoid(logits.clone()) * labels.clone();
    let neg = log_sigmoid(-logits) * (labels.ones_like() - labels);
    -(pos + neg).mean()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guide::encoding::GraphEncoder;
    use crate::program::generate::random_program;
    use rand::SeedableRng;

    fn floats(t: Tensor<1>) -> Vec<f32> {
        t.inner().into_data().try_to_vec::<f32>().unwrap()
    }

    fn setup(attention: bool) -> (GraphEncoder, Vec<GraphEncoding>, Discriminator) {
        let space = crate::guide::encoding::tests::sr_space(&["x", "y"]);
        let enc = GraphEncoder::new(&space);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let graphs: Vec<GraphEncoding> = (0..12)
            .map(|_| enc.encode(&random_program(&space, &mut rng).unwrap()))
            .collect();
        let config = DiscriminatorConfig {
            attention,
            ..Default::default()
        };
        let model = Discriminator::new(
            enc.feature_dim(),
            enc.num_edge_types(),
            &config,
            &mut rng,
            &Device::flex(),
        );
        (enc, graphs, model)
    }

    #[test]
    fn antisymmetric_by_construction() {
        for attention in [false, true] {
            let (enc, graphs, model) = setup(attention);
            let refs: Vec<&GraphEncoding> = graphs.iter().collect();
            let batch = GraphBatch::new(&refs, enc.feature_dim(), attention, &Device::flex());
            let z = model.embed(&batch);
            let idx = |v: Vec<i64>| {
                Tensor::<1, Int>::from_data(TensorData::new(v, [11]), &Device::flex())
            };
            let a: Vec<i64> = (0..11).collect();
            let b: Vec<i64> = (1..12).collect();
            let ab = floats(model.probability(z.clone(), idx(a.clone()), idx(b.clone())));
            let ba = floats(model.probability(z, idx(b), idx(a)));
            let mut spread = 0.0f32;
            for (p, q) in ab.iter().zip(&ba) {
                assert!((p + q - 1.0).abs() < 1e-6, "D(a,b) {p} + D(b,a) {q} != 1");
                spread = spread.max((p - 0.5).abs());
            }
            // Not trivially 0.5 everywhere (which would also be antisymmetric).
            assert!(
                spread > 1e-4,
                "an untrained network still separates pairs: {ab:?}"
            );
        }
    }

    #[test]
    fn batching_does_not_mix_graphs() {
        let (enc, graphs, model) = setup(true);
        let device = Device::flex();
        let all: Vec<&GraphEncoding> = graphs.iter().collect();
        let z_all = model
            .embed(&GraphBatch::new(&all, enc.feature_dim(), true, &device))
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let h = z_all.len() / graphs.len();
        for (k, g) in graphs.iter().enumerate().step_by(5) {
            let z = model
                .embed(&GraphBatch::new(&[g], enc.feature_dim(), true, &device))
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            for (x, y) in z.iter().zip(&z_all[k * h..(k + 1) * h]) {
                assert!((x - y).abs() < 1e-4, "graph {k}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn values_round_trip_and_shape_errors() {
        let (enc, graphs, model) = setup(true);
        let config = DiscriminatorConfig {
            attention: true,
            ..Default::default()
        };
        let device = Device::flex();
        let values = model.to_values();
        let copy = Discriminator::from_values(
            enc.feature_dim(),
            enc.num_edge_types(),
            &config,
            values.clone(),
            &device,
        )
        .unwrap();
        let refs: Vec<&GraphEncoding> = graphs.iter().collect();
        let b = GraphBatch::new(&refs, enc.feature_dim(), true, &device);
        assert_eq!(
            model.embed(&b).into_data().try_to_vec::<f32>().unwrap(),
            copy.embed(&b).into_data().try_to_vec::<f32>().unwrap()
        );
        let no_attention = DiscriminatorConfig::default();
        assert!(
            Discriminator::from_values(
                enc.feature_dim(),
                enc.num_edge_types(),
                &no_attention,
                values,
                &device
            )
            .is_err()
        );
    }
}
