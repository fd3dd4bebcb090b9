//! `gevo run` and `gevo resume`.

use anyhow::{Context, anyhow, bail};
use clap::Args;
use gevo::archive::{Archive, CandidateRecord, Stats};
use gevo::evolution::{
    Campaign, CampaignConfig, CampaignObserver, HurdleConfig, RunEnd, StopSignal,
};
use gevo::guide::{GuideKind, RetryFrom};
use gevo::program::space::SearchSpace;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// How long a stopped campaign waits for its in-flight evaluations at most (less when the
/// campaign's time limit is shorter).
const STOP_GRACE: Duration = Duration::from_secs(10);

/// A campaign stopped by SIGINT or SIGTERM: the summary and the resume command are printed;
/// the process exits with `code` (128 + the signal number, as shells report it).
#[derive(Debug, thiserror::Error)]
#[error("stopped by a signal")]
pub struct Interrupted {
    /// The exit status: 130 (SIGINT) or 143 (SIGTERM).
    pub code: u8,
}

/// Stop requests from SIGINT/SIGTERM: the first sets the flag, a second one exits at once
/// with 128 + the signal number (the archive stays resumable: sled is crash-safe).
pub(super) struct Signals {
    pub(super) stop: Arc<AtomicBool>,
    which: Arc<AtomicUsize>,
}

impl Signals {
    pub(super) fn install() -> anyhow::Result<Signals> {
        let stop = Arc::new(AtomicBool::new(false));
        let which = Arc::new(AtomicUsize::new(0));
        #[cfg(unix)]
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // Order matters: the exit must see the flag as the previous signal left it.
            signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&stop))
                .and_then(|_| signal_hook::flag::register(sig, Arc::clone(&stop)))
                .and_then(|_| {
                    signal_hook::flag::register_usize(sig, Arc::clone(&which), sig as usize)
                })
                .context("cannot install the SIGINT/SIGTERM handlers")?;
        }
        Ok(Signals { stop, which })
    }

    /// The name and exit status of the signal received.
    fn received(&self) -> (&'static str, u8) {
        #[cfg(unix)]
        if self.which.load(Ordering::SeqCst) == signal_hook::consts::SIGTERM as usize {
            return ("SIGTERM", 143);
        }
        ("SIGINT", 130)
    }
}

/// A shell word for `p` (quoted when it holds anything but safe characters).
fn shell_word(p: &Path) -> String {
    let s = p.display().to_string();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Arguments of `gevo run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Search space: a shipped name (see `gevo spaces`) or a path to a .toml file.
    #[arg(long)]
    pub space: String,
    /// Task(s): shipped names (see `gevo tasks`) or paths, comma separated for RL task sets
    /// (e.g. cartpole,acrobot).
    #[arg(long, conflicts_with = "data", required_unless_present = "data")]
    pub task: Option<String>,
    /// Symbolic regression on your own CSV file (header row required); use with --target.
    #[arg(long, requires = "target")]
    pub data: Option<PathBuf>,
    /// The CSV column to predict (all other columns are inputs).
    #[arg(long, requires = "data")]
    pub target: Option<String>,
    /// Archive directory [default: archive/<space>-<task>-<date>-<time>].
    #[arg(long)]
    pub archive: Option<PathBuf>,
    /// Candidates to try, initial population and cache hits included [default: 1000, or the
    /// task file's `[campaign] budget`].
    #[arg(long)]
    pub budget: Option<u64>,
    /// Population size P [default: 100, or the task file's `[campaign] population`].
    #[arg(long)]
    pub population: Option<usize>,
    /// Tournament size T, sampled with replacement; 1 = random search [default: 25, or the
    /// task file's `[campaign] tournament`].
    #[arg(long)]
    pub tournament: Option<usize>,
    /// Parallel evaluations [default: number of CPU cores]; with `--executor nats`, requests
    /// kept in flight (give at least the worker slots of all `gevo worker`s) [default: 64].
    #[arg(long)]
    pub workers: Option<usize>,
    /// Campaign seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Same seed → same archive (ids, programs, fitnesses), whatever the timing or --workers.
    #[arg(long)]
    pub deterministic: bool,
    /// Children proposed together in deterministic mode.
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// Disable the functional equivalence cache (every child is evaluated).
    #[arg(long)]
    pub no_fec: bool,
    /// Kept mantissa bits of fingerprints.
    #[arg(long, default_value_t = 24)]
    pub fingerprint_bits: u32,
    /// Forgetful cache: probability of dropping an entry on a hit.
    #[arg(long, default_value_t = 0.0)]
    pub fec_forget: f64,
    /// Aggregating cache: real evaluations averaged per fingerprint before hits are served.
    #[arg(long, default_value_t = 1)]
    pub fec_aggregate: u32,
    /// Rolling hurdle: stop candidates whose first stage scores below this percentile of the
    /// population's unique fitnesses (AutoML-Zero uses 75).
    #[arg(long)]
    pub hurdle_percentile: Option<f64>,
    /// Fixed hurdle on the first stage's fitness (RL losses: 0.6 on CartPole, as in the paper).
    #[arg(long, conflicts_with = "hurdle_percentile")]
    pub hurdle: Option<f64>,
    /// Probability of a whole new random program instead of a local mutation.
    #[arg(long, default_value_t = 0.05)]
    pub p_new: f64,
    /// Start the population from a seed program of the space (a name from
    /// search_spaces/<space>/seeds, `all`, or a path to a program .json) instead of random
    /// programs.
    #[arg(long)]
    pub bootstrap: Option<String>,
    /// Wall-clock limit per evaluation, in seconds.
    #[arg(long)]
    pub time_limit: Option<f64>,
    /// Device of the inner loops: cpu (burn's flex backend) or wgpu (GPU; needs a build with
    /// `--features wgpu`).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Guided evolution: `none`, or `discriminator` (an online GNN pair classifier filters
    /// mutated children before evaluation: predictor-guided mutation, Co-Reyes et al. 2024).
    #[arg(long, value_enum, default_value_t = GuideKind::None)]
    pub guide: GuideKind,
    /// Guide: acceptance threshold τ; a child is evaluated when D(child, parent) ≥ τ [default: 0.5].
    #[arg(long)]
    pub guide_threshold: Option<f64>,
    /// Guide: retry cap, extra mutations per proposal [default: 8].
    #[arg(long)]
    pub guide_retries: Option<usize>,
    /// Guide: retry from the parent or stack on the rejected child [default: parent].
    #[arg(long, value_enum)]
    pub guide_retry_from: Option<RetryFrom>,
    /// Guide: retrain every N real evaluations [default: 32].
    #[arg(long)]
    pub guide_retrain_every: Option<u64>,
    /// Guide: Adam steps per retrain [default: 40].
    #[arg(long)]
    pub guide_steps: Option<usize>,
    /// Guide: programs in the buffer before guidance starts [default: 64].
    #[arg(long)]
    pub guide_warmup: Option<usize>,
    /// Guide: fitness differences at or below this are ties (set it to the evaluation noise)
    /// [default: 1e-9].
    #[arg(long)]
    pub guide_tie: Option<f64>,
    /// Guide: accept a child that is a known duplicate tying its parent (it re-enters the
    /// population at no evaluation cost, as under FEC) instead of retrying.
    #[arg(long)]
    pub guide_accept_known_ties: bool,
    /// Guide: held-out accuracy below which the discriminator is switched off (children are
    /// proposed by plain mutation until it recovers; 0 never switches off) [default: 0.6].
    #[arg(long)]
    pub guide_min_accuracy: Option<f64>,
    /// Guide: add a global attention layer (GPS-style) to the discriminator.
    #[arg(long)]
    pub guide_attention: bool,
    /// Stop after this many real evaluations, whatever the candidate budget (for compute-fair
    /// comparisons).
    #[arg(long)]
    pub max_evaluations: Option<u64>,
    /// Independent training runs per real evaluation; the fitness is their mean and the
    /// record keeps each seed's score and the standard deviation [default: 1, or the task's
    /// `eval_seeds`].
    #[arg(long)]
    pub eval_seeds: Option<usize>,
    /// At most N population members may share one functional hash (an extra copy displaces
    /// the oldest copy) [default: unlimited].
    #[arg(long)]
    pub max_duplicates: Option<usize>,
    /// At the end of the campaign, re-train the top `--final-top` distinct programs with this
    /// many fresh seeds on the training and held-out tasks (as `gevo reevaluate`); stored in
    /// the settings, so `gevo resume` does it too.
    #[arg(long)]
    pub final_seeds: Option<usize>,
    /// Programs the final re-evaluation takes (with --final-seeds).
    #[arg(long, default_value_t = 10, requires = "final_seeds")]
    pub final_top: usize,
    /// Fit the constants of evaluated candidates to the training rows (symbolic regression:
    /// BFGS with restarts, as PySR): each evaluated candidate with probability P in [0, 1], and
    /// always a new hall-of-fame entry (best so far at its size). A fit that lowers the loss is
    /// archived as a child with mutation `constants_fitted` [default: off].
    #[arg(long, value_name = "P")]
    pub optimize_constants: Option<f64>,
    /// Parsimony coefficient C: tournaments rank by fitness − C·size (PySR's loss +
    /// C·complexity); recorded fitnesses are unchanged.
    #[arg(long, value_name = "C", default_value_t = 0.0)]
    pub parsimony: f64,
    /// Where evaluations run: `local` (this process's thread pool) or `nats` (`gevo worker`
    /// processes over a NATS JetStream work queue; needs --nats). Stored, so `gevo resume`
    /// reconnects.
    #[arg(long, value_enum, default_value_t = ExecutorKind::Local)]
    pub executor: ExecutorKind,
    /// The NATS server and credentials (with --executor nats).
    #[command(flatten)]
    pub nats: super::worker::NatsArgs,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Where a campaign's evaluations run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExecutorKind {
    /// A thread pool in this process.
    Local,
    /// `gevo worker` processes over NATS JetStream.
    Nats,
}

/// Requests a distributed campaign keeps in flight when `--workers` is not given.
const NATS_IN_FLIGHT: usize = 64;

/// Builds a campaign's evaluator from a space's text and a task, as `gevo resume` and
/// `gevo worker` do (`origin` names where the space text came from in errors).
pub(super) fn build_evaluator(
    space_name: &str,
    space_source: &str,
    task: &gevo::evolution::TaskSpec,
    device: &str,
    origin: &str,
) -> anyhow::Result<Arc<dyn gevo::engine::Evaluator>> {
    let space = SearchSpace::from_toml(space_source, &format!("{origin} (space {space_name})"))?;
    Ok(gevo::task::build_evaluator(space, task, device)?)
}

/// A fresh campaign id for subject names: time, process and archive path mixed.
fn new_campaign_id(dir: &Path) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let text = format!("{now}/{}/{}", std::process::id(), dir.display());
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// Arguments of `gevo resume`.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The campaign's archive directory.
    pub dir: PathBuf,
    /// Raise the budget (candidates) while resuming.
    #[arg(long)]
    pub budget: Option<u64>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

struct Progress {
    bar: ProgressBar,
}

impl Progress {
    fn new(budget: u64, done: u64, quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(budget)
        };
        // A fixed template: it parses, so the default style is only a formality.
        if let Ok(style) =
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_position(done);
        Progress { bar }
    }
}

impl CampaignObserver for Progress {
    fn on_stop(&mut self, in_flight: usize, grace: Duration) {
        self.bar.suspend(|| {
            eprintln!(
                "gevo: stopping: no new candidates; waiting up to {:.0} s for {in_flight} \
                 evaluation(s) in flight (press Ctrl-C again to abort at once)",
                grace.as_secs_f64()
            )
        });
    }

    fn on_insert(&mut self, _: &CandidateRecord, stats: &Stats, _: u64) {
        self.bar.set_position(stats.candidates);
        if stats.candidates.is_multiple_of(8) || stats.candidates < 8 {
            let best = stats
                .best
                .map(|(_, f)| format!("{f:.4}"))
                .unwrap_or_else(|| "-".into());
            self.bar.set_message(format!(
                "best {best} | FEC hits {:.0}% | {:.1} cand/s",
                100.0 * stats.fec_hit_rate(),
                stats.throughput()
            ));
        }
    }
}

fn default_dir(space: &str, task: &str) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let task: String = task
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let base = format!("{space}-{task}-{stamp}");
    // Campaigns started in the same second get -2, -3, …; `create_dir` (not `_all`) reserves
    // the name atomically, so two processes never share a directory, nor reuse an old one.
    let parent = PathBuf::from("archive");
    let _ = std::fs::create_dir_all(&parent);
    for n in 1.. {
        let dir = parent.join(if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        match std::fs::create_dir(&dir) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            // Other errors surface when the archive is created in it.
            _ => return dir,
        }
    }
    parent.join(base)
}

fn resolve_seeds(space: &str, which: &str) -> anyhow::Result<Vec<(String, String)>> {
    let shipped = gevo::catalog::seeds(space);
    if which == "all" {
        if shipped.is_empty() {
            bail!("space `{space}` ships no seed programs");
        }
        return Ok(shipped);
    }
    let mut out = Vec::new();
    for name in which.split(',').map(str::trim) {
        if let Some(s) = shipped.iter().find(|(n, _)| n == name) {
            out.push(s.clone());
        } else if std::path::Path::new(name).is_file() {
            let text =
                std::fs::read_to_string(name).with_context(|| format!("{name}: cannot read"))?;
            let stem = std::path::Path::new(name)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push((stem, text));
        } else {
            let known: Vec<&str> = shipped.iter().map(|(n, _)| n.as_str()).collect();
            bail!(
                "unknown seed program `{name}` for space `{space}` (known: {})",
                known.join(", ")
            );
        }
    }
    Ok(out)
}

/// Task-file defaults for the campaign (`[campaign]` table of RL tasks, if any).
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TaskDefaults {
    budget: Option<u64>,
    population: Option<usize>,
    tournament: Option<usize>,
    hurdle: Option<f64>,
    eval_seeds: Option<usize>,
}

fn task_defaults(spec: &gevo::evolution::TaskSpec) -> anyhow::Result<TaskDefaults> {
    let Some((origin, text)) = spec.files.first() else {
        return Ok(TaskDefaults::default());
    };
    let table: toml::Table = gevo::task::parse_toml(text, origin)?;
    match table.get("campaign") {
        None => Ok(TaskDefaults::default()),
        Some(v) => v
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| anyhow!("{origin}: [campaign]: {}", e.message())),
    }
}

/// `--data` feeds a CSV to a space whose inputs are the task's variables; a space of a
/// domain that reads no data (fixed inputs) cannot use it.
fn check_reads_data(space: &SearchSpace) -> anyhow::Result<()> {
    let domain = gevo::domains::registry::DOMAINS
        .into_iter()
        .find(|d| d.default_space() == space.name);
    let reads_data = space.task_inputs.is_some()
        && domain.is_none_or(|d| d.needs().dataset && d.needs().task_inputs);
    if reads_data {
        return Ok(());
    }
    let readers: Vec<&str> = gevo::domains::registry::DOMAINS
        .iter()
        .filter(|d| d.needs().dataset && d.needs().task_inputs)
        .map(|d| d.default_space())
        .collect();
    bail!(
        "--data: space `{}` does not read data (its inputs are fixed); --data is for spaces with task inputs ({})",
        space.name,
        readers.join(", ")
    )
}

pub fn run(a: RunArgs) -> anyhow::Result<()> {
    let src = gevo::catalog::space(&a.space).ok_or_else(|| {
        anyhow!(
            "unknown search space `{}` (known spaces: {})",
            a.space,
            gevo::catalog::space_names().join(", ")
        )
    })?;
    let space = SearchSpace::from_toml(&src.text, &src.origin)?;
    let spec = match (&a.task, &a.data, &a.target) {
        (Some(t), _, _) => gevo::task::resolve(t)?,
        (None, Some(d), Some(t)) => gevo::task::csv_spec(d, t)?,
        _ => bail!("give --task, or --data FILE.csv with --target COLUMN"),
    };
    if a.data.is_some() {
        check_reads_data(&space)?;
    }
    let defaults = task_defaults(&spec)?;
    let mut config = CampaignConfig::new(&space.name, &space.source, spec.clone());
    config.budget = a.budget.or(defaults.budget).unwrap_or(1000);
    // Ranges are checked by `CampaignConfig::validate`, so flags are stored as given; a
    // tournament size that comes from a default is capped at the population.
    config.population = a.population.or(defaults.population).unwrap_or(100);
    config.tournament = a.tournament.unwrap_or_else(|| {
        defaults
            .tournament
            .unwrap_or(25)
            .min(config.population.max(1))
    });
    config.workers = a.workers.unwrap_or_else(|| match a.executor {
        ExecutorKind::Nats => NATS_IN_FLIGHT,
        ExecutorKind::Local => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    });
    config.seed = a.seed;
    config.deterministic = a.deterministic;
    config.batch = a.batch;
    config.fec.enabled = !a.no_fec;
    config.fec.mantissa_bits = a.fingerprint_bits;
    config.fec.forget_probability = a.fec_forget;
    config.fec.aggregate = a.fec_aggregate;
    config.mutation.p_new = a.p_new;
    config.hurdle = match (a.hurdle_percentile, a.hurdle.or(defaults.hurdle)) {
        (Some(p), _) => HurdleConfig::RollingPercentile { percentile: p },
        (None, Some(v)) => HurdleConfig::Fixed { value: v },
        _ => HurdleConfig::None,
    };
    config.time_limit_secs = a.time_limit;
    config.max_evaluations = a.max_evaluations;
    config.eval_seeds = a.eval_seeds.or(defaults.eval_seeds).unwrap_or(1);
    if config.eval_seeds == 0 {
        bail!("--eval-seeds must be at least 1 (the number of training runs per evaluation)");
    }
    if a.max_duplicates == Some(0) {
        bail!("--max-duplicates must be at least 1 (omit it for no cap)");
    }
    config.max_duplicates = a.max_duplicates;
    config.final_seeds = a.final_seeds;
    config.final_top = a.final_top;
    config.optimize_constants = a.optimize_constants;
    config.parsimony = a.parsimony;
    let g = &mut config.guide;
    g.kind = a.guide;
    g.threshold = a.guide_threshold.unwrap_or(g.threshold);
    g.max_retries = a.guide_retries.unwrap_or(g.max_retries);
    g.retry_from = a.guide_retry_from.unwrap_or(g.retry_from);
    g.retrain_every = a.guide_retrain_every.unwrap_or(g.retrain_every).max(1);
    g.train_steps = a.guide_steps.unwrap_or(g.train_steps);
    g.warmup = a.guide_warmup.unwrap_or(g.warmup);
    g.tie_tolerance = a.guide_tie.unwrap_or(g.tie_tolerance).max(0.0);
    g.accept_known_ties = a.guide_accept_known_ties;
    g.min_accuracy = a.guide_min_accuracy.unwrap_or(g.min_accuracy);
    g.network.attention = a.guide_attention;
    config.device = a.device.clone();
    if let Some(b) = &a.bootstrap {
        config.seeds = resolve_seeds(&space.name, b)?;
    }
    config.validate()?;
    let evaluator = gevo::task::build_evaluator(space.clone(), &spec, &config.device)?;
    config.held_out = gevo::domains::registry::domain_of_spec(&spec)?.held_out_tasks(&spec)?;
    if spec.csv.is_some() && evaluator.space().inputs.is_empty() {
        bail!(
            "{}: the CSV has no input columns besides the target `{}`",
            spec.csv.as_deref().unwrap_or_default(),
            spec.target.as_deref().unwrap_or_default()
        );
    }
    evaluator
        .space()
        .check_producible()
        .map_err(|m| anyhow!("{}: {m}", src.origin))?;
    let dir = a
        .archive
        .clone()
        .unwrap_or_else(|| default_dir(&space.name, &spec.name));
    if a.executor == ExecutorKind::Nats {
        config.distributed = Some(a.nats.distributed(new_campaign_id(&dir))?);
    } else if a.nats.nats.is_some() {
        bail!("--nats is for --executor nats");
    }
    let archive = Archive::create(&dir, &serde_json::to_string_pretty(&config)?)?;
    if !a.quiet {
        eprintln!(
            "gevo: space {} · task {} · budget {} · P={} T={} · {} worker(s){} · archive {}",
            space.name,
            spec.name,
            config.budget,
            config.population,
            config.tournament,
            config.workers,
            if config.eval_seeds > 1 {
                format!(" · {} seeds per evaluation", config.eval_seeds)
            } else {
                String::new()
            },
            dir.display()
        );
    }
    let mut campaign = Campaign::new(config, evaluator, archive)?;
    drive(&mut campaign, a.quiet)
}

pub fn resume(a: ResumeArgs) -> anyhow::Result<()> {
    let archive = Archive::open(&a.dir)?;
    let mut config: CampaignConfig = serde_json::from_str(&archive.config_json()?)
        .with_context(|| format!("{}: unreadable campaign settings", a.dir.display()))?;
    if let Some(b) = a.budget {
        config.budget = b;
    }
    let evaluator = build_evaluator(
        &config.space,
        &config.space_source,
        &config.task,
        &config.device,
        &format!("{}/campaign.json", a.dir.display()),
    )?;
    let mut campaign = Campaign::resume(config, Arc::clone(&evaluator), archive)?;
    if a.budget.is_some() {
        // Readers (`inspect`) take the budget from the stored settings.
        let json = serde_json::to_string_pretty(campaign.config())?;
        campaign.archive().put_config_json(&json)?;
    }
    if !a.quiet {
        eprintln!(
            "gevo: resuming {} at {}/{} candidates",
            a.dir.display(),
            campaign.stats().candidates,
            campaign.config().budget
        );
    }
    drive(&mut campaign, a.quiet)
}

fn drive(campaign: &mut Campaign, quiet: bool) -> anyhow::Result<()> {
    let signals = Signals::install()?;
    let grace = campaign.config().time_limit_secs.map_or(STOP_GRACE, |t| {
        STOP_GRACE.min(Duration::from_secs_f64(t.max(0.0)))
    });
    campaign.set_stop(StopSignal::new(Arc::clone(&signals.stop), grace));
    let mut progress = Progress::new(campaign.config().budget, campaign.stats().candidates, quiet);
    let end = match campaign.config().distributed.clone() {
        None => campaign.run(&mut progress)?,
        Some(d) => {
            let options = super::worker::campaign_options(&d)?;
            let workload = super::worker::workload(campaign.config())?;
            let mut executor = gevo::engine::nats::NatsExecutor::connect(
                &options,
                &d.campaign_id,
                workload,
                gevo::archive::SCHEMA_VERSION,
                campaign.config().workers,
            )?;
            if !quiet {
                eprintln!(
                    "gevo: campaign {} on {}: evaluations by `gevo worker --nats {}`",
                    d.campaign_id, d.nats_url, d.nats_url
                );
            }
            campaign.run_with(&mut executor, &mut progress)?
        }
    };
    progress.bar.finish();
    let s = campaign.stats();
    println!(
        "{} candidates, {} evaluations, FEC hit rate {:.1}%, {} hurdle stops, {} failures, {:.1} s",
        s.candidates,
        s.evaluations,
        100.0 * s.fec_hit_rate(),
        s.hurdle_stops,
        s.failures,
        s.wall_secs
    );
    if let Some(g) = campaign.guide() {
        let st = &g.stats;
        println!(
            "guide: {} retrains ({:.1} s), {} discriminator calls ({:.2} s), {} children rejected, held-out accuracy {}",
            st.retrains,
            st.retrain_secs,
            st.calls,
            st.inference_secs,
            st.rejected,
            st.accuracy
                .last()
                .map(|a| format!("{:.3}", a.accuracy))
                .unwrap_or_else(|| "-".into())
        );
    }
    match campaign.top().first() {
        Some(best) => {
            println!(
                "best: id {} fitness {:.6}{}",
                best.id,
                best.fitness.unwrap_or(f64::NAN),
                best.test_score
                    .map(|t| format!(" test {t:.6}"))
                    .unwrap_or_default()
            );
            println!("{}", best.expression);
        }
        None => println!("no candidate evaluated successfully"),
    }
    println!("archive: {}", campaign.archive().dir().display());
    if let RunEnd::Stopped { abandoned } = end {
        let (name, code) = signals.received();
        println!(
            "stopped by {name} at {}/{} candidates{}; continue with:",
            s.candidates,
            campaign.config().budget,
            if abandoned > 0 {
                format!(" ({abandoned} unfinished evaluation(s) abandoned, re-run on resume)")
            } else {
                String::new()
            }
        );
        println!("  gevo resume {}", shell_word(campaign.archive().dir()));
        return Err(Interrupted { code }.into());
    }
    if campaign.top().is_empty() {
        bail!("{}", no_success(campaign));
    }
    final_reevaluation(campaign, quiet)
}

/// `--final-seeds S`: the final re-evaluation of a finished campaign (a stopped one is
/// re-evaluated when its resume finishes).
fn final_reevaluation(campaign: &Campaign, quiet: bool) -> anyhow::Result<()> {
    let config = campaign.config();
    let Some(seeds) = config.final_seeds else {
        return Ok(());
    };
    let finished = campaign.archive().state()?.is_some_and(|s| s.finished);
    if !finished {
        return Ok(());
    }
    let req = super::reevaluate::Request {
        top: config.final_top,
        seeds,
        task: None,
        // A distributed campaign's `workers` counts requests in flight, not local threads.
        workers: if config.distributed.is_some() {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        } else {
            config.workers
        },
        quiet,
    };
    println!();
    let report = super::reevaluate::run_on(campaign.archive(), config, &req)?;
    super::reevaluate::print_report(&report);
    Ok(())
}

/// Why a campaign that finished its budget has no successful candidate: the most common
/// outcome of this session's candidates with its count, and the first panic's message.
fn no_success(campaign: &Campaign) -> String {
    let counts = campaign.failure_counts();
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let mut why = String::from("no candidate succeeded");
    if let Some((outcome, n)) = counts.first() {
        why += &format!(
            "; the most common outcome was `{}` ({n} of {total} candidates of this run)",
            outcome.name()
        );
    }
    if let Some((id, message)) = campaign.first_panic() {
        why += &format!(
            "; candidate {id} panicked: {message} (`gevo show {} {id}`)",
            shell_word(campaign.archive().dir())
        );
    }
    why
}
