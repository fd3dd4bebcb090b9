//! Fingerprints: a candidate's outputs on fixed canonical probe inputs, mantissa-truncated and
//! mixed into a 128-bit hash.
//!
//! Source: Gillard, Real et al., "Unified Functional Hashing in Automatic Machine Learning"
//! (2023), §3: run the candidate on a fixed mini-batch with all RNGs reset, truncate each float's
//! mantissa to `m` bits (24 by default), and mix every value (sign, exponent and kept mantissa)
//! into one hash. Unlike Co-Reyes et al.'s reference code, which sums rounded outputs into one
//! float, the whole vector is hashed.

use serde::{Deserialize, Serialize};
use std::fmt;
use xxhash_rust::xxh3::xxh3_128;

/// A 128-bit functional hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Fingerprint(pub u128);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// Default number of kept mantissa bits.
pub const DEFAULT_MANTISSA_BITS: u32 = 24;

/// Truncates `x`'s 52-bit mantissa to its top `bits` bits; maps −0 to +0 and every NaN to one
/// pattern, so equal functions give equal words.
#[inline]
pub fn quantize(x: f64, bits: u32) -> u64 {
    if x.is_nan() {
        return 0x7ff8_0000_0000_0000;
    }
    let x = if x == 0.0 { 0.0 } else { x };
    let drop = 52u32.saturating_sub(bits.min(52));
    let mask = !((1u64 << drop) - 1);
    x.to_bits() & mask
}

/// The fingerprint of a probe-output vector with `bits` kept mantissa bits.
pub fn fingerprint_of_outputs(outputs: &[f64], bits: u32) -> Fingerprint {
    let mut bytes = Vec::with_capacity(outputs.len() * 8 + 8);
    bytes.extend_from_slice(&(outputs.len() as u64).to_le_bytes());
    for &v in outputs {
        bytes.extend_from_slice(&quantize(v, bits).to_le_bytes());
    }
    Fingerprint(xxh3_128(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_merges_rounding_noise_but_not_real_differences() {
        let a = 0.1 + 0.2;
        let b = 0.3;
        assert_ne!(a, b);
        assert_eq!(quantize(a, 24), quantize(b, 24));
        assert_ne!(quantize(1.0, 24), quantize(1.0001, 24));
        assert_eq!(quantize(-0.0, 24), quantize(0.0, 24));
        assert_eq!(quantize(f64::NAN, 24), quantize(-f64::NAN, 24));
    }

    #[test]
    fn fingerprints_depend_on_every_value_and_length() {
        let f = |v: &[f64]| fingerprint_of_outputs(v, 24);
        assert_eq!(f(&[1.0, 2.0]), f(&[1.0, 2.0]));
        assert_ne!(f(&[1.0, 2.0]), f(&[2.0, 1.0]));
        assert_ne!(f(&[1.0]), f(&[1.0, 0.0]));
    }
}
