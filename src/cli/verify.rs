//! `gevo verify DIR [--repair OUT]`: an integrity check of an archive, and a salvage of what can
//! be read.

use clap::Args;
use gevo::archive::integrity::{salvage, verify as check};
use std::path::PathBuf;

/// Arguments of `gevo verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The campaign's archive directory (read, never written).
    pub dir: PathBuf,
    /// Copy every readable record (and the campaign state when it agrees with them) into a new
    /// archive in this directory, which `gevo resume` can continue.
    #[arg(long, value_name = "OUT")]
    pub repair: Option<PathBuf>,
}

/// Prints the report; fails (exit 1) when the archive is damaged, also after a repair.
pub fn verify(a: VerifyArgs) -> anyhow::Result<()> {
    let report = check(&a.dir)?;
    println!("archive   {}", a.dir.display());
    println!(
        "schema    {}",
        report
            .schema_version
            .map(|v| format!("version {v}"))
            .unwrap_or_else(|| "unreadable".into())
    );
    println!(
        "settings  {}",
        if report.config_json.is_some() {
            "readable"
        } else {
            "unreadable"
        }
    );
    match &report.state {
        Some(s) => println!(
            "state     {} candidates committed{}",
            s.inserted,
            if s.finished { ", finished" } else { "" }
        ),
        None => println!("state     none committed"),
    }
    println!(
        "records   {} readable, {} unreadable",
        report.records.len(),
        report.unreadable
    );
    if let Some(out) = &a.repair {
        let s = salvage(&a.dir, &report, out)?;
        println!(
            "repair    {} records copied into {}{}",
            s.records,
            out.display(),
            if s.state {
                " with the campaign state"
            } else {
                " without a campaign state (`gevo resume` rebuilds the population from the records)"
            }
        );
    }
    if report.is_intact() {
        println!("ok");
        return Ok(());
    }
    println!("problems:");
    for p in &report.problems {
        println!("  - {p}");
    }
    anyhow::bail!(
        "{}: the archive is damaged ({} problem(s) listed above)",
        a.dir.display(),
        report.problems.len()
    )
}
