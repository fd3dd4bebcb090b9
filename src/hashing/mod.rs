//! Functional hashing (fingerprints), structural hashing and the functional equivalence cache.

pub mod fec;
pub mod fingerprint;
pub mod structural;

pub use fec::{FecConfig, FecEntry, FunctionalEquivalenceCache};
pub use fingerprint::{Fingerprint, fingerprint_of_outputs, quantize};
pub use structural::structural_hash;
