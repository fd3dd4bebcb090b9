//! Hurdles: stop evaluating weak candidates after a cheap first stage.
//!
//! Sources: the rolling hurdle of AutoML-Zero (Real et al., ICML 2020, §4: the 75th percentile
//! of the population's unique fitnesses, about 5× speed-up) and the fixed CartPole hurdle of
//! Co-Reyes et al. (ICLR 2021, §4: normalized score < 0.6 skips the other environments).

use super::population::Population;
use serde::{Deserialize, Serialize};

/// Hurdle setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum HurdleConfig {
    /// No hurdle.
    #[default]
    None,
    /// A fixed threshold on the first stage's fitness.
    Fixed {
        /// The threshold.
        value: f64,
    },
    /// The given percentile (0–100) of the population's unique finite fitnesses, once the
    /// population is full.
    RollingPercentile {
        /// Percentile, e.g. 75.
        percentile: f64,
    },
}

impl HurdleConfig {
    /// The hurdle for the next candidate, given the current population.
    pub fn current(&self, population: &Population) -> Option<f64> {
        match self {
            HurdleConfig::None => None,
            HurdleConfig::Fixed { value } => Some(*value),
            HurdleConfig::RollingPercentile { percentile } => {
                if !population.is_full() {
                    return None;
                }
                let mut f: Vec<f64> = population
                    .members()
                    .filter_map(|m| m.fitness)
                    .filter(|v| v.is_finite())
                    .collect();
                f.sort_by(|a, b| a.total_cmp(b));
                f.dedup();
                percentile_of_sorted(&f, *percentile)
            }
        }
    }
}

/// Linear-interpolation percentile of sorted values (numpy's default); `None` if empty.
pub fn percentile_of_sorted(sorted: &[f64], pct: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = (pct.clamp(0.0, 100.0) / 100.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evolution::population::Member;

    #[test]
    fn percentile_matches_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile_of_sorted(&v, 75.0), Some(3.25));
        assert_eq!(percentile_of_sorted(&v, 0.0), Some(1.0));
        assert_eq!(percentile_of_sorted(&[], 50.0), None);
    }

    #[test]
    fn rolling_hurdle_waits_for_a_full_population_and_uses_unique_values() {
        let mut p = Population::new(4);
        let h = HurdleConfig::RollingPercentile { percentile: 75.0 };
        for (i, f) in [1.0, 1.0, 1.0].iter().enumerate() {
            p.push(Member {
                id: i as u64,
                fitness: Some(*f),
                size: 1,
                fingerprint: crate::hashing::Fingerprint(i as u128),
            });
        }
        assert_eq!(h.current(&p), None);
        p.push(Member {
            id: 3,
            fitness: Some(3.0),
            size: 1,
            fingerprint: crate::hashing::Fingerprint(3),
        });
        // unique {1, 3}: 75th percentile = 2.5
        assert_eq!(h.current(&p), Some(2.5));
    }
}
