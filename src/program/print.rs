//! Printing programs as infix expressions.

use super::Program;

/// The output as one infix expression (`(x * x) + sin(x)`), shared subexpressions repeated.
pub fn infix(p: &Program) -> String {
    expr(p, p.output)
}

/// The expression of value `i`.
pub fn expr(p: &Program, i: usize) -> String {
    let Some(node) = p.node(i) else {
        return p.inputs[i].name.clone();
    };
    let spec = node.op.spec();
    if node.op.is_const() {
        return format_constant(node.value.unwrap_or(0.0));
    }
    let args: Vec<String> = node.args.iter().map(|&a| expr(p, a)).collect();
    match (spec.symbol, args.len()) {
        ("+" | "-" | "*" | "/", 2) => format!("({} {} {})", args[0], spec.symbol, args[1]),
        _ => format!("{}({})", spec.symbol, args.join(", ")),
    }
}

/// Constants with up to 6 significant digits, no trailing zeros.
pub fn format_constant(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e6 {
        return format!("{v:.1}");
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "0" || s == "-0" {
        format!("{v:e}")
    } else {
        s.to_string()
    }
}

/// The output expression with the outermost parentheses removed.
pub fn infix_top(p: &Program) -> String {
    let s = infix(p);
    if s.starts_with('(') && s.ends_with(')') && balanced_inside(&s[1..s.len() - 1]) {
        s[1..s.len() - 1].to_string()
    } else {
        s
    }
}

fn balanced_inside(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}
