//! `gevo ablate`: a compute-fair ablation of guided evolution.
//!
//! Runs K seeds × three arms on one task with the same budget of real evaluations
//! (`--max-evaluations`): regularized evolution (`re`: no cache, no guide), `re+fec` (functional
//! equivalence cache) and `re+fec+disc` (cache and the online discriminator with PAM-RT;
//! Co-Reyes, Miao, Tucker, Faust, Real, "Guided Evolution with Binary Discriminators for ML
//! Program Search", 2024). Every run is a deterministic campaign in its own archive under
//! `OUT/archives/`.
//!
//! Written to `OUT/` (statistics in [`gevo::analysis::ablation`]):
//! - `runs.csv`: per run, its final best fitness, real evaluations, candidates and wall seconds
//!   (the discriminator's training and inference included);
//! - `curves_evaluations.csv`: per arm, the mean (and min/max over seeds) best fitness after each
//!   real evaluation;
//! - `curves_seconds.csv`: the same against wall-clock seconds (1000 points; a run that finished
//!   earlier keeps its final best);
//! - `speedup.csv`: for each arm against each reference arm, the target = the reference's final
//!   mean best fitness, and the evaluations (and seconds) the reference's mean curve needs to
//!   reach it divided by what the arm's mean curve needs, with a 95% bootstrap interval over
//!   seeds (1000 resamples of the seeds of both arms; a resample where the arm never reaches the
//!   target counts as speedup 0, so the interval is conservative);
//! - `curves.svg`: both mean curves per arm.

use anyhow::{Context, anyhow};
use clap::Args;
use gevo::analysis::ablation::{
    Trajectory, bootstrap_speedup, mean_curve_evaluations, mean_curve_seconds,
};
use gevo::archive::{Archive, CandidateRecord, Stats};
use gevo::evolution::{Campaign, CampaignConfig, CampaignObserver};
use gevo::guide::GuideKind;
use gevo::program::space::SearchSpace;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Arguments of `gevo ablate`.
#[derive(Debug, Args)]
pub struct AblateArgs {
    /// Search space (a shipped name or a .toml path).
    #[arg(long)]
    pub space: String,
    /// Task(s), as for `gevo run`.
    #[arg(long)]
    pub task: String,
    /// Seeds per arm (K).
    #[arg(long, default_value_t = 5)]
    pub seeds: u64,
    /// First seed; runs use seeds first..first+K.
    #[arg(long, default_value_t = 0)]
    pub first_seed: u64,
    /// Real evaluations per run (the fixed, compute-fair budget).
    #[arg(long)]
    pub max_evaluations: u64,
    /// Candidate cap per run (cache hits count) [default: 50 × max-evaluations].
    #[arg(long)]
    pub budget: Option<u64>,
    /// Population size P.
    #[arg(long, default_value_t = 100)]
    pub population: usize,
    /// Tournament size T.
    #[arg(long, default_value_t = 25)]
    pub tournament: usize,
    /// Parallel evaluations per run (runs are deterministic: results do not depend on it).
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// Children proposed together (deterministic mode).
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// Guide: acceptance threshold τ [default: 0.5].
    #[arg(long)]
    pub guide_threshold: Option<f64>,
    /// Guide: retry cap [default: 8].
    #[arg(long)]
    pub guide_retries: Option<usize>,
    /// Guide: warm-up in programs [default: 64].
    #[arg(long)]
    pub guide_warmup: Option<usize>,
    /// Guide: retrain every N real evaluations [default: 32].
    #[arg(long)]
    pub guide_retrain_every: Option<u64>,
    /// Guide: Adam steps per retrain [default: 40].
    #[arg(long)]
    pub guide_steps: Option<usize>,
    /// Guide: tie tolerance on fitness [default: 1e-9].
    #[arg(long)]
    pub guide_tie: Option<f64>,
    /// Guide: accept a child that is a known duplicate tying its parent (it re-enters the
    /// population at no evaluation cost, as under FEC) instead of retrying.
    #[arg(long)]
    pub guide_accept_known_ties: bool,
    /// Guide: held-out accuracy below which the discriminator is switched off [default: 0.6].
    #[arg(long)]
    pub guide_min_accuracy: Option<f64>,
    /// Independent training runs per real evaluation in every campaign; the fitness is their
    /// mean.
    #[arg(long, default_value_t = 1)]
    pub eval_seeds: usize,
    /// Output directory (created).
    #[arg(long)]
    pub out: PathBuf,
}

/// The three arms.
const ARMS: [&str; 3] = ["re", "re+fec", "re+fec+disc"];

/// One run's trajectory, recorded as the campaign inserts results.
#[derive(Default)]
struct Trace {
    curve: Trajectory,
    best: f64,
}

impl CampaignObserver for Trace {
    fn on_insert(&mut self, _: &CandidateRecord, stats: &Stats, _: u64) {
        let best = stats.best.map(|b| b.1).unwrap_or(f64::NEG_INFINITY);
        self.best = best;
        let points = &mut self.curve.points;
        while (points.len() as u64) < stats.evaluations {
            points.push((stats.wall_secs, best));
        }
    }
}

struct Run {
    arm: usize,
    seed: u64,
    trace: Trace,
    candidates: u64,
    wall: f64,
}

pub fn ablate(a: AblateArgs) -> anyhow::Result<()> {
    if a.eval_seeds == 0 {
        anyhow::bail!(
            "--eval-seeds must be at least 1 (the number of training runs per evaluation)"
        );
    }
    let src = gevo::catalog::space(&a.space)
        .ok_or_else(|| anyhow!("unknown search space `{}`", a.space))?;
    let space = SearchSpace::from_toml(&src.text, &src.origin)?;
    let spec = gevo::task::resolve(&a.task)?;
    std::fs::create_dir_all(a.out.join("archives"))
        .with_context(|| format!("{}: cannot create", a.out.display()))?;
    let e_max = a.max_evaluations.max(1) as usize;
    let mut runs: Vec<Run> = Vec::new();
    for seed in a.first_seed..a.first_seed + a.seeds {
        for (arm, name) in ARMS.iter().enumerate() {
            let mut c = CampaignConfig::new(&space.name, &space.source, spec.clone());
            c.budget = a.budget.unwrap_or(50 * a.max_evaluations);
            c.max_evaluations = Some(a.max_evaluations);
            c.population = a.population.max(1);
            c.tournament = a.tournament.max(1);
            c.workers = a.workers.max(1);
            c.batch = a.batch.max(1);
            c.deterministic = true;
            c.seed = seed;
            c.eval_seeds = a.eval_seeds;
            c.fec.enabled = arm >= 1;
            if arm == 2 {
                let g = &mut c.guide;
                g.kind = GuideKind::Discriminator;
                g.threshold = a.guide_threshold.unwrap_or(g.threshold);
                g.max_retries = a.guide_retries.unwrap_or(g.max_retries);
                g.warmup = a.guide_warmup.unwrap_or(g.warmup);
                g.retrain_every = a.guide_retrain_every.unwrap_or(g.retrain_every).max(1);
                g.train_steps = a.guide_steps.unwrap_or(g.train_steps);
                g.tie_tolerance = a.guide_tie.unwrap_or(g.tie_tolerance).max(0.0);
                g.accept_known_ties = a.guide_accept_known_ties;
                g.min_accuracy = a.guide_min_accuracy.unwrap_or(g.min_accuracy);
            }
            let dir = a
                .out
                .join("archives")
                .join(format!("{}-seed{seed}", name.replace('+', "_")));
            if dir.exists() {
                std::fs::remove_dir_all(&dir)?;
            }
            let evaluator = gevo::task::build_evaluator(space.clone(), &spec, &c.device)?;
            let archive = Archive::create(&dir, &serde_json::to_string_pretty(&c)?)?;
            let mut campaign = Campaign::new(c, evaluator, archive)?;
            let mut trace = Trace::default();
            campaign.run(&mut trace)?;
            let s = campaign.stats();
            eprintln!(
                "ablate: {name:<12} seed {seed}: best {:.6} after {} evaluations, {} candidates, {:.2} s",
                trace.best, s.evaluations, s.candidates, s.wall_secs
            );
            runs.push(Run {
                arm,
                seed,
                candidates: s.candidates,
                wall: s.wall_secs,
                trace,
            });
        }
    }
    write_outputs(&a.out, &runs, e_max, a.seeds as usize)
}

fn write_outputs(out: &Path, runs: &[Run], e_max: usize, k: usize) -> anyhow::Result<()> {
    let by_arm = |arm: usize| -> Vec<&Trajectory> {
        runs.iter()
            .filter(|r| r.arm == arm)
            .map(|r| &r.trace.curve)
            .collect()
    };
    let mut csv = String::from("arm,seed,best_fitness,evaluations,candidates,wall_secs\n");
    for r in runs {
        writeln!(
            csv,
            "{},{},{},{},{},{}",
            ARMS[r.arm],
            r.seed,
            r.trace.best,
            r.trace.curve.points.len(),
            r.candidates,
            r.wall
        )?;
    }
    std::fs::write(out.join("runs.csv"), csv)?;

    // Mean curves against evaluations (1..=e_max) and seconds (1000 points).
    let t_max = runs.iter().map(|r| r.wall).fold(0.0, f64::max).max(1e-9);
    let times: Vec<f64> = (1..=1000).map(|i| t_max * i as f64 / 1000.0).collect();
    let mut ce = String::from("arm,evaluations,mean_best,min_best,max_best\n");
    let mut cs = String::from("arm,seconds,mean_best\n");
    let mut curves = Vec::new();
    for (arm, name) in ARMS.iter().enumerate() {
        let rs = by_arm(arm);
        let m = mean_curve_evaluations(&rs, e_max);
        for (i, v) in m.iter().enumerate() {
            let vals: Vec<f64> = rs.iter().map(|r| r.best_after(i + 1)).collect();
            let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            writeln!(ce, "{name},{},{v},{lo},{hi}", i + 1)?;
        }
        let mt = mean_curve_seconds(&rs, &times);
        for (t, v) in times.iter().zip(&mt) {
            writeln!(cs, "{name},{t},{v}")?;
        }
        curves.push((m, mt));
    }
    std::fs::write(out.join("curves_evaluations.csv"), ce)?;
    std::fs::write(out.join("curves_seconds.csv"), cs)?;

    // Speedups with bootstrap intervals over seeds.
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut sp = String::from(
        "arm,reference,target,reference_evaluations,arm_evaluations,speedup_evaluations,ci_low,ci_high,reference_secs,arm_secs,speedup_secs,ci_low_secs,ci_high_secs\n",
    );
    let fmt_opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for (arm, reference) in [(1usize, 0usize), (2, 0), (2, 1)] {
        let s = bootstrap_speedup(
            &by_arm(reference),
            &by_arm(arm),
            e_max,
            &times,
            1000,
            &mut rng,
        );
        let r = s.reach;
        let secs = |i: Option<usize>| i.map(|i| times[i]);
        writeln!(
            sp,
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            ARMS[arm],
            ARMS[reference],
            r.target,
            fmt_opt(r.reference_evaluations.map(|i| (i + 1) as f64)),
            fmt_opt(r.arm_evaluations.map(|i| (i + 1) as f64)),
            r.speedup_evaluations(),
            s.evaluations.low,
            s.evaluations.high,
            fmt_opt(secs(r.reference_secs)),
            fmt_opt(secs(r.arm_secs)),
            r.speedup_secs(),
            s.secs.low,
            s.secs.high,
        )?;
    }
    std::fs::write(out.join("speedup.csv"), &sp)?;
    plot(&curves, &times, k, &out.join("curves.svg"))?;
    print!("{sp}");
    eprintln!("ablate: wrote {}", out.display());
    Ok(())
}

/// Two panels (mean best fitness vs. real evaluations, vs. seconds), one line per arm.
fn plot(
    curves: &[(Vec<f64>, Vec<f64>)],
    times: &[f64],
    k: usize,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    use gevo::analysis::plot::{ImageFormat, Panel, plot_panels};
    let series = |evals: bool| -> Vec<(String, Vec<(f64, f64)>)> {
        ARMS.iter()
            .zip(curves)
            .map(|(name, (ev, tv))| {
                let pts = if evals {
                    ev.iter()
                        .enumerate()
                        .map(|(i, y)| ((i + 1) as f64, *y))
                        .collect::<Vec<_>>()
                } else {
                    times.iter().copied().zip(tv.iter().copied()).collect()
                };
                let pts = pts.into_iter().filter(|p| p.1.is_finite()).collect();
                (name.to_string(), pts)
            })
            .collect()
    };
    let panels = [
        Panel {
            title: "best fitness vs. real evaluations".into(),
            x_label: "evaluations".into(),
            y_label: format!("mean best fitness ({k} seeds)"),
            series: series(true),
        },
        Panel {
            title: "best fitness vs. wall-clock".into(),
            x_label: "seconds".into(),
            y_label: format!("mean best fitness ({k} seeds)"),
            series: series(false),
        },
    ];
    plot_panels(&panels, "ablation", path, ImageFormat::Svg)?;
    Ok(())
}
