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
//! let mut ctx = KernelContext { networks: &[], rng: &mut rng };
//! let x = [Value::column(vec![1.0, 2.0])];
//! let out = Interpreter::new().run(&p, &x, &mut ctx).data.clone();
//! assert_eq!(out, vec![2.0, 6.0]);
//! assert_eq!(gevo::program::print::infix_top(&p), "(x * x) + x");
//! ```
#![warn(missing_docs)]

pub mod archive;
pub mod catalog;
pub mod cli;
pub mod domains;
pub mod evolution;
pub mod export;
pub mod guide;
pub mod hashing;
pub mod program;
pub mod space;
pub mod task;

pub use program::Program;
