//! `gevo compare A.json B.json --task T --seeds N`: evaluate two programs under identical seeds
//! and test the paired difference.

use anyhow::{anyhow, bail};
use clap::Args;
use gevo::analysis::stats::{SeedScore, paired_comparison, scores_under_seeds};
use gevo::program::Program;
use serde_json::json;
use std::path::PathBuf;

/// Arguments of `gevo compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// First program (.json).
    pub a: PathBuf,
    /// Second program (.json).
    pub b: PathBuf,
    /// Task (e.g. cartpole, cartpole,acrobot, nguyen-1), seeds (at most 24; both programs get
    /// the same), device, output.
    #[command(flatten)]
    pub run: super::eval::SeedArgs,
}

pub fn compare(args: CompareArgs) -> anyhow::Result<()> {
    let a = &args.run;
    if a.seeds == 0 || a.seeds > 24 {
        bail!("--seeds must be between 1 and 24 (got {})", a.seeds);
    }
    let space = gevo::catalog::load_space(&a.space)?;
    let spec = gevo::task::resolve(&a.task)?;
    let ev = gevo::task::build_evaluator(space, &spec, &a.device)?;
    let programs = [&args.a, &args.b].map(|path| -> anyhow::Result<Program> {
        let p = Program::load(path)?;
        gevo::program::validate::validate(&p, ev.space())
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        Ok(p)
    });
    let [pa, pb] = programs;
    let (pa, pb) = (pa?, pb?);
    let pool = a.pool()?;
    let results = pool.install(|| scores_under_seeds(ev.as_ref(), &[&pa, &pb], a.seeds));
    let n = a.seeds as usize;
    let (ra, rb) = (&results[0], &results[1]);
    let sa: Vec<f64> = ra.iter().map(|r| r.fitness).collect();
    let sb: Vec<f64> = rb.iter().map(|r| r.fitness).collect();
    let c = paired_comparison(&sa, &sb);
    if a.json {
        let doc = json!({
            "a": args.a.display().to_string(),
            "b": args.b.display().to_string(),
            "task": a.task,
            "per_seed": (0..n).map(|s| json!({
                "seed": s, "a": sa[s], "b": sb[s], "outcome_a": ra[s].outcome, "outcome_b": rb[s].outcome,
            })).collect::<Vec<_>>(),
            "comparison": c,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!(
        "A {}\nB {}\ntask {}",
        args.a.display(),
        args.b.display(),
        a.task
    );
    println!("{:>4}  {:>10}  {:>10}  {:>10}", "seed", "A", "B", "A − B");
    for s in 0..n {
        let note = |r: &SeedScore| {
            if r.outcome == "ok" {
                String::new()
            } else {
                format!(" ({})", r.outcome)
            }
        };
        println!(
            "{s:>4}  {:>10.4}  {:>10.4}  {:>10.4}{}{}",
            sa[s],
            sb[s],
            sa[s] - sb[s],
            note(&ra[s]),
            note(&rb[s])
        );
    }
    println!(
        "mean  {:>10.4}  {:>10.4}  {:>10.4} ± {:.4} (std of the differences)",
        c.mean_a, c.mean_b, c.mean_difference, c.std_difference
    );
    match (c.t, c.p_t_test) {
        (Some(t), Some(p)) => println!("paired t-test: t = {t:.3}, df = {}, p = {p:.4}", n - 1),
        _ => println!("paired t-test: undefined (the differences do not vary across seeds)"),
    }
    println!(
        "exact sign-flip permutation test: p = {:.4}",
        c.p_permutation
    );
    Ok(())
}
