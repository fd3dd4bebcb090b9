//! The campaign archive: a sled database holding every candidate, the campaign's settings and its
//! resumable state, plus a JSON live summary for readers while the campaign runs.
//!
//! sled admits one process at a time and writes to every database it opens. The campaign process
//! owns the database; readers (`gevo inspect`, `show`, `export`, `plot`) open a private copy
//! with [`Archive::open_read_only`] when it is free and otherwise read `live.json`, which the
//! running campaign rewrites atomically about once a second. [`integrity`] walks an archive
//! record by record (`gevo verify`) and salvages what it can read.

pub mod format;
pub mod integrity;
pub mod live;
pub mod records;
pub mod reevaluation;
pub mod snapshot;
pub mod store;

pub use format::RecordSummary;
pub use live::LiveSummary;
pub use records::{CampaignState, CandidateRecord, Stats};
pub use reevaluation::ReevaluationRecord;
pub use store::{Archive, ArchiveError, OLDEST_READABLE_SCHEMA, SCHEMA_VERSION};
