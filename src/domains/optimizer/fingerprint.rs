//! The functional hash's input for update rules: a few steps on a fixed random quadratic with
//! fixed gradient noise, every RNG reset per candidate. Two programs that move the weights the
//! same way collide (Adam written two ways); a weight-decay term separates AdamW from Adam
//! because the weights are not zero.

use super::problems::{Objective, Quadratic};
use super::update_rule::{OptimizerState, UpdateRule};
use crate::program::Program;
use crate::program::ops::standard_normal;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Parameters of the probe quadratic.
const DIM: usize = 8;
/// Steps recorded.
const STEPS: usize = 5;
/// Learning rate of the probe (large enough that lr-scaled terms stay above truncation).
const LR: f64 = 0.05;

/// The weights after each of [`STEPS`] steps (`STEPS × DIM` numbers); NaN entries once the rule
/// produces a non-finite value.
pub fn probe(program: &Program) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(0x0F71_3A5E);
    let q = Quadratic::new(DIM, 10.0, &mut rng);
    let mut w = q.init(&mut rng);
    let mut g = vec![0.0; DIM];
    let mut state = OptimizerState::zeros(DIM);
    let mut rule = UpdateRule::new(program.clone());
    let mut out = Vec::with_capacity(STEPS * DIM);
    for _ in 0..STEPS {
        q.loss_grad(&w, &mut g, None);
        for gi in g.iter_mut() {
            *gi += 0.1 * standard_normal(&mut rng);
        }
        if rule.step(&mut w, &g, &mut state, LR).is_err() {
            out.resize(STEPS * DIM, f64::NAN);
            return out;
        }
        out.extend_from_slice(&w);
    }
    out
}
