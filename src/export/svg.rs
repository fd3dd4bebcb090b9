//! SVG drawings of program graphs: Graphviz's `dot -Tsvg` when it is installed, else the
//! pure-Rust `layout-rs` renderer (a simpler layout, no extra install).

use super::ExportError;
use crate::program::Program;
use std::io::Write;
use std::process::{Command, Stdio};

/// Which renderer drew an SVG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renderer {
    /// Graphviz `dot`.
    Graphviz,
    /// The built-in `layout-rs` renderer (Graphviz was not found).
    BuiltIn,
}

/// An SVG document and who drew it.
#[derive(Debug, Clone)]
pub struct Svg {
    /// The SVG text.
    pub svg: String,
    /// The renderer used.
    pub renderer: Renderer,
}

/// The program's graph ([`super::dot::to_dot`]) as SVG.
///
/// # Errors
/// [`ExportError::Svg`] if Graphviz is installed but fails, or the built-in renderer rejects
/// the graph.
pub fn to_svg(p: &Program) -> Result<Svg, ExportError> {
    let dot = super::dot::to_dot(p);
    match graphviz(&dot) {
        Some(result) => result.map(|svg| Svg {
            svg,
            renderer: Renderer::Graphviz,
        }),
        None => built_in(&dot).map(|svg| Svg {
            svg,
            renderer: Renderer::BuiltIn,
        }),
    }
}

/// Renders with Graphviz; `None` when `dot` is not installed.
fn graphviz(dot: &str) -> Option<Result<String, ExportError>> {
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            return Some(Err(ExportError::Svg(format!(
                "cannot run Graphviz `dot`: {e}"
            ))));
        }
    };
    let fail = |m: String| {
        Some(Err(ExportError::Svg(format!(
            "Graphviz `dot -Tsvg` failed: {m}"
        ))))
    };
    if let Some(mut stdin) = child.stdin.take()
        && let Err(e) = stdin.write_all(dot.as_bytes())
    {
        return fail(e.to_string());
    }
    match child.wait_with_output() {
        Ok(out) if out.status.success() => Some(Ok(String::from_utf8_lossy(&out.stdout).into())),
        Ok(out) => fail(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        Err(e) => fail(e.to_string()),
    }
}

/// Renders with `layout-rs`.
fn built_in(dot: &str) -> Result<String, ExportError> {
    use layout::backends::svg::SVGWriter;
    use layout::gv::{DotParser, GraphBuilder};
    let graph = DotParser::new(dot).process().map_err(|e| {
        ExportError::Svg(format!(
            "the built-in SVG renderer could not read the graph ({e}); install Graphviz (`dot`) to render it"
        ))
    })?;
    let mut builder = GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut visual = builder.get();
    let mut writer = SVGWriter::new();
    visual.do_it(false, false, false, &mut writer);
    Ok(writer.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_renderer_draws_every_seed() {
        for (name, text) in crate::catalog::seeds("rl_loss") {
            let p = Program::from_json(&text, &name).unwrap();
            let svg = built_in(&super::super::dot::to_dot(&p)).unwrap();
            assert!(
                svg.starts_with("<svg") || svg.starts_with("<?xml"),
                "{name}: {svg:.80}"
            );
            assert!(svg.contains("select_list"), "{name}: labels are drawn");
        }
    }
}
