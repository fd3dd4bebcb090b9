//! Summaries of the final re-evaluation ([`crate::archive::reevaluation`]): per program, the
//! mean, standard deviation and 95 % interval over fresh seeds of its training score and of
//! its held-out score, and per-task means.
//!
//! AutoML-Zero (Real et al. 2020) separates selection from reporting: candidates ranked on
//! the search tasks are re-evaluated, and only held-out scores are reported; Co-Reyes et al.
//! (ICLR 2021, §5) report learned losses on held-out environments over 10 training seeds. The
//! figures:
//! - **training score** of a seed: the training run's fitness, i.e. the sum of the normalized
//!   scores over the training tasks (the campaign's fitness, without hurdle);
//! - **held-out score** of a seed: the **sum** of the normalized scores over the held-out
//!   tasks (like the fitness, and like the optimizer domain's test score); a seed counts once
//!   every held-out task has a run for it. For a domain whose evaluator scores its own
//!   held-out set (optimizers), the training runs' test score is used instead;
//! - a failed run (diverged, non-finite, timed out) scores 0 and is counted in `failures`;
//! - per-task means come from the runs' `<task>/score` details (training tasks) and from each
//!   held-out run's fitness;
//! - intervals are Student-t 95 % intervals of the mean (none for a single seed).

use crate::archive::ReevaluationRecord;
use crate::hashing::Fingerprint;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::collections::BTreeMap;

/// Mean, spread and interval of a sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    /// Sample size.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 denominator; 0 for one value).
    pub std: f64,
    /// Student-t 95 % interval of the mean, `[low, high]` (`None` for fewer than 2 values).
    pub ci95: Option<[f64; 2]>,
}

impl Spread {
    /// The spread of `v`; `None` when empty.
    pub fn of(v: &[f64]) -> Option<Spread> {
        if v.is_empty() {
            return None;
        }
        let n = v.len();
        let mean = v.iter().sum::<f64>() / n as f64;
        let std = if n > 1 {
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        // n − 1 ≥ 1 degrees of freedom always form a valid distribution.
        let ci95 = (n > 1)
            .then(|| StudentsT::new(0.0, 1.0, (n - 1) as f64).ok())
            .flatten()
            .map(|dist| {
                let h = dist.inverse_cdf(0.975) * std / (n as f64).sqrt();
                [mean - h, mean + h]
            });
        Some(Spread { n, mean, std, ci95 })
    }

    /// `0.812 ± 0.034 [0.770, 0.854]` (mean ± std [95 % interval]).
    pub fn display(&self) -> String {
        match self.ci95 {
            Some([lo, hi]) => format!("{:.3} ± {:.3} [{lo:.3}, {hi:.3}]", self.mean, self.std),
            None => format!("{:.3}", self.mean),
        }
    }
}

/// One task's normalized score over the seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskScore {
    /// The task's name.
    pub task: String,
    /// Whether it is held out.
    pub held_out: bool,
    /// Its score over the seeds.
    pub score: Spread,
}

/// One program's re-evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramSummary {
    /// The candidate's id.
    pub candidate: u64,
    /// Its functional hash.
    #[serde(serialize_with = "fingerprint_text")]
    pub fingerprint: Fingerprint,
    /// The training task set.
    pub task_set: String,
    /// Training score per seed index (`None` where that seed has no training run).
    pub train_scores: Vec<Option<f64>>,
    /// Held-out score per seed index (`None` where a held-out run is missing, or when there
    /// is no held-out set).
    pub held_out_scores: Vec<Option<f64>>,
    /// Training score over the seeds.
    pub train: Option<Spread>,
    /// Held-out score (sum over the held-out tasks) over the seeds.
    pub held_out: Option<Spread>,
    /// Number of held-out tasks.
    pub held_out_tasks: usize,
    /// Per-task normalized scores, training tasks first.
    pub tasks: Vec<TaskScore>,
    /// Runs stored.
    pub runs: usize,
    /// Runs that failed (scored 0).
    pub failures: usize,
}

fn fingerprint_text<S: serde::Serializer>(f: &Fingerprint, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&f.to_string())
}

fn at(v: &mut Vec<Option<f64>>, k: usize, x: f64) {
    if v.len() <= k {
        v.resize(k + 1, None);
    }
    v[k] = Some(x);
}

/// Summarizes the runs of task set `task_set` (every task set when `None`), one entry per
/// (task set, candidate), best training mean first. The runs of the campaign's own task set
/// are those with [`ReevaluationRecord::campaign_task_set`].
pub fn summarize(records: &[ReevaluationRecord], task_set: Option<&str>) -> Vec<ProgramSummary> {
    let mut groups: BTreeMap<(&str, u64), Vec<&ReevaluationRecord>> = BTreeMap::new();
    // The held-out tasks of each task set: those any of its programs has a run of.
    let mut held: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for r in records
        .iter()
        .filter(|r| task_set.is_none_or(|t| t == r.task_set))
    {
        let h = held.entry(r.task_set.as_str()).or_default();
        if r.held_out && !h.contains(&r.task.as_str()) {
            h.push(&r.task);
        }
        groups
            .entry((r.task_set.as_str(), r.candidate))
            .or_default()
            .push(r);
    }
    let mut out: Vec<ProgramSummary> = groups
        .into_iter()
        .map(|((set, candidate), runs)| summarize_one(set, candidate, &runs, &held[set]))
        .collect();
    let key = |s: &ProgramSummary| s.train.as_ref().map_or(f64::NEG_INFINITY, |t| t.mean);
    out.sort_by(|a, b| {
        key(b)
            .total_cmp(&key(a))
            .then(a.candidate.cmp(&b.candidate))
    });
    out
}

fn summarize_one(
    set: &str,
    candidate: u64,
    runs: &[&ReevaluationRecord],
    held_tasks: &[&str],
) -> ProgramSummary {
    let mut train_scores = Vec::new();
    let mut test_scores: Vec<Option<f64>> = Vec::new();
    // task → (held out, seed index → score)
    let mut per_task: Vec<(String, bool, BTreeMap<usize, f64>)> = Vec::new();
    let mut task_entry = |name: &str, held_out: bool, k: usize, x: f64| {
        let i = match per_task.iter().position(|(n, _, _)| n == name) {
            Some(i) => i,
            None => {
                per_task.push((name.to_string(), held_out, BTreeMap::new()));
                per_task.len() - 1
            }
        };
        per_task[i].2.insert(k, x);
    };
    for r in runs {
        let k = r.seed_index;
        if r.held_out {
            task_entry(&r.task, true, k, r.score());
            continue;
        }
        at(&mut train_scores, k, r.score());
        if let Some(t) = r.evaluation.test_score {
            at(&mut test_scores, k, t);
        }
        for (name, v) in &r.evaluation.details {
            if let Some(task) = name.strip_suffix("/score")
                && !task.contains('/')
            {
                task_entry(task, false, k, *v);
            }
        }
    }
    let seeds = runs.iter().map(|r| r.seed_index + 1).max().unwrap_or(0);
    let held_out_scores: Vec<Option<f64>> = if held_tasks.is_empty() {
        (0..seeds)
            .map(|k| test_scores.get(k).copied().flatten())
            .collect()
    } else {
        (0..seeds)
            .map(|k| {
                held_tasks
                    .iter()
                    .map(|t| {
                        per_task
                            .iter()
                            .find(|(n, _, _)| n == t)
                            .and_then(|(_, _, s)| s.get(&k).copied())
                    })
                    .sum::<Option<f64>>()
            })
            .collect()
    };
    train_scores.resize(seeds, None);
    let present = |v: &[Option<f64>]| v.iter().flatten().copied().collect::<Vec<f64>>();
    per_task.sort_by_key(|(_, held, _)| *held);
    ProgramSummary {
        candidate,
        fingerprint: runs[0].fingerprint,
        task_set: set.to_string(),
        train: Spread::of(&present(&train_scores)),
        held_out: Spread::of(&present(&held_out_scores)),
        held_out_tasks: held_tasks.len(),
        tasks: per_task
            .into_iter()
            .filter_map(|(task, held_out, s)| {
                let v: Vec<f64> = s.into_values().collect();
                Spread::of(&v).map(|score| TaskScore {
                    task,
                    held_out,
                    score,
                })
            })
            .collect(),
        train_scores,
        held_out_scores,
        runs: runs.len(),
        failures: runs
            .iter()
            .filter(|r| r.evaluation.fitness.is_none())
            .count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Cost, Evaluation, Outcome};

    fn run(candidate: u64, task: &str, k: usize, fitness: Option<f64>) -> ReevaluationRecord {
        let held_out = task != "a,b";
        ReevaluationRecord {
            task_set: "a,b".into(),
            campaign_task_set: true,
            candidate,
            fingerprint: Fingerprint(candidate as u128),
            task: task.into(),
            held_out,
            seed_index: k,
            seed: k as u64,
            evaluation: Evaluation {
                fitness,
                test_score: None,
                details: match (held_out, fitness) {
                    (false, Some(f)) => vec![
                        ("a/score".into(), f / 2.0),
                        ("a/mean_return".into(), 99.0),
                        ("b/score".into(), f / 2.0),
                    ],
                    _ => vec![],
                },
                outcome: if fitness.is_some() {
                    Outcome::Ok
                } else {
                    Outcome::Diverged
                },
                cost: Cost::default(),
            },
            created_unix: 0.0,
        }
    }

    #[test]
    fn a_spread_has_the_t_interval_of_its_mean() {
        // mean 2, sd 1, t(0.975, 2) = 4.302653: half-width 4.302653/√3 = 2.484138.
        let s = Spread::of(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!((s.n, s.mean, s.std), (3, 2.0, 1.0));
        let [lo, hi] = s.ci95.unwrap();
        assert!((hi - 2.0 - 2.484138).abs() < 1e-5 && (2.0 - lo - 2.484138).abs() < 1e-5);
        assert_eq!(Spread::of(&[4.0]).unwrap().ci95, None);
        assert!(Spread::of(&[]).is_none());
    }

    #[test]
    fn held_out_scores_sum_the_held_out_tasks_per_seed_and_failures_score_zero() {
        let records = vec![
            run(5, "a,b", 0, Some(1.0)),
            run(5, "a,b", 1, Some(1.4)),
            run(5, "h1", 0, Some(0.25)),
            run(5, "h1", 1, None),
            run(5, "h2", 0, Some(0.5)),
            run(5, "h2", 1, Some(0.75)),
            run(9, "a,b", 0, Some(1.8)),
            run(9, "h1", 0, Some(0.1)),
        ];
        let s = summarize(&records, Some("a,b"));
        assert_eq!(s.iter().map(|p| p.candidate).collect::<Vec<_>>(), [9, 5]);
        let p = &s[1];
        assert_eq!(p.train_scores, [Some(1.0), Some(1.4)]);
        assert_eq!(p.held_out_scores, [Some(0.75), Some(0.75)]);
        assert!((p.train.as_ref().unwrap().mean - 1.2).abs() < 1e-12);
        assert_eq!((p.held_out_tasks, p.runs, p.failures), (2, 6, 1));
        let names: Vec<(&str, bool)> = p
            .tasks
            .iter()
            .map(|t| (t.task.as_str(), t.held_out))
            .collect();
        assert_eq!(
            names,
            [("a", false), ("b", false), ("h1", true), ("h2", true)]
        );
        assert!((p.tasks[0].score.mean - 0.6).abs() < 1e-12);
        assert!((p.tasks[2].score.mean - 0.125).abs() < 1e-12);
        // Candidate 9 has no run of h2 (the set's other held-out task): it has no held-out score.
        assert_eq!(s[0].held_out_scores, [None]);
        assert!(s[0].held_out.is_none());
        assert!(summarize(&records, Some("other")).is_empty());
    }
}
