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
use super::scheduler::{self, Ended};
use crate::archive::{Archive, ArchiveError, CandidateRecord, Stats};
use crate::engine::{Evaluator, Executor, ExecutorError, LocalExecutor, Outcome};
use crate::guide::OnlineDiscriminator;
use crate::program::{Program, ProgramError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A request to stop a running campaign early, e.g. set by a SIGINT handler. The campaign
/// polls it (every 0.1 s while it waits for results): once set, no child is proposed any more,
/// evaluations in flight are waited for up to `grace`, then abandoned; the archive is
/// committed and stays resumable (`gevo resume` re-runs what was abandoned).
#[derive(Debug, Clone)]
pub struct StopSignal {
    flag: Arc<AtomicBool>,
    grace: Duration,
}

impl StopSignal {
    /// A signal raised by setting `flag`; in-flight evaluations get `grace` to finish.
    pub fn new(flag: Arc<AtomicBool>, grace: Duration) -> Self {
        StopSignal { flag, grace }
    }

    /// Whether a stop was requested.
    pub fn requested(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// How long in-flight evaluations may take to finish after a stop request.
    pub fn grace(&self) -> Duration {
        self.grace
    }
}

/// How [`Campaign::run`] ended (errors aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// The budget (candidates or `max_evaluations`) is spent.
    Finished,
    /// Stopped by its [`StopSignal`] before the budget was spent.
    Stopped {
        /// Evaluations still running after the grace period, not recorded (re-run on resume).
        abandoned: usize,
    },
}

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
    /// The search space yielded no valid random program for the initial population (loading a
    /// space checks that it can produce one; the sampler still gives up after `tries`).
    #[error(
        "the search space produced no valid random program in {tries} tries: check that its ops \
         can build the output type from its inputs"
    )]
    NoRandomProgram {
        /// Attempts made.
        tries: usize,
    },
}

/// A running campaign.
pub struct Campaign {
    book: Bookkeeping,
    stop: Option<StopSignal>,
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
            stop: None,
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

    /// Makes the campaign stoppable by `stop` (see [`StopSignal`]).
    pub fn set_stop(&mut self, stop: StopSignal) {
        self.stop = Some(stop);
    }

    /// How many candidates inserted in this session (since `new` or `resume`) ended with each
    /// outcome other than `ok`, most frequent first (ties by name).
    pub fn failure_counts(&self) -> Vec<(Outcome, u64)> {
        let mut v: Vec<(Outcome, u64)> = self
            .book
            .failure_counts
            .iter()
            .map(|(o, n)| (*o, *n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.name().cmp(b.0.name())));
        v
    }

    /// The first candidate of this session whose evaluation panicked, with the panic message
    /// (also stored in the archive: [`Archive::message`]).
    pub fn first_panic(&self) -> Option<(u64, &str)> {
        self.book
            .first_panic
            .as_ref()
            .map(|(id, m)| (*id, m.as_str()))
    }

    /// Runs until the budget is spent (or the [`StopSignal`] is raised), evaluating on
    /// `config.workers` local threads.
    ///
    /// # Errors
    /// Archive write failures, worker threads that cannot start (evaluation failures are
    /// outcomes, not errors).
    pub fn run(&mut self, observer: &mut dyn CampaignObserver) -> Result<RunEnd, CampaignError> {
        let mut executor =
            LocalExecutor::new(Arc::clone(&self.book.evaluator), self.book.config.workers)?;
        self.run_with(&mut executor, observer)
    }

    /// Runs until the budget is spent (or the [`StopSignal`] is raised), evaluating through
    /// `executor` (which must evaluate with an evaluator equivalent to the campaign's).
    /// Asynchronous mode keeps `executor.capacity()` evaluations in flight.
    ///
    /// # Errors
    /// Archive write failures, an executor that cannot go on.
    pub fn run_with(
        &mut self,
        executor: &mut dyn Executor,
        observer: &mut dyn CampaignObserver,
    ) -> Result<RunEnd, CampaignError> {
        let stop = self.stop.as_ref();
        let ended = if self.book.config.deterministic {
            scheduler::run_deterministic(&mut self.book, executor, observer, stop)?
        } else {
            scheduler::run_async(&mut self.book, executor, observer, stop)?
        };
        Ok(match ended {
            Ended::Finished => {
                self.book.commit(true)?;
                RunEnd::Finished
            }
            Ended::Stopped(abandoned) => {
                self.book.commit(true)?;
                RunEnd::Stopped { abandoned }
            }
            // The state after the batch's proposals is not a batch boundary: keep the last
            // committed one, as after a kill.
            Ended::AbandonedBatch(abandoned) => RunEnd::Stopped { abandoned },
        })
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
