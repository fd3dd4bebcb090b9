//! Neural-network pieces that several domains share: choosing the burn device at run time and
//! the ReLU multilayer perceptron (the DQN Q-network of the RL-loss domain, the digits
//! classifier of the optimizer domain). Domains import this module, never each other.

pub mod device;
pub mod mlp;

pub use mlp::Mlp;
