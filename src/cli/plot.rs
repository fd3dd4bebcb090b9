//! `gevo plot DIR`: progress curves and the hall of fame of a campaign as SVG/PNG files.

use anyhow::Context;
use clap::Args;
use gevo::analysis::history::{PLOT_POINTS, Step, history_of_steps};
use gevo::analysis::pareto::{HallOfFameEntry, hall_of_fame};
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

/// Opens a stopped campaign's archive (plots need the whole history, not the live top).
pub fn open_stopped(dir: &std::path::Path) -> anyhow::Result<Archive> {
    Archive::open_read_only(dir).map_err(|e| match e {
        gevo::archive::ArchiveError::Locked(_) => anyhow::anyhow!(
            "{}: a campaign is running in this archive; this needs its whole history, so run it when the campaign stops (`gevo inspect` works meanwhile)",
            dir.display()
        ),
        e => e.into(),
    })
}

/// The progress steps (one per record, a few bytes each) and the hall of fame, streamed from
/// the record summaries: only the best record of each size is decoded in full, so memory stays
/// bounded by the archive's candidate count times a `Step`, not by its programs.
pub fn steps_and_hall_of_fame(
    archive: &Archive,
) -> anyhow::Result<(Vec<Step>, Vec<HallOfFameEntry>)> {
    let mut steps = Vec::with_capacity(archive.len());
    // Size → (fitness, id) of the best successful record (ties: the lower id, as `hall_of_fame`).
    let mut best: std::collections::BTreeMap<usize, (f64, u64)> = Default::default();
    archive.for_each_summary(|r| {
        steps.push(Step::of(r));
        if let Some(f) = r.fitness.filter(|f| f.is_finite())
            && r.outcome == gevo::engine::Outcome::Ok
        {
            let e = best.entry(r.size).or_insert((f, r.id));
            if f > e.0 || (f == e.0 && r.id < e.1) {
                *e = (f, r.id);
            }
        }
    })?;
    let mut winners = Vec::with_capacity(best.len());
    for &(_, id) in best.values() {
        if let Some(r) = archive.record(id)? {
            winners.push(r);
        }
    }
    Ok((steps, hall_of_fame(&winners)))
}

pub fn plot(a: PlotArgs) -> anyhow::Result<()> {
    let archive = open_stopped(&a.dir)?;
    let config: serde_json::Value = serde_json::from_str(&archive.config_json()?)?;
    let population = config["population"].as_u64().unwrap_or(100) as usize;
    let title = format!(
        "{} on {}",
        config["space"].as_str().unwrap_or("?"),
        config["task"]["name"].as_str().unwrap_or("?")
    );
    let out = a.out.unwrap_or_else(|| a.dir.join("plots"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let (mut steps, hof) = steps_and_hall_of_fame(&archive)?;
    let h = history_of_steps(&mut steps, population, Some(PLOT_POINTS));
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
