//! Values and kernels on burn tensors: the differentiable path an RL loss trains its Q-network
//! through. A value keeps the shape its type implies; constants stay f64 until they meet a
//! tensor, then broadcast.

use burn::tensor::{Int, Tensor};

/// A program value on the burn path.
#[derive(Clone)]
pub enum TensorValue {
    /// `[B]`.
    Float(Tensor<1>),
    /// `[B, A]` (lists and probability distributions).
    List(Tensor<2>),
    /// `[B]` action indices.
    Action(Tensor<1, Int>),
    /// `[B, S]` states; `input` is the program input they come from (a function applied to the
    /// same input twice is computed once).
    State {
        /// The states.
        rows: Tensor<2>,
        /// Index of the program input.
        input: usize,
    },
    /// A handle to a function of states (an index, as in [`super::KernelContext::functions`]).
    Param(usize),
    /// A scalar not yet broadcast.
    Const(f64),
}

/// The functions `Param` handles name, on burn tensors (the online and target Q-networks).
pub trait TensorFunctions {
    /// Function `handle` applied to `states` `[B, S]` (from program input `input`) → `[B, A]`.
    fn apply(&mut self, handle: usize, input: usize, states: Tensor<2>) -> Tensor<2>;
}

/// Context of the tensor kernels.
pub struct TensorContext<'a> {
    /// Rows of the batch (`B`).
    pub batch: usize,
    /// The functions `Param` values refer to.
    pub functions: &'a mut dyn TensorFunctions,
}

/// A burn kernel: the op on tensor values (of the types its type rule admits; never all
/// constants, which are folded through the f64 kernel).
pub type TensorKernel = fn(&[TensorValue], &mut TensorContext<'_>) -> TensorValue;

/// Two numeric arguments brought to one shape: both `[B]` or both `[B, A]`.
pub(crate) enum Pair {
    F(Tensor<1>, Tensor<1>),
    L(Tensor<2>, Tensor<2>),
}

pub(crate) fn as_pair(x: &TensorValue, y: &TensorValue) -> Pair {
    use TensorValue::*;
    match (x.clone(), y.clone()) {
        (Float(a), Float(b)) => Pair::F(a, b),
        (List(a), List(b)) => Pair::L(a, b),
        (Float(a), List(b)) => {
            let [n, k] = b.dims();
            Pair::L(a.unsqueeze_dim::<2>(1).expand([n, k]), b)
        }
        (List(a), Float(b)) => {
            let [n, k] = a.dims();
            Pair::L(a, b.unsqueeze_dim::<2>(1).expand([n, k]))
        }
        (Const(c), Float(b)) => Pair::F(Tensor::full(b.shape(), c, &b.device()), b),
        (Float(a), Const(c)) => {
            let full = Tensor::full(a.shape(), c, &a.device());
            Pair::F(a, full)
        }
        (Const(c), List(b)) => Pair::L(Tensor::full(b.shape(), c, &b.device()), b),
        (List(a), Const(c)) => {
            let full = Tensor::full(a.shape(), c, &a.device());
            Pair::L(a, full)
        }
        _ => unreachable!("type rules admit only numeric pairs"),
    }
}

/// An elementwise binary tensor kernel from one expression over both shapes.
macro_rules! tensor_binary {
    (|$a:ident, $b:ident| $body:expr) => {{
        fn kernel(
            args: &[$crate::program::ops::tensor::TensorValue],
            _: &mut $crate::program::ops::tensor::TensorContext<'_>,
        ) -> $crate::program::ops::tensor::TensorValue {
            use $crate::program::ops::tensor::{Pair, TensorValue, as_pair};
            match as_pair(&args[0], &args[1]) {
                Pair::F($a, $b) => TensorValue::Float($body),
                Pair::L($a, $b) => TensorValue::List($body),
            }
        }
        kernel
    }};
}

/// An elementwise unary tensor kernel from one expression over both shapes.
macro_rules! tensor_unary {
    (|$a:ident| $body:expr) => {{
        fn kernel(
            args: &[$crate::program::ops::tensor::TensorValue],
            _: &mut $crate::program::ops::tensor::TensorContext<'_>,
        ) -> $crate::program::ops::tensor::TensorValue {
            use $crate::program::ops::tensor::TensorValue;
            match args[0].clone() {
                TensorValue::Float($a) => TensorValue::Float($body),
                TensorValue::List($a) => TensorValue::List($body),
                _ => unreachable!("type rules admit only numeric values"),
            }
        }
        kernel
    }};
}

pub(crate) use {tensor_binary, tensor_unary};

/// The `[B, A]` tensor of a list value.
pub(crate) fn list(v: &TensorValue) -> Tensor<2> {
    match v {
        TensorValue::List(t) => t.clone(),
        _ => unreachable!("type rules admit only lists here"),
    }
}

/// The `[B]` tensor of a float value.
pub(crate) fn float(v: &TensorValue) -> Tensor<1> {
    match v {
        TensorValue::Float(t) => t.clone(),
        _ => unreachable!("type rules admit only floats here"),
    }
}

/// A `[B, 1]` per-row result as a `[B]` float.
pub(crate) fn per_row(t: Tensor<2>) -> TensorValue {
    TensorValue::Float(t.squeeze_dim::<1>(1))
}
