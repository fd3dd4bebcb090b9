//! The scheduler: asks the bookkeeping for children, hands the ones the cache cannot serve to
//! an [`Executor`] as requests, and gives the results back to the bookkeeping.
//!
//! - **asynchronous** (steady state, Real et al. 2019): the executor's capacity stays in
//!   flight; each finished child is inserted at once and the next child is proposed from the
//!   population as it is then;
//! - **deterministic**: children are proposed in batches from the population at the batch
//!   start, evaluated in parallel and inserted in id order, so the same seed gives the same
//!   archive whatever the timing, the worker count or the executor.

use super::bookkeeping::{Bookkeeping, CampaignObserver, Proposal};
use super::campaign::CampaignError;
use crate::engine::{Evaluation, Executor, ExecutorError};
use crate::hashing::fec::{FecEntry, Lookup};
use std::collections::HashMap;

/// Evaluations at least this long are persisted as soon as they finish in deterministic mode.
const PENDING_MIN_SECS: f64 = 0.05;

/// Runs the asynchronous mode until the budget is spent.
pub(super) fn run_async(
    book: &mut Bookkeeping,
    executor: &mut dyn Executor,
    observer: &mut dyn CampaignObserver,
) -> Result<(), CampaignError> {
    let capacity = executor.capacity().max(1);
    let mut waiting: HashMap<u64, Proposal> = HashMap::new();
    loop {
        // Count insertions, not ids: ids proposed but lost to a kill are never evaluated.
        while waiting.len() < capacity
            && book.inserted + (waiting.len() as u64) < book.config.budget
            && book.evaluations_left(waiting.len() as u64)
        {
            let p = book.propose();
            match book.lookup(&p) {
                Lookup::Hit(e) => {
                    let rec = book.record_hit(p, &e);
                    book.insert(rec, observer)?;
                }
                Lookup::Miss => {
                    executor.submit(book.request(&p))?;
                    waiting.insert(p.id, p);
                }
            }
        }
        let Some(r) = executor.next_result()? else {
            break;
        };
        let p = waiting
            .remove(&r.candidate)
            .ok_or(CampaignError::UnknownResult(r.candidate))?;
        let rec = book.record_evaluated(p, r.evaluation);
        book.insert(rec, observer)?;
        // Workers keep evaluating while the guide retrains here.
        book.maintain_guide();
    }
    if !waiting.is_empty() {
        return Err(ExecutorError::Disconnected(waiting.len()).into());
    }
    Ok(())
}

/// Runs the deterministic mode until the budget is spent.
pub(super) fn run_deterministic(
    book: &mut Bookkeeping,
    executor: &mut dyn Executor,
    observer: &mut dyn CampaignObserver,
) -> Result<(), CampaignError> {
    while book.inserted < book.config.budget && book.evaluations_left(0) {
        let n = (book.config.budget - book.inserted).min(book.config.batch.max(1) as u64);
        let proposals: Vec<Proposal> = (0..n).map(|_| book.propose()).collect();
        let mut hits: HashMap<u64, FecEntry> = HashMap::new();
        let mut done: HashMap<u64, Evaluation> = HashMap::new();
        let mut todo: HashMap<u64, &Proposal> = HashMap::new();
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
                        executor.submit(book.request(p))?;
                        todo.insert(p.id, p);
                    }
                },
            }
        }
        while !todo.is_empty() {
            let r = executor
                .next_result()?
                .ok_or(ExecutorError::Disconnected(todo.len()))?;
            let p = todo
                .remove(&r.candidate)
                .ok_or(CampaignError::UnknownResult(r.candidate))?;
            // Keep costly finished work across a kill (cheap work is simply redone).
            if r.evaluation.cost.wall_secs >= PENDING_MIN_SECS {
                book.keep_pending(p, &r.evaluation);
            }
            done.insert(r.candidate, r.evaluation);
        }
        for p in proposals {
            let rec = if let Some(e) = hits.remove(&p.id) {
                book.record_hit(p, &e)
            } else {
                let e = done.remove(&p.id).expect("every miss was evaluated");
                book.record_evaluated(p, e)
            };
            book.insert(rec, observer)?;
        }
        // Retrain only at batch boundaries, so the batch's proposals do not depend on timing.
        book.maintain_guide();
        // Commit only at batch boundaries, where the state is reproducible.
        if book.commit_due() {
            book.commit(false)?;
        }
    }
    Ok(())
}
