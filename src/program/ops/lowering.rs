//! How an op is written in the export dialects: small templates where the spelling is fixed,
//! functions where it depends on the arguments (a literal bound becomes a clamp, a literal
//! operand a `*_scalar` method).
//!
//! Code templates (NumPy, JAX, PyTorch, burn) substitute `{0}`, `{1}`, `{2}` (the arguments'
//! code), `{m}` (the module alias: `np`, `jnp`) and `{node}` (the node's index). LaTeX
//! templates, whose text is full of braces, substitute `@0` (the argument as is), `@0*` (in
//! parentheses unless it binds at least as tightly as a product), `@0!` (in parentheses unless
//! atomic), `@0[a]` (entry `a` of a list argument), `@0[@1]` (the entry named by argument 1)
//! and `@+` (every argument, summed).

/// One argument as a dialect sees it: its code text (already a reference, broadcast where
/// needed) and, when it is a folded constant, its value.
#[derive(Debug, Clone)]
pub struct Arg {
    /// Code text of the argument.
    pub text: String,
    /// The literal, when the argument is a folded constant.
    pub literal: Option<f64>,
}

impl Arg {
    /// Whether the argument is a literal.
    pub fn is_literal(&self) -> bool {
        self.literal.is_some()
    }
}

/// What a code lowering reads.
#[derive(Debug, Clone, Copy)]
pub struct CodeArgs<'a> {
    /// The arguments.
    pub args: &'a [Arg],
    /// The module alias of an array-API dialect (`np`, `jnp`); empty elsewhere.
    pub module: &'a str,
    /// The program node being lowered (global index; JAX folds it into its PRNG key).
    pub node: usize,
}

impl CodeArgs<'_> {
    /// Text of argument `j` (empty when absent).
    pub fn text(&self, j: usize) -> &str {
        self.args.get(j).map(|a| a.text.as_str()).unwrap_or("")
    }

    /// The literal of argument `j`, if it is one.
    pub fn literal(&self, j: usize) -> Option<f64> {
        self.args.get(j).and_then(|a| a.literal)
    }
}

/// An expression in a code dialect.
#[derive(Clone, Copy)]
pub enum Expr {
    /// A template (see the module docs).
    Template(&'static str),
    /// Logic beyond a template.
    Custom(fn(&CodeArgs<'_>) -> String),
}

/// A piece of text emitted once per file when a used op needs it (a helper function, a legend
/// entry, a docstring note). `order` places it among the others, so files do not change as ops
/// are added; two ops sharing a piece give it the same text and order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Snippet {
    /// Position among the file's snippets of this kind (ascending).
    pub order: u16,
    /// The text; in code helpers `{m}` is the module alias.
    pub text: &'static str,
}

/// An op's spelling in one code dialect.
#[derive(Clone, Copy)]
pub struct Code {
    /// The expression.
    pub expr: Expr,
    /// Helper definitions the expression calls.
    pub helpers: &'static [Snippet],
    /// Names the file must import (burn: `Distribution`, `activation::softmax`).
    pub imports: &'static [&'static str],
}

impl Code {
    /// A template spelling.
    pub const fn template(t: &'static str) -> Code {
        Code {
            expr: Expr::Template(t),
            helpers: &[],
            imports: &[],
        }
    }

    /// A spelling computed by `f`.
    pub const fn custom(f: fn(&CodeArgs<'_>) -> String) -> Code {
        Code {
            expr: Expr::Custom(f),
            helpers: &[],
            imports: &[],
        }
    }

    /// The same spelling, needing `helpers`.
    pub const fn with_helpers(mut self, helpers: &'static [Snippet]) -> Code {
        self.helpers = helpers;
        self
    }

    /// The same spelling, needing `imports`.
    pub const fn with_imports(mut self, imports: &'static [&'static str]) -> Code {
        self.imports = imports;
        self
    }

    /// The expression's text.
    pub fn render(&self, a: &CodeArgs<'_>) -> String {
        match self.expr {
            Expr::Template(t) => fill(t, a),
            Expr::Custom(f) => f(a),
        }
    }
}

/// Substitutes a code template.
pub fn fill(template: &str, a: &CodeArgs<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        match &after[..close] {
            "m" => out.push_str(a.module),
            "node" => out.push_str(&a.node.to_string()),
            key => match key.parse::<usize>() {
                Ok(j) => out.push_str(a.text(j)),
                Err(_) => {
                    out.push('{');
                    out.push_str(key);
                    out.push('}');
                }
            },
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Binding strength of a LaTeX expression: parenthesise it where a stronger one is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Prec {
    /// A sum or difference.
    Sum,
    /// A product.
    Product,
    /// An atom (a symbol, a call, a bracketed expression).
    Atom,
}

/// A rendered LaTeX subexpression.
#[derive(Debug, Clone)]
pub struct Tex {
    /// The text.
    pub text: String,
    /// How tightly it binds.
    pub prec: Prec,
    /// A Q-value table with an action slot `\cdot` (`Q(s_t, \cdot)`).
    pub slot: bool,
}

impl Tex {
    /// A subexpression without an action slot.
    pub fn new(text: String, prec: Prec) -> Tex {
        Tex {
            text,
            prec,
            slot: false,
        }
    }

    /// The text, parenthesised if it binds weaker than `min`.
    pub fn at(&self, min: Prec) -> String {
        if self.prec < min {
            format!(r"\left({}\right)", self.text)
        } else {
            self.text.clone()
        }
    }

    /// Entry `index` of a list: fills the action slot, else subscripts the bracketed list.
    pub fn entry(&self, index: &str) -> String {
        if self.slot {
            self.text.replace(r"\cdot", index)
        } else {
            format!(r"\left[{}\right]_{{{index}}}", self.text)
        }
    }
}

/// An op's LaTeX rendering.
#[derive(Clone, Copy)]
pub enum Latex {
    /// A template (see the module docs) and the precedence of its result.
    Template(&'static str, Prec),
    /// Logic beyond a template.
    Custom(fn(&[Tex]) -> Tex),
}

impl Latex {
    /// The rendering of the op on `args`.
    pub fn render(&self, args: &[Tex]) -> Tex {
        match *self {
            Latex::Template(t, prec) => Tex::new(fill_latex(t, args), prec),
            Latex::Custom(f) => f(args),
        }
    }
}

/// Substitutes a LaTeX template; a missing argument renders as `?`.
pub fn fill_latex(template: &str, args: &[Tex]) -> String {
    let missing = Tex::new("?".into(), Prec::Atom);
    let arg = |j: usize| args.get(j).unwrap_or(&missing);
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(r) = rest.strip_prefix('+') {
            let sum: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
            out.push_str(&sum.join(" + "));
            rest = r;
            continue;
        }
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let Ok(j) = rest[..digits].parse::<usize>() else {
            out.push('@');
            continue;
        };
        rest = &rest[digits..];
        let a = arg(j);
        if let Some(r) = rest.strip_prefix('*') {
            out.push_str(&a.at(Prec::Product));
            rest = r;
        } else if let Some(r) = rest.strip_prefix('!') {
            out.push_str(&a.at(Prec::Atom));
            rest = r;
        } else if let Some((index, r)) = rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
            let index = match index.strip_prefix('@').map(str::parse::<usize>) {
                Some(Ok(k)) => arg(k).text.as_str(),
                _ => index,
            };
            out.push_str(&a.entry(index));
            rest = r;
        } else {
            out.push_str(&a.text);
        }
    }
    out.push_str(rest);
    out
}

/// The names of a statement's arguments in exported code, for naming its result.
#[derive(Debug, Clone)]
pub struct NameArgs<'a> {
    /// Each argument's variable name (empty for a literal).
    pub names: Vec<&'a str>,
    /// Each argument's short noun when it is a Q-value table (`q`, `next_q`, …).
    pub tables: Vec<Option<&'static str>>,
}

impl NameArgs<'_> {
    /// Variable name of argument `j` (empty for a literal or a missing argument).
    pub fn name(&self, j: usize) -> &str {
        self.names.get(j).copied().unwrap_or("")
    }

    /// Whether argument `j` is a Q-value table.
    pub fn is_table(&self, j: usize) -> bool {
        self.tables.get(j).copied().flatten().is_some()
    }

    /// A noun for argument `j`: its table noun, else its name.
    pub fn noun(&self, j: usize) -> &str {
        self.tables
            .get(j)
            .copied()
            .flatten()
            .unwrap_or_else(|| self.name(j))
    }

    /// `{prefix}_{noun of j}` when the noun is short, else `fallback`.
    pub fn with(&self, prefix: &str, j: usize, fallback: &str) -> String {
        let n = self.noun(j);
        if !n.is_empty() && n.len() <= 16 {
            format!("{prefix}_{n}")
        } else {
            fallback.to_string()
        }
    }
}

/// How exported code names an op's result.
#[derive(Clone, Copy)]
pub enum NameRule {
    /// `{op name}_{noun of the first argument}`, else the op's name.
    OpName,
    /// Always this noun (`total`, `ratio`).
    Fixed(&'static str),
    /// `{prefix}_{noun of the first argument}`, else the fallback.
    Prefixed(&'static str, &'static str),
    /// Logic beyond the above (the TD vocabulary of DQN losses).
    Custom(fn(&NameArgs<'_>) -> String),
}

impl NameRule {
    /// The name for an op called `op` on `args`.
    pub fn name(&self, op: &str, args: &NameArgs<'_>) -> String {
        match *self {
            NameRule::OpName => args.with(op, 0, op),
            NameRule::Fixed(n) => n.to_string(),
            NameRule::Prefixed(prefix, fallback) => args.with(prefix, 0, fallback),
            NameRule::Custom(f) => f(args),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(texts: &[&str]) -> Vec<Arg> {
        texts
            .iter()
            .map(|t| Arg {
                text: t.to_string(),
                literal: None,
            })
            .collect()
    }

    #[test]
    fn code_templates_substitute_arguments_module_and_node() {
        let a = args(&["x", "y"]);
        let ca = CodeArgs {
            args: &a,
            module: "jnp",
            node: 7,
        };
        assert_eq!(
            fill("{m}.fmax({0}, {1}) + {node}", &ca),
            "jnp.fmax(x, y) + 7"
        );
        assert_eq!(fill("{other}", &ca), "{other}");
    }

    #[test]
    fn latex_templates_parenthesise_by_precedence() {
        let sum = Tex::new("a + b".into(), Prec::Sum);
        let q = Tex {
            text: r"Q(s, \cdot)".into(),
            prec: Prec::Atom,
            slot: true,
        };
        let a = [sum.clone(), q.clone()];
        assert_eq!(
            fill_latex(r"@0* \cdot @1", &a),
            r"\left(a + b\right) \cdot Q(s, \cdot)"
        );
        assert_eq!(fill_latex("-@0!", &a), r"-\left(a + b\right)");
        assert_eq!(fill_latex("@1[a]", &a), "Q(s, a)");
        assert_eq!(
            fill_latex("@0[@1]", &[sum, q]),
            r"\left[a + b\right]_{Q(s, \cdot)}"
        );
        assert_eq!(fill_latex("@+", &a), r"a + b + Q(s, \cdot)");
    }
}
