//! The functional hash's probe for losses: the loss value on fixed random transitions with fixed
//! random small Q-networks, every RNG reset per candidate (Co-Reyes et al., ICLR 2021, §3.2;
//! the whole output vector is hashed, not its rounded sum), and the f64 Q-network it uses.

use crate::program::Program;
use crate::program::interpreter::Interpreter;
use crate::program::ops::{KernelContext, ParamFunction};
use crate::program::value::Value;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cell::RefCell;

/// Transitions per probe batch.
pub const PROBE_TRANSITIONS: usize = 10;
/// Probe batches (independent networks and transitions), concatenated.
pub const PROBE_REPEATS: usize = 2;
const STATE_DIM: usize = 4;
const ACTIONS: usize = 3;
const SEED: u64 = 0x10_55_f0_0d;

thread_local! {
    static INTERPRETER: RefCell<Interpreter> = RefCell::new(Interpreter::new());
}

/// Fixed probe inputs for RL-loss programs.
#[derive(Debug, Clone)]
pub struct LossProbe {
    /// Per repeat: (online net, target net, input values in the space's order).
    sets: Vec<(Vec<QNetworkF64>, Vec<Value>)>,
}

impl Default for LossProbe {
    fn default() -> Self {
        Self::new()
    }
}

impl LossProbe {
    /// The canonical probe (the same in every process and version of this file).
    pub fn new() -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(SEED);
        let sets = (0..PROBE_REPEATS)
            .map(|_| {
                let online = QNetworkF64::random(&[STATE_DIM, 8, ACTIONS], &mut rng);
                let target = QNetworkF64::random(&[STATE_DIM, 8, ACTIONS], &mut rng);
                let n = PROBE_TRANSITIONS;
                let states = |rng: &mut ChaCha8Rng| {
                    Value::matrix(
                        (0..n * STATE_DIM)
                            .map(|_| rng.random_range(-1.0..1.0))
                            .collect(),
                        STATE_DIM,
                    )
                };
                let s_tm1 = states(&mut rng);
                let s_t = states(&mut rng);
                let action = Value::column(
                    (0..n)
                        .map(|_| rng.random_range(0..ACTIONS) as f64)
                        .collect(),
                );
                let reward = Value::column((0..n).map(|_| rng.random_range(-1.0..1.0)).collect());
                let discount = Value::column(
                    (0..n)
                        .map(|i| if i % 5 == 4 { 0.0 } else { 0.99 })
                        .collect(),
                );
                // Param values index the networks: 0 online, 1 target.
                let inputs = vec![
                    Value::scalar(0.0),
                    action,
                    s_tm1,
                    Value::scalar(1.0),
                    s_t,
                    reward,
                    discount,
                ];
                (vec![online, target], inputs)
            })
            .collect();
        LossProbe { sets }
    }

    /// Inputs of the space's order mapped to probe values, by input name.
    fn inputs_for(&self, program: &Program, set: usize) -> Vec<Value> {
        let names = super::LOSS_INPUTS;
        program
            .inputs
            .iter()
            .map(|inp| {
                let k = names.iter().position(|n| *n == inp.name).unwrap_or(0);
                self.sets[set].1[k].clone()
            })
            .collect()
    }

    /// The loss values on every probe transition, concatenated (`PROBE_REPEATS × PROBE_TRANSITIONS`).
    pub fn outputs(&self, program: &Program) -> Vec<f64> {
        self.outputs_with(program, |_, _| {})
    }

    /// Whether the loss reads the reward or the termination signal: its probe outputs change
    /// when `reward` is replaced by other rewards, or when `discount` is (terminal transitions
    /// moved). A loss that reads neither, e.g. `max_list(abs(Q(s_tm1)))`, cannot tell good
    /// behaviour from bad whatever its gradient.
    pub fn reads_reward(&self, program: &Program) -> bool {
        let base = self.outputs(program);
        let same = |other: Vec<f64>| {
            other
                .iter()
                .zip(&base)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        };
        // Inputs by LOSS_INPUTS position: 5 reward, 6 discount.
        let other_rewards = self.outputs_with(program, |k, v| {
            if k == 5 {
                *v = Value::column(v.data.iter().map(|r| 0.5 - 2.0 * r).collect());
            }
        });
        if !same(other_rewards) {
            return true;
        }
        let other_discounts = self.outputs_with(program, |k, v| {
            if k == 6 {
                *v = Value::column(v.data.iter().map(|d| 0.99 - d).collect());
            }
        });
        !same(other_discounts)
    }

    /// [`LossProbe::outputs`] with each input value first passed through `edit(index in
    /// LOSS_INPUTS, value)`.
    fn outputs_with(&self, program: &Program, edit: impl Fn(usize, &mut Value)) -> Vec<f64> {
        let mut out = Vec::with_capacity(PROBE_REPEATS * PROBE_TRANSITIONS);
        INTERPRETER.with(|it| {
            let mut it = it.borrow_mut();
            for (s, (nets, _)) in self.sets.iter().enumerate() {
                let mut inputs = self.inputs_for(program, s);
                for (inp, v) in program.inputs.iter().zip(&mut inputs) {
                    if let Some(k) = super::LOSS_INPUTS.iter().position(|n| *n == inp.name) {
                        edit(k, v);
                    }
                }
                let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ s as u64);
                let functions: Vec<&dyn ParamFunction> =
                    nets.iter().map(|n| n as &dyn ParamFunction).collect();
                let mut ctx = KernelContext {
                    functions: &functions,
                    rng: &mut rng,
                };
                let v = it.run(program, &inputs, &mut ctx);
                out.extend(v.broadcast_to(PROBE_TRANSITIONS, 1));
            }
        });
        out
    }
}

/// A ReLU MLP `S → hidden… → A` in f64, evaluated row by row.
///
/// Used only on the CPU path: the functional hash of an RL loss applies the loss to fixed random
/// transitions with fixed random small Q-networks (Co-Reyes et al., ICLR 2021, §3.2).
#[derive(Debug, Clone, PartialEq)]
pub struct QNetworkF64 {
    /// `(weights [out × in] row-major, bias [out])` per layer.
    pub layers: Vec<(Vec<f64>, Vec<f64>)>,
    /// Layer sizes, input first.
    pub sizes: Vec<usize>,
}

impl QNetworkF64 {
    /// A network with weights drawn uniformly from ±1/√fan_in (PyTorch's Linear default range).
    pub fn random(sizes: &[usize], rng: &mut ChaCha8Rng) -> Self {
        let mut layers = Vec::new();
        for w in sizes.windows(2) {
            let (fan_in, fan_out) = (w[0], w[1]);
            let bound = 1.0 / (fan_in as f64).sqrt();
            let weights = (0..fan_in * fan_out)
                .map(|_| rng.random_range(-bound..bound))
                .collect();
            let bias = (0..fan_out)
                .map(|_| rng.random_range(-bound..bound))
                .collect();
            layers.push((weights, bias));
        }
        QNetworkF64 {
            layers,
            sizes: sizes.to_vec(),
        }
    }

    /// Number of outputs (actions).
    pub fn num_outputs(&self) -> usize {
        *self.sizes.last().unwrap_or(&0)
    }

    /// Q-values for a batch of states `[rows, S]` (row-major) → `[rows, A]` (row-major).
    pub fn forward(&self, states: &[f64], rows: usize) -> Vec<f64> {
        let mut cur = states.to_vec();
        let last = self.layers.len().saturating_sub(1);
        for (l, (w, b)) in self.layers.iter().enumerate() {
            let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
            let mut next = vec![0.0; rows * n_out];
            for r in 0..rows {
                let x = &cur[r * n_in..(r + 1) * n_in];
                for o in 0..n_out {
                    let row = &w[o * n_in..(o + 1) * n_in];
                    let mut s = b[o];
                    for (wi, xi) in row.iter().zip(x) {
                        s += wi * xi;
                    }
                    next[r * n_out + o] = if l < last { s.max(0.0) } else { s };
                }
            }
            cur = next;
        }
        cur
    }
}

/// `qvalue_list(param, states)` runs the network a `Param` value names.
impl ParamFunction for QNetworkF64 {
    fn outputs(&self) -> usize {
        self.num_outputs()
    }

    fn apply(&self, states: &[f64], rows: usize) -> Vec<f64> {
        self.forward(states, rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains::rl_loss::test_programs::program;

    #[test]
    fn reward_dependence_is_functional() {
        let probe = LossProbe::new();
        for (name, text) in crate::catalog::seeds("rl_loss") {
            let p = Program::from_json(&text, &name).unwrap();
            assert!(probe.reads_reward(&p), "{name}");
        }
        // Inputs: 0 q_param, 1 action, 2 s_tm1, 3 q_targ_param, 4 s_t, 5 reward, 6 discount.
        let ignores = program(&[("qvalue_list", &[0, 2]), ("abs", &[7]), ("max_list", &[8])]);
        assert!(!probe.reads_reward(&ignores));
        // Reads the reward, then cancels it.
        let cancels = program(&[
            ("qvalue_list", &[0, 2]),
            ("max_list", &[7]),
            ("sub", &[5, 5]),
            ("add", &[8, 9]),
        ]);
        assert!(!probe.reads_reward(&cancels));
        // Only the termination signal.
        let discount = program(&[
            ("qvalue_list", &[0, 2]),
            ("max_list", &[7]),
            ("mul", &[8, 6]),
        ]);
        assert!(probe.reads_reward(&discount));
    }
}
