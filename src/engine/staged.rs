//! Staged evaluation, shared by the domains whose evaluation is a sequence of training runs
//! (RL losses: one environment per stage; optimizers: one problem per stage, then the
//! held-out problems).
//!
//! The rules, written once:
//! - stage `k` is seeded with `ctx.seed + k` (wrapping);
//! - every stage sees the wall-clock time left of `ctx.time_limit`, counted from the start of
//!   the evaluation;
//! - the fitness is the sum of the training stages' scores; the test score is the sum of the
//!   held-out stages' scores (none when there are no held-out stages);
//! - the first stage is a hurdle (AutoML-Zero's progressive evaluation, Real et al. 2020;
//!   Co-Reyes et al. 2021 use 0.6 on CartPole): when there are several training stages and its
//!   score is below `ctx.hurdle`, the others are skipped and the outcome is
//!   [`Outcome::Hurdle`] with the first stage's score as fitness;
//! - a failing training stage ends the evaluation with its outcome and no fitness; a failing
//!   held-out stage scores 0 there and never costs the candidate its fitness.

use super::{Cost, EvalContext, Evaluation, Outcome};
use std::time::{Duration, Instant};

/// The clock and seeds of one evaluation.
#[derive(Debug, Clone, Copy)]
pub struct StageClock {
    start: Instant,
    limit: Option<Duration>,
    seed: u64,
}

impl StageClock {
    /// Starts the clock of an evaluation now.
    pub fn start(ctx: &EvalContext) -> Self {
        StageClock {
            start: Instant::now(),
            limit: ctx.time_limit,
            seed: ctx.seed,
        }
    }

    /// Seed of stage `k`: `ctx.seed + k`, wrapping.
    pub fn seed(&self, k: usize) -> u64 {
        self.seed.wrapping_add(k as u64)
    }

    /// The instant the evaluation's time limit runs out, when it has one.
    pub fn deadline(&self) -> Option<Instant> {
        self.limit.map(|t| self.start + t)
    }

    /// Seconds left of the time limit (never negative), when there is one.
    pub fn time_left_secs(&self) -> Option<f64> {
        let elapsed = self.start.elapsed().as_secs_f64();
        self.limit.map(|t| (t.as_secs_f64() - elapsed).max(0.0))
    }

    /// The cost so far: wall-clock seconds since the start and `steps` domain steps.
    pub fn cost(&self, steps: u64) -> Cost {
        Cost {
            wall_secs: self.start.elapsed().as_secs_f64(),
            steps,
        }
    }
}

/// Whether a first-stage fitness stops the evaluation at the context's hurdle.
pub fn below_hurdle(ctx: &EvalContext, first_stage_fitness: f64) -> bool {
    ctx.hurdle.is_some_and(|h| first_stage_fitness < h)
}

/// An evaluation stopped at the hurdle: its first-stage fitness, its details so far.
pub fn hurdle_stop(fitness: f64, details: Vec<(String, f64)>, cost: Cost) -> Evaluation {
    Evaluation {
        fitness: Some(fitness),
        test_score: None,
        details,
        outcome: Outcome::Hurdle,
        cost,
    }
}

/// One stage of a staged evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage<'a> {
    /// Name, the prefix of its details (`cartpole` gives `cartpole/score`, …).
    pub name: &'a str,
    /// A held-out stage: scored into the test score, never the fitness.
    pub held_out: bool,
}

/// What a stage is given.
#[derive(Debug, Clone, Copy)]
pub struct StageInput {
    /// Index of the stage.
    pub index: usize,
    /// Its seed.
    pub seed: u64,
    /// When the evaluation's time limit runs out.
    pub deadline: Option<Instant>,
    /// Seconds left of the time limit at the start of the stage.
    pub time_left_secs: Option<f64>,
}

/// How a stage ended.
#[derive(Debug, Clone, PartialEq)]
pub enum StageResult {
    /// Completed with a score (normalized, typically in [0, 1]) and named figures (keys
    /// without the stage prefix).
    Scored {
        /// The score.
        score: f64,
        /// Named figures, recorded after `<stage>/score`.
        details: Vec<(String, f64)>,
        /// Domain steps taken.
        steps: u64,
    },
    /// Training failed (non-finite, diverged, timed out).
    Failed {
        /// How it failed.
        outcome: Outcome,
        /// Named figures of the failed stage (keys without the stage prefix).
        details: Vec<(String, f64)>,
        /// Domain steps taken.
        steps: u64,
    },
    /// The stage could not run at all (the stage has logged why): the evaluation is
    /// [`Outcome::Invalid`] and keeps no details.
    Aborted,
}

/// Runs `stages` in order through `run`, applying the rules of the module docs.
pub fn evaluate_staged(
    ctx: &EvalContext,
    stages: &[Stage<'_>],
    mut run: impl FnMut(StageInput) -> StageResult,
) -> Evaluation {
    let clock = StageClock::start(ctx);
    let train_stages = stages.iter().filter(|s| !s.held_out).count();
    let mut details: Vec<(String, f64)> = Vec::new();
    let (mut fitness, mut held_out, mut steps) = (0.0, 0.0, 0u64);
    let prefixed = |name: &str, d: Vec<(String, f64)>| {
        d.into_iter()
            .map(move |(k, v)| (format!("{name}/{k}"), v))
            .collect::<Vec<_>>()
    };
    for (k, stage) in stages.iter().enumerate() {
        let input = StageInput {
            index: k,
            seed: clock.seed(k),
            deadline: clock.deadline(),
            time_left_secs: clock.time_left_secs(),
        };
        let name = stage.name;
        match run(input) {
            StageResult::Aborted => return Evaluation::failed(Outcome::Invalid, clock.cost(steps)),
            StageResult::Failed {
                outcome,
                details: d,
                steps: s,
            } => {
                steps += s;
                if stage.held_out {
                    details.push((format!("{name}/score"), 0.0));
                    details.push((format!("{name}/{}", outcome.name()), 1.0));
                    details.extend(prefixed(name, d));
                    continue;
                }
                let mut e = Evaluation::failed(outcome, clock.cost(steps));
                details.extend(prefixed(name, d));
                e.details = details;
                return e;
            }
            StageResult::Scored {
                score,
                details: d,
                steps: s,
            } => {
                steps += s;
                details.push((format!("{name}/score"), score));
                details.extend(prefixed(name, d));
                if stage.held_out {
                    held_out += score;
                    continue;
                }
                fitness += score;
                if k == 0 && train_stages > 1 && below_hurdle(ctx, score) {
                    return hurdle_stop(fitness, details, clock.cost(steps));
                }
            }
        }
    }
    Evaluation {
        fitness: Some(fitness),
        test_score: (train_stages < stages.len()).then_some(held_out),
        details,
        outcome: Outcome::Ok,
        cost: clock.cost(steps),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(hurdle: Option<f64>) -> EvalContext {
        EvalContext {
            seed: 100,
            hurdle,
            time_limit: None,
        }
    }

    const TRAIN: [Stage<'static>; 2] = [
        Stage {
            name: "a",
            held_out: false,
        },
        Stage {
            name: "b",
            held_out: false,
        },
    ];

    fn scored(score: f64) -> StageResult {
        StageResult::Scored {
            score,
            details: vec![("x".into(), score * 10.0)],
            steps: 3,
        }
    }

    #[test]
    fn stages_are_seeded_in_order_and_their_scores_summed() {
        let mut seeds = vec![];
        let e = evaluate_staged(&ctx(None), &TRAIN, |i| {
            seeds.push((i.index, i.seed));
            scored(0.25 * (i.index + 1) as f64)
        });
        assert_eq!(seeds, vec![(0, 100), (1, 101)]);
        assert_eq!(e.outcome, Outcome::Ok);
        assert_eq!(e.fitness, Some(0.75));
        assert_eq!(e.test_score, None);
        assert_eq!(e.cost.steps, 6);
        let names: Vec<&str> = e.details.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["a/score", "a/x", "b/score", "b/x"]);
    }

    #[test]
    fn a_first_stage_below_the_hurdle_skips_the_rest() {
        let mut ran = 0;
        let e = evaluate_staged(&ctx(Some(0.6)), &TRAIN, |_| {
            ran += 1;
            scored(0.5)
        });
        assert_eq!((ran, e.outcome, e.fitness), (1, Outcome::Hurdle, Some(0.5)));
        // At or above the hurdle, every stage runs.
        let e = evaluate_staged(&ctx(Some(0.5)), &TRAIN, |_| scored(0.5));
        assert_eq!((e.outcome, e.fitness), (Outcome::Ok, Some(1.0)));
        // A single stage is never a hurdle stage.
        let e = evaluate_staged(&ctx(Some(0.6)), &TRAIN[..1], |_| scored(0.5));
        assert_eq!(e.outcome, Outcome::Ok);
    }

    #[test]
    fn a_failing_training_stage_ends_the_evaluation_with_its_outcome() {
        let e = evaluate_staged(&ctx(None), &TRAIN, |i| match i.index {
            0 => scored(0.5),
            _ => StageResult::Failed {
                outcome: Outcome::Diverged,
                details: vec![("env_steps".into(), 7.0)],
                steps: 7,
            },
        });
        assert_eq!((e.outcome, e.fitness), (Outcome::Diverged, None));
        assert_eq!(e.cost.steps, 10);
        assert_eq!(e.details.last(), Some(&("b/env_steps".to_string(), 7.0)));
        let e = evaluate_staged(&ctx(None), &TRAIN, |_| StageResult::Aborted);
        assert_eq!((e.outcome, e.details.len()), (Outcome::Invalid, 0));
    }

    #[test]
    fn held_out_stages_score_the_test_score_and_their_failures_score_zero() {
        let stages = [
            TRAIN[0],
            Stage {
                name: "h1",
                held_out: true,
            },
            Stage {
                name: "h2",
                held_out: true,
            },
        ];
        // One training stage: never a hurdle, even below it.
        let e = evaluate_staged(&ctx(Some(0.9)), &stages, |i| match i.index {
            2 => StageResult::Failed {
                outcome: Outcome::NonFinite,
                details: vec![],
                steps: 1,
            },
            _ => scored(0.5),
        });
        assert_eq!(e.outcome, Outcome::Ok);
        assert_eq!((e.fitness, e.test_score), (Some(0.5), Some(0.5)));
        assert!(e.details.contains(&("h2/score".into(), 0.0)));
        assert!(e.details.contains(&("h2/non_finite".into(), 1.0)));
    }

    #[test]
    fn stages_see_the_time_left() {
        let c = EvalContext {
            time_limit: Some(Duration::from_secs(60)),
            ..ctx(None)
        };
        let e = evaluate_staged(&c, &TRAIN[..1], |i| {
            let left = i.time_left_secs.unwrap();
            assert!(left > 59.0 && left <= 60.0, "{left}");
            assert!(i.deadline.unwrap() > Instant::now());
            scored(1.0)
        });
        assert_eq!(e.outcome, Outcome::Ok);
        evaluate_staged(&ctx(None), &TRAIN[..1], |i| {
            assert!(i.time_left_secs.is_none() && i.deadline.is_none());
            scored(1.0)
        });
    }
}
