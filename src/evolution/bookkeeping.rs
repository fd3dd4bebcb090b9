//! The campaign's bookkeeping: the population, the FEC, the guide, the archive, the top-K and
//! the live summary. It proposes children (tournament + mutation, or PAM-RT with a guide),
//! serves functional duplicates from the cache, and takes results back in insertion order;
//! the scheduler ([`super::scheduler`]) decides when, and an [`crate::engine::Executor`]
//! evaluates.

use super::campaign::CampaignError;
use super::config::CampaignConfig;
use super::population::{Member, Population, ranking_fitness};
use super::seeds::seed_of;
use crate::archive::store::PendingEvaluation;
use crate::archive::{Archive, ArchiveError, CampaignState, CandidateRecord, LiveSummary, Stats};
use crate::engine::{Cost, EvalContext, EvalRequest, Evaluation, Evaluator, Improvement, Outcome};
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
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Receives progress as records are inserted.
pub trait CampaignObserver {
    /// Called after each insertion.
    fn on_insert(&mut self, record: &CandidateRecord, stats: &Stats, budget: u64);
    /// Called once when the campaign sees a stop request ([`super::campaign::StopSignal`]),
    /// with the evaluations still in flight and how long it waits for them.
    fn on_stop(&mut self, in_flight: usize, grace: Duration) {
        let _ = (in_flight, grace);
    }
}

/// A no-op observer.
impl CampaignObserver for () {
    fn on_insert(&mut self, _: &CandidateRecord, _: &Stats, _: u64) {}
}

/// A proposed child, before evaluation.
#[derive(Debug, Clone)]
pub(super) struct Proposal {
    pub(super) id: u64,
    program: Program,
    parent: Option<u64>,
    mutation: Option<MutationKind>,
    seed: Option<String>,
    pub(super) fingerprint: Fingerprint,
    hurdle: Option<f64>,
    /// The parent's label rank, when the discriminator accepted this child by a prediction
    /// (to measure acceptance precision once it is evaluated).
    accepted_over: Option<f64>,
}

/// Seed index of the `optimize_constants` draw and fit seed (apart from the training seeds).
const IMPROVE_DRAW: usize = 1 << 20;

/// Records kept for `inspect` and the live summary.
pub(super) const TOP_K: usize = 100;
const COMMIT_EVERY: Duration = Duration::from_millis(100);
const LIVE_EVERY: Duration = Duration::from_millis(1000);

/// Everything a campaign knows between evaluations.
pub(super) struct Bookkeeping {
    pub(super) config: CampaignConfig,
    /// Spaces and probe outputs (fingerprints are computed here, not by the executor).
    pub(super) evaluator: Arc<dyn Evaluator>,
    pub(super) archive: Archive,
    seeds: Vec<(String, Program)>,
    programs: HashMap<u64, Program>,
    population: Population,
    fec: FunctionalEquivalenceCache,
    pub(super) guide: Option<OnlineDiscriminator>,
    rng: ChaCha8Rng,
    next_id: u64,
    pub(super) inserted: u64,
    pub(super) stats: Stats,
    pub(super) top: Vec<CandidateRecord>,
    /// Best fitness per size over fully evaluated records: the hall of fame that
    /// `optimize_constants` always improves new entries of.
    hall_of_fame: HashMap<usize, f64>,
    unsaved: Vec<CandidateRecord>,
    /// Panic messages of candidates whose evaluation panicked, until they are recorded.
    panics: HashMap<u64, String>,
    /// Panic messages of recorded candidates, written with the next commit.
    unsaved_messages: Vec<(u64, String)>,
    /// Candidates inserted in this session per outcome other than `ok`.
    pub(super) failure_counts: HashMap<Outcome, u64>,
    /// The first panic recorded in this session: candidate id and message.
    pub(super) first_panic: Option<(u64, String)>,
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

impl Bookkeeping {
    /// Fresh bookkeeping over checked seed programs.
    pub(super) fn new(
        config: CampaignConfig,
        evaluator: Arc<dyn Evaluator>,
        archive: Archive,
        seeds: Vec<(String, Program)>,
    ) -> Self {
        let rng = ChaCha8Rng::seed_from_u64(config.seed);
        let now = Instant::now();
        let guide = config.guide.enabled().then(|| {
            OnlineDiscriminator::new(config.guide.clone(), evaluator.space(), config.seed)
        });
        Bookkeeping {
            fec: FunctionalEquivalenceCache::new(config.fec.clone()),
            guide,
            population: Population::with_max_duplicates(config.population, config.max_duplicates),
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
            hall_of_fame: HashMap::new(),
            unsaved: vec![],
            panics: HashMap::new(),
            unsaved_messages: vec![],
            failure_counts: HashMap::new(),
            first_panic: None,
            wall_base: 0.0,
            started: now,
            last_commit: now,
            last_live: now - LIVE_EVERY,
        }
    }

    /// Restores the archive's last committed state. Records inserted after that state
    /// (possible only in asynchronous mode) are adopted in insertion order.
    pub(super) fn restore(&mut self) -> Result<(), ArchiveError> {
        let state = self.archive.state()?;
        let records = self.archive.records()?;
        let by_id: HashMap<u64, &CandidateRecord> = records.iter().map(|r| (r.id, r)).collect();
        if let Some(s) = state {
            self.next_id = s.next_id;
            self.inserted = s.inserted;
            self.rng = s.rng;
            self.stats = s.stats;
            self.wall_base = self.stats.wall_secs;
            self.fec = FunctionalEquivalenceCache::restore(self.config.fec.clone(), s.fec);
            for id in s.population {
                let r = by_id.get(&id).ok_or_else(|| ArchiveError::Corrupt {
                    path: self.archive.dir().to_path_buf(),
                    message: format!("population member {id} has no record"),
                })?;
                self.population.push(Member {
                    id,
                    fitness: r.fitness,
                    size: r.size,
                    fingerprint: r.fingerprint,
                });
                let program = self.record_program(r)?;
                self.programs.insert(id, program);
            }
        }
        if self.config.guide.enabled() {
            match self.archive.guide()? {
                Some(snap) => {
                    let g = OnlineDiscriminator::restore(
                        self.config.guide.clone(),
                        self.evaluator.space(),
                        snap,
                        |id| by_id.get(&id).and_then(|r| r.program().ok()),
                    )
                    .map_err(|e| ArchiveError::Corrupt {
                        path: self.archive.dir().to_path_buf(),
                        message: e.to_string(),
                    })?;
                    self.guide = Some(g);
                }
                None => {
                    // No committed guide state (the campaign stopped before its first commit):
                    // rebuild the buffer from the committed records.
                    let mut done: Vec<&CandidateRecord> = records
                        .iter()
                        .filter(|r| r.seq < self.inserted && !r.fec_hit)
                        .collect();
                    done.sort_by_key(|r| r.seq);
                    let programs = done
                        .iter()
                        .map(|r| self.record_program(r))
                        .collect::<Result<Vec<_>, _>>()?;
                    if let Some(g) = self.guide.as_mut() {
                        for (r, program) in done.iter().zip(&programs) {
                            g.observe(r.fingerprint, r.id, program, r.fitness);
                        }
                    }
                }
            }
        }
        let inserted = self.inserted;
        for r in records.iter().filter(|r| r.seq < inserted) {
            self.note_hall_of_fame(r);
        }
        let mut late: Vec<&CandidateRecord> =
            records.iter().filter(|r| r.seq >= self.inserted).collect();
        late.sort_by_key(|r| r.seq);
        for r in late {
            self.adopt(r.clone())?;
        }
        let mut top: Vec<CandidateRecord> = records
            .into_iter()
            .filter(|r| r.seq < self.inserted)
            .collect();
        top.sort_by(|a, b| self.top_rank(b).total_cmp(&self.top_rank(a)));
        top.truncate(TOP_K);
        self.top = top;
        Ok(())
    }

    /// Whether real evaluations may still start, with `in_flight` already running.
    pub(super) fn evaluations_left(&self, in_flight: u64) -> bool {
        self.config
            .max_evaluations
            .is_none_or(|m| self.stats.evaluations + in_flight < m)
    }

    /// Whether the campaign has spent its budget (candidates, or real evaluations).
    fn budget_spent(&self) -> bool {
        self.inserted >= self.config.budget || !self.evaluations_left(0)
    }

    /// Retrains the guide when it is due.
    pub(super) fn maintain_guide(&mut self) {
        if let Some(g) = self.guide.as_mut()
            && g.retrain_due()
        {
            g.retrain();
        }
    }

    /// The evaluation requests of a proposal, one per training seed (`eval_seeds`, at least
    /// one): each seed is derived from the campaign seed, the candidate id and the seed index
    /// ([`seed_of`]), so it does not depend on who evaluates it or when.
    pub(super) fn requests(&self, p: &Proposal) -> Vec<EvalRequest> {
        (0..self.config.eval_seeds.max(1))
            .map(|k| EvalRequest {
                candidate: p.id,
                seed_index: k,
                program: p.program.clone(),
                context: EvalContext {
                    seed: seed_of(self.config.seed, p.id, k),
                    hurdle: p.hurdle,
                    time_limit: self.config.time_limit_secs.map(Duration::from_secs_f64),
                },
            })
            .collect()
    }

    /// Looks a proposal up in the functional equivalence cache.
    pub(super) fn lookup(&mut self, p: &Proposal) -> Lookup {
        self.fec.lookup(p.fingerprint, &mut self.rng)
    }

    /// An evaluation of candidate `id` kept from before a kill, if it is still this child's.
    pub(super) fn pending(&self, p: &Proposal) -> Result<Option<Evaluation>, ArchiveError> {
        Ok(self
            .archive
            .pending(p.id)?
            .filter(|pe| pe.fingerprint == p.fingerprint)
            .map(|pe| pe.evaluation))
    }

    /// Keeps a finished evaluation across a kill (a write failure only costs a re-run).
    pub(super) fn keep_pending(&self, p: &Proposal, e: &Evaluation) {
        let pending = PendingEvaluation {
            fingerprint: p.fingerprint,
            evaluation: e.clone(),
        };
        let _ = self.archive.put_pending(p.id, &pending);
    }

    /// PAM-RT: mutate `parent_program` until the discriminator accepts a child (or the retry cap
    /// runs out). Returns the child, its mutation, its fingerprint and, when it was accepted by a
    /// prediction, the parent's label rank. `None` without a guide.
    fn guided_child(
        &mut self,
        parent_fitness: Option<f64>,
        parent_program: &Program,
    ) -> Option<(Program, MutationKind, Fingerprint, Option<f64>)> {
        let guide = self.guide.as_mut()?;
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
        Some((child, kind, fp, accepted_over))
    }

    /// Draws the next child: initial population first (seeds, their mutations, or random
    /// programs), then tournament + mutation.
    ///
    /// # Errors
    /// [`CampaignError::NoRandomProgram`] when the space yields no valid random program for the
    /// initial population.
    pub(super) fn propose(&mut self) -> Result<Proposal, CampaignError> {
        let id = self.next_id;
        self.next_id += 1;
        let space = self.evaluator.space();
        let initial = (id as usize) < self.config.population || self.population.is_empty();
        let by_mean = self.ranks_by_mean();
        let fec = &self.fec;
        let parsimony = self.config.parsimony;
        // An empty population has no tournament winner: it proposes initial candidates.
        let parent = if initial {
            None
        } else {
            self.population
                .tournament_by(self.config.tournament, &mut self.rng, |m| {
                    ranking_fitness(
                        m.fitness,
                        by_mean.then(|| fec.peek(&m.fingerprint)).flatten(),
                    )
                    .map(|f| f - parsimony * m.size as f64)
                })
        };
        let mut guided: Option<(Fingerprint, Option<f64>)> = None;
        let (program, parent, mutation, seed) = match parent {
            None => {
                if let Some((name, p)) = self.seeds.get(id as usize) {
                    (p.clone(), None, None, Some(name.clone()))
                } else if !self.seeds.is_empty() {
                    let k = self.rng.random_range(0..self.seeds.len());
                    let (name, p) = &self.seeds[k];
                    let (child, kind) = mutate(p, space, &self.config.mutation, &mut self.rng);
                    (child, None, Some(kind), Some(name.clone()))
                } else {
                    let p = random_program(space, &mut self.rng).ok_or(
                        CampaignError::NoRandomProgram {
                            tries: crate::program::generate::MAX_TRIES,
                        },
                    )?;
                    (p, None, None, None)
                }
            }
            Some(parent) => {
                let pp = self.programs[&parent.id].clone();
                // Below its accuracy floor the discriminator is bypassed
                // (`GuideConfig::min_accuracy`).
                let guided_child = if self
                    .guide
                    .as_ref()
                    .is_some_and(|g| g.ready() && g.switched_on())
                {
                    self.guided_child(parent.fitness, &pp)
                } else {
                    None
                };
                match guided_child {
                    Some((child, kind, fp, accepted_over)) => {
                        guided = Some((fp, accepted_over));
                        (child, Some(parent.id), Some(kind), None)
                    }
                    None => {
                        let space = self.evaluator.space();
                        let (child, kind) =
                            mutate(&pp, space, &self.config.mutation, &mut self.rng);
                        (child, Some(parent.id), Some(kind), None)
                    }
                }
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
        Ok(Proposal {
            id,
            program,
            parent,
            mutation,
            seed,
            fingerprint,
            hurdle: self.config.hurdle.current(&self.population),
            accepted_over,
        })
    }

    /// Whether a function is ranked by the FEC's mean over its real evaluations: only an
    /// aggregating or forgetful cache evaluates one function more than once on purpose, so with
    /// the default cache a campaign ranks (and replays) exactly as before.
    fn ranks_by_mean(&self) -> bool {
        let f = &self.config.fec;
        f.enabled && (f.aggregate > 1 || f.forget_probability > 0.0)
    }

    /// The fitness a record is ranked by in the top-K (and so the "best" line).
    fn top_rank(&self, r: &CandidateRecord) -> f64 {
        let entry = self
            .ranks_by_mean()
            .then(|| self.fec.peek(&r.fingerprint))
            .flatten();
        ranking_fitness(r.fitness, entry)
            .filter(|f| f.is_finite())
            .unwrap_or(f64::NEG_INFINITY)
    }

    /// Re-sorts the top-K after a real evaluation changed a function's mean.
    fn resort_top(&mut self) {
        let mut top = std::mem::take(&mut self.top);
        top.sort_by(|a, b| self.top_rank(b).total_cmp(&self.top_rank(a)));
        self.top = top;
    }

    fn base_record(&self, p: &Proposal) -> CandidateRecord {
        CandidateRecord {
            id: p.id,
            seq: 0,
            program: p.program.to_json_line(),
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

    /// The record of a child served from the cache (its fitness and outcome are the cached
    /// ones; it still enters the population).
    pub(super) fn record_hit(&mut self, p: Proposal, e: &FecEntry) -> CandidateRecord {
        let mut r = self.base_record(&p);
        r.fitness = e.fitness;
        r.test_score = e.test_score;
        r.outcome = e.outcome;
        r.fec_hit = true;
        self.programs.insert(p.id, p.program);
        r
    }

    /// The record of an evaluated child; the evaluation feeds the cache and the guide.
    pub(super) fn record_evaluated(&mut self, p: Proposal, e: Evaluation) -> CandidateRecord {
        let mut r = self.base_record(&p);
        // A worker failure says nothing about the program: neither the cache nor the guide
        // learns from it, so a functional duplicate is evaluated again.
        let learn = e.outcome != Outcome::WorkerFailed;
        // Hurdle stops are cached too: a functional duplicate would stop at the same hurdle.
        if learn {
            self.fec
                .record(p.fingerprint, p.id, e.fitness, e.test_score, e.outcome);
        }
        if let Some(g) = self.guide.as_mut().filter(|_| learn) {
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
        if let Some(m) = self.panics.remove(&p.id) {
            if self.first_panic.is_none() {
                self.first_panic = Some((p.id, m.clone()));
            }
            self.unsaved_messages.push((p.id, m));
        }
        self.programs.insert(p.id, p.program);
        r
    }

    /// Keeps the panic message of one of candidate `id`'s evaluations (the first one wins
    /// under `--eval-seeds`) until the candidate is recorded.
    pub(super) fn note_panic(&mut self, id: u64, message: String) {
        self.panics.entry(id).or_insert(message);
    }

    /// The program of an archived record; a damaged one makes the archive corrupt.
    fn record_program(&self, r: &CandidateRecord) -> Result<Program, ArchiveError> {
        r.program().map_err(|e| ArchiveError::Corrupt {
            path: self.archive.dir().to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Inserts a record that was archived but not yet part of the committed state.
    fn adopt(&mut self, r: CandidateRecord) -> Result<(), ArchiveError> {
        let program = self.record_program(&r)?;
        if !r.fec_hit && r.outcome != Outcome::WorkerFailed {
            self.fec
                .record(r.fingerprint, r.id, r.fitness, r.test_score, r.outcome);
            if let Some(g) = self.guide.as_mut() {
                g.observe(r.fingerprint, r.id, &program, r.fitness);
            }
        }
        self.programs.insert(r.id, program);
        self.stats.count(&r);
        if let Some(old) = self.population.push(Member {
            id: r.id,
            fitness: r.fitness,
            size: r.size,
            fingerprint: r.fingerprint,
        }) {
            self.programs.remove(&old.id);
        }
        self.next_id = self.next_id.max(r.id + 1);
        self.inserted = r.seq + 1;
        self.note_hall_of_fame(&r);
        Ok(())
    }

    /// A fully evaluated record's fitness, when it would become a new hall-of-fame entry (the
    /// best at its size so far).
    fn is_new_hall_of_fame_entry(&self, r: &CandidateRecord) -> bool {
        match r.fitness.filter(|f| f.is_finite()) {
            Some(f) if r.outcome == Outcome::Ok => {
                self.hall_of_fame.get(&r.size).is_none_or(|&b| f > b)
            }
            _ => false,
        }
    }

    fn note_hall_of_fame(&mut self, r: &CandidateRecord) {
        if self.is_new_hall_of_fame_entry(r)
            && let Some(f) = r.fitness
        {
            self.hall_of_fame.insert(r.size, f);
        }
    }

    /// Whether `optimize_constants` improves this record: with probability P (a draw from the
    /// campaign seed and the id, so it does not touch the search's RNG stream) or always for a
    /// new hall-of-fame entry; never a fitted child itself or a failed or cached candidate.
    fn wants_improvement(&self, r: &CandidateRecord) -> bool {
        let Some(p) = self.config.optimize_constants else {
            return false;
        };
        if r.fec_hit
            || r.outcome != Outcome::Ok
            || r.mutation == Some(MutationKind::ConstantsFitted)
            || !r.fitness.is_some_and(f64::is_finite)
        {
            return false;
        }
        let draw =
            (seed_of(self.config.seed, r.id, IMPROVE_DRAW) >> 11) as f64 / (1u64 << 53) as f64;
        draw < p || self.is_new_hall_of_fame_entry(r)
    }

    /// Inserts an evaluated candidate and, when `optimize_constants` selects it, its improved
    /// child right after it: a new id, the candidate as parent, mutation `constants_fitted`,
    /// its own fingerprint, served from the cache or evaluated here (symbolic regression's
    /// evaluations take microseconds). A fit that kept the original is recorded on the candidate
    /// as the detail `constant_fit_kept_<reason>` = 1.
    pub(super) fn insert_evaluated(
        &mut self,
        p: Proposal,
        e: Evaluation,
        observer: &mut dyn CampaignObserver,
    ) -> Result<(), ArchiveError> {
        let parent_program = p.program.clone();
        let mut rec = self.record_evaluated(p, e);
        let mut improved = None;
        let mut fit_secs = 0.0;
        if self.wants_improvement(&rec) {
            let ctx = EvalContext {
                seed: seed_of(self.config.seed, rec.id, IMPROVE_DRAW),
                hurdle: None,
                time_limit: self.config.time_limit_secs.map(Duration::from_secs_f64),
            };
            let started = Instant::now();
            let outcome = self.evaluator.improve(&parent_program, &ctx);
            fit_secs = started.elapsed().as_secs_f64();
            match outcome {
                Improvement::NotApplicable => {}
                Improvement::Improved(q) => improved = Some(q),
                Improvement::Kept(why) => {
                    rec.details.push((format!("constant_fit_kept_{why}"), 1.0))
                }
            }
        }
        let parent = rec.id;
        self.insert(rec, observer)?;
        let Some(program) = improved else {
            return Ok(());
        };
        let id = self.next_id;
        self.next_id += 1;
        let fingerprint = fingerprint_of_outputs(
            &self.evaluator.probe_outputs(&program),
            self.config.fec.mantissa_bits,
        );
        let child = Proposal {
            id,
            program,
            parent: Some(parent),
            mutation: Some(MutationKind::ConstantsFitted),
            seed: None,
            fingerprint,
            hurdle: None,
            accepted_over: None,
        };
        let rec = match self.lookup(&child) {
            Lookup::Hit(entry) => self.record_hit(child, &entry),
            Lookup::Miss => {
                let ctx = EvalContext {
                    seed: seed_of(self.config.seed, id, 0),
                    hurdle: None,
                    time_limit: self.config.time_limit_secs.map(Duration::from_secs_f64),
                };
                let mut e = self.evaluator.evaluate(&child.program, &ctx);
                // The child's cost includes the fit that made it.
                e.cost.wall_secs += fit_secs;
                self.record_evaluated(child, e)
            }
        };
        self.insert(rec, observer)
    }

    /// Inserts a record: population (aging), counters, top-K, observer; in asynchronous mode
    /// commits when a commit is due.
    pub(super) fn insert(
        &mut self,
        mut r: CandidateRecord,
        observer: &mut dyn CampaignObserver,
    ) -> Result<(), ArchiveError> {
        r.seq = self.inserted;
        self.inserted += 1;
        self.stats.count(&r);
        if r.outcome != Outcome::Ok {
            *self.failure_counts.entry(r.outcome).or_default() += 1;
        }
        self.note_hall_of_fame(&r);
        self.stats.wall_secs = self.wall_base + self.started.elapsed().as_secs_f64();
        if let Some(old) = self.population.push(Member {
            id: r.id,
            fitness: r.fitness,
            size: r.size,
            fingerprint: r.fingerprint,
        }) {
            self.programs.remove(&old.id);
        }
        if self.ranks_by_mean() && !r.fec_hit {
            self.resort_top();
        }
        if r.fitness.is_some() && r.outcome == Outcome::Ok {
            let key = self.top_rank(&r);
            let pos = self.top.partition_point(|t| self.top_rank(t) >= key);
            if pos < TOP_K {
                self.top.insert(pos, r.clone());
                self.top.truncate(TOP_K);
            }
        }
        observer.on_insert(&r, &self.stats, self.config.budget);
        self.unsaved.push(r);
        if !self.config.deterministic && self.commit_due() {
            self.commit(false)?;
        }
        Ok(())
    }

    /// Whether the last commit is old enough for another.
    pub(super) fn commit_due(&self) -> bool {
        self.last_commit.elapsed() >= COMMIT_EVERY
    }

    /// Writes the unsaved records and the state (and, when due or finished, the live summary).
    pub(super) fn commit(&mut self, finished: bool) -> Result<(), ArchiveError> {
        self.stats.wall_secs = self.wall_base + self.started.elapsed().as_secs_f64();
        for (id, m) in self.unsaved_messages.drain(..) {
            self.archive.put_message(id, &m)?;
        }
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
