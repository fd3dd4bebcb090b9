//! The final re-evaluation's runs (`gevo reevaluate`, `gevo run --final-seeds`): one
//! [`ReevaluationRecord`] per finished (task set, candidate, task, seed), in the sled tree
//! `reevaluations`.
//!
//! Each run is written and flushed as it finishes, so a `kill -9` loses only the runs in
//! flight and a rerun skips what is stored ([`Archive::has_reevaluation`]). The tree was added
//! within schema version 1: archives written before it open as never re-evaluated, and a gevo
//! that predates it ignores the tree. Like candidate records, stored runs are never rewritten.
//!
//! Readers (`gevo inspect`, `gevo report`) take [`Archive::reevaluations`] and summarize it
//! with `gevo::analysis::reevaluation::summarize`.

use super::store::{Archive, ArchiveError};
use crate::engine::Evaluation;
use crate::hashing::Fingerprint;
use serde::{Deserialize, Serialize};

/// One finished re-evaluation run: candidate `candidate` trained with seed `seed` on `task`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReevaluationRecord {
    /// The training task set the re-evaluation was for, as its evaluator names it (RL: the
    /// task names joined by commas, `cartpole,minigrid-lavagap,minigrid-empty`): the
    /// campaign's own, or that of `gevo reevaluate --task T`.
    pub task_set: String,
    /// Whether `task_set` is the campaign's own training set (not `--task T`): `inspect`
    /// ranks by these runs.
    pub campaign_task_set: bool,
    /// The candidate's id in the archive.
    pub candidate: u64,
    /// Its functional hash (as archived).
    pub fingerprint: Fingerprint,
    /// What was trained: `task_set` itself for the training run (its fitness is the sum of
    /// the normalized scores over the training tasks, as the campaign's fitness), else the
    /// name of one held-out task.
    pub task: String,
    /// Whether `task` is a held-out task.
    pub held_out: bool,
    /// Seed index `k` in `0..S` (`--seeds S`).
    pub seed_index: usize,
    /// The evaluation seed (`gevo::evolution::reevaluation::reevaluation_seed`).
    pub seed: u64,
    /// What the run gave (a failure is an outcome with no fitness).
    pub evaluation: Evaluation,
    /// Unix time (seconds) the run was stored.
    pub created_unix: f64,
}

impl ReevaluationRecord {
    /// The run's score: its fitness, 0 for a failed run (a loss that diverges on a seed scores
    /// nothing there, as a failing held-out stage does in `engine::staged`).
    pub fn score(&self) -> f64 {
        self.evaluation
            .fitness
            .filter(|f| f.is_finite())
            .unwrap_or(0.0)
    }
}

/// The key of a run: task set, 0, candidate (big-endian), task, 0, seed index (big-endian),
/// so that one task set's runs are contiguous and in candidate order.
fn key(task_set: &str, candidate: u64, task: &str, seed_index: usize) -> Vec<u8> {
    let mut k = Vec::with_capacity(task_set.len() + task.len() + 18);
    k.extend_from_slice(task_set.as_bytes());
    k.push(0);
    k.extend_from_slice(&candidate.to_be_bytes());
    k.extend_from_slice(task.as_bytes());
    k.push(0);
    k.extend_from_slice(&(seed_index as u64).to_be_bytes());
    k
}

impl Archive {
    /// Stores one finished run and flushes it to disk before returning.
    ///
    /// # Errors
    /// [`ArchiveError::ReadOnly`] on a read-only copy; [`ArchiveError::Corrupt`] when sled
    /// cannot write.
    pub fn put_reevaluation(&self, r: &ReevaluationRecord) -> Result<(), ArchiveError> {
        self.writable()?;
        let bytes = postcard::to_allocvec(r).map_err(|e| self.corrupt(e))?;
        let tree = self.reevaluation_tree();
        tree.insert(key(&r.task_set, r.candidate, &r.task, r.seed_index), bytes)
            .map_err(|e| self.corrupt(e))?;
        tree.flush().map_err(|e| self.corrupt(e))?;
        Ok(())
    }

    /// Whether the run (task set, candidate, task, seed index) is stored.
    ///
    /// # Errors
    /// [`ArchiveError::Corrupt`] when sled cannot read.
    pub fn has_reevaluation(
        &self,
        task_set: &str,
        candidate: u64,
        task: &str,
        seed_index: usize,
    ) -> Result<bool, ArchiveError> {
        self.reevaluation_tree()
            .contains_key(key(task_set, candidate, task, seed_index))
            .map_err(|e| self.corrupt(e))
    }

    /// Every stored re-evaluation run, ordered by task set, candidate, task and seed index
    /// (empty for an archive never re-evaluated). This is the read API of the final
    /// re-evaluation; `gevo::analysis::reevaluation::summarize` turns it into per-program
    /// means, standard deviations and 95 % intervals.
    ///
    /// # Errors
    /// [`ArchiveError::Corrupt`] when a record cannot be read.
    pub fn reevaluations(&self) -> Result<Vec<ReevaluationRecord>, ArchiveError> {
        let tree = self.reevaluation_tree();
        let mut out = Vec::with_capacity(tree.len());
        for kv in tree.iter() {
            let (_, v) = kv.map_err(|e| self.corrupt(e))?;
            out.push(postcard::from_bytes(&v).map_err(|e| self.corrupt(e))?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Cost, Outcome};

    fn run(candidate: u64, task: &str, k: usize, fitness: Option<f64>) -> ReevaluationRecord {
        ReevaluationRecord {
            task_set: "a,b".into(),
            campaign_task_set: true,
            candidate,
            fingerprint: Fingerprint(9),
            task: task.into(),
            held_out: task != "a,b",
            seed_index: k,
            seed: 7 + k as u64,
            evaluation: Evaluation {
                fitness,
                test_score: None,
                details: vec![("a/score".into(), 0.5)],
                outcome: if fitness.is_some() {
                    Outcome::Ok
                } else {
                    Outcome::Diverged
                },
                cost: Cost::default(),
            },
            created_unix: 1.0,
        }
    }

    #[test]
    fn runs_survive_reopening_in_key_order_and_an_old_archive_has_none() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("a");
        let a = Archive::create(&dir, "{}").unwrap();
        assert!(a.reevaluations().unwrap().is_empty());
        let runs = [
            run(12, "h", 1, None),
            run(3, "a,b", 0, Some(1.5)),
            run(12, "a,b", 0, Some(0.5)),
        ];
        for r in &runs {
            a.put_reevaluation(r).unwrap();
        }
        drop(a);
        let a = Archive::open_read_only(&dir).unwrap();
        let back = a.reevaluations().unwrap();
        assert_eq!(
            back,
            vec![runs[1].clone(), runs[2].clone(), runs[0].clone()]
        );
        assert!(a.has_reevaluation("a,b", 12, "h", 1).unwrap());
        assert!(!a.has_reevaluation("a,b", 12, "h", 0).unwrap());
        assert!(!a.has_reevaluation("a", 12, "h", 1).unwrap());
        assert!(matches!(
            a.put_reevaluation(&runs[0]),
            Err(ArchiveError::ReadOnly(_))
        ));
        assert_eq!((back[0].score(), back[2].score()), (1.5, 0.0));
    }
}
