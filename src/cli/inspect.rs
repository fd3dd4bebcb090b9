//! `gevo inspect DIR`: statistics and the top candidates.

use clap::Args;
use gevo::analysis::reevaluation::{ProgramSummary, summarize};
use gevo::archive::{Archive, ArchiveError, CandidateRecord, LiveSummary, Stats};
use gevo::evolution::population::ranking_fitness;
use gevo::guide::GuideStats;
use gevo::hashing::Fingerprint;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

mod known;

/// Arguments of `gevo inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The campaign's archive directory.
    pub dir: PathBuf,
    /// How many of the best candidates to list.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Print the hall of fame instead: the best program of each size, with the Pareto front
    /// of fitness vs. size marked and, for symbolic regression, the recommended model by
    /// PySR's rule (`recommended` in `--json`).
    #[arg(long)]
    pub pareto: bool,
    /// With `--pareto`: also write the hall of fame to this CSV file.
    #[arg(long, requires = "pareto")]
    pub csv: Option<PathBuf>,
    /// Mark the candidates functionally equal to a shipped seed program of the space (DQN,
    /// undiscounted TD, Adam, …), exactly or up to a positive constant factor, and print when
    /// each was first reached. With `--json`: a `known` field per candidate and `known_reached`.
    #[arg(long, conflicts_with = "pareto")]
    pub known: bool,
    /// List every archived copy of a function in the top list; by default each function
    /// (functional hash) appears once, as its best record, with its number of copies.
    #[arg(long)]
    pub all: bool,
}

/// One candidate as printed by `--json` (field names are stable).
pub fn record_json(r: &CandidateRecord) -> serde_json::Value {
    json!({
        "id": r.id,
        "fitness": r.fitness,
        "test_score": r.test_score,
        "expression": r.expression,
        "size": r.size,
        "outcome": r.outcome.name(),
        "fec_hit": r.fec_hit,
        "parent": r.parent,
        "mutation": r.mutation.map(|m| m.name()),
        "seed": r.seed,
        "fingerprint": r.fingerprint.to_string(),
        "details": r.details.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "wall_secs": r.cost.wall_secs,
    })
}

/// A candidate's final re-evaluation as `--json` prints it (field names are stable): seeds,
/// training and held-out mean, std and 95 % interval, per-task means.
fn reevaluation_json(s: &ProgramSummary) -> serde_json::Value {
    let part = |x: Option<&gevo::analysis::reevaluation::Spread>| {
        x.map(|t| json!({"n": t.n, "mean": t.mean, "std": t.std, "ci95": t.ci95}))
    };
    json!({
        "task_set": s.task_set,
        "seeds": s.train.as_ref().map_or(0, |t| t.n),
        "train": part(s.train.as_ref()),
        "held_out": part(s.held_out.as_ref()),
        "held_out_tasks": s.held_out_tasks,
        "failures": s.failures,
        "tasks": s.tasks.iter().map(|t| json!({
            "task": t.task, "held_out": t.held_out, "mean": t.score.mean, "std": t.score.std, "n": t.score.n,
        })).collect::<Vec<_>>(),
    })
}

/// The `k` best (key, id) pairs seen: larger key first, ties to the lower id (the order a
/// stable sort of the records by descending key gives).
struct TopK {
    k: usize,
    heap: std::collections::BinaryHeap<std::cmp::Reverse<Ranked>>,
}

#[derive(PartialEq)]
struct Ranked(f64, u64);

impl Eq for Ranked {}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl TopK {
    fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: Default::default(),
        }
    }

    fn offer(&mut self, key: f64, id: u64) {
        if self.k == 0 {
            return;
        }
        let r = Ranked(key, id);
        if self.heap.len() < self.k {
            self.heap.push(std::cmp::Reverse(r));
        } else if self.heap.peek().is_some_and(|w| r > w.0) {
            self.heap.pop();
            self.heap.push(std::cmp::Reverse(r));
        }
    }

    /// Ids, best first.
    fn into_sorted_ids(self) -> Vec<u64> {
        let mut v: Vec<Ranked> = self.heap.into_iter().map(|r| r.0).collect();
        v.sort_by(|a, b| b.cmp(a));
        v.into_iter().map(|r| r.1).collect()
    }
}

fn stats_json(s: &Stats) -> serde_json::Value {
    json!({
        "candidates": s.candidates,
        "evaluations": s.evaluations,
        "fec_hits": s.fec_hits,
        "fec_hit_rate": s.fec_hit_rate(),
        "hurdle_stops": s.hurdle_stops,
        "failures": s.failures,
        "wall_secs": s.wall_secs,
        "candidates_per_sec": s.throughput(),
        "best_id": s.best.map(|b| b.0),
        "best_fitness": s.best.map(|b| b.1),
    })
}

/// The guide's accounting as printed by `--json` (field names are stable).
fn guide_json(g: &GuideStats, s: &Stats, min_accuracy: f64) -> serde_json::Value {
    let predictions = g.calls;
    json!({
        "min_accuracy": min_accuracy,
        "evaluations_switched_off": g.evaluations_switched_off(min_accuracy),
        "switches": g.switches(min_accuracy).iter().map(|w| json!({
            "evaluations": w.evaluations, "on": w.on, "accuracy": w.accuracy,
        })).collect::<Vec<_>>(),
        "discriminator_calls": g.calls,
        "guided_proposals": g.guided_proposals,
        "children_rejected": g.rejected,
        "free_labels": g.free_labels,
        "cap_reached": g.cap_reached,
        "accepted_evaluated": g.accepted_evaluated,
        "accepted_better": g.accepted_better,
        "acceptance_precision": g.acceptance_precision(),
        "retrains": g.retrains,
        "retrain_secs": g.retrain_secs,
        "inference_secs": g.inference_secs,
        "real_evaluations": s.evaluations,
        "predictions": predictions,
        "evaluation_share": if s.evaluations + predictions > 0 {
            Some(s.evaluations as f64 / (s.evaluations + predictions) as f64)
        } else {
            None
        },
        "mean_accuracy": g.mean_accuracy(),
        "accuracy": g.accuracy.iter().map(|p| json!({
            "evaluations": p.evaluations, "pairs": p.pairs, "accuracy": p.accuracy,
        })).collect::<Vec<_>>(),
    })
}

/// The guide's accuracy floor from the settings file; archives written before it existed ran
/// without one (0).
fn guide_min_accuracy(dir: &std::path::Path) -> f64 {
    std::fs::read_to_string(dir.join("campaign.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|c| c["guide"]["min_accuracy"].as_f64())
        .unwrap_or(0.0)
}

/// `eval_seeds` and `max_duplicates` from the settings file (readable while a campaign runs);
/// archives written before these settings existed have 1 and no cap.
fn selection_settings(dir: &std::path::Path) -> (u64, Option<u64>) {
    let config: serde_json::Value = std::fs::read_to_string(dir.join("campaign.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    (
        config["eval_seeds"].as_u64().unwrap_or(1),
        config["max_duplicates"].as_u64(),
    )
}

pub fn inspect(a: InspectArgs) -> anyhow::Result<()> {
    if a.pareto {
        return pareto(&a);
    }
    let guide: Option<GuideStats>;
    let mut known_report = None;
    // Real evaluations per outcome name (from the records; a live summary has none).
    let mut outcomes: Option<BTreeMap<&'static str, u64>> = None;
    // Fingerprint → the cache's mean fitness over its real evaluations, where it has several.
    let mut means: HashMap<Fingerprint, (f64, u32)> = HashMap::new();
    // Candidate id → its final re-evaluation on the campaign's task set, where it has one.
    let mut final_scores: HashMap<u64, ProgramSummary> = HashMap::new();
    // Fingerprint → records of that function (the `copies` column), unless `--all`.
    let mut copies: HashMap<Fingerprint, u64> = HashMap::new();
    let (status, stats, budget, top) = match Archive::open_read_only(&a.dir) {
        Ok(archive) => {
            let config: serde_json::Value = serde_json::from_str(&archive.config_json()?)?;
            let budget = config["budget"].as_u64().unwrap_or(0);
            let state = archive.state()?;
            guide = archive.guide()?.map(|g| g.stats);
            if let Some(s) = &state {
                for (fp, e) in &s.fec {
                    if let Some(f) = ranking_fitness(None, Some(e)) {
                        means.insert(*fp, (f, e.evaluations));
                    }
                }
            }
            let mut own = archive.reevaluations()?;
            own.retain(|r| r.campaign_task_set);
            for s in summarize(&own, None) {
                if s.train.is_some() {
                    final_scores.insert(s.candidate, s);
                }
            }
            if a.known {
                let records = archive.records()?;
                known_report = Some(known::detect(&archive, &records)?);
            }
            // One pass over the record summaries: outcome counts and the best `--top`, kept in
            // a bounded heap, so memory does not grow with the archive.
            let mut counts = BTreeMap::new();
            let mut best = TopK::new(a.top + final_scores.len());
            // Without `--all`: fingerprint → (ranking key, best id) of each function.
            let mut functions: HashMap<Fingerprint, (f64, u64)> = HashMap::new();
            archive.for_each_summary(|r| {
                if !r.fec_hit {
                    *counts.entry(r.outcome.name()).or_insert(0) += 1;
                }
                if r.fitness.is_some_and(f64::is_finite) && r.outcome == gevo::engine::Outcome::Ok {
                    // A function ranks by its mean over all its real evaluations, not one
                    // lucky run.
                    let key = means
                        .get(&r.fingerprint)
                        .map_or(r.fitness, |m| Some(m.0))
                        .filter(|f| f.is_finite())
                        .unwrap_or(f64::NEG_INFINITY);
                    if a.all {
                        best.offer(key, r.id);
                    } else {
                        *copies.entry(r.fingerprint).or_insert(0) += 1;
                        let f = functions.entry(r.fingerprint).or_insert((key, r.id));
                        if key > f.0 || (key == f.0 && r.id < f.1) {
                            *f = (key, r.id);
                        }
                    }
                }
            })?;
            // A re-evaluated program stands for its function: no second copy below it.
            let mut reevaluated_functions = std::collections::HashSet::new();
            for id in final_scores.keys() {
                if let Some(r) = archive.record(*id)? {
                    reevaluated_functions.insert(r.fingerprint);
                }
            }
            for (fp, (key, id)) in functions {
                if !reevaluated_functions.contains(&fp) {
                    best.offer(key, id);
                }
            }
            outcomes = Some(counts);
            // Re-evaluated programs first, by their mean training score over the final
            // seeds; then the rest in the order above.
            let mut reevaluated: Vec<(f64, u64)> = final_scores
                .iter()
                .filter_map(|(id, s)| s.train.as_ref().map(|t| (t.mean, *id)))
                .collect();
            reevaluated.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
            let mut ids: Vec<u64> = reevaluated.into_iter().map(|x| x.1).collect();
            ids.extend(
                best.into_sorted_ids()
                    .into_iter()
                    .filter(|id| !final_scores.contains_key(id)),
            );
            ids.truncate(a.top);
            let mut records = Vec::new();
            for id in ids {
                if let Some(r) = archive.record(id)? {
                    records.push(r);
                }
            }
            let (status, stats) = match state {
                Some(s) if s.finished => ("finished".to_string(), s.stats),
                Some(s) => ("stopped (resume with `gevo resume`)".to_string(), s.stats),
                None => ("not started".to_string(), Stats::default()),
            };
            (status, stats, budget, records)
        }
        Err(ArchiveError::Locked(_)) if a.known => {
            anyhow::bail!(
                "{}: a campaign is running in this archive; --known needs its whole history, so run it when the campaign stops",
                a.dir.display()
            )
        }
        Err(ArchiveError::Locked(_)) => {
            let live = LiveSummary::read(&a.dir).map_err(|e| {
                anyhow::anyhow!("{}: the archive is in use by a running campaign and its live summary is unreadable: {e}", a.dir.display())
            })?;
            let age = chrono::Utc::now().timestamp() as f64 - live.updated_unix;
            guide = live.guide.clone();
            let mut top = live.top;
            top.truncate(a.top);
            (
                format!(
                    "running (pid {}, live summary {:.0} s old)",
                    live.pid,
                    age.max(0.0)
                ),
                live.stats,
                live.budget,
                top,
            )
        }
        Err(e) => return Err(e.into()),
    };
    let (eval_seeds, max_duplicates) = selection_settings(&a.dir);
    let min_accuracy = guide_min_accuracy(&a.dir);
    let mean_of = |r: &CandidateRecord| means.get(&r.fingerprint).copied();
    if a.json {
        let mut doc = json!({
            "archive": a.dir.display().to_string(),
            "status": status,
            "budget": budget,
            "eval_seeds": eval_seeds,
            "max_duplicates": max_duplicates,
            "ranked_by": if final_scores.is_empty() { "fec_mean" } else { "reevaluation" },
            "stats": stats_json(&stats),
            "outcomes": outcomes,
            "guide": guide.as_ref().map(|g| guide_json(g, &stats, min_accuracy)),
            "top": top.iter().map(|r| {
                let mut v = record_json(r);
                if let Some((mean, n)) = mean_of(r) {
                    v["mean_fitness"] = json!(mean);
                    v["real_evaluations"] = json!(n);
                }
                if let Some(s) = final_scores.get(&r.id) {
                    v["reevaluation"] = reevaluation_json(s);
                }
                if let Some(n) = copies.get(&r.fingerprint) {
                    v["copies"] = json!(n);
                }
                v
            }).collect::<Vec<_>>(),
        });
        if let Some(k) = &known_report {
            known::add_to_json(&mut doc, k);
        }
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!("archive     {}", a.dir.display());
    println!("status      {status}");
    println!("candidates  {} / {budget}", stats.candidates);
    println!(
        "evaluations {} (real; {eval_seeds} training seed(s) each)",
        stats.evaluations
    );
    if let Some(n) = max_duplicates {
        println!("duplicates  at most {n} population members per functional hash");
    }
    println!(
        "FEC hits    {} ({:.1}% of candidates; {} evaluations saved)",
        stats.fec_hits,
        100.0 * stats.fec_hit_rate(),
        stats.fec_hits
    );
    println!("hurdle      {} stopped early", stats.hurdle_stops);
    println!(
        "failures    {} (non-finite, diverged, timed out, invalid or no gradient)",
        stats.failures
    );
    if let Some(counts) = &outcomes {
        let listed: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!("outcomes    {} (real evaluations)", listed.join(", "));
    }
    println!(
        "throughput  {:.1} candidates/s over {:.1} s",
        stats.throughput(),
        stats.wall_secs
    );
    if let Some(g) = &guide {
        println!(
            "guide       {} discriminator calls ({:.2} s), {} children rejected, {} free labels, {} cap reached",
            g.calls, g.inference_secs, g.rejected, g.free_labels, g.cap_reached
        );
        println!(
            "            {} retrains ({:.2} s); evaluations {} vs predictions {}",
            g.retrains, g.retrain_secs, stats.evaluations, g.calls
        );
        // The last 8 measurements (all of them are in `--json`).
        let skip = g.accuracy.len().saturating_sub(8);
        let acc: Vec<String> = g.accuracy[skip..]
            .iter()
            .map(|p| format!("{}:{:.2}", p.evaluations, p.accuracy))
            .collect();
        println!(
            "            held-out accuracy: mean {1}; (evaluations:accuracy{0}) {2}; acceptance precision {3}",
            if skip > 0 { ", last 8" } else { "" },
            g.mean_accuracy()
                .map(|p| format!("{p:.3}"))
                .unwrap_or_else(|| "-".into()),
            if acc.is_empty() {
                "-".into()
            } else {
                acc.join(" ")
            },
            g.acceptance_precision()
                .map(|p| format!("{p:.3}"))
                .unwrap_or_else(|| "-".into())
        );
        let switches = g.switches(min_accuracy);
        if !switches.is_empty() {
            let events: Vec<String> = switches
                .iter()
                .map(|w| {
                    let state = if w.on { "on" } else { "off" };
                    format!("{state}@{}:{:.2}", w.evaluations, w.accuracy)
                })
                .collect();
            println!(
                "            switched off below accuracy {min_accuracy}: {} real evaluations unguided; (switch@evaluations:accuracy) {}",
                g.evaluations_switched_off(min_accuracy),
                events.join(" ")
            );
        }
    }
    println!();
    let finals = !final_scores.is_empty();
    if finals {
        println!(
            "ranked by the final re-evaluation (mean training score over its seeds), then by the mean fitness"
        );
    }
    let spread = |s: Option<&gevo::analysis::reevaluation::Spread>| {
        s.map_or_else(|| "-".into(), |t| format!("{:.3}±{:.3}", t.mean, t.std))
    };
    if !copies.is_empty() {
        println!(
            "one row per function (functional hash), its best record; `copies`: its records (--all lists each)"
        );
    }
    println!(
        "{:>7}  {:>10}  {:>14}  {:>10}{}  {:>4}  {:>6}  expression",
        "id",
        "fitness",
        "mean (runs)",
        "test",
        if finals {
            format!("  {:>16}  {:>16}", "final train (n)", "held-out")
        } else {
            String::new()
        },
        "size",
        "copies"
    );
    for r in &top {
        let columns = match (finals, final_scores.get(&r.id)) {
            (false, _) => String::new(),
            (true, None) => format!("  {:>16}  {:>16}", "-", "-"),
            (true, Some(s)) => format!(
                "  {:>16}  {:>16}",
                format!(
                    "{} ({})",
                    spread(s.train.as_ref()),
                    s.train.as_ref().map_or(0, |t| t.n)
                ),
                spread(s.held_out.as_ref())
            ),
        };
        println!(
            "{:>7}  {:>10.6}  {:>14}  {:>10}{columns}  {:>4}  {:>6}  {}",
            r.id,
            r.fitness.unwrap_or(f64::NAN),
            mean_of(r)
                .map(|(m, n)| format!("{m:.6} ({n})"))
                .unwrap_or_else(|| "-".into()),
            r.test_score
                .map(|t| format!("{t:.6}"))
                .unwrap_or_else(|| "-".into()),
            r.size,
            copies
                .get(&r.fingerprint)
                .map_or_else(|| "-".into(), |n| n.to_string()),
            r.expression
        );
    }
    if let Some(k) = &known_report {
        known::print_table(k);
    }
    Ok(())
}

/// `gevo inspect DIR --pareto [--csv FILE] [--json]`.
fn pareto(a: &InspectArgs) -> anyhow::Result<()> {
    use gevo::analysis::pareto::{recommended, write_csv};
    let archive = super::plot::open_stopped(&a.dir)?;
    let (_, hof) = super::plot::steps_and_hall_of_fame(&archive)?;
    // Symbolic-regression records carry their training MSE; other domains get no recommendation.
    // A cache hit carries no details of its own: its function's first evaluation has them.
    let mut fec: Option<HashMap<Fingerprint, gevo::hashing::fec::FecEntry>> = None;
    let train_mse = |r: &CandidateRecord| {
        r.details
            .iter()
            .find(|(k, _)| k == "train_mse")
            .map(|(_, v)| *v)
    };
    let mut mse: HashMap<u64, f64> = HashMap::new();
    for e in &hof {
        let Some(r) = archive.record(e.id)? else {
            continue;
        };
        let mut v = train_mse(&r);
        if v.is_none() && r.fec_hit {
            // The cache is read once, and only when a hit needs it.
            if fec.is_none() {
                fec = Some(
                    archive
                        .state()?
                        .map(|s| s.fec.into_iter().collect())
                        .unwrap_or_default(),
                );
            }
            if let Some(first) = fec.as_ref().and_then(|f| f.get(&r.fingerprint))
                && let Some(orig) = archive.record(first.first_id)?
            {
                v = train_mse(&orig);
            }
        }
        if let Some(v) = v {
            mse.insert(e.id, v);
        }
    }
    let best = recommended(&hof, |id| mse.get(&id).copied());
    if let Some(path) = &a.csv {
        let file =
            std::fs::File::create(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        write_csv(&hof, file)?;
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                // Each entry with the training MSE the recommendation used (symbolic regression).
                "hall_of_fame": hof.iter().map(|e| {
                    let mut v = json!(e);
                    if let Some(m) = mse.get(&e.id) {
                        v["train_mse"] = json!(m);
                    }
                    v
                }).collect::<Vec<_>>(),
                "recommended": best,
            }))?
        );
        return Ok(());
    }
    println!(
        "{:>4}  {:>7}  {:>10}  {:>10}  {:>6}  expression",
        "size", "id", "fitness", "test", "pareto"
    );
    for e in &hof {
        println!(
            "{:>4}  {:>7}  {:>10.6}  {:>10}  {:>6}  {}",
            e.size,
            e.id,
            e.fitness,
            e.test_score
                .map(|t| format!("{t:.6}"))
                .unwrap_or_else(|| "-".into()),
            if e.pareto { "*" } else { "" },
            e.expression
        );
    }
    if let Some(b) = best {
        println!(
            "recommended (PySR's rule, largest log-loss drop per unit size): id {} size {} \
             train MSE {:.6e}  {}",
            b.id, b.size, b.loss, b.expression
        );
    }
    Ok(())
}
