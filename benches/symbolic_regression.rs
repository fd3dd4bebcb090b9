//! Expression-evaluation and fingerprint throughput (one core).
//!
//! `evaluate/10_nodes_200_rows`: a 10-op-node expression, ((x·x·x + sin(x·y)) − x·x·x/(x + 1.5))·y,
//! over 200 rows, including the fit scores (MSE, NRMSE, R²); throughput is in evaluations.
//! `evaluate/10_nodes_arithmetic_200_rows`: the same shape with `sin` replaced by a product.
//! `fingerprint/10_nodes`: probe outputs (16 rows) + mantissa truncation + 128-bit hash.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gevo::domains::symbolic_regression::{Dataset, SymbolicRegressionEvaluator};
use gevo::engine::Evaluator;
use gevo::hashing::fingerprint_of_outputs;
use gevo::program::Program;
use gevo::program::space::SearchSpace;
use std::hint::black_box;

const PROGRAM: &str = r#"{
  "inputs": [{"name": "x", "dtype": "float"}, {"name": "y", "dtype": "float"}],
  "nodes": [
    {"op": "mul", "args": [0, 0]},
    {"op": "mul", "args": [2, 0]},
    {"op": "mul", "args": [0, 1]},
    {"op": "sin", "args": [4]},
    {"op": "add", "args": [3, 5]},
    {"op": "const", "value": 1.5},
    {"op": "add", "args": [0, 7]},
    {"op": "div", "args": [1, 8]},
    {"op": "sub", "args": [6, 9]},
    {"op": "mul", "args": [10, 1]}
  ],
  "output": 11
}"#;

/// The same shape with arithmetic only (`sin` replaced by a product), to separate interpreter overhead
/// from the cost of `sin` itself.
const ARITHMETIC: &str = r#"{
  "inputs": [{"name": "x", "dtype": "float"}, {"name": "y", "dtype": "float"}],
  "nodes": [
    {"op": "mul", "args": [0, 0]},
    {"op": "mul", "args": [2, 0]},
    {"op": "mul", "args": [0, 1]},
    {"op": "mul", "args": [4, 1]},
    {"op": "add", "args": [3, 5]},
    {"op": "const", "value": 1.5},
    {"op": "add", "args": [0, 7]},
    {"op": "div", "args": [1, 8]},
    {"op": "sub", "args": [6, 9]},
    {"op": "mul", "args": [10, 1]}
  ],
  "output": 11
}"#;

fn setup() -> (SymbolicRegressionEvaluator, Program, Dataset) {
    let space_src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/search_spaces/symbolic_regression.toml"
    ))
    .unwrap();
    let space = SearchSpace::from_toml(&space_src, "symbolic_regression.toml").unwrap();
    let n = 200;
    let xs: Vec<f64> = (0..n).map(|i| -1.0 + 2.0 * i as f64 / n as f64).collect();
    let ys: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
    let target: Vec<f64> = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| x * x * x + (x * y).sin())
        .collect();
    let data = Dataset {
        names: vec!["x".into(), "y".into()],
        columns: vec![xs, ys],
        target,
    };
    let ev = SymbolicRegressionEvaluator::new(space, "bench", &data, &data);
    let p = Program::from_json(PROGRAM, "bench").unwrap();
    (ev, p, data)
}

fn bench(c: &mut Criterion) {
    let (ev, p, _) = setup();
    assert_eq!(p.size(), 10);
    let mut g = c.benchmark_group("evaluate");
    g.throughput(Throughput::Elements(1));
    g.bench_function("10_nodes_200_rows", |b| {
        b.iter(|| black_box(ev.train_scores(black_box(&p))))
    });
    let arith = Program::from_json(ARITHMETIC, "bench").unwrap();
    g.bench_function("10_nodes_arithmetic_200_rows", |b| {
        b.iter(|| black_box(ev.train_scores(black_box(&arith))))
    });
    g.finish();
    let mut g = c.benchmark_group("fingerprint");
    g.throughput(Throughput::Elements(1));
    g.bench_function("10_nodes", |b| {
        b.iter(|| black_box(fingerprint_of_outputs(&ev.probe_outputs(black_box(&p)), 24)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
