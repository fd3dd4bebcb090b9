//! Expression-evaluation and fingerprint throughput (one core).
//!
//! `evaluate/10_nodes_200_rows`: a 10-op-node expression, ((x·x·x + sin(x·y)) − x·x·x/(x + 1.5))·y,
//! over 200 rows, including the fit scores (MSE, NRMSE, R²); throughput is in evaluations.
//! `evaluate/10_nodes_arithmetic_200_rows`: the same shape with `sin` replaced by a product.
//! `fingerprint/10_nodes`: probe outputs (16 rows) + mantissa truncation + 128-bit hash.
//! `fit_constants/2_constants_200_rows`: one `--optimize-constants` fit of `c0·x² + c1` to
//! `2.5·x² + 0.7` (BFGS, 2 restarts). A campaign's overhead from fitting is about
//! `(P + share of new hall-of-fame entries) × fit time / evaluation time`; `evaluate/*` itself
//! does not change with fitting on (fits run after an evaluation, only for selected candidates).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gevo::domains::symbolic_regression::{Dataset, SymbolicRegressionEvaluator};
use gevo::engine::{EvalContext, Evaluator, Improvement};
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
    let (fit_ev, quadratic) = quadratic_setup();
    let mut g = c.benchmark_group("fit_constants");
    g.throughput(Throughput::Elements(1));
    g.bench_function("2_constants_200_rows", |b| {
        b.iter(|| {
            let r = fit_ev.improve(black_box(&quadratic), &EvalContext::default());
            assert!(matches!(r, Improvement::Improved(_)));
            black_box(r)
        })
    });
    g.finish();
}

/// `c0·x² + c1` (starting at 1.0, −0.3) against `2.5·x² + 0.7` on 200 rows.
fn quadratic_setup() -> (SymbolicRegressionEvaluator, Program) {
    let space_src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/search_spaces/symbolic_regression.toml"
    ))
    .unwrap();
    let space = SearchSpace::from_toml(&space_src, "symbolic_regression.toml").unwrap();
    let xs: Vec<f64> = (0..200).map(|i| -2.0 + 4.0 * i as f64 / 200.0).collect();
    let target = xs.iter().map(|x| 2.5 * x * x + 0.7).collect();
    let data = Dataset {
        names: vec!["x".into()],
        columns: vec![xs],
        target,
    };
    let ev = SymbolicRegressionEvaluator::new(space, "bench", &data, &data);
    let p = Program::from_json(
        r#"{"inputs":[{"name":"x","dtype":"float"}],"nodes":[
        {"op":"mul","args":[0,0]},{"op":"const","value":1.0},{"op":"mul","args":[2,1]},
        {"op":"const","value":-0.3},{"op":"add","args":[3,4]}],"output":5}"#,
        "bench",
    )
    .unwrap();
    (ev, p)
}

criterion_group!(benches, bench);
criterion_main!(benches);
