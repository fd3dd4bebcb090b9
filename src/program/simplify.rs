//! Algebraic simplification for display and export: dead-node elimination, constant folding,
//! identities (`x − x`, `x·1`, `x + 0`, `−(−x)`, …) and common-subexpression elimination.
//! The identities come from each op's [`Algebra`](super::ops::Algebra) facts (identity and
//! absorbing elements, involutions, even functions, …), not from its name.
//!
//! Every rewrite preserves the program's values exactly or up to one rounding, under gevo's
//! protected-op semantics (see [`super::ops`]), for finite inputs. Two consequences:
//! - `x / x` is **not** rewritten to 1: protected division computes `x / (x + 1e-10)`, which is
//!   0 at `x = 0`; likewise `log(exp(x))` is kept (exp is clipped).
//! - A value may become a constant (`x − x → 0`) only when everything downstream of it is
//!   elementwise arithmetic, so the simplified output equals the original after broadcasting
//!   (a `[B]` column of zeros may print as the scalar `0.0`).
//!
//! Programs with `add_gaussian_noise` simplify too, but their random draws are no longer
//! comparable one to one (a removed noise node no longer consumes random numbers).

use super::dtype::DType;
use super::ops::{EqualArgs, OpId, fold};
use super::validate::infer_types;
use super::{Node, Program};
use std::collections::HashMap;

/// Ops computed elementwise with broadcasting (safe consumers of a value that turned constant).
fn is_elementwise(op: OpId) -> bool {
    op.spec().elementwise
}

/// The simplified form of `p`: same inputs, fewer (live) nodes, the same values.
///
/// Programs that do not type-check are returned without dead nodes only.
pub fn simplify(p: &Program) -> Program {
    // Cells are layers with their own weights, not algebra: only NAS-Bench-101's pruning applies.
    if p.nodes.iter().any(|n| n.op.spec().variadic) {
        return super::prune::prune_sums(p);
    }
    let Ok(types) = infer_types(p) else {
        return p.without_dead_nodes();
    };
    let mut b = Builder::new(p, types);
    for (k, node) in p.nodes.iter().enumerate() {
        let i = p.inputs.len() + k;
        if b.live[i] {
            let mapped = b.simplify_node(i, node);
            b.map[i] = mapped;
        }
    }
    let out = b.map[p.output];
    Program {
        inputs: p.inputs.clone(),
        nodes: b.nodes,
        output: out,
    }
    .without_dead_nodes()
}

struct Builder<'a> {
    src: &'a Program,
    /// Types of the source program's values.
    types: Vec<DType>,
    live: Vec<bool>,
    /// Whether source value `i` may be replaced by a constant (see module docs).
    const_ok: Vec<bool>,
    /// Source index → index in the program being built.
    map: Vec<usize>,
    nodes: Vec<Node>,
    /// Types of the built program's values.
    new_types: Vec<DType>,
    /// Hash-consing table for common-subexpression elimination.
    seen: HashMap<Key, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    op: OpId,
    args: Vec<usize>,
    value_bits: Option<u64>,
}

impl<'a> Builder<'a> {
    fn new(src: &'a Program, types: Vec<DType>) -> Self {
        let n_in = src.inputs.len();
        let live = src.live_mask();
        // const_ok: the output, or a value all of whose live consumers are elementwise and
        // themselves const_ok. Computed backwards over the topological order.
        let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); src.len()];
        for (k, node) in src.nodes.iter().enumerate() {
            if live[n_in + k] {
                for &a in &node.args {
                    consumers[a].push(n_in + k);
                }
            }
        }
        let mut const_ok = vec![false; src.len()];
        for i in (0..src.len()).rev() {
            const_ok[i] = i == src.output
                || (!consumers[i].is_empty()
                    && consumers[i].iter().all(|&c| {
                        const_ok[c] && src.node(c).is_some_and(|n| is_elementwise(n.op))
                    }));
        }
        let map = (0..src.len())
            .map(|i| if i < n_in { i } else { usize::MAX })
            .collect();
        let new_types = src.inputs.iter().map(|i| i.dtype).collect();
        Builder {
            src,
            types,
            live,
            const_ok,
            map,
            nodes: Vec::new(),
            new_types,
            seen: HashMap::new(),
        }
    }

    fn n_in(&self) -> usize {
        self.src.inputs.len()
    }

    fn new_type(&self, i: usize) -> DType {
        self.new_types[i]
    }

    fn const_value(&self, i: usize) -> Option<f64> {
        let k = i.checked_sub(self.n_in())?;
        let n = &self.nodes[k];
        n.op.is_const().then(|| n.value.unwrap_or(0.0))
    }

    fn is_const(&self, i: usize, v: f64) -> bool {
        self.const_value(i) == Some(v)
    }

    /// Simplifies source node `i` (`node`), returning its index in the built program.
    fn simplify_node(&mut self, i: usize, node: &Node) -> usize {
        if node.op.is_const() {
            return self.constant(node.value.unwrap_or(0.0));
        }
        let args: Vec<usize> = node.args.iter().map(|&a| self.map[a]).collect();
        let may_be_const = self.const_ok[i] || self.types[i] == DType::Const;
        self.make(node.op, args, may_be_const)
    }

    fn constant(&mut self, v: f64) -> usize {
        self.intern(Node {
            op: OpId::constant(),
            args: vec![],
            value: Some(v),
        })
    }

    /// Builds `op(args)`, applying rewrites; `may_be_const` allows replacing a non-constant
    /// value by a constant.
    fn make(&mut self, op: OpId, args: Vec<usize>, may_be_const: bool) -> usize {
        let arg_types: Vec<DType> = args.iter().map(|&a| self.new_type(a)).collect();
        let Some(result_type) = (op.spec().type_rule)(&arg_types) else {
            // Cannot happen for simplified args of a typed program; keep the node as is.
            return self.intern(Node {
                op,
                args,
                value: None,
            });
        };
        // Constant folding.
        let constants: Option<Vec<f64>> = args.iter().map(|&a| self.const_value(a)).collect();
        if is_elementwise(op)
            && let Some(vals) = constants
        {
            let v = fold(op, &vals);
            if v.is_finite() {
                return self.constant(v);
            }
        }
        let (x, y) = (args.first().copied(), args.get(1).copied());
        // A rewrite to `z` is allowed when it keeps the type, or turns constant where allowed.
        let keeps = |b: &Self, z: usize| {
            let t = b.new_type(z);
            t == result_type || (t == DType::Const && may_be_const) || same_shape(t, result_type)
        };
        let rewritten = match (x, y) {
            (Some(x), Some(y)) => self.rewrite_binary(op, x, y, may_be_const),
            (Some(x), None) => self.rewrite_unary(op, x, may_be_const),
            _ => None,
        };
        if let Some(z) = rewritten
            && keeps(self, z)
        {
            return z;
        }
        self.intern(Node {
            op,
            args,
            value: None,
        })
    }

    /// The first rewrite of `op(x, y)` the op's algebraic facts allow.
    fn rewrite_binary(
        &mut self,
        op: OpId,
        x: usize,
        y: usize,
        may_be_const: bool,
    ) -> Option<usize> {
        let facts = op.spec().algebra;
        let neg =
            |b: &mut Self, z: usize| b.make(const { OpId::builtin("neg") }, vec![z], may_be_const);
        if facts.right_identity.is_some_and(|e| self.is_const(y, e)) {
            return Some(x);
        }
        if facts.left_identity.is_some_and(|e| self.is_const(x, e)) {
            return Some(y);
        }
        if x == y
            && let Some(equal) = facts.equal_args
        {
            return Some(match equal {
                EqualArgs::Zero => self.constant(0.0),
                EqualArgs::First => x,
                EqualArgs::Op(name) => self.make(OpId::by_name(name)?, vec![x], may_be_const),
            });
        }
        if facts.left_zero_negates && self.is_const(x, 0.0) {
            return Some(neg(self, y));
        }
        if let Some(z) = facts.absorbing
            && (self.is_const(x, z) || self.is_const(y, z))
        {
            return Some(self.constant(z));
        }
        if let Some(c) = facts.negated_by {
            if self.is_const(y, c) {
                return Some(neg(self, x));
            }
            if self.is_const(x, c) {
                return Some(neg(self, y));
            }
        }
        None
    }

    /// The first rewrite of `op(x)` the op's algebraic facts allow.
    fn rewrite_unary(&mut self, op: OpId, x: usize, may_be_const: bool) -> Option<usize> {
        let facts = op.spec().algebra;
        let inner = self.op_of(x);
        if facts.involution && inner == Some(op) {
            return Some(self.arg_of(x, 0));
        }
        if facts.absolute && inner.is_some_and(|i| i.spec().algebra.nonnegative) {
            return Some(x);
        }
        if facts.even && (self.is_op(x, "neg") || self.is_op(x, "abs")) {
            let z = self.arg_of(x, 0);
            return Some(self.make(op, vec![z], may_be_const));
        }
        if let Some(name) = facts.of_square
            && self.is_op(x, "square")
        {
            let z = self.arg_of(x, 0);
            return Some(self.make(OpId::by_name(name)?, vec![z], may_be_const));
        }
        None
    }

    /// The op of built value `i`, unless it is an input.
    fn op_of(&self, i: usize) -> Option<OpId> {
        i.checked_sub(self.n_in()).map(|k| self.nodes[k].op)
    }

    fn is_op(&self, i: usize, name: &str) -> bool {
        i >= self.n_in() && self.nodes[i - self.n_in()].op.name() == name
    }

    fn arg_of(&self, i: usize, j: usize) -> usize {
        self.nodes[i - self.n_in()].args[j]
    }

    /// Appends `node` unless an identical one exists (stochastic ops are never merged).
    fn intern(&mut self, node: Node) -> usize {
        let mut args = node.args.clone();
        if !node.op.spec().ordered {
            // `a + b` and `b + a` merge; the node keeps its written order for display.
            args.sort_unstable();
        }
        let key = Key {
            op: node.op,
            args,
            value_bits: node.value.map(f64::to_bits),
        };
        let mergeable = !node.op.spec().stochastic;
        if mergeable && let Some(&i) = self.seen.get(&key) {
            return i;
        }
        let arg_types: Vec<DType> = node.args.iter().map(|&a| self.new_types[a]).collect();
        let t = (node.op.spec().type_rule)(&arg_types).unwrap_or(DType::Float);
        let idx = self.n_in() + self.nodes.len();
        self.nodes.push(node);
        self.new_types.push(t);
        if mergeable {
            self.seen.insert(key, idx);
        }
        idx
    }
}

/// `List` and `Prob` hold the same `[B, A]` shape; consumers accept either.
fn same_shape(a: DType, b: DType) -> bool {
    matches!(
        (a, b),
        (DType::List | DType::Prob, DType::List | DType::Prob)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;
    use crate::domains::rl_loss::probe::LossProbe;
    use crate::program::generate::random_program;
    use crate::program::interpreter::Interpreter;
    use crate::program::ops::KernelContext;
    use crate::program::print::infix_top;
    use crate::program::space::SearchSpace;
    use crate::program::value::Value;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn space(name: &str) -> SearchSpace {
        catalog::load_space(name).expect("shipped space")
    }

    fn sr_outputs(p: &Program, x: &[Vec<f64>]) -> Vec<f64> {
        let inputs: Vec<Value> = x.iter().map(|c| Value::column(c.clone())).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut ctx = KernelContext::new(&mut rng);
        let rows = x[0].len();
        Interpreter::new()
            .run(p, &inputs, &mut ctx)
            .broadcast_to(rows, 1)
    }

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                (x.is_nan() && y.is_nan())
                    || x == y
                    || (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1e-300)
            })
    }

    fn program(text: &str) -> Program {
        Program::from_json(text, "test").unwrap()
    }

    #[test]
    fn identities_and_folding() {
        // x0 − x0 + (2·3)·x0 + x0·1  →  6·x0 + x0
        let p = program(
            r#"{"inputs":[{"name":"x0","dtype":"float"}],"nodes":[
            {"op":"sub","args":[0,0]},
            {"op":"const","value":2.0},{"op":"const","value":3.0},
            {"op":"mul","args":[2,3]},{"op":"mul","args":[4,0]},
            {"op":"add","args":[1,5]},
            {"op":"const","value":1.0},{"op":"mul","args":[0,7]},
            {"op":"add","args":[6,8]}],"output":9}"#,
        );
        let s = simplify(&p);
        assert_eq!(infix_top(&s), "(6.0 * x0) + x0");
        assert_eq!(s.size(), 3);
    }

    /// One node: op, arguments, literal.
    type Term<'a> = (&'a str, &'a [usize], Option<f64>);

    /// A one-input program of `nodes`; the last node is the output.
    fn over_x0(nodes: &[Term<'_>]) -> Program {
        Program {
            inputs: vec![crate::program::Input {
                name: "x0".into(),
                dtype: DType::Float,
            }],
            nodes: nodes
                .iter()
                .map(|(op, args, value)| Node {
                    op: OpId::by_name(op).unwrap(),
                    args: args.to_vec(),
                    value: *value,
                })
                .collect(),
            output: nodes.len(),
        }
    }

    #[test]
    fn each_algebraic_fact_rewrites() {
        let cases: [(&[Term<'_>], &str); 8] = [
            (&[("square", &[0], None), ("sqrt", &[1], None)], "abs(x0)"),
            (&[("neg", &[0], None), ("abs", &[1], None)], "abs(x0)"),
            (&[("abs", &[0], None), ("square", &[1], None)], "square(x0)"),
            (&[("sqrt", &[0], None), ("abs", &[1], None)], "sqrt(x0)"),
            (&[("neg", &[0], None), ("neg", &[1], None)], "x0"),
            (
                &[("const", &[], Some(0.0)), ("sub", &[1, 0], None)],
                "neg(x0)",
            ),
            (
                &[("const", &[], Some(-1.0)), ("mul", &[0, 1], None)],
                "neg(x0)",
            ),
            (&[("max", &[0, 0], None)], "x0"),
        ];
        for (nodes, want) in cases {
            let p = over_x0(nodes);
            assert_eq!(infix_top(&simplify(&p)), want, "{}", infix_top(&p));
        }
    }

    #[test]
    fn common_subexpressions_merge_commutative_args() {
        let p = program(
            r#"{"inputs":[{"name":"x0","dtype":"float"},{"name":"x1","dtype":"float"}],"nodes":[
            {"op":"add","args":[0,1]},{"op":"add","args":[1,0]},
            {"op":"mul","args":[2,3]}],"output":4}"#,
        );
        let s = simplify(&p);
        assert_eq!(infix_top(&s), "square((x0 + x1))");
        assert_eq!(s.nodes.len(), 2);
    }

    #[test]
    fn protected_division_by_itself_is_kept() {
        let p = program(
            r#"{"inputs":[{"name":"x0","dtype":"float"}],"nodes":[
            {"op":"div","args":[0,0]}],"output":1}"#,
        );
        assert_eq!(simplify(&p), p);
    }

    #[test]
    fn no_constant_where_a_reduction_needs_a_column() {
        // mean_batch(r − r) must stay a Float-typed argument.
        let s = space("rl_loss");
        let r = s.input_index("reward").unwrap();
        let n = s.inputs.len();
        let p = Program {
            inputs: s.inputs.clone(),
            nodes: vec![
                Node {
                    op: OpId::by_name("sub").unwrap(),
                    args: vec![r, r],
                    value: None,
                },
                Node {
                    op: OpId::by_name("mean_batch").unwrap(),
                    args: vec![n],
                    value: None,
                },
            ],
            output: n + 1,
        };
        let simplified = simplify(&p);
        assert!(
            infer_types(&simplified).is_ok(),
            "{}",
            infix_top(&simplified)
        );
        assert_eq!(simplified.nodes.len(), 2);
    }

    #[test]
    fn random_equations_keep_their_values() {
        let sp = space("symbolic_regression").with_task_inputs(&["x0".into(), "x1".into()]);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let x: Vec<Vec<f64>> = (0..2)
            .map(|j| {
                (0..64)
                    .map(|i| (i as f64 * 0.37 + j as f64) - 11.0)
                    .collect()
            })
            .collect();
        let mut shrunk = 0;
        for _ in 0..500 {
            let Some(p) = random_program(&sp, &mut rng) else {
                continue;
            };
            let s = simplify(&p);
            assert!(infer_types(&s).is_ok());
            assert!(s.size() <= p.size());
            shrunk += usize::from(s.size() < p.size());
            let (a, b) = (sr_outputs(&p, &x), sr_outputs(&s, &x));
            assert!(close(&a, &b), "{}\n→ {}", infix_top(&p), infix_top(&s));
        }
        assert!(shrunk > 0, "no random program got smaller");
    }

    #[test]
    fn random_losses_keep_their_values() {
        let probe = LossProbe::new();
        for name in ["rl_loss", "rl_loss_large"] {
            let sp = space(name);
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            let mut compared = 0;
            for _ in 0..300 {
                let Some(p) = random_program(&sp, &mut rng) else {
                    continue;
                };
                if p.nodes.iter().any(|n| n.op.name() == "add_gaussian_noise") {
                    continue;
                }
                let s = simplify(&p);
                assert!(infer_types(&s).is_ok(), "{}", infix_top(&s));
                let (a, b) = (probe.outputs(&p), probe.outputs(&s));
                assert!(close(&a, &b), "{}\n→ {}", infix_top(&p), infix_top(&s));
                compared += 1;
            }
            assert!(compared > 100, "{name}: only {compared} programs compared");
        }
    }
}
