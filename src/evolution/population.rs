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
        if self.members.is_empty() {
            return None;
        }
        let mut best: Option<Member> = None;
        for _ in 0..t.max(1) {
            let m = self.members[rng.random_range(0..self.members.len())];
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
