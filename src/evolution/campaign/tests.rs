//! The campaign against a mock evaluator whose fitness is a known function of the program:
//! closeness of the expression to x² + x on a few points; expressions that use `sin` fail
//! with a non-finite outcome.

use super::*;
use crate::archive::CampaignState;
use crate::engine::{Cost, EvalContext, Evaluation, Outcome};
use crate::program::interpreter::Interpreter;
use crate::program::ops::KernelContext;
use crate::program::print::infix_top;
use crate::program::space::SearchSpace;
use crate::program::value::Value;
use crate::task_file::TaskSpec;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::sync::atomic::{AtomicU64, Ordering};

const XS: [f64; 5] = [-2.0, -1.0, 0.5, 1.5, 3.0];

struct Mock {
    space: SearchSpace,
    calls: AtomicU64,
}

impl Mock {
    fn new() -> Arc<Mock> {
        let space = crate::catalog::load_space("symbolic_regression")
            .unwrap()
            .with_task_inputs(&["x".to_string()]);
        Arc::new(Mock {
            space,
            calls: AtomicU64::new(0),
        })
    }

    fn outputs(p: &Program) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut ctx = KernelContext::new(&mut rng);
        let x = [Value::column(XS.to_vec())];
        Interpreter::new()
            .run(p, &x, &mut ctx)
            .broadcast_to(XS.len(), 1)
    }

    /// The fitness of a program: 1 / (1 + mean squared error to x² + x).
    fn fitness(p: &Program) -> f64 {
        let out = Self::outputs(p);
        let mse = XS
            .iter()
            .zip(&out)
            .map(|(x, y)| (x * x + x - y).powi(2))
            .sum::<f64>()
            / XS.len() as f64;
        1.0 / (1.0 + mse)
    }
}

impl Evaluator for Mock {
    fn space(&self) -> &SearchSpace {
        &self.space
    }
    fn task_name(&self) -> &str {
        "mock"
    }
    fn evaluate(&self, p: &Program, _: &EvalContext) -> Evaluation {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let cost = Cost {
            wall_secs: 0.0,
            steps: 1,
        };
        if infix_top(p).contains("sin(") {
            return Evaluation::failed(Outcome::NonFinite, cost);
        }
        Evaluation {
            fitness: Some(Self::fitness(p)),
            test_score: None,
            details: vec![("mse_basis".into(), 1.0)],
            outcome: Outcome::Ok,
            cost,
        }
    }
    fn probe_outputs(&self, p: &Program) -> Vec<f64> {
        Self::outputs(p)
    }
}

fn config(budget: u64, deterministic: bool) -> CampaignConfig {
    let task = TaskSpec {
        name: "mock".into(),
        files: vec![],
        csv: None,
        target: None,
    };
    let mut c = CampaignConfig::new("symbolic_regression", "", task);
    c.budget = budget;
    c.population = 20;
    c.tournament = 5;
    c.workers = 2;
    c.seed = 7;
    c.deterministic = deterministic;
    c
}

fn archive(dir: &tempfile::TempDir, name: &str) -> Archive {
    Archive::create(&dir.path().join(name), "{}").unwrap()
}

/// Runs a fresh campaign to its budget; returns its records in insertion order.
fn run(
    c: CampaignConfig,
    mock: &Arc<Mock>,
    dir: &tempfile::TempDir,
    name: &str,
) -> Vec<CandidateRecord> {
    let mut campaign = Campaign::new(c, mock.clone(), archive(dir, name)).unwrap();
    campaign.run(&mut ()).unwrap();
    records(campaign.archive())
}

fn records(a: &Archive) -> Vec<CandidateRecord> {
    let mut r = a.records().unwrap();
    r.sort_by_key(|r| r.seq);
    r
}

/// What a seed fixes about a record (not its timing).
fn key(r: &CandidateRecord) -> (u64, u64, String, Option<u64>, bool, Option<f64>, Outcome) {
    (
        r.id,
        r.seq,
        r.program.clone(),
        r.parent,
        r.fec_hit,
        r.fitness,
        r.outcome,
    )
}

fn state(a: &Archive) -> CampaignState {
    a.state().unwrap().unwrap()
}

fn best(records: &[CandidateRecord]) -> f64 {
    records
        .iter()
        .filter_map(|r| r.fitness)
        .fold(f64::NEG_INFINITY, f64::max)
}

#[test]
fn tournament_selection_beats_random_search_and_aging_keeps_the_youngest() {
    let dir = tempfile::tempdir().unwrap();
    let mock = Mock::new();
    let evolved = run(config(400, true), &mock, &dir, "evolved");
    let mut random = config(400, true);
    random.tournament = 1;
    let random = run(random, &mock, &dir, "random");
    assert!(
        best(&evolved) > best(&random),
        "evolution {} vs random search {}",
        best(&evolved),
        best(&random)
    );
    // Children of the tournament are better than the initial population on average.
    let mean = |rs: &[&CandidateRecord]| {
        rs.iter().filter_map(|r| r.fitness).sum::<f64>() / rs.len() as f64
    };
    let initial: Vec<&CandidateRecord> = evolved.iter().filter(|r| r.parent.is_none()).collect();
    let late: Vec<&CandidateRecord> = evolved.iter().filter(|r| r.seq >= 300).collect();
    assert!(
        mean(&late) > mean(&initial),
        "{} vs {}",
        mean(&late),
        mean(&initial)
    );
    // Aging: the population is the last P inserted candidates, whatever their fitness.
    let a = Archive::open(&dir.path().join("evolved")).unwrap();
    let mut members = state(&a).population;
    members.sort_unstable();
    let mut youngest: Vec<u64> = evolved[evolved.len() - 20..].iter().map(|r| r.id).collect();
    youngest.sort_unstable();
    assert_eq!(members, youngest);
}

#[test]
fn cache_hits_reuse_the_cached_fitness_and_still_enter_the_population() {
    let dir = tempfile::tempdir().unwrap();
    let mock = Mock::new();
    let rs = run(config(300, false), &mock, &dir, "a");
    let hits: Vec<&CandidateRecord> = rs.iter().filter(|r| r.fec_hit).collect();
    assert!(hits.len() > 10, "{} hits", hits.len());
    for h in &hits {
        let evaluated = rs
            .iter()
            .find(|r| !r.fec_hit && r.fingerprint == h.fingerprint && r.seq < h.seq)
            .expect("a hit has an earlier evaluation");
        assert_eq!(
            (h.fitness, h.outcome),
            (evaluated.fitness, evaluated.outcome)
        );
        assert_eq!(h.cost.steps, 0, "a hit is not evaluated");
    }
    // Only misses reach the evaluator; every candidate is inserted.
    assert_eq!(
        mock.calls.load(Ordering::Relaxed),
        (rs.len() - hits.len()) as u64
    );
    let a = Archive::open(&dir.path().join("a")).unwrap();
    let s = state(&a);
    assert_eq!(
        (s.stats.fec_hits, s.stats.candidates),
        (hits.len() as u64, 300)
    );
    assert!(hits.iter().any(|h| s.population.contains(&h.id)));
}

#[test]
fn the_budget_and_the_evaluation_cap_are_respected() {
    let dir = tempfile::tempdir().unwrap();
    for deterministic in [false, true] {
        let mock = Mock::new();
        let rs = run(
            config(50, deterministic),
            &mock,
            &dir,
            &format!("b{deterministic}"),
        );
        assert_eq!(rs.len(), 50);
        let ids: std::collections::BTreeSet<u64> = rs.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), 50);
        assert!(rs.iter().enumerate().all(|(k, r)| r.seq == k as u64));
        let mock = Mock::new();
        let mut capped = config(1000, deterministic);
        capped.max_evaluations = Some(30);
        let name = format!("c{deterministic}");
        let rs = run(capped, &mock, &dir, &name);
        let evaluations = rs.iter().filter(|r| !r.fec_hit).count() as u64;
        assert_eq!(evaluations, mock.calls.load(Ordering::Relaxed));
        // Deterministic mode checks the cap at batch boundaries (overshoot < one batch).
        if deterministic {
            assert!((30..30 + 8).contains(&evaluations), "{evaluations}");
        } else {
            assert_eq!(evaluations, 30);
        }
        assert!(rs.len() < 1000);
        assert!(state(&Archive::open(&dir.path().join(&name)).unwrap()).finished);
    }
}

#[test]
fn deterministic_mode_gives_the_same_archive_twice_whatever_the_workers() {
    let dir = tempfile::tempdir().unwrap();
    let mock = Mock::new();
    let one = run(config(120, true), &mock, &dir, "one");
    let mut c = config(120, true);
    c.workers = 4;
    let four = run(c, &mock, &dir, "four");
    let (one, four): (Vec<_>, Vec<_>) = (
        one.iter().map(key).collect(),
        four.iter().map(key).collect(),
    );
    assert_eq!(one, four);
    assert_eq!(one.len(), 120);
}

#[test]
fn a_failing_candidate_is_recorded_with_its_outcome_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mock = Mock::new();
    let mut c = config(60, false);
    let seed = r#"{"inputs": [{"name": "x", "dtype": "float"}],
                   "nodes": [{"op": "sin", "args": [0]}], "output": 1}"#;
    c.seeds = vec![("sine".into(), seed.into())];
    let rs = run(c, &mock, &dir, "f");
    assert_eq!(rs.len(), 60);
    let failed: Vec<&CandidateRecord> = rs
        .iter()
        .filter(|r| r.outcome == Outcome::NonFinite)
        .collect();
    assert!(
        failed
            .iter()
            .any(|r| r.id == 0 && r.seed.as_deref() == Some("sine"))
    );
    assert!(failed.iter().all(|r| r.fitness.is_none()));
    assert!(rs.iter().any(|r| r.outcome == Outcome::Ok));
    let s = state(&Archive::open(&dir.path().join("f")).unwrap());
    // Failures are counted once, where they were evaluated (cache hits reuse the outcome).
    let evaluated = failed.iter().filter(|r| !r.fec_hit).count();
    assert_eq!(s.stats.failures, evaluated as u64);
    assert!(
        failed.iter().any(|r| r.seq > 20),
        "failures keep occurring later on"
    );
}

#[test]
fn an_invalid_seed_program_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(10, false);
    c.seeds = vec![(
        "bad".into(),
        r#"{"inputs": [], "nodes": [], "output": 3}"#.into(),
    )];
    let e = Campaign::new(c, Mock::new(), archive(&dir, "s"))
        .err()
        .unwrap();
    assert!(
        matches!(&e, CampaignError::InvalidSeed { name, .. } if name == "bad"),
        "{e}"
    );
    assert!(e.to_string().starts_with("seed `bad`: "), "{e}");
}

#[test]
fn resume_continues_where_the_campaign_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let mock = Mock::new();
    // A whole number of batches, so that stopping and resuming batches as a straight run does.
    let straight = run(config(64, true), &mock, &dir, "straight");
    let first = run(config(32, true), &mock, &dir, "split");
    assert_eq!(first.len(), 32);
    let a = Archive::open(&dir.path().join("split")).unwrap();
    let mut resumed = Campaign::resume(config(64, true), mock.clone(), a).unwrap();
    assert_eq!(resumed.stats().candidates, 32);
    resumed.run(&mut ()).unwrap();
    let split = records(resumed.archive());
    assert_eq!(
        split.iter().map(key).collect::<Vec<_>>(),
        straight.iter().map(key).collect::<Vec<_>>()
    );
    assert_eq!(resumed.stats().candidates, 64);
    // Resuming a finished campaign adds nothing.
    let a = Archive::open(&dir.path().join("straight")).unwrap();
    let mut again = Campaign::resume(config(64, true), mock.clone(), a).unwrap();
    again.run(&mut ()).unwrap();
    assert_eq!(records(again.archive()).len(), 64);
}

/// Evaluates in this thread and hands results back last-submitted first, as a remote executor
/// with unlucky timing might.
struct Reversing {
    evaluator: Arc<Mock>,
    queue: Vec<crate::engine::EvalRequest>,
}

impl Executor for Reversing {
    fn capacity(&self) -> usize {
        3
    }
    fn in_flight(&self) -> usize {
        self.queue.len()
    }
    fn submit(&mut self, request: crate::engine::EvalRequest) -> Result<(), ExecutorError> {
        self.queue.push(request);
        Ok(())
    }
    fn next_result(&mut self) -> Result<Option<crate::engine::EvalResult>, ExecutorError> {
        Ok(self.queue.pop().map(|r| crate::engine::EvalResult {
            candidate: r.candidate,
            evaluation: self.evaluator.evaluate(&r.program, &r.context),
        }))
    }
}

#[test]
fn deterministic_mode_does_not_depend_on_the_executor_or_the_result_order() {
    let dir = tempfile::tempdir().unwrap();
    let mock = Mock::new();
    let local = run(config(100, true), &mock, &dir, "local");
    let mut campaign =
        Campaign::new(config(100, true), mock.clone(), archive(&dir, "rev")).unwrap();
    let mut executor = Reversing {
        evaluator: mock.clone(),
        queue: vec![],
    };
    campaign.run_with(&mut executor, &mut ()).unwrap();
    let reversed = records(campaign.archive());
    assert_eq!(
        reversed.iter().map(key).collect::<Vec<_>>(),
        local.iter().map(key).collect::<Vec<_>>()
    );
    // Asynchronous mode through the same executor still spends exactly its budget.
    let mut campaign =
        Campaign::new(config(100, false), mock.clone(), archive(&dir, "rev-async")).unwrap();
    campaign.run_with(&mut executor, &mut ()).unwrap();
    assert_eq!(records(campaign.archive()).len(), 100);
}
