//! The op registry: one [`OpSpec`] per op carries everything gevo knows about it — name, arity,
//! argument-order sensitivity, type rule, batched f64 kernel, burn tensor kernel, the algebraic
//! facts the simplifier uses and its spelling in every export dialect. Specs are grouped by
//! family (`arithmetic`, `rl`, `optimizer`, `cell`); the registry concatenates the families in
//! that fixed order, so every op keeps its [`OpId`] (structural hashes read it) and its name
//! (programs, archives and fingerprints store names).
//!
//! Protected ops follow the conventions of Co-Reyes et al. (ICLR 2021, appendix A), used for every
//! space so that one op means one function everywhere:
//! - `div(x, y) = x / (y + 1e-10)`
//! - `log(x) = ln(|x| + 1e-12)`
//! - `sqrt(x) = √|x|`
//! - `exp(x) = e^min(x, 80)` (clipped so that f32 back ends stay finite)
//!
//! Optimizer ops (Chen et al., 2023, §2): `sign` (0 at 0), `arctan`, `pow(x, y) = |x|^y`,
//! `clip(x, c) = min(max(x, −|c|), |c|)`, `interpolate(x, y, w) = (1 − w)·x + w·y`,
//! `norm(x) = ‖x‖₂` over the whole `[N]` column (broadcast back, like `mean_batch`), and
//! `update_rule(update, m', v')`, which packs an optimizer step (see [`DType::Update`]).
//!
//! Binary arithmetic broadcasts: a `Const` against anything, a `Float` column `[B]` against a
//! `List` `[B, A]` (per row). The result of an op on a `Prob` is a `List`.
//!
//! Adding an op is one spec: its kernels, facts and lowerings in the family's file (a search
//! space then names it). Built-in ops only ever go at the end of the registry (the last family,
//! or a new family after it), since the structural hash reads ids. Ops beyond the built-in ones
//! can also be added at run time with [`register`]; they get the next free ids.

mod arithmetic;
mod cell;
pub mod lowering;
mod optimizer;
mod rl;
mod rules;
pub mod tensor;

use super::dtype::DType;
use super::value::Value;
use lowering::{Code, Latex, NameRule, Snippet};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::sync::{PoisonError, RwLock, RwLockReadGuard};
use tensor::TensorKernel;

pub use cell::CellLayer;
pub use rl::LOSS_INPUTS;

/// Smallest denominator shift of protected division.
pub const DIV_EPS: f64 = 1e-10;
/// Shift inside protected log.
pub const LOG_EPS: f64 = 1e-12;
/// Upper clip of `exp`'s argument.
pub const EXP_CLIP: f64 = 80.0;
/// Standard deviation of `add_gaussian_noise`.
pub const NOISE_STD: f64 = 0.1;

/// A function that a `Param` value stands for, applied to a batch of `State` rows (an RL loss's
/// Q-network). Kernels reach it through [`KernelContext::functions`], by the `Param` value's
/// number.
pub trait ParamFunction {
    /// Outputs per row (`A`, the number of actions of a Q-network).
    fn outputs(&self) -> usize;
    /// `states` `[rows, S]` (row-major) → `[rows, outputs]` (row-major).
    fn apply(&self, states: &[f64], rows: usize) -> Vec<f64>;
}

/// Context the kernels may need beyond their arguments.
pub struct KernelContext<'a> {
    /// The functions `Param` values refer to (a `Param` value is an index into this slice).
    pub functions: &'a [&'a dyn ParamFunction],
    /// Source of randomness for stochastic ops; reset per program by the caller.
    pub rng: &'a mut ChaCha8Rng,
}

impl<'a> KernelContext<'a> {
    /// A context without `Param` functions (every program that does not read a network).
    pub fn new(rng: &'a mut ChaCha8Rng) -> Self {
        KernelContext {
            functions: &[],
            rng,
        }
    }
}

/// A batched CPU kernel: reads `args`, writes `out` (resizing it; allocations are reused).
pub type Kernel = fn(&[&Value], &mut Value, &mut KernelContext<'_>);

/// A type rule: argument types → result type, or `None` when the op does not apply.
pub type TypeRule = fn(&[DType]) -> Option<DType>;

/// What `op(x, x)` equals (for the simplifier).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EqualArgs {
    /// The constant 0 (`x − x`, `l2_distance(x, x)`).
    Zero,
    /// `x` itself (`max(x, x)`).
    First,
    /// The named unary op applied to `x` (`x · x = square(x)`).
    Op(&'static str),
}

/// Algebraic facts the simplifier rewrites with (`program::simplify`). Each holds exactly, or up
/// to one rounding, under the protected semantics of the op's kernel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Algebra {
    /// `op(x, e) = x`.
    pub right_identity: Option<f64>,
    /// `op(e, x) = x`.
    pub left_identity: Option<f64>,
    /// `op(x, x)`.
    pub equal_args: Option<EqualArgs>,
    /// `op(0, y) = −y`.
    pub left_zero_negates: bool,
    /// `op(x, z) = op(z, x) = z` (an absorbing element).
    pub absorbing: Option<f64>,
    /// `op(x, c) = op(c, x) = −x` for this constant `c`.
    pub negated_by: Option<f64>,
    /// `op(op(x)) = x`.
    pub involution: bool,
    /// `op(x) = x` when `x ≥ 0` (absolute value).
    pub absolute: bool,
    /// The result is never negative.
    pub nonnegative: bool,
    /// `op(−x) = op(x)`, hence also `op(|x|) = op(x)` (an even function).
    pub even: bool,
    /// `op(square(x))` equals the named unary op applied to `x` (`√(x²) = |x|`).
    pub of_square: Option<&'static str>,
}

impl Algebra {
    /// No facts.
    pub const NONE: Algebra = Algebra {
        right_identity: None,
        left_identity: None,
        equal_args: None,
        left_zero_negates: false,
        absorbing: None,
        negated_by: None,
        involution: false,
        absolute: false,
        nonnegative: false,
        even: false,
        of_square: None,
    };
}

/// How an op is written in each export dialect. `None` means the dialect cannot express it
/// (the exporter then reports [`crate::export::ExportError::UnsupportedOp`]).
#[derive(Clone, Copy)]
pub struct Lowerings {
    /// The LaTeX rendering.
    pub latex: Option<Latex>,
    /// Definitions for the LaTeX document's legend (protected ops).
    pub latex_legend: &'static [Snippet],
    /// The array-API spelling shared by NumPy and `jax.numpy` (`{m}` is the module alias).
    pub array: Option<Code>,
    /// A JAX spelling where it differs from the array API.
    pub jax: Option<Code>,
    /// The PyTorch spelling.
    pub pytorch: Option<Code>,
    /// The burn (Rust source) spelling.
    pub burn: Option<Code>,
    /// Lines on its exact semantics for the docstrings of the code targets.
    pub notes: &'static [Snippet],
    /// Exported code receives the op's result as a function parameter instead of computing it
    /// (`qvalue_list`: the Q-value tables of a DQN batch).
    pub as_input: bool,
    /// How the exported variable holding its result is named.
    pub name: NameRule,
}

impl Lowerings {
    /// No lowering at all.
    pub const NONE: Lowerings = Lowerings {
        latex: None,
        latex_legend: &[],
        array: None,
        jax: None,
        pytorch: None,
        burn: None,
        notes: &[],
        as_input: false,
        name: NameRule::OpName,
    };
}

/// One op of the registry.
#[derive(Clone, Copy)]
pub struct OpSpec {
    /// Name used in files (`add`, `select_list`, …).
    pub name: &'static str,
    /// Number of arguments.
    pub arity: usize,
    /// Whether swapping arguments can change the result (`sub`, `div`, `select_list`, …).
    pub ordered: bool,
    /// The type rule.
    pub type_rule: TypeRule,
    /// The batched f64 kernel.
    pub kernel: Kernel,
    /// Infix/function notation used by the printer: `"+"` for binary infix ops, else the name.
    pub symbol: &'static str,
    /// Takes any number of arguments (`arity` is then nominal): the NAS-Bench-101 cell ops sum
    /// their inputs.
    pub variadic: bool,
    /// Computed elementwise with broadcasting (a column against a table, a constant against
    /// anything).
    pub elementwise: bool,
    /// Draws random numbers (never merged with an identical node, never folded away).
    pub stochastic: bool,
    /// The burn tensor kernel, for ops an RL loss trains through.
    pub tensor_kernel: Option<TensorKernel>,
    /// Facts for the simplifier.
    pub algebra: Algebra,
    /// Spelling per export dialect.
    pub lowering: Lowerings,
    /// The layer a cell op applies (NAS-Bench-101 and tabular cells), `None` for other ops.
    pub cell_layer: Option<CellLayer>,
}

impl OpSpec {
    /// A spec with `name`, `arity`, type rule and f64 kernel; nothing else known yet (the
    /// builder methods below add the rest).
    pub const fn new(
        name: &'static str,
        arity: usize,
        type_rule: TypeRule,
        kernel: Kernel,
    ) -> Self {
        OpSpec {
            name,
            arity,
            ordered: false,
            type_rule,
            kernel,
            symbol: name,
            variadic: false,
            elementwise: false,
            stochastic: false,
            tensor_kernel: None,
            algebra: Algebra::NONE,
            lowering: Lowerings::NONE,
            cell_layer: None,
        }
    }

    /// Sets the layer a cell op applies.
    pub const fn cell_layer(mut self, layer: CellLayer) -> Self {
        self.cell_layer = Some(layer);
        self
    }

    /// Marks the result as depending on argument order.
    pub const fn ordered(mut self) -> Self {
        self.ordered = true;
        self
    }

    /// Sets the printer's notation.
    pub const fn symbol(mut self, symbol: &'static str) -> Self {
        self.symbol = symbol;
        self
    }

    /// Marks the op as summing any number of inputs.
    pub const fn variadic(mut self) -> Self {
        self.variadic = true;
        self
    }

    /// Marks the op as elementwise with broadcasting.
    pub const fn elementwise(mut self) -> Self {
        self.elementwise = true;
        self
    }

    /// Marks the op as drawing random numbers.
    pub const fn stochastic(mut self) -> Self {
        self.stochastic = true;
        self
    }

    /// Sets the burn tensor kernel.
    pub const fn tensor(mut self, kernel: TensorKernel) -> Self {
        self.tensor_kernel = Some(kernel);
        self
    }

    /// Sets the algebraic facts.
    pub const fn algebra(mut self, algebra: Algebra) -> Self {
        self.algebra = algebra;
        self
    }

    /// Sets the LaTeX rendering.
    pub const fn latex(mut self, latex: Latex) -> Self {
        self.lowering.latex = Some(latex);
        self
    }

    /// Sets the LaTeX legend entries.
    pub const fn latex_legend(mut self, legend: &'static [Snippet]) -> Self {
        self.lowering.latex_legend = legend;
        self
    }

    /// Sets the array-API (NumPy, `jax.numpy`) spelling.
    pub const fn array(mut self, code: Code) -> Self {
        self.lowering.array = Some(code);
        self
    }

    /// Sets a JAX spelling that differs from the array API's.
    pub const fn jax(mut self, code: Code) -> Self {
        self.lowering.jax = Some(code);
        self
    }

    /// Sets the PyTorch spelling.
    pub const fn pytorch(mut self, code: Code) -> Self {
        self.lowering.pytorch = Some(code);
        self
    }

    /// Sets the burn spelling.
    pub const fn burn(mut self, code: Code) -> Self {
        self.lowering.burn = Some(code);
        self
    }

    /// Sets the docstring notes on the op's semantics.
    pub const fn notes(mut self, notes: &'static [Snippet]) -> Self {
        self.lowering.notes = notes;
        self
    }

    /// Marks the op's result as a parameter of exported code.
    pub const fn as_input(mut self) -> Self {
        self.lowering.as_input = true;
        self
    }

    /// Sets how exported code names the op's result.
    pub const fn named(mut self, rule: NameRule) -> Self {
        self.lowering.name = rule;
        self
    }

    /// The JAX spelling: its own, else the array API's.
    pub fn jax_code(&self) -> Option<&Code> {
        self.lowering.jax.as_ref().or(self.lowering.array.as_ref())
    }
}

/// Index of an op in the registry; serialized as the op's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId(pub u16);

impl OpId {
    /// The op's specification.
    pub fn spec(self) -> &'static OpSpec {
        let i = self.0 as usize;
        match BUILTIN.get(i) {
            Some(spec) => spec,
            None => extra_ops()[i - BUILTIN.len()],
        }
    }

    /// The id of built-in op `name`. Use it in a `const` context (`const { OpId::builtin("neg") }`)
    /// so that a misspelt name fails the build instead of the run.
    ///
    /// # Panics
    /// If no built-in op has that name (at compile time in a `const` context).
    pub const fn builtin(name: &str) -> OpId {
        let families: [&[OpSpec]; 4] = [&arithmetic::OPS, &rl::OPS, &optimizer::OPS, &cell::OPS];
        let mut id = 0;
        let mut f = 0;
        while f < families.len() {
            let mut i = 0;
            while i < families[f].len() {
                if const_str_eq(families[f][i].name, name) {
                    return OpId(id);
                }
                id += 1;
                i += 1;
            }
            f += 1;
        }
        panic!("no built-in op of that name");
    }

    /// The op's name.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Look an op up by name.
    pub fn by_name(name: &str) -> Option<OpId> {
        if let Some(i) = BUILTIN.iter().position(|s| s.name == name) {
            return Some(OpId(i as u16));
        }
        extra_ops()
            .iter()
            .position(|s| s.name == name)
            .map(|i| OpId((BUILTIN.len() + i) as u16))
    }

    /// The `const` op (a literal held in the node's `value`).
    pub fn constant() -> OpId {
        OpId(0)
    }

    /// Whether this is the `const` op.
    pub fn is_const(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for OpId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for OpId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        OpId::by_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown op `{name}` (known ops: {})",
                op_names().join(", ")
            ))
        })
    }
}

/// Names of all registered ops, in id order.
pub fn op_names() -> Vec<&'static str> {
    registry().iter().map(|s| s.name).collect()
}

/// Every registered op's spec, in id order (the built-in ops, then [`register`]ed ones).
pub fn registry() -> Vec<&'static OpSpec> {
    let extra = extra_ops();
    BUILTIN.iter().chain(extra.iter().copied()).collect()
}

/// Why [`register`] refused an op.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// An op of that name exists.
    #[error("an op named `{0}` is already registered")]
    Duplicate(String),
    /// The id space (`u16`) is full.
    #[error("the op registry is full")]
    Full,
}

/// Adds `spec` to the registry (for the whole process) and returns its id: the next free one,
/// after the built-in ops. A search space can then name it like any built-in op.
///
/// # Errors
/// [`RegisterError::Duplicate`] when the name is taken, [`RegisterError::Full`] past `u16` ids.
pub fn register(spec: OpSpec) -> Result<OpId, RegisterError> {
    let mut extra = EXTRA.write().unwrap_or_else(PoisonError::into_inner);
    let taken = BUILTIN
        .iter()
        .chain(extra.iter().copied())
        .any(|s| s.name == spec.name);
    if taken {
        return Err(RegisterError::Duplicate(spec.name.to_string()));
    }
    let id = u16::try_from(BUILTIN.len() + extra.len()).map_err(|_| RegisterError::Full)?;
    extra.push(Box::leak(Box::new(spec)));
    Ok(OpId(id))
}

/// Evaluates `op` on scalar arguments with its f64 kernel (constant folding everywhere goes
/// through here, so folded constants equal what the interpreter computes bit for bit). NaN when
/// the kernel writes nothing.
pub fn fold(op: OpId, args: &[f64]) -> f64 {
    let values: Vec<Value> = args.iter().map(|&v| Value::scalar(v)).collect();
    let refs: Vec<&Value> = values.iter().collect();
    let mut out = Value::default();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    (op.spec().kernel)(&refs, &mut out, &mut KernelContext::new(&mut rng));
    out.data.first().copied().unwrap_or(f64::NAN)
}

/// `a == b`, usable in a `const fn`.
const fn const_str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Concatenates the families into one array at compile time.
const fn concat<const N: usize>(families: &[&[OpSpec]]) -> [OpSpec; N] {
    let mut out = [arithmetic::OPS[0]; N];
    let (mut f, mut k) = (0, 0);
    while f < families.len() {
        let mut i = 0;
        while i < families[f].len() {
            out[k] = families[f][i];
            k += 1;
            i += 1;
        }
        f += 1;
    }
    assert!(k == N, "every family op has a registry slot");
    out
}

const BUILTIN_COUNT: usize =
    arithmetic::OPS.len() + rl::OPS.len() + optimizer::OPS.len() + cell::OPS.len();

/// The built-in ops, in id order. A search space selects a subset by name.
static BUILTIN: [OpSpec; BUILTIN_COUNT] =
    concat(&[&arithmetic::OPS, &rl::OPS, &optimizer::OPS, &cell::OPS]);

/// Ops added by [`register`].
static EXTRA: RwLock<Vec<&'static OpSpec>> = RwLock::new(Vec::new());

/// The registered ops. A panic elsewhere cannot leave the list half-updated (a push is the only
/// write), so a poisoned lock is read as is.
fn extra_ops() -> RwLockReadGuard<'static, Vec<&'static OpSpec>> {
    EXTRA.read().unwrap_or_else(PoisonError::into_inner)
}

/// Draws `N(0, 1)` by the Box–Muller transform.
pub fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ids and names archives depend on (ops added later come after these).
    #[test]
    fn builtin_order_is_fixed() {
        let names: Vec<&str> = BUILTIN.iter().take(48).map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "const",
                "add",
                "sub",
                "mul",
                "div",
                "max",
                "min",
                "l2_distance",
                "neg",
                "abs",
                "sin",
                "cos",
                "tanh",
                "exp",
                "log",
                "sqrt",
                "square",
                "multiply_tenth",
                "add_gaussian_noise",
                "sum_list",
                "mean_list",
                "max_list",
                "min_list",
                "std_list",
                "logsumexp_list",
                "argmax_list",
                "softmax",
                "entropy",
                "kl_div",
                "dot_product",
                "select_list",
                "qvalue_list",
                "mean_batch",
                "std_batch",
                "sign",
                "arctan",
                "pow",
                "clip",
                "interpolate",
                "norm",
                "update_rule",
                "conv3x3_bn_relu",
                "conv1x1_bn_relu",
                "maxpool3x3",
                "cell_output",
                "dense_relu",
                "dense",
                "relu",
            ]
        );
    }

    #[test]
    fn names_are_unique_and_roundtrip() {
        let names = op_names();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(OpId::by_name(n), Some(OpId(i as u16)));
        }
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        assert_eq!(OpId::constant().name(), "const");
    }

    #[test]
    fn a_taken_name_is_refused() {
        let add = *OpId::by_name("add").unwrap().spec();
        assert_eq!(
            register(add).unwrap_err(),
            RegisterError::Duplicate("add".into())
        );
    }

    #[test]
    fn type_rules_broadcast() {
        use DType::*;
        use rules::*;
        assert_eq!(binary_numeric(&[Float, List]), Some(List));
        assert_eq!(binary_numeric(&[Const, Float]), Some(Float));
        assert_eq!(binary_numeric(&[Const, Const]), Some(Const));
        assert_eq!(binary_numeric(&[Action, Float]), None);
        assert_eq!(select(&[List, Action]), Some(Float));
        assert_eq!(select(&[Action, List]), None);
        assert_eq!(qvalues(&[Param, State]), Some(List));
    }

    fn run(name: &str, args: &[&Value]) -> Value {
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut out = Value::default();
        let spec = OpId::by_name(name).unwrap().spec();
        (spec.kernel)(args, &mut out, &mut KernelContext::new(&mut rng));
        out
    }

    #[test]
    fn protected_ops_are_finite() {
        let zero = Value::column(vec![0.0, -0.0]);
        let one = Value::column(vec![1.0, 1.0]);
        assert!(
            run("div", &[&one, &zero])
                .data
                .iter()
                .all(|v| v.is_finite())
        );
        assert!(run("log", &[&zero]).data.iter().all(|v| v.is_finite()));
        assert!(run("exp", &[&Value::scalar(1e6)]).data[0].is_finite());
    }

    #[test]
    fn broadcasting_float_against_list() {
        let col = Value::column(vec![1.0, 2.0]);
        let list = Value::matrix(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3);
        assert_eq!(
            run("mul", &[&col, &list]).data,
            vec![1.0, 2.0, 3.0, 8.0, 10.0, 12.0]
        );
        let actions = Value::column(vec![2.0, 0.0]);
        assert_eq!(run("select_list", &[&list, &actions]).data, vec![3.0, 4.0]);
    }

    #[test]
    fn folding_uses_the_kernel() {
        let log = OpId::by_name("log").unwrap();
        assert_eq!(fold(log, &[2.0]), (2.0f64 + LOG_EPS).ln());
        assert!(fold(OpId::constant(), &[]).is_nan());
    }
}
