//! Constant fitting: the constants of an expression fitted to the training rows by BFGS, as
//! PySR does (Cranmer 2023, §3: "optimize constants with BFGS, a few restarts").
//!
//! The objective is the training MSE as a function of the program's live constants. BFGS with
//! a Moré–Thuente line search comes from `argmin`; the gradient is by **central finite
//! differences** through the f64 interpreter. Why not dual numbers: the op kernels are plain
//! f64 functions in the op specs (`program/ops/`), so forward-mode derivatives would need a
//! second kernel for every op of every family; an expression has few constants (k ≤ 10 as a
//! rule) and a gradient costs 2k interpreter runs, which is cheap next to the search.
//!
//! Restarts: one run from the program's own constants, then [`FitConfig::restarts`] runs from
//! `c · (1 + 0.5·N(0, 1))` per constant (PySR's perturbation), seeded by the evaluation seed;
//! the lowest MSE wins. A fit that only ever meets NaN/±∞, a gradient of zero (the constants do
//! not change the output: a singular Jacobian) or no improvement keeps the original constants
//! and says why.

use crate::program::Program;
use crate::program::interpreter::Interpreter;
use crate::program::ops::{KernelContext, standard_normal};
use crate::program::value::Value;
use argmin::core::{CostFunction, Error as ArgminError, Executor, Gradient};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::BFGS;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::cell::RefCell;

/// Fitting settings (PySR's defaults: `optimizer_nrestarts = 2`; its `optimizer_iterations = 8`
/// is raised here because an iteration costs microseconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitConfig {
    /// Runs from perturbed constants after the run from the original ones.
    pub restarts: usize,
    /// BFGS iterations per run.
    pub max_iters: u64,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            restarts: 2,
            max_iters: 40,
        }
    }
}

/// What a fit gave.
#[derive(Debug, Clone, PartialEq)]
pub enum ConstantFit {
    /// The program has no live constant.
    NoConstants,
    /// Constants that lower the training MSE from `mse_before` to `mse_after`.
    Fitted {
        /// The program with the fitted constants.
        program: Program,
        /// Training MSE with the original constants.
        mse_before: f64,
        /// Training MSE with the fitted constants.
        mse_after: f64,
    },
    /// The original constants are kept; `reason` is `non_finite` (every run met NaN/±∞ or the
    /// original MSE is not finite), `singular` (zero gradient: the output does not depend on the
    /// constants) or `no_improvement`.
    Kept {
        /// Why.
        reason: &'static str,
    },
}

/// Indices (into `nodes`) of the constants the output depends on.
pub fn live_constants(p: &Program) -> Vec<usize> {
    let live = p.live_mask();
    let n_in = p.inputs.len();
    (0..p.nodes.len())
        .filter(|&k| live[n_in + k] && p.nodes[k].op.is_const() && p.nodes[k].value.is_some())
        .collect()
}

/// Training MSE of `p` with its constants at `idx` set to `c`; `None` when not finite.
struct Objective<'a> {
    program: &'a Program,
    idx: &'a [usize],
    x: &'a [Value],
    y: &'a [f64],
    work: RefCell<(Program, Interpreter)>,
}

impl Objective<'_> {
    fn mse(&self, c: &[f64]) -> Option<f64> {
        let mut w = self.work.borrow_mut();
        let (prog, it) = &mut *w;
        for (&k, &v) in self.idx.iter().zip(c) {
            prog.nodes[k].value = Some(v);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut ctx = KernelContext::new(&mut rng);
        let out = it.run(prog, self.x, &mut ctx);
        let n = self.y.len() as f64;
        let sse: f64 = if out.data.len() == self.y.len() {
            out.data
                .iter()
                .zip(self.y)
                .map(|(p, t)| (p - t) * (p - t))
                .sum()
        } else {
            let p = out.data.first().copied().unwrap_or(f64::NAN);
            self.y.iter().map(|t| (p - t) * (p - t)).sum()
        };
        let mse = sse / n;
        mse.is_finite().then_some(mse)
    }

    fn with(&self, c: &[f64]) -> Program {
        let mut p = self.program.clone();
        for (&k, &v) in self.idx.iter().zip(c) {
            p.nodes[k].value = Some(v);
        }
        p
    }

    /// Central differences, step `cbrt(ε)·max(1, |c|)` (the optimal order for central
    /// differences in f64).
    fn grad(&self, c: &[f64]) -> Option<Vec<f64>> {
        let mut at = c.to_vec();
        let mut g = Vec::with_capacity(c.len());
        for i in 0..c.len() {
            let h = f64::EPSILON.cbrt() * c[i].abs().max(1.0);
            at[i] = c[i] + h;
            let up = self.mse(&at)?;
            at[i] = c[i] - h;
            let down = self.mse(&at)?;
            at[i] = c[i];
            g.push((up - down) / (2.0 * h));
        }
        Some(g)
    }
}

/// A non-finite MSE stops the run (argmin turns the error into a failed run).
#[derive(Debug, thiserror::Error)]
#[error("the expression is not finite at these constants")]
struct NonFinite;

/// The objective as argmin's problem (argmin's executor owns its problem; this borrows).
struct Problem<'o, 'a>(&'o Objective<'a>);

impl CostFunction for Problem<'_, '_> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, c: &Vec<f64>) -> Result<f64, ArgminError> {
        self.0.mse(c).ok_or_else(|| NonFinite.into())
    }
}

impl Gradient for Problem<'_, '_> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, c: &Vec<f64>) -> Result<Vec<f64>, ArgminError> {
        self.0.grad(c).ok_or_else(|| NonFinite.into())
    }
}

/// One BFGS run from `c0`: the best finite constants and their MSE, or `None` if it failed.
fn bfgs_run(obj: &Objective<'_>, c0: Vec<f64>, max_iters: u64) -> Option<(Vec<f64>, f64)> {
    let k = c0.len();
    let eye: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    let solver = BFGS::new(MoreThuenteLineSearch::new());
    let res = Executor::new(Problem(obj), solver)
        .configure(|s| s.param(c0).inv_hessian(eye).max_iters(max_iters))
        .run()
        .ok()?;
    let mut state = res.state;
    let cost = state.get_best_cost();
    let best = state.take_best_param()?;
    (cost.is_finite() && best.iter().all(|v| v.is_finite())).then_some((best, cost))
}

/// Fits the live constants of `p` to `(x, y)` by minimizing the MSE (see the module docs).
/// `seed` draws the restarts' perturbations, so the result is deterministic.
pub fn fit_constants(
    p: &Program,
    x: &[Value],
    y: &[f64],
    seed: u64,
    cfg: &FitConfig,
) -> ConstantFit {
    let idx = live_constants(p);
    if idx.is_empty() || y.is_empty() {
        return ConstantFit::NoConstants;
    }
    let obj = Objective {
        program: p,
        idx: &idx,
        x,
        y,
        work: RefCell::new((p.clone(), Interpreter::new())),
    };
    let c0: Vec<f64> = idx
        .iter()
        .map(|&k| p.nodes[k].value.unwrap_or(0.0))
        .collect();
    let Some(mse_before) = obj.mse(&c0) else {
        return ConstantFit::Kept {
            reason: "non_finite",
        };
    };
    match obj.grad(&c0) {
        None => {
            return ConstantFit::Kept {
                reason: "non_finite",
            };
        }
        Some(g) if mse_before > 0.0 && g.iter().all(|&d| d == 0.0) => {
            return ConstantFit::Kept { reason: "singular" };
        }
        Some(_) => {}
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut best: Option<(Vec<f64>, f64)> = None;
    for run in 0..=cfg.restarts {
        let start: Vec<f64> = if run == 0 {
            c0.clone()
        } else {
            c0.iter()
                .map(|&c| c * (1.0 + 0.5 * standard_normal(&mut rng)))
                .collect()
        };
        if let Some((c, mse)) = bfgs_run(&obj, start, cfg.max_iters)
            && best.as_ref().is_none_or(|b| mse < b.1)
        {
            best = Some((c, mse));
        }
    }
    match best {
        None => ConstantFit::Kept {
            reason: "non_finite",
        },
        Some((c, mse_after)) if mse_after < mse_before => ConstantFit::Fitted {
            program: obj.with(&c),
            mse_before,
            mse_after,
        },
        Some(_) => ConstantFit::Kept {
            reason: "no_improvement",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// `c0·x² + c1` with inputs first (x is value 0).
    fn quadratic(c0: f64, c1: f64) -> Program {
        Program::from_json(
            &format!(
                r#"{{"inputs":[{{"name":"x","dtype":"float"}}],"nodes":[
                {{"op":"mul","args":[0,0]}},{{"op":"const","value":{c0:?}}},
                {{"op":"mul","args":[2,1]}},{{"op":"const","value":{c1:?}}},
                {{"op":"add","args":[3,4]}}],"output":5}}"#
            ),
            "test",
        )
        .unwrap()
    }

    fn data(n: usize, noise: f64, f: impl Fn(f64) -> f64) -> (Vec<Value>, Vec<f64>) {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let x: Vec<f64> = (0..n).map(|_| rng.random_range(-2.0..2.0)).collect();
        let y = x
            .iter()
            .map(|&v| f(v) + noise * standard_normal(&mut rng))
            .collect();
        (vec![Value::column(x)], y)
    }

    fn constants_of(p: &Program) -> Vec<f64> {
        live_constants(p)
            .iter()
            .map(|&k| p.nodes[k].value.unwrap())
            .collect()
    }

    #[test]
    fn recovers_the_coefficients_of_a_known_expression_from_noiseless_data() {
        let (x, y) = data(50, 0.0, |v| 2.5 * v * v + 0.7);
        let fit = fit_constants(&quadratic(1.0, -0.3), &x, &y, 1, &FitConfig::default());
        let ConstantFit::Fitted {
            program,
            mse_before,
            mse_after,
        } = fit
        else {
            panic!("expected a fit, got {fit:?}");
        };
        let c = constants_of(&program);
        assert!(
            (c[0] - 2.5).abs() < 1e-6 && (c[1] - 0.7).abs() < 1e-6,
            "{c:?}"
        );
        assert!(
            mse_after < 1e-12 && mse_before > 1.0,
            "{mse_before} → {mse_after}"
        );
        // The structure is the parent's; only the literals changed.
        assert_eq!(program.nodes.len(), 5);
    }

    #[test]
    fn recovers_coefficients_from_noisy_data_to_1e_3() {
        // 2.5·x² − 1.3 with 1 % noise (σ = 0.01), 2000 rows: least squares is within 1e-3.
        let (x, y) = data(2000, 0.01, |v| 2.5 * v * v - 1.3);
        let fit = fit_constants(&quadratic(0.5, 0.5), &x, &y, 3, &FitConfig::default());
        let ConstantFit::Fitted { program, .. } = fit else {
            panic!("expected a fit, got {fit:?}");
        };
        let c = constants_of(&program);
        assert!(
            (c[0] - 2.5).abs() < 1e-3 && (c[1] + 1.3).abs() < 1e-3,
            "{c:?}"
        );
    }

    #[test]
    fn is_deterministic_given_the_seed() {
        let (x, y) = data(30, 0.1, |v| 1.7 * v * v + 0.2);
        let a = fit_constants(&quadratic(1.0, 1.0), &x, &y, 9, &FitConfig::default());
        let b = fit_constants(&quadratic(1.0, 1.0), &x, &y, 9, &FitConfig::default());
        assert_eq!(a, b);
    }

    #[test]
    fn diverging_or_singular_fits_keep_the_original_constants() {
        let (x, y) = data(20, 0.0, |v| v);
        // x + (x − x)·exp(c)^16 is x while exp(c)^16 is finite and NaN (0·∞) past
        // c = ln(f64::MAX)/16 ≈ 44.36142; from just below that cliff every step meets NaN.
        let cliff = Program::from_json(
            r#"{"inputs":[{"name":"x","dtype":"float"}],"nodes":[
            {"op":"const","value":44.3613},{"op":"exp","args":[1]},
            {"op":"mul","args":[2,2]},{"op":"mul","args":[3,3]},{"op":"mul","args":[4,4]},
            {"op":"mul","args":[5,5]},{"op":"sub","args":[0,0]},{"op":"mul","args":[7,6]},
            {"op":"add","args":[0,8]}],"output":9}"#,
            "test",
        )
        .unwrap();
        let y2x: Vec<f64> = y.iter().map(|v| 2.0 * v).collect();
        assert_eq!(
            fit_constants(&cliff, &x, &y2x, 1, &FitConfig::default()),
            ConstantFit::Kept {
                reason: "non_finite"
            }
        );
        // c − c: the output does not depend on c (zero gradient, a singular Jacobian).
        let flat = Program::from_json(
            r#"{"inputs":[{"name":"x","dtype":"float"}],"nodes":[
            {"op":"const","value":0.3},{"op":"sub","args":[1,1]},{"op":"add","args":[2,0]}],
            "output":3}"#,
            "test",
        )
        .unwrap();
        let y2: Vec<f64> = y.iter().map(|v| v + 1.0).collect();
        assert_eq!(
            fit_constants(&flat, &x, &y2, 1, &FitConfig::default()),
            ConstantFit::Kept { reason: "singular" }
        );
        // No live constant: nothing to fit.
        let plain = Program::from_json(
            r#"{"inputs":[{"name":"x","dtype":"float"}],"nodes":[{"op":"mul","args":[0,0]}],
            "output":1}"#,
            "test",
        )
        .unwrap();
        assert_eq!(
            fit_constants(&plain, &x, &y, 1, &FitConfig::default()),
            ConstantFit::NoConstants
        );
    }
}
