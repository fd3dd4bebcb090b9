//! `live.json`: a summary the running campaign keeps current for readers in other processes.

use super::records::{CandidateRecord, Stats};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The live summary.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveSummary {
    /// Process id of the campaign.
    pub pid: u32,
    /// Unix time of this summary.
    pub updated_unix: f64,
    /// Whether the campaign has finished its budget.
    pub finished: bool,
    /// Budget (candidates).
    pub budget: u64,
    /// Counters.
    pub stats: Stats,
    /// The best records (by fitness), at most 100.
    pub top: Vec<CandidateRecord>,
    /// The guide's accounting, when the campaign runs one.
    #[serde(default)]
    pub guide: Option<crate::guide::GuideStats>,
}

impl LiveSummary {
    /// Writes `DIR/live.json` atomically (write to a temporary file, then rename).
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let tmp = dir.join("live.json.tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec(self).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(tmp, dir.join("live.json"))
    }

    /// Reads `DIR/live.json`.
    pub fn read(dir: &Path) -> std::io::Result<LiveSummary> {
        let text = std::fs::read_to_string(dir.join("live.json"))?;
        serde_json::from_str(&text).map_err(std::io::Error::other)
    }
}
