//! `gevo report DIR`: a campaign report in Markdown with SVG figures
//! (`gevo::analysis::report`). Reads the archive read-only; trains only with `--compare-seeds`.

use anyhow::{Context, bail};
use clap::Args;
use gevo::analysis::history::history;
use gevo::analysis::pareto::hall_of_fame;
use gevo::analysis::plot::{ImageFormat, Panel, plot_hall_of_fame, plot_panels, plot_progress};
use gevo::analysis::reevaluation::summarize;
use gevo::analysis::report::{
    Comparison, ComparisonRow, Evaluations, Figure, FinalScores, Report, milestones,
    render_markdown, top_distinct,
};
use gevo::analysis::stats::{paired_comparison, scores_under_seeds};
use gevo::engine::Evaluator;
use gevo::evolution::CampaignConfig;
use gevo::evolution::population::ranking_fitness;
use gevo::program::Program;
use gevo::program::space::SearchSpace;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Arguments of `gevo report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The campaign's archive directory (a stopped or finished campaign).
    pub dir: PathBuf,
    /// Where to write `report.md` and its SVG figures (default: `DIR/report`); `-` prints the
    /// Markdown to stdout and writes no figures.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also train the best program and every shipped seed program of the space (DQN, …) under
    /// the same S seeds (0..S, at most 24) on the campaign's task, and test the paired
    /// differences as `gevo compare` does. Off by default: the report then trains nothing.
    #[arg(long, value_name = "S")]
    pub compare_seeds: Option<u64>,
    /// How many distinct programs (functional hashes) to list.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// Parallel trainings for `--compare-seeds` [default: number of CPU cores].
    #[arg(long)]
    pub workers: Option<usize>,
}

/// Campaign settings as (name, value) rows.
fn settings(c: &CampaignConfig) -> Vec<(String, String)> {
    let mut rows = vec![
        ("space".to_string(), c.space.clone()),
        ("task".to_string(), c.task.name.clone()),
    ];
    if !c.task.files.is_empty() {
        let files: Vec<&str> = c.task.files.iter().map(|(f, _)| f.as_str()).collect();
        rows.push(("task files".into(), files.join(", ")));
    }
    if let Some(csv) = &c.task.csv {
        rows.push(("data".into(), csv.clone()));
    }
    rows.extend([
        ("campaign seed".to_string(), c.seed.to_string()),
        ("budget (candidates)".into(), c.budget.to_string()),
        ("population P".into(), c.population.to_string()),
        ("tournament T".into(), c.tournament.to_string()),
        (
            "training runs per evaluation (eval seeds)".into(),
            c.eval_seeds.to_string(),
        ),
        (
            "max duplicates".into(),
            c.max_duplicates
                .map_or("unlimited".into(), |n| n.to_string()),
        ),
        ("workers".into(), c.workers.to_string()),
        (
            "deterministic".into(),
            if c.deterministic {
                format!("yes (batch {})", c.batch)
            } else {
                "no".into()
            },
        ),
        (
            "functional equivalence cache".into(),
            if c.fec.enabled {
                format!(
                    "on ({} mantissa bits, aggregate {}, capacity {})",
                    c.fec.mantissa_bits, c.fec.aggregate, c.fec.capacity
                )
            } else {
                "off".into()
            },
        ),
        ("hurdle".into(), format!("{:?}", c.hurdle)),
        (
            "time limit per evaluation".into(),
            c.time_limit_secs
                .map_or("none".into(), |t| format!("{t} s")),
        ),
        (
            "initial population".into(),
            if c.seeds.is_empty() {
                "random programs".into()
            } else {
                let names: Vec<&str> = c.seeds.iter().map(|(n, _)| n.as_str()).collect();
                format!("bootstrapped from {}", names.join(", "))
            },
        ),
        (
            "guide".into(),
            match c.guide.kind {
                gevo::guide::GuideKind::None => "none".into(),
                gevo::guide::GuideKind::Discriminator => format!(
                    "discriminator (threshold {}, retrain every {}, accuracy floor {})",
                    c.guide.threshold, c.guide.retrain_every, c.guide.min_accuracy
                ),
            },
        ),
        (
            "max real evaluations".into(),
            c.max_evaluations.map_or("none".into(), |n| n.to_string()),
        ),
        ("device".into(), c.device.clone()),
    ]);
    rows
}

/// Trains the best program and the space's seed programs under seeds `0..seeds`.
fn compare(
    ev: &dyn Evaluator,
    best: (u64, &Program),
    seeds: u64,
    space: &str,
    workers: Option<usize>,
) -> anyhow::Result<Comparison> {
    let shipped = gevo::catalog::seeds(space);
    if shipped.is_empty() {
        return Ok(Comparison::Unavailable(format!(
            "space `{space}` ships no seed programs"
        )));
    }
    let mut skipped = Vec::new();
    let mut named: Vec<(String, Program)> = Vec::new();
    for (name, text) in shipped {
        match Program::from_json(&text, &name)
            .map_err(|e| e.to_string())
            .and_then(|p| {
                gevo::program::validate::validate(&p, ev.space())
                    .map(|_| p)
                    .map_err(|e| e.to_string())
            }) {
            Ok(p) => named.push((name, p)),
            Err(why) => skipped.push((name, why)),
        }
    }
    named.sort_by(|a, b| a.0.cmp(&b.0));
    let workers = workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers.max(1))
        .build()?;
    let mut programs: Vec<&Program> = vec![best.1];
    programs.extend(named.iter().map(|(_, p)| p));
    let scores = pool.install(|| scores_under_seeds(ev, &programs, seeds));
    let fitness = |k: usize| scores[k].iter().map(|s| s.fitness).collect::<Vec<f64>>();
    let held = |k: usize| {
        scores[k]
            .iter()
            .map(|s| s.test_score)
            .collect::<Option<Vec<f64>>>()
    };
    let failures = |k: usize| scores[k].iter().filter(|s| s.outcome != "ok").count();
    let rows = named
        .iter()
        .enumerate()
        .map(|(i, (name, _))| ComparisonRow {
            name: name.clone(),
            train: paired_comparison(&fitness(0), &fitness(i + 1)),
            held_out: held(0)
                .zip(held(i + 1))
                .map(|(a, b)| paired_comparison(&a, &b)),
            failures: failures(i + 1),
        })
        .collect();
    Ok(Comparison::Done {
        seeds,
        best_id: best.0,
        best_failures: failures(0),
        rows,
        skipped,
    })
}

/// Writes the figures into `out`; returns them for the Markdown.
fn figures(
    records: &[gevo::archive::CandidateRecord],
    population: usize,
    title: &str,
    out: &Path,
) -> anyhow::Result<Vec<Figure>> {
    let h = history(records, population);
    if h.is_empty() {
        return Ok(vec![]);
    }
    let best = |x: fn(&gevo::analysis::history::HistoryPoint) -> f64| {
        h.iter()
            .filter_map(|p| p.best.map(|b| (x(p), b)))
            .collect::<Vec<_>>()
    };
    let panels = [
        Panel {
            title: "best fitness vs. candidates".into(),
            x_label: "candidates".into(),
            y_label: "best fitness so far".into(),
            series: vec![("best".into(), best(|p| p.candidates as f64))],
        },
        Panel {
            title: "best fitness vs. wall clock".into(),
            x_label: "seconds".into(),
            y_label: "best fitness so far".into(),
            series: vec![("best".into(), best(|p| p.elapsed_secs))],
        },
    ];
    let path = out.join("best_fitness.svg");
    plot_panels(&panels, title, &path, ImageFormat::Svg)?;
    let mut figs = vec![Figure {
        file: "best_fitness.svg".into(),
        caption: "Best fitness so far vs. candidates and vs. wall-clock seconds".into(),
    }];
    plot_progress(&h, &[], title, out, ImageFormat::Svg)?;
    figs.push(Figure {
        file: "progress.svg".into(),
        caption: "Best and population-median fitness, cache hit rate and hurdle stops".into(),
    });
    let hof = hall_of_fame(records);
    if !hof.is_empty() {
        plot_hall_of_fame(&hof, title, out, ImageFormat::Svg)?;
        figs.push(Figure {
            file: "hall_of_fame.svg".into(),
            caption: "Best program per size; the Pareto front of fitness vs. size".into(),
        });
    }
    Ok(figs)
}

pub fn report(a: ReportArgs) -> anyhow::Result<()> {
    if let Some(s) = a.compare_seeds
        && !(1..=24).contains(&s)
    {
        bail!("--compare-seeds must be between 1 and 24 (got {s})");
    }
    if !a.dir.is_dir() {
        bail!(
            "{}: no such directory (give the archive directory of a campaign, as passed to `gevo run --archive`)",
            a.dir.display()
        );
    }
    let archive = super::plot::open_stopped(&a.dir)?;
    let records = archive.records()?;
    let dir = a.dir.display().to_string();
    let config: CampaignConfig = serde_json::from_str(&archive.config_json()?)
        .with_context(|| format!("{dir}: unreadable campaign settings"))?;
    let state = archive.state()?;
    let status = match &state {
        Some(s) if s.finished => "finished".to_string(),
        Some(_) => "stopped before its budget (continue with `gevo resume`)".to_string(),
        None => "not started".to_string(),
    };
    let means: HashMap<_, _> = state
        .iter()
        .flat_map(|s| s.fec.iter())
        .filter_map(|(fp, e)| ranking_fitness(None, Some(e)).map(|f| (*fp, f)))
        .collect();
    let space = SearchSpace::from_toml(
        &config.space_source,
        &format!("{dir}/campaign.json (space)"),
    )?;
    let ev = gevo::task::build_evaluator(space, &config.task, &config.device)?;

    let mut top = top_distinct(&records, &means, a.top);
    let seeds = gevo::catalog::seeds(&config.space);
    let known = if seeds.is_empty() {
        Err(format!("space `{}` ships no seed programs", config.space))
    } else {
        let k = gevo::analysis::known::detect(
            &records,
            ev.as_ref(),
            &seeds,
            config.fec.mantissa_bits,
            true,
        );
        for row in &mut top {
            row.known = k.matches.get(&row.id).map(|m| m.label());
        }
        Ok(k)
    };

    // The top rows come from `records`, so the best one's record is there.
    let best = top
        .first()
        .and_then(|best| records.iter().find(|r| r.id == best.id));
    let comparison = match (a.compare_seeds, best) {
        (None, _) => Comparison::NotRequested,
        (Some(_), None) => {
            Comparison::Unavailable("the campaign has no program with a finite fitness".into())
        }
        (Some(s), Some(best)) => {
            let program = best
                .program()
                .with_context(|| format!("{}: candidate {}", a.dir.display(), best.id))?;
            compare(
                ev.as_ref(),
                (best.id, &program),
                s,
                &config.space,
                a.workers,
            )?
        }
    };

    let stdout = a.out.as_deref() == Some(Path::new("-"));
    let out = a.out.clone().unwrap_or_else(|| a.dir.join("report"));
    let title = format!("{} on {}", config.space, config.task.name);
    let figures = if stdout {
        vec![]
    } else {
        std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        figures(&records, config.population, &title, &out)?
    };
    // Runs on the campaign's own task set (`gevo reevaluate` / `--final-seeds`), best first.
    let mut own = archive.reevaluations()?;
    own.retain(|r| r.campaign_task_set);
    let final_scores: Vec<FinalScores> = summarize(&own, None)
        .into_iter()
        .filter(|s| s.train.is_some())
        .map(|s| FinalScores {
            candidate: s.candidate,
            train: s.train_scores.iter().flatten().copied().collect(),
            held_out: s.held_out_scores.iter().flatten().copied().collect(),
        })
        .collect();
    let report = Report {
        archive: dir.clone(),
        status,
        settings: settings(&config),
        evaluations: Evaluations::from_records(&records, config.budget, config.eval_seeds),
        milestones: milestones(&history(&records, config.population)),
        figures,
        known,
        top,
        final_scores,
        comparison,
        compare_hint: format!("gevo report {dir} --compare-seeds 10"),
        reevaluate_hint: format!("gevo reevaluate {dir} --top 10 --seeds 10"),
    };
    let md = render_markdown(&report);
    if stdout {
        print!("{md}");
    } else {
        let path = out.join("report.md");
        std::fs::write(&path, md).with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}
