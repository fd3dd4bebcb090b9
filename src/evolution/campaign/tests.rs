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
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

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
        csv_data: None,
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
    evaluator: Arc<dyn Evaluator>,
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
            seed_index: r.seed_index,
            evaluation: self.evaluator.evaluate(&r.program, &r.context),
            panic: None,
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

/// The mock's fitness plus a seed-dependent offset in [0, 0.1), remembering every seed it saw.
struct Noisy {
    mock: Arc<Mock>,
    seeds: std::sync::Mutex<Vec<u64>>,
}

impl Noisy {
    fn new() -> Arc<Noisy> {
        Arc::new(Noisy {
            mock: Mock::new(),
            seeds: std::sync::Mutex::new(vec![]),
        })
    }

    fn noise(seed: u64) -> f64 {
        (seed % 1000) as f64 / 10_000.0
    }
}

impl Evaluator for Noisy {
    fn space(&self) -> &SearchSpace {
        self.mock.space()
    }
    fn task_name(&self) -> &str {
        "noisy"
    }
    fn evaluate(&self, p: &Program, ctx: &EvalContext) -> Evaluation {
        self.seeds.lock().unwrap().push(ctx.seed);
        let mut e = self.mock.evaluate(p, ctx);
        e.fitness = e.fitness.map(|f| f + Self::noise(ctx.seed));
        e
    }
    fn probe_outputs(&self, p: &Program) -> Vec<f64> {
        self.mock.probe_outputs(p)
    }
}

fn detail(r: &CandidateRecord, name: &str) -> Option<f64> {
    r.details.iter().find(|(d, _)| d == name).map(|(_, v)| *v)
}

/// Checks every evaluated record of a K-seed campaign against the K runs it should have had.
fn assert_mean_of_distinct_seeds(rs: &[CandidateRecord], k: usize, noisy: &Noisy) {
    let seen = noisy.seeds.lock().unwrap().clone();
    let evaluated: Vec<&CandidateRecord> = rs.iter().filter(|r| !r.fec_hit).collect();
    assert_eq!(
        seen.len(),
        k * evaluated.len(),
        "K runs per real evaluation"
    );
    let distinct: std::collections::HashSet<u64> = seen.iter().copied().collect();
    assert_eq!(distinct.len(), seen.len(), "every run has its own seed");
    let mut checked = 0;
    for r in evaluated.iter().filter(|r| r.outcome == Outcome::Ok) {
        let base = Mock::fitness(&r.program().unwrap());
        let runs: Vec<f64> = (0..k)
            .map(|j| base + Noisy::noise(crate::evolution::seeds::seed_of(7, r.id, j)))
            .collect();
        let mean = runs.iter().sum::<f64>() / k as f64;
        assert!((r.fitness.unwrap() - mean).abs() < 1e-12, "id {}", r.id);
        for (j, f) in runs.iter().enumerate() {
            assert_eq!(detail(r, &format!("seed{j}/fitness")), Some(*f));
        }
        let std = (runs.iter().map(|f| (f - mean).powi(2)).sum::<f64>() / (k - 1) as f64).sqrt();
        assert!((detail(r, "fitness_std").unwrap() - std).abs() < 1e-12);
        assert_eq!(
            detail(r, "mse_basis"),
            Some(1.0),
            "per-seed details are averaged"
        );
        checked += 1;
    }
    assert!(checked > 10, "{checked} evaluated candidates");
}

#[test]
fn k_seed_fitness_is_the_mean_of_k_runs_with_distinct_seeds_and_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(80, true);
    c.eval_seeds = 3;
    let noisy = Noisy::new();
    let mut campaign = Campaign::new(c.clone(), noisy.clone(), archive(&dir, "k3")).unwrap();
    campaign.run(&mut ()).unwrap();
    let first = records(campaign.archive());
    assert_mean_of_distinct_seeds(&first, 3, &noisy);
    // The same seed gives the same archive, whatever the result order.
    let again = Noisy::new();
    let mut campaign = Campaign::new(c, again.clone(), archive(&dir, "k3-rev")).unwrap();
    let mut executor = Reversing {
        evaluator: again.clone(),
        queue: vec![],
    };
    campaign.run_with(&mut executor, &mut ()).unwrap();
    let reversed = records(campaign.archive());
    assert_eq!(
        reversed.iter().map(key).collect::<Vec<_>>(),
        first.iter().map(key).collect::<Vec<_>>()
    );
    assert_eq!(
        reversed.iter().map(|r| &r.details).collect::<Vec<_>>(),
        first.iter().map(|r| &r.details).collect::<Vec<_>>()
    );
    // Asynchronous mode: seeds of candidates come back out of order and interleaved.
    let mut c = config(80, false);
    c.eval_seeds = 2;
    let noisy = Noisy::new();
    let mut campaign = Campaign::new(c, noisy.clone(), archive(&dir, "k2-async")).unwrap();
    let mut executor = Reversing {
        evaluator: noisy.clone(),
        queue: vec![],
    };
    campaign.run_with(&mut executor, &mut ()).unwrap();
    let rs = records(campaign.archive());
    assert_eq!(rs.len(), 80);
    assert_mean_of_distinct_seeds(&rs, 2, &noisy);
}

#[test]
fn one_eval_seed_is_the_single_seed_campaign() {
    let dir = tempfile::tempdir().unwrap();
    let noisy = Noisy::new();
    let mut c = config(60, true);
    c.eval_seeds = 1;
    let mut campaign = Campaign::new(c, noisy.clone(), archive(&dir, "k1")).unwrap();
    campaign.run(&mut ()).unwrap();
    let rs = records(campaign.archive());
    let evaluated: Vec<&CandidateRecord> = rs.iter().filter(|r| !r.fec_hit).collect();
    assert_eq!(noisy.seeds.lock().unwrap().len(), evaluated.len());
    for r in evaluated.iter().filter(|r| r.outcome == Outcome::Ok) {
        // The seed single-seed campaigns always used, and the evaluator's record untouched.
        let seed = xxhash_rust::xxh3::xxh3_64(&[7u64.to_le_bytes(), r.id.to_le_bytes()].concat());
        assert_eq!(
            r.fitness,
            Some(Mock::fitness(&r.program().unwrap()) + Noisy::noise(seed))
        );
        assert_eq!(r.details, vec![("mse_basis".to_string(), 1.0)]);
    }
}

#[test]
fn k_seed_evaluations_survive_a_resume() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(64, true);
    c.eval_seeds = 2;
    let mock = Mock::new();
    let straight = run(c.clone(), &mock, &dir, "straight");
    let mut half = c.clone();
    half.budget = 32;
    run(half, &mock, &dir, "split");
    let a = Archive::open(&dir.path().join("split")).unwrap();
    let mut resumed = Campaign::resume(c, mock.clone(), a).unwrap();
    resumed.run(&mut ()).unwrap();
    assert_eq!(
        records(resumed.archive())
            .iter()
            .map(key)
            .collect::<Vec<_>>(),
        straight.iter().map(key).collect::<Vec<_>>()
    );
}

#[test]
fn the_duplicate_cap_holds_and_the_oldest_copy_goes() {
    let dir = tempfile::tempdir().unwrap();
    let mock = Mock::new();
    let most_copies = |name: &str, rs: &[CandidateRecord]| {
        let a = Archive::open(&dir.path().join(name)).unwrap();
        let members = state(&a).population;
        let mut by_hash: HashMap<_, Vec<u64>> = HashMap::new();
        for id in &members {
            let r = rs.iter().find(|r| r.id == *id).unwrap();
            by_hash.entry(r.fingerprint).or_default().push(r.seq);
        }
        // The copies kept are always the newest records of their function.
        for (h, seqs) in &by_hash {
            let mut newest: Vec<u64> = rs
                .iter()
                .filter(|r| r.fingerprint == *h)
                .map(|r| r.seq)
                .collect();
            newest.sort_unstable();
            let newest = newest.split_off(newest.len() - seqs.len());
            let mut kept = seqs.clone();
            kept.sort_unstable();
            assert_eq!(kept, newest, "{name}: the oldest copies went first");
        }
        assert!(members.len() <= 20);
        by_hash.values().map(Vec::len).max().unwrap()
    };
    let free = run(config(300, true), &mock, &dir, "free");
    assert!(
        most_copies("free", &free) > 2,
        "uncapped, the mock's population holds more than two copies of a function"
    );
    for deterministic in [true, false] {
        let name = format!("capped-{deterministic}");
        let mut c = config(300, deterministic);
        c.max_duplicates = Some(2);
        let rs = run(c, &mock, &dir, &name);
        assert_eq!(rs.len(), 300);
        assert!(most_copies(&name, &rs) <= 2, "{name}");
    }
}

#[test]
fn zero_eval_seeds_or_max_duplicates_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(10, false);
    c.eval_seeds = 0;
    let e = Campaign::new(c, Mock::new(), archive(&dir, "z1"))
        .err()
        .unwrap();
    assert!(matches!(e, CampaignError::InvalidSetting(_)), "{e}");
    let mut c = config(10, false);
    c.max_duplicates = Some(0);
    let e = Campaign::new(c, Mock::new(), archive(&dir, "z2"))
        .err()
        .unwrap();
    assert!(e.to_string().contains("max_duplicates"), "{e}");
}

#[test]
fn with_an_aggregating_cache_the_top_ranks_functions_by_their_mean() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(300, true);
    c.fec.aggregate = 3;
    let noisy = Noisy::new();
    let mut campaign = Campaign::new(c, noisy, archive(&dir, "agg")).unwrap();
    campaign.run(&mut ()).unwrap();
    let fec: HashMap<_, _> = state(campaign.archive()).fec.into_iter().collect();
    let key = |r: &CandidateRecord| match fec.get(&r.fingerprint) {
        Some(e) if e.evaluations > 1 => e.fitness.unwrap(),
        _ => r.fitness.unwrap(),
    };
    let top = campaign.top();
    assert!(
        top.iter().any(|r| fec
            .get(&r.fingerprint)
            .is_some_and(|e| e.evaluations > 1 && e.fitness != r.fitness)),
        "some leading function has several real evaluations whose mean is not its own score"
    );
    let keys: Vec<f64> = top.iter().map(key).collect();
    assert!(
        keys.windows(2).all(|w| w[0] >= w[1]),
        "ranked by the mean: {keys:?}"
    );
}

/// The mock, but the evaluator panics (as a buggy kernel would) on programs whose expression
/// has an even number of characters.
struct Panicky(Arc<Mock>);

impl Panicky {
    fn panics_on(p: &Program) -> bool {
        infix_top(p).len().is_multiple_of(2)
    }
}

impl Evaluator for Panicky {
    fn space(&self) -> &SearchSpace {
        self.0.space()
    }
    fn task_name(&self) -> &str {
        "panicky"
    }
    fn evaluate(&self, p: &Program, ctx: &EvalContext) -> Evaluation {
        if Self::panics_on(p) {
            panic!("kernel bug on `{}`", infix_top(p));
        }
        self.0.evaluate(p, ctx)
    }
    fn probe_outputs(&self, p: &Program) -> Vec<f64> {
        self.0.probe_outputs(p)
    }
}

#[test]
fn a_panicking_evaluation_is_recorded_as_panicked_with_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let evaluator = Arc::new(Panicky(Mock::new()));
    for deterministic in [false, true] {
        let name = format!("det-{deterministic}");
        let mut campaign = Campaign::new(
            config(80, deterministic),
            evaluator.clone(),
            archive(&dir, &name),
        )
        .unwrap();
        assert_eq!(campaign.run(&mut ()).unwrap(), RunEnd::Finished);
        let rs = records(campaign.archive());
        assert_eq!(rs.len(), 80);
        let mut panicked = 0;
        for r in rs.iter().filter(|r| !r.fec_hit) {
            let p = r.program().unwrap();
            let message = campaign.archive().message(r.id).unwrap();
            if Panicky::panics_on(&p) {
                panicked += 1;
                assert_eq!((r.outcome, r.fitness), (Outcome::Panicked, None));
                assert_eq!(message, Some(format!("kernel bug on `{}`", infix_top(&p))));
            } else {
                assert_ne!(r.outcome, Outcome::Panicked);
                assert_eq!(message, None);
            }
        }
        assert!(
            panicked > 0 && !campaign.top().is_empty(),
            "{panicked} panicked"
        );
        let all = rs.iter().filter(|r| r.outcome == Outcome::Panicked).count() as u64;
        assert!(
            campaign
                .failure_counts()
                .contains(&(Outcome::Panicked, all))
        );
        let (id, message) = campaign.first_panic().unwrap();
        assert_eq!(
            rs.iter().find(|r| r.id == id).unwrap().outcome,
            Outcome::Panicked
        );
        assert!(message.starts_with("kernel bug on"), "{message}");
        // The message survives closing and reopening the archive.
        drop(campaign);
        let a = Archive::open_read_only(&dir.path().join(&name)).unwrap();
        let expression = &rs.iter().find(|r| r.id == id).unwrap().expression;
        assert_eq!(
            a.message(id).unwrap(),
            Some(format!("kernel bug on `{expression}`"))
        );
    }
}

/// Raises the stop flag once `after` candidates are in; counts the stop notices.
struct StopAfter {
    flag: Arc<AtomicBool>,
    after: u64,
    notices: usize,
}

impl CampaignObserver for StopAfter {
    fn on_insert(&mut self, _: &CandidateRecord, stats: &crate::archive::Stats, _: u64) {
        if stats.candidates >= self.after {
            self.flag.store(true, Ordering::SeqCst);
        }
    }
    fn on_stop(&mut self, _: usize, _: std::time::Duration) {
        self.notices += 1;
    }
}

#[test]
fn a_stopped_campaign_commits_what_it_finished_and_resumes_to_the_same_archive() {
    let dir = tempfile::tempdir().unwrap();
    let mock = Mock::new();
    for deterministic in [true, false] {
        let name = format!("stopped-{deterministic}");
        let flag = Arc::new(AtomicBool::new(false));
        let mut campaign = Campaign::new(
            config(120, deterministic),
            mock.clone(),
            archive(&dir, &name),
        )
        .unwrap();
        campaign.set_stop(StopSignal::new(
            flag.clone(),
            std::time::Duration::from_secs(5),
        ));
        let mut obs = StopAfter {
            flag,
            after: 40,
            notices: 0,
        };
        // Evaluations are fast: every one in flight finishes within the grace period.
        let end = campaign.run(&mut obs).unwrap();
        assert_eq!((end, obs.notices), (RunEnd::Stopped { abandoned: 0 }, 1));
        let before = records(campaign.archive());
        assert!((40..120).contains(&before.len()), "{}", before.len());
        assert!(!state(campaign.archive()).finished);
        drop(campaign);
        let a = Archive::open(&dir.path().join(&name)).unwrap();
        let mut resumed = Campaign::resume(config(120, deterministic), mock.clone(), a).unwrap();
        assert_eq!(resumed.run(&mut ()).unwrap(), RunEnd::Finished);
        let after = records(resumed.archive());
        assert_eq!(after.len(), 120);
        // Every finished candidate is kept as it was.
        for r in &before {
            assert!(after.iter().any(|a| key(a) == key(r)), "lost {}", r.id);
        }
        if deterministic {
            let straight = run(config(120, true), &mock, &dir, "straight");
            assert_eq!(
                after.iter().map(key).collect::<Vec<_>>(),
                straight.iter().map(key).collect::<Vec<_>>()
            );
        }
    }
}

/// Sleeps through every evaluation.
struct Slow(Arc<Mock>);

impl Evaluator for Slow {
    fn space(&self) -> &SearchSpace {
        self.0.space()
    }
    fn task_name(&self) -> &str {
        "slow"
    }
    fn evaluate(&self, p: &Program, ctx: &EvalContext) -> Evaluation {
        std::thread::sleep(std::time::Duration::from_secs(2));
        self.0.evaluate(p, ctx)
    }
    fn probe_outputs(&self, p: &Program) -> Vec<f64> {
        self.0.probe_outputs(p)
    }
}

#[test]
fn a_stop_abandons_evaluations_that_outlast_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    for deterministic in [false, true] {
        let flag = Arc::new(AtomicBool::new(false));
        let mut c = config(50, deterministic);
        c.workers = 3;
        c.batch = 3;
        let name = format!("slow-{deterministic}");
        let mut campaign =
            Campaign::new(c, Arc::new(Slow(Mock::new())), archive(&dir, &name)).unwrap();
        campaign.set_stop(StopSignal::new(
            flag.clone(),
            std::time::Duration::from_millis(20),
        ));
        let raise = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            flag.store(true, Ordering::SeqCst);
        });
        let mut obs = StopAfter {
            flag: Arc::new(AtomicBool::new(false)),
            after: u64::MAX,
            notices: 0,
        };
        let start = std::time::Instant::now();
        let end = campaign.run(&mut obs).unwrap();
        raise.join().unwrap();
        // Three evaluations of two seconds each are in flight when the stop comes; none is
        // waited for past the 20 ms grace.
        assert_eq!((end, obs.notices), (RunEnd::Stopped { abandoned: 3 }, 1));
        assert!(start.elapsed() < std::time::Duration::from_millis(1500));
        assert_eq!(records(campaign.archive()).len(), 0);
    }
}
