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
    for name in gevo::catalog::task_names() {
        let Some(src) = gevo::catalog::task(&name) else {
            continue;
        };
        match toml::from_str::<toml::Table>(&src.text)
            .ok()
            .and_then(|t| t.try_into::<Head>().ok())
        {
            Some(h) => println!(
                "{:<16} {:<20} {}",
                name,
                h.domain.unwrap_or_default(),
                h.description.unwrap_or_default()
            ),
            None => println!("{name:<16} (invalid task file)"),
        }
    }
    Ok(())
}
