//! `gevo reevaluate DIR --top K --seeds S [--task T] [--workers N] [--json]`: the final
//! re-evaluation of a campaign's best programs on fresh seeds, training and held-out tasks
//! (`gevo::evolution::reevaluation`); also run by `gevo run`/`resume` with `--final-seeds`.

use anyhow::{Context, bail};
use clap::Args;
use gevo::analysis::reevaluation::{ProgramSummary, summarize};
use gevo::archive::{Archive, CandidateRecord};
use gevo::domains::registry::domain_of_spec;
use gevo::evolution::CampaignConfig;
use gevo::evolution::reevaluation::{self, Plan, RunCounts, Target, select_top};
use gevo::program::space::SearchSpace;
use gevo::task::TaskSpec;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `gevo reevaluate`.
#[derive(Debug, Args)]
pub struct ReevaluateArgs {
    /// The campaign's archive directory (the campaign must not be running).
    pub dir: PathBuf,
    /// How many distinct programs (by functional hash) to re-evaluate, best first as
    /// `gevo inspect` ranks them (the cache's mean fitness).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub top: u64,
    /// Fresh training seeds per program and task.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub seeds: u64,
    /// Re-evaluate on this task set (names or paths, comma separated, of the campaign's
    /// domain) and its held-out tasks instead of the campaign's.
    #[arg(long)]
    pub task: Option<String>,
    /// Parallel training runs [default: the campaign's --workers].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub workers: Option<u64>,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    pub json: bool,
    /// No line per finished run on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// What one re-evaluation is asked to do.
pub struct Request {
    /// Distinct programs.
    pub top: usize,
    /// Seeds per program and task.
    pub seeds: usize,
    /// Another task set than the campaign's.
    pub task: Option<String>,
    /// Worker threads.
    pub workers: usize,
    /// No per-run lines.
    pub quiet: bool,
}

/// The finished re-evaluation: the programs' summaries (best training mean first) and the
/// counts of runs.
pub struct Report {
    /// The training task set.
    pub task_set: String,
    /// The held-out task names.
    pub held_out: Vec<String>,
    /// The programs, as selected.
    pub candidates: Vec<CandidateRecord>,
    /// Their summaries.
    pub summaries: Vec<ProgramSummary>,
    /// Runs of the plan, found stored, and run now.
    pub counts: RunCounts,
}

pub fn reevaluate(a: ReevaluateArgs) -> anyhow::Result<()> {
    let archive = Archive::open(&a.dir)?;
    let config: CampaignConfig = serde_json::from_str(&archive.config_json()?)
        .with_context(|| format!("{}: unreadable campaign settings", a.dir.display()))?;
    let req = Request {
        top: a.top as usize,
        seeds: a.seeds as usize,
        task: a.task.clone(),
        workers: a.workers.map_or(config.workers, |w| w as usize),
        quiet: a.quiet,
    };
    let report = run_on(&archive, &config, &req)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report_json(&report))?);
    } else {
        print_report(&report);
    }
    Ok(())
}

/// Rebuilds the evaluators (training set and held-out tasks) from the archive's settings
/// and runs the re-evaluation, printing a line per finished run on stderr unless quiet.
///
/// # Errors
/// A `--task` of another domain, a space or task the domains cannot rebuild, no candidate to
/// re-evaluate, archive I/O.
pub fn run_on(archive: &Archive, config: &CampaignConfig, req: &Request) -> anyhow::Result<Report> {
    let dir = archive.dir().display().to_string();
    let space = SearchSpace::from_toml(
        &config.space_source,
        &format!("{dir}/campaign.json (space)"),
    )?;
    let campaign_domain = domain_of_spec(&config.task)
        .with_context(|| format!("{dir}: the campaign's task cannot be read"))?;
    let spec: TaskSpec = match &req.task {
        None => config.task.clone(),
        Some(t) => {
            let spec = gevo::task::resolve(t).context("--task")?;
            let d = domain_of_spec(&spec).context("--task")?;
            if d.name() != campaign_domain.name() {
                bail!(
                    "--task {t}: a `{}` task, but the campaign in {dir} searched `{}` programs (space `{}`); give a `{}` task",
                    d.name(),
                    campaign_domain.name(),
                    config.space,
                    campaign_domain.name()
                );
            }
            spec
        }
    };
    let build = |spec: &TaskSpec| {
        gevo::task::build_evaluator(space.clone(), spec, &config.device).with_context(|| {
            format!(
                "{dir}: cannot build the evaluator of task `{}` for space `{}`",
                spec.name, config.space
            )
        })
    };
    let train = build(&spec)?;
    let task_set = train.task_name().to_string();
    let held_specs = if req.task.is_none() && !config.held_out.is_empty() {
        config.held_out.clone()
    } else {
        campaign_domain
            .held_out_tasks(&spec)
            .with_context(|| format!("task `{}`: held-out tasks", spec.name))?
    };
    let mut targets = vec![Target {
        task: task_set.clone(),
        held_out: false,
        evaluator: train,
    }];
    for h in &held_specs {
        targets.push(Target {
            task: h.name.clone(),
            held_out: true,
            evaluator: build(h)?,
        });
    }
    let records = archive.records()?;
    let state = archive.state()?;
    let candidates = select_top(&records, state.as_ref(), req.top);
    if candidates.is_empty() {
        bail!(
            "{dir}: no candidate was evaluated successfully (outcome ok); nothing to re-evaluate"
        );
    }
    let plan = Plan {
        task_set: task_set.clone(),
        campaign_task_set: req.task.is_none(),
        candidates: candidates.clone(),
        targets,
        seeds: req.seeds,
        campaign_seed: config.seed,
        time_limit: config.time_limit_secs.map(Duration::from_secs_f64),
        workers: req.workers,
    };
    if !req.quiet {
        eprintln!(
            "gevo: re-evaluating {} program(s) × {} seed(s) on {}{} · {} worker(s)",
            candidates.len(),
            req.seeds,
            task_set,
            if held_specs.is_empty() {
                String::new()
            } else {
                let names: Vec<&str> = held_specs.iter().map(|h| h.name.as_str()).collect();
                format!(" + held out {}", names.join(","))
            },
            req.workers
        );
    }
    let quiet = req.quiet;
    let counts = reevaluation::run(archive, &plan, |r, c| {
        if !quiet {
            eprintln!(
                "stored candidate {} · {} · seed {} · {} {} ({}/{} run now, {} stored before)",
                r.candidate,
                r.task,
                r.seed_index,
                r.evaluation.outcome.name(),
                r.evaluation
                    .fitness
                    .map(|f| format!("{f:.4}"))
                    .unwrap_or_else(|| "-".into()),
                c.ran,
                c.total - c.stored_before,
                c.stored_before
            );
        }
    })?;
    if !req.quiet {
        eprintln!(
            "gevo: {} run(s): {} stored before, {} run now",
            counts.total, counts.stored_before, counts.ran
        );
    }
    let ids: Vec<u64> = candidates.iter().map(|c| c.id).collect();
    let summaries = summarize(&archive.reevaluations()?, Some(&task_set))
        .into_iter()
        .filter(|s| ids.contains(&s.candidate))
        .collect();
    Ok(Report {
        task_set,
        held_out: held_specs.into_iter().map(|h| h.name).collect(),
        candidates,
        summaries,
        counts,
    })
}

fn expression(report: &Report, id: u64) -> &str {
    report
        .candidates
        .iter()
        .find(|c| c.id == id)
        .map_or("", |c| c.expression.as_str())
}

/// The report as `--json` prints it (field names are stable).
pub fn report_json(report: &Report) -> serde_json::Value {
    json!({
        "task_set": report.task_set,
        "held_out_tasks": report.held_out,
        "held_out_score": "sum of the normalized scores over the held-out tasks",
        "runs": {
            "total": report.counts.total,
            "stored_before": report.counts.stored_before,
            "ran": report.counts.ran,
        },
        "programs": report.summaries.iter().map(|s| {
            let mut v = serde_json::to_value(s).unwrap_or_default();
            v["expression"] = json!(expression(report, s.candidate));
            v["campaign_fitness"] = json!(report.candidates.iter().find(|c| c.id == s.candidate).and_then(|c| c.fitness));
            v
        }).collect::<Vec<_>>(),
    })
}

/// The table: per program, training and held-out mean ± std [95 % interval], then per-task
/// means.
pub fn print_report(report: &Report) {
    println!(
        "re-evaluation on {} ({} held-out task(s){}); held-out score = sum of normalized scores",
        report.task_set,
        report.held_out.len(),
        if report.held_out.is_empty() {
            String::new()
        } else {
            format!(": {}", report.held_out.join(", "))
        }
    );
    println!(
        "{} runs: {} stored before, {} run now",
        report.counts.total, report.counts.stored_before, report.counts.ran
    );
    println!();
    println!(
        "{:>7}  {:>5}  {:>32}  {:>32}  {:>4}  expression",
        "id", "seeds", "train mean ± std [95% CI]", "held-out mean ± std [95% CI]", "fail"
    );
    for s in &report.summaries {
        println!(
            "{:>7}  {:>5}  {:>32}  {:>32}  {:>4}  {}",
            s.candidate,
            s.train.as_ref().map_or(0, |t| t.n),
            s.train.as_ref().map_or_else(|| "-".into(), |t| t.display()),
            s.held_out
                .as_ref()
                .map_or_else(|| "-".into(), |t| t.display()),
            s.failures,
            expression(report, s.candidate)
        );
        let tasks: Vec<String> = s
            .tasks
            .iter()
            .map(|t| {
                format!(
                    "{}{} {:.3}±{:.3}",
                    t.task,
                    if t.held_out { " (held out)" } else { "" },
                    t.score.mean,
                    t.score.std
                )
            })
            .collect();
        if !tasks.is_empty() {
            println!("{:>7}  per task: {}", "", tasks.join(" · "));
        }
    }
}
