//! The worker's side of the work queue (`gevo worker`): take one request at a time per slot,
//! check it against the worker's limits, evaluate it with in-progress acks, publish the
//! result, ack.
//!
//! A request is data, never code: it is refused (a `Refused` result, then acked so it is not
//! delivered again) when it is larger than the worker takes, written by another gevo release
//! or message version, unreadable, for another archive schema, over the node or time limit,
//! not valid in its space, or for a workload the worker cannot build (a missing or different
//! dataset). Only an evaluation that ran gives a fitness.

use super::messages::{
    self, GEVO_VERSION, MESSAGE_VERSION, RequestMessage, ResultBody, ResultMessage, Workload,
};
use super::{NatsError, NatsOptions, progress_every, result_subject, valid_campaign_id};
use crate::engine::executor::evaluate_guarded;
use crate::engine::{EvalContext, Evaluator};
use async_nats::jetstream;
use async_nats::jetstream::AckKind;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a worker accepts.
#[derive(Debug, Clone, Copy)]
pub struct WorkerLimits {
    /// Largest request message, bytes.
    pub max_request_bytes: usize,
    /// Most values (inputs and op nodes) in a program.
    pub max_nodes: usize,
    /// Longest time limit a request may ask for; a request without one gets this one.
    pub max_time_limit: Duration,
    /// The archive schema version requests must carry.
    pub schema_version: u32,
}

/// Builds the evaluator of a workload (the caller resolves the task: the engine knows no
/// domain); `Err` is the reason to refuse, in words.
pub type Resolver = dyn Fn(&Workload) -> Result<Arc<dyn Evaluator>, String> + Send + Sync;

/// Requests a worker answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Served {
    /// Evaluated (whatever the outcome).
    pub evaluated: u64,
    /// Refused.
    pub refused: u64,
}

/// Evaluators built so far, by workload key (a failed build is kept as its reason).
type Cache = Mutex<HashMap<u128, Built>>;

/// A built evaluator, or why it could not be built.
type Built = Result<Arc<dyn Evaluator>, String>;

/// Evaluators a worker keeps at most (campaigns it serves at once).
const CACHED_WORKLOADS: usize = 8;

struct Shared {
    js: jetstream::Context,
    consumer: jetstream::consumer::PullConsumer,
    resolve: Arc<Resolver>,
    cache: Cache,
    limits: WorkerLimits,
    stop: Arc<AtomicBool>,
    name: String,
    progress_every: Duration,
    evaluated: AtomicU64,
    refused: AtomicU64,
}

/// Serves requests on `slots` evaluation slots until `stop` is set; a slot busy then finishes
/// its request (evaluates, publishes, acks) before the worker returns.
///
/// # Errors
/// The server cannot be reached, refuses the credentials, or has no JetStream.
pub fn serve(
    options: &NatsOptions,
    slots: usize,
    limits: WorkerLimits,
    resolve: Arc<Resolver>,
    stop: Arc<AtomicBool>,
) -> Result<Served, NatsError> {
    let slots = slots.max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(slots + 2)
        .thread_name("gevo-nats-worker")
        .enable_all()
        .build()
        .map_err(|e| NatsError::Config(format!("cannot start the NATS runtime: {e}")))?;
    runtime.block_on(async {
        let client = super::connect(options).await?;
        let js = jetstream::new(client);
        let stream = super::request_stream(&js).await?;
        super::result_stream(&js).await?;
        let mut consumer = super::worker_consumer(&stream).await?;
        // The consumer's own ack_wait (whoever created it), not this process's default.
        let ack_wait = consumer
            .info()
            .await
            .map(|i| i.config.ack_wait)
            .unwrap_or_else(|_| super::ack_wait());
        let shared = Arc::new(Shared {
            js,
            consumer,
            resolve,
            cache: Mutex::new(HashMap::new()),
            limits,
            stop,
            name: options.name.clone(),
            progress_every: progress_every(ack_wait),
            evaluated: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        });
        let tasks: Vec<_> = (0..slots)
            .map(|i| tokio::spawn(slot(Arc::clone(&shared), i)))
            .collect();
        for t in tasks {
            let _ = t.await;
        }
        Ok(Served {
            evaluated: shared.evaluated.load(Ordering::SeqCst),
            refused: shared.refused.load(Ordering::SeqCst),
        })
    })
}

async fn slot(shared: Arc<Shared>, index: usize) {
    while !shared.stop.load(Ordering::SeqCst) {
        // A short pull, so a stop is seen within a second.
        let batch = shared
            .consumer
            .batch()
            .max_messages(1)
            .expires(Duration::from_secs(1))
            .messages()
            .await;
        let mut batch = match batch {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("slot {index}: cannot pull requests: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        while let Some(m) = batch.next().await {
            match m {
                Ok(m) => handle(&shared, index, m).await,
                Err(e) => tracing::debug!("slot {index}: {e}"),
            }
        }
    }
}

/// The keys of a request that can be read from its headers even when its body cannot.
fn header_keys(m: &jetstream::Message) -> Option<(u64, usize)> {
    let h = m.headers.as_ref()?;
    let candidate = h.get("Gevo-Candidate")?.as_str().parse().ok()?;
    let seed_index = h.get("Gevo-Seed-Index")?.as_str().parse().ok()?;
    Some((candidate, seed_index))
}

/// The request's tag from its headers (empty when it has none).
fn header_tag(m: &jetstream::Message) -> String {
    m.headers
        .as_ref()
        .and_then(|h| h.get("Gevo-Tag"))
        .map(|t| t.as_str().chars().take(64).collect())
        .unwrap_or_default()
}

async fn handle(shared: &Shared, index: usize, m: jetstream::Message) {
    let campaign = m
        .subject
        .as_str()
        .strip_prefix("gevo.requests.")
        .filter(|c| valid_campaign_id(c))
        .map(str::to_string);
    let worker = format!("{}/{index}", shared.name);
    let answer = match check(shared, &m).await {
        Err(reason) => {
            shared.refused.fetch_add(1, Ordering::SeqCst);
            let Some(((candidate, seed_index), campaign)) = header_keys(&m).zip(campaign) else {
                tracing::warn!(
                    "dropping a request on {} that names no candidate: {reason}",
                    m.subject
                );
                let _ = m.ack_with(AckKind::Term).await;
                return;
            };
            tracing::warn!("refusing candidate {candidate} of campaign {campaign}: {reason}");
            ResultMessage {
                message_version: MESSAGE_VERSION,
                gevo_version: GEVO_VERSION.into(),
                campaign,
                candidate,
                seed_index,
                seed: 0,
                tag: header_tag(&m),
                worker,
                body: ResultBody::Refused { reason },
            }
        }
        Ok((request, evaluator)) => {
            tracing::debug!(
                "slot {index}: candidate {} (seed {}) of campaign {}",
                request.candidate,
                request.seed_index,
                request.campaign
            );
            let ctx = EvalContext {
                seed: request.seed,
                hurdle: request.hurdle,
                time_limit: Some(
                    request
                        .time_limit_secs
                        .map_or(shared.limits.max_time_limit, Duration::from_secs_f64),
                ),
            };
            let program = request.program.clone();
            // An evaluation that ignores its time limit (a hung evaluator) loses its request
            // after twice the limit and a minute: progress acks stop, the request goes to
            // another worker, and after `max_deliver` such hangs it becomes `worker_failed`.
            let give_up = ctx.time_limit.unwrap_or(shared.limits.max_time_limit) * 2
                + Duration::from_secs(60);
            let started = std::time::Instant::now();
            let mut warned = false;
            let run = tokio::task::spawn_blocking(move || {
                evaluate_guarded(evaluator.as_ref(), &program, &ctx)
            });
            tokio::pin!(run);
            let mut progress = tokio::time::interval(shared.progress_every);
            progress.tick().await;
            let body = loop {
                tokio::select! {
                    r = &mut run => break match r {
                        Ok((evaluation, panic)) => ResultBody::Evaluated { evaluation, panic },
                        Err(e) => ResultBody::Refused { reason: format!("the evaluation task failed: {e}") },
                    },
                    _ = progress.tick() => {
                        if started.elapsed() < give_up {
                            let _ = m.ack_with(AckKind::Progress).await;
                        } else if !warned {
                            warned = true;
                            tracing::warn!(
                                "slot {index}: candidate {} runs past twice its time limit; \
                                 releasing its request to another worker",
                                request.candidate
                            );
                        }
                    }
                }
            };
            shared.evaluated.fetch_add(1, Ordering::SeqCst);
            ResultMessage {
                message_version: MESSAGE_VERSION,
                gevo_version: GEVO_VERSION.into(),
                campaign: request.campaign,
                candidate: request.candidate,
                seed_index: request.seed_index,
                seed: request.seed,
                tag: request.tag,
                worker,
                body,
            }
        }
    };
    let published = async {
        let payload = messages::encode(&answer).map_err(|e| e.to_string())?;
        // The keys again in headers, for a campaign of another release that cannot read the body.
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Gevo-Candidate", answer.candidate.to_string().as_str());
        headers.insert("Gevo-Seed-Index", answer.seed_index.to_string().as_str());
        headers.insert("Gevo-Tag", answer.tag.as_str());
        shared
            .js
            .publish_with_headers(result_subject(&answer.campaign), headers, payload.into())
            .await
            .map_err(|e| e.to_string())?
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    match published {
        Ok(_) => {
            let _ = m.double_ack().await;
        }
        Err(e) => {
            // Delivered again (here or elsewhere) rather than lost.
            tracing::warn!(
                "cannot publish the result of candidate {}: {e}; the request goes back",
                answer.candidate
            );
            let _ = m.ack_with(AckKind::Nak(Some(Duration::from_secs(1)))).await;
        }
    }
}

/// Reads and checks a request; returns it with its evaluator, or the reason to refuse it.
async fn check(
    shared: &Shared,
    m: &jetstream::Message,
) -> Result<(RequestMessage, Arc<dyn Evaluator>), String> {
    let limits = shared.limits;
    if m.payload.len() > limits.max_request_bytes {
        return Err(format!(
            "request of {} bytes exceeds this worker's --max-request-bytes {}",
            m.payload.len(),
            limits.max_request_bytes
        ));
    }
    let request: RequestMessage = messages::decode(&m.payload).map_err(|e| e.to_string())?;
    if request.schema_version != limits.schema_version {
        return Err(format!(
            "archive schema version {} requested, this worker writes {}",
            request.schema_version, limits.schema_version
        ));
    }
    if !m
        .subject
        .as_str()
        .ends_with(&format!(".{}", request.campaign))
    {
        return Err(format!(
            "request for campaign `{}` on subject {}",
            request.campaign, m.subject
        ));
    }
    if request.program.len() > limits.max_nodes {
        return Err(format!(
            "program of {} values exceeds this worker's --max-nodes {}",
            request.program.len(),
            limits.max_nodes
        ));
    }
    if let Some(t) = request.time_limit_secs
        && !(t.is_finite() && t > 0.0 && t <= limits.max_time_limit.as_secs_f64())
    {
        return Err(format!(
            "time limit {t} s outside this worker's (0, {}] s (--max-time-limit)",
            limits.max_time_limit.as_secs_f64()
        ));
    }
    let evaluator = evaluator_for(shared, &request.workload).await?;
    crate::program::validate::validate(&request.program, evaluator.space())
        .map_err(|e| format!("the program is not valid in its space: {e}"))?;
    Ok((request, evaluator))
}

async fn evaluator_for(shared: &Shared, w: &Workload) -> Result<Arc<dyn Evaluator>, String> {
    let key = w.key();
    if let Some(r) = lock(&shared.cache).get(&key) {
        return r.clone();
    }
    // Building one may load data or parse task sets: off the async threads.
    let resolve = Arc::clone(&shared.resolve);
    let w = w.clone();
    let built = tokio::task::spawn_blocking(move || resolve(&w))
        .await
        .unwrap_or_else(|e| Err(format!("building the evaluator failed: {e}")));
    let mut cache = lock(&shared.cache);
    if cache.len() >= CACHED_WORKLOADS {
        cache.clear();
    }
    cache.insert(key, built.clone());
    built
}

/// The cache, also after a panic elsewhere poisoned its lock (it holds only finished builds).
fn lock(cache: &Cache) -> std::sync::MutexGuard<'_, HashMap<u128, Built>> {
    cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
