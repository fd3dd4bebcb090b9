//! Constrained program families: spaces whose programs are sampled, mutated and checked by the
//! family's own rules rather than by the generic node moves of [`super::generate`] and
//! [`super::mutate`] (NAS-Bench-101 cells are one; Ying et al., ICML 2019, §2.1).
//!
//! A space carries at most one family ([`SearchSpace::structure`]); the family's code lives with
//! the domain that defines it, so `program/` stays free of domain types.

use super::Program;
use super::mutate::MutationKind;
use super::space::SearchSpace;
use rand_chacha::ChaCha8Rng;

/// How to sample, mutate and check the programs of a constrained family.
///
/// Implementations must draw from `rng` deterministically (same seed, same programs) and return
/// only programs that pass [`super::validate::validate`] for `space`.
pub trait ProgramStructure {
    /// The family's name in error messages (`invalid {kind}: …`), e.g. `cell`.
    fn kind(&self) -> &'static str;

    /// A random valid program of `space`, or `None` if the sampler gave up.
    fn random_program(&self, space: &SearchSpace, rng: &mut ChaCha8Rng) -> Option<Program>;

    /// A valid child of `parent` that differs from it, and the mutation that made it.
    fn mutate(
        &self,
        parent: &Program,
        space: &SearchSpace,
        rng: &mut ChaCha8Rng,
    ) -> (Program, MutationKind);

    /// Checks the family's rules; runs before type inference so that the family's own message
    /// names the problem.
    ///
    /// # Errors
    /// A message naming the broken rule.
    fn check(&self, program: &Program) -> Result<(), String>;
}
