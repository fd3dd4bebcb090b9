//! Guided evolution: an online binary discriminator that filters mutated children before they
//! are evaluated.
//!
//! Source: Co-Reyes, Miao, Tucker, Faust, Real, "Guided Evolution with Binary Discriminators for
//! ML Program Search" (2024). A GNN reads two programs and predicts `D(a, b) = P(a is better than
//! b)` (§3); it is trained online on the programs evaluated so far (§3.2); predictor-guided
//! mutation (PAM-RT, §3.3) mutates the tournament winner again while `D(child, parent) < τ`, up
//! to a retry cap. What the paper leaves open and gevo chose is documented per file:
//!
//! - [`encoding`]: programs as graphs (node and edge features; dead nodes dropped),
//! - [`model`]: the GIN/attention network and its antisymmetric pair head,
//! - [`buffer`]: the replay buffer of evaluated programs (one entry per functional hash),
//! - [`online`]: online training, held-out accuracy, accounting and persistence,
//! - [`pam`]: predictor-guided mutation with retries.
//!
//! Every setting lives in [`GuideConfig`] (part of the campaign settings).

pub mod buffer;
pub mod encoding;
pub mod model;
pub mod online;
pub mod pam;

pub use encoding::{GraphEncoder, GraphEncoding};
pub use model::{Discriminator, DiscriminatorConfig, GraphBatch};
pub use online::{AccuracyPoint, GuideSnapshot, GuideStats, GuideSwitch, OnlineDiscriminator};
pub use pam::{RetryFrom, guided_mutation};

use serde::{Deserialize, Serialize};

/// Which guide filters children.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum GuideKind {
    /// No guide: every child is evaluated (plain regularized evolution).
    #[default]
    None,
    /// The online binary discriminator with predictor-guided mutation (PAM-RT).
    Discriminator,
}

/// Settings of guided evolution (`--guide discriminator` and the `--guide-*` flags).
///
/// Defaults are gevo's choices (the paper publishes none of these values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuideConfig {
    /// Which guide (default [`GuideKind::None`]).
    pub kind: GuideKind,
    /// Retrain after this many new real evaluations, `N` (default 32).
    pub retrain_every: u64,
    /// Adam steps per retrain, `S` (default 40).
    pub train_steps: usize,
    /// Pairs per training step, each used in both orderings (default 64).
    pub pairs_per_step: usize,
    /// Adam learning rate (default 1e-3).
    pub learning_rate: f64,
    /// Acceptance threshold `τ`: a child is evaluated when `D(child, parent) ≥ τ` (default 0.5).
    pub threshold: f64,
    /// Retry cap: at most this many extra mutations per proposal (default 8); when all are
    /// rejected the best-scored child is evaluated.
    pub max_retries: usize,
    /// Warm-up: no guidance until the buffer holds this many programs (default 64).
    pub warmup: usize,
    /// Mutate again from the parent (default) or stack the next mutation on the rejected child.
    pub retry_from: RetryFrom,
    /// Fitness differences at or below this are ties: skipped in training and counted as
    /// neither better nor worse (default 1e-9; raise it to the evaluation noise for RL).
    pub tie_tolerance: f64,
    /// Accept a tried child whose function was already evaluated and ties its parent (within
    /// `tie_tolerance`) instead of retrying, so it re-enters the population at no evaluation
    /// cost as under plain FEC (default `false`: only a known *better* child is accepted).
    pub accept_known_ties: bool,
    /// Replay buffer capacity in programs; the oldest entries are dropped (default 2048).
    pub buffer_capacity: usize,
    /// Accuracy floor: while the last held-out pair accuracy is below it, the discriminator is
    /// switched off and children are proposed by plain mutation; it is switched back on when a
    /// later measurement reaches the floor (default 0.6; 0 never switches off).
    pub min_accuracy: f64,
    /// Network shape.
    pub network: DiscriminatorConfig,
}

impl Default for GuideConfig {
    fn default() -> Self {
        GuideConfig {
            kind: GuideKind::None,
            retrain_every: 32,
            train_steps: 40,
            pairs_per_step: 64,
            learning_rate: 1e-3,
            threshold: 0.5,
            max_retries: 8,
            warmup: 64,
            retry_from: RetryFrom::Parent,
            tie_tolerance: 1e-9,
            accept_known_ties: false,
            buffer_capacity: 2048,
            min_accuracy: 0.6,
            network: DiscriminatorConfig::default(),
        }
    }
}

impl GuideConfig {
    /// Whether a guide is active.
    pub fn enabled(&self) -> bool {
        self.kind != GuideKind::None
    }
}
