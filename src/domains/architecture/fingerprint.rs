//! The functional hash's input for cells: the network's logits on a fixed minibatch at fixed
//! initial weights, then again after two fixed Adam steps on that batch. Isomorphic cells
//! (the same graph, vertices numbered differently) get the same weights (see
//! [`super::network`]) and so the same outputs.

use super::network::{CellNetwork, Plan};
use super::task::ArchitectureTask;
use crate::datasets::digits::{Digits, cross_entropy};
use crate::program::Program;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::Device;

/// Images in the probe batch.
const PROBE_ROWS: usize = 16;

/// Logits before and after two training steps, flattened (NaN for a program that is not a
/// cell).
pub fn probe(
    program: &Program,
    task: &ArchitectureTask,
    data: &Digits,
    device: &Device,
) -> Vec<f64> {
    let Ok(plan) = Plan::of(program) else {
        return vec![f64::NAN];
    };
    let autodiff = device.clone().autodiff();
    let cells = task.network.cells;
    let mut net = CellNetwork::new(&plan, task.network.channels, cells, 0x5EED, &autodiff);
    let idx: Vec<usize> = (0..PROBE_ROWS.min(data.len())).collect();
    let (x, onehot) = data.tensors(&idx, &autodiff);
    let mut out = Vec::new();
    let mut optim = AdamConfig::new().init();
    for step in 0..3 {
        let logits = net.forward(&plan, cells, x.clone());
        out.extend(logits.to_data().iter::<f32>().map(f64::from));
        if step == 2 {
            break;
        }
        let grads =
            GradientsParams::from_grads(cross_entropy(logits, onehot.clone()).backward(), &net);
        net = optim.step(1e-2, net, grads);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::digits::{EMBEDDED_DIGITS, parse};

    fn task() -> ArchitectureTask {
        let src = crate::catalog::task("digits-cnn").unwrap();
        let mut t: ArchitectureTask = crate::task_file::parse_toml(&src.text, &src.origin).unwrap();
        t.network.channels = 4;
        t.network.cells = 1;
        t
    }

    fn cell(nodes: &[(&str, &[usize])]) -> Program {
        let text = serde_json::json!({
            "inputs": [{"name": "input", "dtype": "feature_map"}],
            "nodes": nodes.iter().map(|(op, args)| serde_json::json!({"op": op, "args": args})).collect::<Vec<_>>(),
            "output": nodes.len(),
        });
        let p = Program::from_json(&text.to_string(), "cell").unwrap();
        let space = crate::catalog::load_space("architecture").unwrap();
        crate::program::validate::validate(&p, &space).unwrap();
        p
    }

    #[test]
    fn isomorphic_cells_collide_and_different_cells_do_not() {
        let data = parse(EMBEDDED_DIGITS, "digits").unwrap();
        let device = Device::flex();
        let t = task();
        let fp = |p: &Program| {
            crate::hashing::fingerprint::fingerprint_of_outputs(&probe(p, &t, &data, &device), 24)
        };
        let residual = cell(&[
            ("conv3x3_bn_relu", &[0]),
            ("conv1x1_bn_relu", &[1]),
            ("maxpool3x3", &[]),
            ("conv1x1_bn_relu", &[]),
            ("conv3x3_bn_relu", &[]),
            ("cell_output", &[0, 2]),
        ]);
        // The same graph with the dangling nodes first and different dead ops.
        let renumbered = cell(&[
            ("maxpool3x3", &[]),
            ("conv3x3_bn_relu", &[]),
            ("conv3x3_bn_relu", &[0]),
            ("conv1x1_bn_relu", &[3]),
            ("maxpool3x3", &[1]),
            ("cell_output", &[4, 0]),
        ]);
        assert_eq!(fp(&residual), fp(&renumbered));
        let other_op = cell(&[
            ("conv3x3_bn_relu", &[0]),
            ("conv3x3_bn_relu", &[1]),
            ("maxpool3x3", &[]),
            ("conv1x1_bn_relu", &[]),
            ("conv3x3_bn_relu", &[]),
            ("cell_output", &[0, 2]),
        ]);
        let no_skip = cell(&[
            ("conv3x3_bn_relu", &[0]),
            ("conv1x1_bn_relu", &[1]),
            ("maxpool3x3", &[]),
            ("conv1x1_bn_relu", &[]),
            ("conv3x3_bn_relu", &[]),
            ("cell_output", &[2]),
        ]);
        assert_ne!(fp(&residual), fp(&other_op));
        assert_ne!(fp(&residual), fp(&no_skip));
        assert!(
            probe(&residual, &t, &data, &device)
                .iter()
                .all(|v| v.is_finite())
        );
    }
}
