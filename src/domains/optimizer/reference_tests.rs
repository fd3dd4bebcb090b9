//! The seed programs against reference implementations: PyTorch's documented SGD, SGD with
//! momentum, Adam and AdamW, and Lion as in Chen et al. (2023, Program 1), in f64; and the burn
//! adapter against burn's own optimizers.

use super::burn_optimizer::ProgramOptimizer;
use super::fingerprint::probe;
use super::update_rule::{OptimizerState, UpdateRule};
use crate::hashing::fingerprint::fingerprint_of_outputs;
use crate::program::Program;
use crate::program::ops::standard_normal;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn seed(name: &str) -> Program {
    let (_, text) = crate::catalog::seeds("optimizer")
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("seed {name}"));
    let p = Program::from_json(&text, name).unwrap();
    let space = crate::catalog::load_space("optimizer").unwrap();
    crate::program::validate::validate(&p, &space).unwrap();
    p
}

/// A reference optimizer on one f64 vector: `(w, g, t)` with `t` 1-based.
type Reference = Box<dyn FnMut(&mut [f64], &[f64], i32)>;

fn sgd(lr: f64) -> Reference {
    Box::new(move |w, g, _| w.iter_mut().zip(g).for_each(|(w, g)| *w -= lr * g))
}

fn momentum(lr: f64, mu: f64) -> Reference {
    let mut buf: Vec<f64> = vec![];
    Box::new(move |w, g, t| {
        // torch.optim.SGD(momentum=mu): buf = g at the first step, then mu·buf + g.
        if t == 1 {
            buf = g.to_vec();
        } else {
            buf.iter_mut().zip(g).for_each(|(b, g)| *b = mu * *b + g);
        }
        w.iter_mut().zip(&buf).for_each(|(w, b)| *w -= lr * b);
    })
}

fn adamw(lr: f64, wd: f64) -> Reference {
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
    let (mut m, mut v): (Vec<f64>, Vec<f64>) = (vec![], vec![]);
    Box::new(move |w, g, t| {
        if m.is_empty() {
            m = vec![0.0; w.len()];
            v = vec![0.0; w.len()];
        }
        for i in 0..w.len() {
            w[i] *= 1.0 - lr * wd; // torch.optim.AdamW: decoupled decay first
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            let mh = m[i] / (1.0 - b1.powi(t));
            let vh = v[i] / (1.0 - b2.powi(t));
            w[i] -= lr * mh / (vh.sqrt() + eps);
        }
    })
}

fn lion(lr: f64, wd: f64) -> Reference {
    let (b1, b2) = (0.9, 0.99);
    let mut m: Vec<f64> = vec![];
    Box::new(move |w, g, _| {
        if m.is_empty() {
            m = vec![0.0; w.len()];
        }
        for i in 0..w.len() {
            let c = b1 * m[i] + (1.0 - b1) * g[i];
            let s = if c == 0.0 { 0.0 } else { c.signum() };
            w[i] -= lr * (s + wd * w[i]);
            m[i] = b2 * m[i] + (1.0 - b2) * g[i];
        }
    })
}

/// 100 steps on fixed random gradients; the largest relative weight difference.
fn max_rel_diff(p: Program, mut reference: Reference, lr: f64) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let n = 9;
    let w0: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
    let (mut a, mut b) = (w0.clone(), w0);
    let mut rule = UpdateRule::new(p);
    let mut state = OptimizerState::zeros(n);
    let mut worst: f64 = 0.0;
    for t in 1..=100 {
        let g: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        rule.step(&mut a, &g, &mut state, lr).unwrap();
        reference(&mut b, &g, t);
        for (x, y) in a.iter().zip(&b) {
            worst = worst.max((x - y).abs() / y.abs().max(1e-3));
        }
    }
    worst
}

#[test]
fn seeds_reproduce_their_reference_optimizers_over_100_steps() {
    let cases: Vec<(&str, Reference, f64)> = vec![
        ("sgd", sgd(0.05), 0.05),
        ("momentum", momentum(0.05, 0.9), 0.05),
        ("adam", adamw(0.01, 0.0), 0.01),
        ("adamw", adamw(0.01, 0.01), 0.01),
        ("lion", lion(0.003, 0.01), 0.003),
    ];
    for (name, reference, lr) in cases {
        let d = max_rel_diff(seed(name), reference, lr);
        assert!(d < 1e-6, "{name}: relative difference {d:e}");
    }
    // And the references are distinct: Adam is not AdamW.
    assert!(max_rel_diff(seed("adam"), adamw(0.01, 0.01), 0.01) > 1e-4);
}

/// Adam with the moving averages written as `0.9·m + 0.1·g` and `v + 0.001·(g² − v)` and the
/// bias corrections applied in another order.
fn adam_rewritten() -> Program {
    let nodes: &[(&str, &[usize], f64)] = &[
        ("const", &[], 0.9),   // 6
        ("mul", &[6, 2], 0.0), // 7: 0.9·m
        ("const", &[], 0.1),   // 8
        ("mul", &[1, 8], 0.0), // 9: 0.1·g
        ("add", &[9, 7], 0.0), // 10: m'
        ("mul", &[1, 1], 0.0), // 11: g²
        ("sub", &[11, 3], 0.0),
        ("const", &[], 0.001),
        ("mul", &[13, 12], 0.0),
        ("add", &[3, 14], 0.0), // 15: v'
        ("const", &[], 0.999),
        ("pow", &[6, 5], 0.0),
        ("pow", &[16, 5], 0.0),
        ("const", &[], 1.0),
        ("sub", &[19, 17], 0.0), // 20: 1 − β1^t
        ("sub", &[19, 18], 0.0), // 21: 1 − β2^t
        ("div", &[15, 21], 0.0),
        ("sqrt", &[22], 0.0),
        ("const", &[], 1e-8),
        ("add", &[23, 24], 0.0),
        ("div", &[10, 20], 0.0),
        ("mul", &[4, 26], 0.0),
        ("div", &[27, 25], 0.0),
        ("update_rule", &[28, 10, 15], 0.0),
    ];
    let mut p = seed("sgd");
    p.nodes = nodes
        .iter()
        .map(|(op, args, v)| crate::program::Node {
            op: crate::program::OpId::by_name(op).unwrap(),
            args: args.to_vec(),
            value: (*op == "const").then_some(*v),
        })
        .collect();
    p.output = p.inputs.len() + p.nodes.len() - 1;
    let space = crate::catalog::load_space("optimizer").unwrap();
    crate::program::validate::validate(&p, &space).unwrap();
    p
}

#[test]
fn adam_written_two_ways_collides_and_adamw_does_not() {
    let fp = |p: &Program| fingerprint_of_outputs(&probe(p), 24);
    let adam = seed("adam");
    assert!(max_rel_diff(adam_rewritten(), adamw(0.01, 0.0), 0.01) < 1e-6);
    assert_eq!(fp(&adam), fp(&adam_rewritten()));
    assert_ne!(fp(&adam), fp(&seed("adamw")));
    assert_ne!(fp(&adam), fp(&seed("lion")));
    assert_ne!(fp(&seed("sgd")), fp(&seed("momentum")));
}

/// Steps a one-layer module with a program and with burn's optimizer on the same gradients.
fn burn_max_diff(program: Program, reference: burn::optim::ModuleOptimizer, lr: f64) -> f64 {
    use burn::nn::LinearConfig;
    use burn::optim::GradientsParams;
    use burn::tensor::{Device, Tensor};
    let device = Device::flex().autodiff();
    let linear = LinearConfig::new(5, 3).init(&device);
    let mut ours = linear.clone();
    let mut theirs = linear;
    let mut opt_ours = ProgramOptimizer::new(program).init();
    let mut opt_theirs = reference;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for _ in 0..20 {
        let x: Vec<f32> = (0..4 * 5)
            .map(|_| standard_normal(&mut rng) as f32)
            .collect();
        let x = Tensor::<2>::from_data(burn::tensor::TensorData::new(x, [4, 5]), &device);
        let loss_a = ours.forward(x.clone()).powf_scalar(2.0).mean();
        let g_a = GradientsParams::from_grads(loss_a.backward(), &ours);
        ours = opt_ours.step(lr, ours, g_a);
        let loss_b = theirs.forward(x).powf_scalar(2.0).mean();
        let g_b = GradientsParams::from_grads(loss_b.backward(), &theirs);
        theirs = opt_theirs.step(lr, theirs, g_b);
    }
    let flat = |m: &burn::nn::Linear| -> Vec<f32> {
        let mut v: Vec<f32> = m.weight.val().into_data().iter::<f32>().collect();
        v.extend(m.bias.as_ref().unwrap().val().into_data().iter::<f32>());
        v
    };
    flat(&ours)
        .iter()
        .zip(flat(&theirs))
        .map(|(a, b)| (a - b).abs() as f64)
        .fold(0.0, f64::max)
}

#[test]
fn the_burn_adapter_matches_burns_own_optimizers() {
    use burn::optim::{AdamConfig, LionConfig, SgdConfig};
    let sgd = burn_max_diff(seed("sgd"), SgdConfig::new().init(), 0.05);
    assert!(sgd < 1e-5, "sgd {sgd:e}");
    let adam = burn_max_diff(
        seed("adam"),
        AdamConfig::new().with_epsilon(1e-8).init(),
        0.01,
    );
    assert!(adam < 1e-5, "adam {adam:e}");
    let lion = burn_max_diff(
        seed("lion"),
        LionConfig::new().with_weight_decay(0.01).init(),
        0.003,
    );
    assert!(lion < 1e-5, "lion {lion:e}");
    // And a different rule does differ.
    let wrong = burn_max_diff(seed("sgd"), AdamConfig::new().init(), 0.01);
    assert!(wrong > 1e-4, "{wrong:e}");
}
