//! `gevo show DIR ID`: one candidate in full, with its lineage.

use super::inspect::record_json;
use anyhow::{Context, anyhow};
use clap::Args;
use gevo::archive::{Archive, ArchiveError, CandidateRecord, LiveSummary};
use std::path::{Path, PathBuf};

/// Arguments of `gevo show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The campaign's archive directory.
    pub dir: PathBuf,
    /// Candidate id.
    pub id: u64,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

/// A record, its ancestors (parent first) and its failure message when the archive has one.
type Loaded = (CandidateRecord, Vec<CandidateRecord>, Option<String>);

/// Loads a record (from the archive, or from the live summary while a campaign runs).
pub fn load_record(dir: &Path, id: u64) -> anyhow::Result<Loaded> {
    match Archive::open_read_only(dir) {
        Ok(a) => {
            let r = a.record(id)?.ok_or_else(|| {
                anyhow!(
                    "{}: no candidate with id {id} ({} candidates archived)",
                    dir.display(),
                    a.len()
                )
            })?;
            let mut lineage = Vec::new();
            let mut cur = r.parent;
            while let Some(pid) = cur {
                match a.record(pid)? {
                    Some(p) => {
                        cur = p.parent;
                        lineage.push(p);
                    }
                    None => break,
                }
            }
            Ok((r, lineage, a.message(id)?))
        }
        Err(ArchiveError::Locked(_)) => {
            let live = LiveSummary::read(dir)?;
            let r = live.top.into_iter().find(|r| r.id == id).ok_or_else(|| {
                anyhow!("{}: a campaign is running; candidate {id} is not among its live top candidates (try again when it stops)", dir.display())
            })?;
            Ok((r, vec![], None))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn show(a: ShowArgs) -> anyhow::Result<()> {
    let (r, lineage, message) = load_record(&a.dir, a.id)?;
    let program = r
        .program()
        .with_context(|| format!("{}: candidate {}", a.dir.display(), a.id))?;
    if a.json {
        let mut doc = record_json(&r);
        if let Some(m) = &message {
            doc["message"] = m.as_str().into();
        }
        doc["program"] = serde_json::to_value(&program)?;
        let simplified = gevo::program::simplify::simplify(&program);
        doc["simplified"] = gevo::program::print::infix_top(&simplified).into();
        if gevo::program::validate::infer_types(&simplified).is_ok() {
            doc["latex"] = gevo::export::latex::to_latex(&simplified).into();
        }
        doc["lineage"] = serde_json::Value::Array(lineage.iter().map(record_json).collect());
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!("id          {}", r.id);
    println!("expression  {}", r.expression);
    let simplified = gevo::program::simplify::simplify(&program);
    let simple_expr = gevo::program::print::infix_top(&simplified);
    if simple_expr != r.expression {
        println!("simplified  {simple_expr}");
    }
    if gevo::program::validate::infer_types(&simplified).is_ok() {
        println!("LaTeX       {}", gevo::export::latex::to_latex(&simplified));
    }
    println!(
        "fitness     {}",
        r.fitness
            .map(|f| format!("{f:.6}"))
            .unwrap_or_else(|| "-".into())
    );
    if let Some(t) = r.test_score {
        println!("test score  {t:.6}");
    }
    println!(
        "outcome     {}{}",
        r.outcome.name(),
        if r.fec_hit {
            " (served by the functional equivalence cache)"
        } else {
            ""
        }
    );
    if let Some(m) = &message {
        println!("message     {m}");
    }
    println!(
        "size        {} live op nodes of {}",
        r.size,
        program.nodes.len()
    );
    println!("fingerprint {}", r.fingerprint);
    println!(
        "cost        {:.3} s, {} steps",
        r.cost.wall_secs, r.cost.steps
    );
    for (k, v) in &r.details {
        println!("  {k:<18} {v:.6}");
    }
    println!("nodes:");
    let live = program.live_mask();
    for (i, inp) in program.inputs.iter().enumerate() {
        println!("  {i:>3}  input {} : {}", inp.name, inp.dtype);
    }
    for (k, n) in program.nodes.iter().enumerate() {
        let i = program.inputs.len() + k;
        let what = match n.value {
            Some(v) if n.op.is_const() => format!("const {v}"),
            _ => format!(
                "{}({})",
                n.op,
                n.args
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let tag = if i == program.output {
            "  ← output"
        } else if !live[i] {
            "  (dead)"
        } else {
            ""
        };
        println!("  {i:>3}  {what}{tag}");
    }
    println!("lineage:");
    let origin = |r: &CandidateRecord| match (&r.mutation, &r.seed) {
        (Some(m), _) => format!("by {}", m.name()),
        (None, Some(s)) => format!("seed {s}"),
        (None, None) => "random initial program".into(),
    };
    println!("  {} ({})", r.id, origin(&r));
    for p in &lineage {
        println!(
            "  ← {} fitness {} ({}): {}",
            p.id,
            p.fitness
                .map(|f| format!("{f:.4}"))
                .unwrap_or_else(|| "-".into()),
            origin(p),
            p.expression
        );
    }
    Ok(())
}
