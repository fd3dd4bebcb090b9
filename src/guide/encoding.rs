//! Graph encoding of programs for the discriminator (Co-Reyes, Miao, Tucker, Faust, Real,
//! "Guided Evolution with Binary Discriminators for ML Program Search", 2024, §3: one DAG
//! representation for every domain, encoded by a GNN).
//!
//! The paper does not publish its features; gevo's choices (DESIGN.md §4.4):
//!
//! - **Nodes**: one per input and per *live* op node. The feature vector is the concatenation of
//!   - a one-hot over the space's inputs (by position) followed by the space's ops (an op outside
//!     the space, e.g. from a hand-written seed, sets an extra "other op" slot),
//!   - a one-hot over [`DType::ALL`],
//!   - an output flag (1 for the program's output),
//!   - the constant's value squashed as `sign(v)·ln(1 + |v|)` (0 for non-constants).
//! - **Edges**: one per argument, in both directions (argument → user and user → argument), each
//!   typed by `2·position + direction`. The position is the argument's index for ops whose
//!   argument order matters (`sub`, `div`, `select_list`, …) and 0 for commutative ones, so
//!   swapping the arguments of `add` does not change the encoding.
//! - **Dead nodes are dropped**: nodes the output does not depend on cannot change a program's
//!   fitness, so they are removed (with [`Program::without_dead_nodes`]) before encoding; two
//!   programs that differ only in dead code have the same encoding. Unused inputs are kept, so
//!   every program of a space has its inputs as nodes `0..inputs`.

use crate::program::space::SearchSpace;
use crate::program::validate::infer_types;
use crate::program::{DType, OpId, Program};
use serde::{Deserialize, Serialize};

/// One program as a graph: node features and typed edges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphEncoding {
    /// Number of nodes (inputs plus live op nodes).
    pub num_nodes: usize,
    /// Row-major node features, `num_nodes × feature_dim`.
    pub features: Vec<f32>,
    /// Edge sources (node indices within this graph), one per directed edge.
    pub src: Vec<u32>,
    /// Edge destinations, aligned with `src`.
    pub dst: Vec<u32>,
    /// Edge types `2·position + direction` (direction 0: argument → user, 1: user → argument).
    pub edge_type: Vec<u32>,
}

impl GraphEncoding {
    /// Number of directed edges (twice the number of arguments).
    pub fn num_edges(&self) -> usize {
        self.src.len()
    }
}

/// Encodes programs of one search space; the layout depends only on the space.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphEncoder {
    num_inputs: usize,
    ops: Vec<OpId>,
    max_arity: usize,
}

impl GraphEncoder {
    /// An encoder for `space` (inputs bound to the task, as the evaluator holds it).
    pub fn new(space: &SearchSpace) -> Self {
        let max_arity = space
            .ops
            .iter()
            .map(|o| o.spec().arity)
            .max()
            .unwrap_or(1)
            .max(1);
        GraphEncoder {
            num_inputs: space.inputs.len(),
            ops: space.ops.clone(),
            max_arity,
        }
    }

    /// Length of a node feature vector: inputs + ops + 1 (other op) + dtypes + output flag +
    /// constant value.
    pub fn feature_dim(&self) -> usize {
        self.num_inputs + self.ops.len() + 1 + DType::ALL.len() + 2
    }

    /// Number of edge types (`2 × max arity` of the space's ops).
    pub fn num_edge_types(&self) -> usize {
        2 * self.max_arity
    }

    /// Encodes `program` (dead nodes dropped). A program whose types do not check (never the
    /// case for programs the campaign produces) gets all-zero dtype slots.
    pub fn encode(&self, program: &Program) -> GraphEncoding {
        let p = program.without_dead_nodes();
        let n_in = p.inputs.len();
        let n = p.len();
        let f = self.feature_dim();
        let types = infer_types(&p).ok();
        let mut features = vec![0.0f32; n * f];
        let op_base = self.num_inputs;
        let dtype_base = op_base + self.ops.len() + 1;
        let out_slot = dtype_base + DType::ALL.len();
        let const_slot = out_slot + 1;
        let (mut src, mut dst, mut edge_type) = (vec![], vec![], vec![]);
        for i in 0..n {
            let row = &mut features[i * f..(i + 1) * f];
            if i < n_in {
                // Inputs beyond the space's list (never expected) share the last input slot.
                if self.num_inputs > 0 {
                    row[i.min(self.num_inputs - 1)] = 1.0;
                }
            } else {
                let node = &p.nodes[i - n_in];
                let slot = self
                    .ops
                    .iter()
                    .position(|o| *o == node.op)
                    .unwrap_or(self.ops.len());
                row[op_base + slot] = 1.0;
                if let Some(v) = node.value {
                    row[const_slot] = (v.signum() * v.abs().ln_1p()) as f32;
                }
                let ordered = node.op.spec().ordered;
                for (k, &a) in node.args.iter().enumerate() {
                    let pos = if ordered {
                        k.min(self.max_arity - 1)
                    } else {
                        0
                    } as u32;
                    src.extend([a as u32, i as u32]);
                    dst.extend([i as u32, a as u32]);
                    edge_type.extend([2 * pos, 2 * pos + 1]);
                }
            }
            if let Some(t) = types.as_ref().and_then(|t| t.get(i))
                && let Some(d) = DType::ALL.iter().position(|x| x == t)
            {
                row[dtype_base + d] = 1.0;
            }
            if i == p.output {
                row[out_slot] = 1.0;
            }
        }
        GraphEncoding {
            num_nodes: n,
            features,
            src,
            dst,
            edge_type,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sr_space(vars: &[&str]) -> SearchSpace {
        let src = crate::catalog::space("symbolic_regression").unwrap();
        SearchSpace::from_toml(&src.text, &src.origin)
            .unwrap()
            .with_task_inputs(&vars.iter().map(|v| v.to_string()).collect::<Vec<_>>())
    }

    fn program(json: &str) -> Program {
        Program::from_json(json, "test").unwrap()
    }

    #[test]
    fn features_edges_and_dead_nodes() {
        let space = sr_space(&["x", "y"]);
        let enc = GraphEncoder::new(&space);
        // sub(x, 1.5) with a dead sin(y) node in between.
        let p = program(
            r#"{"inputs":[{"name":"x","dtype":"float"},{"name":"y","dtype":"float"}],
                "nodes":[{"op":"sin","args":[1]},{"op":"const","value":1.5},{"op":"sub","args":[0,3]}],
                "output":4}"#,
        );
        let g = enc.encode(&p);
        let f = enc.feature_dim();
        assert_eq!(g.num_nodes, 4, "x, y, const, sub (the dead sin dropped)");
        assert_eq!(g.features.len(), 4 * f);
        // Node 2 is the constant: op one-hot and squashed value.
        let row = &g.features[2 * f..3 * f];
        let const_slot = 2 + space.ops.iter().position(|o| o.is_const()).unwrap();
        assert_eq!(row[const_slot], 1.0);
        assert!((row[f - 1] - (1.5f64.ln_1p()) as f32).abs() < 1e-6);
        // The output flag is set on the last node only.
        assert_eq!(g.features[3 * f + f - 2], 1.0);
        assert_eq!(g.features[2 * f + f - 2], 0.0);
        // sub is ordered: x is position 0, the constant position 1, both directions.
        assert_eq!(g.num_edges(), 4);
        assert_eq!(g.src, vec![0, 3, 2, 3]);
        assert_eq!(g.dst, vec![3, 0, 3, 2]);
        assert_eq!(g.edge_type, vec![0, 1, 2, 3]);
    }

    #[test]
    fn commutative_ops_ignore_argument_order_but_ordered_ops_do_not() {
        let space = sr_space(&["x", "y"]);
        let enc = GraphEncoder::new(&space);
        let mk = |op: &str, a: usize, b: usize| {
            program(&format!(
                r#"{{"inputs":[{{"name":"x","dtype":"float"}},{{"name":"y","dtype":"float"}}],
                    "nodes":[{{"op":"{op}","args":[{a},{b}]}}],"output":2}}"#
            ))
        };
        let sorted = |g: GraphEncoding| {
            let mut e: Vec<_> = (0..g.num_edges())
                .map(|k| (g.src[k], g.dst[k], g.edge_type[k]))
                .collect();
            e.sort();
            (g.features, e)
        };
        assert_eq!(
            sorted(enc.encode(&mk("add", 0, 1))),
            sorted(enc.encode(&mk("add", 1, 0)))
        );
        assert_ne!(
            sorted(enc.encode(&mk("sub", 0, 1))),
            sorted(enc.encode(&mk("sub", 1, 0)))
        );
    }

    #[test]
    fn encodes_rl_loss_programs() {
        let src = crate::catalog::space("rl_loss").unwrap();
        let space = SearchSpace::from_toml(&src.text, &src.origin).unwrap();
        let dqn = crate::catalog::seeds("rl_loss")
            .into_iter()
            .find(|(n, _)| n == "dqn")
            .unwrap();
        let p = Program::from_json(&dqn.1, "dqn").unwrap();
        let enc = GraphEncoder::new(&space);
        let g = enc.encode(&p);
        assert_eq!(g.num_nodes, p.without_dead_nodes().len());
        let f = enc.feature_dim();
        // Every node has exactly one dtype bit and exactly one input/op bit.
        for i in 0..g.num_nodes {
            let row = &g.features[i * f..(i + 1) * f];
            let kind: f32 = row[..space.inputs.len() + space.ops.len() + 1].iter().sum();
            let dtype_base = space.inputs.len() + space.ops.len() + 1;
            let dt: f32 = row[dtype_base..dtype_base + DType::ALL.len()].iter().sum();
            assert_eq!((kind, dt), (1.0, 1.0), "node {i}");
        }
        assert!(
            g.edge_type
                .iter()
                .all(|&t| (t as usize) < enc.num_edge_types())
        );
    }
}
