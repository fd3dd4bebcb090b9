//! Value types of program nodes.
//!
//! Types follow the typed-DAG loss representation of Co-Reyes et al., "Evolving Reinforcement
//! Learning Algorithms" (ICLR 2021, §3.1). `B` is the batch (rows for symbolic regression,
//! transitions for RL losses), `A` the number of actions, `S` the observation size.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The type of a node's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum DType {
    /// One real number per batch row, shape `[B]`.
    Float,
    /// One real number per row and action, shape `[B, A]`.
    List,
    /// A probability distribution over actions per row, shape `[B, A]` (rows sum to 1).
    Prob,
    /// A discrete action per row, shape `[B]` (integer indices in `0..A`).
    Action,
    /// An observation per row, shape `[B, S]`.
    State,
    /// A Q-network handle; applying it to a `State` gives a `List` of Q-values.
    Param,
    /// A scalar constant, broadcast to any numeric shape.
    Const,
    /// An optimizer step per parameter entry, shape `[N, 3]`: the update (subtracted from the
    /// weights) and the two new state buffers `m'`, `v'` (Chen et al., "Symbolic Discovery of
    /// Optimization Algorithms", 2023, §2). Only `update_rule` produces it.
    Update,
    /// A batch of feature maps, shape `[B, C, H, W]` (architecture cells: Ying et al.,
    /// "NAS-Bench-101", ICML 2019).
    FeatureMap,
    /// A batch of feature vectors, shape `[B, C]` (cells for tabular inputs).
    Features,
}

impl DType {
    /// All types, in a fixed order (used for one-hot encodings).
    pub const ALL: [DType; 10] = [
        DType::Float,
        DType::List,
        DType::Prob,
        DType::Action,
        DType::State,
        DType::Param,
        DType::Const,
        DType::Update,
        DType::FeatureMap,
        DType::Features,
    ];

    /// Whether arithmetic ops accept this type (`Float`, `List`, `Prob`, `Const`).
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            DType::Float | DType::List | DType::Prob | DType::Const
        )
    }

    /// The lower-case name used in files.
    pub fn name(self) -> &'static str {
        match self {
            DType::Float => "float",
            DType::List => "list",
            DType::Prob => "prob",
            DType::Action => "action",
            DType::State => "state",
            DType::Param => "param",
            DType::Const => "const",
            DType::Update => "update",
            DType::FeatureMap => "feature_map",
            DType::Features => "features",
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
