//! The functional hash's probe for losses: the loss value on fixed random transitions with fixed
//! random small Q-networks, every RNG reset per candidate (Co-Reyes et al., ICLR 2021, §3.2;
//! the whole output vector is hashed, not its rounded sum).

use crate::program::Program;
use crate::program::interpreter::Interpreter;
use crate::program::ops::KernelContext;
use crate::program::qnetwork::QNetworkF64;
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
        let mut out = Vec::with_capacity(PROBE_REPEATS * PROBE_TRANSITIONS);
        INTERPRETER.with(|it| {
            let mut it = it.borrow_mut();
            for (s, (nets, _)) in self.sets.iter().enumerate() {
                let inputs = self.inputs_for(program, s);
                let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ s as u64);
                let mut ctx = KernelContext {
                    networks: nets,
                    rng: &mut rng,
                };
                let v = it.run(program, &inputs, &mut ctx);
                out.extend(v.broadcast_to(PROBE_TRANSITIONS, 1));
            }
        });
        out
    }
}
