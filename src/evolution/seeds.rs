//! Multi-seed fitness (`--eval-seeds K`): one real evaluation of a candidate is K independent
//! training runs, each an ordinary per-seed request to the executor, combined here into the
//! candidate's one [`Evaluation`].
//!
//! Evaluating a stochastic inner loop (an RL agent, a network trained from a random
//! initialization) once makes its fitness a single noisy draw; the mean of K independent runs
//! has 1/√K of its standard deviation (AutoML-Zero, Real et al. 2020, likewise scores a
//! program by its mean over several tasks).
//!
//! The rules:
//! - seed `k` of candidate `id` is [`seed_of`]`(campaign seed, id, k)`; seed 0 is the seed a
//!   campaign with K = 1 uses, so K = 1 gives exactly the archives it gave before;
//! - **all seeds ok**: the fitness is the mean of the K fitnesses; the details are each detail's
//!   mean over the seeds (same names as with one seed), then `seed<k>/fitness` for every seed
//!   and `fitness_std`, the sample standard deviation (n − 1) of the K fitnesses;
//! - **a seed fails** (non-finite, diverged, timed out, invalid): the candidate fails with the
//!   first failing seed's outcome (in seed order) and no fitness; a loss that diverges on one
//!   seed in K is not reliable. The details still keep the finished seeds' `seed<k>/fitness`;
//! - **the hurdle is applied per seed** (the evaluator contract sees one seed; a hurdle on the
//!   mean of the first stages would need every seed's first stage before any second stage):
//!   when no seed failed but some stopped at the hurdle, the outcome is `hurdle` and the
//!   fitness is the mean of the seeds' fitnesses (first-stage scores for the stopped seeds);
//! - the test score is the mean of the seeds' test scores when every seed has one;
//! - the cost is the sum of the K runs' costs (compute spent, not elapsed time); the time
//!   limit (`--time-limit`) applies to each run;
//! - a kill loses the finished runs of a candidate whose other runs had not come back: they
//!   are run again on resume (a deterministic batch keeps whole candidates, as with K = 1).

use crate::engine::{Cost, Evaluation, Outcome};
use xxhash_rust::xxh3::xxh3_64;

/// The evaluation seed of training run `k` of candidate `id` in a campaign seeded with
/// `campaign_seed`: a hash of the three, except that `k = 0` hashes only the first two (the
/// seed of single-seed campaigns).
pub fn seed_of(campaign_seed: u64, id: u64, k: usize) -> u64 {
    let mut bytes = [campaign_seed.to_le_bytes(), id.to_le_bytes()].concat();
    if k > 0 {
        bytes.extend_from_slice(&(k as u64).to_le_bytes());
    }
    xxh3_64(&bytes)
}

/// The per-seed evaluations of one candidate as they come back, in any order.
#[derive(Debug, Clone)]
pub struct SeedResults {
    runs: Vec<Option<Evaluation>>,
    missing: usize,
}

impl SeedResults {
    /// Waiting for `k` runs (at least one).
    pub fn new(k: usize) -> Self {
        let k = k.max(1);
        SeedResults {
            runs: vec![None; k],
            missing: k,
        }
    }

    /// Stores run `k`'s evaluation. Returns `false` (and stores nothing) when `k` is out of
    /// range or already stored.
    pub fn put(&mut self, k: usize, e: Evaluation) -> bool {
        match self.runs.get_mut(k) {
            Some(slot @ None) => {
                *slot = Some(e);
                self.missing -= 1;
                true
            }
            _ => false,
        }
    }

    /// Whether every run is in.
    pub fn complete(&self) -> bool {
        self.missing == 0
    }

    /// The candidate's evaluation, combined by the module's rules; `None` while a run is
    /// missing.
    pub fn combine(self) -> Option<Evaluation> {
        let runs: Option<Vec<Evaluation>> = self.runs.into_iter().collect();
        runs.map(combine)
    }
}

/// Combines the evaluations of one candidate's runs, in seed order, by the module's rules.
/// One run is returned unchanged.
///
/// # Panics
/// If `runs` is empty.
pub fn combine(mut runs: Vec<Evaluation>) -> Evaluation {
    assert!(!runs.is_empty(), "a candidate has at least one seed");
    if runs.len() == 1
        && let Some(run) = runs.pop()
    {
        return run;
    }
    let n = runs.len() as f64;
    let failed = runs
        .iter()
        .map(|r| r.outcome)
        .find(|o| !matches!(o, Outcome::Ok | Outcome::Hurdle));
    let outcome = failed.unwrap_or(if runs.iter().any(|r| r.outcome == Outcome::Hurdle) {
        Outcome::Hurdle
    } else {
        Outcome::Ok
    });
    let fitnesses: Vec<f64> = runs.iter().filter_map(|r| r.fitness).collect();
    let fitness = (failed.is_none() && fitnesses.len() == runs.len())
        .then(|| fitnesses.iter().sum::<f64>() / n);
    let test_score = runs
        .iter()
        .map(|r| r.test_score)
        .collect::<Option<Vec<f64>>>()
        .map(|t| t.iter().sum::<f64>() / n);
    let mut details: Vec<(String, f64)> = Vec::new();
    if let Some(first) = runs.iter().find(|r| !r.details.is_empty()) {
        for (name, _) in &first.details {
            let values: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.details.iter().find(|(d, _)| d == name).map(|(_, v)| *v))
                .collect();
            details.push((
                name.clone(),
                values.iter().sum::<f64>() / values.len() as f64,
            ));
        }
    }
    for (k, r) in runs.iter().enumerate() {
        if let Some(f) = r.fitness {
            details.push((format!("seed{k}/fitness"), f));
        }
    }
    if let Some(mean) = fitness {
        let var = fitnesses.iter().map(|f| (f - mean).powi(2)).sum::<f64>() / (n - 1.0);
        details.push(("fitness_std".into(), var.sqrt()));
    }
    let cost = runs.iter().fold(Cost::default(), |c, r| Cost {
        wall_secs: c.wall_secs + r.cost.wall_secs,
        steps: c.steps + r.cost.steps,
    });
    Evaluation {
        fitness,
        test_score,
        details,
        outcome,
        cost,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(f: f64, detail: f64) -> Evaluation {
        Evaluation {
            fitness: Some(f),
            test_score: Some(10.0 * f),
            details: vec![("cartpole".into(), detail)],
            outcome: Outcome::Ok,
            cost: Cost {
                wall_secs: 1.5,
                steps: 100,
            },
        }
    }

    #[test]
    fn seed_zero_is_the_single_seed_and_the_others_differ() {
        let single = xxh3_64(&[7u64.to_le_bytes(), 42u64.to_le_bytes()].concat());
        assert_eq!(seed_of(7, 42, 0), single);
        let seeds: std::collections::HashSet<u64> = (0..8).map(|k| seed_of(7, 42, k)).collect();
        assert_eq!(seeds.len(), 8);
        assert_ne!(seed_of(7, 42, 1), seed_of(7, 43, 1));
        assert_eq!(seed_of(7, 42, 3), seed_of(7, 42, 3));
    }

    #[test]
    fn one_run_is_returned_unchanged() {
        assert_eq!(combine(vec![ok(0.25, 3.0)]), ok(0.25, 3.0));
    }

    #[test]
    fn all_ok_gives_the_mean_per_seed_scores_and_the_sample_std() {
        let e = combine(vec![ok(0.2, 1.0), ok(0.4, 3.0), ok(0.9, 5.0)]);
        assert_eq!(e.outcome, Outcome::Ok);
        assert!((e.fitness.unwrap() - 0.5).abs() < 1e-12);
        assert!((e.test_score.unwrap() - 5.0).abs() < 1e-12);
        let get = |n: &str| e.details.iter().find(|(d, _)| d == n).unwrap().1;
        assert_eq!(get("cartpole"), 3.0);
        assert_eq!(
            (
                get("seed0/fitness"),
                get("seed1/fitness"),
                get("seed2/fitness")
            ),
            (0.2, 0.4, 0.9)
        );
        // Sample variance: (0.09 + 0.01 + 0.16) / 2 = 0.13.
        assert!((get("fitness_std") - 0.13f64.sqrt()).abs() < 1e-12);
        assert_eq!(
            e.cost,
            Cost {
                wall_secs: 4.5,
                steps: 300
            }
        );
    }

    #[test]
    fn a_failing_seed_fails_the_candidate_and_a_hurdle_stop_marks_it() {
        let diverged = Evaluation::failed(Outcome::Diverged, Cost::default());
        let e = combine(vec![ok(0.2, 1.0), diverged.clone(), ok(0.4, 1.0)]);
        assert_eq!(
            (e.outcome, e.fitness, e.test_score),
            (Outcome::Diverged, None, None)
        );
        assert!(
            e.details
                .iter()
                .any(|(d, v)| d == "seed2/fitness" && *v == 0.4)
        );
        assert!(!e.details.iter().any(|(d, _)| d == "fitness_std"));

        let mut stopped = ok(0.1, 1.0);
        stopped.outcome = Outcome::Hurdle;
        let e = combine(vec![ok(0.5, 1.0), stopped.clone()]);
        assert_eq!(e.outcome, Outcome::Hurdle);
        assert!((e.fitness.unwrap() - 0.3).abs() < 1e-12);
        // A failure outranks a hurdle stop.
        let e = combine(vec![stopped, diverged]);
        assert_eq!(e.outcome, Outcome::Diverged);
    }

    #[test]
    fn results_arrive_in_any_order_once_each() {
        let mut s = SeedResults::new(3);
        assert!(s.put(2, ok(0.9, 0.0)));
        assert!(s.put(0, ok(0.2, 0.0)));
        assert!(!s.put(0, ok(0.5, 0.0)), "a seed is stored once");
        assert!(!s.put(3, ok(0.5, 0.0)), "out of range");
        assert!(!s.complete());
        assert!(s.clone().combine().is_none(), "seed 1 is missing");
        assert!(s.put(1, ok(0.4, 0.0)));
        assert!(s.complete());
        let e = s.combine().unwrap();
        assert!((e.fitness.unwrap() - 0.5).abs() < 1e-12);
        assert!(
            e.details
                .iter()
                .any(|(d, v)| d == "seed2/fitness" && *v == 0.9)
        );
    }
}
