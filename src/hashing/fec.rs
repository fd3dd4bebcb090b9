//! The functional equivalence cache (FEC): fingerprint → cached evaluation.
//!
//! Source: Gillard, Real et al. (2023) §3 and AutoML-Zero (Real et al., ICML 2020, §4): on a
//! miss the child is evaluated and stored; on a hit the cached fitness is reused and the child is
//! **still inserted** into the population (genotypic diversity). Against noisy evaluations the
//! cache can be *forgetful* (on a hit, drop the entry with probability `forget_probability`, so
//! the child is evaluated for real) and *aggregating* (keep evaluating until `aggregate` real
//! evaluations have been averaged). It is bounded (least recently used entries are evicted).

use super::Fingerprint;
use crate::engine::Outcome;
use lru::LruCache;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::num::NonZeroUsize;

/// FEC settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FecConfig {
    /// Use the cache at all (`--no-fec` turns it off).
    pub enabled: bool,
    /// Maximum number of entries (least recently used evicted), default 100,000.
    pub capacity: usize,
    /// Forgetful FEC: probability of dropping an entry on a hit (default 0: never).
    pub forget_probability: f64,
    /// Aggregating FEC: number of real evaluations averaged per fingerprint (default 1).
    pub aggregate: u32,
    /// Kept mantissa bits in fingerprints (default 24).
    pub mantissa_bits: u32,
}

impl Default for FecConfig {
    fn default() -> Self {
        FecConfig {
            enabled: true,
            capacity: 100_000,
            forget_probability: 0.0,
            aggregate: 1,
            mantissa_bits: super::fingerprint::DEFAULT_MANTISSA_BITS,
        }
    }
}

/// A cached evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FecEntry {
    /// Mean fitness over the real evaluations (None if they failed).
    pub fitness: Option<f64>,
    /// Mean test score, when the domain reports one.
    pub test_score: Option<f64>,
    /// How the evaluation ended (the first successful one when aggregating); hits reproduce
    /// it, hurdle stops included.
    pub outcome: Outcome,
    /// Number of real evaluations averaged.
    pub evaluations: u32,
    /// Hits served.
    pub hits: u64,
    /// Id of the first candidate evaluated with this fingerprint.
    pub first_id: u64,
}

/// What to do with a child, given its fingerprint.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Reuse this cached result; do not evaluate.
    Hit(FecEntry),
    /// Evaluate for real.
    Miss,
}

/// The cache.
pub struct FunctionalEquivalenceCache {
    config: FecConfig,
    entries: LruCache<Fingerprint, FecEntry>,
}

impl FunctionalEquivalenceCache {
    /// An empty cache.
    pub fn new(config: FecConfig) -> Self {
        let cap = NonZeroUsize::new(config.capacity).unwrap_or(NonZeroUsize::MIN);
        FunctionalEquivalenceCache {
            config,
            entries: LruCache::new(cap),
        }
    }

    /// Looks a fingerprint up, applying the forgetful and aggregating rules (`rng` draws the
    /// forgetting coin, so pass the campaign's RNG for deterministic runs).
    pub fn lookup(&mut self, fp: Fingerprint, rng: &mut ChaCha8Rng) -> Lookup {
        if !self.config.enabled {
            return Lookup::Miss;
        }
        let forget = self.config.forget_probability;
        let Some(entry) = self.entries.get_mut(&fp) else {
            return Lookup::Miss;
        };
        if entry.evaluations < self.config.aggregate.max(1) {
            return Lookup::Miss;
        }
        if forget > 0.0 && rng.random_bool(forget.min(1.0)) {
            self.entries.pop(&fp);
            return Lookup::Miss;
        }
        entry.hits += 1;
        Lookup::Hit(entry.clone())
    }

    /// The entry of a fingerprint, if cached, without counting a hit or touching its recency.
    pub fn peek(&self, fp: &Fingerprint) -> Option<&FecEntry> {
        self.entries.peek(fp)
    }

    /// Records a real evaluation (averaged into an existing entry up to `aggregate`).
    pub fn record(
        &mut self,
        fp: Fingerprint,
        id: u64,
        fitness: Option<f64>,
        test_score: Option<f64>,
        outcome: Outcome,
    ) {
        if !self.config.enabled {
            return;
        }
        if let Some(e) = self.entries.get_mut(&fp) {
            let n = e.evaluations as f64;
            e.fitness = match (e.fitness, fitness) {
                (Some(a), Some(b)) => Some((a * n + b) / (n + 1.0)),
                (a, b) => a.or(b),
            };
            e.test_score = match (e.test_score, test_score) {
                (Some(a), Some(b)) => Some((a * n + b) / (n + 1.0)),
                (a, b) => a.or(b),
            };
            if outcome == Outcome::Ok {
                e.outcome = outcome;
            }
            e.evaluations += 1;
        } else {
            self.entries.put(
                fp,
                FecEntry {
                    fitness,
                    test_score,
                    outcome,
                    evaluations: 1,
                    hits: 0,
                    first_id: id,
                },
            );
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries from least to most recently used (for persistence).
    pub fn snapshot(&self) -> Vec<(Fingerprint, FecEntry)> {
        self.entries
            .iter()
            .rev()
            .map(|(k, v)| (*k, v.clone()))
            .collect()
    }

    /// Rebuilds a cache from [`Self::snapshot`] output.
    pub fn restore(config: FecConfig, entries: Vec<(Fingerprint, FecEntry)>) -> Self {
        let mut c = Self::new(config);
        for (k, v) in entries {
            c.entries.put(k, v);
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(1)
    }

    #[test]
    fn hit_after_record_and_lru_bound() {
        let mut c = FunctionalEquivalenceCache::new(FecConfig {
            capacity: 2,
            ..Default::default()
        });
        let mut r = rng();
        assert_eq!(c.lookup(Fingerprint(1), &mut r), Lookup::Miss);
        c.record(Fingerprint(1), 10, Some(0.5), None, Outcome::Ok);
        match c.lookup(Fingerprint(1), &mut r) {
            Lookup::Hit(e) => {
                assert_eq!(e.fitness, Some(0.5));
                assert_eq!(e.first_id, 10);
                assert_eq!(e.hits, 1);
            }
            Lookup::Miss => panic!("expected a hit"),
        }
        c.record(Fingerprint(2), 11, Some(0.1), None, Outcome::Ok);
        assert!(matches!(c.lookup(Fingerprint(1), &mut r), Lookup::Hit(_)));
        c.record(Fingerprint(3), 12, Some(0.2), None, Outcome::Ok);
        assert_eq!(c.len(), 2);
        // 1 was used more recently than 2, so 2 was evicted.
        assert_eq!(c.lookup(Fingerprint(2), &mut r), Lookup::Miss);
        assert!(matches!(c.lookup(Fingerprint(1), &mut r), Lookup::Hit(_)));
    }

    #[test]
    fn aggregating_averages_before_serving_hits() {
        let mut c = FunctionalEquivalenceCache::new(FecConfig {
            aggregate: 2,
            ..Default::default()
        });
        let mut r = rng();
        c.record(Fingerprint(7), 1, Some(1.0), None, Outcome::Ok);
        assert_eq!(c.lookup(Fingerprint(7), &mut r), Lookup::Miss);
        c.record(Fingerprint(7), 2, Some(0.0), None, Outcome::Ok);
        match c.lookup(Fingerprint(7), &mut r) {
            Lookup::Hit(e) => assert_eq!(e.fitness, Some(0.5)),
            Lookup::Miss => panic!("expected a hit"),
        }
    }

    #[test]
    fn forgetful_drops_entries() {
        let mut c = FunctionalEquivalenceCache::new(FecConfig {
            forget_probability: 1.0,
            ..Default::default()
        });
        let mut r = rng();
        c.record(Fingerprint(7), 1, Some(1.0), None, Outcome::Ok);
        assert_eq!(c.lookup(Fingerprint(7), &mut r), Lookup::Miss);
        assert!(c.is_empty());
    }

    #[test]
    fn snapshot_roundtrip_keeps_order() {
        let mut c = FunctionalEquivalenceCache::new(FecConfig::default());
        for i in 0..5 {
            c.record(Fingerprint(i), i as u64, Some(i as f64), None, Outcome::Ok);
        }
        let snap = c.snapshot();
        let d = FunctionalEquivalenceCache::restore(FecConfig::default(), snap.clone());
        assert_eq!(d.snapshot(), snap);
    }
}
