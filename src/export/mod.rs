//! Exporters of discovered programs, one file per target format.
//!
//! Code targets ([`numpy`], [`pytorch`], [`jax`], [`burn`]) share one core, [`lower`]: dead
//! nodes dropped, constants folded through gevo's own f64 kernels, one statement per live node
//! with a readable name, and the exact protected-op semantics of [`crate::program::ops`]. Each
//! target only spells literals, references and ops ([`lower::Dialect`]). RL losses take the
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
pub mod svg;

use crate::program::ops::{DIV_EPS, EXP_CLIP, LOG_EPS, NOISE_STD};
use crate::program::{DType, Program, ProgramError};
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

/// One line per protected or subtle op the program uses.
fn semantics_notes(l: &Lowered) -> Vec<String> {
    let used = |op: &str| l.ops_used.contains(op);
    let mut n = Vec::new();
    if used("div") {
        n.push(format!("div(x, y) = x / (y + {DIV_EPS:e})"));
    }
    if used("log") {
        n.push(format!("log(x) = ln(|x| + {LOG_EPS:e})"));
    }
    if used("exp") {
        n.push(format!("exp(x) = e^min(x, {EXP_CLIP:?})"));
    }
    if used("sqrt") {
        n.push("sqrt(x) = sqrt(|x|)".into());
    }
    if used("entropy") || used("kl_div") {
        n.push(format!(
            "entropy and kl_div take ln(p + {LOG_EPS:e}) of probabilities"
        ));
    }
    if used("max") || used("min") {
        n.push("max/min of two values ignore a NaN operand (fmax/fmin)".into());
    }
    if used("std_list") || used("std_batch") {
        n.push("std is the population standard deviation (divides by n)".into());
    }
    if used("mean_batch") || used("std_batch") {
        n.push("mean_batch/std_batch broadcast the batch statistic to every row".into());
    }
    if used("argmax_list") {
        n.push("argmax takes the first maximal action".into());
    }
    if used("pow") {
        n.push("pow(x, y) = |x|^y".into());
    }
    if used("clip") {
        n.push("clip(x, c) = min(max(x, -|c|), |c|)".into());
    }
    if used("interpolate") {
        n.push("interpolate(x, y, w) = (1 - w) * x + w * y".into());
    }
    if used("norm") {
        n.push("norm(x) = the L2 norm of the whole tensor, broadcast to its shape".into());
    }
    if used("sign") {
        n.push("sign(0) = 0".into());
    }
    if used("add_gaussian_noise") {
        n.push(format!("add_gaussian_noise(x) = x + N(0, {NOISE_STD}^2)"));
    }
    n
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
