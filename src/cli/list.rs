//! `gevo spaces`, `gevo tasks`.

use gevo::program::space::SearchSpace;

pub fn spaces() -> anyhow::Result<()> {
    for name in gevo::catalog::space_names() {
        let Some(src) = gevo::catalog::space(&name) else {
            continue;
        };
        match SearchSpace::from_toml(&src.text, &src.origin) {
            Ok(s) => println!(
                "{:<22} {} ops, ≤{} nodes  {}",
                name,
                s.ops.len(),
                s.max_nodes,
                s.description
            ),
            Err(e) => println!("{name:<22} (invalid: {e})"),
        }
    }
    Ok(())
}

pub fn tasks() -> anyhow::Result<()> {
    #[derive(serde::Deserialize)]
    struct Head {
        domain: Option<String>,
        description: Option<String>,
    }
    let rows: Vec<(String, String, String)> = gevo::catalog::task_names()
        .into_iter()
        .filter_map(|name| {
            let src = gevo::catalog::task(&name)?;
            Some(
                match toml::from_str::<toml::Table>(&src.text)
                    .ok()
                    .and_then(|t| t.try_into::<Head>().ok())
                {
                    Some(h) => (
                        name,
                        h.domain.unwrap_or_default(),
                        h.description.unwrap_or_default(),
                    ),
                    None => (name, String::new(), "(invalid task file)".into()),
                },
            )
        })
        .collect();
    print!("{}", columns(&rows));
    Ok(())
}

/// Rows as three left-aligned columns, each as wide as its longest entry (in characters).
fn columns(rows: &[(String, String, String)]) -> String {
    let width = |f: fn(&(String, String, String)) -> &String| {
        rows.iter().map(|r| f(r).chars().count()).max().unwrap_or(0)
    };
    let (w0, w1) = (width(|r| &r.0), width(|r| &r.1));
    rows.iter()
        .map(|(a, b, c)| format!("{a:<w0$}  {b:<w1$}  {c}").trim_end().to_string() + "\n")
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_line_up_whatever_the_name_lengths() {
        let rows = [
            ("cartpole".into(), "rl_loss".into(), "CartPole".into()),
            (
                "a-much-longer-task-name".into(),
                "symbolic_regression".into(),
                "x".into(),
            ),
        ];
        let text = super::columns(&rows);
        let starts: Vec<usize> = text
            .lines()
            .map(|l| {
                l.char_indices()
                    .find(|&(i, _)| l[i..].starts_with("CartPole") || l[i..].starts_with('x'))
                    .map(|(i, _)| i)
                    .unwrap()
            })
            .collect();
        assert_eq!(starts, vec![46, 46]);
    }
}
