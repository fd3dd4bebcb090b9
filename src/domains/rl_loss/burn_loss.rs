//! Loss programs on burn: every op of the RL-loss spaces as a burn kernel, so an evolved loss
//! trains a Q-network through autodiff.
//!
//! `qvalue_list(q_param, ·)` runs the online network (gradients flow into θ);
//! `qvalue_list(q_targ_param, ·)` runs the target network, detached. Constants are kept as f64
//! until they meet a tensor, then broadcast. The f64 kernels of [`crate::program::ops`] and
//! these agree on the same inputs (tested in `tests.rs` of this module).

use super::dqn::{DqnLoss, LossInputs};
use crate::program::ops::{DIV_EPS, EXP_CLIP, KernelContext, LOG_EPS, NOISE_STD};
use crate::program::value::Value;
use crate::program::{Program, ProgramError};
use burn::tensor::activation::softmax;
use burn::tensor::{Distribution, Int, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// Which network a `param` input names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Net {
    Online,
    Target,
}

/// A value on the burn path.
#[derive(Clone)]
enum BValue {
    /// `[B]`.
    Float(Tensor<1>),
    /// `[B, A]` (lists and probability distributions).
    List(Tensor<2>),
    /// `[B]` action indices.
    Action(Tensor<1, Int>),
    /// `[B, S]`.
    State(Tensor<2>),
    /// A network handle.
    Param(Net),
    /// A scalar not yet broadcast.
    Const(f64),
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

fn const_op(name: &str, args: &[f64]) -> f64 {
    // Constant folding through the f64 kernels keeps both paths identical.
    let op = crate::program::OpId::by_name(name).expect("registered op");
    let vals: Vec<Value> = args.iter().map(|&a| Value::scalar(a)).collect();
    let refs: Vec<&Value> = vals.iter().collect();
    let mut out = Value::default();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    (op.spec().kernel)(
        &refs,
        &mut out,
        &mut KernelContext {
            networks: &[],
            rng: &mut rng,
        },
    );
    out.data[0]
}

/// Two numeric arguments brought to one shape: both `[B]` or both `[B, A]`.
enum Pair {
    F(Tensor<1>, Tensor<1>),
    L(Tensor<2>, Tensor<2>),
}

fn as_pair(x: BValue, y: BValue) -> Pair {
    use BValue::*;
    match (x, y) {
        (Float(a), Float(b)) => Pair::F(a, b),
        (List(a), List(b)) => Pair::L(a, b),
        (Float(a), List(b)) => {
            let [n, k] = b.dims();
            Pair::L(a.unsqueeze_dim::<2>(1).expand([n, k]), b)
        }
        (List(a), Float(b)) => {
            let [n, k] = a.dims();
            Pair::L(a, b.unsqueeze_dim::<2>(1).expand([n, k]))
        }
        (Const(c), Float(b)) => Pair::F(Tensor::full(b.shape(), c, &b.device()), b),
        (Float(a), Const(c)) => {
            let full = Tensor::full(a.shape(), c, &a.device());
            Pair::F(a, full)
        }
        (Const(c), List(b)) => Pair::L(Tensor::full(b.shape(), c, &b.device()), b),
        (List(a), Const(c)) => {
            let full = Tensor::full(a.shape(), c, &a.device());
            Pair::L(a, full)
        }
        _ => unreachable!("type rules admit only numeric pairs"),
    }
}

macro_rules! binary {
    ($x:expr, $y:expr, |$a:ident, $b:ident| $body:expr) => {
        match as_pair($x, $y) {
            Pair::F($a, $b) => BValue::Float($body),
            Pair::L($a, $b) => BValue::List($body),
        }
    };
}

macro_rules! unary {
    ($x:expr, |$a:ident| $body:expr) => {
        match $x {
            BValue::Float($a) => BValue::Float($body),
            BValue::List($a) => BValue::List($body),
            _ => unreachable!("type rules admit only numeric values"),
        }
    };
}

fn list(v: BValue) -> Tensor<2> {
    match v {
        BValue::List(t) => t,
        _ => unreachable!("type rules admit only lists here"),
    }
}

fn float(v: BValue) -> Tensor<1> {
    match v {
        BValue::Float(t) => t,
        _ => unreachable!("type rules admit only floats here"),
    }
}

fn per_row(t: Tensor<2>) -> BValue {
    BValue::Float(t.squeeze_dim::<1>(1))
}

fn std_rows(t: Tensor<2>) -> Tensor<2> {
    let m = t.clone().mean_dim(1);
    (t - m).square().mean_dim(1).sqrt()
}

impl ProgramLoss {
    /// Evaluates the program on a minibatch; returns the per-transition loss `[B]`.
    pub fn forward(&self, x: &LossInputs<'_>) -> Tensor<1> {
        let p = &self.program;
        let n_in = p.inputs.len();
        let batch = x.reward.dims()[0];
        let mut vals: Vec<Option<BValue>> = vec![None; p.len()];
        for (i, inp) in p.inputs.iter().enumerate() {
            if !self.live[i] {
                continue;
            }
            vals[i] = Some(match inp.name.as_str() {
                "q_param" => BValue::Param(Net::Online),
                "q_targ_param" => BValue::Param(Net::Target),
                "action" => BValue::Action(x.action.clone()),
                "s_tm1" => BValue::State(x.s_tm1.clone()),
                "s_t" => BValue::State(x.s_t.clone()),
                "reward" => BValue::Float(x.reward.clone()),
                "discount" => BValue::Float(x.discount.clone()),
                other => {
                    panic!("unknown RL-loss input `{other}` (the space is validated at load time)")
                }
            });
        }
        let mut qcache: HashMap<(Net, usize), Tensor<2>> = HashMap::new();
        for (k, node) in p.nodes.iter().enumerate() {
            let i = n_in + k;
            if !self.live[i] {
                continue;
            }
            let arg = |j: usize| {
                vals[node.args[j]]
                    .clone()
                    .expect("arguments precede their users")
            };
            let name = node.op.name();
            let out = if node.op.is_const() {
                BValue::Const(node.value.unwrap_or(0.0))
            } else if node
                .args
                .iter()
                .all(|&a| matches!(vals[a], Some(BValue::Const(_))))
            {
                let cs: Vec<f64> = (0..node.args.len())
                    .map(|j| match arg(j) {
                        BValue::Const(c) => c,
                        _ => unreachable!(),
                    })
                    .collect();
                BValue::Const(const_op(name, &cs))
            } else {
                match name {
                    "add" => binary!(arg(0), arg(1), |a, b| a + b),
                    "sub" => binary!(arg(0), arg(1), |a, b| a - b),
                    "mul" => binary!(arg(0), arg(1), |a, b| a * b),
                    "div" => binary!(arg(0), arg(1), |a, b| a / b.add_scalar(DIV_EPS)),
                    "max" => binary!(arg(0), arg(1), |a, b| a.max_pair(b)),
                    "min" => binary!(arg(0), arg(1), |a, b| a.min_pair(b)),
                    "l2_distance" => {
                        binary!(arg(0), arg(1), |a, b| (a - b).square().mul_scalar(0.5))
                    }
                    "neg" => unary!(arg(0), |a| a.neg()),
                    "abs" => unary!(arg(0), |a| a.abs()),
                    "sin" => unary!(arg(0), |a| a.sin()),
                    "cos" => unary!(arg(0), |a| a.cos()),
                    "tanh" => unary!(arg(0), |a| a.tanh()),
                    "exp" => unary!(arg(0), |a| a.clamp_max(EXP_CLIP).exp()),
                    "log" => unary!(arg(0), |a| a.abs().add_scalar(LOG_EPS).log()),
                    "sqrt" => unary!(arg(0), |a| a.abs().sqrt()),
                    "square" => unary!(arg(0), |a| a.square()),
                    "multiply_tenth" => unary!(arg(0), |a| a.mul_scalar(0.1)),
                    "add_gaussian_noise" => unary!(arg(0), |a| {
                        let noise = Tensor::random(
                            a.shape(),
                            Distribution::Normal(0.0, NOISE_STD),
                            &a.device(),
                        );
                        a + noise
                    }),
                    "sum_list" => per_row(list(arg(0)).sum_dim(1)),
                    "mean_list" => per_row(list(arg(0)).mean_dim(1)),
                    "max_list" => per_row(list(arg(0)).max_dim(1)),
                    "min_list" => per_row(list(arg(0)).min_dim(1)),
                    "std_list" => per_row(std_rows(list(arg(0)))),
                    "logsumexp_list" => {
                        let t = list(arg(0));
                        let m = t.clone().max_dim(1).detach();
                        per_row((t - m.clone()).exp().sum_dim(1).log() + m)
                    }
                    "argmax_list" => BValue::Action(list(arg(0)).argmax(1).squeeze_dim::<1>(1)),
                    "softmax" => BValue::List(softmax(list(arg(0)), 1)),
                    "entropy" => {
                        let pr = list(arg(0));
                        per_row((pr.clone() * pr.add_scalar(LOG_EPS).log()).sum_dim(1).neg())
                    }
                    "kl_div" => {
                        let (pr, q) = (list(arg(0)), list(arg(1)));
                        per_row(
                            (pr.clone()
                                * (pr.add_scalar(LOG_EPS).log() - q.add_scalar(LOG_EPS).log()))
                            .sum_dim(1),
                        )
                    }
                    "dot_product" => match as_pair(arg(0), arg(1)) {
                        Pair::L(a, b) => per_row((a * b).sum_dim(1)),
                        Pair::F(a, b) => BValue::Float(a * b),
                    },
                    "select_list" => {
                        let t = list(arg(0));
                        let BValue::Action(a) = arg(1) else {
                            unreachable!()
                        };
                        per_row(t.gather(1, a.unsqueeze_dim::<2>(1)))
                    }
                    "qvalue_list" => {
                        let BValue::Param(net) = arg(0) else {
                            unreachable!()
                        };
                        let state_idx = node.args[1];
                        let q = qcache
                            .entry((net, state_idx))
                            .or_insert_with(|| {
                                let BValue::State(s) = vals[state_idx].clone().expect("state")
                                else {
                                    unreachable!()
                                };
                                match net {
                                    Net::Online => x.online.q_values(s),
                                    Net::Target => x.target.q_values(s).detach(),
                                }
                            })
                            .clone();
                        BValue::List(q)
                    }
                    "mean_batch" => {
                        let t = float(arg(0));
                        BValue::Float(t.mean().expand([batch]))
                    }
                    "std_batch" => {
                        let t = float(arg(0));
                        let m = t.clone().mean();
                        BValue::Float(
                            (t - m.expand([batch]))
                                .square()
                                .mean()
                                .sqrt()
                                .expand([batch]),
                        )
                    }
                    other => unreachable!("op `{other}` has no burn kernel"),
                }
            };
            vals[i] = Some(out);
        }
        match vals[p.output].take() {
            Some(BValue::Float(t)) => t,
            Some(BValue::Const(c)) => Tensor::full([batch], c, &x.reward.device()),
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
    use crate::space::SearchSpace;
    use burn::tensor::{Device, TensorData};

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
                networks: &nets,
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
