//! Discriminator inference cost on 20-node programs (symbolic-regression space, flex CPU backend,
//! default network: H = 32, 3 GIN layers, no attention).
//!
//! - `pam_child`: what predictor-guided mutation pays per child: encode and embed the child (one
//!   graph), then `D(child, parent)` against the parent's cached embedding;
//! - `batched_pairs/64` and `/256`: 2·P distinct graphs embedded in one batch and P pair
//!   probabilities, reported per pair.

use burn::tensor::{Device, Int, Tensor, TensorData};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gevo::guide::{
    Discriminator, DiscriminatorConfig, GraphBatch, GraphEncoder, GraphEncoding, GuideConfig,
    GuideKind, OnlineDiscriminator,
};
use gevo::program::space::SearchSpace;
use gevo::program::{Node, OpId, Program};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

/// Live op nodes per program.
const NODES: usize = 20;

/// `n` random programs over x, y with exactly `NODES` live op nodes: each node applies a random
/// op of the space to the previous node (and, for binary ops, a random earlier value), so every
/// node reaches the output.
fn programs(n: usize) -> (SearchSpace, Vec<Program>) {
    let src = gevo::catalog::space("symbolic_regression").unwrap();
    let space = SearchSpace::from_toml(&src.text, &src.origin)
        .unwrap()
        .with_task_inputs(&["x".into(), "y".into()]);
    let ops: Vec<OpId> = space
        .ops
        .iter()
        .copied()
        .filter(|o| !o.is_const())
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let out = (0..n)
        .map(|_| {
            let mut nodes = Vec::new();
            for k in 0..NODES {
                let prev = if k == 0 {
                    rng.random_range(0..2)
                } else {
                    k + 1
                };
                let op = ops[rng.random_range(0..ops.len())];
                let args = match op.spec().arity {
                    1 => vec![prev],
                    _ => vec![prev, rng.random_range(0..k + 2)],
                };
                nodes.push(Node {
                    op,
                    args,
                    value: None,
                });
            }
            let p = Program {
                inputs: space.inputs.clone(),
                nodes,
                output: NODES + 1,
            };
            assert_eq!(p.size(), NODES);
            p
        })
        .collect();
    (space, out)
}

fn bench(c: &mut Criterion) {
    let (space, progs) = programs(512);
    let config = GuideConfig {
        kind: GuideKind::Discriminator,
        ..Default::default()
    };
    let mut guide = OnlineDiscriminator::new(config, &space, 0);
    let parent_z = guide.embed(&progs[0]);
    let mut group = c.benchmark_group("discriminator");
    group.throughput(Throughput::Elements(1));
    let mut k = 0;
    group.bench_function("pam_child", |b| {
        b.iter(|| {
            k = (k + 1) % progs.len();
            let z = guide.embed(&progs[k]);
            black_box(guide.probability(&z, &parent_z))
        })
    });
    let enc = GraphEncoder::new(&space);
    let device = Device::flex();
    let model = Discriminator::new(
        enc.feature_dim(),
        enc.num_edge_types(),
        &DiscriminatorConfig::default(),
        &mut ChaCha8Rng::seed_from_u64(1),
        &device,
    );
    let graphs: Vec<GraphEncoding> = progs.iter().map(|p| enc.encode(p)).collect();
    for pairs in [64usize, 256] {
        group.throughput(Throughput::Elements(pairs as u64));
        let refs: Vec<&GraphEncoding> = graphs[..2 * pairs].iter().collect();
        let idx = |v: Vec<i64>| Tensor::<1, Int>::from_data(TensorData::new(v, [pairs]), &device);
        group.bench_function(format!("batched_pairs/{pairs}"), |b| {
            b.iter(|| {
                let batch = GraphBatch::new(&refs, enc.feature_dim(), false, &device);
                let z = model.embed(&batch);
                let a = idx((0..pairs as i64).collect());
                let bb = idx((pairs as i64..2 * pairs as i64).collect());
                black_box(
                    model
                        .probability(z, a, bb)
                        .into_data()
                        .try_to_vec::<f32>()
                        .unwrap(),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
