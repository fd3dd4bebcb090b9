//! The messages between a campaign and its workers: versioned, self-describing CBOR (RFC 8949).
//!
//! CBOR rather than JSON because a result carries f64 figures that may be NaN or ±∞ (JSON has
//! no spelling for them) and must come back bit for bit (deterministic mode compares archives);
//! `ciborium` is already in the build through burn. JSON would also lose the bit pattern of some
//! floats through decimal text unless both ends agree on the round-trip mode; CBOR writes them
//! as IEEE 754 binary. Every message starts with its
//! [`MESSAGE_VERSION`] and the sender's gevo version, so a worker of another release reads at
//! least those two and refuses with a clear reason instead of misreading the rest.

use crate::engine::Evaluation;
use crate::program::Program;
use serde::{Deserialize, Serialize};

/// Version of the message layout; bumped whenever a field changes meaning or shape.
pub const MESSAGE_VERSION: u32 = 1;

/// The gevo release that wrote a message (workers evaluate only requests of their own).
pub const GEVO_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a campaign's requests evaluate, by content: a worker builds its evaluator from this
/// alone, so a worker with another checkout computes the same thing or refuses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// The search space's name.
    pub space: String,
    /// The search space's TOML text.
    pub space_source: String,
    /// The task (a `TaskSpec`: the task files' text, or a CSV's path, target and content
    /// hash) as JSON; opaque to the engine, resolved by the worker.
    pub task: String,
    /// Content hash (XXH3-128, hex) of the task's CSV dataset, when it has one; a worker whose
    /// copy of the data differs refuses.
    pub dataset_hash: Option<String>,
    /// burn device of the inner loops (`cpu`, `wgpu`).
    pub device: String,
}

impl Workload {
    /// A 128-bit key of the whole workload (workers cache one evaluator per key).
    pub fn key(&self) -> u128 {
        let mut bytes = Vec::new();
        for s in [
            &self.space,
            &self.space_source,
            &self.task,
            self.dataset_hash.as_deref().unwrap_or(""),
            &self.device,
        ] {
            bytes.extend_from_slice(&(s.len() as u64).to_le_bytes());
            bytes.extend_from_slice(s.as_bytes());
        }
        xxhash_rust::xxh3::xxh3_128(&bytes)
    }
}

/// One evaluation request (subject `gevo.requests.<campaign>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestMessage {
    /// [`MESSAGE_VERSION`] of the sender.
    pub message_version: u32,
    /// [`GEVO_VERSION`] of the sender.
    pub gevo_version: String,
    /// Archive schema version of the campaign.
    pub schema_version: u32,
    /// The campaign's id (one subject token: ASCII letters, digits, `-`, `_`).
    pub campaign: String,
    /// The candidate's id.
    pub candidate: u64,
    /// Which training run of the candidate (`0..eval_seeds`).
    pub seed_index: usize,
    /// The evaluation seed.
    pub seed: u64,
    /// The first-stage hurdle, if any.
    pub hurdle: Option<f64>,
    /// Wall-clock limit of the evaluation, seconds.
    pub time_limit_secs: Option<f64>,
    /// The program to evaluate.
    pub program: Program,
    /// A tag of this exact request (program, seed): its result echoes it, so that a stale
    /// result for a candidate id reused after a resume is never taken for the new program.
    pub tag: String,
    /// Space and task by content.
    pub workload: Workload,
}

/// What came of a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultBody {
    /// The request was evaluated (a failing candidate is an outcome here).
    Evaluated {
        /// The evaluation.
        evaluation: Evaluation,
        /// The panic message when the evaluator panicked.
        panic: Option<String>,
    },
    /// The worker would not or could not evaluate it (another gevo version, a missing or
    /// different dataset, a request over the worker's limits, a malformed message); the
    /// campaign records the candidate as `worker_failed`.
    Refused {
        /// Why, in words.
        reason: String,
    },
}

/// One result (subject `gevo.results.<campaign>`): the request's keys and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultMessage {
    /// [`MESSAGE_VERSION`] of the worker.
    pub message_version: u32,
    /// [`GEVO_VERSION`] of the worker.
    pub gevo_version: String,
    /// The campaign's id.
    pub campaign: String,
    /// The candidate's id.
    pub candidate: u64,
    /// The training run.
    pub seed_index: usize,
    /// The evaluation seed as requested (0 when the request could not be read).
    pub seed: u64,
    /// The request's tag, echoed (empty when the request could not be read).
    pub tag: String,
    /// Which worker answered (host name, process id and slot).
    pub worker: String,
    /// The evaluation or the refusal.
    pub body: ResultBody,
}

/// The two fields every message version starts with, read before the rest.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    /// The sender's message version.
    pub message_version: u32,
    /// The sender's gevo version.
    pub gevo_version: String,
}

/// A message that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// Not CBOR, or not the expected shape.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// Written by another message version or gevo release.
    #[error(
        "message version {message_version} from gevo {gevo_version}, but this is gevo \
         {GEVO_VERSION} with message version {MESSAGE_VERSION}: run the same gevo release on \
         the campaign and the workers"
    )]
    Version {
        /// The sender's message version.
        message_version: u32,
        /// The sender's gevo version.
        gevo_version: String,
    },
    /// A message that cannot be written (a value CBOR cannot hold).
    #[error("cannot encode a message: {0}")]
    Encode(String),
}

/// Encodes a message as CBOR.
///
/// # Errors
/// [`MessageError::Encode`] when a value cannot be serialized.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, MessageError> {
    let mut out = Vec::new();
    ciborium::into_writer(message, &mut out).map_err(|e| MessageError::Encode(e.to_string()))?;
    Ok(out)
}

/// Decodes a message, refusing one of another message version or gevo release.
///
/// # Errors
/// [`MessageError::Version`] for another version, [`MessageError::Malformed`] otherwise.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, MessageError> {
    let envelope: Envelope =
        ciborium::from_reader(bytes).map_err(|e| MessageError::Malformed(e.to_string()))?;
    if envelope.message_version != MESSAGE_VERSION || envelope.gevo_version != GEVO_VERSION {
        return Err(MessageError::Version {
            message_version: envelope.message_version,
            gevo_version: envelope.gevo_version,
        });
    }
    ciborium::from_reader(bytes).map_err(|e| MessageError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Cost, Outcome};

    fn result(body: ResultBody) -> ResultMessage {
        ResultMessage {
            message_version: MESSAGE_VERSION,
            gevo_version: GEVO_VERSION.into(),
            campaign: "c1".into(),
            candidate: 7,
            seed_index: 1,
            seed: 99,
            tag: "t".into(),
            worker: "w".into(),
            body,
        }
    }

    #[test]
    fn a_result_round_trips_bit_for_bit_with_non_finite_details() {
        let m = result(ResultBody::Evaluated {
            evaluation: Evaluation {
                fitness: Some(0.1 + 0.2),
                test_score: None,
                details: vec![("nan".into(), f64::NAN), ("inf".into(), f64::INFINITY)],
                outcome: Outcome::Ok,
                cost: Cost {
                    wall_secs: 1.5,
                    steps: 3,
                },
            },
            panic: None,
        });
        let back: ResultMessage = decode(&encode(&m).unwrap()).unwrap();
        let ResultBody::Evaluated { evaluation, .. } = back.body else {
            panic!("not evaluated");
        };
        assert_eq!(
            evaluation.fitness.unwrap().to_bits(),
            (0.1f64 + 0.2).to_bits()
        );
        assert!(evaluation.details[0].1.is_nan());
        assert_eq!(evaluation.details[1].1, f64::INFINITY);
    }

    #[test]
    fn another_version_and_garbage_are_refused_with_their_reason() {
        let mut m = result(ResultBody::Refused { reason: "x".into() });
        m.gevo_version = "0.0.0-other".into();
        let e = decode::<ResultMessage>(&encode(&m).unwrap()).unwrap_err();
        assert!(e.to_string().contains("0.0.0-other"), "{e}");
        assert!(matches!(e, MessageError::Version { .. }));
        let e = decode::<ResultMessage>(b"not cbor at all").unwrap_err();
        assert!(matches!(e, MessageError::Malformed(_)), "{e}");
    }
}
