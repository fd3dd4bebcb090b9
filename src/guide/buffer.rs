//! The replay buffer of evaluated programs the discriminator learns from (Co-Reyes et al. 2024,
//! §3.2: "a replay buffer of evaluated programs", labels `1[fit_a > fit_b]`).
//!
//! One entry per functional hash: functionally identical programs have the same fitness up to
//! evaluation noise, so re-evaluations of a fingerprint are averaged into its entry instead of
//! adding near-duplicate pairs. Failed evaluations (no fitness) rank below every success.

use super::encoding::GraphEncoding;
use crate::hashing::Fingerprint;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One evaluated function.
#[derive(Debug, Clone, PartialEq)]
pub struct BufferEntry {
    /// Functional hash.
    pub fingerprint: Fingerprint,
    /// Id of the first candidate evaluated with this fingerprint (its archived record holds the
    /// program).
    pub id: u64,
    /// The encoded program.
    pub graph: GraphEncoding,
    /// Mean fitness of the real evaluations (`None`: they failed).
    pub fitness: Option<f64>,
    /// Real evaluations averaged.
    pub evaluations: u32,
    /// Arrival order (0, 1, …) of the entry's first evaluation.
    pub order: u64,
}

impl BufferEntry {
    /// Fitness used for labels: failures and non-finite values rank lowest.
    pub fn rank(&self) -> f64 {
        rank(self.fitness)
    }
}

/// Fitness used for labels: `None` and non-finite values map to −∞.
pub fn rank(fitness: Option<f64>) -> f64 {
    fitness
        .filter(|f| f.is_finite())
        .unwrap_or(f64::NEG_INFINITY)
}

/// The pair label `1[a > b]`, or `None` for a tie (`|a − b| ≤ tolerance`, or both failed).
pub fn label(a: f64, b: f64, tolerance: f64) -> Option<f32> {
    if a == b || (a - b).abs() <= tolerance {
        None
    } else {
        Some(if a > b { 1.0 } else { 0.0 })
    }
}

/// What persists of an entry (the graph is rebuilt from the archived program).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEntry {
    /// Functional hash.
    pub fingerprint: Fingerprint,
    /// Candidate id whose archived record holds the program.
    pub id: u64,
    /// Mean fitness.
    pub fitness: Option<f64>,
    /// Evaluations averaged.
    pub evaluations: u32,
    /// Arrival order.
    pub order: u64,
}

/// The buffer: bounded, oldest entries dropped first.
#[derive(Debug, Clone, Default)]
pub struct ReplayBuffer {
    capacity: usize,
    entries: Vec<BufferEntry>,
    index: HashMap<Fingerprint, usize>,
    next_order: u64,
}

impl ReplayBuffer {
    /// An empty buffer holding at most `capacity` programs (at least 2).
    pub fn new(capacity: usize) -> Self {
        ReplayBuffer {
            capacity: capacity.max(2),
            ..Default::default()
        }
    }

    /// Adds one real evaluation; returns whether it created a new entry (a new function).
    pub fn add(
        &mut self,
        fingerprint: Fingerprint,
        id: u64,
        graph: impl FnOnce() -> GraphEncoding,
        fitness: Option<f64>,
    ) -> bool {
        if let Some(&k) = self.index.get(&fingerprint) {
            let e = &mut self.entries[k];
            let n = e.evaluations as f64;
            e.fitness = match (e.fitness, fitness) {
                (Some(a), Some(b)) => Some((a * n + b) / (n + 1.0)),
                (a, b) => a.or(b),
            };
            e.evaluations += 1;
            return false;
        }
        if self.entries.len() >= self.capacity
            && let Some(oldest) = (0..self.entries.len()).min_by_key(|&k| self.entries[k].order)
        {
            self.index.remove(&self.entries[oldest].fingerprint);
            self.entries.swap_remove(oldest);
            if oldest < self.entries.len() {
                self.index.insert(self.entries[oldest].fingerprint, oldest);
            }
        }
        self.index.insert(fingerprint, self.entries.len());
        self.entries.push(BufferEntry {
            fingerprint,
            id,
            graph: graph(),
            fitness,
            evaluations: 1,
            order: self.next_order,
        });
        self.next_order += 1;
        true
    }

    /// The entry of a fingerprint.
    pub fn get(&self, fingerprint: &Fingerprint) -> Option<&BufferEntry> {
        self.index.get(fingerprint).map(|&k| &self.entries[k])
    }

    /// All entries (in no particular order).
    pub fn entries(&self) -> &[BufferEntry] {
        &self.entries
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Arrival number the next new entry will get.
    pub fn next_order(&self) -> u64 {
        self.next_order
    }

    /// The persistent part, in the buffer's internal order (training samples entries by
    /// position, so a restored buffer must keep it).
    pub fn to_stored(&self) -> Vec<StoredEntry> {
        self.entries
            .iter()
            .map(|e| StoredEntry {
                fingerprint: e.fingerprint,
                id: e.id,
                fitness: e.fitness,
                evaluations: e.evaluations,
                order: e.order,
            })
            .collect()
    }

    /// Rebuilds a buffer from [`Self::to_stored`] output; `graph` re-encodes the program of a
    /// candidate id (entries whose program is unavailable are skipped).
    pub fn from_stored(
        capacity: usize,
        stored: Vec<StoredEntry>,
        next_order: u64,
        mut graph: impl FnMut(u64) -> Option<GraphEncoding>,
    ) -> Self {
        let mut b = ReplayBuffer::new(capacity);
        for s in stored {
            if let Some(g) = graph(s.id) {
                b.index.insert(s.fingerprint, b.entries.len());
                b.entries.push(BufferEntry {
                    fingerprint: s.fingerprint,
                    id: s.id,
                    graph: g,
                    fitness: s.fitness,
                    evaluations: s.evaluations,
                    order: s.order,
                });
            }
        }
        b.next_order = next_order;
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g() -> GraphEncoding {
        GraphEncoding {
            num_nodes: 1,
            features: vec![0.0],
            src: vec![],
            dst: vec![],
            edge_type: vec![],
        }
    }

    #[test]
    fn averages_per_fingerprint_and_drops_the_oldest() {
        let mut b = ReplayBuffer::new(2);
        assert!(b.add(Fingerprint(1), 0, g, Some(1.0)));
        assert!(!b.add(Fingerprint(1), 1, g, Some(3.0)));
        assert_eq!(b.get(&Fingerprint(1)).unwrap().fitness, Some(2.0));
        assert_eq!(b.get(&Fingerprint(1)).unwrap().evaluations, 2);
        assert!(b.add(Fingerprint(2), 2, g, None));
        assert!(b.add(Fingerprint(3), 3, g, Some(0.5)));
        assert_eq!(b.len(), 2);
        assert!(b.get(&Fingerprint(1)).is_none(), "oldest dropped");
        assert!(b.get(&Fingerprint(2)).is_some() && b.get(&Fingerprint(3)).is_some());
        let stored = b.to_stored();
        let c = ReplayBuffer::from_stored(2, stored, b.next_order(), |_| Some(g()));
        assert_eq!(c.to_stored(), b.to_stored());
    }

    #[test]
    fn labels_skip_ties_and_rank_failures_last() {
        assert_eq!(label(1.0, 0.5, 1e-9), Some(1.0));
        assert_eq!(label(0.5, 1.0, 1e-9), Some(0.0));
        assert_eq!(label(0.5, 0.5 + 1e-12, 1e-9), None);
        assert_eq!(label(rank(None), rank(None), 0.0), None);
        assert_eq!(label(rank(Some(0.1)), rank(None), 0.0), Some(1.0));
        assert_eq!(label(rank(Some(f64::NAN)), rank(Some(0.0)), 0.0), Some(0.0));
    }
}
