//! The campaign loop: propose (tournament + mutation), deduplicate (functional hash + FEC),
//! evaluate in parallel, insert (aging), archive, resume.
//!
//! Two modes:
//! - **asynchronous** (default): `workers` evaluations stay in flight; each finished child is
//!   inserted at once and the next child is proposed from the population as it is then (the
//!   steady-state scheme of Real et al. 2019);
//! - **deterministic**: children are proposed in batches of `batch` from the population at the
//!   batch start, evaluated in parallel and inserted in id order, so the same seed gives the same
//!   archive regardless of thread timing or worker count.
//!
//! With a guide (`--guide discriminator`, [`crate::guide`]) the mutation step becomes
//! predictor-guided mutation (PAM-RT) once the discriminator is warmed up, every real evaluation
//! feeds its replay buffer, and it retrains between insertions (asynchronous mode) or between
//! batches (deterministic mode, so a seed still fixes the archive).

use super::config::CampaignConfig;
use super::population::{Member, Population};
use crate::archive::store::PendingEvaluation;
use crate::archive::{Archive, ArchiveError, CampaignState, CandidateRecord, LiveSummary, Stats};
use crate::engine::{Cost, EvalContext, Evaluation, Evaluator, Outcome};
use crate::guide::buffer::{label, rank as label_rank};
use crate::guide::pam::Judgement;
use crate::guide::{OnlineDiscriminator, guided_mutation};
use crate::hashing::fec::{FecEntry, Lookup};
use crate::hashing::{
    Fingerprint, FunctionalEquivalenceCache, fingerprint_of_outputs, structural_hash,
};
use crate::program::Program;
use crate::program::generate::random_program;
use crate::program::mutate::{MutationKind, mutate};
use crate::program::print::infix_top;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use xxhash_rust::xxh3::xxh3_64;

/// Receives progress as records are inserted.
pub trait CampaignObserver {
    /// Called after each insertion.
    fn on_insert(&mut self, record: &CandidateRecord, stats: &Stats, budget: u64);
}

/// A no-op observer.
impl CampaignObserver for () {
    fn on_insert(&mut self, _: &CandidateRecord, _: &Stats, _: u64) {}
}

/// A proposed child, before evaluation.
#[derive(Debug, Clone)]
struct Proposal {
    id: u64,
    program: Program,
    parent: Option<u64>,
    mutation: Option<MutationKind>,
    seed: Option<String>,
    fingerprint: Fingerprint,
    hurdle: Option<f64>,
    /// The parent's label rank, when the discriminator accepted this child by a prediction
    /// (to measure acceptance precision once it is evaluated).
    accepted_over: Option<f64>,
}

const TOP_K: usize = 100;
const COMMIT_EVERY: Duration = Duration::from_millis(100);
const LIVE_EVERY: Duration = Duration::from_millis(1000);
/// Evaluations at least this long are persisted as soon as they finish in deterministic mode.
const PENDING_MIN_SECS: f64 = 0.05;

/// A running campaign.
pub struct Campaign {
    config: CampaignConfig,
    evaluator: Arc<dyn Evaluator>,
    archive: Archive,
    seeds: Vec<(String, Program)>,
    programs: HashMap<u64, Program>,
    population: Population,
    fec: FunctionalEquivalenceCache,
    guide: Option<OnlineDiscriminator>,
    rng: ChaCha8Rng,
    next_id: u64,
    inserted: u64,
    stats: Stats,
    top: Vec<CandidateRecord>,
    unsaved: Vec<CandidateRecord>,
    wall_base: f64,
    started: Instant,
    last_commit: Instant,
    last_live: Instant,
}

fn now_unix() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl Campaign {
    /// Starts a new campaign in a freshly created archive.
    ///
    /// # Errors
    /// A seed program that does not parse or fails validation in the evaluator's space.
    pub fn new(
        config: CampaignConfig,
        evaluator: Arc<dyn Evaluator>,
        archive: Archive,
    ) -> anyhow::Result<Campaign> {
        let seeds = parse_seeds(&config, evaluator.as_ref())?;
        let rng = ChaCha8Rng::seed_from_u64(config.seed);
        let now = Instant::now();
        let guide = config.guide.enabled().then(|| {
            OnlineDiscriminator::new(config.guide.clone(), evaluator.space(), config.seed)
        });
        Ok(Campaign {
            fec: FunctionalEquivalenceCache::new(config.fec.clone()),
            guide,
            population: Population::new(config.population),
            config,
            evaluator,
            archive,
            seeds,
            programs: HashMap::new(),
            rng,
            next_id: 0,
            inserted: 0,
            stats: Stats::default(),
            top: vec![],
            unsaved: vec![],
            wall_base: 0.0,
            started: now,
            last_commit: now,
            last_live: now - LIVE_EVERY,
        })
    }

    /// Reopens a campaign from its archive's last committed state. Records inserted after that
    /// state (possible only in asynchronous mode) are adopted in insertion order; evaluations of
    /// an uncommitted deterministic batch are reused when their candidates are proposed again.
    ///
    /// # Errors
    /// Archive errors; a state that refers to missing records.
    pub fn resume(
        config: CampaignConfig,
        evaluator: Arc<dyn Evaluator>,
        archive: Archive,
    ) -> anyhow::Result<Campaign> {
        let state = archive.state()?;
        let mut c = Campaign::new(config, evaluator, archive)?;
        let records = c.archive.records()?;
        let by_id: HashMap<u64, &CandidateRecord> = records.iter().map(|r| (r.id, r)).collect();
        if let Some(s) = state {
            c.next_id = s.next_id;
            c.inserted = s.inserted;
            c.rng = s.rng;
            c.stats = s.stats;
            c.wall_base = c.stats.wall_secs;
            c.fec = FunctionalEquivalenceCache::restore(c.config.fec.clone(), s.fec);
            for id in s.population {
                let r = by_id.get(&id).ok_or_else(|| ArchiveError::Corrupt {
                    path: c.archive.dir().to_path_buf(),
                    message: format!("population member {id} has no record"),
                })?;
                c.population.push(Member {
                    id,
                    fitness: r.fitness,
                    size: r.size,
                });
                c.programs.insert(id, r.program());
            }
        }
        if c.config.guide.enabled() {
            match c.archive.guide()? {
                Some(snap) => {
                    let g = OnlineDiscriminator::restore(
                        c.config.guide.clone(),
                        c.evaluator.space(),
                        snap,
                        |id| by_id.get(&id).map(|r| r.program()),
                    )
                    .map_err(|e| ArchiveError::Corrupt {
                        path: c.archive.dir().to_path_buf(),
                        message: e.to_string(),
                    })?;
                    c.guide = Some(g);
                }
                None => {
                    // No committed guide state (the campaign stopped before its first commit):
                    // rebuild the buffer from the committed records.
                    let mut done: Vec<&CandidateRecord> = records
                        .iter()
                        .filter(|r| r.seq < c.inserted && !r.fec_hit)
                        .collect();
                    done.sort_by_key(|r| r.seq);
                    if let Some(g) = c.guide.as_mut() {
                        for r in done {
                            g.observe(r.fingerprint, r.id, &r.program(), r.fitness);
                        }
                    }
                }
            }
        }
        let mut late: Vec<&CandidateRecord> =
            records.iter().filter(|r| r.seq >= c.inserted).collect();
        late.sort_by_key(|r| r.seq);
        for r in late {
            c.adopt(r.clone());
        }
        let mut top: Vec<CandidateRecord> =
            records.into_iter().filter(|r| r.seq < c.inserted).collect();
        top.sort_by(|a, b| rank(b).total_cmp(&rank(a)));
        top.truncate(TOP_K);
        c.top = top;
        Ok(c)
    }

    /// Counters so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The archive.
    pub fn archive(&self) -> &Archive {
        &self.archive
    }

    /// Settings.
    pub fn config(&self) -> &CampaignConfig {
        &self.config
    }

    /// The guide, when the campaign runs one.
    pub fn guide(&self) -> Option<&OnlineDiscriminator> {
        self.guide.as_ref()
    }

    /// Best records so far, best first (at most 100).
    pub fn top(&self) -> &[CandidateRecord] {
        &self.top
    }

    /// Runs until the budget is spent.
    ///
    /// # Errors
    /// Archive write failures (evaluation failures are outcomes, not errors).
    pub fn run(&mut self, observer: &mut dyn CampaignObserver) -> anyhow::Result<()> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.config.workers.max(1))
            .thread_name(|i| format!("gevo-worker-{i}"))
            .build()?;
        if self.config.deterministic {
            self.run_deterministic(&pool, observer)?;
        } else {
            self.run_async(&pool, observer)?;
        }
        self.commit(true)?;
        Ok(())
    }

    fn eval_context(&self, p: &Proposal) -> EvalContext {
        EvalContext {
            seed: xxh3_64(&[self.config.seed.to_le_bytes(), p.id.to_le_bytes()].concat()),
            hurdle: p.hurdle,
            time_limit: self.config.time_limit_secs.map(Duration::from_secs_f64),
        }
    }

    fn run_async(
        &mut self,
        pool: &rayon::ThreadPool,
        observer: &mut dyn CampaignObserver,
    ) -> anyhow::Result<()> {
        let (tx, rx) = mpsc::channel::<(Proposal, Evaluation)>();
        let workers = self.config.workers.max(1);
        let mut in_flight = 0usize;
        loop {
            // Count insertions, not ids: ids proposed but lost to a kill are never evaluated.
            while in_flight < workers
                && self.inserted + (in_flight as u64) < self.config.budget
                && self.evaluations_left(in_flight as u64)
            {
                let p = self.propose();
                match self.fec.lookup(p.fingerprint, &mut self.rng) {
                    Lookup::Hit(e) => {
                        let rec = self.record_hit(p, &e);
                        self.insert(rec, observer)?;
                    }
                    Lookup::Miss => {
                        let ctx = self.eval_context(&p);
                        let ev = Arc::clone(&self.evaluator);
                        let tx = tx.clone();
                        in_flight += 1;
                        pool.spawn(move || {
                            let e = evaluate_guarded(ev.as_ref(), &p.program, &ctx);
                            let _ = tx.send((p, e));
                        });
                    }
                }
            }
            if in_flight == 0 {
                break;
            }
            let (p, e) = rx.recv()?;
            in_flight -= 1;
            let rec = self.record_evaluated(p, e);
            self.insert(rec, observer)?;
            // Workers keep evaluating while the guide retrains here.
            self.maintain_guide();
        }
        Ok(())
    }

    fn run_deterministic(
        &mut self,
        pool: &rayon::ThreadPool,
        observer: &mut dyn CampaignObserver,
    ) -> anyhow::Result<()> {
        while self.inserted < self.config.budget && self.evaluations_left(0) {
            let n = (self.config.budget - self.inserted).min(self.config.batch.max(1) as u64);
            let proposals: Vec<Proposal> = (0..n).map(|_| self.propose()).collect();
            let mut hits: HashMap<u64, FecEntry> = HashMap::new();
            let mut reused: HashMap<u64, Evaluation> = HashMap::new();
            let mut todo = Vec::new();
            for p in &proposals {
                match self.fec.lookup(p.fingerprint, &mut self.rng) {
                    Lookup::Hit(e) => {
                        hits.insert(p.id, e);
                    }
                    Lookup::Miss => match self.archive.pending(p.id)? {
                        Some(pe) if pe.fingerprint == p.fingerprint => {
                            reused.insert(p.id, pe.evaluation);
                        }
                        _ => todo.push((p.clone(), self.eval_context(p))),
                    },
                }
            }
            let archive = &self.archive;
            let ev = &self.evaluator;
            let results: Vec<(u64, Evaluation)> = pool.install(|| {
                todo.par_iter()
                    .map(|(p, ctx)| {
                        let e = evaluate_guarded(ev.as_ref(), &p.program, ctx);
                        // Keep costly finished work across a kill (cheap work is simply redone);
                        // a write failure only costs a re-run.
                        if e.cost.wall_secs >= PENDING_MIN_SECS {
                            let pending = PendingEvaluation {
                                fingerprint: p.fingerprint,
                                evaluation: e.clone(),
                            };
                            let _ = archive.put_pending(p.id, &pending);
                        }
                        (p.id, e)
                    })
                    .collect()
            });
            reused.extend(results);
            for p in proposals {
                let rec = if let Some(e) = hits.remove(&p.id) {
                    self.record_hit(p, &e)
                } else {
                    let e = reused.remove(&p.id).expect("every miss was evaluated");
                    self.record_evaluated(p, e)
                };
                self.insert(rec, observer)?;
            }
            // Retrain only at batch boundaries, so the batch's proposals do not depend on timing.
            self.maintain_guide();
            // Commit only at batch boundaries, where the state is reproducible.
            if self.last_commit.elapsed() >= COMMIT_EVERY {
                self.commit(false)?;
            }
        }
        Ok(())
    }

    /// Whether real evaluations may still start, with `in_flight` already running.
    fn evaluations_left(&self, in_flight: u64) -> bool {
        self.config
            .max_evaluations
            .is_none_or(|m| self.stats.evaluations + in_flight < m)
    }

    /// Whether the campaign has spent its budget (candidates, or real evaluations).
    fn budget_spent(&self) -> bool {
        self.inserted >= self.config.budget || !self.evaluations_left(0)
    }

    /// Retrains the guide when it is due.
    fn maintain_guide(&mut self) {
        if let Some(g) = self.guide.as_mut()
            && g.retrain_due()
        {
            g.retrain();
        }
    }

    /// PAM-RT: mutate `parent_program` until the discriminator accepts a child (or the retry cap
    /// runs out). Returns the child, its mutation, its fingerprint and, when it was accepted by a
    /// prediction, the parent's label rank.
    fn guided_child(
        &mut self,
        parent_fitness: Option<f64>,
        parent_program: &Program,
    ) -> (Program, MutationKind, Fingerprint, Option<f64>) {
        let guide = self.guide.as_mut().expect("guided proposals need a guide");
        let space = self.evaluator.space();
        let evaluator = &self.evaluator;
        let config = &self.config;
        let rng = &mut self.rng;
        let parent_rank = label_rank(parent_fitness);
        let tie = config.guide.tie_tolerance;
        let known_tie_score = if config.guide.accept_known_ties {
            1.0
        } else {
            0.0
        };
        let parent_z = guide.embed(parent_program);
        let start = (
            parent_program.clone(),
            MutationKind::ReplaceOp,
            Fingerprint(0),
        );
        let out = guided_mutation(
            &start,
            config.guide.threshold,
            config.guide.max_retries,
            config.guide.retry_from,
            |base| {
                let (child, kind) = mutate(&base.0, space, &config.mutation, rng);
                let fp = fingerprint_of_outputs(
                    &evaluator.probe_outputs(&child),
                    config.fec.mantissa_bits,
                );
                (child, kind, fp)
            },
            |c| match guide.known_fitness(&c.2) {
                // A tie is not an improvement: only a known better child scores 1, unless
                // known ties are accepted (`accept_known_ties`).
                Some(f) => Judgement::Known(
                    label(label_rank(f), parent_rank, tie).map_or(known_tie_score, f64::from),
                ),
                None => {
                    let z = guide.embed(&c.0);
                    Judgement::Predicted(guide.probability(&z, &parent_z))
                }
            },
        );
        let st = &mut guide.stats;
        st.guided_proposals += 1;
        st.free_labels += out.free_labels as u64;
        st.rejected += out.tries as u64 - 1;
        st.cap_reached += u64::from(out.cap_reached);
        let accepted_over = match out.judgement {
            Judgement::Predicted(_) if !out.cap_reached => Some(parent_rank),
            _ => None,
        };
        let (child, kind, fp) = out.child;
        (child, kind, fp, accepted_over)
    }

    /// Draws the next child: initial population first (seeds, their mutations, or random
    /// programs), then tournament + mutation.
    fn propose(&mut self) -> Proposal {
        let id = self.next_id;
        self.next_id += 1;
        let space = self.evaluator.space();
        let initial = (id as usize) < self.config.population || self.population.is_empty();
        let mut guided: Option<(Fingerprint, Option<f64>)> = None;
        let (program, parent, mutation, seed) = if initial {
            if let Some((name, p)) = self.seeds.get(id as usize) {
                (p.clone(), None, None, Some(name.clone()))
            } else if !self.seeds.is_empty() {
                let k = self.rng.random_range(0..self.seeds.len());
                let (name, p) = &self.seeds[k];
                let (child, kind) = mutate(p, space, &self.config.mutation, &mut self.rng);
                (child, None, Some(kind), Some(name.clone()))
            } else {
                let p = random_program(space, &mut self.rng)
                    .expect("the space can produce valid programs");
                (p, None, None, None)
            }
        } else {
            let parent = self
                .population
                .tournament(self.config.tournament, &mut self.rng)
                .expect("population is not empty");
            let pp = &self.programs[&parent.id];
            if self.guide.as_ref().is_some_and(|g| g.ready()) {
                let pp = pp.clone();
                let (child, kind, fp, accepted_over) = self.guided_child(parent.fitness, &pp);
                guided = Some((fp, accepted_over));
                (child, Some(parent.id), Some(kind), None)
            } else {
                let (child, kind) = mutate(pp, space, &self.config.mutation, &mut self.rng);
                (child, Some(parent.id), Some(kind), None)
            }
        };
        let (fingerprint, accepted_over) = match guided {
            Some(g) => g,
            None => {
                let outputs = self.evaluator.probe_outputs(&program);
                (
                    fingerprint_of_outputs(&outputs, self.config.fec.mantissa_bits),
                    None,
                )
            }
        };
        Proposal {
            id,
            program,
            parent,
            mutation,
            seed,
            fingerprint,
            hurdle: self.config.hurdle.current(&self.population),
            accepted_over,
        }
    }

    fn base_record(&self, p: &Proposal) -> CandidateRecord {
        CandidateRecord {
            id: p.id,
            seq: 0,
            program: serde_json::to_string(&p.program).expect("programs serialize"),
            expression: infix_top(&p.program),
            size: p.program.size(),
            fingerprint: p.fingerprint,
            structural_hash: structural_hash(&p.program),
            fitness: None,
            test_score: None,
            details: vec![],
            outcome: Outcome::Ok,
            parent: p.parent,
            mutation: p.mutation,
            seed: p.seed.clone(),
            fec_hit: false,
            cost: Cost::default(),
            created_unix: now_unix(),
        }
    }

    fn record_hit(&mut self, p: Proposal, e: &FecEntry) -> CandidateRecord {
        let mut r = self.base_record(&p);
        r.fitness = e.fitness;
        r.test_score = e.test_score;
        r.outcome = e.outcome;
        r.fec_hit = true;
        self.programs.insert(p.id, p.program);
        r
    }

    fn record_evaluated(&mut self, p: Proposal, e: Evaluation) -> CandidateRecord {
        let mut r = self.base_record(&p);
        // Hurdle stops are cached too: a functional duplicate would stop at the same hurdle.
        self.fec
            .record(p.fingerprint, p.id, e.fitness, e.test_score, e.outcome);
        if let Some(g) = self.guide.as_mut() {
            g.observe(p.fingerprint, p.id, &p.program, e.fitness);
            if let Some(parent_rank) = p.accepted_over {
                g.stats.accepted_evaluated += 1;
                if label(label_rank(e.fitness), parent_rank, g.config().tie_tolerance) == Some(1.0)
                {
                    g.stats.accepted_better += 1;
                }
            }
        }
        r.fitness = e.fitness;
        r.test_score = e.test_score;
        r.details = e.details;
        r.outcome = e.outcome;
        r.cost = e.cost;
        self.programs.insert(p.id, p.program);
        r
    }

    /// Inserts a record that was archived but not yet part of the committed state.
    fn adopt(&mut self, r: CandidateRecord) {
        self.programs.insert(r.id, r.program());
        if !r.fec_hit {
            self.fec
                .record(r.fingerprint, r.id, r.fitness, r.test_score, r.outcome);
            if let Some(g) = self.guide.as_mut() {
                g.observe(r.fingerprint, r.id, &r.program(), r.fitness);
            }
        }
        self.stats.count(&r);
        if let Some(old) = self.population.push(Member {
            id: r.id,
            fitness: r.fitness,
            size: r.size,
        }) {
            self.programs.remove(&old.id);
        }
        self.next_id = self.next_id.max(r.id + 1);
        self.inserted = r.seq + 1;
    }

    fn insert(
        &mut self,
        mut r: CandidateRecord,
        observer: &mut dyn CampaignObserver,
    ) -> anyhow::Result<()> {
        r.seq = self.inserted;
        self.inserted += 1;
        self.stats.count(&r);
        self.stats.wall_secs = self.wall_base + self.started.elapsed().as_secs_f64();
        if let Some(old) = self.population.push(Member {
            id: r.id,
            fitness: r.fitness,
            size: r.size,
        }) {
            self.programs.remove(&old.id);
        }
        if r.fitness.is_some() && r.outcome == Outcome::Ok {
            let pos = self.top.partition_point(|t| rank(t) >= rank(&r));
            if pos < TOP_K {
                self.top.insert(pos, r.clone());
                self.top.truncate(TOP_K);
            }
        }
        observer.on_insert(&r, &self.stats, self.config.budget);
        self.unsaved.push(r);
        if !self.config.deterministic && self.last_commit.elapsed() >= COMMIT_EVERY {
            self.commit(false)?;
        }
        Ok(())
    }

    fn commit(&mut self, finished: bool) -> anyhow::Result<()> {
        self.stats.wall_secs = self.wall_base + self.started.elapsed().as_secs_f64();
        self.archive.put_records(&self.unsaved)?;
        self.unsaved.clear();
        let finished = finished && self.budget_spent();
        let state = CampaignState {
            next_id: self.next_id,
            inserted: self.inserted,
            population: self.population.members().map(|m| m.id).collect(),
            rng: self.rng.clone(),
            stats: self.stats.clone(),
            fec: self.fec.snapshot(),
            finished,
        };
        let guide = self.guide.as_ref().map(|g| g.snapshot());
        self.archive
            .commit_state_with_guide(&state, guide.as_ref())?;
        self.last_commit = Instant::now();
        if finished || self.last_live.elapsed() >= LIVE_EVERY {
            self.last_live = Instant::now();
            let live = LiveSummary {
                pid: std::process::id(),
                updated_unix: now_unix(),
                finished,
                budget: self.config.budget,
                stats: self.stats.clone(),
                top: self.top.clone(),
                guide: self.guide.as_ref().map(|g| g.stats.clone()),
            };
            // The summary is a convenience for concurrent readers; the archive is the record.
            let _ = live.write(self.archive.dir());
        }
        Ok(())
    }
}

/// Evaluates, turning a panic inside the evaluator into an `invalid` outcome so one bad
/// candidate cannot stop (or hang) the campaign.
fn evaluate_guarded(ev: &dyn Evaluator, p: &Program, ctx: &EvalContext) -> Evaluation {
    let start = Instant::now();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ev.evaluate(p, ctx))).unwrap_or_else(
        |_| {
            tracing::error!("evaluation panicked; recorded as invalid: {}", infix_top(p));
            Evaluation::failed(
                Outcome::Invalid,
                Cost {
                    wall_secs: start.elapsed().as_secs_f64(),
                    steps: 0,
                },
            )
        },
    )
}

/// Sort key of records: fitness, failures last.
fn rank(r: &CandidateRecord) -> f64 {
    r.fitness
        .filter(|f| f.is_finite())
        .unwrap_or(f64::NEG_INFINITY)
}

fn parse_seeds(
    config: &CampaignConfig,
    evaluator: &dyn Evaluator,
) -> anyhow::Result<Vec<(String, Program)>> {
    let mut out = Vec::new();
    for (name, text) in &config.seeds {
        let p = Program::from_json(text, name)?;
        crate::program::validate::validate(&p, evaluator.space())
            .map_err(|e| anyhow::anyhow!("seed `{name}`: {e}"))?;
        out.push((name.clone(), p));
    }
    Ok(out)
}
