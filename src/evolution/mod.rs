//! Regularized (aging) evolution with functional-hash deduplication and optional hurdles.

pub mod campaign;
pub mod config;
pub mod hurdle;
pub mod population;

pub use campaign::{Campaign, CampaignObserver};
pub use config::{CampaignConfig, TaskSpec};
pub use hurdle::HurdleConfig;
pub use population::{Member, Population};
