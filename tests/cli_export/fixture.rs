//! Random inputs for round-trip tests: the same batch as gevo's interpreter values and as the
//! named arrays an exported function takes, plus gevo's own f64 output on it.
#![allow(dead_code)]

use gevo::Program;
use gevo::domains::rl_loss::probe::QNetworkF64;
use gevo::program::interpreter::Interpreter;
use gevo::program::ops::{KernelContext, ParamFunction};
use gevo::program::value::Value;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value as Json, json};

/// Transitions (or rows) per batch.
pub const B: usize = 16;
/// Actions.
pub const A: usize = 3;
const S: usize = 4;

/// One batch: interpreter inputs, networks, and the exported function's arguments.
pub struct Batch {
    /// Interpreter inputs in the program's input order.
    pub values: Vec<Value>,
    /// Online and target networks (`Param` values 0 and 1).
    pub nets: Vec<QNetworkF64>,
    /// Argument name → `{data, shape, int}`.
    pub args: serde_json::Map<String, Json>,
}

impl Batch {
    /// The numbers of argument `name`, flattened row-major.
    pub fn floats(&self, name: &str) -> Vec<f64> {
        self.args[name]["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    }
}

fn arg(data: &[f64], shape: &[usize], int: bool) -> Json {
    json!({"data": data, "shape": shape, "int": int})
}

/// A DQN minibatch for the RL-loss inputs (q_param, action, s_tm1, q_targ_param, s_t, reward,
/// discount), with every Q-value table an export may ask for.
pub fn rl_batch(rng: &mut ChaCha8Rng) -> Batch {
    let online = QNetworkF64::random(&[S, 8, A], rng);
    let target = QNetworkF64::random(&[S, 8, A], rng);
    let mut uniform =
        |n: usize| -> Vec<f64> { (0..n).map(|_| rng.random_range(-1.0..1.0)).collect() };
    let s_tm1 = uniform(B * S);
    let s_t = uniform(B * S);
    let reward = uniform(B);
    let action: Vec<f64> = (0..B).map(|i| ((i * 7 + 3) % A) as f64).collect();
    let discount: Vec<f64> = (0..B)
        .map(|i| if i % 5 == 4 { 0.0 } else { 0.99 })
        .collect();
    let mut args = serde_json::Map::new();
    args.insert(
        "q_values".into(),
        arg(&online.forward(&s_tm1, B), &[B, A], false),
    );
    args.insert(
        "next_q_values".into(),
        arg(&target.forward(&s_t, B), &[B, A], false),
    );
    args.insert(
        "next_q_values_online".into(),
        arg(&online.forward(&s_t, B), &[B, A], false),
    );
    args.insert(
        "q_values_target".into(),
        arg(&target.forward(&s_tm1, B), &[B, A], false),
    );
    args.insert("actions".into(), arg(&action, &[B], true));
    args.insert("rewards".into(), arg(&reward, &[B], false));
    args.insert("discounts".into(), arg(&discount, &[B], false));
    let values = vec![
        Value::scalar(0.0),
        Value::column(action),
        Value::matrix(s_tm1, S),
        Value::scalar(1.0),
        Value::matrix(s_t, S),
        Value::column(reward),
        Value::column(discount),
    ];
    Batch {
        values,
        nets: vec![online, target],
        args,
    }
}

/// Rows of features `names`, uniform in [-2, 2].
pub fn plain_batch(names: &[&str], rng: &mut ChaCha8Rng) -> Batch {
    let mut values = Vec::new();
    let mut args = serde_json::Map::new();
    for n in names {
        let col: Vec<f64> = (0..B).map(|_| rng.random_range(-2.0..2.0)).collect();
        args.insert((*n).into(), arg(&col, &[B], false));
        values.push(Value::column(col));
    }
    Batch {
        values,
        nets: vec![],
        args,
    }
}

/// gevo's own f64 output of `p` on `batch`, one number per row.
pub fn reference(p: &Program, batch: &Batch) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let functions: Vec<&dyn ParamFunction> =
        batch.nets.iter().map(|n| n as &dyn ParamFunction).collect();
    let mut ctx = KernelContext {
        functions: &functions,
        rng: &mut rng,
    };
    Interpreter::new()
        .run(p, &batch.values, &mut ctx)
        .broadcast_to(B, 1)
}

/// Whether `got` matches `want` to 1e-6 relative (absolute below 1). Non-finite references are
/// not compared; returns how many values were.
pub fn assert_close(what: &str, got: &[Option<f64>], want: &[f64]) -> usize {
    assert_eq!(got.len(), want.len(), "{what}: output length");
    let mut compared = 0;
    for (r, (g, w)) in got.iter().zip(want).enumerate() {
        if !w.is_finite() {
            continue;
        }
        let g = g.unwrap_or_else(|| {
            panic!("{what}: row {r}: exported code gave a non-finite value, gevo {w}")
        });
        assert!(
            (g - w).abs() <= 1e-6 * w.abs().max(1.0),
            "{what}: row {r}: exported {g} vs gevo {w}"
        );
        compared += 1;
    }
    compared
}

/// The seed programs of the RL-loss space, by name.
pub fn seeds() -> Vec<(String, Program)> {
    gevo::catalog::seeds("rl_loss")
        .into_iter()
        .map(|(n, t)| {
            let p = Program::from_json(&t, &n).unwrap();
            (n, p)
        })
        .collect()
}

/// `n` random valid programs of a shipped space (`x0`, `x1` bound for task-input spaces),
/// without `add_gaussian_noise` (random, so not comparable).
pub fn random_programs(space: &str, n: usize, seed: u64) -> Vec<Program> {
    let src = gevo::catalog::space(space).unwrap();
    let space = gevo::program::space::SearchSpace::from_toml(&src.text, &src.origin)
        .unwrap()
        .with_task_inputs(&["x0".to_string(), "x1".to_string()]);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    while out.len() < n {
        let p = gevo::program::generate::random_program(&space, &mut rng).unwrap();
        if !p
            .nodes
            .iter()
            .any(|node| node.op.name() == "add_gaussian_noise")
        {
            out.push(p);
        }
    }
    out
}

/// A batch for `p`: a DQN minibatch for losses, feature rows otherwise.
pub fn batch_for(p: &Program, rng: &mut ChaCha8Rng) -> Batch {
    if p.inputs.iter().any(|i| i.name == "q_param") {
        rl_batch(rng)
    } else {
        let names: Vec<&str> = p.inputs.iter().map(|i| i.name.as_str()).collect();
        plain_batch(&names, rng)
    }
}
