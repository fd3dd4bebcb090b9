//! The sled store.
//!
//! Layout of an archive directory:
//! - `db/`: the sled database with trees `meta` (schema version, campaign settings), `candidates`
//!   (id → record), `state` (the resumable [`CampaignState`]) and `pending` (finished evaluations
//!   of a deterministic batch not yet committed; reused on resume) and `guide` (the
//!   discriminator's [`GuideSnapshot`](crate::guide::GuideSnapshot), committed atomically with
//!   the state; absent when the campaign runs no guide) and `messages` (id → why the candidate
//!   failed, in words: a panic's message),
//! - `live.json`: the live summary for readers while the campaign runs,
//! - `campaign.json`: the campaign settings, for people.
//!
//! [`Archive::open`] (read-write) is for the campaign and `gevo resume`;
//! [`Archive::open_read_only`] is for everything that only reads, and never writes a byte of
//! the archive.

use super::format::{self, RecordSummary, StoredProgram, StoredRecord};
use super::live::LiveSummary;
use super::records::{CampaignState, CandidateRecord};
use super::snapshot::{Snapshot, SnapshotError};
use crate::engine::Evaluation;
use crate::hashing::Fingerprint;
use crate::hashing::fec::FecEntry;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Version of the stored layout new archives get: 2 stores compact records (see
/// [`format`](super::format)). Archives of a version outside
/// [`OLDEST_READABLE_SCHEMA`]`..=SCHEMA_VERSION` are refused, not misread.
pub const SCHEMA_VERSION: u32 = 2;

/// The oldest layout this gevo still reads (and resumes, writing records in that layout).
pub const OLDEST_READABLE_SCHEMA: u32 = 1;

/// How many distinct (functional hash, program) pairs the writer remembers to store repeats as
/// references; beyond it the memory is cleared (a repeat is then stored once more).
const SHARED_PROGRAMS: usize = 1 << 18;

/// sled's page cache for a read-only copy: readers stream records once, so a small cache
/// keeps their memory bounded whatever the archive's size (sled's default is 1 GB).
const READER_CACHE_BYTES: u64 = 32 << 20;

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
    #[error("{path}: archive schema version {found}, this gevo reads version {expected}{}",
        if found > expected { " (written by a newer gevo: upgrade gevo to read it)" } else { "" })]
    Schema {
        /// The archive.
        path: PathBuf,
        /// Stored version.
        found: u32,
        /// Supported version.
        expected: u32,
    },
    /// Unreadable or inconsistent content.
    #[error("{path}: corrupt archive: {message}")]
    Corrupt {
        /// The damaged file or directory (usually the archive's `db/`).
        path: PathBuf,
        /// What could not be read.
        message: String,
    },
    /// A directory that already holds an archive was given to a new campaign.
    #[error("{0}: an archive already exists here (use `gevo resume` to continue it)")]
    Exists(PathBuf),
    /// A write to an archive opened with [`Archive::open_read_only`].
    #[error("{0}: the archive is open read-only")]
    ReadOnly(PathBuf),
    /// Filesystem error.
    #[error("{path}: {source}")]
    Io {
        /// The archive.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// An open archive: exclusive to this process ([`Archive::open`], [`Archive::create`]) or a
/// private read-only copy ([`Archive::open_read_only`]).
pub struct Archive {
    dir: PathBuf,
    db: sled::Db,
    meta: sled::Tree,
    candidates: sled::Tree,
    state: sled::Tree,
    pending: sled::Tree,
    guide: sled::Tree,
    reevaluations: sled::Tree,
    /// Schema 2: the functional equivalence cache of the committed state, one entry per
    /// fingerprint with its recency stamp, rewritten only where it changed.
    fec: sled::Tree,
    /// The writer's copy of the committed `fec` tree (fingerprint → stamp, entry) and the
    /// next stamp; loaded from the tree at the first commit.
    fec_written: Mutex<Option<(StampedFec, u64)>>,
    /// The layout of the stored records (the archive's schema version).
    schema: u32,
    /// (functional hash, hash of the program text) → id of the record storing that program.
    shared: Mutex<HashMap<(Fingerprint, u64), u64>>,
    /// The copy a read-only archive was opened from; declared last so that it is deleted
    /// after the database is closed.
    snapshot: Option<Snapshot>,
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

fn key_id(k: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(k).ok().map(u64::from_be_bytes)
}

/// Fingerprint → (recency stamp, entry): the `fec` tree as the writer last committed it.
type StampedFec = HashMap<Fingerprint, (u64, FecEntry)>;

/// A decoded record, or one whose program is stored in the record `.1`.
enum Decoded {
    Full(CandidateRecord),
    Refers(StoredRecord, u64),
}

impl Archive {
    pub(super) fn corrupt(&self, message: impl std::fmt::Display) -> ArchiveError {
        ArchiveError::Corrupt {
            path: self.dir.join("db"),
            message: message.to_string(),
        }
    }

    pub(super) fn writable(&self) -> Result<(), ArchiveError> {
        match self.snapshot {
            Some(_) => Err(ArchiveError::ReadOnly(self.dir.clone())),
            None => Ok(()),
        }
    }

    /// Opens the sled database at `path` (the archive's own `db/`, or a snapshot of it).
    fn open_db(
        dir: &Path,
        path: &Path,
        snapshot: Option<Snapshot>,
    ) -> Result<Archive, ArchiveError> {
        // A read-only copy is never written, so it needs no background flushes.
        let flush_every = snapshot.is_none().then_some(200);
        let mut config = sled::Config::new().path(path).flush_every_ms(flush_every);
        if snapshot.is_some() {
            config = config.cache_capacity(READER_CACHE_BYTES);
        }
        let db = config.open().map_err(|e| match &e {
            sled::Error::Io(io)
                if io.kind() == std::io::ErrorKind::WouldBlock
                    || io.to_string().contains("lock") =>
            {
                ArchiveError::Locked(dir.to_path_buf())
            }
            _ => ArchiveError::Corrupt {
                path: dir.join("db"),
                message: format!("the sled database cannot be opened: {e}"),
            },
        })?;
        let tree = |name: &str| {
            db.open_tree(name).map_err(|e| ArchiveError::Corrupt {
                path: dir.join("db"),
                message: format!("tree `{name}`: {e}"),
            })
        };
        Ok(Archive {
            dir: dir.to_path_buf(),
            meta: tree("meta")?,
            candidates: tree("candidates")?,
            state: tree("state")?,
            pending: tree("pending")?,
            guide: tree("guide")?,
            reevaluations: tree("reevaluations")?,
            fec: tree("fec")?,
            fec_written: Mutex::new(None),
            db,
            schema: SCHEMA_VERSION,
            shared: Mutex::new(HashMap::new()),
            snapshot,
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
        let a = Archive::open_db(dir, &dir.join("db"), None)?;
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

    /// Opens an existing archive for writing (the campaign, `gevo resume`). The archive is first
    /// checked on a read-only copy, because opening a damaged sled log rewrites it (recovery
    /// cuts the log at the first bad entry), which would destroy what a salvage could read.
    ///
    /// # Errors
    /// Those of [`Self::open_read_only`].
    pub fn open(dir: &Path) -> Result<Archive, ArchiveError> {
        drop(Archive::open_read_only(dir)?);
        let mut a = Archive::open_db(dir, &dir.join("db"), None)?;
        a.check_schema()?;
        Ok(a)
    }

    /// Opens an existing archive for reading without writing to it: the database is copied to a
    /// temporary directory (deleted when the archive is dropped) and opened there; write methods
    /// return [`ArchiveError::ReadOnly`]. Every read verb (`inspect`, `show`, `export`, `plot`)
    /// opens archives through this.
    ///
    /// Checks the schema version, that the campaign settings are present, and that the database
    /// holds at least the candidates `live.json` last reported committed (a truncated or
    /// corrupted log otherwise reads as a shorter, valid-looking campaign).
    ///
    /// # Errors
    /// [`ArchiveError::Missing`] (no `db/` in `dir`), [`ArchiveError::Locked`] (a campaign is
    /// running: read `live.json` instead), [`ArchiveError::Schema`] (another version, with both
    /// numbers), [`ArchiveError::Corrupt`] naming the damaged file, [`ArchiveError::Io`] when the
    /// copy cannot be written.
    pub fn open_read_only(dir: &Path) -> Result<Archive, ArchiveError> {
        let mut a = Archive::open_snapshot(dir)?;
        a.check_schema()?;
        a.config_json()?;
        a.check_against_live()?;
        Ok(a)
    }

    /// Opens a read-only copy without checking its content (for `gevo verify`).
    pub(super) fn open_snapshot(dir: &Path) -> Result<Archive, ArchiveError> {
        let db = dir.join("db");
        if !db.exists() {
            return Err(ArchiveError::Missing(dir.to_path_buf()));
        }
        if !db.is_dir() {
            return Err(ArchiveError::Corrupt {
                path: db,
                message: "not a directory (expected a sled database)".into(),
            });
        }
        let snapshot = Snapshot::take(&db).map_err(|e| match e {
            SnapshotError::Locked => ArchiveError::Locked(dir.to_path_buf()),
            SnapshotError::NoLog(path) => ArchiveError::Corrupt {
                path,
                message: "missing (the sled database has no log file)".into(),
            },
            SnapshotError::Io(path, source) => ArchiveError::Io { path, source },
        })?;
        let path = snapshot.path().to_path_buf();
        let mut a = Archive::open_db(dir, &path, Some(snapshot))?;
        // The integrity walk decodes records in the stored layout when it can read it.
        if let Ok(v) = a.schema_version()
            && (OLDEST_READABLE_SCHEMA..=SCHEMA_VERSION).contains(&v)
        {
            a.schema = v;
        }
        Ok(a)
    }

    /// The stored schema version.
    ///
    /// # Errors
    /// [`ArchiveError::Corrupt`] when it is missing or malformed.
    pub fn schema_version(&self) -> Result<u32, ArchiveError> {
        let v = self
            .meta
            .get("schema_version")
            .map_err(|e| self.corrupt(e))?
            .ok_or_else(|| self.corrupt("no schema version (not a gevo archive, or damaged)"))?;
        let bytes: [u8; 4] = v
            .as_ref()
            .try_into()
            .map_err(|_| self.corrupt("bad schema version"))?;
        Ok(u32::from_le_bytes(bytes))
    }

    /// Checks that the stored version is one this gevo reads, and adopts its record layout.
    fn check_schema(&mut self) -> Result<(), ArchiveError> {
        let found = self.schema_version()?;
        if !(OLDEST_READABLE_SCHEMA..=SCHEMA_VERSION).contains(&found) {
            return Err(ArchiveError::Schema {
                path: self.dir.clone(),
                found,
                expected: SCHEMA_VERSION,
            });
        }
        self.schema = found;
        Ok(())
    }

    /// The layout the records are stored in (the archive's schema version).
    pub fn record_schema(&self) -> u32 {
        self.schema
    }

    /// Checks that the database holds what `live.json` last reported. The campaign writes the
    /// summary only after its state is flushed, so an intact archive's committed state is never
    /// behind it; an archive without a readable summary passes.
    ///
    /// # Errors
    /// [`ArchiveError::Corrupt`] naming the database when it is behind the summary.
    pub fn check_against_live(&self) -> Result<(), ArchiveError> {
        let Ok(live) = LiveSummary::read(&self.dir) else {
            return Ok(());
        };
        let state = self.state()?;
        let committed = state.as_ref().map_or(0, |s| s.inserted);
        let reported = live.stats.candidates;
        if committed < reported {
            return Err(self.corrupt(format!(
                "the database holds {committed} committed candidates{} but {} reports {reported}: \
                 the database was truncated or damaged (`gevo verify` shows what can be read)",
                if state.is_none() {
                    " (no campaign state)"
                } else {
                    ""
                },
                self.dir.join("live.json").display()
            )));
        }
        let stored = self.len() as u64;
        if stored < committed {
            return Err(self.corrupt(format!(
                "the campaign state counts {committed} candidates but only {stored} records are stored"
            )));
        }
        Ok(())
    }

    /// Whether this archive is a read-only copy.
    pub fn is_read_only(&self) -> bool {
        self.snapshot.is_some()
    }

    /// The raw `candidates` tree, for the integrity walk.
    pub(super) fn candidate_tree(&self) -> &sled::Tree {
        &self.candidates
    }

    /// The `reevaluations` tree ([`super::reevaluation`]).
    pub(super) fn reevaluation_tree(&self) -> &sled::Tree {
        &self.reevaluations
    }

    /// The raw `pending` tree, for the integrity walk.
    pub(super) fn pending_tree(&self) -> &sled::Tree {
        &self.pending
    }

    /// Flushes written records to disk.
    pub(super) fn flush(&self) -> Result<(), ArchiveError> {
        self.writable()?;
        self.db.flush().map_err(|e| self.corrupt(e))?;
        Ok(())
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
        self.writable()?;
        let mut batch = sled::Batch::default();
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        for r in records {
            let bytes = if self.schema == 1 {
                postcard::to_allocvec(r)
            } else {
                // A repeat of a program already stored under the same functional hash is
                // stored as a reference to that record.
                let k = (
                    r.fingerprint,
                    xxhash_rust::xxh3::xxh3_64(r.program.as_bytes()),
                );
                let program = match shared.get(&k) {
                    Some(&id) if id != r.id => StoredProgram::SameAs(id),
                    _ => {
                        if shared.len() >= SHARED_PROGRAMS {
                            shared.clear();
                        }
                        shared.insert(k, r.id);
                        format::own_program(r)
                    }
                };
                postcard::to_allocvec(&StoredRecord::new(r, program))
            }
            .map_err(|e| self.corrupt(e))?;
            batch.insert(&key(r.id), bytes);
        }
        drop(shared);
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
        self.writable()?;
        // Schema 2 keeps the cache out of the state blob: rewriting 100,000 entries ten times a
        // second was most of what a long campaign wrote. Only changed entries are written.
        let (bytes, fec_changes) = if self.schema == 1 {
            (postcard::to_allocvec(state), None)
        } else {
            let light = CampaignState {
                next_id: state.next_id,
                inserted: state.inserted,
                population: state.population.clone(),
                rng: state.rng.clone(),
                stats: state.stats.clone(),
                fec: vec![],
                finished: state.finished,
            };
            (
                postcard::to_allocvec(&light),
                Some(self.fec_changes(&state.fec)?),
            )
        };
        let bytes = bytes.map_err(|e| self.corrupt(e))?;
        let guide_bytes = guide
            .map(postcard::to_allocvec)
            .transpose()
            .map_err(|e| self.corrupt(e))?;
        let (puts, dels) = match &fec_changes {
            Some((p, d, _, _)) => (p.as_slice(), d.as_slice()),
            None => (&[][..], &[][..]),
        };
        (&self.state, &self.guide, &self.fec)
            .transaction(|(s, g, f)| {
                s.insert("current", bytes.as_slice())?;
                if let Some(gb) = &guide_bytes {
                    g.insert("current", gb.as_slice())?;
                }
                for (k, v) in puts {
                    f.insert(k.as_slice(), v.as_slice())?;
                }
                for k in dels {
                    f.remove(k.as_slice())?;
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| self.corrupt(format!("{e:?}")))?;
        if let Some((_, _, written, next)) = fec_changes {
            *self.fec_written.lock().unwrap_or_else(|e| e.into_inner()) = Some((written, next));
        }
        self.pending.clear().map_err(|e| self.corrupt(e))?;
        self.db.flush().map_err(|e| self.corrupt(e))?;
        Ok(())
    }

    /// The entries of the `fec` tree to write and delete so that it holds `fec` (least
    /// recently used first), with the writer's copy after the commit. Entries touched since
    /// the last commit are exactly those after the longest prefix of `fec` that keeps its
    /// stamps in increasing order and its values, so only they get new stamps.
    #[allow(clippy::type_complexity)]
    fn fec_changes(
        &self,
        fec: &[(Fingerprint, FecEntry)],
    ) -> Result<(Vec<([u8; 16], Vec<u8>)>, Vec<[u8; 16]>, StampedFec, u64), ArchiveError> {
        let (old, mut next) = match self
            .fec_written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            Some(w) => w,
            None => {
                let stored = self.stored_fec()?;
                let next = stored.iter().map(|(_, (s, _))| s + 1).max().unwrap_or(0);
                (stored.into_iter().collect(), next)
            }
        };
        let mut written = HashMap::with_capacity(fec.len());
        let mut puts = vec![];
        let mut last = None::<u64>;
        let mut fresh = false;
        for (fp, e) in fec {
            let keep = match old.get(fp) {
                Some((stamp, was)) if !fresh && was == e && last.is_none_or(|l| *stamp > l) => {
                    Some(*stamp)
                }
                _ => None,
            };
            let stamp = match keep {
                Some(s) => s,
                None => {
                    fresh = true;
                    next += 1;
                    let v = postcard::to_allocvec(&(next - 1, e)).map_err(|e| self.corrupt(e))?;
                    puts.push((fp.0.to_be_bytes(), v));
                    next - 1
                }
            };
            last = Some(stamp);
            written.insert(*fp, (stamp, e.clone()));
        }
        let dels = old
            .keys()
            .filter(|fp| !written.contains_key(fp))
            .map(|fp| fp.0.to_be_bytes())
            .collect();
        Ok((puts, dels, written, next))
    }

    /// The `fec` tree: fingerprint → (recency stamp, entry).
    #[allow(clippy::type_complexity)]
    fn stored_fec(&self) -> Result<Vec<(Fingerprint, (u64, FecEntry))>, ArchiveError> {
        let mut out = Vec::with_capacity(self.fec.len());
        for kv in self.fec.iter() {
            let (k, v) = kv.map_err(|e| self.corrupt(e))?;
            let k = <[u8; 16]>::try_from(k.as_ref())
                .map_err(|_| self.corrupt("a cache key is not 16 bytes"))?;
            let v: (u64, FecEntry) =
                postcard::from_bytes(&v).map_err(|e| self.corrupt(format!("cache entry: {e}")))?;
            out.push((Fingerprint(u128::from_be_bytes(k)), v));
        }
        Ok(out)
    }

    /// Stores one finished evaluation of an uncommitted deterministic batch and flushes it.
    pub fn put_pending(&self, id: u64, p: &PendingEvaluation) -> Result<(), ArchiveError> {
        self.writable()?;
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
        let Some(v) = self.state.get("current").map_err(|e| self.corrupt(e))? else {
            return Ok(None);
        };
        let mut s: CampaignState = postcard::from_bytes(&v).map_err(|e| self.corrupt(e))?;
        if self.schema >= 2 {
            let mut fec = self.stored_fec()?;
            fec.sort_by_key(|(_, (stamp, _))| *stamp);
            s.fec = fec.into_iter().map(|(fp, (_, e))| (fp, e)).collect();
        }
        Ok(Some(s))
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

    /// Decodes one stored record; a schema-2 record that refers to another record's program
    /// is returned with the id it refers to.
    fn decode(&self, id: u64, bytes: &[u8]) -> Result<Decoded, ArchiveError> {
        let bad = |e: postcard::Error| self.corrupt(format!("candidate {id}: {e}"));
        if self.schema == 1 {
            return Ok(Decoded::Full(postcard::from_bytes(bytes).map_err(bad)?));
        }
        let stored: StoredRecord = postcard::from_bytes(bytes).map_err(bad)?;
        Ok(match stored.own_program() {
            Ok((program, expression)) => Decoded::Full(stored.into_record(program, expression)),
            Err(target) => Decoded::Refers(stored, target),
        })
    }

    /// Decodes raw record bytes into a full record, following a reference to another record's
    /// program (for the integrity walk).
    pub(super) fn decode_record(
        &self,
        id: u64,
        bytes: &[u8],
    ) -> Result<CandidateRecord, ArchiveError> {
        match self.decode(id, bytes)? {
            Decoded::Full(r) => Ok(r),
            Decoded::Refers(stored, target) => {
                let Some(t) = self.record(target)?.filter(|_| target != id) else {
                    return Err(self.corrupt(format!(
                        "candidate {id} refers to the program of candidate {target}, which is not stored"
                    )));
                };
                Ok(stored.into_record(t.program, t.expression))
            }
        }
    }

    /// One record.
    pub fn record(&self, id: u64) -> Result<Option<CandidateRecord>, ArchiveError> {
        match self.candidates.get(key(id)).map_err(|e| self.corrupt(e))? {
            None => Ok(None),
            Some(v) => self.decode_record(id, &v).map(Some),
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
        let mut out: Vec<CandidateRecord> = Vec::with_capacity(self.candidates.len());
        for kv in self.candidates.iter() {
            let (k, v) = kv.map_err(|e| self.corrupt(e))?;
            let id = key_id(&k).ok_or_else(|| self.corrupt("a record key is not 8 bytes"))?;
            out.push(match self.decode(id, &v)? {
                Decoded::Full(r) => r,
                // References point back to an earlier id, already decoded (keys are in id
                // order); anything else is looked up.
                Decoded::Refers(stored, target) => {
                    match out.binary_search_by_key(&target, |r| r.id) {
                        Ok(i) if target != id => {
                            let (p, e) = (out[i].program.clone(), out[i].expression.clone());
                            stored.into_record(p, e)
                        }
                        _ => self.decode_record(id, &v)?,
                    }
                }
            });
        }
        Ok(out)
    }

    /// Calls `f` with the summary of every record in id order, without decoding programs and
    /// without holding more than one record in memory: what counting and ranking readers use
    /// on archives of millions of candidates.
    ///
    /// # Errors
    /// [`ArchiveError::Corrupt`] naming the first record that cannot be decoded.
    pub fn for_each_summary(&self, mut f: impl FnMut(&RecordSummary)) -> Result<(), ArchiveError> {
        for kv in self.candidates.iter() {
            let (k, v) = kv.map_err(|e| self.corrupt(e))?;
            let s = format::decode_summary(self.schema, &v).map_err(|e| {
                self.corrupt(format!(
                    "candidate {}: {e}",
                    key_id(&k).map_or("?".to_string(), |i| i.to_string())
                ))
            })?;
            f(&s);
        }
        Ok(())
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

/// Settings updates and failure messages (kept in their own tree so that the record layout
/// does not change).
impl Archive {
    /// Replaces the stored campaign settings (meta `config` and `campaign.json`), as
    /// `gevo resume --budget` does when it raises the budget; flushed at once.
    ///
    /// # Errors
    /// [`ArchiveError::ReadOnly`] on a read-only archive; database and file errors.
    pub fn put_config_json(&self, config_json: &str) -> Result<(), ArchiveError> {
        self.writable()?;
        self.meta
            .insert("config", config_json.as_bytes())
            .map_err(|e| self.corrupt(e))?;
        self.meta.flush().map_err(|e| self.corrupt(e))?;
        std::fs::write(self.dir.join("campaign.json"), config_json).map_err(|source| {
            ArchiveError::Io {
                path: self.dir.clone(),
                source,
            }
        })
    }

    fn messages(&self) -> Result<sled::Tree, ArchiveError> {
        self.db
            .open_tree("messages")
            .map_err(|e| self.corrupt(format!("tree `messages`: {e}")))
    }

    /// Stores why candidate `id` failed, in words (the panic message of an evaluator that
    /// panicked); written with the next commit's flush.
    ///
    /// # Errors
    /// [`ArchiveError::ReadOnly`] on a read-only archive; database errors.
    pub fn put_message(&self, id: u64, message: &str) -> Result<(), ArchiveError> {
        self.writable()?;
        self.messages()?
            .insert(key(id), message.as_bytes())
            .map_err(|e| self.corrupt(e))?;
        Ok(())
    }

    /// Why candidate `id` failed, when the campaign stored a message for it.
    ///
    /// # Errors
    /// Database errors.
    pub fn message(&self, id: u64) -> Result<Option<String>, ArchiveError> {
        Ok(self
            .messages()?
            .get(key(id))
            .map_err(|e| self.corrupt(e))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_archive_refuses_writes_and_reads_the_settings() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("a");
        drop(Archive::create(&dir, "{\"budget\": 3}").unwrap());
        let a = Archive::open_read_only(&dir).unwrap();
        assert!(a.is_read_only());
        assert_eq!(a.config_json().unwrap(), "{\"budget\": 3}");
        assert!(matches!(a.put_records(&[]), Err(ArchiveError::ReadOnly(_))));
        assert!(matches!(a.flush(), Err(ArchiveError::ReadOnly(_))));
        let w = {
            drop(a);
            Archive::open(&dir).unwrap()
        };
        assert!(!w.is_read_only());
        assert!(w.put_records(&[]).is_ok());
    }

    #[test]
    fn no_archive_is_told_apart_from_a_damaged_one() {
        let t = tempfile::tempdir().unwrap();
        assert!(matches!(
            Archive::open_read_only(&t.path().join("nothing")),
            Err(ArchiveError::Missing(_))
        ));
        let file = t.path().join("file");
        std::fs::create_dir(&file).unwrap();
        std::fs::write(file.join("db"), b"").unwrap();
        match Archive::open_read_only(&file) {
            Err(ArchiveError::Corrupt { path, .. }) => assert_eq!(path, file.join("db")),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("a file named db opened as an archive"),
        }
        let empty = t.path().join("empty");
        std::fs::create_dir_all(empty.join("db")).unwrap();
        match Archive::open(&empty) {
            Err(ArchiveError::Corrupt { path, .. }) => {
                assert_eq!(path, empty.join("db").join("db"))
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("an empty db/ opened as an archive"),
        }
        // Refusing it wrote nothing.
        assert_eq!(std::fs::read_dir(empty.join("db")).unwrap().count(), 0);
    }

    fn entry(first_id: u64, hits: u64) -> FecEntry {
        FecEntry {
            fitness: Some(first_id as f64),
            test_score: None,
            outcome: crate::engine::Outcome::Ok,
            evaluations: 1,
            hits,
            first_id,
        }
    }

    #[test]
    fn the_cache_is_stored_incrementally_and_read_back_in_recency_order() {
        use rand::SeedableRng;
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("a");
        let a = Archive::create(&dir, "{}").unwrap();
        let fp = |i: u128| Fingerprint(i);
        let mut state = CampaignState {
            next_id: 3,
            inserted: 3,
            population: vec![0, 1, 2],
            rng: rand_chacha::ChaCha8Rng::seed_from_u64(1),
            stats: Default::default(),
            fec: vec![
                (fp(1), entry(0, 0)),
                (fp(2), entry(1, 0)),
                (fp(3), entry(2, 0)),
            ],
            finished: false,
        };
        a.commit_state(&state).unwrap();
        let stamp = |a: &Archive, i: u128| {
            a.stored_fec()
                .unwrap()
                .into_iter()
                .find(|e| e.0 == fp(i))
                .unwrap()
                .1
                .0
        };
        let before = stamp(&a, 1);
        // A hit on 2 moves it to the recent end; 1 is evicted, 4 is new.
        state.fec = vec![
            (fp(3), entry(2, 0)),
            (fp(2), entry(1, 1)),
            (fp(4), entry(3, 0)),
        ];
        a.commit_state(&state).unwrap();
        assert_eq!(a.state().unwrap().unwrap().fec, state.fec);
        assert_eq!(a.fec.len(), 3, "the evicted entry is deleted");
        drop(a);
        let r = Archive::open_read_only(&dir).unwrap();
        assert_eq!(r.state().unwrap().unwrap().fec, state.fec);
        // 3 was not touched: it kept its stamp (it was not rewritten).
        assert!(stamp(&r, 3) > before && stamp(&r, 3) < stamp(&r, 2));
        drop(r);
        // A resumed writer continues from the stored tree.
        let w = Archive::open(&dir).unwrap();
        state.fec.push((fp(5), entry(4, 0)));
        w.commit_state(&state).unwrap();
        assert_eq!(w.state().unwrap().unwrap().fec, state.fec);
    }

    #[test]
    fn a_newer_schema_names_both_versions() {
        let e = ArchiveError::Schema {
            path: "a".into(),
            found: SCHEMA_VERSION + 1,
            expected: SCHEMA_VERSION,
        }
        .to_string();
        assert!(e.contains("newer gevo"), "{e}");
        let e = ArchiveError::Schema {
            path: "a".into(),
            found: 0,
            expected: SCHEMA_VERSION,
        }
        .to_string();
        assert!(!e.contains("newer"), "{e}");
    }
}
