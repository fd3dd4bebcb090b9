//! Loss programs for the RL-loss domain's unit tests.

use crate::program::Program;

/// The shipped `rl_loss` seed program `name`.
pub(crate) fn seed(name: &str) -> Program {
    let (_, text) = crate::catalog::seeds("rl_loss")
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap();
    Program::from_json(&text, name).unwrap()
}

/// A valid `rl_loss_large` program from `(op, args)` nodes; the last node is the output.
pub(crate) fn program(nodes: &[(&str, &[usize])]) -> Program {
    let space = crate::catalog::load_space("rl_loss_large").unwrap();
    let n_in = space.inputs.len();
    let p = Program {
        inputs: space.inputs.clone(),
        nodes: nodes
            .iter()
            .map(|(op, args)| crate::program::Node {
                op: crate::program::OpId::by_name(op).unwrap(),
                args: args.to_vec(),
                value: None,
            })
            .collect(),
        output: n_in + nodes.len() - 1,
    };
    crate::program::validate::validate(&p, &space).unwrap();
    p
}
