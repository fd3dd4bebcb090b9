//! Regularized (aging) evolution with functional-hash deduplication and optional hurdles.

mod bookkeeping;
pub mod campaign;
pub mod config;
pub mod hurdle;
pub mod population;
pub mod reevaluation;
mod scheduler;
pub mod seeds;

pub use campaign::{Campaign, CampaignError, CampaignObserver, RunEnd, StopSignal};
pub use config::{CampaignConfig, DistributedConfig, TaskSpec};
pub use hurdle::HurdleConfig;
pub use population::{Member, Population};
