//! `gevo export`: a candidate or program file as code (PyTorch, JAX, NumPy, burn), LaTeX, a
//! graph (DOT, SVG) or JSON.

use super::show::load_record;
use anyhow::{Context, bail};
use clap::Args;
use gevo::export::svg::Renderer;
use gevo::export::{Format, Origin};
use gevo::program::Program;
use std::path::PathBuf;

/// Arguments of `gevo export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// An archive directory (then give ID) or a program .json file.
    pub source: PathBuf,
    /// Candidate id (when SOURCE is an archive).
    pub id: Option<u64>,
    /// Output format: pytorch, jax, numpy, burn (code); latex; dot, svg (graph); json.
    #[arg(long)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

pub fn export(a: ExportArgs) -> anyhow::Result<()> {
    let (program, origin) = if a.source.is_dir() {
        let Some(id) = a.id else {
            bail!(
                "{} is an archive: give the candidate id too",
                a.source.display()
            )
        };
        let record = load_record(&a.source, id)?.0;
        let origin = Origin {
            source: a.source.display().to_string(),
            id: Some(id),
            fitness: record.fitness,
        };
        let program = record
            .program()
            .with_context(|| format!("{}: candidate {id}", a.source.display()))?;
        (program, origin)
    } else {
        if let Some(id) = a.id {
            bail!(
                "{} is a program file, not an archive directory: drop the id {id}",
                a.source.display()
            );
        }
        let origin = Origin {
            source: a.source.display().to_string(),
            ..Origin::default()
        };
        (Program::load(&a.source)?, origin)
    };
    // An RL loss that never reads the online Q-network has no gradient to train it with.
    let live = program.live_mask();
    if let Some(i) = program.inputs.iter().position(|x| x.name == "q_param")
        && !live.get(i).copied().unwrap_or(false)
    {
        eprintln!(
            "warning: {}: this loss does not read `q_param`, so it has no gradient with respect to \
             the Q-network and cannot train an agent",
            a.source.display()
        );
    }
    let text = if a.format == Format::Svg {
        gevo::program::validate::infer_types(&program)?;
        let drawn = gevo::export::svg::to_svg(&program)?;
        if drawn.renderer == Renderer::BuiltIn {
            eprintln!(
                "note: Graphviz `dot` not found; drew the graph with the built-in layout (install Graphviz for its layout)"
            );
        }
        drawn.svg
    } else {
        gevo::export::export(&program, a.format, &origin)?
    };
    match a.output {
        Some(path) => {
            std::fs::write(&path, text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(())
}
