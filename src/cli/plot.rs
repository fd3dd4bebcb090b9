//! `gevo plot DIR`: progress curves and the hall of fame of a campaign as SVG/PNG files.

use anyhow::Context;
use clap::Args;
use gevo::analysis::history::history;
use gevo::analysis::pareto::hall_of_fame;
use gevo::analysis::plot::{ExtraSeries, ImageFormat, plot_hall_of_fame, plot_progress};
use gevo::archive::Archive;
use std::path::PathBuf;

/// Arguments of `gevo plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The campaign's archive directory.
    pub dir: PathBuf,
    /// Where to write the images (default: `DIR/plots`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Image formats to write.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [ImageFormat::Svg, ImageFormat::Png])]
    pub format: Vec<ImageFormat>,
}

/// Loads every record of a stopped campaign (plots need the whole history, not the live top).
pub fn open_records(
    dir: &std::path::Path,
) -> anyhow::Result<(Archive, Vec<gevo::archive::CandidateRecord>)> {
    let archive = Archive::open_read_only(dir).map_err(|e| match e {
        gevo::archive::ArchiveError::Locked(_) => anyhow::anyhow!(
            "{}: a campaign is running in this archive; this needs its whole history, so run it when the campaign stops (`gevo inspect` works meanwhile)",
            dir.display()
        ),
        e => e.into(),
    })?;
    let records = archive.records()?;
    Ok((archive, records))
}

pub fn plot(a: PlotArgs) -> anyhow::Result<()> {
    let (archive, records) = open_records(&a.dir)?;
    let config: serde_json::Value = serde_json::from_str(&archive.config_json()?)?;
    let population = config["population"].as_u64().unwrap_or(100) as usize;
    let title = format!(
        "{} on {}",
        config["space"].as_str().unwrap_or("?"),
        config["task"]["name"].as_str().unwrap_or("?")
    );
    let out = a.out.unwrap_or_else(|| a.dir.join("plots"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let h = history(&records, population);
    let hof = hall_of_fame(&records);
    // Guided campaigns: the discriminator's held-out pair accuracy at each retrain.
    let extra: Vec<ExtraSeries> = archive
        .guide()?
        .filter(|g| !g.stats.accuracy.is_empty())
        .map(|g| ExtraSeries {
            title: "discriminator held-out pair accuracy".into(),
            y_label: "accuracy".into(),
            points: g
                .stats
                .accuracy
                .iter()
                .map(|p| (p.evaluations as f64, p.accuracy))
                .collect(),
        })
        .into_iter()
        .collect();
    for &fmt in &a.format {
        println!(
            "{}",
            plot_progress(&h, &extra, &title, &out, fmt)?.display()
        );
        if !hof.is_empty() {
            println!("{}", plot_hall_of_fame(&hof, &title, &out, fmt)?.display());
        }
    }
    Ok(())
}
