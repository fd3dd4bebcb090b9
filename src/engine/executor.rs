//! The seam between the search and its evaluations: the campaign submits evaluation requests
//! and takes results back in whatever order they finish. [`super::local::LocalExecutor`] (a
//! rayon pool in this process) is the default; an executor over a work queue spreads the same
//! requests over other machines.

use super::{Cost, EvalContext, Evaluation, Evaluator, Outcome};
use crate::program::Program;
use crate::program::print::infix_top;
use std::time::{Duration, Instant};

/// One evaluation to run: everything a worker needs besides the evaluator itself.
#[derive(Debug, Clone)]
pub struct EvalRequest {
    /// The candidate's id in its campaign (results are matched to candidates by it).
    pub candidate: u64,
    /// Which of the candidate's training runs this is, `0..K` under `--eval-seeds K` (0 when
    /// each candidate is evaluated once); its result carries it back.
    pub seed_index: usize,
    /// The program to evaluate.
    pub program: Program,
    /// Seed, hurdle and time limit of the evaluation.
    pub context: EvalContext,
}

/// A finished evaluation.
#[derive(Debug, Clone)]
pub struct EvalResult {
    /// The candidate's id, as in its request.
    pub candidate: u64,
    /// The training run, as in its request.
    pub seed_index: usize,
    /// What the evaluation gave (failures are outcomes here, never errors).
    pub evaluation: Evaluation,
    /// The panic message when the evaluator panicked (the outcome is then
    /// [`Outcome::Panicked`]); the campaign stores it in the archive with the candidate.
    pub panic: Option<String>,
}

/// Why an executor cannot go on (evaluation failures are [`Outcome`]s, not errors).
#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    /// The workers could not be started.
    #[error("cannot start the evaluation workers: {0}")]
    Start(String),
    /// The workers went away with evaluations still in flight.
    #[error("the evaluation workers stopped with {0} evaluation(s) in flight")]
    Disconnected(usize),
    /// The work queue between the campaign and remote workers failed (connection, stream).
    #[error("the work queue failed: {0}")]
    Queue(String),
}

/// Runs evaluation requests, in parallel where it can.
pub trait Executor {
    /// How many evaluations it runs at once; the campaign keeps this many in flight.
    fn capacity(&self) -> usize;
    /// Evaluations submitted whose results have not been taken yet.
    fn in_flight(&self) -> usize;
    /// Starts evaluating `request`.
    ///
    /// # Errors
    /// The executor can no longer evaluate.
    fn submit(&mut self, request: EvalRequest) -> Result<(), ExecutorError>;
    /// Waits for the next finished evaluation, in completion order; `None` when nothing is
    /// in flight.
    ///
    /// # Errors
    /// The workers went away with evaluations in flight.
    fn next_result(&mut self) -> Result<Option<EvalResult>, ExecutorError>;
    /// Like [`Self::next_result`], but gives up after about `timeout`, returning `None` (also
    /// `None` when nothing is in flight: tell the two apart with [`Self::in_flight`]). A stopping
    /// campaign waits through it, so that it can abandon evaluations that take too long. The
    /// default blocks like `next_result`; executors that can wait with a deadline override it.
    ///
    /// # Errors
    /// The workers went away with evaluations in flight.
    fn next_result_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<EvalResult>, ExecutorError> {
        let _ = timeout;
        self.next_result()
    }
}

/// Evaluates, turning a panic inside the evaluator into a [`Outcome::Panicked`] outcome so one
/// bad candidate cannot stop (or hang) the campaign; returns the panic message with it.
pub fn evaluate_guarded(
    ev: &dyn Evaluator,
    p: &Program,
    ctx: &EvalContext,
) -> (Evaluation, Option<String>) {
    let start = Instant::now();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ev.evaluate(p, ctx))) {
        Ok(e) => (e, None),
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            tracing::error!(
                "evaluation panicked ({message}); recorded as panicked: {}",
                infix_top(p)
            );
            let e = Evaluation::failed(
                Outcome::Panicked,
                Cost {
                    wall_secs: start.elapsed().as_secs_f64(),
                    steps: 0,
                },
            );
            (e, Some(message))
        }
    }
}

/// The text of a panic payload (`panic!` with a literal gives `&str`, with a format `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}
