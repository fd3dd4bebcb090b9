//! Type-aware random programs.
//!
//! New nodes are drawn by rejection: an op uniformly from the space (or a fresh constant with the
//! space's constant probability), then arguments uniformly from earlier values, until the op's
//! type rule accepts them. This approximates Co-Reyes et al.'s "random (op, inputs) pair from all
//! valid pairs" (ICLR 2021, §3.3) without enumerating every pair.

use super::space::SearchSpace;
use super::validate::{infer_types, validate};
use super::{DType, Node, OpId, Program};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

/// Tries before a sampler gives up (the caller then resamples at a higher level).
pub const MAX_TRIES: usize = 2_000;

/// Draws a constant literal as the space prescribes.
pub fn random_constant(space: &SearchSpace, rng: &mut ChaCha8Rng) -> f64 {
    if let Some(v) = space.constants.values.choose(rng) {
        *v
    } else {
        let [lo, hi] = space.constants.range.unwrap_or([-1.0, 1.0]);
        rng.random_range(lo..=hi)
    }
}

/// Draws one node whose arguments lie in `0..upto` (types in `types`). When `want` is set the
/// node's type must equal it. Ops whose arguments are all constants are never drawn (they are
/// constants in disguise; a literal is drawn instead). Returns `None` if nothing fits after
/// [`MAX_TRIES`].
pub fn random_node(
    space: &SearchSpace,
    types: &[DType],
    upto: usize,
    want: Option<DType>,
    rng: &mut ChaCha8Rng,
) -> Option<(Node, DType)> {
    let const_op = OpId::constant();
    let has_const = space.ops.contains(&const_op);
    let others: Vec<OpId> = space
        .ops
        .iter()
        .copied()
        .filter(|o| *o != const_op)
        .collect();
    let mut argt = Vec::with_capacity(3);
    for _ in 0..MAX_TRIES {
        if has_const && (others.is_empty() || rng.random_bool(space.constants.probability)) {
            if want.is_none_or(|w| w == DType::Const) {
                let node = Node {
                    op: const_op,
                    args: vec![],
                    value: Some(random_constant(space, rng)),
                };
                return Some((node, DType::Const));
            }
            continue;
        }
        let op = *others.choose(rng)?;
        let spec = op.spec();
        if spec.variadic || (spec.arity > 0 && upto == 0) {
            continue;
        }
        let args: Vec<usize> = (0..spec.arity).map(|_| rng.random_range(0..upto)).collect();
        argt.clear();
        argt.extend(args.iter().map(|&a| types[a]));
        // An op over constants only is a constant in disguise: draw a literal instead.
        if argt.iter().all(|t| *t == DType::Const) {
            continue;
        }
        if let Some(t) = (spec.type_rule)(&argt)
            && want.is_none_or(|w| w == t)
        {
            return Some((
                Node {
                    op,
                    args,
                    value: None,
                },
                t,
            ));
        }
    }
    None
}

/// A random valid program with a node count drawn from the space's `init_nodes` range; the
/// output is the last node of the right type through which every required input flows.
///
/// Returns `None` only if no valid program was found after [`MAX_TRIES`] attempts (a space whose
/// ops cannot produce its output type).
pub fn random_program(space: &SearchSpace, rng: &mut ChaCha8Rng) -> Option<Program> {
    if let Some(structure) = space.structure() {
        return structure.random_program(space, rng);
    }
    for _ in 0..MAX_TRIES {
        let [lo, hi] = space.init_nodes;
        let n = rng.random_range(lo..=hi);
        let mut p = Program {
            inputs: space.inputs.clone(),
            nodes: Vec::with_capacity(n),
            output: 0,
        };
        let mut types: Vec<DType> = space.inputs.iter().map(|i| i.dtype).collect();
        for _ in 0..n {
            // Favour recent values so random graphs are deep, not a forest of leaves.
            let upto = types.len();
            match random_node(space, &types, upto, None, rng) {
                Some((node, t)) => {
                    p.nodes.push(node);
                    types.push(t);
                }
                None => break,
            }
        }
        for out in (space.inputs.len()..types.len()).rev() {
            if types[out] != space.output {
                continue;
            }
            p.output = out;
            if validate(&p, space).is_ok() {
                return Some(p);
            }
        }
    }
    None
}

/// Whether `p` is valid for `space` (shorthand used by samplers).
pub fn is_valid(p: &Program, space: &SearchSpace) -> bool {
    validate(p, space).is_ok()
}

/// The types of `p`'s values; `None` when it does not type-check (a sampler then gives up on
/// this try).
pub fn types_of(p: &Program) -> Option<Vec<DType>> {
    infer_types(p).ok()
}
