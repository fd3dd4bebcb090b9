//! The population and tournament selection of regularized evolution.
//!
//! Source: Real, Aggarwal, Huang, Le, "Regularized Evolution for Image Classifier Architecture
//! Search", AAAI 2019, Algorithm 1: sample `T` members uniformly **with replacement**, the best
//! of the sample is the parent; the child is pushed and the **oldest** member removed. `T = 1`
//! is random search.
//!
//! An optional duplicate cap (`--max-duplicates N`) keeps one function from filling the
//! population: at most `N` members may share a functional hash, and a child that would be the
//! `N + 1`-th copy displaces the oldest copy instead of the oldest member.

use crate::hashing::Fingerprint;
use crate::hashing::fec::FecEntry;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::cmp::Ordering;
use std::collections::VecDeque;

/// A population member: what selection needs to know.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Member {
    /// Candidate id.
    pub id: u64,
    /// Fitness (`None` ranks below every number).
    pub fitness: Option<f64>,
    /// Live op nodes; breaks fitness ties in favour of smaller programs.
    pub size: usize,
    /// Functional hash (what the duplicate cap counts).
    pub fingerprint: Fingerprint,
}

impl Member {
    /// Selection order: higher fitness, then smaller size, then newer.
    pub fn better_than(&self, other: &Member) -> bool {
        let f = |m: &Member| {
            m.fitness
                .filter(|v| v.is_finite())
                .unwrap_or(f64::NEG_INFINITY)
        };
        match f(self).partial_cmp(&f(other)).unwrap_or(Ordering::Equal) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal => {
                (self.size, std::cmp::Reverse(self.id)) < (other.size, std::cmp::Reverse(other.id))
            }
        }
    }
}

/// The fitness a function is ranked by: the cache's mean over its real evaluations when it has
/// more than one (issue 13, 3(c): one lucky training run must not lead selection), else the
/// member's own fitness.
pub fn ranking_fitness(own: Option<f64>, entry: Option<&FecEntry>) -> Option<f64> {
    match entry {
        Some(e) if e.evaluations > 1 && e.fitness.is_some() => e.fitness,
        _ => own,
    }
}

/// Members, oldest first, at most `capacity` of them (and at most `max_duplicates` sharing a
/// functional hash, when capped).
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    members: VecDeque<Member>,
    capacity: usize,
    max_duplicates: Option<usize>,
}

impl Population {
    /// An empty population of the given size `P`.
    pub fn new(capacity: usize) -> Self {
        Population {
            members: VecDeque::with_capacity(capacity + 1),
            capacity: capacity.max(1),
            max_duplicates: None,
        }
    }

    /// An empty population of size `P` in which at most `max_duplicates` members (at least 1)
    /// share one functional hash; `None` is no cap ([`Self::new`]).
    pub fn with_max_duplicates(capacity: usize, max_duplicates: Option<usize>) -> Self {
        Population {
            max_duplicates: max_duplicates.map(|n| n.max(1)),
            ..Population::new(capacity)
        }
    }

    /// Pushes a child; returns the member it displaced: the oldest copy of its function when
    /// the child is one copy too many, else the oldest member if the population was full.
    pub fn push(&mut self, m: Member) -> Option<Member> {
        if let Some(cap) = self.max_duplicates {
            let mut copies = self
                .members
                .iter()
                .enumerate()
                .filter(|(_, x)| x.fingerprint == m.fingerprint);
            if let Some((oldest, _)) = copies.next()
                && 1 + copies.count() >= cap
            {
                let old = self.members.remove(oldest);
                self.members.push_back(m);
                return old;
            }
        }
        self.members.push_back(m);
        if self.members.len() > self.capacity {
            self.members.pop_front()
        } else {
            None
        }
    }

    /// Tournament of size `t` with replacement; `None` if empty.
    pub fn tournament(&self, t: usize, rng: &mut ChaCha8Rng) -> Option<Member> {
        self.tournament_by(t, rng, |m| m.fitness)
    }

    /// Tournament of size `t` with replacement in which a member competes with
    /// `fitness(member)` instead of its own fitness (the winner is returned with it); draws
    /// the same random numbers as [`Self::tournament`].
    pub fn tournament_by(
        &self,
        t: usize,
        rng: &mut ChaCha8Rng,
        fitness: impl Fn(&Member) -> Option<f64>,
    ) -> Option<Member> {
        if self.members.is_empty() {
            return None;
        }
        let mut best: Option<Member> = None;
        for _ in 0..t.max(1) {
            let mut m = self.members[rng.random_range(0..self.members.len())];
            m.fitness = fitness(&m);
            if best.is_none_or(|b| m.better_than(&b)) {
                best = Some(m);
            }
        }
        best
    }

    /// Members, oldest first.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.members.iter()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether it has no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Whether it holds `P` members.
    pub fn is_full(&self) -> bool {
        self.members.len() >= self.capacity
    }

    /// Whether a member with this id is present.
    pub fn contains(&self, id: u64) -> bool {
        self.members.iter().any(|m| m.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn m(id: u64, f: Option<f64>) -> Member {
        Member {
            id,
            fitness: f,
            size: 1,
            fingerprint: Fingerprint(u128::from(id)),
        }
    }

    #[test]
    fn an_extra_copy_displaces_the_oldest_copy() {
        let copy = |id: u64, hash: u128| Member {
            fingerprint: Fingerprint(hash),
            ..m(id, Some(id as f64))
        };
        let mut p = Population::with_max_duplicates(5, Some(2));
        assert_eq!(p.push(copy(0, 7)), None);
        assert_eq!(p.push(copy(1, 8)), None);
        assert_eq!(p.push(copy(2, 7)), None);
        // A third copy of 7 displaces id 0 (the oldest copy), not a member of another hash.
        assert_eq!(p.push(copy(3, 7)).map(|x| x.id), Some(0));
        assert_eq!(p.len(), 3);
        assert_eq!(p.members().map(|x| x.id).collect::<Vec<_>>(), [1, 2, 3]);
        // Without copies, aging is unchanged.
        for id in 4..6 {
            assert_eq!(p.push(copy(id, 100 + u128::from(id))), None);
        }
        assert_eq!(p.push(copy(7, 200)).map(|x| x.id), Some(1));
        // A cap of one keeps only the newest copy.
        let mut one = Population::with_max_duplicates(5, Some(1));
        one.push(copy(0, 7));
        assert_eq!(one.push(copy(1, 7)).map(|x| x.id), Some(0));
        assert_eq!(one.len(), 1);
        // No cap: copies age out like anyone else.
        let mut free = Population::new(3);
        for id in 0..3 {
            assert_eq!(free.push(copy(id, 7)), None);
        }
        assert_eq!(free.push(copy(3, 7)).map(|x| x.id), Some(0));
    }

    #[test]
    fn a_lucky_first_run_loses_to_a_better_mean() {
        // Member 0's function scored 0.61 once, but the cache's mean over 3 runs is 0.33;
        // member 1 scored 0.5 on its only run.
        let mut p = Population::new(2);
        let mut lucky = m(0, Some(0.61));
        lucky.fingerprint = Fingerprint(7);
        p.push(lucky);
        p.push(m(1, Some(0.5)));
        let entry = |fitness, evaluations| FecEntry {
            fitness: Some(fitness),
            test_score: None,
            outcome: crate::engine::Outcome::Ok,
            evaluations,
            hits: 0,
            first_id: 0,
        };
        let mean = entry(0.33, 3);
        let cache = |m: &Member| (m.fingerprint == Fingerprint(7)).then_some(&mean);
        // With T = 50 both members are drawn (all but surely), so the better one wins.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..20 {
            let w = p
                .tournament_by(50, &mut rng, |m| ranking_fitness(m.fitness, cache(m)))
                .unwrap();
            assert_eq!((w.id, w.fitness), (1, Some(0.5)));
            assert_eq!(
                p.tournament(50, &mut rng).unwrap().id,
                0,
                "by its lucky run"
            );
        }
        // One real evaluation: the own fitness stands.
        assert_eq!(
            ranking_fitness(Some(0.61), Some(&entry(0.2, 1))),
            Some(0.61)
        );
        assert_eq!(ranking_fitness(Some(0.61), None), Some(0.61));
        assert_eq!(ranking_fitness(Some(0.61), Some(&mean)), Some(0.33));
    }

    #[test]
    fn removes_the_oldest_not_the_worst() {
        let mut p = Population::new(2);
        assert_eq!(p.push(m(0, Some(10.0))), None);
        assert_eq!(p.push(m(1, Some(0.0))), None);
        assert_eq!(p.push(m(2, Some(0.0))).map(|x| x.id), Some(0));
        assert!(!p.contains(0));
    }

    #[test]
    fn tournament_prefers_fitter_and_t1_is_uniform() {
        let mut p = Population::new(10);
        for i in 0..10 {
            p.push(m(i, Some(i as f64)));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let wins = (0..1000)
            .filter(|_| p.tournament(25, &mut rng).unwrap().id == 9)
            .count();
        assert!(
            wins > 900,
            "best should nearly always win a 25-tournament: {wins}"
        );
        let mut seen = [0usize; 10];
        for _ in 0..5000 {
            seen[p.tournament(1, &mut rng).unwrap().id as usize] += 1;
        }
        assert!(
            seen.iter().all(|&c| c > 350 && c < 650),
            "T=1 should be uniform: {seen:?}"
        );
    }

    #[test]
    fn failures_rank_last_and_ties_prefer_small() {
        let a = m(1, None);
        let b = Member {
            size: 9,
            ..m(2, Some(-1e9))
        };
        assert!(b.better_than(&a));
        let c = Member {
            size: 2,
            ..m(3, Some(1.0))
        };
        let d = Member {
            size: 5,
            ..m(4, Some(1.0))
        };
        assert!(c.better_than(&d));
    }
}
