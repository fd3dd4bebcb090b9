//! LaTeX export: the program as one equation, RL inputs in the paper's notation (Q(s_t, a_t),
//! r_t, γ_t, Q'(s_{t+1}, a) for the target network) and protected ops named (`\operatorname{pdiv}`,
//! `\operatorname{plog}`, `\operatorname{pexp}`), defined in the document's legend.

use super::lower::latex_symbol;
use super::{ExportError, Origin};
use crate::program::ops::{DIV_EPS, EXP_CLIP, LOG_EPS, NOISE_STD};
use crate::program::print::format_constant;
use crate::program::{DType, Program};

/// Binding strength of a rendered expression: parenthesise it where a stronger one is needed.
const SUM: u8 = 0;
const PRODUCT: u8 = 1;
const ATOM: u8 = 2;

/// A rendered subexpression.
#[derive(Debug, Clone)]
struct Tex {
    text: String,
    prec: u8,
    /// A Q-value table with an action slot `\cdot` (`Q(s_t, \cdot)`).
    slot: bool,
}

impl Tex {
    fn new(text: String, prec: u8) -> Tex {
        Tex {
            text,
            prec,
            slot: false,
        }
    }

    /// The text, parenthesised if it binds weaker than `min`.
    fn at(&self, min: u8) -> String {
        if self.prec < min {
            format!(r"\left({}\right)", self.text)
        } else {
            self.text.clone()
        }
    }

    /// Entry `index` of a list: fills the action slot, else subscripts the bracketed list.
    fn entry(&self, index: &str) -> String {
        if self.slot {
            self.text.replace(r"\cdot", index)
        } else {
            format!(r"\left[{}\right]_{{{index}}}", self.text)
        }
    }
}

/// The output of `p` as a LaTeX math-mode expression (no delimiters: wrap it in `\[ … \]`,
/// `$ … $` or an `equation`). Dead nodes are not shown; shared subexpressions are repeated.
/// `p` must be well typed ([`crate::program::validate::infer_types`]).
pub fn to_latex(p: &Program) -> String {
    let mut memo: Vec<Option<Tex>> = vec![None; p.len()];
    let live = p.live_mask();
    for i in 0..p.len() {
        if live[i] {
            let t = render(p, i, &memo);
            memo[i] = Some(t);
        }
    }
    memo.get(p.output)
        .cloned()
        .flatten()
        .map(|t| t.text)
        .unwrap_or_default()
}

/// The `--format latex` document: provenance and the protected ops' definitions as comments, then
/// `\[ \mathcal{L} = … \]` (a loss) or `\[ y = … \]`.
///
/// # Errors
/// An invalid program.
pub fn document(p: &Program, origin: &Origin) -> Result<String, ExportError> {
    crate::program::validate::infer_types(p)?;
    let live = p.live_mask();
    let used = |op: &str| {
        p.nodes
            .iter()
            .enumerate()
            .any(|(k, n)| live[p.inputs.len() + k] && n.op.name() == op)
    };
    let mut out = format!("% Exported by gevo (latex) from {}.\n", origin.describe());
    let mut legend = Vec::new();
    if used("div") {
        legend.push(format!(
            r"\operatorname{{pdiv}}(x, y) = x / (y + {DIV_EPS:e})"
        ));
    }
    if used("log") {
        legend.push(format!(
            r"\operatorname{{plog}}(x) = \ln(|x| + {LOG_EPS:e})"
        ));
    }
    if used("exp") {
        legend.push(format!(
            r"\operatorname{{pexp}}(x) = e^{{\min(x, {EXP_CLIP})}}"
        ));
    }
    if p.inputs.iter().any(|i| i.name == "discount") {
        legend.push(r"\gamma_t = \gamma (1 - \mathrm{terminated}_t)".into());
    }
    if p.inputs.iter().any(|i| i.name == "q_targ_param") {
        legend.push("Q' is the target network".into());
    }
    if crate::program::validate::infer_types(p)?.get(p.output) == Some(&DType::Update) {
        legend.push(r"w \leftarrow w - \Delta w; m, v are the state buffers".into());
        out += &format!("% where {}\n", legend.join("; "));
        out += &format!("\\[ {} \\]\n", to_latex(p));
        return Ok(out);
    }
    if !legend.is_empty() {
        out += &format!("% where {}\n", legend.join("; "));
    }
    let lhs = if p.inputs.iter().any(|i| i.dtype == DType::Param) {
        r"\mathcal{L}"
    } else {
        "y"
    };
    out += &format!("\\[ {lhs} = {} \\]\n", to_latex(p));
    Ok(out)
}

/// The symbol of input `i`.
fn input_symbol(p: &Program, i: usize) -> Tex {
    let name = p.inputs[i].name.as_str();
    let text = match name {
        "action" => "a_t".to_string(),
        "reward" => "r_t".to_string(),
        "discount" => r"\gamma_t".to_string(),
        "s_tm1" => "s_t".to_string(),
        "s_t" => "s_{t+1}".to_string(),
        "q_param" => "Q".to_string(),
        "q_targ_param" => "Q'".to_string(),
        other => latex_symbol(other),
    };
    Tex::new(text, ATOM)
}

fn render(p: &Program, i: usize, memo: &[Option<Tex>]) -> Tex {
    let Some(node) = p.node(i) else {
        return input_symbol(p, i);
    };
    if node.op.is_const() {
        return literal(node.value.unwrap_or(0.0));
    }
    let arg = |j: usize| -> Tex {
        node.args
            .get(j)
            .and_then(|&a| memo.get(a).cloned().flatten())
            .unwrap_or_else(|| Tex::new("?".into(), ATOM))
    };
    if node.op.spec().variadic {
        // A cell node: its layer applied to the sum of its inputs (NAS-Bench-101).
        let sum = (0..node.args.len())
            .map(|j| arg(j).text)
            .collect::<Vec<_>>()
            .join(" + ");
        return match node.op.name() {
            "cell_output" => Tex::new(sum, SUM),
            name => Tex::new(
                format!(
                    r"\operatorname{{{}}}\left({sum}\right)",
                    name.trim_end_matches("_bn_relu").replace('_', r"\_")
                ),
                ATOM,
            ),
        };
    }
    let a = arg(0);
    let b = arg(1);
    let call = |f: &str| Tex::new(format!(r"{f}\left({}\right)", a.text), ATOM);
    let call2 = |f: &str| Tex::new(format!(r"{f}\left({}, {}\right)", a.text, b.text), ATOM);
    let over_actions = |f: &str| Tex::new(format!("{f}_{{a}} {}", a.entry("a")), PRODUCT);
    match node.op.name() {
        "add" => {
            let rhs = if b.text.starts_with('-') {
                b.at(ATOM)
            } else {
                b.at(SUM)
            };
            Tex::new(format!("{} + {rhs}", a.at(SUM)), SUM)
        }
        "sub" => Tex::new(format!("{} - {}", a.at(SUM), b.at(PRODUCT)), SUM),
        "mul" => Tex::new(
            format!(r"{} \cdot {}", a.at(PRODUCT), b.at(PRODUCT)),
            PRODUCT,
        ),
        "div" => call2(r"\operatorname{pdiv}"),
        "max" => call2(r"\max"),
        "min" => call2(r"\min"),
        "l2_distance" => Tex::new(
            format!(
                r"\tfrac{{1}}{{2}} \left({} - {}\right)^{{2}}",
                a.at(SUM),
                b.at(PRODUCT)
            ),
            PRODUCT,
        ),
        "neg" => Tex::new(format!("-{}", a.at(ATOM)), PRODUCT),
        "abs" => Tex::new(format!(r"\left\lvert {} \right\rvert", a.text), ATOM),
        "sin" => call(r"\sin"),
        "cos" => call(r"\cos"),
        "tanh" => call(r"\tanh"),
        "exp" => call(r"\operatorname{pexp}"),
        "log" => call(r"\operatorname{plog}"),
        "sqrt" => Tex::new(
            format!(r"\sqrt{{\left\lvert {} \right\rvert}}", a.text),
            ATOM,
        ),
        "square" => Tex::new(format!("{}^{{2}}", a.at(ATOM)), ATOM),
        "multiply_tenth" => Tex::new(format!(r"0.1 \cdot {}", a.at(PRODUCT)), PRODUCT),
        "add_gaussian_noise" => Tex::new(
            format!(
                r"{} + \mathcal{{N}}\left(0, {NOISE_STD}^{{2}}\right)",
                a.at(SUM)
            ),
            SUM,
        ),
        "sum_list" => over_actions(r"\sum"),
        "mean_list" => over_actions(r"\operatorname{mean}"),
        "max_list" => over_actions(r"\max"),
        "min_list" => over_actions(r"\min"),
        "std_list" => over_actions(r"\operatorname{std}"),
        "argmax_list" => over_actions(r"\operatorname*{arg\,max}"),
        "logsumexp_list" => Tex::new(format!(r"\log \sum_{{a}} \exp {}", a.entry("a")), PRODUCT),
        "softmax" => call(r"\operatorname{softmax}"),
        "entropy" => call(r"\mathrm{H}"),
        "kl_div" => Tex::new(
            format!(
                r"\mathrm{{KL}}\left({} \,\middle\|\, {}\right)",
                a.text, b.text
            ),
            ATOM,
        ),
        "dot_product" => Tex::new(
            format!(r"\left\langle {}, {} \right\rangle", a.text, b.text),
            ATOM,
        ),
        "select_list" => Tex::new(a.entry(&b.text), ATOM),
        "qvalue_list" => Tex {
            text: format!(r"{}({}, \cdot)", a.text, b.text),
            prec: ATOM,
            slot: true,
        },
        "sign" => call(r"\operatorname{sign}"),
        "arctan" => call(r"\arctan"),
        "pow" => Tex::new(
            format!(r"\left\lvert {} \right\rvert^{{{}}}", a.text, b.text),
            ATOM,
        ),
        "clip" => call2(r"\operatorname{clip}"),
        "norm" => Tex::new(format!(r"\left\lVert {} \right\rVert_{{2}}", a.text), ATOM),
        "interpolate" => {
            // (1 − w)·x + w·y
            let w = arg(2);
            Tex::new(
                format!(
                    r"\left(1 - {}\right) \cdot {} + {} \cdot {}",
                    w.at(SUM),
                    a.at(PRODUCT),
                    w.at(PRODUCT),
                    b.at(PRODUCT)
                ),
                SUM,
            )
        }
        "update_rule" => Tex::new(
            format!(
                r"\begin{{aligned}} \Delta w &= {} \\ m' &= {} \\ v' &= {} \end{{aligned}}",
                a.text,
                b.text,
                arg(2).text
            ),
            ATOM,
        ),
        "mean_batch" => call(r"\operatorname{mean}_{\mathrm{batch}}"),
        "std_batch" => call(r"\operatorname{std}_{\mathrm{batch}}"),
        other => Tex::new(
            format!(
                r"\operatorname{{{}}}\left({}\right)",
                other.replace('_', r"\_"),
                a.text
            ),
            ATOM,
        ),
    }
}

/// A constant as LaTeX: `0.1`, `-2.5`, `3 \times 10^{-7}`.
fn literal(v: f64) -> Tex {
    let s = format_constant(v);
    let text = match s.split_once('e') {
        Some((mantissa, exp)) => format!(r"{mantissa} \times 10^{{{exp}}}"),
        None => s,
    };
    let prec = if v < 0.0 { SUM } else { ATOM };
    Tex::new(text, prec)
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
    fn dqn_reg_reads_like_the_paper() {
        let tex = to_latex(&seed("dqn_reg"));
        assert_eq!(
            tex,
            r"0.1 \cdot Q(s_t, a_t) + \left(Q(s_t, a_t) - \left(r_t + \gamma_t \cdot \max_{a} Q'(s_{t+1}, a)\right)\right)^{2}"
        );
    }

    #[test]
    fn protected_ops_are_named_and_defined() {
        let p: Program = serde_json::from_str(
            r#"{"inputs": [{"name": "x0", "dtype": "float"}],
                "nodes": [{"op": "log", "args": [0]}, {"op": "div", "args": [0, 1]}],
                "output": 2}"#,
        )
        .unwrap();
        assert_eq!(
            to_latex(&p),
            r"\operatorname{pdiv}\left(x_{0}, \operatorname{plog}\left(x_{0}\right)\right)"
        );
        let doc = document(&p, &Origin::default()).unwrap();
        assert!(
            doc.contains(r"\operatorname{plog}(x) = \ln(|x| + 1e-12)"),
            "{doc}"
        );
        assert!(doc.contains(r"\[ y = "), "{doc}");
    }
}
