//! A petgraph view of a program for analysis: reachability, dead nodes, DOT.

use super::Program;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Dfs, Reversed};

/// The program as a directed graph: one vertex per value (inputs first), an edge from each
/// argument to its user, weighted by the argument position (order matters for `sub`, `div`, …).
pub fn to_graph(p: &Program) -> DiGraph<String, usize> {
    let mut g = DiGraph::with_capacity(p.len(), p.nodes.len() * 2);
    for inp in &p.inputs {
        g.add_node(inp.name.clone());
    }
    for n in &p.nodes {
        let label = match n.value {
            Some(v) if n.op.is_const() => format!("{v}"),
            _ => n.op.name().to_string(),
        };
        g.add_node(label);
    }
    for (k, n) in p.nodes.iter().enumerate() {
        let to = NodeIndex::new(p.inputs.len() + k);
        for (pos, &a) in n.args.iter().enumerate() {
            g.add_edge(NodeIndex::new(a), to, pos);
        }
    }
    g
}

/// Whether value `from` reaches value `to` along argument edges.
pub fn reaches(p: &Program, from: usize, to: usize) -> bool {
    let g = to_graph(p);
    let rev = Reversed(&g);
    let mut dfs = Dfs::new(rev, NodeIndex::new(to));
    while let Some(n) = dfs.next(rev) {
        if n.index() == from {
            return true;
        }
    }
    false
}

/// Indices of op nodes that do not reach the output.
pub fn dead_nodes(p: &Program) -> Vec<usize> {
    let live = p.live_mask();
    (p.inputs.len()..p.len()).filter(|&i| !live[i]).collect()
}

/// Graphviz DOT text: inputs as boxes, the output double-circled, dead nodes greyed, argument
/// positions on edges of order-sensitive ops.
pub fn to_dot(p: &Program) -> String {
    let live = p.live_mask();
    let mut s =
        String::from("digraph program {\n  rankdir=BT;\n  node [fontname=\"Helvetica\"];\n");
    for (i, inp) in p.inputs.iter().enumerate() {
        s += &format!(
            "  v{i} [label=\"{}\\n{}\", shape=box];\n",
            inp.name, inp.dtype
        );
    }
    for (k, n) in p.nodes.iter().enumerate() {
        let i = p.inputs.len() + k;
        let label = match n.value {
            Some(v) if n.op.is_const() => format!("{v}"),
            _ => n.op.name().to_string(),
        };
        let mut attrs = vec![format!("label=\"{label}\"")];
        if i == p.output {
            attrs.push("shape=doublecircle".into());
        }
        if !live[i] {
            attrs.push("color=gray, fontcolor=gray".into());
        }
        s += &format!("  v{i} [{}];\n", attrs.join(", "));
    }
    for (k, n) in p.nodes.iter().enumerate() {
        let i = p.inputs.len() + k;
        for (pos, &a) in n.args.iter().enumerate() {
            if n.op.spec().ordered {
                s += &format!("  v{a} -> v{i} [label=\"{pos}\"];\n");
            } else {
                s += &format!("  v{a} -> v{i};\n");
            }
        }
    }
    s + "}\n"
}
