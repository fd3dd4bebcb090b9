//! Pruning of sum graphs: programs whose every node is a variadic op (each sums its arguments,
//! then applies its layer). An argument that depends on no program input is dropped, and so are
//! the nodes left without a path to the output. This is NAS-Bench-101's pruning of vertices off
//! every input-to-output path (Ying et al., ICML 2019, §2.1), stated on the program alone.

use super::{Node, Program};

/// Whether `p` is a sum graph with one input: at least one node, every node variadic with
/// distinct arguments that are earlier values, and the output is the last node.
fn is_sum_graph(p: &Program) -> bool {
    if p.inputs.len() != 1 || p.nodes.is_empty() || p.output != p.len() - 1 {
        return false;
    }
    p.nodes.iter().enumerate().all(|(k, node)| {
        let i = p.inputs.len() + k;
        let mut seen = vec![false; i];
        node.op.spec().variadic
            && node
                .args
                .iter()
                .all(|&a| a < i && !std::mem::replace(&mut seen[a], true))
    })
}

/// `p` with every argument that depends on no input removed (arguments kept in ascending
/// order, node literals cleared), then without dead nodes. Programs that are not sum graphs come
/// back without dead nodes only.
pub fn prune_sums(p: &Program) -> Program {
    if !is_sum_graph(p) {
        return p.without_dead_nodes();
    }
    let n_in = p.inputs.len();
    let mut fed = vec![true; n_in];
    let mut nodes = Vec::with_capacity(p.nodes.len());
    for node in &p.nodes {
        let mut args: Vec<usize> = node.args.iter().copied().filter(|&a| fed[a]).collect();
        args.sort_unstable();
        fed.push(!args.is_empty());
        nodes.push(Node {
            op: node.op,
            args,
            value: None,
        });
    }
    Program {
        inputs: p.inputs.clone(),
        nodes,
        output: p.output,
    }
    .without_dead_nodes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::{DType, Input, OpId};

    fn sums(nodes: &[(&str, &[usize])]) -> Program {
        Program {
            inputs: vec![Input {
                name: "input".into(),
                dtype: DType::FeatureMap,
            }],
            nodes: nodes
                .iter()
                .map(|(op, args)| Node {
                    op: OpId::by_name(op).unwrap(),
                    args: args.to_vec(),
                    value: None,
                })
                .collect(),
            output: nodes.len(),
        }
    }

    #[test]
    fn arguments_fed_by_no_input_are_dropped() {
        // Vertex 1 has no arguments, so it and the edge 1 → 2 go; vertex 3 is dead code.
        let p = sums(&[
            ("conv3x3_bn_relu", &[]),
            ("conv1x1_bn_relu", &[1, 0]),
            ("maxpool3x3", &[0]),
            ("cell_output", &[2]),
        ]);
        let want = sums(&[("conv1x1_bn_relu", &[0]), ("cell_output", &[1])]);
        assert_eq!(prune_sums(&p), want);
    }

    #[test]
    fn an_output_fed_by_no_input_keeps_no_arguments() {
        let p = sums(&[("conv3x3_bn_relu", &[]), ("cell_output", &[1])]);
        assert_eq!(prune_sums(&p), sums(&[("cell_output", &[])]));
    }

    #[test]
    fn other_programs_only_lose_dead_nodes() {
        // A repeated argument: not a sum graph, so the argument-less vertex 1 stays.
        let p = sums(&[("conv3x3_bn_relu", &[]), ("cell_output", &[0, 1, 0])]);
        assert_eq!(prune_sums(&p), p);
    }
}
