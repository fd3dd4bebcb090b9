//! The Python module layout shared by the NumPy, PyTorch and JAX exporters: imports, the helpers
//! the program needs, one function with a docstring and one statement per live node.

use super::lower::{Convention, Dialect, Lowered, lower};
use super::{ExportError, Origin, doc_lines};
use crate::program::Program;

/// What differs between the Python targets besides op spelling.
pub(crate) struct PythonTarget<'a> {
    /// Op spelling.
    pub dialect: &'a dyn Dialect,
    /// Framework name for the docstring.
    pub framework: &'a str,
    /// Import lines.
    pub imports: &'a [&'a str],
    /// The array type annotation.
    pub array_type: &'a str,
    /// The extra keyword-only parameter for random draws (`rng: np.random.Generator`), if any.
    pub noise_param: Option<&'a str>,
    /// Docstring line on where noise comes from.
    pub noise_doc: &'a str,
    /// How a scalar parameter becomes an array like a column parameter, when the framework's
    /// functions reject Python floats: `{scalar}` and `{like}` are substituted.
    pub scalar_to_array: Option<&'a str>,
}

/// A Python float literal that round-trips the f64 exactly (negative ones parenthesised).
pub(crate) fn literal(v: f64) -> String {
    let s = format!("{v:?}");
    let s = match s.as_str() {
        "inf" => "float('inf')".to_string(),
        "-inf" => "float('-inf')".to_string(),
        "NaN" => "float('nan')".to_string(),
        _ => s,
    };
    if v.is_sign_negative() {
        format!("({s})")
    } else {
        s
    }
}

/// Renders `program` as a Python module for `t`.
pub(crate) fn render(
    program: &Program,
    origin: &Origin,
    t: &PythonTarget<'_>,
) -> Result<String, ExportError> {
    let l: Lowered = lower(program, t.dialect.format())?;
    let (lines, ret) = l.render(t.dialect)?;
    let mut out = format!(
        "# Exported by gevo ({}) from {}.\n",
        t.dialect.format(),
        origin.describe()
    );
    for imp in t.imports {
        out += imp;
        out.push('\n');
    }
    out.push('\n');
    for helper in l.helpers(t.dialect) {
        out += &format!("\n{helper}\n");
    }
    let mut params: Vec<String> = Vec::new();
    let mut keyword_only = false;
    for p in l.signature() {
        if p.keyword_only && !keyword_only {
            params.push("*".into());
            keyword_only = true;
        }
        let ty = if p.shape == super::lower::Shape::Scalar {
            "float"
        } else {
            t.array_type
        };
        params.push(format!("{}: {ty}", p.name));
    }
    if let (true, Some(np)) = (l.uses_noise(), t.noise_param) {
        if !keyword_only {
            params.push("*".into());
        }
        params.push(np.to_string());
    }
    let name = origin.function_name(l.convention);
    let returns = match l.convention {
        Convention::UpdateRule => format!("tuple[{0}, {0}, {0}]", t.array_type),
        _ => t.array_type.to_string(),
    };
    out += &format!("\ndef {name}({}) -> {returns}:\n", params.join(", "));
    let doc = doc_lines(program, &l, origin, t.framework, t.noise_doc);
    out += "    r\"\"\"";
    for (i, line) in doc.iter().enumerate() {
        let line = line.replace("\"\"\"", "'''");
        if i > 0 && !line.is_empty() {
            out += "    ";
        }
        out += &line;
        out.push('\n');
    }
    out += "    \"\"\"\n";
    if let (Some(template), Some(like)) = (
        t.scalar_to_array,
        l.signature()
            .find(|p| p.shape == super::lower::Shape::Column),
    ) {
        for p in l
            .signature()
            .filter(|p| p.shape == super::lower::Shape::Scalar && p.used)
        {
            let conv = template
                .replace("{scalar}", &p.name)
                .replace("{like}", &like.name);
            out += &format!("    {} = {conv}\n", p.name);
        }
    }
    for (var, expr) in &lines {
        out += &format!("    {var} = {expr}\n");
    }
    out += &format!("    return {ret}\n");
    Ok(out)
}
