//! Neural-network pieces that several domains share: choosing the burn device at run time and
//! the ReLU multilayer perceptron (the DQN Q-network of the RL-loss domain, the digits
//! classifier of the optimizer domain). Domains import this module, never each other.

pub mod device;
pub mod mlp;

pub use mlp::Mlp;

use burn::tensor::TensorData;

/// A tensor's values as host `f32`s (flattened, row-major), whatever its stored float type.
pub fn host_f32(data: TensorData) -> Vec<f32> {
    let data = data.convert::<f32>();
    // After `convert` the bytes are f32, so the slice is there; `iter` converts element by
    // element should a backend hand back another layout.
    match data.as_slice::<f32>() {
        Ok(values) => values.to_vec(),
        Err(_) => data.iter::<f32>().collect(),
    }
}
