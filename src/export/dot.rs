//! Graphviz DOT export.

use crate::program::Program;

/// The program as Graphviz DOT text (see [`crate::program::graph::to_dot`]).
pub fn to_dot(p: &Program) -> String {
    crate::program::graph::to_dot(p)
}
