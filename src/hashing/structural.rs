//! Structural hash: identifies programs that are the same graph once dead nodes are removed.

use crate::program::Program;
use xxhash_rust::xxh3::Xxh3;

/// A 64-bit hash of the live graph (ops, argument wiring, constant bits, output).
pub fn structural_hash(p: &Program) -> u64 {
    let live = p.without_dead_nodes();
    let mut h = Xxh3::new();
    for inp in &live.inputs {
        h.update(inp.name.as_bytes());
        h.update(&[0xff]);
    }
    for n in &live.nodes {
        h.update(&n.op.0.to_le_bytes());
        for &a in &n.args {
            h.update(&(a as u32).to_le_bytes());
        }
        if let Some(v) = n.value {
            h.update(&v.to_bits().to_le_bytes());
        }
        h.update(&[0xfe]);
    }
    h.update(&(live.output as u64).to_le_bytes());
    h.digest()
}
