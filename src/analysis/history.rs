//! Progress curves of a campaign, rebuilt from its archived candidate records.

use crate::archive::CandidateRecord;
use crate::engine::Outcome;
use serde::Serialize;

/// The campaign after one insertion (records in insertion order).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryPoint {
    /// Candidates inserted so far (evaluated or served by the cache).
    pub candidates: u64,
    /// Real evaluations run so far.
    pub evaluations: u64,
    /// Seconds since the first insertion, by the insertion timestamps (a resumed campaign's
    /// pause shows as a gap).
    pub elapsed_secs: f64,
    /// Best fitness so far (`None` until a candidate has one).
    pub best: Option<f64>,
    /// Median fitness of the population (the last `population` insertions, as regularized
    /// evolution keeps them), over members with a finite fitness.
    pub median: Option<f64>,
    /// Share of candidates served by the functional equivalence cache so far, in [0, 1].
    pub fec_hit_rate: f64,
    /// Evaluations stopped at the hurdle so far.
    pub hurdle_stops: u64,
}

/// What the curves need from one record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Position in insertion order.
    pub seq: u64,
    /// Fitness (`None` for failures).
    pub fitness: Option<f64>,
    /// Served from the functional equivalence cache.
    pub fec_hit: bool,
    /// Outcome was a hurdle stop.
    pub hurdle: bool,
    /// Unix time of insertion.
    pub created_unix: f64,
}

impl Step {
    /// The step of a record summary.
    pub fn of(r: &crate::archive::RecordSummary) -> Step {
        Step {
            seq: r.seq,
            fitness: r.fitness,
            fec_hit: r.fec_hit,
            hurdle: r.outcome == Outcome::Hurdle,
            created_unix: r.created_unix,
        }
    }
}

/// The most points [`history_of_steps`] gives when downsampling for plots: a curve of a
/// million candidates drawn point by point makes a ~75 MB SVG that adds nothing visible.
pub const PLOT_POINTS: usize = 4000;

/// Rebuilds the curves from `records` (any order; sorted by insertion here). `population` is
/// the campaign's population size, which sets the window of the median.
pub fn history(records: &[CandidateRecord], population: usize) -> Vec<HistoryPoint> {
    let mut steps: Vec<Step> = records
        .iter()
        .map(|r| Step {
            seq: r.seq,
            fitness: r.fitness,
            fec_hit: r.fec_hit,
            hurdle: r.outcome == Outcome::Hurdle,
            created_unix: r.created_unix,
        })
        .collect();
    history_of_steps(&mut steps, population, None)
}

/// [`history`] from steps (sorted by insertion here). With `max_points`, only every k-th
/// insertion gets a point (k chosen so that at most `max_points` are kept; the last insertion
/// always has one); the counters and the best still account for every insertion, and the
/// median is that of the population window at each kept point.
pub fn history_of_steps(
    steps: &mut [Step],
    population: usize,
    max_points: Option<usize>,
) -> Vec<HistoryPoint> {
    steps.sort_by_key(|r| r.seq);
    let recs = &*steps;
    let stride = max_points.map_or(1, |m| recs.len().div_ceil(m.max(1)).max(1));
    let t0 = recs.first().map(|r| r.created_unix).unwrap_or(0.0);
    let window = population.max(1);
    let mut out = Vec::with_capacity(recs.len() / stride + 1);
    let (mut evaluations, mut hits, mut stops) = (0u64, 0u64, 0u64);
    let mut best: Option<f64> = None;
    for (k, r) in recs.iter().enumerate() {
        if r.fec_hit {
            hits += 1;
        } else {
            evaluations += 1;
        }
        if r.hurdle && !r.fec_hit {
            stops += 1;
        }
        if let Some(f) = r.fitness.filter(|f| f.is_finite()) {
            best = Some(best.map_or(f, |b| b.max(f)));
        }
        if (k + 1) % stride != 0 && k + 1 != recs.len() {
            continue;
        }
        let start = (k + 1).saturating_sub(window);
        let mut members: Vec<f64> = recs[start..=k]
            .iter()
            .filter_map(|m| m.fitness.filter(|f| f.is_finite()))
            .collect();
        out.push(HistoryPoint {
            candidates: k as u64 + 1,
            evaluations,
            elapsed_secs: (r.created_unix - t0).max(0.0),
            best,
            median: median(&mut members),
            fec_hit_rate: hits as f64 / (k + 1) as f64,
            hurdle_stops: stops,
        });
    }
    out
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::Cost;
    use crate::hashing::Fingerprint;

    pub(crate) fn record(
        seq: u64,
        fitness: Option<f64>,
        size: usize,
        fec_hit: bool,
    ) -> CandidateRecord {
        CandidateRecord {
            id: seq,
            seq,
            program: String::new(),
            expression: format!("p{seq}"),
            size,
            fingerprint: Fingerprint(seq as u128),
            structural_hash: seq,
            fitness,
            test_score: None,
            details: vec![],
            outcome: if fitness.is_some() {
                Outcome::Ok
            } else {
                Outcome::NonFinite
            },
            parent: None,
            mutation: None,
            seed: None,
            fec_hit,
            cost: Cost::default(),
            created_unix: 100.0 + seq as f64,
        }
    }

    #[test]
    fn curves_follow_the_records() {
        let recs = vec![
            record(2, Some(0.5), 3, true),
            record(0, Some(0.2), 1, false),
            record(1, None, 2, false),
            record(3, Some(0.1), 2, false),
        ];
        let h = history(&recs, 2);
        let best: Vec<_> = h.iter().map(|p| p.best).collect();
        assert_eq!(best, vec![Some(0.2), Some(0.2), Some(0.5), Some(0.5)]);
        assert_eq!(h[3].evaluations, 3);
        assert_eq!(h[3].fec_hit_rate, 0.25);
        assert_eq!(h[3].elapsed_secs, 3.0);
        // Window of 2: {None, 0.5} then {0.5, 0.1}.
        assert_eq!(h[2].median, Some(0.5));
        assert_eq!(h[3].median, Some(0.3));
    }

    #[test]
    fn downsampled_curves_keep_the_counters_and_the_last_point() {
        let recs: Vec<CandidateRecord> = (0..1000)
            .map(|i| record(i, Some(i as f64), 3, i % 4 == 0))
            .collect();
        let full = history(&recs, 10);
        let mut steps: Vec<Step> = full_steps(&recs);
        let h = history_of_steps(&mut steps, 10, Some(30));
        assert!(h.len() <= 30, "{} points", h.len());
        // Every kept point equals the full curve's point at the same insertion.
        for p in &h {
            assert_eq!(p, &full[p.candidates as usize - 1]);
        }
        assert_eq!(h.last().unwrap(), full.last().unwrap());
        assert_eq!(h.last().unwrap().evaluations, 750);
    }

    fn full_steps(recs: &[CandidateRecord]) -> Vec<Step> {
        recs.iter()
            .map(|r| Step {
                seq: r.seq,
                fitness: r.fitness,
                fec_hit: r.fec_hit,
                hurdle: r.outcome == Outcome::Hurdle,
                created_unix: r.created_unix,
            })
            .collect()
    }
}
