//! `gevo worker`: evaluates the requests of distributed campaigns (`gevo run --executor nats`)
//! from the NATS JetStream work queue, with the evaluators a local run builds.

use anyhow::{Context, bail};
use clap::Args;
use gevo::engine::Evaluator;
use gevo::engine::nats::messages::Workload;
use gevo::engine::nats::worker::{self, WorkerLimits};
use gevo::engine::nats::{NatsAuth, NatsOptions};
use gevo::evolution::{CampaignConfig, DistributedConfig, TaskSpec};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How to reach the NATS server: shared by `gevo run --executor nats` and `gevo worker`.
/// User and password are read from `GEVO_NATS_USER` and `GEVO_NATS_PASSWORD`, never from the
/// command line (where `ps` shows them).
#[derive(Debug, Args, Clone, Default)]
pub struct NatsArgs {
    /// NATS server URL(s), comma separated (e.g. nats://10.0.0.5:4222).
    #[arg(long, value_name = "URL")]
    pub nats: Option<String>,
    /// NATS credentials file (JWT and nkey seed) to authenticate with.
    #[arg(long, value_name = "FILE")]
    pub nats_creds: Option<PathBuf>,
    /// CA certificate (PEM) to verify the server's TLS certificate; TLS is then required.
    #[arg(long, value_name = "FILE")]
    pub nats_tls_ca: Option<PathBuf>,
}

/// Arguments of `gevo worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The server and credentials.
    #[command(flatten)]
    pub nats: NatsArgs,
    /// Evaluations run at once [default: number of CPU cores].
    #[arg(long)]
    pub workers: Option<usize>,
    /// Largest request message accepted, in bytes (larger ones are refused).
    #[arg(long, default_value_t = 1 << 20)]
    pub max_request_bytes: usize,
    /// Most values (inputs and op nodes) a requested program may have.
    #[arg(long, default_value_t = 4096)]
    pub max_nodes: usize,
    /// Longest per-evaluation time limit a request may ask for, in seconds; requests without
    /// a limit get this one.
    #[arg(long, default_value_t = 3600.0)]
    pub max_time_limit: f64,
}

/// An absolute path for a file flag (`what` names it in the error).
fn absolute(p: &std::path::Path, what: &str) -> anyhow::Result<String> {
    let abs = std::fs::canonicalize(p).with_context(|| format!("{what} {}", p.display()))?;
    Ok(abs.display().to_string())
}

impl NatsArgs {
    /// The settings a campaign stores for `--executor nats` (file paths made absolute, so a
    /// resume from another directory finds them).
    pub fn distributed(&self, campaign_id: String) -> anyhow::Result<DistributedConfig> {
        let Some(url) = self.nats.clone() else {
            bail!("--executor nats needs --nats URL (the NATS server, e.g. nats://127.0.0.1:4222)");
        };
        Ok(DistributedConfig {
            nats_url: url,
            campaign_id,
            creds: self
                .nats_creds
                .as_deref()
                .map(|p| absolute(p, "--nats-creds"))
                .transpose()?,
            tls_ca: self
                .nats_tls_ca
                .as_deref()
                .map(|p| absolute(p, "--nats-tls-ca"))
                .transpose()?,
        })
    }
}

/// Connection options from stored or given settings; user and password from the environment.
pub fn options(
    url: &str,
    creds: Option<PathBuf>,
    tls_ca: Option<PathBuf>,
    role: &str,
) -> anyhow::Result<NatsOptions> {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
    Ok(NatsOptions {
        url: url.to_string(),
        auth: NatsAuth::from_env(creds)?,
        tls_ca,
        name: format!("gevo-{role}@{host}:{}", std::process::id()),
    })
}

/// Connection options of a distributed campaign's stored settings.
pub fn campaign_options(d: &DistributedConfig) -> anyhow::Result<NatsOptions> {
    options(
        &d.nats_url,
        d.creds.as_ref().map(PathBuf::from),
        d.tls_ca.as_ref().map(PathBuf::from),
        "campaign",
    )
}

/// The largest CSV text a request carries; a larger dataset goes by its path and content hash
/// only (each worker reads its own copy at that path and refuses when it is missing or differs),
/// so that requests stay well under the server's message size.
const REQUEST_CSV_TEXT: usize = 256 << 10;

/// What a campaign's requests evaluate, by content.
pub fn workload(config: &CampaignConfig) -> anyhow::Result<Workload> {
    let mut task = config.task.clone();
    if let Some(d) = task.csv_data.as_mut()
        && d.text.as_ref().is_some_and(|t| t.len() > REQUEST_CSV_TEXT)
    {
        d.text = None;
    }
    Ok(Workload {
        space: config.space.clone(),
        space_source: config.space_source.clone(),
        task: serde_json::to_string(&task)?,
        dataset_hash: config.task.csv_data.as_ref().map(|d| d.hash.clone()),
        device: config.device.clone(),
    })
}

/// Builds a workload's evaluator as `gevo resume` builds a campaign's (from the stored space
/// text and task); the error is the reason a worker refuses the request.
fn resolve(w: &Workload) -> Result<Arc<dyn Evaluator>, String> {
    let task: TaskSpec =
        serde_json::from_str(&w.task).map_err(|e| format!("unreadable task in request: {e}"))?;
    if w.dataset_hash.as_deref() != task.csv_data.as_ref().map(|d| d.hash.as_str()) {
        return Err("the request's dataset hash does not match its task".into());
    }
    super::run::build_evaluator(&w.space, &w.space_source, &task, &w.device, "request")
        .map_err(|e| format!("{e:#}"))
}

/// `gevo worker`.
pub fn worker(a: WorkerArgs) -> anyhow::Result<()> {
    let Some(url) = a.nats.nats.as_deref() else {
        bail!("gevo worker needs --nats URL (the NATS server, e.g. nats://127.0.0.1:4222)");
    };
    if !(a.max_time_limit.is_finite() && a.max_time_limit > 0.0) {
        bail!("--max-time-limit must be a positive number of seconds");
    }
    let options = options(
        url,
        a.nats.nats_creds.clone(),
        a.nats.nats_tls_ca.clone(),
        "worker",
    )?;
    let slots = a.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let limits = WorkerLimits {
        max_request_bytes: a.max_request_bytes,
        max_nodes: a.max_nodes,
        max_time_limit: Duration::from_secs_f64(a.max_time_limit),
        schema_version: gevo::archive::SCHEMA_VERSION,
    };
    let signals = super::run::Signals::install()?;
    eprintln!("gevo worker: {slots} slot(s) on {url}; stop with Ctrl-C or SIGTERM");
    let served = worker::serve(
        &options,
        slots,
        limits,
        Arc::new(resolve),
        Arc::clone(&signals.stop),
    )?;
    println!(
        "gevo worker: stopped; {} request(s) evaluated, {} refused",
        served.evaluated, served.refused
    );
    Ok(())
}
