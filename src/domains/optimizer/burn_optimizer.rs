//! Any optimizer program as a burn optimizer: [`ProgramOptimizer`] implements burn's
//! [`Optimizer`] (one parameter tensor at a time), so `ModuleOptimizer::from(...)` trains any
//! burn module with a discovered update rule — the inner loop and users reusing a discovery
//! call the same code.
//!
//! Each step copies the parameter and its gradient to the CPU and runs the program through the
//! f64 interpreter ([`UpdateRule`]): exact gevo semantics on every backend, at the price of a
//! host round trip per tensor (negligible for the small networks of the inner loops; a GPU
//! trainer with large tensors pays for it).

use super::update_rule::{OptimizerState, UpdateRule};
use crate::program::Program;
use burn::optim::{LearningRate, ModuleOptimizer, Optimizer, RecordState, StateSink, StateSource};
use burn::tensor::{Device, Tensor, TensorData};
use std::sync::Arc;

/// A burn optimizer running an optimizer program (inputs `w, g, m, v, lr, step`, output
/// `update_rule(update, m', v')`; Chen et al., "Symbolic Discovery of Optimization Algorithms",
/// 2023, §2): `w ← w − update`.
///
/// A step whose update is NaN or ±∞ fills the parameter with NaN, so the trainer's next loss is
/// non-finite and it can stop (burn's optimizer API has no error channel).
#[derive(Clone, Debug)]
pub struct ProgramOptimizer {
    program: Arc<Program>,
}

impl ProgramOptimizer {
    /// Wraps a program of the `optimizer` space (validate it first, e.g. with
    /// [`crate::program::validate::validate`]).
    pub fn new(program: Program) -> Self {
        ProgramOptimizer {
            program: Arc::new(program),
        }
    }

    /// The optimizer for a whole module: `optim.step(lr, module, grads)`.
    pub fn init(&self) -> ModuleOptimizer {
        ModuleOptimizer::from(self.clone())
    }
}

/// The state of one parameter tensor: the program's buffers `m`, `v` (shape of the parameter)
/// and the number of steps taken.
#[derive(Clone, Debug)]
pub struct ProgramOptimizerState<const D: usize> {
    /// First state buffer.
    pub m: Tensor<D>,
    /// Second state buffer.
    pub v: Tensor<D>,
    /// Steps taken.
    pub step: usize,
}

impl<const D: usize> RecordState for ProgramOptimizerState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        out.push_tensor(prefix, "m", self.m.to_data());
        out.push_tensor(prefix, "v", self.v.to_data());
        out.push_tensor(prefix, "step", TensorData::new(vec![self.step as f32], [1]));
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, device: &Device) -> Option<Self> {
        let m = Tensor::from_data(src.take_tensor(prefix, "m")?, device);
        let v = Tensor::from_data(src.take_tensor(prefix, "v")?, device);
        let step = src.take_tensor(prefix, "step")?.iter::<f32>().next()? as usize;
        Some(ProgramOptimizerState { m, v, step })
    }
}

fn to_f64<const D: usize>(t: &Tensor<D>) -> Vec<f64> {
    t.to_data().iter::<f64>().collect()
}

fn from_f64<const D: usize>(x: &[f64], dims: [usize; D], device: &Device) -> Tensor<D> {
    let data: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    Tensor::from_data(TensorData::new(data, dims), device)
}

impl Optimizer for ProgramOptimizer {
    type State<const D: usize> = ProgramOptimizerState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let dims = tensor.dims();
        let device = tensor.device();
        let mut w = to_f64(&tensor);
        let g = to_f64(&grad);
        let mut st = match &state {
            Some(s) => OptimizerState {
                m: to_f64(&s.m),
                v: to_f64(&s.v),
                step: s.step as u64,
            },
            None => OptimizerState::zeros(w.len()),
        };
        let mut rule = UpdateRule::new((*self.program).clone());
        if rule.step(&mut w, &g, &mut st, lr).is_err() {
            w.fill(f64::NAN);
        }
        let state = ProgramOptimizerState {
            m: from_f64(&st.m, dims, &device),
            v: from_f64(&st.v, dims, &device),
            step: st.step as usize,
        };
        (from_f64(&w, dims, &device), Some(state))
    }

    fn to_device<const D: usize>(mut state: Self::State<D>, device: &Device) -> Self::State<D> {
        state.m = state.m.to_device(device);
        state.v = state.v.to_device(device);
        state
    }
}
