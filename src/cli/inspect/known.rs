//! `gevo inspect DIR --known`: the candidates functionally equal to a shipped seed program, and
//! when the campaign first reached each (`gevo::analysis::known`).

use anyhow::Context;
use gevo::analysis::known::KnownReport;
use gevo::archive::{Archive, CandidateRecord};
use gevo::evolution::CampaignConfig;
use gevo::program::space::SearchSpace;
use serde_json::json;

/// Rebuilds the campaign's evaluator from its archived settings (as `gevo resume` does) and
/// matches every record against the space's shipped seeds.
pub fn detect(archive: &Archive, records: &[CandidateRecord]) -> anyhow::Result<KnownReport> {
    let dir = archive.dir().display();
    let config: CampaignConfig = serde_json::from_str(&archive.config_json()?)
        .with_context(|| format!("{dir}: unreadable campaign settings"))?;
    let space = SearchSpace::from_toml(
        &config.space_source,
        &format!("{dir}/campaign.json (space)"),
    )?;
    let seeds = gevo::catalog::seeds(&config.space);
    if seeds.is_empty() {
        anyhow::bail!(
            "{dir}: space `{}` ships no seed programs to look for",
            config.space
        );
    }
    let evaluator = gevo::task::build_evaluator(space, &config.task, &config.device)?;
    Ok(gevo::analysis::known::detect(
        records,
        evaluator.as_ref(),
        &seeds,
        config.fec.mantissa_bits,
        true,
    ))
}

/// Adds `known` to every entry of `doc["top"]` (null when none) and the `known_reached` summary.
pub fn add_to_json(doc: &mut serde_json::Value, k: &KnownReport) {
    if let Some(top) = doc["top"].as_array_mut() {
        for r in top {
            let m = r["id"].as_u64().and_then(|id| k.matches.get(&id));
            r["known"] = m.map_or(
                serde_json::Value::Null,
                |m| json!({ "label": m.label(), "name": m.name, "factor": m.factor }),
            );
        }
    }
    doc["known_reached"] = json!(k.reached);
    doc["known_checked"] = json!(k.checked);
    doc["known_skipped"] = json!(k.skipped);
}

/// The table of known programs reached, then those not reached.
pub fn print_table(k: &KnownReport) {
    println!();
    println!(
        "known algorithms ({} checked, {} distinct functions re-probed in {:.3} s)",
        k.checked.len(),
        k.reprobed,
        k.probe_secs
    );
    if k.reached.is_empty() {
        println!("  none reached");
    } else {
        println!(
            "  {:<24}  {:>8}  {:>10}  {:>11}  {:>10}  {:>6}",
            "algorithm", "first id", "candidates", "evaluations", "wall", "copies"
        );
        for r in &k.reached {
            println!(
                "  {:<24}  {:>8}  {:>10}  {:>11}  {:>10}  {:>6}",
                r.label,
                r.first_id,
                r.candidates,
                r.evaluations,
                format_wall(r.wall_secs),
                r.copies
            );
        }
    }
    let missing: Vec<&str> = k
        .checked
        .iter()
        .filter(|n| !k.reached.iter().any(|r| &r.matched.name == *n))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        println!("  not reached: {}", missing.join(", "));
    }
    for (name, why) in &k.skipped {
        println!("  skipped {name}: {why}");
    }
}

/// `42.0 s`, `3.5 min`, `2.10 h`.
fn format_wall(secs: f64) -> String {
    if secs < 120.0 {
        format!("{secs:.1} s")
    } else if secs < 7200.0 {
        format!("{:.1} min", secs / 60.0)
    } else {
        format!("{:.2} h", secs / 3600.0)
    }
}
