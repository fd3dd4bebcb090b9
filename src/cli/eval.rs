//! `gevo eval PROGRAM.json --task T --seeds N`: re-evaluate a program under several seeds (RL
//! losses: per-task scores and learning curves; other domains: score, held-out score, details).

use anyhow::anyhow;
use clap::Args;
use gevo::domains::rl_loss::dqn::TrainingOutcome;
use gevo::domains::rl_loss::task::normalized_score;
use gevo::domains::rl_loss::{RlLossEvaluator, load_tasks};
use gevo::program::Program;
use gevo::program::space::SearchSpace;
use rayon::prelude::*;
use serde_json::json;
use std::path::PathBuf;

/// What `gevo eval` and `gevo compare` share: the task, the seeds and where to run.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Task(s), comma separated (e.g. cartpole or cartpole,acrobot).
    #[arg(long)]
    pub task: String,
    /// Number of seeds (0..N).
    #[arg(long, default_value_t = 5)]
    pub seeds: u64,
    /// Search space the program belongs to.
    #[arg(long, default_value = "rl_loss")]
    pub space: String,
    /// Parallel trainings [default: number of CPU cores].
    #[arg(long)]
    pub workers: Option<usize>,
    /// Device: cpu or wgpu.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
}

impl SeedArgs {
    /// A thread pool of `--workers` threads (default: one per core).
    pub fn pool(&self) -> anyhow::Result<rayon::ThreadPool> {
        let workers = self.workers.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
        Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(workers.max(1))
            .build()?)
    }
}

/// Arguments of `gevo eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The program: a .json file (an export, or a file under search_spaces/<space>/seeds) or
    /// the name of a seed program of --space, as for `run --bootstrap` (e.g. dqn).
    pub program: PathBuf,
    /// Task, seeds, device, output.
    #[command(flatten)]
    pub run: SeedArgs,
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, var.sqrt())
}

/// Domains other than RL losses: one full evaluation per seed (fitness, held-out score and the
/// domain's details).
fn eval_generic(
    args: &EvalArgs,
    program: Program,
    space: SearchSpace,
    spec: &gevo::evolution::TaskSpec,
) -> anyhow::Result<()> {
    let a = &args.run;
    let ev = gevo::task::build_evaluator(space, spec, &a.device)?;
    let pool = a.pool()?;
    let evals: Vec<gevo::engine::Evaluation> = pool.install(|| {
        (0..a.seeds)
            .into_par_iter()
            .map(|s| {
                ev.evaluate(
                    &program,
                    &gevo::engine::EvalContext {
                        seed: s,
                        ..Default::default()
                    },
                )
            })
            .collect()
    });
    let scores: Vec<f64> = evals.iter().map(|e| e.fitness.unwrap_or(0.0)).collect();
    let held: Vec<f64> = evals.iter().filter_map(|e| e.test_score).collect();
    let (m, sd) = mean_std(&scores);
    if a.json {
        let doc = json!({
            "program": args.program.display().to_string(),
            "task": a.task,
            "scores": scores,
            "mean": m,
            "std": sd,
            "held_out_scores": held,
            "per_seed": evals.iter().enumerate().map(|(s, e)| json!({
                "seed": s,
                "score": e.fitness,
                "held_out": e.test_score,
                "outcome": e.outcome.name(),
                "wall_secs": e.cost.wall_secs,
                "details": e.details.iter().map(|(k, v)| (k.clone(), json!(v)))
                    .collect::<serde_json::Map<_, _>>(),
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!("program {}  task {}", args.program.display(), a.task);
    for (s, e) in evals.iter().enumerate() {
        let details: Vec<String> = e
            .details
            .iter()
            .map(|(k, v)| format!("{k} {v:.4}"))
            .collect();
        println!(
            "seed {s}: score {}  held-out {}  ({}, {:.2} s)  {}",
            e.fitness.map_or("-".into(), |f| format!("{f:.4}")),
            e.test_score.map_or("-".into(), |f| format!("{f:.4}")),
            e.outcome.name(),
            e.cost.wall_secs,
            details.join(", ")
        );
    }
    println!("mean score {m:.4} ± {sd:.4} (std over {} seeds)", a.seeds);
    if !held.is_empty() {
        let (hm, hsd) = mean_std(&held);
        println!("mean held-out score {hm:.4} ± {hsd:.4}");
    }
    Ok(())
}

/// Loads `path`, or, when no such file exists, the seed program of that name shipped with
/// `space`.
pub fn load_program(path: &std::path::Path, space: &str) -> anyhow::Result<Program> {
    if !path.exists()
        && let Some(name) = path.to_str()
        && let Some((_, text)) = gevo::catalog::seeds(space)
            .into_iter()
            .find(|(n, _)| n == name)
    {
        return Ok(Program::from_json(
            &text,
            &format!("seed program `{name}` of space `{space}`"),
        )?);
    }
    Ok(Program::load(path)?)
}

pub fn eval(args: EvalArgs) -> anyhow::Result<()> {
    let a = &args.run;
    let program = load_program(&args.program, &a.space)?;
    let src = gevo::catalog::space(&a.space)
        .ok_or_else(|| anyhow!("unknown search space `{}`", a.space))?;
    let space = SearchSpace::from_toml(&src.text, &src.origin)?;
    gevo::program::validate::validate(&program, &space)
        .map_err(|e| anyhow!("{}: {e}", args.program.display()))?;
    let spec = gevo::task::resolve(&a.task)?;
    if let Some((origin, text)) = spec.files.first()
        && gevo::task::domain_of(text, origin)? != "rl_loss"
    {
        return eval_generic(&args, program, space, &spec);
    }
    let tasks = load_tasks(&spec)?;
    let device = gevo::nn::device::parse(&a.device)?;
    let ev = RlLossEvaluator::new(space, tasks.clone(), device)?;
    let pool = a.pool()?;
    let jobs: Vec<(u64, usize)> = (0..a.seeds)
        .flat_map(|s| (0..tasks.len()).map(move |k| (s, k)))
        .collect();
    let reports: Vec<((u64, usize), anyhow::Result<_>)> = pool.install(|| {
        jobs.par_iter()
            .map(|&(s, k)| {
                (
                    (s, k),
                    ev.train(&program, k, s.wrapping_add(k as u64), None),
                )
            })
            .collect()
    });
    let mut per_seed = Vec::new();
    let mut curves = Vec::new();
    for s in 0..a.seeds {
        let mut total = 0.0;
        let mut detail = serde_json::Map::new();
        for (k, task) in tasks.iter().enumerate() {
            let report = reports
                .iter()
                .find(|((ss, kk), _)| *ss == s && *kk == k)
                .map(|(_, r)| r)
                .ok_or_else(|| anyhow!("no training run for seed {s} on {}", task.name))?;
            let report = report.as_ref().map_err(|e| anyhow!("{e:#}"))?;
            let mean = RlLossEvaluator::mean_final_return(task, report);
            let score = if report.outcome == TrainingOutcome::Completed {
                normalized_score(mean, task.environment.return_range)
            } else {
                0.0
            };
            total += score;
            detail.insert(task.name.clone(), json!({"score": score, "mean_return": mean, "outcome": format!("{:?}", report.outcome), "episodes": report.episode_returns.len(), "env_steps": report.env_steps, "wall_secs": report.wall_secs}));
            curves.push(
                json!({"seed": s, "task": task.name, "episode_returns": report.episode_returns}),
            );
        }
        per_seed.push((s, total, detail));
    }
    let scores: Vec<f64> = per_seed.iter().map(|p| p.1).collect();
    let (m, sd) = mean_std(&scores);
    if a.json {
        let doc = json!({
            "program": args.program.display().to_string(),
            "task": a.task,
            "scores": scores,
            "mean": m,
            "std": sd,
            "per_seed": per_seed.iter().map(|(s, t, d)| json!({"seed": s, "score": t, "tasks": d})).collect::<Vec<_>>(),
            "learning_curves": curves,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!("program {}  task {}", args.program.display(), a.task);
    for (s, t, d) in &per_seed {
        let parts: Vec<String> = d
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k} {:.3} (return {:.1}, {})",
                    v["score"].as_f64().unwrap_or(0.0),
                    v["mean_return"].as_f64().unwrap_or(0.0),
                    v["outcome"].as_str().unwrap_or("")
                )
            })
            .collect();
        println!("seed {s}: score {t:.3}  {}", parts.join("; "));
    }
    println!("mean score {m:.3} ± {sd:.3} (std over {} seeds)", a.seeds);
    println!("learning curve (mean training return per tenth of training, seed-averaged):");
    for task in &tasks {
        let rows: Vec<&Vec<serde_json::Value>> = curves
            .iter()
            .filter(|c| c["task"] == task.name)
            .filter_map(|c| c["episode_returns"].as_array())
            .collect();
        let mut line = Vec::new();
        for dec in 0..10 {
            let mut acc = Vec::new();
            for r in &rows {
                let n = r.len();
                let (lo, hi) = (
                    dec * n / 10,
                    ((dec + 1) * n / 10).max(dec * n / 10 + 1).min(n),
                );
                let seg: Vec<f64> = r[lo.min(n)..hi].iter().filter_map(|v| v.as_f64()).collect();
                if !seg.is_empty() {
                    acc.push(seg.iter().sum::<f64>() / seg.len() as f64);
                }
            }
            if !acc.is_empty() {
                line.push(format!("{:.1}", acc.iter().sum::<f64>() / acc.len() as f64));
            }
        }
        println!("  {}: {}", task.name, line.join("  "));
    }
    Ok(())
}
