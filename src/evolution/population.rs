//! The population and tournament selection of regularized evolution.
//!
//! Source: Real, Aggarwal, Huang, Le, "Regularized Evolution for Image Classifier Architecture
//! Search", AAAI 2019, Algorithm 1: sample `T` members uniformly **with replacement**, the best
//! of the sample is the parent; the child is pushed and the **oldest** member removed. `T = 1`
//! is random search.

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

/// Members, oldest first, at most `capacity` of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    members: VecDeque<Member>,
    capacity: usize,
}

impl Population {
    /// An empty population of the given size `P`.
    pub fn new(capacity: usize) -> Self {
        Population {
            members: VecDeque::with_capacity(capacity + 1),
            capacity: capacity.max(1),
        }
    }

    /// Pushes a child; returns the member removed for age, if the population was full.
    pub fn push(&mut self, m: Member) -> Option<Member> {
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
        }
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
        let a = Member {
            id: 1,
            fitness: None,
            size: 1,
        };
        let b = Member {
            id: 2,
            fitness: Some(-1e9),
            size: 9,
        };
        assert!(b.better_than(&a));
        let c = Member {
            id: 3,
            fitness: Some(1.0),
            size: 2,
        };
        let d = Member {
            id: 4,
            fitness: Some(1.0),
            size: 5,
        };
        assert!(c.better_than(&d));
    }
}
