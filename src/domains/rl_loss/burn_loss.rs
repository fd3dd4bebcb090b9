//! Loss programs on burn: the program run node by node through each op's tensor kernel
//! ([`crate::program::ops::OpSpec::tensor_kernel`]), so an evolved loss trains a Q-network
//! through autodiff.
//!
//! `qvalue_list(q_param, ·)` runs the online network (gradients flow into θ);
//! `qvalue_list(q_targ_param, ·)` runs the target network, detached. Constants are kept as f64
//! (folded through the f64 kernels) until they meet a tensor, then broadcast. The f64 kernels and
//! the tensor kernels agree on the same inputs (tested below).

use super::dqn::{DqnLoss, LossInputs};
use crate::program::ops::fold;
use crate::program::ops::tensor::{TensorContext, TensorFunctions, TensorValue};
use crate::program::{Program, ProgramError};
use burn::tensor::Tensor;
use std::collections::HashMap;

/// `Param` handle of the online network θ (`q_param`), as on the f64 probe.
const ONLINE: usize = 0;
/// `Param` handle of the target network θ' (`q_targ_param`).
const TARGET: usize = 1;

/// The two Q-networks of a minibatch; each network is run once per state input.
struct Networks<'a, 'b> {
    x: &'a LossInputs<'b>,
    cache: HashMap<(usize, usize), Tensor<2>>,
}

impl TensorFunctions for Networks<'_, '_> {
    fn apply(&mut self, handle: usize, input: usize, states: Tensor<2>) -> Tensor<2> {
        let x = self.x;
        self.cache
            .entry((handle, input))
            .or_insert_with(|| match handle {
                ONLINE => x.online.q_values(states),
                _ => x.target.q_values(states).detach(),
            })
            .clone()
    }
}

/// An evolved loss program usable as a DQN loss.
#[derive(Debug, Clone)]
pub struct ProgramLoss {
    program: Program,
    live: Vec<bool>,
}

impl ProgramLoss {
    /// Wraps a program of an RL-loss space (inputs: q_param, action, s_tm1, q_targ_param, s_t,
    /// reward, discount). The program must be valid for that space.
    pub fn new(program: Program) -> Self {
        let live = program.live_mask();
        ProgramLoss { program, live }
    }

    /// Checks that `program` is an RL loss (the inputs of [`super::LOSS_INPUTS`], ops and
    /// types of the `rl_loss_large` space, a float output that depends on `q_param`) and wraps
    /// it. The entry point for reusing a discovered loss in a burn DQN trainer: the result is a
    /// [`DqnLoss`] mapping a minibatch ([`LossInputs`], `B` transitions) to the per-sample loss
    /// `[B]`. Co-Reyes et al., "Evolving Reinforcement Learning Algorithms", ICLR 2021, §3.
    ///
    /// # Errors
    /// [`ProgramError`] naming the first rule the program breaks.
    pub fn try_new(program: Program) -> Result<Self, ProgramError> {
        let space =
            crate::catalog::load_space("rl_loss_large").map_err(|e| ProgramError::Parse {
                origin: "rl_loss_large".into(),
                line: 0,
                column: 0,
                message: e.to_string(),
            })?;
        crate::program::validate::validate(&program, &space)?;
        Ok(Self::new(program))
    }

    /// Loads a loss program from a JSON file (a seed, an export, `gevo export --format json`)
    /// and checks it as [`ProgramLoss::try_new`] does.
    ///
    /// # Errors
    /// [`ProgramError::Io`] / [`ProgramError::Parse`] for an unreadable file, else as
    /// [`ProgramLoss::try_new`].
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self, ProgramError> {
        Self::try_new(Program::load(path)?)
    }

    /// The wrapped program.
    pub fn program(&self) -> &Program {
        &self.program
    }
}

impl ProgramLoss {
    /// Evaluates the program on a minibatch; returns the per-transition loss `[B]`.
    pub fn forward(&self, x: &LossInputs<'_>) -> Tensor<1> {
        let p = &self.program;
        let n_in = p.inputs.len();
        let batch = x.reward.dims()[0];
        let mut vals: Vec<Option<TensorValue>> = vec![None; p.len()];
        for (i, inp) in p.inputs.iter().enumerate() {
            if !self.live[i] {
                continue;
            }
            vals[i] = Some(match inp.name.as_str() {
                "q_param" => TensorValue::Param(ONLINE),
                "q_targ_param" => TensorValue::Param(TARGET),
                "action" => TensorValue::Action(x.action.clone()),
                "s_tm1" => TensorValue::State {
                    rows: x.s_tm1.clone(),
                    input: i,
                },
                "s_t" => TensorValue::State {
                    rows: x.s_t.clone(),
                    input: i,
                },
                "reward" => TensorValue::Float(x.reward.clone()),
                "discount" => TensorValue::Float(x.discount.clone()),
                other => {
                    panic!("unknown RL-loss input `{other}` (the space is validated at load time)")
                }
            });
        }
        let mut networks = Networks {
            x,
            cache: HashMap::new(),
        };
        let mut ctx = TensorContext {
            batch,
            functions: &mut networks,
        };
        for (k, node) in p.nodes.iter().enumerate() {
            let i = n_in + k;
            if !self.live[i] {
                continue;
            }
            // A live node's arguments are live and earlier, so they all have values.
            let Some(args) = node
                .args
                .iter()
                .map(|&a| vals[a].clone())
                .collect::<Option<Vec<TensorValue>>>()
            else {
                continue;
            };
            let constants: Option<Vec<f64>> = args
                .iter()
                .map(|a| match a {
                    TensorValue::Const(c) => Some(*c),
                    _ => None,
                })
                .collect();
            let out = if node.op.is_const() {
                TensorValue::Const(node.value.unwrap_or(0.0))
            } else if let Some(cs) = constants {
                // Folded through the f64 kernel, so both paths agree on constants exactly.
                TensorValue::Const(fold(node.op, &cs))
            } else {
                let kernel = node
                    .op
                    .spec()
                    .tensor_kernel
                    .unwrap_or_else(|| unreachable!("op `{}` has no burn kernel", node.op));
                kernel(&args, &mut ctx)
            };
            vals[i] = Some(out);
        }
        match vals[p.output].take() {
            Some(TensorValue::Float(t)) => t,
            Some(TensorValue::Const(c)) => Tensor::full([batch], c, &x.reward.device()),
            _ => unreachable!("validated losses output a float"),
        }
    }
}

impl DqnLoss for ProgramLoss {
    fn loss(&self, inputs: &LossInputs<'_>) -> Tensor<1> {
        self.forward(inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains::rl_loss::dqn::{OnlineNetwork, QNetwork};
    use crate::program::generate::random_program;
    use crate::program::interpreter::Interpreter;
    use crate::program::ops::{KernelContext, ParamFunction};
    use crate::program::space::SearchSpace;
    use crate::program::value::Value;
    use burn::tensor::Int;
    use burn::tensor::{Device, TensorData};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn space(name: &str) -> SearchSpace {
        let src = crate::catalog::space(name).unwrap();
        SearchSpace::from_toml(&src.text, &src.origin).unwrap()
    }

    /// Random transitions as f64 values (interpreter) and as burn tensors.
    struct Batch {
        values: Vec<Value>,
        s_tm1: Tensor<2>,
        action: Tensor<1, Int>,
        reward: Tensor<1>,
        discount: Tensor<1>,
        s_t: Tensor<2>,
    }

    fn batch(device: &Device, rng: &mut ChaCha8Rng) -> Batch {
        use rand::Rng;
        let (b, s) = (16, 4);
        let r32 = |rng: &mut ChaCha8Rng, n: usize| -> Vec<f32> {
            (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
        };
        let s_tm1 = r32(rng, b * s);
        let s_t = r32(rng, b * s);
        let reward = r32(rng, b);
        let discount: Vec<f32> = (0..b)
            .map(|i| if i % 4 == 0 { 0.0 } else { 0.99 })
            .collect();
        let action: Vec<i64> = (0..b).map(|_| rng.random_range(0..3)).collect();
        let f = |v: &[f32]| v.iter().map(|x| *x as f64).collect::<Vec<_>>();
        let values = vec![
            Value::scalar(0.0),
            Value::column(action.iter().map(|a| *a as f64).collect()),
            Value::matrix(f(&s_tm1), s),
            Value::scalar(1.0),
            Value::matrix(f(&s_t), s),
            Value::column(f(&reward)),
            Value::column(f(&discount)),
        ];
        Batch {
            values,
            s_tm1: Tensor::from_data(TensorData::new(s_tm1, [b, s]), device),
            action: Tensor::from_data(TensorData::new(action, [b]), device),
            reward: Tensor::from_data(TensorData::new(reward, [b]), device),
            discount: Tensor::from_data(TensorData::new(discount, [b]), device),
            s_t: Tensor::from_data(TensorData::new(s_t, [b, s]), device),
        }
    }

    /// The burn kernels and the f64 kernels agree on the seeds and on random programs of the
    /// 34-op space (every op appears many times).
    #[test]
    fn burn_and_f64_paths_agree() {
        let device = Device::flex();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let online = QNetwork::new(4, &[8], 3, &mut rng, &device);
        let target = QNetwork::new(4, &[8], 3, &mut rng, &device);
        let nets = [online.to_f64(), target.to_f64()];
        let functions: Vec<&dyn ParamFunction> =
            nets.iter().map(|n| n as &dyn ParamFunction).collect();
        let large = space("rl_loss_large");
        let mut programs: Vec<Program> = crate::catalog::seeds("rl_loss")
            .iter()
            .map(|(n, t)| Program::from_json(t, n).unwrap())
            .collect();
        let noise = crate::program::OpId::by_name("add_gaussian_noise").unwrap();
        while programs.len() < 300 {
            let p = random_program(&large, &mut rng).unwrap();
            if !p.nodes.iter().any(|n| n.op == noise) {
                programs.push(p);
            }
        }
        let mut it = Interpreter::new();
        let mut compared = 0;
        for (k, p) in programs.iter().enumerate() {
            let b = batch(&device, &mut rng);
            let theta = OnlineNetwork::new(&online);
            let inputs = LossInputs {
                online: &theta,
                target: &target,
                s_tm1: b.s_tm1.clone(),
                action: b.action.clone(),
                reward: b.reward.clone(),
                discount: b.discount.clone(),
                s_t: b.s_t.clone(),
            };
            let got: Vec<f32> = ProgramLoss::new(p.clone())
                .forward(&inputs)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            let mut krng = ChaCha8Rng::seed_from_u64(0);
            let mut ctx = KernelContext {
                functions: &functions,
                rng: &mut krng,
            };
            let want = it.run(p, &b.values, &mut ctx).broadcast_to(16, 1);
            for (g, w) in got.iter().zip(&want) {
                let (g, w) = (*g as f64, *w);
                if !w.is_finite() || w.abs() > 1e6 {
                    continue; // f32 overflows where f64 does not
                }
                let tol = 1e-3 * (1.0 + w.abs());
                assert!(
                    (g - w).abs() <= tol,
                    "program {k}: burn {g} vs f64 {w}\n{}",
                    crate::program::print::infix(p)
                );
                compared += 1;
            }
        }
        assert!(
            compared > 3000,
            "too few finite outputs compared: {compared}"
        );
    }

    /// Gradients of the batch-mean loss reach every parameter of θ for every seed loss, and
    /// none for a loss that only reads the target network (the control).
    #[test]
    fn seed_losses_are_differentiable_in_theta() {
        let plain = Device::flex();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let online = QNetwork::new(4, &[8], 3, &mut rng, &plain);
        let target = QNetwork::new(4, &[8], 3, &mut rng, &plain);
        let grads_of = |p: &Program, rng: &mut ChaCha8Rng| {
            let b = batch(&plain, rng);
            let theta = OnlineNetwork::new(&online);
            let inputs = LossInputs {
                online: &theta,
                target: &target,
                s_tm1: b.s_tm1,
                action: b.action,
                reward: b.reward,
                discount: b.discount,
                s_t: b.s_t,
            };
            let loss = ProgramLoss::new(p.clone()).forward(&inputs).mean();
            if !loss.is_autodiff() {
                return 0; // nothing tracked: no gradient can reach θ
            }
            theta
                .backprop(&loss.backward())
                .iter()
                .map(|(w, b)| usize::from(w.is_some()) + usize::from(b.is_some()))
                .sum()
        };
        for (name, text) in crate::catalog::seeds("rl_loss") {
            let p = Program::from_json(&text, &name).unwrap();
            assert_eq!(
                grads_of(&p, &mut rng),
                4,
                "{name}: 2 weights + 2 biases get gradients"
            );
        }
        let (_, dqn) = crate::catalog::seeds("rl_loss")
            .into_iter()
            .find(|(n, _)| n == "dqn")
            .unwrap();
        let mut target_only = Program::from_json(&dqn, "dqn").unwrap();
        // l2_distance(max_list(Q'(s_{t+1})), reward): no path from q_param.
        target_only.nodes[6].args = vec![10, 5];
        assert_eq!(grads_of(&target_only, &mut rng), 0);
    }
}
