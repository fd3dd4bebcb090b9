//! Predictor-guided mutation with retries (PAM-RT; Co-Reyes, Miao, Tucker, Faust, Real,
//! "Guided Evolution with Binary Discriminators for ML Program Search", 2024, §3.3).
//!
//! After the tournament, the parent is mutated; while the discriminator says the child is not
//! better (`D(child, parent) < τ`), it is mutated again, up to a retry cap. A child whose
//! fingerprint was already evaluated needs no prediction: its fitness is known, so the true
//! comparison with the parent is used instead (a "free label"). When every try is rejected, the
//! best-scored child is returned so each proposal still yields exactly one child.

use serde::{Deserialize, Serialize};

/// Where a retry starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum RetryFrom {
    /// Mutate the parent again (independent tries).
    #[default]
    Parent,
    /// Stack the next mutation on the rejected child (a short random walk away from the parent).
    Child,
}

/// How one child was judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Judgement {
    /// Predicted by the discriminator: `D(child, parent)`.
    Predicted(f64),
    /// Known from an earlier evaluation of the same function: 1 if better than the parent, 0 if
    /// not (ties included).
    Known(f64),
}

impl Judgement {
    /// The score compared with the threshold.
    pub fn score(self) -> f64 {
        match self {
            Judgement::Predicted(s) | Judgement::Known(s) => s,
        }
    }
}

/// The result of one guided proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct GuidedChild<C> {
    /// The chosen child.
    pub child: C,
    /// Its judgement.
    pub judgement: Judgement,
    /// Children generated (1 + retries used).
    pub tries: usize,
    /// Discriminator predictions made.
    pub predictions: usize,
    /// Children judged by a known fitness instead.
    pub free_labels: usize,
    /// Whether every try scored below the threshold (the best-scored child was taken).
    pub cap_reached: bool,
}

/// Runs PAM-RT: `mutate(base)` makes a child from `base` (the parent, or the last rejected
/// child under [`RetryFrom::Child`]); `judge(child)` scores it; a child is accepted when its score
/// is at least `threshold`; at most `max_retries` retries follow the first try. Ties for the
/// best score keep the earliest child.
pub fn guided_mutation<C: Clone>(
    parent: &C,
    threshold: f64,
    max_retries: usize,
    retry_from: RetryFrom,
    mut mutate: impl FnMut(&C) -> C,
    mut judge: impl FnMut(&C) -> Judgement,
) -> GuidedChild<C> {
    // The best rejected child so far; the first try always happens.
    let mut best: Option<(C, Judgement)> = None;
    let mut last: Option<C> = None;
    let (mut predictions, mut free_labels) = (0, 0);
    let mut t = 0;
    let (child, judgement) = loop {
        let base = match (retry_from, &last) {
            (RetryFrom::Child, Some(c)) => c,
            _ => parent,
        };
        let child = mutate(base);
        let j = judge(&child);
        match j {
            Judgement::Predicted(_) => predictions += 1,
            Judgement::Known(_) => free_labels += 1,
        }
        if j.score() >= threshold {
            return GuidedChild {
                child,
                judgement: j,
                tries: t + 1,
                predictions,
                free_labels,
                cap_reached: false,
            };
        }
        let best_so_far = match best.take() {
            Some((b, bj)) if bj.score() >= j.score() => (b, bj),
            _ => (child.clone(), j),
        };
        if t == max_retries {
            break best_so_far;
        }
        best = Some(best_so_far);
        last = Some(child);
        t += 1;
    };
    GuidedChild {
        child,
        judgement,
        tries: max_retries + 1,
        predictions,
        free_labels,
        cap_reached: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Children are integers; the parent is 0; mutation adds 1 to its base; the "discriminator"
    /// scores child `c` as `scores[c]`.
    fn run(scores: &[f64], retry_from: RetryFrom, cap: usize) -> (GuidedChild<usize>, Vec<usize>) {
        let mut counter = 0;
        let mut seen = vec![];
        let out = guided_mutation(
            &0usize,
            0.5,
            cap,
            retry_from,
            |base| {
                counter += 1;
                match retry_from {
                    RetryFrom::Parent => counter,
                    RetryFrom::Child => base + 1,
                }
            },
            |&c| {
                seen.push(c);
                if c == 99 {
                    Judgement::Known(1.0)
                } else {
                    Judgement::Predicted(scores[c])
                }
            },
        );
        (out, seen)
    }

    #[test]
    fn rejects_children_scored_below_threshold() {
        // Children 1 and 2 score below τ = 0.5 and are rejected; child 3 is accepted.
        let (out, seen) = run(&[0.0, 0.2, 0.49, 0.7, 0.9], RetryFrom::Parent, 8);
        assert_eq!(out.child, 3);
        assert_eq!(seen, vec![1, 2, 3]);
        assert_eq!((out.tries, out.predictions, out.cap_reached), (3, 3, false));
        assert_eq!(out.judgement, Judgement::Predicted(0.7));
    }

    #[test]
    fn cap_returns_the_best_scored_child() {
        let (out, seen) = run(&[0.0, 0.1, 0.4, 0.3, 0.2], RetryFrom::Parent, 3);
        assert_eq!(seen, vec![1, 2, 3, 4], "one try plus three retries");
        assert!(out.cap_reached);
        assert_eq!(out.child, 2);
    }

    #[test]
    fn stacked_retries_mutate_the_rejected_child() {
        let mut bases = vec![];
        let out = guided_mutation(
            &10usize,
            0.5,
            2,
            RetryFrom::Child,
            |&b| {
                bases.push(b);
                b + 1
            },
            |_| Judgement::Predicted(0.1),
        );
        assert_eq!(bases, vec![10, 11, 12]);
        assert!(out.cap_reached && out.child == 11, "ties keep the earliest");
    }

    #[test]
    fn known_fitness_is_a_free_label() {
        let out = guided_mutation(
            &0usize,
            0.5,
            4,
            RetryFrom::Parent,
            |_| 99,
            |_| Judgement::Known(0.0),
        );
        assert_eq!((out.predictions, out.free_labels), (0, 5));
    }
}
