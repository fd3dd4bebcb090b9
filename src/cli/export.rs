//! `gevo export`: a candidate or program file as JSON or DOT.

use super::show::load_record;
use crate::program::Program;
use anyhow::bail;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// The program document (inputs, nodes, output).
    Json,
    /// Graphviz DOT.
    Dot,
}

/// Arguments of `gevo export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// An archive directory (then give ID) or a program .json file.
    pub source: PathBuf,
    /// Candidate id (when SOURCE is an archive).
    pub id: Option<u64>,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn export(a: ExportArgs) -> anyhow::Result<()> {
    let program = if a.source.is_dir() {
        let Some(id) = a.id else {
            bail!(
                "{} is an archive: give the candidate id too",
                a.source.display()
            )
        };
        load_record(&a.source, id)?.0.program()
    } else {
        Program::load(&a.source)?
    };
    crate::program::validate::infer_types(&program)?;
    let text = match a.format {
        Format::Json => program.to_json() + "\n",
        Format::Dot => crate::export::dot::to_dot(&program),
    };
    match a.output {
        Some(path) => {
            std::fs::write(&path, text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(())
}
