//! Search-space files (`search_spaces/*.toml`): inputs and their types, the op set, the output
//! type, the node limit, required inputs and how constants are drawn.
//!
//! ```toml
//! name = "rl_loss"
//! description = "Value-based RL losses (Co-Reyes et al., ICLR 2021)"
//! output = "float"
//! max_nodes = 20
//! required_inputs = ["q_param"]
//! ops = ["add", "sub", "select_list", "qvalue_list", "const"]
//! inputs = [{ name = "q_param", dtype = "param" }, { name = "reward", dtype = "float" }]
//! [constants]
//! values = [0.5, 0.2, 0.1, 0.01]
//! ```
//!
//! A space whose inputs come from the data (symbolic regression) writes
//! `task_inputs = "float"` instead of `inputs`; the task's variables become the inputs.

use super::structure::ProgramStructure;
use super::{DType, Input, OpId};
use serde::Deserialize;

/// A malformed search-space file: names the file, the line and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct SpaceError {
    /// The file (or `<embedded>/name.toml`).
    pub file: String,
    /// 1-based line (0 when the problem is not tied to a line).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// How new constants are drawn.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstantSpec {
    /// Choose uniformly from these values (the RL-loss space's 0.5/0.2/0.1/0.01).
    #[serde(default)]
    pub values: Vec<f64>,
    /// Or draw uniformly from `[lo, hi]`.
    #[serde(default)]
    pub range: Option<[f64; 2]>,
    /// Probability that a new leaf argument is a fresh constant rather than an existing value.
    #[serde(default = "default_const_probability")]
    pub probability: f64,
    /// How a mutation perturbs an existing constant.
    #[serde(default)]
    pub perturbation: Perturbation,
}

/// How `perturb_constant` changes a constant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Perturbation {
    /// Scale by U[0.5, 2] with a sign flip (p = 0.1) when the space draws from a range; redraw
    /// from the list when it has `values` (PySR/gplearn habits).
    #[default]
    Scale,
    /// Multiply by 2^N(0, 1), keeping the sign (Chen et al., "Symbolic Discovery of Optimization
    /// Algorithms", 2023, §2: constants such as β1 = 0.9 drift multiplicatively).
    Log2Normal,
}

fn default_const_probability() -> f64 {
    0.1
}

impl Default for ConstantSpec {
    fn default() -> Self {
        ConstantSpec {
            values: vec![],
            range: Some([-2.0, 2.0]),
            probability: default_const_probability(),
            perturbation: Perturbation::Scale,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpaceFile {
    name: String,
    #[serde(default)]
    description: String,
    output: DType,
    max_nodes: usize,
    #[serde(default)]
    required_inputs: Vec<String>,
    ops: Vec<String>,
    #[serde(default)]
    inputs: Vec<Input>,
    #[serde(default)]
    task_inputs: Option<DType>,
    #[serde(default)]
    constants: ConstantSpec,
    #[serde(default)]
    init_nodes: Option<[usize; 2]>,
    #[serde(default)]
    cell: Option<CellFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CellFile {
    interior_nodes: usize,
    max_edges: usize,
    interior_ops: Vec<String>,
}

/// A NAS-Bench-101 cell space (Ying et al., ICML 2019, §2.1): programs are cells — an input, up
/// to `interior_nodes` op nodes (each sums its inputs, then applies its op), and a `cell_output`
/// node summing its inputs — generated and mutated the NAS-Bench-101 way, not by program
/// mutations.
///
/// Plain data here; its sampling, mutation and rules (its [`ProgramStructure`] implementation)
/// belong to the architecture domain.
#[derive(Debug, Clone, PartialEq)]
pub struct CellSpec {
    /// Interior (op) nodes of every cell (5 in NAS-Bench-101).
    pub interior_nodes: usize,
    /// Most edges a cell may have (9 in NAS-Bench-101).
    pub max_edges: usize,
    /// Ops of interior nodes.
    pub interior_ops: Vec<OpId>,
}

/// A loaded search space.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchSpace {
    /// Name (the file stem by convention).
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Inputs, in order (filled from the task when `task_inputs` is set).
    pub inputs: Vec<Input>,
    /// When set, inputs come from the task's variables with this type.
    pub task_inputs: Option<DType>,
    /// The ops programs may use.
    pub ops: Vec<OpId>,
    /// Required output type.
    pub output: DType,
    /// Maximum number of op nodes (inputs not counted).
    pub max_nodes: usize,
    /// Inputs that must reach the output (e.g. `q_param`: the loss must depend on θ).
    pub required_inputs: Vec<String>,
    /// How constants are drawn.
    pub constants: ConstantSpec,
    /// Range of op-node counts for random programs.
    pub init_nodes: [usize; 2],
    /// The TOML text it was loaded from (stored in archives so a campaign is self-contained).
    pub source: String,
    /// Set for architecture spaces: programs are NAS-Bench-101 cells.
    pub cell: Option<CellSpec>,
}

fn line_of(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].matches('\n').count() + 1
}

fn line_containing(text: &str, needle: &str) -> usize {
    text.find(needle).map(|b| line_of(text, b)).unwrap_or(0)
}

impl SearchSpace {
    /// Parses a space from TOML text; `file` names it in errors.
    ///
    /// # Errors
    /// [`SpaceError`] with the line of the problem: TOML syntax, unknown keys, unknown ops or
    /// types, a required input that is not an input, a nonsensical limit.
    pub fn from_toml(text: &str, file: &str) -> Result<SearchSpace, SpaceError> {
        let err = |line: usize, message: String| SpaceError {
            file: file.to_string(),
            line,
            message,
        };
        let raw: SpaceFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            err(line, e.message().to_string())
        })?;
        let mut ops = Vec::new();
        for name in &raw.ops {
            let op = OpId::by_name(name).ok_or_else(|| {
                err(
                    line_containing(text, &format!("\"{name}\"")),
                    format!(
                        "unknown op `{name}` (known ops: {})",
                        crate::program::ops::op_names().join(", ")
                    ),
                )
            })?;
            if !ops.contains(&op) {
                ops.push(op);
            }
        }
        if raw.max_nodes == 0 {
            return Err(err(
                line_containing(text, "max_nodes"),
                "max_nodes must be at least 1".into(),
            ));
        }
        if raw.inputs.is_empty() && raw.task_inputs.is_none() {
            return Err(err(0, "a space needs `inputs` or `task_inputs`".into()));
        }
        for (k, input) in raw.inputs.iter().enumerate() {
            if raw.inputs[..k].iter().any(|i| i.name == input.name) {
                return Err(err(
                    line_containing(text, "inputs"),
                    format!(
                        "input `{}` is listed twice (input names must be unique)",
                        input.name
                    ),
                ));
            }
        }
        for req in &raw.required_inputs {
            if raw.task_inputs.is_none() && !raw.inputs.iter().any(|i| &i.name == req) {
                return Err(err(
                    line_containing(text, "required_inputs"),
                    format!("required input `{req}` is not one of the inputs"),
                ));
            }
        }
        let init_nodes = raw.init_nodes.unwrap_or([1, raw.max_nodes.min(8)]);
        if init_nodes[0] == 0 || init_nodes[0] > init_nodes[1] || init_nodes[1] > raw.max_nodes {
            return Err(err(
                line_containing(text, "init_nodes"),
                format!(
                    "init_nodes must satisfy 1 <= lo <= hi <= max_nodes ({})",
                    raw.max_nodes
                ),
            ));
        }
        if raw.constants.values.is_empty()
            && raw.constants.range.is_none()
            && ops.contains(&OpId::constant())
        {
            return Err(err(
                line_containing(text, "[constants]"),
                "constants need `values` or `range`".into(),
            ));
        }
        let cell = match raw.cell {
            None => None,
            Some(c) => {
                let line = line_containing(text, "[cell]");
                let mut interior_ops = Vec::new();
                for name in &c.interior_ops {
                    let op = OpId::by_name(name)
                        .filter(|o| ops.contains(o) && o.spec().variadic)
                        .ok_or_else(|| {
                            err(
                                line,
                                format!("cell op `{name}` must be a cell op listed in `ops`"),
                            )
                        })?;
                    interior_ops.push(op);
                }
                if c.interior_nodes == 0 || c.interior_nodes + 1 > raw.max_nodes {
                    return Err(err(
                        line,
                        "interior_nodes must be at least 1 and leave room for cell_output within max_nodes".into(),
                    ));
                }
                if interior_ops.is_empty() || c.max_edges == 0 {
                    return Err(err(
                        line,
                        "a cell needs interior_ops and max_edges >= 1".into(),
                    ));
                }
                Some(CellSpec {
                    interior_nodes: c.interior_nodes,
                    max_edges: c.max_edges,
                    interior_ops,
                })
            }
        };
        let space = SearchSpace {
            cell,
            name: raw.name,
            description: raw.description,
            inputs: raw.inputs,
            task_inputs: raw.task_inputs,
            ops,
            output: raw.output,
            max_nodes: raw.max_nodes,
            required_inputs: raw.required_inputs,
            constants: raw.constants,
            init_nodes,
            source: text.to_string(),
        };
        if space.task_inputs.is_none() {
            space
                .check_producible()
                .map_err(|message| err(line_containing(text, "output ="), message))?;
        }
        Ok(space)
    }

    /// Checks that the ops can build a value of the output type from the inputs (and
    /// constants), so random programs exist; call it again once task inputs are bound.
    /// Cell spaces are built by their structure and always pass.
    ///
    /// # Errors
    /// Which output type cannot be produced from which inputs.
    pub fn check_producible(&self) -> Result<(), String> {
        if self.cell.is_some() {
            return Ok(());
        }
        let mut reachable: Vec<DType> = Vec::new();
        for i in &self.inputs {
            if !reachable.contains(&i.dtype) {
                reachable.push(i.dtype);
            }
        }
        // Types an op node can have (an input alone is not a program's output).
        let mut produced: Vec<DType> = Vec::new();
        if self.ops.contains(&OpId::constant()) {
            produced.push(DType::Const);
            if !reachable.contains(&DType::Const) {
                reachable.push(DType::Const);
            }
        }
        // Fixpoint over the types an op can give from reachable argument types; like the
        // generator, ops over constants only and variadic ops are not drawn.
        loop {
            let mut grew = false;
            for op in self.ops.iter().filter(|o| !o.is_const()) {
                let spec = op.spec();
                if spec.variadic || spec.arity == 0 {
                    continue;
                }
                let n = reachable.len();
                let combos = n.pow(spec.arity as u32);
                for c in 0..combos {
                    let args: Vec<DType> = (0..spec.arity)
                        .map(|k| reachable[(c / n.pow(k as u32)) % n])
                        .collect();
                    if args.iter().all(|t| *t == DType::Const) {
                        continue;
                    }
                    if let Some(t) = (spec.type_rule)(&args) {
                        if !produced.contains(&t) {
                            produced.push(t);
                            grew = true;
                        }
                        if !reachable.contains(&t) {
                            reachable.push(t);
                        }
                    }
                }
            }
            if !grew {
                break;
            }
        }
        if produced.contains(&self.output) {
            return Ok(());
        }
        let inputs: Vec<String> = self
            .inputs
            .iter()
            .map(|i| format!("{}: {}", i.name, i.dtype))
            .collect();
        Err(format!(
            "no program of this space can produce its output type `{}` from the inputs [{}] with the ops [{}]",
            self.output,
            inputs.join(", "),
            self.ops
                .iter()
                .map(|o| o.name())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    /// Binds task variables as inputs (for spaces with `task_inputs`); a no-op otherwise.
    pub fn with_task_inputs(mut self, names: &[String]) -> SearchSpace {
        if let Some(dtype) = self.task_inputs {
            self.inputs = names
                .iter()
                .map(|n| Input {
                    name: n.clone(),
                    dtype,
                })
                .collect();
        }
        self
    }

    /// The constrained program family of this space (its `[cell]` table), if any: generation,
    /// mutation and validation defer to it.
    pub fn structure(&self) -> Option<&dyn ProgramStructure> {
        self.cell.as_ref().map(|c| c as &dyn ProgramStructure)
    }

    /// Index of the input called `name`.
    pub fn input_index(&self, name: &str) -> Option<usize> {
        self.inputs.iter().position(|i| i.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
name = "t"
output = "float"
max_nodes = 5
ops = ["add", "const"]
task_inputs = "float"
[constants]
range = [-1.0, 1.0]
"#;

    #[test]
    fn parses_a_valid_space() {
        let s = SearchSpace::from_toml(OK, "t.toml").unwrap();
        assert_eq!(s.ops.len(), 2);
        let s = s.with_task_inputs(&["x".into(), "y".into()]);
        assert_eq!(s.inputs.len(), 2);
    }

    #[test]
    fn unknown_op_names_file_and_line() {
        let bad = OK.replace("\"add\"", "\"plus\"");
        let e = SearchSpace::from_toml(&bad, "t.toml").unwrap_err();
        assert_eq!(e.line, 5);
        assert!(
            e.to_string().starts_with("t.toml:5: unknown op `plus`"),
            "{e}"
        );
    }

    #[test]
    fn syntax_error_has_a_line() {
        let bad = OK.replace("max_nodes = 5", "max_nodes = = 5");
        let e = SearchSpace::from_toml(&bad, "t.toml").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
    }

    #[test]
    fn duplicate_input_names_are_rejected() {
        let dup = OK.replace(
            "task_inputs = \"float\"",
            "inputs = [{ name = \"x\", dtype = \"float\" }, { name = \"x\", dtype = \"float\" }]",
        );
        let e = SearchSpace::from_toml(&dup, "t.toml").unwrap_err();
        assert!(e.message.contains("input `x` is listed twice"), "{e}");
    }

    #[test]
    fn an_unproducible_output_type_is_rejected() {
        let fixed = OK.replace(
            "task_inputs = \"float\"",
            "inputs = [{ name = \"x\", dtype = \"float\" }]",
        );
        assert!(SearchSpace::from_toml(&fixed, "t.toml").is_ok());
        let bad = fixed.replace("output = \"float\"", "output = \"list\"");
        let e = SearchSpace::from_toml(&bad, "t.toml").unwrap_err();
        assert!(
            e.message.contains("output type `list`") && e.message.contains("x: float"),
            "{e}"
        );
        let only_const = OK.replace("[\"add\", \"const\"]", "[\"const\"]");
        let s = SearchSpace::from_toml(&only_const, "t.toml").unwrap();
        assert!(s.check_producible().is_err());
        assert!(
            s.with_task_inputs(&["x".into()])
                .check_producible()
                .is_err()
        );
    }

    #[test]
    fn unknown_key_is_rejected() {
        let bad = format!("{OK}\nbogus = 1\n");
        let e = SearchSpace::from_toml(&bad, "t.toml").unwrap_err();
        assert!(e.message.contains("bogus"), "{e}");
    }
}
