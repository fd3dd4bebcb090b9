//! LaTeX export: the program as one equation, RL inputs in the paper's notation (Q(s_t, a_t),
//! r_t, γ_t, Q'(s_{t+1}, a) for the target network) and protected ops named (`\operatorname{pdiv}`,
//! `\operatorname{plog}`, `\operatorname{pexp}`), defined in the document's legend.

use super::lower::latex_symbol;
use super::{ExportError, Origin};
use crate::program::ops::lowering::{Prec, Snippet, Tex};
use crate::program::print::format_constant;
use crate::program::{DType, Program};

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
    let mut out = format!("% Exported by gevo (latex) from {}.\n", origin.describe());
    // The definitions of the protected ops the formula shows.
    let mut defined: Vec<Snippet> = p
        .nodes
        .iter()
        .enumerate()
        .filter(|(k, _)| live[p.inputs.len() + k])
        .flat_map(|(_, n)| n.op.spec().lowering.latex_legend.iter().copied())
        .collect();
    defined.sort();
    defined.dedup();
    let mut legend: Vec<String> = defined.into_iter().map(|d| d.text.to_string()).collect();
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
    Tex::new(text, Prec::Atom)
}

fn render(p: &Program, i: usize, memo: &[Option<Tex>]) -> Tex {
    let Some(node) = p.node(i) else {
        return input_symbol(p, i);
    };
    if node.op.is_const() {
        return literal(node.value.unwrap_or(0.0));
    }
    let args: Vec<Tex> = (0..node.args.len())
        .map(|j| {
            memo.get(node.args[j])
                .cloned()
                .flatten()
                .unwrap_or_else(|| Tex::new("?".into(), Prec::Atom))
        })
        .collect();
    match &node.op.spec().lowering.latex {
        Some(latex) => latex.render(&args),
        None => Tex::new(
            format!(
                r"\operatorname{{{}}}\left({}\right)",
                node.op.name().replace('_', r"\_"),
                args.first().map(|a| a.text.as_str()).unwrap_or("?")
            ),
            Prec::Atom,
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
    let prec = if v < 0.0 { Prec::Sum } else { Prec::Atom };
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
