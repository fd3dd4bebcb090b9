//! `gevo verify`: walks every record of an archive (on a read-only copy), checks the records
//! against the committed campaign state and `live.json`, and salvages what can be read into a
//! new archive.

use super::records::{CampaignState, CandidateRecord, Stats};
use super::store::{
    Archive, ArchiveError, OLDEST_READABLE_SCHEMA, PendingEvaluation, SCHEMA_VERSION,
};
use crate::guide::GuideSnapshot;
use std::collections::HashSet;
use std::path::Path;

/// How many examples of one kind of damage a report lists.
const EXAMPLES: usize = 5;

/// What [`verify`] found.
#[derive(Debug)]
pub struct Report {
    /// The stored schema version, when readable.
    pub schema_version: Option<u32>,
    /// The campaign settings (JSON text), when readable.
    pub config_json: Option<String>,
    /// The committed campaign state, when present and readable.
    pub state: Option<CampaignState>,
    /// The guide's snapshot, when present and readable.
    pub guide: Option<GuideSnapshot>,
    /// Every record that decodes and whose program parses, in id order.
    pub records: Vec<CandidateRecord>,
    /// Entries of the `candidates` tree that cannot be read.
    pub unreadable: u64,
    /// Whether the state agrees with the records (so a salvage may keep it).
    pub state_consistent: bool,
    /// Everything wrong, one line each; empty for an intact archive.
    pub problems: Vec<String>,
}

impl Report {
    /// Whether nothing is wrong.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Collects problems of one kind, keeping a count and the first few examples.
struct Tally {
    what: &'static str,
    count: u64,
    examples: Vec<String>,
}

impl Tally {
    fn new(what: &'static str) -> Tally {
        Tally {
            what,
            count: 0,
            examples: vec![],
        }
    }

    fn add(&mut self, example: String) {
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(example);
        }
    }

    fn report(self, problems: &mut Vec<String>) {
        if self.count > 0 {
            problems.push(format!(
                "{} {}: {}{}",
                self.count,
                self.what,
                self.examples.join("; "),
                if self.count as usize > self.examples.len() {
                    "; …"
                } else {
                    ""
                }
            ));
        }
    }
}

/// Checks the archive in `dir` without writing to it.
///
/// # Errors
/// [`ArchiveError::Missing`], [`ArchiveError::Locked`] (a campaign is running),
/// [`ArchiveError::Schema`] (records of another version cannot be interpreted), or a database so
/// damaged that sled cannot open it. Every other kind of damage is listed in the report.
pub fn verify(dir: &Path) -> Result<Report, ArchiveError> {
    let a = Archive::open_snapshot(dir)?;
    let mut problems = vec![];
    let schema_version = match a.schema_version() {
        Ok(v) if !(OLDEST_READABLE_SCHEMA..=SCHEMA_VERSION).contains(&v) => {
            return Err(ArchiveError::Schema {
                path: dir.to_path_buf(),
                found: v,
                expected: SCHEMA_VERSION,
            });
        }
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(e.to_string());
            None
        }
    };
    let config_json = match a.config_json() {
        Ok(c) => match serde_json::from_str::<serde_json::Value>(&c) {
            Ok(_) => Some(c),
            Err(e) => {
                problems.push(format!("the campaign settings are not valid JSON: {e}"));
                None
            }
        },
        Err(e) => {
            problems.push(e.to_string());
            None
        }
    };
    let state = a.state().unwrap_or_else(|e| {
        problems.push(format!("the campaign state cannot be read: {e}"));
        None
    });
    let guide = a.guide().unwrap_or_else(|e| {
        problems.push(format!("the guide's snapshot cannot be read: {e}"));
        None
    });

    let mut records = vec![];
    let mut bad = Tally::new("records cannot be read");
    for kv in a.candidate_tree().iter() {
        let (k, v) = match kv {
            Ok(kv) => kv,
            Err(e) => {
                bad.add(format!("the tree cannot be walked further: {e}"));
                break;
            }
        };
        let key = <[u8; 8]>::try_from(k.as_ref()).map(u64::from_be_bytes);
        let Ok(key) = key else {
            bad.add(format!("a key of {} bytes", k.len()));
            continue;
        };
        match a.decode_record(key, &v) {
            Err(e) => bad.add(e.to_string()),
            Ok(r) if r.id != key => bad.add(format!("candidate {key} holds id {}", r.id)),
            Ok(r) => match crate::program::Program::from_json(&r.program, "archive record") {
                Err(e) => bad.add(format!("candidate {key}: program: {e}")),
                Ok(_) => records.push(r),
            },
        }
    }
    let unreadable = bad.count;
    bad.report(&mut problems);

    let mut pending = Tally::new("pending evaluations cannot be read");
    for kv in a.pending_tree().iter() {
        match kv {
            Err(e) => {
                pending.add(e.to_string());
                break;
            }
            Ok((_, v)) => {
                if let Err(e) = postcard::from_bytes::<PendingEvaluation>(&v) {
                    pending.add(e.to_string());
                }
            }
        }
    }
    pending.report(&mut problems);

    let before = problems.len();
    if let Some(s) = &state {
        check_state(s, &records, &mut problems);
    }
    if let Err(e) = a.check_against_live() {
        problems.push(e.to_string());
    }
    let state_consistent = state.is_some() && problems.len() == before;
    Ok(Report {
        schema_version,
        config_json,
        state,
        guide,
        records,
        unreadable,
        state_consistent,
        problems,
    })
}

/// The committed state against the records: every insertion position below `inserted` held by
/// exactly one record, every population member present, and the counters recounted.
fn check_state(s: &CampaignState, records: &[CandidateRecord], problems: &mut Vec<String>) {
    let mut committed: Vec<&CandidateRecord> =
        records.iter().filter(|r| r.seq < s.inserted).collect();
    committed.sort_by_key(|r| r.seq);
    let distinct: HashSet<u64> = committed.iter().map(|r| r.seq).collect();
    if distinct.len() as u64 != s.inserted || committed.len() as u64 != s.inserted {
        problems.push(format!(
            "the state counts {} committed candidates; {} readable records cover {} of those positions",
            s.inserted,
            committed.len(),
            distinct.len()
        ));
    }
    let ids: HashSet<u64> = records.iter().map(|r| r.id).collect();
    let mut missing = Tally::new("population members have no record");
    for id in &s.population {
        if !ids.contains(id) {
            missing.add(format!("candidate {id}"));
        }
    }
    missing.report(problems);
    let mut recount = Stats::default();
    for r in &committed {
        recount.count(r);
    }
    let counters = |x: &Stats| {
        [
            ("candidates", x.candidates),
            ("evaluations", x.evaluations),
            ("cache hits", x.fec_hits),
            ("hurdle stops", x.hurdle_stops),
            ("failures", x.failures),
        ]
    };
    for ((name, stored), (_, counted)) in counters(&s.stats).into_iter().zip(counters(&recount)) {
        if stored != counted {
            problems.push(format!(
                "the state counts {stored} {name}, the committed records {counted}"
            ));
        }
    }
}

/// What [`salvage`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Salvaged {
    /// Records copied.
    pub records: u64,
    /// Whether the campaign state (and the guide's snapshot) was copied too; without it
    /// `gevo resume` rebuilds the population from the records in insertion order.
    pub state: bool,
}

/// Writes what `report` could read into a new archive at `out`: the settings, every readable
/// record, and the state and guide snapshot when they agree with the records. Without the
/// state, the records' insertion positions are renumbered from 0 in their original order.
///
/// # Errors
/// [`ArchiveError::Corrupt`] when the settings were unreadable (a campaign cannot be resumed
/// without them); [`ArchiveError::Exists`] when `out` already holds an archive; write errors.
pub fn salvage(source: &Path, report: &Report, out: &Path) -> Result<Salvaged, ArchiveError> {
    let config = report
        .config_json
        .as_deref()
        .ok_or_else(|| ArchiveError::Corrupt {
            path: source.join("db"),
            message: "the campaign settings cannot be read, so nothing can be salvaged".into(),
        })?;
    let archive = Archive::create(out, config)?;
    let state = match &report.state {
        Some(s) if report.state_consistent => {
            for chunk in report.records.chunks(1024) {
                archive.put_records(chunk)?;
            }
            archive.commit_state_with_guide(s, report.guide.as_ref())?;
            true
        }
        _ => {
            // Without a state, resume adopts the records in insertion order and counts them;
            // renumbering the positions closes the gaps lost records left.
            let mut records = report.records.clone();
            records.sort_by_key(|r| r.seq);
            for (seq, r) in records.iter_mut().enumerate() {
                r.seq = seq as u64;
            }
            for chunk in records.chunks(1024) {
                archive.put_records(chunk)?;
            }
            archive.flush()?;
            false
        }
    };
    Ok(Salvaged {
        records: report.records.len() as u64,
        state,
    })
}
