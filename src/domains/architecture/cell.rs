//! NAS-Bench-101 cells in the program IR (Ying et al., "NAS-Bench-101: Towards Reproducible
//! Neural Architecture Search", ICML 2019, §2.1).
//!
//! A cell is a program with one `feature_map` input (vertex 0), interior op nodes (vertices
//! `1..=n`; each sums its arguments, then applies conv3×3-BN-ReLU, conv1×1-BN-ReLU or 3×3
//! max-pool) and a last `cell_output` node (vertex `n + 1`) that sums its arguments. Program
//! value indices are the vertex numbers, and the arguments of node `j` are the sources of the
//! edges into `j` — so the adjacency matrix and the program are the same thing. Interior nodes
//! off every input-to-output path (even with no arguments) are dead code, as in NAS-Bench-101's
//! pruning (see [`crate::program::prune`]).
//!
//! The space's `[cell]` table ([`CellSpec`]) is this module's [`ProgramStructure`]: spaces that
//! have one are sampled, mutated and checked here.

use crate::program::mutate::MutationKind;
use crate::program::space::{CellSpec, SearchSpace};
use crate::program::structure::ProgramStructure;
use crate::program::validate::validate;
use crate::program::{DType, Input, Node, OpId, Program};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

/// Tries before random sampling or mutation gives up.
const MAX_TRIES: usize = 10_000;

/// A cell as NAS-Bench-101 writes it: the interior ops and the upper-triangular adjacency
/// matrix over `n + 2` vertices (input, interior…, output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// Op of each interior vertex `1..=n`.
    pub ops: Vec<OpId>,
    /// `edges[i][j]`: an edge from vertex `i` to vertex `j > i`.
    pub edges: Vec<Vec<bool>>,
}

impl Cell {
    /// Number of vertices (`n + 2`).
    pub fn vertices(&self) -> usize {
        self.ops.len() + 2
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.edges.iter().flatten().filter(|e| **e).count()
    }

    /// Vertices on some input-to-output path (the rest is pruned).
    pub fn on_path(&self) -> Vec<bool> {
        let v = self.vertices();
        let mut from_input = vec![false; v];
        from_input[0] = true;
        for j in 1..v {
            from_input[j] = (0..j).any(|i| from_input[i] && self.edges[i][j]);
        }
        let mut to_output = vec![false; v];
        to_output[v - 1] = true;
        for i in (0..v - 1).rev() {
            to_output[i] = (i + 1..v).any(|j| to_output[j] && self.edges[i][j]);
        }
        (0..v).map(|i| from_input[i] && to_output[i]).collect()
    }

    /// The program of this cell over `input`.
    pub fn to_program(&self, input: &Input) -> Program {
        let v = self.vertices();
        let output_op = const { OpId::builtin("cell_output") };
        let nodes = (1..v)
            .map(|j| Node {
                op: if j == v - 1 {
                    output_op
                } else {
                    self.ops[j - 1]
                },
                args: (0..j).filter(|&i| self.edges[i][j]).collect(),
                value: None,
            })
            .collect();
        Program {
            inputs: vec![input.clone()],
            nodes,
            output: v - 1,
        }
    }

    /// Reads a cell from a program laid out as described in the module docs.
    ///
    /// # Errors
    /// A message naming what breaks the layout.
    pub fn from_program(p: &Program) -> Result<Cell, String> {
        if p.inputs.len() != 1 || !matches!(p.inputs[0].dtype, DType::FeatureMap | DType::Features)
        {
            return Err("a cell has exactly one feature_map or features input".into());
        }
        let v = p.len();
        if v < 2 || p.output != v - 1 {
            return Err("the output must be the last node".into());
        }
        let mut edges = vec![vec![false; v]; v];
        let mut ops = Vec::new();
        for (k, node) in p.nodes.iter().enumerate() {
            let j = k + 1;
            let is_output = j == v - 1;
            if (node.op.name() == "cell_output") != is_output {
                return Err(format!(
                    "node {j}: `cell_output` must be the last node and only there (found `{}`)",
                    node.op.name()
                ));
            }
            if !node.op.spec().variadic {
                return Err(format!("node {j}: `{}` is not a cell op", node.op.name()));
            }
            for &i in &node.args {
                if i >= j {
                    return Err(format!(
                        "node {j}: argument {i} is not an earlier value (cells are acyclic)"
                    ));
                }
                if edges[i][j] {
                    return Err(format!("node {j}: argument {i} appears twice"));
                }
                edges[i][j] = true;
            }
            if !is_output {
                ops.push(node.op);
            }
        }
        Ok(Cell { ops, edges })
    }
}

/// The space's cell rules: layout, interior ops, at most `interior_nodes` interior vertices and
/// `max_edges` edges, and a path from the input to the output.
///
/// # Errors
/// A message naming the broken rule.
pub fn check(p: &Program, spec: &CellSpec) -> Result<(), String> {
    let cell = Cell::from_program(p)?;
    if cell.ops.len() > spec.interior_nodes {
        return Err(format!(
            "{} interior nodes, at most {}",
            cell.ops.len(),
            spec.interior_nodes
        ));
    }
    if let Some(op) = cell.ops.iter().find(|o| !spec.interior_ops.contains(o)) {
        return Err(format!(
            "`{}` is not an interior op of this space",
            op.name()
        ));
    }
    let edges = cell.edge_count();
    if edges > spec.max_edges {
        return Err(format!("{edges} edges, at most {}", spec.max_edges));
    }
    if !cell.on_path()[cell.vertices() - 1] {
        return Err("no path from the input to the output".into());
    }
    Ok(())
}

/// `None` when the spec offers no interior op (loading a space refuses that).
fn random_matrix(n: usize, spec: &CellSpec, rng: &mut ChaCha8Rng) -> Option<Cell> {
    let v = n + 2;
    Some(Cell {
        ops: (0..n)
            .map(|_| spec.interior_ops.choose(rng).copied())
            .collect::<Option<Vec<_>>>()?,
        edges: (0..v)
            .map(|i| (0..v).map(|j| j > i && rng.random_bool(0.5)).collect())
            .collect(),
    })
}

/// A random valid cell: NAS-Bench-101's sampler (every edge with probability ½, ops uniform,
/// resampled until valid) over `interior_nodes` interior vertices.
pub fn random_cell(space: &SearchSpace, spec: &CellSpec, rng: &mut ChaCha8Rng) -> Option<Program> {
    let input = space.inputs.first()?;
    for _ in 0..MAX_TRIES {
        let p = random_matrix(spec.interior_nodes, spec, rng)?.to_program(input);
        if validate(&p, space).is_ok() {
            return Some(p);
        }
    }
    None
}

/// NAS-Bench-101's mutation: flip each edge with probability 1/V and resample each interior op
/// (to a different one) with probability 1/(V − 2), `V` = vertices, until the cell is valid
/// and differs from the parent. A parent that is not a cell of this space is replaced by a
/// random cell.
pub fn mutate_cell(
    parent: &Program,
    space: &SearchSpace,
    spec: &CellSpec,
    rng: &mut ChaCha8Rng,
) -> (Program, MutationKind) {
    let Ok(cell) = Cell::from_program(parent) else {
        let p = random_cell(space, spec, rng).unwrap_or_else(|| parent.clone());
        return (p, MutationKind::NewProgram);
    };
    let v = cell.vertices();
    for _ in 0..MAX_TRIES {
        let mut child = cell.clone();
        for i in 0..v {
            for j in i + 1..v {
                if rng.random_bool(1.0 / v as f64) {
                    child.edges[i][j] = !child.edges[i][j];
                }
            }
        }
        if v > 2 {
            for op in child.ops.iter_mut() {
                if rng.random_bool(1.0 / (v - 2) as f64) {
                    let others: Vec<OpId> = spec
                        .interior_ops
                        .iter()
                        .copied()
                        .filter(|o| o != op)
                        .collect();
                    if let Some(o) = others.choose(rng) {
                        *op = *o;
                    }
                }
            }
        }
        if child == cell {
            continue;
        }
        let p = child.to_program(&parent.inputs[0]);
        if validate(&p, space).is_ok() {
            return (p, MutationKind::CellMutation);
        }
    }
    let p = random_cell(space, spec, rng).unwrap_or_else(|| parent.clone());
    (p, MutationKind::NewProgram)
}

impl ProgramStructure for CellSpec {
    fn kind(&self) -> &'static str {
        "cell"
    }

    fn random_program(&self, space: &SearchSpace, rng: &mut ChaCha8Rng) -> Option<Program> {
        random_cell(space, self, rng)
    }

    fn mutate(
        &self,
        parent: &Program,
        space: &SearchSpace,
        rng: &mut ChaCha8Rng,
    ) -> (Program, MutationKind) {
        mutate_cell(parent, space, self, rng)
    }

    fn check(&self, program: &Program) -> Result<(), String> {
        check(program, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn space() -> SearchSpace {
        crate::catalog::load_space("architecture").unwrap()
    }

    #[test]
    fn random_cells_and_mutants_keep_the_nas_bench_101_rules() {
        let s = space();
        let spec = s.cell.clone().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut p = random_cell(&s, &spec, &mut rng).unwrap();
        for _ in 0..300 {
            let cell = Cell::from_program(&p).unwrap();
            assert!(cell.edge_count() <= 9);
            assert_eq!(cell.vertices(), 7);
            assert!(cell.on_path()[0] && cell.on_path()[6]);
            let (c, kind) = mutate_cell(&p, &s, &spec, &mut rng);
            assert_eq!(kind, MutationKind::CellMutation);
            assert_ne!(c, p);
            p = c;
        }
    }

    #[test]
    fn program_and_matrix_are_the_same_cell() {
        let s = space();
        let spec = s.cell.clone().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..50 {
            let p = random_cell(&s, &spec, &mut rng).unwrap();
            let cell = Cell::from_program(&p).unwrap();
            assert_eq!(cell.to_program(&p.inputs[0]), p);
        }
    }

    #[test]
    fn broken_cells_are_named() {
        let s = space();
        let input = s.inputs[0].clone();
        let conv = OpId::by_name("conv3x3_bn_relu").unwrap();
        // Input -> every vertex and every vertex -> output: 5 + 5 + 1 + ... > 9 edges.
        let v = 7;
        let dense = Cell {
            ops: vec![conv; 5],
            edges: (0..v).map(|i| (0..v).map(|j| j > i).collect()).collect(),
        };
        let e = validate(&dense.to_program(&input), &s)
            .unwrap_err()
            .to_string();
        assert!(e.contains("21 edges, at most 9"), "{e}");
        let cut = Cell {
            ops: vec![conv; 5],
            edges: vec![vec![false; v]; v],
        };
        let e = validate(&cut.to_program(&input), &s)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no path from the input"), "{e}");
    }

    /// NAS-Bench-101's pruning on the cell matrix: edges into or out of vertices off every
    /// input-to-output path dropped, then dead code removed.
    fn pruned_on_the_matrix(p: &Program) -> Program {
        let mut cell = Cell::from_program(p).unwrap();
        let live = cell.on_path();
        let v = cell.vertices();
        for i in 0..v {
            for j in 0..v {
                if !(live[i] && live[j]) {
                    cell.edges[i][j] = false;
                }
            }
        }
        cell.to_program(&p.inputs[0]).without_dead_nodes()
    }

    #[test]
    fn simplify_prunes_cells_as_nas_bench_101_does() {
        let s = space();
        let spec = s.cell.clone().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let mut shrunk = 0;
        for _ in 0..200 {
            let mut p = random_cell(&s, &spec, &mut rng).unwrap();
            let want = pruned_on_the_matrix(&p);
            assert_eq!(crate::program::simplify::simplify(&p), want);
            shrunk += usize::from(want.nodes.len() < p.nodes.len());
            // Arguments in any order are the same cell.
            for n in &mut p.nodes {
                n.args.reverse();
            }
            assert_eq!(crate::program::simplify::simplify(&p), want);
        }
        assert!(shrunk > 0, "no random cell had a vertex off the paths");
    }

    #[test]
    fn the_space_samples_mutates_and_checks_through_its_cell_rules() {
        let s = space();
        let spec = s.cell.clone().unwrap();
        let (mut a, mut b) = (ChaCha8Rng::seed_from_u64(7), ChaCha8Rng::seed_from_u64(7));
        let p = crate::program::generate::random_program(&s, &mut a).unwrap();
        assert_eq!(p, random_cell(&s, &spec, &mut b).unwrap());
        let cfg = crate::program::mutate::MutationConfig::default();
        let (c, kind) = crate::program::mutate::mutate(&p, &s, &cfg, &mut a);
        assert_eq!((c, kind), mutate_cell(&p, &s, &spec, &mut b));
        assert_eq!(kind, MutationKind::CellMutation);
        let mut wrong_op = p.clone();
        wrong_op.nodes[0].op = OpId::by_name("cell_output").unwrap();
        let e = validate(&wrong_op, &s).unwrap_err().to_string();
        assert!(e.starts_with("invalid cell: node 1: `cell_output`"), "{e}");
    }
}
