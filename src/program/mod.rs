//! The program IR: a typed computation graph stored as a topologically ordered node list.
//!
//! Indices `0..inputs.len()` name the inputs; index `inputs.len() + k` names `nodes[k]`. An op
//! node's arguments point only to smaller indices, so the list is a valid evaluation order.
//! Nodes that do not reach the output ("dead" nodes) are kept: they matter for neutral drift
//! (Real et al., AutoML-Zero, ICML 2020, §4).

pub mod dtype;
pub mod generate;
pub mod graph;
pub mod interpreter;
pub mod mutate;
pub mod ops;
pub mod print;
pub mod prune;
pub mod simplify;
pub mod space;
pub mod structure;
pub mod validate;
pub mod value;

pub use dtype::DType;
pub use ops::OpId;
pub use validate::ProgramError;

use serde::{Deserialize, Serialize};
use std::path::Path;

/// A named, typed program input (a dataset column, `q_param`, `reward`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Input {
    /// Name as it appears in printed programs.
    pub name: String,
    /// Type of the input.
    pub dtype: DType,
}

/// One op node: an op applied to earlier nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// The op.
    pub op: OpId,
    /// Argument indices (into inputs-then-nodes numbering), all smaller than this node's index.
    #[serde(default)]
    pub args: Vec<usize>,
    /// The literal of a `const` node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

/// A typed computation graph with one output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Program {
    /// Inputs, in the order of the search space.
    pub inputs: Vec<Input>,
    /// Op nodes in topological order.
    pub nodes: Vec<Node>,
    /// Index of the output (inputs-then-nodes numbering).
    pub output: usize,
}

impl Program {
    /// Total number of values: inputs plus op nodes.
    pub fn len(&self) -> usize {
        self.inputs.len() + self.nodes.len()
    }

    /// Whether the program has no values at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The op node at global index `i`, if `i` is not an input.
    pub fn node(&self, i: usize) -> Option<&Node> {
        i.checked_sub(self.inputs.len())
            .and_then(|k| self.nodes.get(k))
    }

    /// Which values the output depends on (inputs included), by global index.
    pub fn live_mask(&self) -> Vec<bool> {
        let mut live = vec![false; self.len()];
        if self.output < live.len() {
            live[self.output] = true;
        }
        for i in (self.inputs.len()..self.len()).rev() {
            if live[i] {
                for &a in &self.nodes[i - self.inputs.len()].args {
                    if a < i {
                        live[a] = true;
                    }
                }
            }
        }
        live
    }

    /// Number of op nodes the output depends on (the program's size, or complexity).
    pub fn size(&self) -> usize {
        let live = self.live_mask();
        live[self.inputs.len()..].iter().filter(|l| **l).count()
    }

    /// Parse a program from JSON text; `origin` names the source in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Program, ProgramError> {
        serde_json::from_str(text).map_err(|e| ProgramError::Parse {
            origin: origin.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    /// Load a program from a JSON file.
    ///
    /// # Errors
    /// [`ProgramError::Io`] if the file cannot be read, [`ProgramError::Parse`] (with line and
    /// column) if it is not a valid program document.
    pub fn load(path: impl AsRef<Path>) -> Result<Program, ProgramError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| ProgramError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Program::from_json(&text, &path.display().to_string())
    }

    /// Pretty JSON (the on-disk format).
    pub fn to_json(&self) -> String {
        self.json(true)
    }

    /// One-line JSON (as the archive stores a program).
    pub fn to_json_line(&self) -> String {
        self.json(false)
    }

    // invariant: a program is plain data (no maps, no fallible `Serialize`), which serde_json
    // always serializes.
    #[allow(clippy::expect_used)]
    fn json(&self, pretty: bool) -> String {
        if pretty {
            serde_json::to_string_pretty(self).expect("programs always serialize")
        } else {
            serde_json::to_string(self).expect("programs always serialize")
        }
    }

    /// A copy with dead nodes removed and indices renumbered (same function).
    pub fn without_dead_nodes(&self) -> Program {
        let live = self.live_mask();
        let n_in = self.inputs.len();
        let mut remap = vec![usize::MAX; self.len()];
        for (i, slot) in remap.iter_mut().enumerate().take(n_in) {
            *slot = i;
        }
        let mut nodes = Vec::new();
        for (k, node) in self.nodes.iter().enumerate() {
            let i = n_in + k;
            if live[i] {
                remap[i] = n_in + nodes.len();
                nodes.push(Node {
                    op: node.op,
                    args: node.args.iter().map(|&a| remap[a]).collect(),
                    value: node.value,
                });
            }
        }
        Program {
            inputs: self.inputs.clone(),
            nodes,
            output: remap[self.output],
        }
    }
}
