//! Running an optimizer program on flat parameter vectors: one step maps
//! `(w, g, m, v, lr, step)` to `(update, m', v')` and applies `w ← w − update`
//! (Chen et al., "Symbolic Discovery of Optimization Algorithms", 2023, §2).

use crate::program::interpreter::Interpreter;
use crate::program::ops::KernelContext;
use crate::program::space::SearchSpace;
use crate::program::value::Value;
use crate::program::{DType, Program};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Names of an optimizer program's inputs, in order: weights `w`, gradient `g`, the two state
/// buffers `m` and `v` (each `[N]`, one entry per parameter), the learning rate `lr` and the
/// 1-based step count `step` (both scalars broadcast over `[N]`).
pub const OPTIMIZER_INPUTS: [&str; 6] = ["w", "g", "m", "v", "lr", "step"];

/// An optimizer step produced a NaN or ±∞ (update or state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the update rule produced a non-finite value")]
pub struct NonFiniteUpdate;

/// Per-parameter-tensor state of an optimizer program: the buffers `m`, `v` (zeros at start,
/// like Adam's moments) and the number of steps taken.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OptimizerState {
    /// First state buffer, `[N]`.
    pub m: Vec<f64>,
    /// Second state buffer, `[N]`.
    pub v: Vec<f64>,
    /// Steps taken so far (the next step is `step + 1`).
    pub step: u64,
}

impl OptimizerState {
    /// Zero buffers for a tensor of `n` entries.
    pub fn zeros(n: usize) -> Self {
        OptimizerState {
            m: vec![0.0; n],
            v: vec![0.0; n],
            step: 0,
        }
    }
}

/// Checks that `space` is an optimizer space: its inputs are [`OPTIMIZER_INPUTS`] and its output
/// an [`DType::Update`].
///
/// # Errors
/// A message naming the first mismatch.
pub fn check_space(space: &SearchSpace) -> Result<(), String> {
    let names: Vec<&str> = space.inputs.iter().map(|i| i.name.as_str()).collect();
    if names != OPTIMIZER_INPUTS || space.output != DType::Update {
        return Err(format!(
            "space `{}` is not an optimizer space (inputs must be {:?} and the output `update`; try --space optimizer)",
            space.name, OPTIMIZER_INPUTS
        ));
    }
    Ok(())
}

/// An optimizer program ready to step parameter vectors; keeps its interpreter's buffers.
#[derive(Debug)]
pub struct UpdateRule {
    program: Program,
    interpreter: Interpreter,
    inputs: Vec<Value>,
    rng: ChaCha8Rng,
}

impl Clone for UpdateRule {
    fn clone(&self) -> Self {
        UpdateRule::new(self.program.clone())
    }
}

impl UpdateRule {
    /// Wraps a program whose inputs are [`OPTIMIZER_INPUTS`] and whose output is an `update`.
    pub fn new(program: Program) -> Self {
        UpdateRule {
            program,
            interpreter: Interpreter::new(),
            inputs: vec![Value::default(); OPTIMIZER_INPUTS.len()],
            rng: ChaCha8Rng::seed_from_u64(0),
        }
    }

    /// The program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// One optimizer step on one parameter tensor: `w` and `g` are `[N]`, `state` holds `m`, `v`
    /// (`[N]`) and the step count; `lr` is the learning rate. Writes `w ← w − update` and the new
    /// state, and returns the update's L2 norm.
    ///
    /// # Errors
    /// [`NonFiniteUpdate`] when the update or a new state entry is NaN or ±∞ (then `w` and
    /// `state` are left as they were), or when the new weights overflow.
    pub fn step(
        &mut self,
        w: &mut [f64],
        g: &[f64],
        state: &mut OptimizerState,
        lr: f64,
    ) -> Result<f64, NonFiniteUpdate> {
        let n = w.len();
        debug_assert_eq!(g.len(), n);
        if state.m.len() != n {
            *state = OptimizerState::zeros(n);
        }
        let step = (state.step + 1) as f64;
        for (slot, data) in self
            .inputs
            .iter_mut()
            .zip([&*w, g, &state.m[..], &state.v[..]])
        {
            slot.reshape_for(n, 1);
            slot.data.copy_from_slice(data);
        }
        self.inputs[4] = Value::scalar(lr);
        self.inputs[5] = Value::scalar(step);
        let mut ctx = KernelContext::new(&mut self.rng);
        let out = self.interpreter.run(&self.program, &self.inputs, &mut ctx);
        if out.data.iter().any(|x| !x.is_finite()) {
            return Err(NonFiniteUpdate);
        }
        let mut norm = 0.0;
        for (i, wi) in w.iter_mut().enumerate() {
            let u = out.at(i, 0);
            *wi -= u;
            norm += u * u;
            state.m[i] = out.at(i, 1);
            state.v[i] = out.at(i, 2);
        }
        if w.iter().any(|x| !x.is_finite()) {
            return Err(NonFiniteUpdate);
        }
        state.step += 1;
        Ok(norm.sqrt())
    }
}
