//! The codegen core shared by every code exporter: a program lowered to function parameters and
//! one statement per live node, with constants folded, Q-value tables turned into batch inputs
//! and readable variable names chosen once for all targets.
//!
//! A target (NumPy, PyTorch, JAX, burn) only supplies a [`Dialect`]: how to spell a literal, a
//! variable reference and a column broadcast against a table, and which of an op's lowerings
//! ([`crate::program::ops::Lowerings`]) it reads.

use super::{ExportError, Format};
pub use crate::program::ops::lowering::Arg;
use crate::program::ops::lowering::{Code, CodeArgs, NameArgs, Snippet};
use crate::program::ops::{LOSS_INPUTS, OpSpec, fold};
use crate::program::validate::infer_types;
use crate::program::{DType, Input, OpId, Program};
use std::collections::{BTreeSet, HashSet};

/// The shape of a value in exported code (`B` transitions or rows, `A` actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `[B]` floats.
    Column,
    /// `[B, A]` floats (Q-values, lists, distributions).
    Table,
    /// `[B]` integer action indices.
    Actions,
    /// One float (a `const`-typed input).
    Scalar,
}

impl Shape {
    /// `float [B]`, `int [B]`, … as written in docstrings.
    pub fn describe(self) -> &'static str {
        match self {
            Shape::Column => "float [B]",
            Shape::Table => "float [B, A]",
            Shape::Actions => "int [B]",
            Shape::Scalar => "float scalar",
        }
    }

    fn of(t: DType) -> Shape {
        match t {
            DType::Float => Shape::Column,
            DType::List | DType::Prob | DType::Update => Shape::Table,
            DType::Action => Shape::Actions,
            DType::Const | DType::Param | DType::State | DType::FeatureMap | DType::Features => {
                Shape::Scalar
            }
        }
    }
}

/// How the exported function takes its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    /// An RL loss: the minibatch as DQN trainers hold it (Q-value tables instead of networks).
    Loss,
    /// A plain expression: one argument per program input, in order (symbolic regression).
    Plain,
    /// An optimizer update rule: `(w, g, m, v, lr, step) → (update, m', v')` per parameter
    /// tensor (the `optimizer` space).
    UpdateRule,
}

impl Convention {
    /// The convention of a program over `inputs` whose output has type `output`.
    pub fn of(inputs: &[Input], output: Option<DType>) -> Convention {
        if inputs
            .iter()
            .any(|i| matches!(i.dtype, DType::Param | DType::State))
        {
            Convention::Loss
        } else if output == Some(DType::Update) {
            Convention::UpdateRule
        } else {
            Convention::Plain
        }
    }

    /// The convention of a search space's programs; `None` for cell spaces, which export as
    /// graphs only (DOT, SVG, JSON) and a LaTeX formula.
    pub fn of_space(space: &crate::program::space::SearchSpace) -> Option<Convention> {
        match space.cell {
            Some(_) => None,
            None => Some(Convention::of(&space.inputs, Some(space.output))),
        }
    }

    /// The formats beyond the graph ones that programs of this convention export to (burn has
    /// no update rules: those run as `ProgramOptimizer`).
    pub fn formats(self) -> &'static [Format] {
        match self {
            Convention::Loss | Convention::Plain => &[
                Format::Latex,
                Format::Numpy,
                Format::Pytorch,
                Format::Jax,
                Format::Burn,
            ],
            Convention::UpdateRule => &[Format::Latex, Format::Numpy, Format::Pytorch, Format::Jax],
        }
    }
}

/// A parameter of the exported function.
#[derive(Debug, Clone)]
pub struct Param {
    /// Its name in code.
    pub name: String,
    /// Its shape.
    pub shape: Shape,
    /// What it holds (docstring text).
    pub doc: &'static str,
    /// Whether the program reads it.
    pub used: bool,
    /// Keyword-only in Python (the RL extras a plain DQN batch does not have).
    pub keyword_only: bool,
    /// LaTeX symbol.
    pub latex: String,
}

/// A variable of the exported code: a parameter or a statement's result.
#[derive(Debug, Clone)]
pub struct Var {
    /// Its name in code.
    pub name: String,
    /// Its shape.
    pub shape: Shape,
    /// How many times live statements (and the return) read it.
    pub uses: usize,
}

/// An argument of a statement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Operand {
    /// A variable, by index into [`Lowered::vars`].
    Var(usize),
    /// A folded constant.
    Literal(f64),
}

/// One statement: `var = op(args…)`.
#[derive(Debug, Clone)]
pub struct Step {
    /// The variable it defines (index into [`Lowered::vars`]).
    pub var: usize,
    /// The op.
    pub op: OpId,
    /// The program node it comes from (global index).
    pub node: usize,
    /// The arguments.
    pub args: Vec<Operand>,
}

/// A program lowered for code generation.
#[derive(Debug, Clone)]
pub struct Lowered {
    /// How inputs are taken.
    pub convention: Convention,
    /// Function parameters; `vars[..params.len()]` are the same values.
    pub params: Vec<Param>,
    /// Parameters, then one variable per step.
    pub vars: Vec<Var>,
    /// Statements in evaluation order (live, non-constant nodes only).
    pub steps: Vec<Step>,
    /// What the function returns.
    pub output: Operand,
    /// Names of the ops the statements use.
    pub ops_used: BTreeSet<&'static str>,
}

/// How one target spells things. Every code exporter implements this and nothing else of the
/// lowering.
pub trait Dialect {
    /// The format (named in errors).
    fn format(&self) -> Format;
    /// A float literal.
    fn literal(&self, v: f64) -> String;
    /// A reference to a variable; `again` when later statements read it too (burn clones then).
    fn var(&self, name: &str, again: bool) -> String;
    /// A `[B]` column broadcast against a `[B, A]` table (`x[:, None]`).
    fn widen(&self, column: String) -> String;
    /// The op's spelling in this target, if it has one.
    fn code<'s>(&self, op: &'s OpSpec) -> Option<&'s Code>;
    /// What templates substitute for `{m}` (the module alias of the array API).
    fn module(&self) -> &str {
        ""
    }
    /// The expression of `op` on `args` (node `node`), or `None` when the target has no
    /// translation.
    fn op(&self, op: &OpSpec, args: &[Arg], node: usize) -> Option<String> {
        self.code(op).map(|c| {
            c.render(&CodeArgs {
                args,
                module: self.module(),
                node,
            })
        })
    }
    /// A `[B]` column filled with `v`, shaped like variable `like` (a constant output).
    fn full_like(&self, like: &str, v: f64) -> String;
}

/// Python-safe and Rust-safe identifiers that exported code must not shadow.
const RESERVED: &[&str] = &[
    "np", "jnp", "jax", "torch", "rng", "key", "math", "self", "Self", "Tensor", "Int", "B", "and",
    "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
    "except", "false", "False", "finally", "fn", "for", "from", "global", "if", "impl", "import",
    "in", "is", "lambda", "let", "loop", "match", "mod", "move", "mut", "None", "nonlocal", "not",
    "or", "pass", "pub", "raise", "ref", "return", "static", "struct", "true", "True", "try",
    "type", "use", "where", "while", "with", "yield",
];

/// An identifier made from `raw`: letters, digits and `_`, not starting with a digit, not a
/// keyword or a module name of the exported code.
pub fn identifier(raw: &str) -> String {
    let mut s: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if RESERVED.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// The RL-loss batch parameters, in signature order: (name, shape, doc, LaTeX, keyword-only).
const LOSS_PARAMS: [(&str, Shape, &str, &str, bool); 7] = [
    (
        "q_values",
        Shape::Table,
        "Q_theta(s_t, .): the online network on the observations (gradients flow through it)",
        r"Q(s_t, \cdot)",
        false,
    ),
    (
        "actions",
        Shape::Actions,
        "a_t: the actions taken, integers in 0..A",
        "a_t",
        false,
    ),
    ("rewards", Shape::Column, "r_t: the rewards", "r_t", false),
    (
        "discounts",
        Shape::Column,
        "gamma * (1 - terminated): 0 where the episode terminated at s_{t+1}",
        r"\gamma_t",
        false,
    ),
    (
        "next_q_values",
        Shape::Table,
        "Q_theta'(s_{t+1}, .): the target network on the next observations (no gradient)",
        r"Q'(s_{t+1}, \cdot)",
        false,
    ),
    (
        "next_q_values_online",
        Shape::Table,
        "Q_theta(s_{t+1}, .): the online network on the next observations (gevo differentiates through it)",
        r"Q(s_{t+1}, \cdot)",
        true,
    ),
    (
        "q_values_target",
        Shape::Table,
        "Q_theta'(s_t, .): the target network on the observations (no gradient)",
        r"Q'(s_t, \cdot)",
        true,
    ),
];

/// Which batch parameter `qvalue_list(param, state)` reads, by the program's input names.
fn qtable_param(param: &str, state: &str) -> Option<usize> {
    match (param, state) {
        ("q_param", "s_tm1") => Some(0),
        ("q_targ_param", "s_t") => Some(4),
        ("q_param", "s_t") => Some(5),
        ("q_targ_param", "s_tm1") => Some(6),
        _ => None,
    }
}

/// The batch parameter a non-network RL input becomes.
fn loss_input_param(name: &str) -> Option<usize> {
    match name {
        "action" => Some(1),
        "reward" => Some(2),
        "discount" => Some(3),
        _ => None,
    }
}

/// Lowers a program for `format`.
///
/// # Errors
/// An invalid program; an RL program whose network or state inputs are not those of the RL-loss
/// spaces (a batch of Q-value tables could not express them).
pub fn lower(p: &Program, format: Format) -> Result<Lowered, ExportError> {
    let types = infer_types(p)?;
    let live = p.live_mask();
    let n_in = p.inputs.len();
    let convention = Convention::of(&p.inputs, types.get(p.output).copied());
    let mut params: Vec<Param> = Vec::new();
    // What each program value is in exported code.
    let mut value: Vec<Option<Operand>> = vec![None; p.len()];
    match convention {
        Convention::Loss => {
            for inp in &p.inputs {
                if !LOSS_INPUTS.contains(&inp.name.as_str()) {
                    return Err(ExportError::UnsupportedInput {
                        format,
                        input: inp.name.clone(),
                        dtype: inp.dtype,
                        reason: format!(
                            "a program over Q-networks must use the RL-loss inputs ({})",
                            LOSS_INPUTS.join(", ")
                        ),
                    });
                }
            }
            for (name, shape, doc, latex, keyword_only) in LOSS_PARAMS {
                params.push(Param {
                    name: name.into(),
                    shape,
                    doc,
                    used: false,
                    keyword_only,
                    latex: latex.into(),
                });
            }
            for (i, inp) in p.inputs.iter().enumerate() {
                if let Some(k) = loss_input_param(&inp.name) {
                    value[i] = Some(Operand::Var(k));
                }
            }
        }
        Convention::Plain | Convention::UpdateRule => {
            let mut taken = HashSet::new();
            for (i, inp) in p.inputs.iter().enumerate() {
                let name = unique(&identifier(&inp.name), &mut taken);
                let (shape, doc) = match (convention, inp.name.as_str()) {
                    (Convention::UpdateRule, "w") => (Shape::Column, "the parameter tensor"),
                    (Convention::UpdateRule, "g") => (Shape::Column, "its gradient"),
                    (Convention::UpdateRule, "m" | "v") => {
                        (Shape::Column, "a state buffer (zeros at the first step)")
                    }
                    (Convention::UpdateRule, "lr") => (Shape::Scalar, "the learning rate"),
                    (Convention::UpdateRule, "step") => (Shape::Scalar, "the 1-based step count"),
                    _ => (Shape::of(inp.dtype), ""),
                };
                params.push(Param {
                    latex: latex_symbol(&inp.name),
                    name,
                    shape,
                    doc,
                    used: false,
                    keyword_only: false,
                });
                value[i] = Some(Operand::Var(i));
            }
        }
    }
    let mut vars: Vec<Var> = params
        .iter()
        .map(|pa| Var {
            name: pa.name.clone(),
            shape: pa.shape,
            uses: 0,
        })
        .collect();
    let mut taken: HashSet<String> = vars.iter().map(|v| v.name.clone()).collect();
    let mut steps = Vec::new();
    let mut ops_used = BTreeSet::new();
    for (k, node) in p.nodes.iter().enumerate() {
        let i = n_in + k;
        if !live[i] {
            continue;
        }
        let name = node.op.name();
        if node.op.is_const() {
            value[i] = Some(Operand::Literal(node.value.unwrap_or(0.0)));
            continue;
        }
        if node.op.spec().lowering.as_input {
            let (net, state) = (&p.inputs[node.args[0]].name, &p.inputs[node.args[1]].name);
            let Some(k) = qtable_param(net, state) else {
                return Err(ExportError::UnsupportedInput {
                    format,
                    input: net.clone(),
                    dtype: DType::Param,
                    reason: format!("{name}({net}, {state}) is not a Q-value table of a DQN batch"),
                });
            };
            value[i] = Some(Operand::Var(k));
            continue;
        }
        // Validated programs name only earlier, live arguments, which all have a value.
        let Some(args) = node
            .args
            .iter()
            .map(|&a| value.get(a).copied().flatten())
            .collect::<Option<Vec<Operand>>>()
        else {
            return Err(ExportError::UnsupportedProgram {
                format,
                reason: format!("node {i} reads a value that is not computed before it"),
            });
        };
        let literals: Option<Vec<f64>> = args
            .iter()
            .map(|a| match a {
                Operand::Literal(v) => Some(*v),
                Operand::Var(_) => None,
            })
            .collect();
        // An update packs three values; it is never a number.
        if let Some(cs) = literals.filter(|_| types[i] != DType::Update) {
            value[i] = Some(Operand::Literal(fold(node.op, &cs)));
            continue;
        }
        let base = if i == p.output {
            match convention {
                Convention::Loss => "loss".to_string(),
                Convention::Plain => "y".to_string(),
                Convention::UpdateRule => "step_result".to_string(),
            }
        } else {
            suggest_name(node.op.spec(), &args, &vars)
        };
        let var = vars.len();
        vars.push(Var {
            name: unique(&base, &mut taken),
            shape: Shape::of(types[i]),
            uses: 0,
        });
        ops_used.insert(name);
        steps.push(Step {
            var,
            op: node.op,
            node: i,
            args,
        });
        value[i] = Some(Operand::Var(var));
    }
    let output = value[p.output].unwrap_or(Operand::Literal(0.0));
    let mut lowered = Lowered {
        convention,
        params,
        vars,
        steps,
        output,
        ops_used,
    };
    lowered.count_uses();
    Ok(lowered)
}

impl Lowered {
    fn count_uses(&mut self) {
        let reads: Vec<usize> = self
            .steps
            .iter()
            .flat_map(|s| s.args.iter())
            .chain(std::iter::once(&self.output))
            .filter_map(|a| match a {
                Operand::Var(v) => Some(*v),
                Operand::Literal(_) => None,
            })
            .collect();
        for v in reads {
            self.vars[v].uses += 1;
            if let Some(p) = self.params.get_mut(v) {
                p.used = true;
            }
        }
    }

    /// Whether the program draws random numbers (`add_gaussian_noise`).
    pub fn uses_noise(&self) -> bool {
        self.specs_used().any(|s| s.stochastic)
    }

    /// The helper definitions `d`'s spelling of the used ops needs, each once, in file order.
    pub fn helpers(&self, d: &dyn Dialect) -> Vec<String> {
        let mut snippets: Vec<Snippet> = self
            .specs_used()
            .filter_map(|s| d.code(s))
            .flat_map(|c| c.helpers.iter().copied())
            .collect();
        snippets.sort();
        snippets.dedup();
        snippets
            .into_iter()
            .map(|h| h.text.replace("{m}", d.module()))
            .collect()
    }

    /// The names `d`'s spelling of the used ops imports, each once.
    pub fn imports(&self, d: &dyn Dialect) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for c in self.specs_used().filter_map(|s| d.code(s)) {
            for name in c.imports {
                if !names.contains(name) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// The specs of the ops the statements use, by name.
    pub fn specs_used(&self) -> impl Iterator<Item = &'static OpSpec> + '_ {
        self.ops_used
            .iter()
            .filter_map(|n| OpId::by_name(n))
            .map(OpId::spec)
    }

    /// Parameters a caller must pass: all of a plain expression's, the five batch fields of a
    /// loss, plus the extra Q-value tables the loss reads.
    pub fn signature(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| !p.keyword_only || p.used)
    }

    /// A parameter to shape a constant output like: a column if there is one.
    fn reference_param(&self) -> Option<&Param> {
        let sig: Vec<&Param> = self.signature().collect();
        sig.iter()
            .find(|p| p.shape == Shape::Column)
            .or_else(|| sig.first())
            .copied()
    }

    /// The statements rendered by `d`: `(variable name, expression)` in order, then the
    /// returned expression.
    ///
    /// # Errors
    /// [`ExportError::UnsupportedOp`] when the dialect cannot express an op.
    pub fn render(&self, d: &dyn Dialect) -> Result<(Vec<(String, String)>, String), ExportError> {
        let mut remaining: Vec<usize> = self.vars.iter().map(|v| v.uses).collect();
        let reference = |o: Operand, remaining: &mut Vec<usize>| -> Arg {
            match o {
                Operand::Literal(v) => Arg {
                    text: d.literal(v),
                    literal: Some(v),
                },
                Operand::Var(k) => {
                    remaining[k] -= 1;
                    Arg {
                        text: d.var(&self.vars[k].name, remaining[k] > 0),
                        literal: None,
                    }
                }
            }
        };
        let mut lines = Vec::with_capacity(self.steps.len());
        for s in &self.steps {
            let spec = s.op.spec();
            let mut args: Vec<Arg> = s
                .args
                .iter()
                .map(|&a| reference(a, &mut remaining))
                .collect();
            if spec.elementwise && spec.arity == 2 {
                let shape = |o: &Operand| match o {
                    Operand::Var(k) => Some(self.vars[*k].shape),
                    Operand::Literal(_) => None,
                };
                let (x, y) = (shape(&s.args[0]), shape(&s.args[1]));
                if x == Some(Shape::Column) && y == Some(Shape::Table) {
                    args[0].text = d.widen(std::mem::take(&mut args[0].text));
                } else if x == Some(Shape::Table) && y == Some(Shape::Column) {
                    args[1].text = d.widen(std::mem::take(&mut args[1].text));
                }
            }
            let expr = d
                .op(spec, &args, s.node)
                .ok_or_else(|| ExportError::UnsupportedOp {
                    format: d.format(),
                    op: spec.name.to_string(),
                    node: s.node,
                })?;
            lines.push((self.vars[s.var].name.clone(), expr));
        }
        let ret = match self.output {
            Operand::Var(k) => d.var(&self.vars[k].name, false),
            Operand::Literal(v) => match self.reference_param() {
                Some(p) => d.full_like(&p.name, v),
                None => d.literal(v),
            },
        };
        Ok((lines, ret))
    }
}

/// `base`, or `base_2`, `base_3`… whichever is free; records it as taken.
fn unique(base: &str, taken: &mut HashSet<String>) -> String {
    let base = identifier(base);
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name) || RESERVED.contains(&name.as_str()) {
        name = format!("{base}_{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

/// A short noun for a Q-value table parameter.
fn table_noun(name: &str) -> Option<&'static str> {
    match name {
        "q_values" => Some("q"),
        "next_q_values" => Some("next_q"),
        "next_q_values_online" => Some("next_q_online"),
        "q_values_target" => Some("q_target"),
        _ => None,
    }
}

/// A readable variable name for `op(args)`: the op's naming rule over its arguments' names
/// (the TD vocabulary where the pattern is a DQN one).
fn suggest_name(op: &OpSpec, args: &[Operand], vars: &[Var]) -> String {
    let names: Vec<&str> = args
        .iter()
        .map(|a| match a {
            Operand::Var(k) => vars[*k].name.as_str(),
            Operand::Literal(_) => "",
        })
        .collect();
    let tables = names.iter().map(|n| table_noun(n)).collect();
    op.lowering.name.name(op.name, &NameArgs { names, tables })
}

/// A LaTeX symbol for a plain input name: `x0` → `x_{0}`, `alpha` → `\alpha`, others upright.
pub fn latex_symbol(name: &str) -> String {
    const GREEK: &[&str] = &[
        "alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "mu", "nu", "pi", "rho",
        "sigma", "tau", "phi", "psi", "omega",
    ];
    if GREEK.contains(&name) {
        return format!(r"\{name}");
    }
    let split = name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, digits) = name.split_at(split);
    let stem_tex = if stem.chars().count() == 1 {
        stem.to_string()
    } else {
        format!(r"\mathrm{{{}}}", stem.replace('_', r"\_"))
    };
    if digits.is_empty() || stem.is_empty() {
        stem_tex
    } else {
        format!("{stem_tex}_{{{digits}}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(name: &str) -> Program {
        let (n, t) = crate::catalog::seeds("rl_loss")
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap();
        Program::from_json(&t, &n).unwrap()
    }

    #[test]
    fn dqn_lowers_to_td_vocabulary() {
        let l = lower(&seed("dqn"), Format::Numpy).unwrap();
        let names: Vec<&str> = l
            .steps
            .iter()
            .map(|s| l.vars[s.var].name.as_str())
            .collect();
        assert_eq!(
            names,
            ["q_taken", "max_next_q", "discounted", "td_target", "loss"]
        );
        assert_eq!(l.convention, Convention::Loss);
        let sig: Vec<&str> = l.signature().map(|p| p.name.as_str()).collect();
        assert_eq!(
            sig,
            [
                "q_values",
                "actions",
                "rewards",
                "discounts",
                "next_q_values"
            ]
        );
    }

    #[test]
    fn double_dqn_needs_the_online_next_q_values() {
        let l = lower(&seed("double_dqn"), Format::Numpy).unwrap();
        assert!(l.signature().any(|p| p.name == "next_q_values_online"));
    }

    #[test]
    fn constants_fold_and_dead_nodes_drop() {
        let p: Program = serde_json::from_str(
            r#"{"inputs": [{"name": "x0", "dtype": "float"}],
                "nodes": [{"op": "const", "value": 2.0}, {"op": "log", "args": [1]},
                          {"op": "sin", "args": [0]}, {"op": "mul", "args": [0, 2]}],
                "output": 4}"#,
        )
        .unwrap();
        let l = lower(&p, Format::Numpy).unwrap();
        assert_eq!(l.steps.len(), 1, "the unused sin is dropped");
        let folded = crate::program::ops::fold(OpId::by_name("log").unwrap(), &[2.0]);
        assert_eq!(l.steps[0].args[1], Operand::Literal(folded));
        assert_eq!(folded, (2.0f64 + 1e-12).ln());
    }

    #[test]
    fn identifiers_are_safe() {
        assert_eq!(identifier("lambda"), "lambda_");
        assert_eq!(identifier("2x"), "_2x");
        assert_eq!(identifier("a-b"), "a_b");
        assert_eq!(latex_symbol("x0"), "x_{0}");
        assert_eq!(latex_symbol("alpha"), r"\alpha");
    }
}
