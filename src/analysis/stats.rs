//! Paired comparisons of two programs evaluated under the same seeds, and the mean they share
//! with [`super::ablation`].

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Result of a paired comparison of scores `a[i]` vs `b[i]` (same seed `i`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairedComparison {
    /// Number of pairs.
    pub n: usize,
    /// Mean of `a`.
    pub mean_a: f64,
    /// Mean of `b`.
    pub mean_b: f64,
    /// Mean of the differences `a − b`.
    pub mean_difference: f64,
    /// Sample standard deviation of the differences (n − 1 denominator).
    pub std_difference: f64,
    /// Paired t statistic (`None` when the differences have zero variance or n < 2).
    pub t: Option<f64>,
    /// Two-sided p-value of the paired t-test (Student's t with n − 1 degrees of freedom).
    pub p_t_test: Option<f64>,
    /// Two-sided p-value of the exact paired sign-flip permutation test on the mean difference
    /// (all 2ⁿ sign patterns; assumption-free, the smallest possible value is 2/2ⁿ).
    pub p_permutation: f64,
}

/// Arithmetic mean; 0 for an empty slice.
pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Compares paired scores. At most 24 pairs (the permutation test enumerates 2ⁿ patterns).
///
/// # Panics
/// If `a` and `b` differ in length or hold more than 24 pairs.
pub fn paired_comparison(a: &[f64], b: &[f64]) -> PairedComparison {
    assert_eq!(a.len(), b.len(), "paired scores");
    assert!(a.len() <= 24, "at most 24 pairs");
    let n = a.len();
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let md = mean(&d);
    let var = if n > 1 {
        d.iter().map(|x| (x - md) * (x - md)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    let sd = var.sqrt();
    // n − 1 ≥ 1 degrees of freedom always form a valid distribution.
    let dist = (n > 1 && sd > 0.0)
        .then(|| StudentsT::new(0.0, 1.0, (n - 1) as f64).ok())
        .flatten();
    let (t, p_t) = match dist {
        Some(dist) => {
            let t = md / (sd / (n as f64).sqrt());
            (Some(t), Some(2.0 * (1.0 - dist.cdf(t.abs()))))
        }
        None => (None, None),
    };
    // Exact sign-flip test: the share of sign patterns whose |mean| reaches the observed one.
    let observed = md.abs() - 1e-12 * md.abs().max(1.0);
    let total = 1u64 << n;
    let extreme = (0..total)
        .filter(|mask| {
            let s: f64 = d
                .iter()
                .enumerate()
                .map(|(i, x)| if mask >> i & 1 == 1 { -x } else { *x })
                .sum();
            (s / n.max(1) as f64).abs() >= observed
        })
        .count();
    PairedComparison {
        n,
        mean_a: mean(a),
        mean_b: mean(b),
        mean_difference: md,
        std_difference: sd,
        t,
        p_t_test: p_t,
        p_permutation: extreme as f64 / total as f64,
    }
}

/// One training run of [`scores_under_seeds`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeedScore {
    /// Training-task fitness; a failed run scores 0, the lowest score of every shipped task.
    pub fitness: f64,
    /// Held-out score when the task has held-out stages (a failed run scores 0 there too).
    pub test_score: Option<f64>,
    /// The run's outcome name (`ok`, `non_finite`, …).
    pub outcome: String,
}

/// Evaluates every program under seeds `0..seeds` (the same seeds for all, so the scores pair
/// up), in parallel on the current rayon pool. Returns one `Vec` per program, in seed order.
/// This is what `gevo compare` and `gevo report --compare-seeds` train.
pub fn scores_under_seeds(
    evaluator: &dyn crate::engine::Evaluator,
    programs: &[&crate::program::Program],
    seeds: u64,
) -> Vec<Vec<SeedScore>> {
    use rayon::prelude::*;
    let jobs: Vec<(usize, u64)> = (0..programs.len())
        .flat_map(|k| (0..seeds).map(move |s| (k, s)))
        .collect();
    let has_held_out = std::sync::atomic::AtomicBool::new(false);
    let runs: Vec<(usize, crate::engine::Evaluation)> = jobs
        .par_iter()
        .map(|&(k, s)| {
            let ctx = crate::engine::EvalContext {
                seed: s,
                ..crate::engine::EvalContext::default()
            };
            let e = evaluator.evaluate(programs[k], &ctx);
            if e.test_score.is_some() {
                has_held_out.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            (k, e)
        })
        .collect();
    let held_out = has_held_out.into_inner();
    let mut out: Vec<Vec<SeedScore>> = vec![Vec::with_capacity(seeds as usize); programs.len()];
    for (k, e) in runs {
        out[k].push(SeedScore {
            fitness: e.fitness.unwrap_or(0.0),
            test_score: held_out.then(|| e.test_score.unwrap_or(0.0)),
            outcome: e.outcome.name().to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_test_matches_a_reference_value() {
        // Differences −0.5, −0.1, −0.9, −0.2, −1.0: mean −0.54, sd 0.40373, t = −2.99078;
        // p = 0.040307 by numerical integration of Student's t density with 4 degrees of freedom.
        let c = paired_comparison(&[1.0, 2.0, 3.0, 4.0, 5.0], &[1.5, 2.1, 3.9, 4.2, 6.0]);
        assert!((c.t.unwrap() + 2.99078).abs() < 1e-4, "{c:?}");
        assert!((c.p_t_test.unwrap() - 0.040307).abs() < 1e-5, "{c:?}");
        // Every difference negative: only the observed pattern and its mirror are as extreme.
        assert_eq!(c.p_permutation, 2.0 / 32.0);
        assert!((c.mean_difference + 0.54).abs() < 1e-12);
    }

    #[test]
    fn identical_programs_are_not_different() {
        let c = paired_comparison(&[0.5, 0.7, 0.9], &[0.5, 0.7, 0.9]);
        assert_eq!(c.mean_difference, 0.0);
        assert_eq!(c.t, None);
        assert_eq!(c.p_permutation, 1.0);
    }
}
