//! Evaluation over a NATS JetStream work queue: campaigns on one machine, workers on many.
//!
//! The shape (DESIGN.md §5): the campaign process keeps the population, the cache and the
//! archive, and publishes one [`messages::RequestMessage`] per evaluation to the work-queue
//! stream [`REQUEST_STREAM`] (subject `gevo.requests.<campaign>`). Workers (`gevo worker`)
//! share the durable pull consumer [`WORKER_CONSUMER`] with explicit acks: each takes one
//! request at a time, sends in-progress acks every [`PROGRESS_EVERY`] while it evaluates,
//! publishes a [`messages::ResultMessage`] to [`RESULT_STREAM`] (subject
//! `gevo.results.<campaign>`) and acks. A worker that dies stops acking: after [`ACK_WAIT`]
//! the request goes to another worker, at most [`MAX_DELIVER`] times, after which the
//! campaign records the candidate as `worker_failed` and goes on.
//!
//! [`NatsExecutor`] is the campaign's side ([`crate::engine::Executor`]); [`worker::serve`] the
//! worker's, given a way to build an evaluator from a [`messages::Workload`] (resolving a task
//! is the business of the caller: the engine knows no domain).

pub mod messages;
pub mod worker;

use super::executor::{EvalRequest, EvalResult, Executor, ExecutorError};
use super::{Cost, Evaluation, Outcome};
use async_nats::jetstream;
use async_nats::jetstream::consumer::{AckPolicy, PullConsumer, pull};
use async_nats::jetstream::message::Acker;
use async_nats::jetstream::stream::{RetentionPolicy, StorageType};
use futures_util::StreamExt;
use messages::{
    GEVO_VERSION, MESSAGE_VERSION, RequestMessage, ResultBody, ResultMessage, Workload,
};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The work-queue stream of evaluation requests (subjects `gevo.requests.>`).
pub const REQUEST_STREAM: &str = "GEVO_REQUESTS";
/// The stream of evaluation results (subjects `gevo.results.>`).
pub const RESULT_STREAM: &str = "GEVO_RESULTS";
/// The durable pull consumer all workers share.
pub const WORKER_CONSUMER: &str = "gevo-workers";
/// How long a delivered request may go without an ack before it is delivered again: long
/// enough for a worker under load to send its next progress ack (every [`PROGRESS_EVERY`],
/// so two may be lost), short enough that a dead worker's request moves on within half a
/// minute, which is short next to an RL evaluation (minutes) and costs a symbolic-regression
/// campaign little.
pub const ACK_WAIT: Duration = Duration::from_secs(30);
/// How often a worker sends an in-progress ack while it evaluates.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// The environment variable that overrides [`ACK_WAIT`] (seconds) when the workers' consumer
/// is created — for tests that kill workers, and for clusters that want faster failover. It
/// takes effect only on a server where the consumer does not exist yet.
pub const ACK_WAIT_ENV: &str = "GEVO_NATS_ACK_WAIT_SECS";

/// [`ACK_WAIT`], or the value of [`ACK_WAIT_ENV`] when that is a number of seconds ≥ 0.5.
pub fn ack_wait() -> Duration {
    std::env::var(ACK_WAIT_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.5)
        .map_or(ACK_WAIT, Duration::from_secs_f64)
}

/// How often a worker sends in-progress acks on a consumer with this `ack_wait`: every
/// [`PROGRESS_EVERY`], or a third of `ack_wait` when that is shorter.
pub fn progress_every(ack_wait: Duration) -> Duration {
    PROGRESS_EVERY
        .min(ack_wait / 3)
        .max(Duration::from_millis(100))
}
/// Deliveries of one request before it is given up as `worker_failed`: a request that killed
/// (or outlasted) four workers is more likely to kill the next one than to succeed.
pub const MAX_DELIVER: i64 = 4;
/// How long the campaign keeps retrying to publish a request while the server is unreachable
/// before it gives up (and stops, resumable).
pub const PUBLISH_PATIENCE: Duration = Duration::from_secs(120);
/// The largest request message the streams take (the server's default `max_payload`).
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// The request subject of campaign `campaign`.
pub fn request_subject(campaign: &str) -> String {
    format!("gevo.requests.{campaign}")
}

/// The result subject of campaign `campaign`.
pub fn result_subject(campaign: &str) -> String {
    format!("gevo.results.{campaign}")
}

/// Whether `id` can be a campaign id: one NATS subject token of 1 to 64 ASCII letters,
/// digits, `-` or `_`.
pub fn valid_campaign_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// How a client authenticates to the NATS server. Secrets never come from the command line
/// (where `ps` shows them): a credentials file, or the environment.
#[derive(Clone)]
pub enum NatsAuth {
    /// No authentication.
    Anonymous,
    /// A NATS credentials file (JWT and nkey seed, `--nats-creds FILE`).
    CredsFile(PathBuf),
    /// User and password (from `GEVO_NATS_USER` and `GEVO_NATS_PASSWORD`).
    UserPassword {
        /// The user.
        user: String,
        /// The password.
        password: String,
    },
}

impl std::fmt::Debug for NatsAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NatsAuth::Anonymous => write!(f, "Anonymous"),
            NatsAuth::CredsFile(p) => write!(f, "CredsFile({})", p.display()),
            NatsAuth::UserPassword { user, .. } => write!(f, "UserPassword({user}, ***)"),
        }
    }
}

impl NatsAuth {
    /// The credentials file when given, else user and password from `GEVO_NATS_USER` and
    /// `GEVO_NATS_PASSWORD` when set, else none.
    ///
    /// # Errors
    /// Only one of the two variables is set.
    pub fn from_env(creds: Option<PathBuf>) -> Result<NatsAuth, NatsError> {
        if let Some(p) = creds {
            return Ok(NatsAuth::CredsFile(p));
        }
        let user = std::env::var("GEVO_NATS_USER").ok();
        let password = std::env::var("GEVO_NATS_PASSWORD").ok();
        match (user, password) {
            (Some(user), Some(password)) => Ok(NatsAuth::UserPassword { user, password }),
            (None, None) => Ok(NatsAuth::Anonymous),
            _ => Err(NatsError::Config(
                "set both GEVO_NATS_USER and GEVO_NATS_PASSWORD, or neither".into(),
            )),
        }
    }
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct NatsOptions {
    /// Server URL(s), e.g. `nats://10.0.0.5:4222` (comma separated for a cluster).
    pub url: String,
    /// Authentication.
    pub auth: NatsAuth,
    /// A CA certificate (PEM) to verify the server's TLS certificate with; TLS is then
    /// required (`--nats-tls-ca`).
    pub tls_ca: Option<PathBuf>,
    /// The connection's name, as the server's monitoring shows it.
    pub name: String,
}

/// Why talking to NATS failed.
#[derive(Debug, thiserror::Error)]
pub enum NatsError {
    /// A setting that cannot work (names the flag or variable).
    #[error("{0}")]
    Config(String),
    /// The server could not be reached or refused the connection.
    #[error("cannot connect to the NATS server at {url}: {message}")]
    Connect {
        /// The URL tried.
        url: String,
        /// Why, in words.
        message: String,
    },
    /// A JetStream call failed (stream or consumer set-up, publish, fetch).
    #[error("NATS JetStream: {0}")]
    JetStream(String),
}

/// Connects to the server.
///
/// # Errors
/// [`NatsError::Connect`] naming the URL; a refused authentication says which credentials
/// to check.
pub async fn connect(o: &NatsOptions) -> Result<async_nats::Client, NatsError> {
    let fail = |message: String| NatsError::Connect {
        url: o.url.clone(),
        message,
    };
    let mut options = match &o.auth {
        NatsAuth::Anonymous => async_nats::ConnectOptions::new(),
        NatsAuth::CredsFile(p) => async_nats::ConnectOptions::with_credentials_file(p)
            .await
            .map_err(|e| {
                NatsError::Config(format!("--nats-creds {}: cannot read: {e}", p.display()))
            })?,
        NatsAuth::UserPassword { user, password } => {
            async_nats::ConnectOptions::with_user_and_password(user.clone(), password.clone())
        }
    }
    .name(&o.name)
    .connection_timeout(Duration::from_secs(10));
    if let Some(ca) = &o.tls_ca {
        if !ca.is_file() {
            return Err(NatsError::Config(format!(
                "--nats-tls-ca {}: no such file",
                ca.display()
            )));
        }
        options = options.add_root_certificates(ca.clone()).require_tls(true);
    }
    options.connect(o.url.as_str()).await.map_err(|e| {
        use async_nats::ConnectErrorKind as K;
        match e.kind() {
            K::AuthorizationViolation | K::Authentication => fail(format!(
                "the server refused the credentials ({e}); check --nats-creds or \
                 GEVO_NATS_USER/GEVO_NATS_PASSWORD"
            )),
            _ => fail(e.to_string()),
        }
    })
}

fn js_err(what: &str) -> impl Fn(&dyn std::fmt::Display) -> NatsError + '_ {
    move |e| NatsError::JetStream(format!("{what}: {e}"))
}

/// The request stream, created when missing: work-queue retention (a request is gone once a
/// worker acked it), file storage (it survives a server restart), requests of at most
/// [`MAX_MESSAGE_BYTES`].
///
/// # Errors
/// JetStream is not enabled, or the account may not create streams.
pub async fn request_stream(
    js: &jetstream::Context,
) -> Result<jetstream::stream::Stream, NatsError> {
    js.get_or_create_stream(jetstream::stream::Config {
        name: REQUEST_STREAM.into(),
        subjects: vec!["gevo.requests.>".into()],
        retention: RetentionPolicy::WorkQueue,
        storage: StorageType::File,
        max_message_size: MAX_MESSAGE_BYTES as i32,
        ..Default::default()
    })
    .await
    .map_err(|e| js_err("cannot open the request stream")(&e))
}

/// The result stream, created when missing (work-queue retention: a result is gone once its
/// campaign acked it; file storage, so results wait for a campaign that is down).
///
/// # Errors
/// As [`request_stream`].
pub async fn result_stream(
    js: &jetstream::Context,
) -> Result<jetstream::stream::Stream, NatsError> {
    js.get_or_create_stream(jetstream::stream::Config {
        name: RESULT_STREAM.into(),
        subjects: vec!["gevo.results.>".into()],
        retention: RetentionPolicy::WorkQueue,
        storage: StorageType::File,
        max_message_size: MAX_MESSAGE_BYTES as i32,
        ..Default::default()
    })
    .await
    .map_err(|e| js_err("cannot open the result stream")(&e))
}

/// The workers' durable pull consumer on the request stream, created when missing.
///
/// # Errors
/// As [`request_stream`].
pub async fn worker_consumer(
    stream: &jetstream::stream::Stream,
) -> Result<PullConsumer, NatsError> {
    stream
        .get_or_create_consumer(
            WORKER_CONSUMER,
            pull::Config {
                durable_name: Some(WORKER_CONSUMER.into()),
                filter_subject: "gevo.requests.>".into(),
                ack_policy: AckPolicy::Explicit,
                ack_wait: ack_wait(),
                max_deliver: MAX_DELIVER,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| js_err("cannot open the workers' consumer")(&e))
}

/// A request in flight: what its result must match.
struct Pending {
    seed: u64,
    tag: String,
    sequence: u64,
}

/// Results kept that answered no request in flight (from before a resume, or duplicates), by
/// key and tag: a request submitted again for the same program and seed is served from here.
const MAX_ORPHANS: usize = 4096;

/// The tag of a request: its candidate, seed index, seed and program.
fn request_tag(candidate: u64, seed_index: usize, seed: u64, program: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(program.len() + 24);
    bytes.extend_from_slice(&candidate.to_le_bytes());
    bytes.extend_from_slice(&(seed_index as u64).to_le_bytes());
    bytes.extend_from_slice(&seed.to_le_bytes());
    bytes.extend_from_slice(program);
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&bytes))
}

/// The campaign's side of the work queue: publishes requests, consumes results.
///
/// Results are matched by (candidate, seed index) and the evaluation seed; one that matches
/// nothing in flight (a duplicate from a redelivered request, a stale one from before a
/// resume) is acked and dropped, so every request is archived once. A request the server
/// gave up on after [`MAX_DELIVER`] deliveries (its max-deliveries advisory) and a refused
/// one come back as [`Outcome::WorkerFailed`].
pub struct NatsExecutor {
    runtime: Arc<tokio::runtime::Runtime>,
    js: jetstream::Context,
    requests: jetstream::stream::Stream,
    results: pull::Stream,
    advisories: async_nats::Subscriber,
    advisories_open: bool,
    campaign: String,
    workload: Workload,
    schema_version: u32,
    capacity: usize,
    in_flight: HashMap<(u64, usize), Pending>,
    by_sequence: HashMap<u64, (u64, usize)>,
    ready: VecDeque<EvalResult>,
    orphans: HashMap<(u64, usize), (String, EvalResult)>,
    unacked: Option<Acker>,
    /// When the last result came (or the executor started), for the no-workers warning.
    last_result: Instant,
    warned_idle: bool,
}

/// How long the campaign waits without any result before it says that no worker seems to run.
const IDLE_WARNING: Duration = Duration::from_secs(30);

impl std::fmt::Debug for NatsExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsExecutor")
            .field("campaign", &self.campaign)
            .field("capacity", &self.capacity)
            .field("in_flight", &self.in_flight.len())
            .finish()
    }
}

impl NatsExecutor {
    /// Connects, opens the streams and the campaign's durable result consumer
    /// (`campaign-<id>`), keeping `capacity` requests in flight.
    ///
    /// # Errors
    /// [`ExecutorError::Start`] with the reason: an invalid campaign id, an unreachable
    /// server, refused credentials, JetStream not enabled (`nats-server -js`).
    pub fn connect(
        options: &NatsOptions,
        campaign: &str,
        workload: Workload,
        schema_version: u32,
        capacity: usize,
    ) -> Result<Self, ExecutorError> {
        if !valid_campaign_id(campaign) {
            return Err(ExecutorError::Start(format!(
                "campaign id `{campaign}` is not one subject token (1-64 letters, digits, - or _)"
            )));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("gevo-nats")
            .enable_all()
            .build()
            .map_err(|e| ExecutorError::Start(format!("cannot start the NATS runtime: {e}")))?;
        let start = |e: NatsError| ExecutorError::Start(e.to_string());
        let (js, requests, results, advisories) = runtime.block_on(async {
            let client = connect(options).await.map_err(start)?;
            let js = jetstream::new(client.clone());
            let requests = request_stream(&js).await.map_err(start)?;
            worker_consumer(&requests).await.map_err(start)?;
            let durable = format!("campaign-{campaign}");
            let results = result_stream(&js)
                .await
                .map_err(start)?
                .get_or_create_consumer(
                    &durable,
                    pull::Config {
                        durable_name: Some(durable.clone()),
                        filter_subject: result_subject(campaign),
                        ack_policy: AckPolicy::Explicit,
                        ack_wait: ACK_WAIT,
                        ..Default::default()
                    },
                )
                .await
                .map_err(|e| start(js_err("cannot open the campaign's result consumer")(&e)))?
                .messages()
                .await
                .map_err(|e| start(js_err("cannot consume results")(&e)))?;
            let advisories = client
                .subscribe(format!(
                    "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{REQUEST_STREAM}.{WORKER_CONSUMER}"
                ))
                .await
                .map_err(|e| start(js_err("cannot watch max-deliveries advisories")(&e)))?;
            Ok::<_, ExecutorError>((js, requests, results, advisories))
        })?;
        Ok(NatsExecutor {
            runtime: Arc::new(runtime),
            js,
            requests,
            results,
            advisories,
            advisories_open: true,
            campaign: campaign.to_string(),
            workload,
            schema_version,
            capacity: capacity.max(1),
            in_flight: HashMap::new(),
            by_sequence: HashMap::new(),
            ready: VecDeque::new(),
            orphans: HashMap::new(),
            unacked: None,
            last_result: Instant::now(),
            warned_idle: false,
        })
    }

    /// Turns a delivered result into an [`EvalResult`] when it answers a request in flight;
    /// `None` (and an ack) for anything else.
    async fn accept(&mut self, message: jetstream::Message) -> Option<EvalResult> {
        let (message, acker) = message.split();
        let result: ResultMessage = match messages::decode(&message.payload) {
            Ok(r) => r,
            Err(e) => {
                let _ = acker.ack().await;
                // Another release's worker: its headers still say which request it answers.
                let keys = message.headers.as_ref().and_then(|h| {
                    let candidate = h.get("Gevo-Candidate")?.as_str().parse().ok()?;
                    let seed_index = h.get("Gevo-Seed-Index")?.as_str().parse().ok()?;
                    Some((
                        (candidate, seed_index),
                        h.get("Gevo-Tag")?.as_str().to_string(),
                    ))
                });
                if let Some((key, tag)) = keys
                    && self.in_flight.get(&key).is_some_and(|p| p.tag == tag)
                    && let Some(p) = self.in_flight.remove(&key)
                {
                    self.by_sequence.remove(&p.sequence);
                    tracing::warn!(
                        "candidate {} (seed {}): unreadable result ({e}); recorded as \
                         worker_failed",
                        key.0,
                        key.1
                    );
                    return Some(worker_failed(key));
                }
                tracing::warn!("dropping an unreadable result on {}: {e}", message.subject);
                return None;
            }
        };
        let key = (result.candidate, result.seed_index);
        let refused = matches!(result.body, ResultBody::Refused { .. });
        let matches = |p: &Pending| {
            // A refusal read the tag from the request's headers and may not know its seed.
            (p.tag == result.tag && (refused || p.seed == result.seed))
                || (refused && result.tag.is_empty())
        };
        let pending = match self.in_flight.remove(&key) {
            Some(p) if result.campaign == self.campaign && matches(&p) => p,
            other => {
                if let Some(p) = other {
                    self.in_flight.insert(key, p);
                }
                tracing::debug!(
                    "keeping aside a duplicate or stale result for candidate {} seed {}",
                    result.candidate,
                    result.seed_index
                );
                if !refused && result.campaign == self.campaign {
                    if self.orphans.len() >= MAX_ORPHANS {
                        self.orphans.clear();
                    }
                    let tag = result.tag.clone();
                    if let ResultBody::Evaluated { evaluation, panic } = result.body {
                        let r = EvalResult {
                            candidate: key.0,
                            seed_index: key.1,
                            evaluation,
                            panic,
                        };
                        self.orphans.insert(key, (tag, r));
                    }
                }
                let _ = acker.ack().await;
                return None;
            }
        };
        self.by_sequence.remove(&pending.sequence);
        // Acked once the campaign has taken it (at the next call), so a kill in between
        // leaves it in the stream for the resumed campaign.
        self.unacked = Some(acker);
        Some(match result.body {
            ResultBody::Evaluated { evaluation, panic } => EvalResult {
                candidate: key.0,
                seed_index: key.1,
                evaluation,
                panic,
            },
            ResultBody::Refused { reason } => {
                tracing::warn!(
                    "candidate {} (seed {}): worker {} refused the request: {reason}",
                    key.0,
                    key.1,
                    result.worker
                );
                worker_failed(key)
            }
        })
    }

    /// A max-deliveries advisory: the request it names, when it is one of ours in flight,
    /// becomes a `worker_failed` result and leaves the stream.
    async fn given_up(&mut self, payload: &[u8]) -> Option<EvalResult> {
        let advisory: serde_json::Value = serde_json::from_slice(payload).ok()?;
        let sequence = advisory.get("stream_seq")?.as_u64()?;
        let key = self.by_sequence.remove(&sequence)?;
        self.in_flight.remove(&key);
        let _ = self.requests.delete_message(sequence).await;
        tracing::warn!(
            "candidate {} (seed {}): delivered {MAX_DELIVER} times without a result; recorded \
             as worker_failed",
            key.0,
            key.1
        );
        Some(worker_failed(key))
    }
}

fn worker_failed((candidate, seed_index): (u64, usize)) -> EvalResult {
    EvalResult {
        candidate,
        seed_index,
        evaluation: Evaluation::failed(Outcome::WorkerFailed, Cost::default()),
        panic: None,
    }
}

impl Executor for NatsExecutor {
    fn capacity(&self) -> usize {
        self.capacity
    }

    fn in_flight(&self) -> usize {
        self.in_flight.len() + self.ready.len()
    }

    fn submit(&mut self, request: EvalRequest) -> Result<(), ExecutorError> {
        let key = (request.candidate, request.seed_index);
        let message = RequestMessage {
            message_version: MESSAGE_VERSION,
            gevo_version: GEVO_VERSION.into(),
            schema_version: self.schema_version,
            campaign: self.campaign.clone(),
            candidate: request.candidate,
            seed_index: request.seed_index,
            seed: request.context.seed,
            hurdle: request.context.hurdle,
            time_limit_secs: request.context.time_limit.map(|d| d.as_secs_f64()),
            tag: String::new(),
            program: request.program,
            workload: self.workload.clone(),
        };
        let queue = |e: messages::MessageError| ExecutorError::Queue(e.to_string());
        let mut message = message;
        message.tag = request_tag(
            key.0,
            key.1,
            message.seed,
            &messages::encode(&message.program).map_err(queue)?,
        );
        let tag = message.tag.clone();
        // Answered before a resume: served without evaluating again.
        if let Some((t, _)) = self.orphans.get(&key)
            && *t == tag
            && let Some((_, r)) = self.orphans.remove(&key)
        {
            self.ready.push_back(r);
            return Ok(());
        }
        let payload = messages::encode(&message).map_err(queue)?;
        if payload.len() > MAX_MESSAGE_BYTES {
            tracing::warn!(
                "candidate {}: request of {} bytes exceeds {MAX_MESSAGE_BYTES}; recorded as \
                 worker_failed",
                key.0,
                payload.len()
            );
            self.ready.push_back(worker_failed(key));
            return Ok(());
        }
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Gevo-Candidate", key.0.to_string().as_str());
        headers.insert("Gevo-Seed-Index", key.1.to_string().as_str());
        headers.insert("Gevo-Tag", tag.as_str());
        let subject = request_subject(&self.campaign);
        let js = self.js.clone();
        let ack = self.runtime.block_on(async move {
            // Retried while the server is away (a restart, a failover): the client reconnects
            // on its own. A request stored twice is only answered twice; the second answer is
            // dropped.
            let deadline = Instant::now() + PUBLISH_PATIENCE;
            loop {
                let attempt = async {
                    js.publish_with_headers(
                        subject.clone(),
                        headers.clone(),
                        payload.clone().into(),
                    )
                    .await
                    .map_err(|e| e.to_string())?
                    .await
                    .map_err(|e| e.to_string())
                };
                match attempt.await {
                    Ok(ack) => return Ok(ack),
                    Err(e) if Instant::now() >= deadline => return Err(e),
                    Err(e) => {
                        tracing::warn!("publishing a request failed ({e}); retrying");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
        });
        let ack =
            ack.map_err(|e| ExecutorError::Queue(format!("cannot publish a request: {e}")))?;
        self.by_sequence.insert(ack.sequence, key);
        self.in_flight.insert(
            key,
            Pending {
                seed: message.seed,
                tag,
                sequence: ack.sequence,
            },
        );
        Ok(())
    }

    fn next_result(&mut self) -> Result<Option<EvalResult>, ExecutorError> {
        loop {
            if let Some(r) = self.next_result_timeout(Duration::from_secs(3600))? {
                return Ok(Some(r));
            }
            if self.in_flight() == 0 {
                return Ok(None);
            }
        }
    }

    fn next_result_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<EvalResult>, ExecutorError> {
        if let Some(r) = self.ready.pop_front() {
            return Ok(Some(r));
        }
        if !self.in_flight.is_empty()
            && !self.warned_idle
            && self.last_result.elapsed() >= IDLE_WARNING
        {
            self.warned_idle = true;
            tracing::warn!(
                "no evaluation result for {} s with {} request(s) in flight: long evaluations, or \
                 no `gevo worker --nats …` running against this server?",
                IDLE_WARNING.as_secs(),
                self.in_flight.len()
            );
        }
        let runtime = Arc::clone(&self.runtime);
        let got = runtime.block_on(async {
            if let Some(a) = self.unacked.take() {
                let _ = a.ack().await;
            }
            if self.in_flight.is_empty() {
                return Ok(None);
            }
            let deadline = tokio::time::Instant::from_std(Instant::now() + timeout);
            loop {
                tokio::select! {
                    m = self.results.next() => match m {
                        None => return Err(ExecutorError::Disconnected(self.in_flight.len())),
                        Some(Err(e)) => tracing::debug!("result consumer: {e}"),
                        Some(Ok(m)) => if let Some(r) = self.accept(m).await {
                            return Ok(Some(r));
                        },
                    },
                    a = self.advisories.next(), if self.advisories_open => match a {
                        None => self.advisories_open = false,
                        Some(a) => if let Some(r) = self.given_up(&a.payload).await {
                            return Ok(Some(r));
                        },
                    },
                    _ = tokio::time::sleep_until(deadline) => return Ok(None),
                }
            }
        });
        if matches!(got, Ok(Some(_))) {
            self.last_result = Instant::now();
            self.warned_idle = false;
        }
        got
    }
}

impl Drop for NatsExecutor {
    fn drop(&mut self) {
        if let Some(a) = self.unacked.take() {
            let _ = self.runtime.block_on(a.ack());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn campaign_ids_are_single_subject_tokens() {
        assert!(valid_campaign_id("0123abcdef-x_y"));
        for bad in ["", "a.b", "a*", "a>", "a b", &"x".repeat(65)] {
            assert!(!valid_campaign_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_request_tag_changes_with_candidate_seed_and_program() {
        let t = request_tag(1, 0, 7, b"program");
        assert_eq!(t, request_tag(1, 0, 7, b"program"));
        for other in [
            request_tag(2, 0, 7, b"program"),
            request_tag(1, 1, 7, b"program"),
            request_tag(1, 0, 8, b"program"),
            request_tag(1, 0, 7, b"programme"),
        ] {
            assert_ne!(t, other);
        }
    }

    #[test]
    fn progress_acks_come_well_inside_ack_wait() {
        assert_eq!(progress_every(ACK_WAIT), PROGRESS_EVERY);
        assert!(progress_every(Duration::from_secs(2)) * 3 <= Duration::from_secs(2));
        assert!(PROGRESS_EVERY * 3 <= ACK_WAIT);
    }

    #[test]
    fn credentials_never_show_in_debug_output() {
        let auth = NatsAuth::UserPassword {
            user: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{auth:?}").contains("hunter2"));
    }
}
