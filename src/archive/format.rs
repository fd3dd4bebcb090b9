//! How candidate records are laid out on disk.
//!
//! Schema 1 stored each [`CandidateRecord`] as one postcard value with the program as JSON text:
//! about 1–2 KB per candidate, most of it the program. Schema 2 stores
//!
//! - a fixed-shape [`RecordSummary`] first (ids, hashes, fitness, outcome, lineage, cost), so
//!   readers that only count and rank (`gevo inspect`, `gevo plot`) decode that prefix and skip
//!   the rest without allocating,
//! - then the details and seed name,
//! - then the program: compactly encoded (op names, argument indices and literals, no JSON
//!   punctuation) with its infix expression, or, when an earlier record with the same functional
//!   hash holds the very same program, a reference to that record ([`StoredProgram::SameAs`]).
//!   Cache hits whose program is a structural copy of the first evaluated one are common in
//!   symbolic regression, so most of them cost only the summary.
//!
//! A cache hit whose program differs from the first program of its functional hash keeps its
//! own program: `gevo resume` rebuilds the population from the records and a deterministic
//! resume must mutate exactly the programs the campaign had.
//!
//! Both schemas are read without migration: the archive's stored schema version selects the
//! decoder, and `gevo resume` keeps writing an archive in the schema it was created with.

use super::records::CandidateRecord;
use crate::engine::{Cost, Outcome};
use crate::hashing::Fingerprint;
use crate::program::mutate::MutationKind;
use crate::program::ops::OpId;
use crate::program::{Input, Node, Program};
use serde::{Deserialize, Serialize};

/// The fixed-shape head of a schema-2 record: everything `inspect`, `plot` and the hall of
/// fame need, decodable without reading the program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordSummary {
    /// Candidate id.
    pub id: u64,
    /// Position in insertion order.
    pub seq: u64,
    /// Number of live op nodes.
    pub size: usize,
    /// Functional hash.
    pub fingerprint: Fingerprint,
    /// Structural hash of the live graph.
    pub structural_hash: u64,
    /// Fitness (larger is better); `None` for failures.
    pub fitness: Option<f64>,
    /// Held-out score when the domain has one.
    pub test_score: Option<f64>,
    /// How the evaluation ended.
    pub outcome: Outcome,
    /// Parent id.
    pub parent: Option<u64>,
    /// The mutation that produced it.
    pub mutation: Option<MutationKind>,
    /// Served from the functional equivalence cache.
    pub fec_hit: bool,
    /// Evaluation cost.
    pub cost: Cost,
    /// Unix time (seconds) of insertion.
    pub created_unix: f64,
}

impl RecordSummary {
    /// The summary of a full record.
    pub fn of(r: &CandidateRecord) -> RecordSummary {
        RecordSummary {
            id: r.id,
            seq: r.seq,
            size: r.size,
            fingerprint: r.fingerprint,
            structural_hash: r.structural_hash,
            fitness: r.fitness,
            test_score: r.test_score,
            outcome: r.outcome,
            parent: r.parent,
            mutation: r.mutation,
            fec_hit: r.fec_hit,
            cost: r.cost,
            created_unix: r.created_unix,
        }
    }
}

/// One op node without JSON punctuation (no `skip_serializing_if`: postcard is positional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CompactNode {
    op: OpId,
    args: Vec<u32>,
    value: Option<f64>,
}

/// A program in its compact stored form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompactProgram {
    inputs: Vec<Input>,
    nodes: Vec<CompactNode>,
    output: u32,
}

impl CompactProgram {
    /// The compact form of `p`; `None` if an index does not fit 32 bits.
    pub fn of(p: &Program) -> Option<CompactProgram> {
        let nodes = p
            .nodes
            .iter()
            .map(|n| {
                Some(CompactNode {
                    op: n.op,
                    args: n
                        .args
                        .iter()
                        .map(|&a| u32::try_from(a).ok())
                        .collect::<Option<_>>()?,
                    value: n.value,
                })
            })
            .collect::<Option<_>>()?;
        Some(CompactProgram {
            inputs: p.inputs.clone(),
            nodes,
            output: u32::try_from(p.output).ok()?,
        })
    }

    /// The program back.
    pub fn program(&self) -> Program {
        Program {
            inputs: self.inputs.clone(),
            nodes: self
                .nodes
                .iter()
                .map(|n| Node {
                    op: n.op,
                    args: n.args.iter().map(|&a| a as usize).collect(),
                    value: n.value,
                })
                .collect(),
            output: self.output as usize,
        }
    }
}

/// Where a schema-2 record's program is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StoredProgram {
    /// Stored here, compactly, with its infix expression.
    Compact {
        /// The program.
        program: CompactProgram,
        /// Its infix expression.
        expression: String,
    },
    /// Stored here as JSON text (a program the compact form cannot hold).
    Json {
        /// The program's JSON text.
        program: String,
        /// Its infix expression.
        expression: String,
    },
    /// The same program (and expression) as the record with this id, which stores it.
    SameAs(u64),
}

/// A schema-2 record as stored: the summary, then the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRecord {
    /// The fixed-shape head.
    pub summary: RecordSummary,
    /// Named per-task figures.
    pub details: Vec<(String, f64)>,
    /// Seed program name.
    pub seed: Option<String>,
    /// The program.
    pub program: StoredProgram,
}

impl StoredRecord {
    /// The stored form of `r`, with its program given as `program`.
    pub fn new(r: &CandidateRecord, program: StoredProgram) -> StoredRecord {
        StoredRecord {
            summary: RecordSummary::of(r),
            details: r.details.clone(),
            seed: r.seed.clone(),
            program,
        }
    }

    /// The program stored in this record itself (JSON text and expression), or the id it
    /// refers to.
    pub fn own_program(&self) -> Result<(String, String), u64> {
        match &self.program {
            StoredProgram::Compact {
                program,
                expression,
            } => Ok((
                serde_json::to_string(&program.program()).unwrap_or_default(),
                expression.clone(),
            )),
            StoredProgram::Json {
                program,
                expression,
            } => Ok((program.clone(), expression.clone())),
            StoredProgram::SameAs(id) => Err(*id),
        }
    }

    /// The full record, given its program text and expression.
    pub fn into_record(self, program: String, expression: String) -> CandidateRecord {
        let s = self.summary;
        CandidateRecord {
            id: s.id,
            seq: s.seq,
            program,
            expression,
            size: s.size,
            fingerprint: s.fingerprint,
            structural_hash: s.structural_hash,
            fitness: s.fitness,
            test_score: s.test_score,
            details: self.details,
            outcome: s.outcome,
            parent: s.parent,
            mutation: s.mutation,
            seed: self.seed,
            fec_hit: s.fec_hit,
            cost: s.cost,
            created_unix: s.created_unix,
        }
    }
}

/// The stored program of a record whose program is not already stored elsewhere.
pub fn own_program(r: &CandidateRecord) -> StoredProgram {
    match Program::from_json(&r.program, "record")
        .ok()
        .and_then(|p| CompactProgram::of(&p))
    {
        Some(program) => StoredProgram::Compact {
            program,
            expression: r.expression.clone(),
        },
        None => StoredProgram::Json {
            program: r.program.clone(),
            expression: r.expression.clone(),
        },
    }
}

/// Decodes the summary of a record stored in `schema` (1 or 2).
///
/// # Errors
/// The decoder's message when the bytes are not a record.
pub fn decode_summary(schema: u32, bytes: &[u8]) -> Result<RecordSummary, postcard::Error> {
    if schema == 1 {
        return postcard::from_bytes::<CandidateRecord>(bytes).map(|r| RecordSummary::of(&r));
    }
    postcard::take_from_bytes::<RecordSummary>(bytes).map(|(s, _)| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::DType;

    fn record(program: &Program) -> CandidateRecord {
        CandidateRecord {
            id: 7,
            seq: 3,
            program: serde_json::to_string(program).unwrap(),
            expression: "x + 1.5".into(),
            size: 2,
            fingerprint: Fingerprint(u128::MAX - 5),
            structural_hash: 99,
            fitness: Some(-0.25),
            test_score: None,
            details: vec![("mse".into(), 0.25)],
            outcome: Outcome::Ok,
            parent: Some(1),
            mutation: Some(MutationKind::RewireArg),
            seed: None,
            fec_hit: true,
            cost: Cost {
                wall_secs: 0.5,
                steps: 20,
            },
            created_unix: 1.7e9,
        }
    }

    fn program() -> Program {
        Program {
            inputs: vec![Input {
                name: "x".into(),
                dtype: DType::Float,
            }],
            nodes: vec![
                Node {
                    op: OpId::constant(),
                    args: vec![],
                    value: Some(1.5),
                },
                Node {
                    op: OpId::by_name("add").unwrap(),
                    args: vec![0, 1],
                    value: None,
                },
            ],
            output: 2,
        }
    }

    #[test]
    fn a_compact_record_round_trips_to_the_same_json_and_is_smaller() {
        let r = record(&program());
        let stored = StoredRecord::new(&r, own_program(&r));
        assert!(matches!(stored.program, StoredProgram::Compact { .. }));
        let bytes = postcard::to_allocvec(&stored).unwrap();
        let v1 = postcard::to_allocvec(&r).unwrap();
        assert!(bytes.len() < v1.len(), "{} vs {}", bytes.len(), v1.len());
        let back: StoredRecord = postcard::from_bytes(&bytes).unwrap();
        let (program, expression) = back.own_program().unwrap();
        assert_eq!(back.into_record(program, expression), r);
        assert_eq!(decode_summary(2, &bytes).unwrap(), RecordSummary::of(&r));
        assert_eq!(decode_summary(1, &v1).unwrap(), RecordSummary::of(&r));
    }

    #[test]
    fn a_reference_costs_only_the_summary() {
        let r = record(&program());
        let inline = postcard::to_allocvec(&StoredRecord::new(&r, own_program(&r))).unwrap();
        let shared =
            postcard::to_allocvec(&StoredRecord::new(&r, StoredProgram::SameAs(3))).unwrap();
        assert!(shared.len() < inline.len());
        let back: StoredRecord = postcard::from_bytes(&shared).unwrap();
        assert_eq!(back.own_program(), Err(3));
    }

    #[test]
    fn unparsable_program_text_is_kept_verbatim() {
        let mut r = record(&program());
        r.program = "not json".into();
        let stored = StoredRecord::new(&r, own_program(&r));
        assert_eq!(
            stored.own_program(),
            Ok(("not json".to_string(), "x + 1.5".to_string()))
        );
    }
}
