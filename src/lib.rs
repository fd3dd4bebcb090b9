//! # gevo — machine-learning program search
//!
//! gevo evolves typed computation graphs — RL loss functions, optimizers, architectures and
//! symbolic-regression equations — with regularized (aging) evolution, deduplicated by functional
//! hashing, and evaluates candidates by inner-loop training on burn.
//!
//! ```
//! use gevo::program::{Program, interpreter::Interpreter, ops::KernelContext, value::Value};
//! use rand::SeedableRng;
//!
//! // x * x + x, as a program over one float input.
//! let p = Program::from_json(r#"{
//!   "inputs": [{"name": "x", "dtype": "float"}],
//!   "nodes": [{"op": "mul", "args": [0, 0]}, {"op": "add", "args": [1, 0]}],
//!   "output": 2
//! }"#, "example").unwrap();
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
//! let mut ctx = KernelContext::new(&mut rng);
//! let x = [Value::column(vec![1.0, 2.0])];
//! let out = Interpreter::new().run(&p, &x, &mut ctx).data.clone();
//! assert_eq!(out, vec![2.0, 6.0]);
//! assert_eq!(gevo::program::print::infix_top(&p), "(x * x) + x");
//! ```
//!
//! ## Reusing a discovered loss in a Rust trainer
//!
//! Load the program (a JSON file, or a candidate of a campaign archive), wrap it as a
//! [`ProgramLoss`] — a [`DqnLoss`] that maps a minibatch of `B` transitions to the per-sample
//! loss `[B]` on burn tensors — and train with it. `examples/dqn_with_discovered_loss.rs` is a
//! complete trainer built on this API alone.
//!
//! ```no_run
//! use gevo::{Archive, ProgramLoss, rl};
//! # fn main() -> anyhow::Result<()> {
//! let loss = ProgramLoss::load("search_spaces/rl_loss/seeds/dqn_reg.json")?;
//! // or, from a campaign: ProgramLoss::try_new(Archive::open("archive".as_ref())?.program(42)?.unwrap())?
//! let mut env = rl::make_env("CartPole-v1", None)?;
//! let config = rl::dqn::DqnConfig::fast();
//! let agent = rl::dqn::train_agent(env.as_mut(), &loss, &config, &burn::tensor::Device::flex());
//! println!("last returns: {:?}", agent.report.mean_last_returns(10));
//! # Ok(()) }
//! ```
#![warn(missing_docs)]
// A panic in a worker thread loses a candidate and, in the CLI, the user's trust: shipped code
// returns typed errors instead (tests may unwrap; see clippy.toml).
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod analysis;
pub mod archive;
pub mod catalog;
pub mod datasets;
pub mod domains;
pub mod engine;
pub mod envs;
pub mod evolution;
pub mod export;
pub mod guide;
pub mod hashing;
pub mod nn;
pub mod program;
pub mod task;
pub mod task_file;

pub use archive::Archive;
pub use domains::rl_loss as rl;
pub use domains::rl_loss::ProgramLoss;
pub use domains::rl_loss::dqn::DqnLoss;
pub use program::Program;
pub use program::space::SearchSpace;
