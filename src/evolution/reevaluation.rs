//! The final re-evaluation (`gevo reevaluate`, `gevo run --final-seeds`): the top K distinct
//! programs of a campaign re-trained with S fresh seeds on the training task set and on each
//! held-out task, every finished run stored in the archive as it completes
//! ([`crate::archive::reevaluation`]).
//!
//! This is AutoML-Zero's split of selection from reporting (Real et al. 2020: rank on the
//! search tasks, re-evaluate the best, report on unseen tasks) and the evaluation protocol of
//! Co-Reyes et al. (ICLR 2021, §5: learned losses judged on held-out environments over 10
//! training seeds). One noisy evaluation per candidate selects lucky programs (the winner's
//! curse); fresh seeds and held-out tasks measure what was found.
//!
//! The rules:
//! - the programs are the top K *distinct* functional hashes among the archive's `ok`
//!   candidates, ranked as `gevo inspect` ranks them: by the cache's mean fitness over the
//!   function's real evaluations, else the candidate's own fitness ([`select_top`]);
//! - seed `k` is [`reevaluation_seed`]`(campaign seed, k)` for every program and task: it is
//!   derived apart from the campaign's evaluation seeds, and shared by all programs so that two
//!   programs' scores under seed `k` are paired (common random numbers: `gevo compare`'s paired
//!   tests apply);
//! - every run has no hurdle (all training tasks are trained) and the campaign's time limit;
//! - the runs are spread over a pool of worker threads in the order seed, program, task, and
//!   each finished run is stored (and flushed) before the next result is taken: a `kill -9`
//!   loses only the runs in flight, and a rerun skips the stored ones.
//!
//! The evaluators come from the caller (the CLI rebuilds them from the archive's settings
//! through the domain registry), so this module knows no domain.

use crate::archive::{Archive, ArchiveError, CampaignState, CandidateRecord, ReevaluationRecord};
use crate::engine::executor::evaluate_guarded;
use crate::engine::{EvalContext, Evaluation, Evaluator, Outcome};
use crate::evolution::population::ranking_fitness;
use crate::hashing::Fingerprint;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;
use xxhash_rust::xxh3::xxh3_64;

/// Seed `k` of a campaign's final re-evaluation: a hash of a fixed tag, the campaign seed and
/// `k` (the tag keeps it apart from [`super::seeds::seed_of`]'s evaluation seeds).
pub fn reevaluation_seed(campaign_seed: u64, k: usize) -> u64 {
    let mut bytes = b"gevo-reevaluate".to_vec();
    bytes.extend_from_slice(&campaign_seed.to_le_bytes());
    bytes.extend_from_slice(&(k as u64).to_le_bytes());
    xxh3_64(&bytes)
}

/// The ranking key of `gevo inspect`: the cache's mean fitness of the record's functional
/// hash when it has several real evaluations, else the record's own fitness (−∞ for none).
pub fn ranking_key(r: &CandidateRecord, fec_means: &HashMap<Fingerprint, f64>) -> f64 {
    fec_means
        .get(&r.fingerprint)
        .copied()
        .or(r.fitness)
        .filter(|f| f.is_finite())
        .unwrap_or(f64::NEG_INFINITY)
}

/// The cache's mean fitness per functional hash, where it has more than one real evaluation.
pub fn fec_means(state: Option<&CampaignState>) -> HashMap<Fingerprint, f64> {
    let mut out = HashMap::new();
    if let Some(s) = state {
        for (fp, e) in &s.fec {
            if let Some(f) = ranking_fitness(None, Some(e)) {
                out.insert(*fp, f);
            }
        }
    }
    out
}

/// The top `k` distinct programs (one record per functional hash, the first-ranked) among the
/// `ok` records with a finite fitness, ranked by [`ranking_key`]; ties go to the lower id.
pub fn select_top(
    records: &[CandidateRecord],
    state: Option<&CampaignState>,
    k: usize,
) -> Vec<CandidateRecord> {
    let means = fec_means(state);
    let mut ok: Vec<&CandidateRecord> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Ok && r.fitness.is_some_and(f64::is_finite))
        .collect();
    ok.sort_by(|a, b| {
        ranking_key(b, &means)
            .total_cmp(&ranking_key(a, &means))
            .then(a.id.cmp(&b.id))
    });
    let mut seen = HashSet::new();
    ok.into_iter()
        .filter(|r| seen.insert(r.fingerprint))
        .take(k)
        .cloned()
        .collect()
}

/// What a program is trained on: the training task set, or one held-out task.
#[derive(Clone)]
pub struct Target {
    /// The task set's name (training) or the held-out task's name.
    pub task: String,
    /// Whether it is a held-out task.
    pub held_out: bool,
    /// Its evaluator.
    pub evaluator: Arc<dyn Evaluator>,
}

/// A re-evaluation to run.
#[derive(Clone)]
pub struct Plan {
    /// The training task set's name (the records' `task_set`).
    pub task_set: String,
    /// Whether it is the campaign's own training set.
    pub campaign_task_set: bool,
    /// The programs (from [`select_top`]).
    pub candidates: Vec<CandidateRecord>,
    /// The training target first, then the held-out tasks.
    pub targets: Vec<Target>,
    /// Fresh seeds per program and target (at least 1).
    pub seeds: usize,
    /// The campaign seed ([`reevaluation_seed`]).
    pub campaign_seed: u64,
    /// Wall-clock limit per run.
    pub time_limit: Option<Duration>,
    /// Worker threads.
    pub workers: usize,
}

/// How many runs a re-evaluation had to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunCounts {
    /// Runs of the plan (programs × targets × seeds).
    pub total: usize,
    /// Runs found stored and skipped.
    pub stored_before: usize,
    /// Runs trained and stored now.
    pub ran: usize,
}

/// Why a re-evaluation could not go on (failing runs are outcomes, not errors).
#[derive(Debug, thiserror::Error)]
pub enum ReevaluationError {
    /// The archive could not be read or written.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// The worker threads could not be started.
    #[error("cannot start the re-evaluation workers: {0}")]
    Start(String),
    /// A stored program does not parse.
    #[error("candidate {id}: unreadable program: {message}")]
    Program {
        /// The candidate.
        id: u64,
        /// The parse error.
        message: String,
    },
    /// The workers went away with runs in flight.
    #[error("the re-evaluation workers stopped with {0} run(s) in flight")]
    Disconnected(usize),
}

/// Runs `plan`, skipping the runs `archive` already holds; calls `on_run(record, counts)`
/// after each run is stored.
///
/// # Errors
/// [`ReevaluationError`]: archive I/O, unparsable programs, workers that cannot start.
pub fn run(
    archive: &Archive,
    plan: &Plan,
    mut on_run: impl FnMut(&ReevaluationRecord, &RunCounts),
) -> Result<RunCounts, ReevaluationError> {
    let mut counts = RunCounts::default();
    let mut todo: Vec<(usize, usize, usize)> = Vec::new(); // (seed, candidate, target)
    for k in 0..plan.seeds.max(1) {
        for (c, cand) in plan.candidates.iter().enumerate() {
            for (t, target) in plan.targets.iter().enumerate() {
                counts.total += 1;
                if archive.has_reevaluation(&plan.task_set, cand.id, &target.task, k)? {
                    counts.stored_before += 1;
                } else {
                    todo.push((k, c, t));
                }
            }
        }
    }
    if todo.is_empty() {
        return Ok(counts);
    }
    let mut programs = Vec::with_capacity(plan.candidates.len());
    for c in &plan.candidates {
        let p = crate::program::Program::from_json(&c.program, "archive record").map_err(|e| {
            ReevaluationError::Program {
                id: c.id,
                message: e.to_string(),
            }
        })?;
        programs.push(Arc::new(p));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(plan.workers.max(1))
        .thread_name(|i| format!("gevo-reevaluate-{i}"))
        .build()
        .map_err(|e| ReevaluationError::Start(e.to_string()))?;
    let (tx, rx) = mpsc::channel::<((usize, usize, usize), u64, Evaluation)>();
    for &(k, c, t) in &todo {
        let (tx, program) = (tx.clone(), Arc::clone(&programs[c]));
        let evaluator = Arc::clone(&plan.targets[t].evaluator);
        let seed = reevaluation_seed(plan.campaign_seed, k);
        let ctx = EvalContext {
            seed,
            hurdle: None,
            time_limit: plan.time_limit,
        };
        pool.spawn(move || {
            let (e, panic) = evaluate_guarded(evaluator.as_ref(), &program, &ctx);
            if let Some(message) = panic {
                tracing::error!("re-evaluation run panicked (scored as failed): {message}");
            }
            let _ = tx.send(((k, c, t), seed, e));
        });
    }
    drop(tx);
    for left in (1..=todo.len()).rev() {
        let ((k, c, t), seed, evaluation) = rx
            .recv()
            .map_err(|_| ReevaluationError::Disconnected(left))?;
        let (cand, target) = (&plan.candidates[c], &plan.targets[t]);
        let record = ReevaluationRecord {
            task_set: plan.task_set.clone(),
            campaign_task_set: plan.campaign_task_set,
            candidate: cand.id,
            fingerprint: cand.fingerprint,
            task: target.task.clone(),
            held_out: target.held_out,
            seed_index: k,
            seed,
            evaluation,
            created_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        };
        archive.put_reevaluation(&record)?;
        counts.ran += 1;
        on_run(&record, &counts);
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Cost;
    use crate::hashing::fec::FecEntry;
    use crate::program::Program;
    use crate::program::space::SearchSpace;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Fitness = seed / 2⁶⁴ (in [0, 1)), plus 1 on a held-out target; counts its calls.
    struct SeedEcho(SearchSpace, f64, AtomicUsize);

    impl Evaluator for SeedEcho {
        fn space(&self) -> &SearchSpace {
            &self.0
        }
        fn task_name(&self) -> &str {
            "echo"
        }
        fn evaluate(&self, _: &Program, ctx: &EvalContext) -> Evaluation {
            self.2.fetch_add(1, Ordering::SeqCst);
            assert!(ctx.hurdle.is_none());
            Evaluation {
                fitness: Some(ctx.seed as f64 / 2f64.powi(64) + self.1),
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

    fn space() -> SearchSpace {
        crate::catalog::load_space("symbolic_regression")
            .unwrap()
            .with_task_inputs(&["x".to_string()])
    }

    fn record(id: u64, fp: u128, fitness: Option<f64>, program: &Program) -> CandidateRecord {
        CandidateRecord {
            id,
            seq: id,
            program: program.to_json(),
            expression: format!("p{id}"),
            size: 1,
            fingerprint: Fingerprint(fp),
            structural_hash: 0,
            fitness,
            test_score: None,
            details: vec![],
            outcome: if fitness.is_some() {
                Outcome::Ok
            } else {
                Outcome::Diverged
            },
            parent: None,
            mutation: None,
            seed: None,
            fec_hit: false,
            cost: Cost::default(),
            created_unix: 0.0,
        }
    }

    fn program() -> Program {
        crate::program::generate::random_program(
            &space(),
            &mut <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0),
        )
        .unwrap()
    }

    #[test]
    fn the_top_programs_are_distinct_and_ranked_by_the_cache_mean() {
        let p = program();
        let records = vec![
            record(0, 1, Some(0.9), &p), // lucky run of function 1, whose mean is 0.2
            record(1, 2, Some(0.5), &p),
            record(2, 2, Some(0.6), &p), // a copy of function 2
            record(3, 3, Some(0.4), &p),
            record(4, 4, None, &p),
        ];
        let entry = FecEntry {
            fitness: Some(0.2),
            test_score: None,
            outcome: Outcome::Ok,
            evaluations: 3,
            hits: 0,
            first_id: 0,
        };
        let state = CampaignState {
            next_id: 5,
            inserted: 5,
            population: vec![],
            rng: <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0),
            stats: Default::default(),
            fec: vec![(Fingerprint(1), entry)],
            finished: true,
        };
        let ids = |v: Vec<CandidateRecord>| v.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(select_top(&records, Some(&state), 10)), [2, 3, 0]);
        assert_eq!(ids(select_top(&records, None, 2)), [0, 2]);
    }

    #[test]
    fn runs_are_stored_once_with_shared_fresh_seeds_and_a_rerun_skips_them() {
        let t = tempfile::tempdir().unwrap();
        let archive = Archive::create(&t.path().join("a"), "{}").unwrap();
        let p = program();
        let train = Arc::new(SeedEcho(space(), 0.0, AtomicUsize::new(0)));
        let held = Arc::new(SeedEcho(space(), 1.0, AtomicUsize::new(0)));
        let plan = Plan {
            task_set: "t".into(),
            campaign_task_set: true,
            candidates: vec![record(4, 1, Some(0.5), &p), record(7, 2, Some(0.4), &p)],
            targets: vec![
                Target {
                    task: "t".into(),
                    held_out: false,
                    evaluator: train.clone(),
                },
                Target {
                    task: "h".into(),
                    held_out: true,
                    evaluator: held.clone(),
                },
            ],
            seeds: 3,
            campaign_seed: 11,
            time_limit: None,
            workers: 2,
        };
        let mut seen = 0;
        let c = run(&archive, &plan, |_, c| seen = c.ran).unwrap();
        assert_eq!((c.total, c.stored_before, c.ran, seen), (12, 0, 12, 12));
        let stored = archive.reevaluations().unwrap();
        assert_eq!(stored.len(), 12);
        for r in &stored {
            let seed = reevaluation_seed(11, r.seed_index);
            assert_eq!(r.seed, seed);
            assert_ne!(
                seed,
                super::super::seeds::seed_of(11, r.candidate, r.seed_index)
            );
            assert_eq!(r.held_out, r.task == "h");
        }
        let seeds: HashSet<u64> = stored.iter().map(|r| r.seed).collect();
        assert_eq!(
            seeds.len(),
            3,
            "one seed per index, shared by programs and tasks"
        );
        // A rerun (also with one more seed) trains only what is missing.
        let c = run(&archive, &Plan { seeds: 4, ..plan }, |_, _| {}).unwrap();
        assert_eq!((c.total, c.stored_before, c.ran), (16, 12, 4));
        assert_eq!(train.2.load(Ordering::SeqCst), 8);
        assert_eq!(held.2.load(Ordering::SeqCst), 8);
    }
}
