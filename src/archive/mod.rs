//! The campaign archive: a sled database holding every candidate, the campaign's settings and its
//! resumable state, plus a JSON live summary for readers while the campaign runs.
//!
//! sled admits one process at a time. The campaign process owns the database; `gevo inspect`
//! and `gevo show` open it when it is free and otherwise read `live.json`, which the running
//! campaign rewrites atomically about once a second.

pub mod live;
pub mod records;
pub mod store;

pub use live::LiveSummary;
pub use records::{CampaignState, CandidateRecord, Stats};
pub use store::{Archive, ArchiveError, SCHEMA_VERSION};
