//! The campaign: regularized (aging) evolution with functional-hash deduplication, hurdles
//! and an optional guide, archived as it goes and resumable.
//!
//! A campaign is its bookkeeping (`bookkeeping.rs`: population, FEC, guide, archive, top-K,
//! live summary) driven by the scheduler (`scheduler.rs`) through an
//! [`Executor`]: [`Campaign::run`] evaluates on a local thread pool, [`Campaign::run_with`]
//! on any executor. In asynchronous mode (the default) evaluations stay in flight and each
//! finished child is inserted at once; in deterministic mode children are proposed and
//! inserted in batches, so the same seed gives the same archive.
//!
//! With a guide (`--guide discriminator`, [`crate::guide`]) the mutation step becomes
//! predictor-guided mutation (PAM-RT) once the discriminator is warmed up, every real evaluation
//! feeds its replay buffer, and it retrains between insertions (asynchronous mode) or between
//! batches (deterministic mode, so a seed still fixes the archive).

use super::bookkeeping::Bookkeeping;
pub use super::bookkeeping::CampaignObserver;
use super::config::CampaignConfig;
use super::scheduler;
use crate::archive::{Archive, ArchiveError, CandidateRecord, Stats};
use crate::engine::{Evaluator, Executor, ExecutorError, LocalExecutor};
use crate::guide::OnlineDiscriminator;
use crate::program::{Program, ProgramError};
use std::sync::Arc;

/// Why a campaign cannot start or go on (a failing candidate is an outcome, never an error).
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// A seed program that does not parse (names its file and line).
    #[error(transparent)]
    SeedSyntax(ProgramError),
    /// A seed program that is not valid in the evaluator's space.
    #[error("seed `{name}`: {error}")]
    InvalidSeed {
        /// The seed's name.
        name: String,
        /// Why it is not valid.
        error: ProgramError,
    },
    /// Reading or writing the archive failed, or it is corrupt.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The executor cannot go on.
    #[error(transparent)]
    Executor(#[from] ExecutorError),
    /// A setting out of its range (`eval_seeds` or `max_duplicates` of 0).
    #[error("invalid campaign setting: {0}")]
    InvalidSetting(String),
    /// An executor returned a result for a candidate that is not in flight (or for one of its
    /// training seeds that was not requested or already came back).
    #[error("an evaluation result for candidate {0}, which is not being evaluated")]
    UnknownResult(u64),
}

/// A running campaign.
pub struct Campaign {
    book: Bookkeeping,
}

impl Campaign {
    /// Starts a new campaign in a freshly created archive.
    ///
    /// # Errors
    /// A seed program that does not parse or fails validation in the evaluator's space;
    /// `eval_seeds` or `max_duplicates` of 0.
    pub fn new(
        config: CampaignConfig,
        evaluator: Arc<dyn Evaluator>,
        archive: Archive,
    ) -> Result<Campaign, CampaignError> {
        config
            .validate()
            .map_err(|e| CampaignError::InvalidSetting(e.to_string()))?;
        if config.eval_seeds == 0 {
            return Err(CampaignError::InvalidSetting(
                "eval_seeds must be at least 1".into(),
            ));
        }
        if config.max_duplicates == Some(0) {
            return Err(CampaignError::InvalidSetting(
                "max_duplicates must be at least 1 (omit it for no cap)".into(),
            ));
        }
        let seeds = parse_seeds(&config, evaluator.as_ref())?;
        Ok(Campaign {
            book: Bookkeeping::new(config, evaluator, archive, seeds),
        })
    }

    /// Reopens a campaign from its archive's last committed state. Records inserted after that
    /// state (possible only in asynchronous mode) are adopted in insertion order; evaluations of
    /// an uncommitted deterministic batch are reused when their candidates are proposed again.
    ///
    /// # Errors
    /// Archive errors; a state that refers to missing records; invalid seed programs.
    pub fn resume(
        config: CampaignConfig,
        evaluator: Arc<dyn Evaluator>,
        archive: Archive,
    ) -> Result<Campaign, CampaignError> {
        let mut c = Campaign::new(config, evaluator, archive)?;
        c.book.restore()?;
        Ok(c)
    }

    /// Counters so far.
    pub fn stats(&self) -> &Stats {
        &self.book.stats
    }

    /// The archive.
    pub fn archive(&self) -> &Archive {
        &self.book.archive
    }

    /// Settings.
    pub fn config(&self) -> &CampaignConfig {
        &self.book.config
    }

    /// The guide, when the campaign runs one.
    pub fn guide(&self) -> Option<&OnlineDiscriminator> {
        self.book.guide.as_ref()
    }

    /// Best records so far, best first (at most 100).
    pub fn top(&self) -> &[CandidateRecord] {
        &self.book.top
    }

    /// Runs until the budget is spent, evaluating on `config.workers` local threads.
    ///
    /// # Errors
    /// Archive write failures, worker threads that cannot start (evaluation failures are
    /// outcomes, not errors).
    pub fn run(&mut self, observer: &mut dyn CampaignObserver) -> Result<(), CampaignError> {
        let mut executor =
            LocalExecutor::new(Arc::clone(&self.book.evaluator), self.book.config.workers)?;
        self.run_with(&mut executor, observer)
    }

    /// Runs until the budget is spent, evaluating through `executor` (which must evaluate
    /// with an evaluator equivalent to the campaign's). Asynchronous mode keeps
    /// `executor.capacity()` evaluations in flight.
    ///
    /// # Errors
    /// Archive write failures, an executor that cannot go on.
    pub fn run_with(
        &mut self,
        executor: &mut dyn Executor,
        observer: &mut dyn CampaignObserver,
    ) -> Result<(), CampaignError> {
        if self.book.config.deterministic {
            scheduler::run_deterministic(&mut self.book, executor, observer)?;
        } else {
            scheduler::run_async(&mut self.book, executor, observer)?;
        }
        self.book.commit(true)?;
        Ok(())
    }
}

fn parse_seeds(
    config: &CampaignConfig,
    evaluator: &dyn Evaluator,
) -> Result<Vec<(String, Program)>, CampaignError> {
    let mut out = Vec::new();
    for (name, text) in &config.seeds {
        let p = Program::from_json(text, name).map_err(CampaignError::SeedSyntax)?;
        crate::program::validate::validate(&p, evaluator.space()).map_err(|error| {
            CampaignError::InvalidSeed {
                name: name.clone(),
                error,
            }
        })?;
        out.push((name.clone(), p));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
