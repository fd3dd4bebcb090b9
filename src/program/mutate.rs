//! Mutation operators. Invalid children are resampled, never evaluated.
//!
//! Sources: op replacement and the whole-new-program move follow Co-Reyes et al. (ICLR 2021,
//! §3.3: "replace a node with a random op and inputs; with probability 0.05 a new random
//! program"); insert/delete/rewire follow AutoML-Zero's instruction mutations (Real et al.,
//! ICML 2020, §3); constant perturbation ×U[0.5, 2] with a sign flip follows PySR/gplearn habits.

use super::generate::{MAX_TRIES, random_constant, random_node, random_program, types_of};
use super::space::SearchSpace;
use super::validate::validate;
use super::{DType, Node, Program};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Which mutation produced a child (recorded in the archive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MutationKind {
    /// An op node replaced by a random (op, arguments) pair; type-preserving when it is used.
    ReplaceOp,
    /// A new node inserted and wired into a later node.
    InsertNode,
    /// An op node removed; its users rewired to an earlier value of the same type.
    DeleteNode,
    /// One argument of one node pointed at another earlier value.
    RewireArg,
    /// A constant scaled by U[0.5, 2] (sign flip with probability 0.1), or redrawn from the
    /// space's list of constants.
    PerturbConstant,
    /// A whole new random program.
    NewProgram,
    /// NAS-Bench-101's cell mutation: every edge flipped with probability 1/7, every interior
    /// op resampled with probability 1/5, repeated until the cell is valid and different.
    CellMutation,
    /// Not a mutation: the parent's constants fitted to the training data (symbolic
    /// regression's `--optimize-constants`), same structure.
    ConstantsFitted,
}

impl MutationKind {
    /// The local (non-restart) kinds.
    pub const LOCAL: [MutationKind; 5] = [
        MutationKind::ReplaceOp,
        MutationKind::InsertNode,
        MutationKind::DeleteNode,
        MutationKind::RewireArg,
        MutationKind::PerturbConstant,
    ];

    /// File/CLI name.
    pub fn name(self) -> &'static str {
        match self {
            MutationKind::ReplaceOp => "replace_op",
            MutationKind::InsertNode => "insert_node",
            MutationKind::DeleteNode => "delete_node",
            MutationKind::RewireArg => "rewire_arg",
            MutationKind::PerturbConstant => "perturb_constant",
            MutationKind::NewProgram => "new_program",
            MutationKind::CellMutation => "cell_mutation",
            MutationKind::ConstantsFitted => "constants_fitted",
        }
    }
}

/// Mutation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MutationConfig {
    /// Probability of a whole new random program instead of a local mutation (default 0.05,
    /// Co-Reyes et al. 2021).
    pub p_new: f64,
    /// Relative weights of replace_op, insert_node, delete_node, rewire_arg, perturb_constant
    /// (default 1 each).
    pub weights: [f64; 5],
}

impl Default for MutationConfig {
    fn default() -> Self {
        MutationConfig {
            p_new: 0.05,
            weights: [1.0; 5],
        }
    }
}

/// Mutates `parent` into a different valid child and says how. Local moves that fail (or give
/// an invalid or identical program) are resampled; after [`MAX_TRIES`] a new random program is
/// returned.
pub fn mutate(
    parent: &Program,
    space: &SearchSpace,
    cfg: &MutationConfig,
    rng: &mut ChaCha8Rng,
) -> (Program, MutationKind) {
    if let Some(structure) = space.structure() {
        return structure.mutate(parent, space, rng);
    }
    let total: f64 = cfg.weights.iter().sum();
    for _ in 0..MAX_TRIES {
        if rng.random_bool(cfg.p_new.clamp(0.0, 1.0)) || total <= 0.0 {
            if let Some(p) = random_program(space, rng) {
                return (p, MutationKind::NewProgram);
            }
            continue;
        }
        let mut pick = rng.random_range(0.0..total);
        let mut kind = MutationKind::ReplaceOp;
        for (k, w) in MutationKind::LOCAL.iter().zip(cfg.weights) {
            if pick < w {
                kind = *k;
                break;
            }
            pick -= w;
        }
        let child = match kind {
            MutationKind::ReplaceOp => replace_op(parent, space, rng),
            MutationKind::InsertNode => insert_node(parent, space, rng),
            MutationKind::DeleteNode => delete_node(parent, rng),
            MutationKind::RewireArg => rewire_arg(parent, space, rng),
            MutationKind::PerturbConstant => perturb_constant(parent, space, rng),
            MutationKind::NewProgram
            | MutationKind::CellMutation
            | MutationKind::ConstantsFitted => {
                unreachable!("handled above")
            }
        };
        if let Some(c) = child
            && c != *parent
            && validate(&c, space).is_ok()
        {
            return (c, kind);
        }
    }
    let p = random_program(space, rng).unwrap_or_else(|| parent.clone());
    (p, MutationKind::NewProgram)
}

/// Picks an op-node position (0-based among nodes) satisfying `ok`, preferring nodes the output
/// depends on (probability 0.9) so most mutations change the function rather than dead code.
fn pick_node(p: &Program, rng: &mut ChaCha8Rng, ok: impl Fn(usize) -> bool) -> Option<usize> {
    let n_in = p.inputs.len();
    let live = p.live_mask();
    let all: Vec<usize> = (0..p.nodes.len()).filter(|&k| ok(k)).collect();
    let alive: Vec<usize> = all.iter().copied().filter(|&k| live[n_in + k]).collect();
    let pool = if !alive.is_empty() && (alive.len() == all.len() || rng.random_bool(0.9)) {
        alive
    } else {
        all
    };
    (!pool.is_empty()).then(|| pool[rng.random_range(0..pool.len())])
}

/// Whether value `i` is used as an argument by a later node or is the output.
fn is_used(p: &Program, i: usize) -> bool {
    p.output == i || p.nodes.iter().any(|n| n.args.contains(&i))
}

fn replace_op(p: &Program, space: &SearchSpace, rng: &mut ChaCha8Rng) -> Option<Program> {
    if p.nodes.is_empty() {
        return None;
    }
    let n_in = p.inputs.len();
    let k = pick_node(p, rng, |_| true)?;
    let i = n_in + k;
    let types = types_of(p)?;
    let want = is_used(p, i).then_some(types[i]);
    let mut c = p.clone();
    // Half the time keep the arguments and change only the op (point mutation of tree GP).
    if rng.random_bool(0.5) && !p.nodes[k].args.is_empty() {
        let argt: Vec<DType> = p.nodes[k].args.iter().map(|&a| types[a]).collect();
        let same: Vec<_> = space
            .ops
            .iter()
            .filter(|o| **o != p.nodes[k].op && !o.spec().variadic && o.spec().arity == argt.len())
            .filter(|o| (o.spec().type_rule)(&argt).is_some_and(|t| want.is_none_or(|w| w == t)))
            .collect();
        if !same.is_empty() {
            c.nodes[k].op = *same[rng.random_range(0..same.len())];
            return Some(c);
        }
    }
    let (node, _) = random_node(space, &types, i, want, rng)?;
    c.nodes[k] = node;
    Some(c)
}

fn insert_node(p: &Program, space: &SearchSpace, rng: &mut ChaCha8Rng) -> Option<Program> {
    if p.nodes.len() >= space.max_nodes {
        return None;
    }
    if rng.random_bool(0.5)
        && let Some(c) = interpose(p, space, rng)
    {
        return Some(c);
    }
    let n_in = p.inputs.len();
    let types = types_of(p)?;
    // Insert at global position `at`: indices >= at shift up by one.
    let at = rng.random_range(n_in..=p.len());
    let (node, t) = random_node(space, &types, at, None, rng)?;
    let mut c = insert_at(p, at, node);
    // Wire the new value into one later argument of the same type so it is not born dead.
    let mut slots = Vec::new();
    for (k, n) in c.nodes.iter().enumerate() {
        if n_in + k <= at {
            continue;
        }
        for (j, &a) in n.args.iter().enumerate() {
            let old_t = if a < at { types[a] } else { types[a - 1] };
            if old_t == t {
                slots.push((k, j));
            }
        }
    }
    if slots.is_empty() {
        if t == space.output {
            c.output = at;
        }
    } else {
        let (k, j) = slots[rng.random_range(0..slots.len())];
        c.nodes[k].args[j] = at;
    }
    Some(c)
}

/// Inserts `node` at global index `at`, renumbering later references.
fn insert_at(p: &Program, at: usize, node: Node) -> Program {
    let n_in = p.inputs.len();
    let shift = |a: usize| if a >= at { a + 1 } else { a };
    let mut nodes: Vec<Node> = p
        .nodes
        .iter()
        .map(|n| Node {
            op: n.op,
            args: n.args.iter().map(|&a| shift(a)).collect(),
            value: n.value,
        })
        .collect();
    nodes.insert(at - n_in, node);
    Program {
        inputs: p.inputs.clone(),
        nodes,
        output: shift(p.output),
    }
}

/// Puts a new node on an existing edge `v → user` (or on the output): `user(…v…)` becomes
/// `user(…new(v, w)…)`. This grows expressions smoothly (`x·x` → `(x·x)·x`), the move that
/// subtree mutation makes in tree GP.
fn interpose(p: &Program, space: &SearchSpace, rng: &mut ChaCha8Rng) -> Option<Program> {
    let n_in = p.inputs.len();
    let live = p.live_mask();
    // Edges (user position, argument slot or None for the output, value).
    let mut edges: Vec<(usize, Option<usize>, usize)> = vec![(p.len(), None, p.output)];
    for (k, n) in p.nodes.iter().enumerate() {
        if live[n_in + k] {
            edges.extend(
                n.args
                    .iter()
                    .enumerate()
                    .map(|(j, &a)| (n_in + k, Some(j), a)),
            );
        }
    }
    let (user, slot, v) = edges[rng.random_range(0..edges.len())];
    let types = types_of(p)?;
    let t = types[v];
    let at = user;
    for _ in 0..64 {
        let (mut node, _) = random_node(space, &types, at, Some(t), rng)?;
        if node.args.is_empty() {
            continue;
        }
        let j = rng.random_range(0..node.args.len());
        node.args[j] = v;
        let argt: Vec<DType> = node.args.iter().map(|&a| types[a]).collect();
        if (node.op.spec().type_rule)(&argt) != Some(t) {
            continue;
        }
        let mut c = insert_at(p, at, node);
        match slot {
            None => c.output = at,
            Some(j) => c.nodes[user + 1 - n_in].args[j] = at,
        }
        return Some(c);
    }
    None
}

fn delete_node(p: &Program, rng: &mut ChaCha8Rng) -> Option<Program> {
    if p.nodes.len() <= 1 {
        return None;
    }
    let n_in = p.inputs.len();
    let k = pick_node(p, rng, |_| true)?;
    let del = n_in + k;
    let types = types_of(p)?;
    let t = types[del];
    // Replacement for uses of the deleted value: an argument of it or any earlier value of the
    // same type, preferring its own arguments (keeps the computation closest).
    let own: Vec<usize> = p.nodes[k]
        .args
        .iter()
        .copied()
        .filter(|&a| types[a] == t)
        .collect();
    let earlier: Vec<usize> = (0..del).filter(|&a| types[a] == t).collect();
    let pool = if own.is_empty() { &earlier } else { &own };
    let repl = if is_used(p, del) {
        Some(*pool.get(rng.random_range(0..pool.len().max(1)))?)
    } else {
        None
    };
    let fix = |a: usize| -> usize {
        let a = if a == del { repl.unwrap_or(a) } else { a };
        if a > del { a - 1 } else { a }
    };
    let nodes = p
        .nodes
        .iter()
        .enumerate()
        .filter(|(kk, _)| *kk != k)
        .map(|(_, n)| Node {
            op: n.op,
            args: n.args.iter().map(|&a| fix(a)).collect(),
            value: n.value,
        })
        .collect();
    Some(Program {
        inputs: p.inputs.clone(),
        nodes,
        output: fix(p.output),
    })
}

fn rewire_arg(p: &Program, space: &SearchSpace, rng: &mut ChaCha8Rng) -> Option<Program> {
    let n_in = p.inputs.len();
    let k = pick_node(p, rng, |k| !p.nodes[k].args.is_empty())?;
    let i = n_in + k;
    let j = rng.random_range(0..p.nodes[k].args.len());
    let types = types_of(p)?;
    let spec = p.nodes[k].op.spec();
    let mut argt: Vec<DType> = p.nodes[k].args.iter().map(|&a| types[a]).collect();
    let candidates: Vec<usize> = (0..i)
        .filter(|&a| a != p.nodes[k].args[j])
        .filter(|&a| {
            argt[j] = types[a];
            (spec.type_rule)(&argt) == Some(types[i])
        })
        .collect();
    let _ = space;
    let a = *candidates.get(rng.random_range(0..candidates.len().max(1)))?;
    let mut c = p.clone();
    c.nodes[k].args[j] = a;
    Some(c)
}

fn perturb_constant(p: &Program, space: &SearchSpace, rng: &mut ChaCha8Rng) -> Option<Program> {
    let k = pick_node(p, rng, |k| p.nodes[k].op.is_const())?;
    let mut c = p.clone();
    let old = c.nodes[k].value.unwrap_or(0.0);
    let new = if space.constants.perturbation == super::space::Perturbation::Log2Normal {
        let v = old * 2f64.powf(super::ops::standard_normal(rng));
        if v == 0.0 || !v.is_finite() {
            random_constant(space, rng)
        } else {
            v
        }
    } else if space.constants.values.is_empty() {
        let mut v = old * rng.random_range(0.5..2.0);
        if rng.random_bool(0.1) {
            v = -v;
        }
        if v == 0.0 {
            random_constant(space, rng)
        } else {
            v
        }
    } else {
        random_constant(space, rng)
    };
    c.nodes[k].value = Some(new);
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::print::infix;
    use rand::SeedableRng;
    use std::collections::HashSet;

    fn space(name: &str) -> SearchSpace {
        let src = crate::catalog::space(name).unwrap();
        let s = SearchSpace::from_toml(&src.text, &src.origin).unwrap();
        s.with_task_inputs(&["x".into(), "y".into()])
    }

    /// Every child is valid, differs from its parent, and every mutation kind occurs.
    #[test]
    fn children_are_valid_and_different_in_every_space() {
        for name in ["symbolic_regression", "rl_loss", "rl_loss_large"] {
            let s = space(name);
            let mut rng = ChaCha8Rng::seed_from_u64(5);
            let mut kinds = HashSet::new();
            let mut p = random_program(&s, &mut rng).unwrap();
            for i in 0..3000 {
                let (c, kind) = mutate(&p, &s, &MutationConfig::default(), &mut rng);
                assert!(
                    validate(&c, &s).is_ok(),
                    "{name}: invalid child by {kind:?}: {}",
                    infix(&c)
                );
                assert_ne!(c, p, "{name}: child equals parent");
                kinds.insert(kind);
                // Walk: keep mutating the child, restarting now and then.
                p = if i % 100 == 99 {
                    random_program(&s, &mut rng).unwrap()
                } else {
                    c
                };
            }
            assert_eq!(kinds.len(), 6, "{name}: kinds seen {kinds:?}");
        }
    }

    #[test]
    fn interposition_grows_the_expression_on_an_edge() {
        let s = space("symbolic_regression");
        let p = Program::from_json(
            r#"{"inputs":[{"name":"x","dtype":"float"},{"name":"y","dtype":"float"}],"nodes":[{"op":"mul","args":[0,0]}],"output":2}"#,
            "t",
        )
        .unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..50 {
            let c = interpose(&p, &s, &mut rng).unwrap();
            assert!(validate(&c, &s).is_ok());
            assert_eq!(c.size(), 2, "one new live node: {}", infix(&c));
        }
    }

    #[test]
    fn constant_perturbation_scales_within_range() {
        let s = space("symbolic_regression");
        let p = Program::from_json(
            r#"{"inputs":[{"name":"x","dtype":"float"},{"name":"y","dtype":"float"}],"nodes":[{"op":"const","value":1.0},{"op":"mul","args":[0,2]}],"output":3}"#,
            "t",
        )
        .unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut flips = 0;
        for _ in 0..2000 {
            let c = perturb_constant(&p, &s, &mut rng).unwrap();
            let v = c.nodes[0].value.unwrap();
            assert!((0.5..2.0).contains(&v.abs()), "{v}");
            flips += (v < 0.0) as usize;
        }
        assert!(
            (120..280).contains(&flips),
            "sign flips with p = 0.1: {flips}"
        );
    }
}
