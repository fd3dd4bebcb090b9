//! The sled store.
//!
//! Layout of an archive directory:
//! - `db/`: the sled database with trees `meta` (schema version, campaign settings), `candidates`
//!   (id → record), `state` (the resumable [`CampaignState`]) and `pending` (finished evaluations
//!   of a deterministic batch not yet committed; reused on resume) and `guide` (the
//!   discriminator's [`GuideSnapshot`](crate::guide::GuideSnapshot), committed atomically with
//!   the state; absent when the campaign runs no guide),
//! - `live.json`: the live summary for readers while the campaign runs,
//! - `campaign.json`: the campaign settings, for people.

use super::records::{CampaignState, CandidateRecord};
use crate::engine::Evaluation;
use crate::hashing::Fingerprint;
use std::path::{Path, PathBuf};

/// Version of the stored layout; archives of another version are refused, not misread.
pub const SCHEMA_VERSION: u32 = 1;

/// Archive errors. Each names the archive directory.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// No archive at this path.
    #[error("{0}: no gevo archive here (expected a directory containing `db/`)")]
    Missing(PathBuf),
    /// Another process (a running campaign) holds the database.
    #[error("{0}: the archive is in use by another process (a running campaign)")]
    Locked(PathBuf),
    /// Archive of another schema version.
    #[error("{path}: archive schema version {found}, this gevo reads version {expected}")]
    Schema {
        /// The archive.
        path: PathBuf,
        /// Stored version.
        found: u32,
        /// Supported version.
        expected: u32,
    },
    /// Unreadable content.
    #[error("{path}: corrupt archive: {message}")]
    Corrupt {
        /// The archive.
        path: PathBuf,
        /// What could not be read.
        message: String,
    },
    /// A directory that already holds an archive was given to a new campaign.
    #[error("{0}: an archive already exists here (use `gevo resume` to continue it)")]
    Exists(PathBuf),
    /// Filesystem error.
    #[error("{path}: {source}")]
    Io {
        /// The archive.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// An open archive (exclusive to this process).
pub struct Archive {
    dir: PathBuf,
    db: sled::Db,
    meta: sled::Tree,
    candidates: sled::Tree,
    state: sled::Tree,
    pending: sled::Tree,
    guide: sled::Tree,
}

/// A finished evaluation of a deterministic batch awaiting its commit.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PendingEvaluation {
    /// Fingerprint of the evaluated program (checked on reuse).
    pub fingerprint: Fingerprint,
    /// The result.
    pub evaluation: Evaluation,
}

fn key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

impl Archive {
    fn corrupt(&self, message: impl std::fmt::Display) -> ArchiveError {
        ArchiveError::Corrupt {
            path: self.dir.clone(),
            message: message.to_string(),
        }
    }

    fn open_db(dir: &Path) -> Result<Archive, ArchiveError> {
        let db = sled::Config::new()
            .path(dir.join("db"))
            .flush_every_ms(Some(200))
            .open()
            .map_err(|e| match &e {
                sled::Error::Io(io)
                    if io.kind() == std::io::ErrorKind::WouldBlock
                        || io.to_string().contains("lock") =>
                {
                    ArchiveError::Locked(dir.to_path_buf())
                }
                _ => ArchiveError::Corrupt {
                    path: dir.to_path_buf(),
                    message: e.to_string(),
                },
            })?;
        let tree = |name: &str| {
            db.open_tree(name).map_err(|e| ArchiveError::Corrupt {
                path: dir.to_path_buf(),
                message: e.to_string(),
            })
        };
        Ok(Archive {
            dir: dir.to_path_buf(),
            meta: tree("meta")?,
            candidates: tree("candidates")?,
            state: tree("state")?,
            pending: tree("pending")?,
            guide: tree("guide")?,
            db,
        })
    }

    /// Creates a new archive in `dir` (created if needed) holding `config_json`.
    ///
    /// # Errors
    /// [`ArchiveError::Exists`] if `dir` already holds an archive; I/O and lock errors.
    pub fn create(dir: &Path, config_json: &str) -> Result<Archive, ArchiveError> {
        if dir.join("db").exists() {
            return Err(ArchiveError::Exists(dir.to_path_buf()));
        }
        std::fs::create_dir_all(dir).map_err(|source| ArchiveError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let a = Archive::open_db(dir)?;
        a.meta
            .insert("schema_version", &SCHEMA_VERSION.to_le_bytes())
            .map_err(|e| a.corrupt(e))?;
        a.meta
            .insert("config", config_json.as_bytes())
            .map_err(|e| a.corrupt(e))?;
        std::fs::write(dir.join("campaign.json"), config_json).map_err(|source| {
            ArchiveError::Io {
                path: dir.to_path_buf(),
                source,
            }
        })?;
        a.db.flush().map_err(|e| a.corrupt(e))?;
        Ok(a)
    }

    /// Opens an existing archive.
    ///
    /// # Errors
    /// [`ArchiveError::Missing`], [`ArchiveError::Locked`] (a campaign is running),
    /// [`ArchiveError::Schema`], [`ArchiveError::Corrupt`].
    pub fn open(dir: &Path) -> Result<Archive, ArchiveError> {
        if !dir.join("db").is_dir() {
            return Err(ArchiveError::Missing(dir.to_path_buf()));
        }
        let a = Archive::open_db(dir)?;
        let v = a
            .meta
            .get("schema_version")
            .map_err(|e| a.corrupt(e))?
            .ok_or_else(|| a.corrupt("no schema version (not a gevo archive, or damaged)"))?;
        let bytes: [u8; 4] = v
            .as_ref()
            .try_into()
            .map_err(|_| a.corrupt("bad schema version"))?;
        let found = u32::from_le_bytes(bytes);
        if found != SCHEMA_VERSION {
            return Err(ArchiveError::Schema {
                path: dir.to_path_buf(),
                found,
                expected: SCHEMA_VERSION,
            });
        }
        Ok(a)
    }

    /// The archive directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The campaign settings (JSON text).
    pub fn config_json(&self) -> Result<String, ArchiveError> {
        let v = self
            .meta
            .get("config")
            .map_err(|e| self.corrupt(e))?
            .ok_or_else(|| self.corrupt("no campaign settings"))?;
        String::from_utf8(v.to_vec()).map_err(|e| self.corrupt(e))
    }

    /// Writes records (not yet flushed; see [`Self::commit_state`]).
    pub fn put_records(&self, records: &[CandidateRecord]) -> Result<(), ArchiveError> {
        let mut batch = sled::Batch::default();
        for r in records {
            let bytes = postcard::to_allocvec(r).map_err(|e| self.corrupt(e))?;
            batch.insert(&key(r.id), bytes);
        }
        self.candidates
            .apply_batch(batch)
            .map_err(|e| self.corrupt(e))
    }

    /// Stores the campaign state, clears pending evaluations, and flushes everything to disk.
    pub fn commit_state(&self, state: &CampaignState) -> Result<(), ArchiveError> {
        self.commit_state_with_guide(state, None)
    }

    /// [`Self::commit_state`], also storing the guide's snapshot in the same sled transaction
    /// (so a kill never leaves a guide that is ahead of or behind the campaign state).
    pub fn commit_state_with_guide(
        &self,
        state: &CampaignState,
        guide: Option<&crate::guide::GuideSnapshot>,
    ) -> Result<(), ArchiveError> {
        use sled::Transactional;
        let bytes = postcard::to_allocvec(state).map_err(|e| self.corrupt(e))?;
        let guide_bytes = guide
            .map(postcard::to_allocvec)
            .transpose()
            .map_err(|e| self.corrupt(e))?;
        (&self.state, &self.guide)
            .transaction(|(s, g)| {
                s.insert("current", bytes.as_slice())?;
                if let Some(gb) = &guide_bytes {
                    g.insert("current", gb.as_slice())?;
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| self.corrupt(format!("{e:?}")))?;
        self.pending.clear().map_err(|e| self.corrupt(e))?;
        self.db.flush().map_err(|e| self.corrupt(e))?;
        Ok(())
    }

    /// Stores one finished evaluation of an uncommitted deterministic batch and flushes it.
    pub fn put_pending(&self, id: u64, p: &PendingEvaluation) -> Result<(), ArchiveError> {
        let bytes = postcard::to_allocvec(p).map_err(|e| self.corrupt(e))?;
        self.pending
            .insert(key(id), bytes)
            .map_err(|e| self.corrupt(e))?;
        self.pending.flush().map_err(|e| self.corrupt(e))?;
        Ok(())
    }

    /// A pending evaluation of candidate `id`, if one was stored.
    pub fn pending(&self, id: u64) -> Result<Option<PendingEvaluation>, ArchiveError> {
        match self.pending.get(key(id)).map_err(|e| self.corrupt(e))? {
            None => Ok(None),
            Some(v) => postcard::from_bytes(&v)
                .map(Some)
                .map_err(|e| self.corrupt(e)),
        }
    }

    /// The last committed campaign state.
    pub fn state(&self) -> Result<Option<CampaignState>, ArchiveError> {
        match self.state.get("current").map_err(|e| self.corrupt(e))? {
            None => Ok(None),
            Some(v) => postcard::from_bytes(&v)
                .map(Some)
                .map_err(|e| self.corrupt(e)),
        }
    }

    /// The guide's last committed snapshot (`None` for campaigns without a guide).
    pub fn guide(&self) -> Result<Option<crate::guide::GuideSnapshot>, ArchiveError> {
        match self.guide.get("current").map_err(|e| self.corrupt(e))? {
            None => Ok(None),
            Some(v) => postcard::from_bytes(&v)
                .map(Some)
                .map_err(|e| self.corrupt(e)),
        }
    }

    /// One record.
    pub fn record(&self, id: u64) -> Result<Option<CandidateRecord>, ArchiveError> {
        match self.candidates.get(key(id)).map_err(|e| self.corrupt(e))? {
            None => Ok(None),
            Some(v) => postcard::from_bytes(&v)
                .map(Some)
                .map_err(|e| self.corrupt(e)),
        }
    }

    /// The program of candidate `id` (`None` if no such candidate), e.g. to reuse a discovered
    /// loss: `ProgramLoss::try_new(archive.program(id)?.unwrap())`.
    ///
    /// # Errors
    /// [`ArchiveError`] if the database cannot be read or the record is corrupt.
    pub fn program(&self, id: u64) -> Result<Option<crate::program::Program>, ArchiveError> {
        match self.record(id)? {
            None => Ok(None),
            Some(r) => crate::program::Program::from_json(&r.program, "archive record")
                .map(Some)
                .map_err(|e| self.corrupt(e)),
        }
    }

    /// All records in id order.
    pub fn records(&self) -> Result<Vec<CandidateRecord>, ArchiveError> {
        let mut out = Vec::with_capacity(self.candidates.len());
        for kv in self.candidates.iter() {
            let (_, v) = kv.map_err(|e| self.corrupt(e))?;
            out.push(postcard::from_bytes(&v).map_err(|e| self.corrupt(e))?);
        }
        Ok(out)
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.candidates.len()
    }

    /// Whether the archive has no records.
    pub fn is_empty(&self) -> bool {
        self.candidates.is_empty()
    }
}
