//! The engine's contract with the domains: what an evaluator takes ([`EvalContext`]), what it
//! returns ([`Evaluation`], [`Outcome`], [`Cost`]) and the [`Evaluator`] trait itself, with the
//! rules of staged evaluation shared by the domains ([`staged`]), and the executor seam through
//! which a campaign has its candidates evaluated ([`executor`], [`local`]). The
//! engine (evolution, hashing, archive) depends on this module and never on a domain.

mod evaluation;
mod evaluator;
pub mod executor;
pub mod local;
pub mod nats;
pub mod staged;

pub use evaluation::{Cost, Evaluation, Outcome};
pub use evaluator::{EvalContext, Evaluator, Improvement};
pub use executor::{EvalRequest, EvalResult, Executor, ExecutorError};
pub use local::LocalExecutor;
