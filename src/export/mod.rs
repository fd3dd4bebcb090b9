//! Exporters of discovered programs, one file per target format.
//!
//! Code targets ([`numpy`], [`pytorch`], [`jax`], [`burn`]) share one core, [`lower`]: dead
//! nodes dropped, constants folded through gevo's own f64 kernels, one statement per live node
//! with a readable name, and the exact protected-op semantics of [`crate::program::ops`]. Each
//! target only spells literals and references and picks its lowering from each op's spec
//! ([`lower::Dialect`], [`crate::program::ops::Lowerings`]); no exporter matches op names. RL losses take the
//! minibatch as DQN trainers hold it (Q-value tables, actions, rewards, discounts); see
//! `docs/export.md` for the calling convention and a CleanRL-style update.
//!
//! [`latex`] renders an equation, [`dot`] and [`svg`] the graph.

pub mod burn;
pub mod dot;
pub mod jax;
pub mod latex;
pub mod lower;
pub mod numpy;
mod python;
pub mod pytorch;
#[cfg(test)]
mod registry_tests;
pub mod svg;

use crate::program::ops::lowering::Snippet;
use crate::program::{DType, OpId, Program, ProgramError};
use lower::{Convention, Lowered};
use std::fmt;
use std::str::FromStr;

/// Why a program could not be exported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExportError {
    /// The format name is not one gevo knows.
    #[error("unknown export format `{0}` (known formats: {known})", known = Format::names().join(", "))]
    UnknownFormat(String),
    /// The program is not valid.
    #[error("invalid program: {0}")]
    Program(#[from] ProgramError),
    /// The target has no translation of an op.
    #[error("{format} export cannot express op `{op}` (node {node})")]
    UnsupportedOp {
        /// The target.
        format: Format,
        /// The op.
        op: String,
        /// Its node (global index).
        node: usize,
    },
    /// An input the target's calling convention cannot take.
    #[error("{format} export cannot express input `{input}` ({dtype}): {reason}")]
    UnsupportedInput {
        /// The target.
        format: Format,
        /// The input's name.
        input: String,
        /// Its type.
        dtype: DType,
        /// Why.
        reason: String,
    },
    /// The format cannot express this kind of program.
    #[error("{format} export cannot express this program: {reason}")]
    UnsupportedProgram {
        /// The format.
        format: Format,
        /// Why, and what to use instead.
        reason: String,
    },
    /// SVG rendering failed (Graphviz missing or failing, or the built-in layout failing).
    #[error("{0}")]
    Svg(String),
}

/// An export target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The program document (inputs, nodes, output).
    Json,
    /// Graphviz DOT.
    Dot,
    /// An SVG drawing of the graph.
    Svg,
    /// A LaTeX equation.
    Latex,
    /// A NumPy function.
    Numpy,
    /// A PyTorch function (differentiable).
    Pytorch,
    /// A JAX function (differentiable, jit-able).
    Jax,
    /// A Rust function over burn tensors.
    Burn,
}

impl Format {
    /// Every format, in the order help texts list them.
    pub const ALL: [Format; 8] = [
        Format::Pytorch,
        Format::Jax,
        Format::Numpy,
        Format::Burn,
        Format::Latex,
        Format::Dot,
        Format::Svg,
        Format::Json,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Dot => "dot",
            Format::Svg => "svg",
            Format::Latex => "latex",
            Format::Numpy => "numpy",
            Format::Pytorch => "pytorch",
            Format::Jax => "jax",
            Format::Burn => "burn",
        }
    }

    /// Every format's name.
    pub fn names() -> Vec<&'static str> {
        Format::ALL.iter().map(|f| f.name()).collect()
    }

    /// The usual file extension of the output.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Dot => "dot",
            Format::Svg => "svg",
            Format::Latex => "tex",
            Format::Numpy | Format::Pytorch | Format::Jax => "py",
            Format::Burn => "rs",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = ExportError;

    fn from_str(s: &str) -> Result<Format, ExportError> {
        let lower = s.to_ascii_lowercase();
        let alias = match lower.as_str() {
            "torch" => "pytorch",
            "tex" => "latex",
            other => other,
        };
        Format::ALL
            .into_iter()
            .find(|f| f.name() == alias)
            .ok_or_else(|| ExportError::UnknownFormat(s.to_string()))
    }
}

/// Where an exported program comes from, for its docstring.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origin {
    /// The campaign archive directory, or the program file.
    pub source: String,
    /// The candidate id, when from an archive.
    pub id: Option<u64>,
    /// The candidate's fitness, when from an archive and evaluated.
    pub fitness: Option<f64>,
}

impl Origin {
    /// One line of provenance.
    pub fn describe(&self) -> String {
        match self.id {
            Some(id) => {
                let fitness = self
                    .fitness
                    .map(|f| format!("fitness {f:.6}"))
                    .unwrap_or_else(|| "no fitness (evaluation failed)".into());
                format!("campaign {}, candidate {id}, {fitness}", self.source)
            }
            None if self.source.is_empty() => "a gevo program".into(),
            None => format!("program file {}", self.source),
        }
    }

    /// The exported function's name: `candidate_17_loss`, `dqn_reg_loss`, `nguyen_equation`…
    pub fn function_name(&self, convention: Convention) -> String {
        let stem = match self.id {
            Some(id) => format!("candidate_{id}"),
            None => std::path::Path::new(&self.source)
                .file_stem()
                .map(|s| lower::identifier(&s.to_string_lossy()).to_ascii_lowercase())
                .unwrap_or_else(|| "program".into()),
        };
        let suffix = match convention {
            Convention::Loss => "loss",
            Convention::Plain => "equation",
            Convention::UpdateRule => "update",
        };
        if stem.ends_with(suffix) {
            stem
        } else {
            format!("{}_{suffix}", stem.trim_start_matches('_'))
        }
    }
}

/// Exports `program` in `format`; `origin` goes into docstrings.
///
/// # Errors
/// An invalid program, a program the format cannot express, SVG rendering failures.
pub fn export(program: &Program, format: Format, origin: &Origin) -> Result<String, ExportError> {
    crate::program::validate::infer_types(program)?;
    // Code and formulas are written from the simplified program (same values; see
    // `program::simplify`); graph formats show the program as evolved.
    let simple = crate::program::simplify::simplify(program);
    Ok(match format {
        Format::Json => program.to_json() + "\n",
        Format::Dot => dot::to_dot(program),
        Format::Svg => svg::to_svg(program)?.svg,
        Format::Latex => latex::document(&simple, origin)?,
        Format::Numpy => numpy::to_numpy(&simple, origin)?,
        Format::Pytorch => pytorch::to_pytorch(&simple, origin)?,
        Format::Jax => jax::to_jax(&simple, origin)?,
        Format::Burn => burn::to_burn(&simple, origin)?,
    })
}

/// The docstring shared by the code targets, as lines (each target adds its comment markers).
/// `noise` says where `add_gaussian_noise` draws from in this target.
pub(crate) fn doc_lines(
    program: &Program,
    l: &Lowered,
    origin: &Origin,
    framework: &str,
    noise: &str,
) -> Vec<String> {
    let mut d = Vec::new();
    match l.convention {
        Convention::Loss => d.push(format!(
            "A DQN-style loss discovered by gevo, for {framework}."
        )),
        Convention::Plain => d.push(format!(
            "An expression discovered by gevo, for {framework}."
        )),
        Convention::UpdateRule => d.push(format!(
            "An optimizer update rule discovered by gevo, for {framework}: one step on one parameter tensor (w <- w - update)."
        )),
    }
    d.push(String::new());
    d.push(format!("Source: {}.", origin.describe()));
    let infix = crate::program::print::infix_top(&program.without_dead_nodes());
    if infix.len() <= 160 {
        d.push(format!("Program: {infix}"));
    }
    d.push(String::new());
    d.push(match l.convention {
        Convention::Loss => "Args (a minibatch of B transitions, A actions):".into(),
        Convention::Plain => "Args (B rows):".into(),
        Convention::UpdateRule => "Args (one parameter tensor of any shape, written [B]):".into(),
    });
    for p in l.signature() {
        let mut line = format!("    {}: {}.", p.name, p.shape.describe());
        if !p.doc.is_empty() {
            line += &format!(" {}.", p.doc);
        }
        if !p.used {
            line += " Unused by this program.";
        }
        d.push(line);
    }
    if l.uses_noise() {
        d.push(format!("    {noise}"));
    }
    d.push("Returns:".into());
    d.push(match l.convention {
        Convention::Loss => {
            "    float [B]: the loss of each transition; the trainer minimises its batch mean."
                .into()
        }
        Convention::Plain => "    float [B]: the expression on each row.".into(),
        Convention::UpdateRule => {
            "    (update, m, v): the update to subtract from w and the new state buffers.".into()
        }
    });
    let notes = semantics_notes(l);
    if !notes.is_empty() {
        d.push(String::new());
        d.push("Semantics, exactly as gevo evaluates them:".into());
        d.extend(notes.into_iter().map(|n| format!("    {n}")));
    }
    d
}

/// One line per protected or subtle op the program uses (each op's
/// [`notes`](crate::program::ops::Lowerings::notes)).
fn semantics_notes(l: &Lowered) -> Vec<String> {
    let mut notes: Vec<Snippet> = l
        .specs_used()
        .flat_map(|s| s.lowering.notes.iter().copied())
        .collect();
    notes.sort();
    notes.dedup();
    notes.into_iter().map(|n| n.text.to_string()).collect()
}

/// Whether `format` can write `op`: graph formats write every op; the others need the op's
/// lowering for that dialect, or an op exported code receives as an input. `const` is a
/// literal everywhere.
pub fn can_lower(op: OpId, format: Format) -> bool {
    let spec = op.spec();
    let l = &spec.lowering;
    let code = |c: Option<&crate::program::ops::lowering::Code>| l.as_input || c.is_some();
    op.is_const()
        || match format {
            Format::Json | Format::Dot | Format::Svg => true,
            Format::Latex => l.latex.is_some(),
            Format::Numpy => code(l.array.as_ref()),
            Format::Jax => code(spec.jax_code()),
            Format::Pytorch => code(l.pytorch.as_ref()),
            Format::Burn => code(l.burn.as_ref()),
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_by_name_and_alias() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
        }
        assert_eq!("torch".parse::<Format>(), Ok(Format::Pytorch));
        let e = "onnx".parse::<Format>().unwrap_err();
        assert!(e.to_string().contains("unknown export format `onnx`"));
        assert!(e.to_string().contains("pytorch"));
    }

    #[test]
    fn function_names_follow_the_origin() {
        let file = Origin {
            source: "seeds/dqn_reg.json".into(),
            ..Origin::default()
        };
        assert_eq!(file.function_name(Convention::Loss), "dqn_reg_loss");
        let arch = Origin {
            source: "runs/a".into(),
            id: Some(17),
            fitness: Some(0.5),
        };
        assert_eq!(
            arch.function_name(Convention::Plain),
            "candidate_17_equation"
        );
        assert!(arch.describe().contains("candidate 17, fitness 0.500000"));
    }
}
