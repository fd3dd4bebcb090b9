//! What the archive stores (postcard-encoded; programs are kept as JSON text inside).

use crate::engine::{Cost, Outcome};
use crate::hashing::Fingerprint;
use crate::hashing::fec::FecEntry;
use crate::program::mutate::MutationKind;
use crate::program::{Program, ProgramError};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// One evaluated (or cache-served) candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateRecord {
    /// Candidate id, assigned in proposal order from 0.
    pub id: u64,
    /// Position in the order of insertion into the population.
    pub seq: u64,
    /// The program as JSON text.
    pub program: String,
    /// Infix expression of the program.
    pub expression: String,
    /// Number of live op nodes.
    pub size: usize,
    /// Functional hash.
    pub fingerprint: Fingerprint,
    /// Structural hash of the live graph.
    pub structural_hash: u64,
    /// Fitness (larger is better); `None` for failures.
    pub fitness: Option<f64>,
    /// Held-out score when the domain has one.
    pub test_score: Option<f64>,
    /// Named per-task figures.
    pub details: Vec<(String, f64)>,
    /// How the evaluation ended.
    pub outcome: Outcome,
    /// Parent id (None for the initial population).
    pub parent: Option<u64>,
    /// The mutation that produced it (None for the initial population).
    pub mutation: Option<MutationKind>,
    /// Name of the seed program it was made from, for the initial population of bootstrapped
    /// campaigns.
    pub seed: Option<String>,
    /// Served from the functional equivalence cache (not evaluated).
    pub fec_hit: bool,
    /// Evaluation cost (zero for cache hits).
    pub cost: Cost,
    /// Unix time (seconds) of insertion.
    pub created_unix: f64,
}

impl CandidateRecord {
    /// Parses the stored program.
    ///
    /// # Errors
    /// [`ProgramError::Parse`] when the stored JSON is damaged (the record's id is the origin).
    pub fn program(&self) -> Result<Program, ProgramError> {
        Program::from_json(&self.program, &format!("archive record {}", self.id))
    }
}

/// Campaign counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Candidates inserted into the population (evaluated or served by the cache).
    pub candidates: u64,
    /// Real evaluations run.
    pub evaluations: u64,
    /// Candidates served by the functional equivalence cache.
    pub fec_hits: u64,
    /// Evaluations stopped at the hurdle.
    pub hurdle_stops: u64,
    /// Evaluations that failed (non-finite, diverged, timed out, invalid).
    pub failures: u64,
    /// Best fitness so far and its candidate.
    pub best: Option<(u64, f64)>,
    /// Summed wall seconds of real evaluations.
    pub eval_secs: f64,
    /// Wall seconds the campaign has run, over all sessions.
    pub wall_secs: f64,
}

impl Stats {
    /// Share of candidates served by the cache.
    pub fn fec_hit_rate(&self) -> f64 {
        if self.candidates == 0 {
            0.0
        } else {
            self.fec_hits as f64 / self.candidates as f64
        }
    }

    /// Candidates per wall second.
    pub fn throughput(&self) -> f64 {
        if self.wall_secs > 0.0 {
            self.candidates as f64 / self.wall_secs
        } else {
            0.0
        }
    }

    /// Counts one inserted record.
    pub fn count(&mut self, r: &CandidateRecord) {
        self.candidates += 1;
        if r.fec_hit {
            self.fec_hits += 1;
        } else {
            self.evaluations += 1;
            self.eval_secs += r.cost.wall_secs;
            match r.outcome {
                Outcome::Ok => {}
                Outcome::Hurdle => self.hurdle_stops += 1,
                _ => self.failures += 1,
            }
        }
        if r.outcome == Outcome::Ok
            && let Some(f) = r.fitness
            && self.best.is_none_or(|(_, b)| f > b)
        {
            self.best = Some((r.id, f));
        }
    }
}

/// Everything needed to continue a campaign exactly where it stopped.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CampaignState {
    /// Next candidate id to assign.
    pub next_id: u64,
    /// Records inserted so far (the next record's `seq`).
    pub inserted: u64,
    /// Population ids, oldest first.
    pub population: Vec<u64>,
    /// The campaign RNG.
    pub rng: ChaCha8Rng,
    /// Counters.
    pub stats: Stats,
    /// The functional equivalence cache, least recently used first.
    pub fec: Vec<(Fingerprint, FecEntry)>,
    /// Whether the budget was exhausted.
    pub finished: bool,
}
