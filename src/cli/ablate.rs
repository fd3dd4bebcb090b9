//! `gevo ablate`: a compute-fair ablation of guided evolution.
//!
//! Runs K seeds × three arms on one task with the same budget of real evaluations
//! (`--max-evaluations`): regularized evolution (`re`: no cache, no guide), `re+fec` (functional
//! equivalence cache) and `re+fec+disc` (cache and the online discriminator with PAM-RT;
//! Co-Reyes, Miao, Tucker, Faust, Real, "Guided Evolution with Binary Discriminators for ML
//! Program Search", 2024). Every run is a deterministic campaign in its own archive under
//! `OUT/archives/`.
//!
//! Written to `OUT/`:
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

use crate::archive::{Archive, CandidateRecord, Stats};
use crate::evolution::{Campaign, CampaignConfig, CampaignObserver};
use crate::guide::GuideKind;
use crate::space::SearchSpace;
use anyhow::{Context, anyhow};
use clap::Args;
use rand::{Rng, SeedableRng};
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
    /// Output directory (created).
    #[arg(long)]
    pub out: PathBuf,
}

/// The three arms.
const ARMS: [&str; 3] = ["re", "re+fec", "re+fec+disc"];

/// One run's trajectory: after each real evaluation, (wall seconds, best fitness so far).
#[derive(Default)]
struct Trace {
    points: Vec<(f64, f64)>,
    best: f64,
}

impl CampaignObserver for Trace {
    fn on_insert(&mut self, _: &CandidateRecord, stats: &Stats, _: u64) {
        let best = stats.best.map(|b| b.1).unwrap_or(f64::NEG_INFINITY);
        self.best = best;
        while (self.points.len() as u64) < stats.evaluations {
            self.points.push((stats.wall_secs, best));
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

/// Best fitness after `e` evaluations (1-based), carrying the last value forward.
fn at_eval(t: &Trace, e: usize) -> f64 {
    match t.points.get(e.saturating_sub(1)) {
        Some(p) => p.1,
        None => t.points.last().map(|p| p.1).unwrap_or(f64::NEG_INFINITY),
    }
}

/// Best fitness at wall time `s`.
fn at_time(t: &Trace, s: f64) -> f64 {
    let k = t.points.partition_point(|p| p.0 <= s);
    if k == 0 {
        f64::NEG_INFINITY
    } else {
        t.points[k - 1].1
    }
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = v.collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// First grid index where `curve` reaches `target` (with a 1e-12 slack).
fn first_reach(curve: &[f64], target: f64) -> Option<usize> {
    curve.iter().position(|&f| f >= target - 1e-12)
}

/// A bootstrap resample (with replacement) of runs.
fn resample<'a>(rs: &[&'a Run], rng: &mut ChaCha8Rng) -> Vec<&'a Run> {
    (0..rs.len())
        .map(|_| rs[rng.random_range(0..rs.len())])
        .collect()
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

pub fn ablate(a: AblateArgs) -> anyhow::Result<()> {
    let src = crate::catalog::space(&a.space)
        .ok_or_else(|| anyhow!("unknown search space `{}`", a.space))?;
    let space = SearchSpace::from_toml(&src.text, &src.origin)?;
    let spec = crate::task::resolve(&a.task)?;
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
            }
            let dir = a
                .out
                .join("archives")
                .join(format!("{}-seed{seed}", name.replace('+', "_")));
            if dir.exists() {
                std::fs::remove_dir_all(&dir)?;
            }
            let evaluator = crate::task::build_evaluator(space.clone(), &spec, &c.device)?;
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
    let by_arm = |arm: usize| -> Vec<&Run> { runs.iter().filter(|r| r.arm == arm).collect() };
    let mut csv = String::from("arm,seed,best_fitness,evaluations,candidates,wall_secs\n");
    for r in runs {
        writeln!(
            csv,
            "{},{},{},{},{},{}",
            ARMS[r.arm],
            r.seed,
            r.trace.best,
            r.trace.points.len(),
            r.candidates,
            r.wall
        )?;
    }
    std::fs::write(out.join("runs.csv"), csv)?;

    // Mean curves against evaluations (1..=e_max) and seconds (1000 points).
    let t_max = runs.iter().map(|r| r.wall).fold(0.0, f64::max).max(1e-9);
    let times: Vec<f64> = (1..=1000).map(|i| t_max * i as f64 / 1000.0).collect();
    let eval_curve = |rs: &[&Run]| -> Vec<f64> {
        (1..=e_max)
            .map(|e| mean(rs.iter().map(|r| at_eval(&r.trace, e))))
            .collect()
    };
    let time_curve = |rs: &[&Run]| -> Vec<f64> {
        times
            .iter()
            .map(|&t| mean(rs.iter().map(|r| at_time(&r.trace, t))))
            .collect()
    };
    let mut ce = String::from("arm,evaluations,mean_best,min_best,max_best\n");
    let mut cs = String::from("arm,seconds,mean_best\n");
    let mut curves = Vec::new();
    for (arm, name) in ARMS.iter().enumerate() {
        let rs = by_arm(arm);
        let m = eval_curve(&rs);
        for (i, v) in m.iter().enumerate() {
            let vals: Vec<f64> = rs.iter().map(|r| at_eval(&r.trace, i + 1)).collect();
            let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            writeln!(ce, "{name},{},{v},{lo},{hi}", i + 1)?;
        }
        let mt = time_curve(&rs);
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
    let speed = |base: &[&Run],
                 arm: &[&Run]|
     -> (
        f64,
        Option<usize>,
        Option<usize>,
        Option<usize>,
        Option<usize>,
    ) {
        let be = eval_curve(base);
        let target = *be.last().expect("curve");
        let (bt, at) = (time_curve(base), time_curve(arm));
        (
            target,
            first_reach(&be, target),
            first_reach(&eval_curve(arm), target),
            first_reach(&bt, target),
            first_reach(&at, target),
        )
    };
    let ratio = |b: Option<usize>, a: Option<usize>| match (b, a) {
        (Some(b), Some(a)) => (b + 1) as f64 / (a + 1) as f64,
        _ => 0.0,
    };
    let fmt_opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for (arm, reference) in [(1usize, 0usize), (2, 0), (2, 1)] {
        let (base, guided) = (by_arm(reference), by_arm(arm));
        let (target, be, ae, bt, at) = speed(&base, &guided);
        let mut boot_e = Vec::new();
        let mut boot_t = Vec::new();
        for _ in 0..1000 {
            let b = resample(&base, &mut rng);
            let g = resample(&guided, &mut rng);
            let (_, be, ae, bt, at) = speed(&b, &g);
            boot_e.push(ratio(be, ae));
            boot_t.push(ratio(bt, at));
        }
        let secs = |i: Option<usize>| i.map(|i| times[i]);
        writeln!(
            sp,
            "{},{},{target},{},{},{},{},{},{},{},{},{},{}",
            ARMS[arm],
            ARMS[reference],
            fmt_opt(be.map(|i| (i + 1) as f64)),
            fmt_opt(ae.map(|i| (i + 1) as f64)),
            ratio(be, ae),
            quantile(&mut boot_e, 0.025),
            quantile(&mut boot_e, 0.975),
            fmt_opt(secs(bt)),
            fmt_opt(secs(at)),
            ratio(bt, at),
            quantile(&mut boot_t, 0.025),
            quantile(&mut boot_t, 0.975),
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
    use crate::analysis::plot::{ImageFormat, Panel, plot_panels};
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
