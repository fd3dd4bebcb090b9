//! The in-process executor: a rayon thread pool evaluating requests as they come.

use super::Evaluator;
use super::executor::{EvalRequest, EvalResult, Executor, ExecutorError, evaluate_guarded};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

/// Evaluates requests on `workers` threads of this process (threads `gevo-worker-<i>`).
pub struct LocalExecutor {
    pool: rayon::ThreadPool,
    evaluator: Arc<dyn Evaluator>,
    workers: usize,
    tx: mpsc::Sender<EvalResult>,
    rx: mpsc::Receiver<EvalResult>,
    in_flight: usize,
}

impl LocalExecutor {
    /// A pool of `workers` threads (at least one) evaluating with `evaluator`.
    ///
    /// # Errors
    /// [`ExecutorError::Start`] when the threads cannot be spawned.
    pub fn new(evaluator: Arc<dyn Evaluator>, workers: usize) -> Result<Self, ExecutorError> {
        let workers = workers.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("gevo-worker-{i}"))
            .build()
            .map_err(|e| ExecutorError::Start(e.to_string()))?;
        let (tx, rx) = mpsc::channel();
        Ok(LocalExecutor {
            pool,
            evaluator,
            workers,
            tx,
            rx,
            in_flight: 0,
        })
    }
}

impl Executor for LocalExecutor {
    fn capacity(&self) -> usize {
        self.workers
    }

    fn in_flight(&self) -> usize {
        self.in_flight
    }

    fn submit(&mut self, request: EvalRequest) -> Result<(), ExecutorError> {
        let ev = Arc::clone(&self.evaluator);
        let tx = self.tx.clone();
        self.in_flight += 1;
        self.pool.spawn(move || {
            let (evaluation, panic) =
                evaluate_guarded(ev.as_ref(), &request.program, &request.context);
            // The receiver is gone only when the campaign stopped and abandoned this evaluation.
            let _ = tx.send(EvalResult {
                candidate: request.candidate,
                seed_index: request.seed_index,
                evaluation,
                panic,
            });
        });
        Ok(())
    }

    fn next_result(&mut self) -> Result<Option<EvalResult>, ExecutorError> {
        if self.in_flight == 0 {
            return Ok(None);
        }
        let r = self
            .rx
            .recv()
            .map_err(|_| ExecutorError::Disconnected(self.in_flight))?;
        self.in_flight -= 1;
        Ok(Some(r))
    }

    fn next_result_timeout(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<EvalResult>, ExecutorError> {
        if self.in_flight == 0 {
            return Ok(None);
        }
        match self.rx.recv_timeout(timeout) {
            Ok(r) => {
                self.in_flight -= 1;
                Ok(Some(r))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(ExecutorError::Disconnected(self.in_flight))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Cost, EvalContext, Evaluation, Outcome};
    use crate::program::Program;
    use crate::program::space::SearchSpace;

    /// Fitness = the seed; panics on seed 13.
    struct SeedEcho(SearchSpace);

    impl Evaluator for SeedEcho {
        fn space(&self) -> &SearchSpace {
            &self.0
        }
        fn task_name(&self) -> &str {
            "echo"
        }
        fn evaluate(&self, _: &Program, ctx: &EvalContext) -> Evaluation {
            assert_ne!(ctx.seed, 13, "unlucky");
            Evaluation {
                fitness: Some(ctx.seed as f64),
                test_score: None,
                details: vec![],
                outcome: Outcome::Ok,
                cost: Cost::default(),
            }
        }
        fn probe_outputs(&self, _: &Program) -> Vec<f64> {
            vec![]
        }
    }

    #[test]
    fn every_request_comes_back_once_and_a_panic_is_recorded_with_its_message() {
        let space = crate::catalog::load_space("symbolic_regression")
            .unwrap()
            .with_task_inputs(&["x".to_string()]);
        let program = crate::program::generate::random_program(
            &space,
            &mut <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0),
        )
        .unwrap();
        let mut ex = LocalExecutor::new(Arc::new(SeedEcho(space)), 3).unwrap();
        assert_eq!(ex.capacity(), 3);
        assert!(ex.next_result().unwrap().is_none());
        for id in 10..20 {
            ex.submit(EvalRequest {
                candidate: id,
                seed_index: (id % 2) as usize,
                program: program.clone(),
                context: EvalContext {
                    seed: id,
                    ..Default::default()
                },
            })
            .unwrap();
        }
        assert_eq!(ex.in_flight(), 10);
        let mut got = vec![];
        while let Some(r) = ex.next_result().unwrap() {
            assert_eq!(r.seed_index, (r.candidate % 2) as usize);
            got.push((
                r.candidate,
                r.evaluation.fitness,
                r.evaluation.outcome,
                r.panic,
            ));
        }
        got.sort_by_key(|g| g.0);
        assert_eq!(got.len(), 10);
        for (id, fitness, outcome, panic) in got {
            if id == 13 {
                assert_eq!((fitness, outcome), (None, Outcome::Panicked));
                let message = panic.unwrap();
                assert!(message.contains("unlucky"), "{message}");
            } else {
                assert_eq!(
                    (fitness, outcome, panic),
                    (Some(id as f64), Outcome::Ok, None)
                );
            }
        }
        assert_eq!(ex.in_flight(), 0);
    }
}
