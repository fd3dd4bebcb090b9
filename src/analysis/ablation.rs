//! Statistics of a compute-fair ablation (`gevo ablate`): best-so-far curves of several seeds
//! per arm, their means on a grid of real evaluations or wall-clock seconds, where a mean curve
//! first reaches a target, and the speedup of one arm over a reference arm with a percentile
//! bootstrap interval over seeds (Efron and Tibshirani, "An Introduction to the Bootstrap",
//! 1993, §13.3).

use super::stats::mean;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Slack below the target that still counts as reaching it (absorbs rounding in the means).
const REACH_SLACK: f64 = 1e-12;

/// One run's best fitness so far: after the `k`-th real evaluation, `points[k - 1]` is (wall
/// seconds since the start, best fitness so far).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trajectory {
    /// (seconds, best fitness), one per real evaluation, in order.
    pub points: Vec<(f64, f64)>,
}

impl Trajectory {
    /// Best fitness after `e` real evaluations (1-based; 0 reads as 1); past the end the final
    /// best carries forward; −∞ for a run without evaluations.
    pub fn best_after(&self, e: usize) -> f64 {
        match self.points.get(e.saturating_sub(1)) {
            Some(p) => p.1,
            None => self.points.last().map_or(f64::NEG_INFINITY, |p| p.1),
        }
    }

    /// Best fitness at wall time `secs`: that of the last evaluation finished by then, −∞
    /// before the first.
    pub fn best_at(&self, secs: f64) -> f64 {
        let k = self.points.partition_point(|p| p.0 <= secs);
        if k == 0 {
            f64::NEG_INFINITY
        } else {
            self.points[k - 1].1
        }
    }
}

/// The mean over `runs` of the best fitness after 1, 2, …, `evaluations` real evaluations.
pub fn mean_curve_evaluations(runs: &[&Trajectory], evaluations: usize) -> Vec<f64> {
    (1..=evaluations)
        .map(|e| mean(&runs.iter().map(|r| r.best_after(e)).collect::<Vec<_>>()))
        .collect()
}

/// The mean over `runs` of the best fitness at each of `times` (seconds).
pub fn mean_curve_seconds(runs: &[&Trajectory], times: &[f64]) -> Vec<f64> {
    times
        .iter()
        .map(|&t| mean(&runs.iter().map(|r| r.best_at(t)).collect::<Vec<_>>()))
        .collect()
}

/// The first index where `curve` reaches `target` (within 1e-12), if any.
pub fn first_reach(curve: &[f64], target: f64) -> Option<usize> {
    curve.iter().position(|&f| f >= target - REACH_SLACK)
}

/// The `q`-quantile of `values` by nearest rank: the sorted value at index
/// `round((n − 1)·q)`. Sorts `values` in place.
///
/// # Panics
/// If `values` is empty or `q` is outside [0, 1].
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    assert!((0.0..=1.0).contains(&q), "quantile {q} outside [0, 1]");
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * q).round() as usize]
}

/// A bootstrap resample of `items`: as many draws, uniformly with replacement.
pub fn resample<T: Copy>(items: &[T], rng: &mut ChaCha8Rng) -> Vec<T> {
    (0..items.len())
        .map(|_| items[rng.random_range(0..items.len())])
        .collect()
}

/// The ratio of grid positions (1-based) at which a reference and an arm reach a target:
/// `(reference + 1) / (arm + 1)` for 0-based indices, 0 when either never reaches it.
pub fn speedup(reference: Option<usize>, arm: Option<usize>) -> f64 {
    match (reference, arm) {
        (Some(b), Some(a)) => (b + 1) as f64 / (a + 1) as f64,
        _ => 0.0,
    }
}

/// Where two arms' mean curves reach the reference arm's final mean best fitness: 0-based
/// indices into the evaluation grid (`1..=evaluations`) and the time grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    /// The reference's mean best fitness after the last evaluation of the grid.
    pub target: f64,
    /// Where the reference's mean curve over evaluations reaches the target.
    pub reference_evaluations: Option<usize>,
    /// Where the arm's mean curve over evaluations reaches the target.
    pub arm_evaluations: Option<usize>,
    /// Where the reference's mean curve over seconds reaches the target.
    pub reference_secs: Option<usize>,
    /// Where the arm's mean curve over seconds reaches the target.
    pub arm_secs: Option<usize>,
}

impl Reach {
    /// Of the `reference` and `arm` runs, on the grids of 1..=`evaluations` real evaluations
    /// and of `times` seconds (`evaluations` = 0 reads as 1 for the target).
    pub fn of(
        reference: &[&Trajectory],
        arm: &[&Trajectory],
        evaluations: usize,
        times: &[f64],
    ) -> Reach {
        let base = mean_curve_evaluations(reference, evaluations);
        // The last point of `base`, computed directly so that an empty grid needs no special case.
        let target = mean(
            &reference
                .iter()
                .map(|r| r.best_after(evaluations))
                .collect::<Vec<_>>(),
        );
        Reach {
            target,
            reference_evaluations: first_reach(&base, target),
            arm_evaluations: first_reach(&mean_curve_evaluations(arm, evaluations), target),
            reference_secs: first_reach(&mean_curve_seconds(reference, times), target),
            arm_secs: first_reach(&mean_curve_seconds(arm, times), target),
        }
    }

    /// Real evaluations the reference needs divided by those the arm needs (0 if either never
    /// reaches the target).
    pub fn speedup_evaluations(&self) -> f64 {
        speedup(self.reference_evaluations, self.arm_evaluations)
    }

    /// The same ratio in wall-clock seconds (grid positions of the time grid).
    pub fn speedup_secs(&self) -> f64 {
        speedup(self.reference_secs, self.arm_secs)
    }
}

/// A two-sided percentile interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// An arm's speedup over a reference arm, with 95% bootstrap intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Speedup {
    /// The point estimate on all runs.
    pub reach: Reach,
    /// Interval of [`Reach::speedup_evaluations`].
    pub evaluations: Interval,
    /// Interval of [`Reach::speedup_secs`].
    pub secs: Interval,
}

/// The speedup of `arm` over `reference` with 95% percentile intervals from `resamples`
/// bootstrap resamples of the seeds of both arms (the reference's runs drawn first, then the
/// arm's, each resample in turn from `rng`). A resample in which the arm never reaches the
/// target counts as speedup 0, so the interval is conservative.
///
/// # Panics
/// If `resamples` is 0, or either arm has no runs.
pub fn bootstrap_speedup(
    reference: &[&Trajectory],
    arm: &[&Trajectory],
    evaluations: usize,
    times: &[f64],
    resamples: usize,
    rng: &mut ChaCha8Rng,
) -> Speedup {
    let reach = Reach::of(reference, arm, evaluations, times);
    let mut boot_e = Vec::with_capacity(resamples);
    let mut boot_t = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let b = resample(reference, rng);
        let g = resample(arm, rng);
        let r = Reach::of(&b, &g, evaluations, times);
        boot_e.push(r.speedup_evaluations());
        boot_t.push(r.speedup_secs());
    }
    let interval = |v: &mut [f64]| Interval {
        low: quantile(v, 0.025),
        high: quantile(v, 0.975),
    };
    Speedup {
        reach,
        evaluations: interval(&mut boot_e),
        secs: interval(&mut boot_t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// A run whose `k`-th evaluation ends at `k` seconds with best fitness `bests[k - 1]`.
    fn run(bests: &[f64]) -> Trajectory {
        Trajectory {
            points: bests
                .iter()
                .enumerate()
                .map(|(k, &b)| ((k + 1) as f64, b))
                .collect(),
        }
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let mut v = vec![5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(quantile(&mut v, 0.0), 1.0);
        assert_eq!(quantile(&mut v, 0.025), 1.0); // index round(0.1) = 0
        assert_eq!(quantile(&mut v, 0.25), 2.0); // index 1
        assert_eq!(quantile(&mut v, 0.5), 3.0);
        assert_eq!(quantile(&mut v, 0.975), 5.0); // index round(3.9) = 4
        let mut ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&mut ten, 0.5), 6.0); // index round(4.5) = 5
    }

    #[test]
    fn best_fitness_reads_off_the_trajectory() {
        let t = Trajectory {
            points: vec![(0.5, 1.0), (1.0, 2.0), (2.0, 2.5)],
        };
        assert_eq!(t.best_after(0), 1.0);
        assert_eq!(t.best_after(2), 2.0);
        assert_eq!(t.best_after(10), 2.5);
        assert_eq!(t.best_at(0.4), f64::NEG_INFINITY);
        assert_eq!(t.best_at(0.5), 1.0);
        assert_eq!(t.best_at(1.5), 2.0);
        assert_eq!(Trajectory::default().best_after(1), f64::NEG_INFINITY);
        let curve = mean_curve_evaluations(&[&t, &run(&[3.0])], 3);
        assert_eq!(curve, vec![2.0, 2.5, 2.75]);
        assert_eq!(
            mean_curve_seconds(&[&t], &[0.1, 1.0]),
            vec![f64::NEG_INFINITY, 2.0]
        );
    }

    #[test]
    fn first_reach_on_a_known_curve() {
        let curve = [0.1, 0.3, 0.5, 0.5];
        assert_eq!(first_reach(&curve, 0.3), Some(1));
        assert_eq!(first_reach(&curve, 0.5 + 1e-13), Some(2));
        assert_eq!(first_reach(&curve, 0.6), None);
        assert_eq!(speedup(Some(3), Some(1)), 2.0);
        assert_eq!(speedup(Some(3), None), 0.0);
    }

    #[test]
    fn bootstrap_interval_holds_the_true_speedup() {
        // The reference's mean curve reaches its final mean 1 after 4 evaluations, the arm's
        // after 2: speedup 2. Resampled, the reference reaches 1 after 4 evaluations (p = 3/4)
        // or 2 (both runs the fast one, p = 1/4), the arm after 2 (p = 3/4) or 1 (p = 1/4):
        // speedups 1 (p = 3/16), 2 (p = 10/16) and 4 (p = 3/16), so the 2.5% and 97.5%
        // quantiles are 1 and 4.
        let reference = [
            run(&[0.25, 0.5, 0.75, 1.0, 1.0, 1.0]),
            run(&[0.5, 1.0, 1.0, 1.0, 1.0, 1.0]),
        ];
        let arm = [run(&[0.5, 1.0]), run(&[1.0])];
        let (reference, arm): (Vec<&Trajectory>, Vec<&Trajectory>) =
            (reference.iter().collect(), arm.iter().collect());
        let times: Vec<f64> = (1..=6).map(f64::from).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let s = bootstrap_speedup(&reference, &arm, 6, &times, 1000, &mut rng);
        assert_eq!(s.reach.target, 1.0);
        assert_eq!(
            (s.reach.reference_evaluations, s.reach.arm_evaluations),
            (Some(3), Some(1))
        );
        assert_eq!(s.reach.speedup_evaluations(), 2.0);
        assert_eq!(s.reach.speedup_secs(), 2.0);
        let want = Interval {
            low: 1.0,
            high: 4.0,
        };
        assert_eq!((s.evaluations, s.secs), (want, want));
    }

    #[test]
    fn an_arm_that_never_reaches_the_target_has_speedup_zero() {
        let reference = run(&[0.5, 1.0]);
        let arm = run(&[0.5, 0.5]);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let s = bootstrap_speedup(&[&reference], &[&arm], 2, &[1.0, 2.0], 10, &mut rng);
        assert_eq!(s.reach.arm_evaluations, None);
        assert_eq!(s.reach.speedup_evaluations(), 0.0);
        assert_eq!(
            s.evaluations,
            Interval {
                low: 0.0,
                high: 0.0
            }
        );
    }
}
