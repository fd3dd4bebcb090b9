//! Validation: type inference and the search space's structural rules.

use super::space::SearchSpace;
use super::{DType, Program};

/// Why a program is not valid (or could not be read). Node indices use the inputs-then-nodes
/// numbering of [`Program`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProgramError {
    /// The file could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        message: String,
    },
    /// The JSON document is malformed or has unknown fields/ops.
    #[error("{origin}:{line}:{column}: {message}")]
    Parse {
        /// File or other origin.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The op is not part of the search space.
    #[error("node {node}: op `{op}` is not in search space `{space}`")]
    OpNotInSpace {
        /// Node index.
        node: usize,
        /// Op name.
        op: String,
        /// Space name.
        space: String,
    },
    /// Wrong number of arguments.
    #[error("node {node}: op `{op}` takes {expected} argument(s), got {got}")]
    Arity {
        /// Node index.
        node: usize,
        /// Op name.
        op: String,
        /// Required arity.
        expected: usize,
        /// Given arity.
        got: usize,
    },
    /// An argument refers to itself, a later node, or past the end.
    #[error("node {node}: argument {arg} refers to value {target}, which is not an earlier value")]
    ForwardReference {
        /// Node index.
        node: usize,
        /// Argument position.
        arg: usize,
        /// Referenced index.
        target: usize,
    },
    /// The op's type rule rejects the argument types.
    #[error("node {node}: op `{op}` does not accept argument types ({args})")]
    TypeMismatch {
        /// Node index.
        node: usize,
        /// Op name.
        op: String,
        /// The argument types, comma separated.
        args: String,
    },
    /// A `const` node without a finite value.
    #[error("node {node}: `const` needs a finite `value`")]
    MissingConstant {
        /// Node index.
        node: usize,
    },
    /// The output index is out of range.
    #[error("output refers to value {output}, but the program has {len} values")]
    OutputOutOfRange {
        /// Output index.
        output: usize,
        /// Number of values.
        len: usize,
    },
    /// The output has the wrong type.
    #[error("output (value {output}) has type {got}, the space requires {expected}")]
    OutputType {
        /// Output index.
        output: usize,
        /// Its type.
        got: DType,
        /// Required type.
        expected: DType,
    },
    /// A required input does not reach the output.
    #[error("required input `{input}` does not reach the output (value {output})")]
    Unreachable {
        /// Input name.
        input: String,
        /// Output index.
        output: usize,
    },
    /// Too many op nodes.
    #[error("program has {got} op nodes, the space allows at most {max}")]
    TooManyNodes {
        /// Number of op nodes.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// A rule of the space's program family is broken (for NAS-Bench-101 cells: too many
    /// edges, no input-to-output path, …).
    #[error("invalid {kind}: {message}")]
    Structure {
        /// The family ([`super::structure::ProgramStructure::kind`]), e.g. `cell`.
        kind: &'static str,
        /// The broken rule.
        message: String,
    },
    /// The program's inputs differ from the space's.
    #[error("program inputs ({got}) do not match the inputs of space `{space}` ({expected})")]
    InputsMismatch {
        /// Space name.
        space: String,
        /// The space's inputs.
        expected: String,
        /// The program's inputs.
        got: String,
    },
}

/// Infers the type of every value, checking arity, references and type rules.
///
/// # Errors
/// The first rule broken, naming the node.
pub fn infer_types(p: &Program) -> Result<Vec<DType>, ProgramError> {
    let mut types: Vec<DType> = p.inputs.iter().map(|i| i.dtype).collect();
    let mut argt = Vec::with_capacity(3);
    for (k, node) in p.nodes.iter().enumerate() {
        let idx = p.inputs.len() + k;
        let spec = node.op.spec();
        if !spec.variadic && node.args.len() != spec.arity {
            return Err(ProgramError::Arity {
                node: idx,
                op: spec.name.into(),
                expected: spec.arity,
                got: node.args.len(),
            });
        }
        argt.clear();
        for (j, &a) in node.args.iter().enumerate() {
            if a >= idx {
                return Err(ProgramError::ForwardReference {
                    node: idx,
                    arg: j,
                    target: a,
                });
            }
            argt.push(types[a]);
        }
        if node.op.is_const() && !node.value.is_some_and(f64::is_finite) {
            return Err(ProgramError::MissingConstant { node: idx });
        }
        let t = (spec.type_rule)(&argt).ok_or_else(|| ProgramError::TypeMismatch {
            node: idx,
            op: spec.name.into(),
            args: argt.iter().map(|t| t.name()).collect::<Vec<_>>().join(", "),
        })?;
        types.push(t);
    }
    if p.output >= types.len() {
        return Err(ProgramError::OutputOutOfRange {
            output: p.output,
            len: types.len(),
        });
    }
    Ok(types)
}

fn describe_inputs(inputs: &[super::Input]) -> String {
    inputs
        .iter()
        .map(|i| format!("{}: {}", i.name, i.dtype))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks a program against a search space: inputs, op set, types, node limit, output type and
/// required inputs reaching the output.
///
/// # Errors
/// The first rule broken, naming the node.
pub fn validate(p: &Program, space: &SearchSpace) -> Result<(), ProgramError> {
    if p.inputs != space.inputs {
        return Err(ProgramError::InputsMismatch {
            space: space.name.clone(),
            expected: describe_inputs(&space.inputs),
            got: describe_inputs(&p.inputs),
        });
    }
    if p.nodes.len() > space.max_nodes {
        return Err(ProgramError::TooManyNodes {
            got: p.nodes.len(),
            max: space.max_nodes,
        });
    }
    for (k, node) in p.nodes.iter().enumerate() {
        if !space.ops.contains(&node.op) {
            return Err(ProgramError::OpNotInSpace {
                node: p.inputs.len() + k,
                op: node.op.name().into(),
                space: space.name.clone(),
            });
        }
    }
    // Structure rules first: they name a cut or overfull cell better than a type error would.
    if let Some(structure) = space.structure() {
        structure
            .check(p)
            .map_err(|message| ProgramError::Structure {
                kind: structure.kind(),
                message,
            })?;
    }
    let types = infer_types(p)?;
    let out_t = types[p.output];
    if out_t != space.output {
        return Err(ProgramError::OutputType {
            output: p.output,
            got: out_t,
            expected: space.output,
        });
    }
    let live = p.live_mask();
    for req in &space.required_inputs {
        if let Some(i) = p.inputs.iter().position(|inp| &inp.name == req)
            && !live[i]
        {
            return Err(ProgramError::Unreachable {
                input: req.clone(),
                output: p.output,
            });
        }
    }
    Ok(())
}
