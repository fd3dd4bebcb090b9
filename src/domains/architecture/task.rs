//! Architecture task files (`tasks/digits-cnn.toml`): the network a cell is stacked into, how it
//! is trained and on which data, and campaign defaults.
//!
//! ```toml
//! domain = "architecture"
//! name = "digits-cnn"
//! [network]
//! channels = 16
//! cells = 2
//! [training]
//! steps = 300
//! batch_size = 64
//! lr = 0.01
//! data = "data/digits.csv"
//! ```

use serde::Deserialize;

/// The network around the cell: a conv3×3-BN-ReLU stem to `channels`, `cells` copies of the
/// cell at that width, global average pooling and a linear classifier.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Channels of the stem and of every cell node.
    pub channels: usize,
    /// Cells stacked one after another.
    pub cells: usize,
}

/// How a network is trained: Adam (ε = 1e-8) on minibatches, cross-entropy loss.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSpec {
    /// Optimizer steps.
    pub steps: usize,
    /// Minibatch size.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Dataset CSV, relative to the task file (`data/digits.csv` is also shipped inside gevo).
    pub data: String,
    /// Seed of the train/validation/test split (60/20/20).
    #[serde(default)]
    pub split_seed: u64,
}

/// An architecture task file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchitectureTask {
    /// Always `architecture`.
    pub domain: String,
    /// Task name.
    pub name: String,
    /// One-line description.
    #[serde(default)]
    pub description: String,
    /// The network.
    pub network: NetworkSpec,
    /// The training run.
    pub training: TrainingSpec,
    /// Campaign defaults (read by `gevo run`).
    #[serde(default)]
    pub campaign: Option<toml::Table>,
}

impl ArchitectureTask {
    /// Checks ranges serde cannot.
    ///
    /// # Errors
    /// A message naming the bad field.
    pub fn validate(&self) -> Result<(), String> {
        if self.network.channels == 0 || self.network.cells == 0 {
            return Err("[network]: channels and cells must be at least 1".into());
        }
        let t = &self.training;
        if t.steps == 0 || t.batch_size == 0 || !(t.lr.is_finite() && t.lr > 0.0) {
            return Err("[training]: need steps >= 1, batch_size >= 1 and lr > 0".into());
        }
        Ok(())
    }
}
