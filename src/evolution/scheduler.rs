//! The scheduler: asks the bookkeeping for children, hands the ones the cache cannot serve to
//! an [`Executor`] as requests, and gives the results back to the bookkeeping.
//!
//! - **asynchronous** (steady state, Real et al. 2019): the executor's capacity stays in
//!   flight; each finished child is inserted at once and the next child is proposed from the
//!   population as it is then;
//! - **deterministic**: children are proposed in batches from the population at the batch
//!   start, evaluated in parallel and inserted in id order, so the same seed gives the same
//!   archive whatever the timing, the worker count or the executor.
//!
//! With `eval_seeds = K` a cache miss becomes K requests (one per training seed) submitted at
//! once; the candidate is recorded when its last seed comes back, with the K evaluations
//! combined by [`super::seeds`]. Budgets and `max_evaluations` count candidates, not seeds.
//!
//! With `optimize_constants`, an evaluated candidate's improved child (its constants fitted)
//! is made and inserted right after it by the bookkeeping, in the same order in both modes; a
//! deterministic batch may so overshoot the budget by its fitted children.

use super::bookkeeping::{Bookkeeping, CampaignObserver, Proposal};
use super::campaign::{CampaignError, StopSignal};
use super::seeds::SeedResults;
use crate::engine::{EvalResult, Evaluation, Executor, ExecutorError};
use crate::hashing::fec::{FecEntry, Lookup};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::{Duration, Instant};

/// How often a campaign that can be stopped looks at its stop signal while it waits.
const STOP_POLL: Duration = Duration::from_millis(100);

/// How a scheduler run ended.
pub(super) enum Ended {
    /// The budget is spent.
    Finished,
    /// Stopped on request; this many candidates in flight were abandoned.
    Stopped(usize),
    /// Stopped on request in deterministic mode in the middle of a batch, which was abandoned
    /// (this many candidates unfinished): nothing may be committed past the last boundary.
    AbandonedBatch(usize),
}

/// Watches the stop signal: when the stop was first seen.
struct Stopping<'a> {
    signal: Option<&'a StopSignal>,
    since: Option<Instant>,
}

impl<'a> Stopping<'a> {
    fn new(signal: Option<&'a StopSignal>) -> Self {
        Stopping {
            signal,
            since: None,
        }
    }

    /// Whether a stop was requested (telling the observer the first time).
    fn requested(&mut self, in_flight: usize, observer: &mut dyn CampaignObserver) -> bool {
        if self.since.is_none()
            && let Some(s) = self.signal.filter(|s| s.requested())
        {
            self.since = Some(Instant::now());
            observer.on_stop(in_flight, s.grace());
        }
        self.since.is_some()
    }

    /// Whether the grace period for in-flight evaluations is over.
    fn expired(&self) -> bool {
        match (self.signal, self.since) {
            (Some(s), Some(t)) => t.elapsed() >= s.grace(),
            _ => false,
        }
    }

    /// Waits for the next result: blocking without a stop signal, in short polls with one.
    /// `Ok(None)` when nothing is in flight, or when a poll timed out (`in_flight() > 0`).
    fn next(&self, executor: &mut dyn Executor) -> Result<Option<EvalResult>, ExecutorError> {
        match self.signal {
            None => executor.next_result(),
            Some(_) => executor.next_result_timeout(STOP_POLL),
        }
    }
}

/// Evaluations at least this long are persisted as soon as they finish in deterministic mode.
const PENDING_MIN_SECS: f64 = 0.05;

/// Submits every seed's request of a proposal; returns how many.
fn submit_seeds(
    book: &Bookkeeping,
    executor: &mut dyn Executor,
    p: &Proposal,
) -> Result<usize, ExecutorError> {
    let requests = book.requests(p);
    let n = requests.len();
    for r in requests {
        executor.submit(r)?;
    }
    Ok(n)
}

/// Files one seed's result with its candidate's (a panic message with the bookkeeping);
/// returns whether the candidate's last seed is in.
fn file_result<P>(
    book: &mut Bookkeeping,
    waiting: &mut HashMap<u64, (P, SeedResults)>,
    mut r: EvalResult,
) -> Result<Option<(P, Evaluation)>, CampaignError> {
    let Entry::Occupied(mut slot) = waiting.entry(r.candidate) else {
        return Err(CampaignError::UnknownResult(r.candidate));
    };
    if let Some(m) = r.panic.take() {
        book.note_panic(r.candidate, m);
    }
    let seeds = &mut slot.get_mut().1;
    if !seeds.put(r.seed_index, r.evaluation) {
        return Err(CampaignError::UnknownResult(r.candidate));
    }
    if !seeds.complete() {
        return Ok(None);
    }
    let (p, seeds) = slot.remove();
    Ok(seeds.combine().map(|e| (p, e)))
}

/// Runs the asynchronous mode until the budget is spent or a stop is requested. On a stop no
/// child is proposed any more; evaluations in flight are waited for during the signal's grace
/// period, then abandoned (their ids are lost, as after a kill).
pub(super) fn run_async(
    book: &mut Bookkeeping,
    executor: &mut dyn Executor,
    observer: &mut dyn CampaignObserver,
    stop: Option<&StopSignal>,
) -> Result<Ended, CampaignError> {
    let capacity = executor.capacity().max(1);
    let mut waiting: HashMap<u64, (Proposal, SeedResults)> = HashMap::new();
    // Requests in flight (one per seed of each waiting candidate).
    let mut requests = 0usize;
    let mut stopping = Stopping::new(stop);
    loop {
        let stopped = stopping.requested(waiting.len(), observer);
        // Count insertions, not ids: ids proposed but lost to a kill are never evaluated.
        while !stopped
            && requests < capacity
            && book.inserted + (waiting.len() as u64) < book.config.budget
            && book.evaluations_left(waiting.len() as u64)
        {
            let p = book.propose()?;
            match book.lookup(&p) {
                Lookup::Hit(e) => {
                    let rec = book.record_hit(p, &e);
                    book.insert(rec, observer)?;
                }
                Lookup::Miss => {
                    requests += submit_seeds(book, executor, &p)?;
                    waiting.insert(p.id, (p, SeedResults::new(book.config.eval_seeds)));
                }
            }
        }
        let Some(r) = stopping.next(executor)? else {
            if executor.in_flight() == 0 {
                break;
            }
            if stopping.expired() {
                return Ok(Ended::Stopped(waiting.len()));
            }
            continue;
        };
        requests = requests.saturating_sub(1);
        let Some((p, e)) = file_result(book, &mut waiting, r)? else {
            continue;
        };
        book.insert_evaluated(p, e, observer)?;
        // Workers keep evaluating while the guide retrains here.
        book.maintain_guide();
    }
    if !waiting.is_empty() {
        return Err(ExecutorError::Disconnected(waiting.len()).into());
    }
    Ok(if stopping.requested(0, observer) {
        Ended::Stopped(0)
    } else {
        Ended::Finished
    })
}

/// Runs the deterministic mode until the budget is spent or a stop is requested. A stop is
/// taken at a batch boundary: the batch in flight is finished within the signal's grace
/// period, or else abandoned whole (its evaluations kept as pending are reused on resume) with
/// nothing committed past the last boundary, so that the archive stays reproducible.
pub(super) fn run_deterministic(
    book: &mut Bookkeeping,
    executor: &mut dyn Executor,
    observer: &mut dyn CampaignObserver,
    stop: Option<&StopSignal>,
) -> Result<Ended, CampaignError> {
    let mut stopping = Stopping::new(stop);
    while book.inserted < book.config.budget && book.evaluations_left(0) {
        if stopping.requested(0, observer) {
            return Ok(Ended::Stopped(0));
        }
        let n = (book.config.budget - book.inserted).min(book.config.batch.max(1) as u64);
        let proposals = (0..n)
            .map(|_| book.propose())
            .collect::<Result<Vec<Proposal>, _>>()?;
        let mut hits: HashMap<u64, FecEntry> = HashMap::new();
        let mut done: HashMap<u64, Evaluation> = HashMap::new();
        let mut todo: HashMap<u64, (&Proposal, SeedResults)> = HashMap::new();
        for p in &proposals {
            match book.lookup(p) {
                Lookup::Hit(e) => {
                    hits.insert(p.id, e);
                }
                Lookup::Miss => match book.pending(p)? {
                    Some(e) => {
                        done.insert(p.id, e);
                    }
                    None => {
                        submit_seeds(book, executor, p)?;
                        todo.insert(p.id, (p, SeedResults::new(book.config.eval_seeds)));
                    }
                },
            }
        }
        while !todo.is_empty() {
            stopping.requested(todo.len(), observer);
            let Some(r) = stopping.next(executor)? else {
                if executor.in_flight() == 0 {
                    return Err(ExecutorError::Disconnected(todo.len()).into());
                }
                if stopping.expired() {
                    return Ok(Ended::AbandonedBatch(todo.len()));
                }
                continue;
            };
            let Some((p, e)) = file_result(book, &mut todo, r)? else {
                continue;
            };
            // Keep costly finished work across a kill (cheap work is simply redone; so are
            // the finished seeds of a candidate whose other seeds had not come back).
            if e.cost.wall_secs >= PENDING_MIN_SECS {
                book.keep_pending(p, &e);
            }
            done.insert(p.id, e);
        }
        for p in proposals {
            if let Some(e) = hits.remove(&p.id) {
                let rec = book.record_hit(p, &e);
                book.insert(rec, observer)?;
            } else {
                // invariant: the loop above ran until `todo` was empty, so every miss is in `done`.
                #[allow(clippy::expect_used)]
                let e = done.remove(&p.id).expect("every miss was evaluated");
                book.insert_evaluated(p, e, observer)?;
            }
        }
        // Retrain only at batch boundaries, so the batch's proposals do not depend on timing.
        book.maintain_guide();
        // Commit only at batch boundaries, where the state is reproducible.
        if book.commit_due() {
            book.commit(false)?;
        }
    }
    Ok(if stopping.requested(0, observer) {
        Ended::Stopped(0)
    } else {
        Ended::Finished
    })
}
