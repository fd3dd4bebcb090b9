//! What ships: search spaces, seed programs and tasks, found on disk (`./search_spaces`,
//! `./tasks`, or a path) or, failing that, in the copies embedded in the binary.

use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// A file's origin (path or `<embedded>/…`) and text.
#[derive(Debug, Clone)]
pub struct Source {
    /// Where it came from, for error messages.
    pub origin: String,
    /// Its text.
    pub text: String,
    /// Directory of an on-disk file (resolves relative paths inside it).
    pub dir: Option<PathBuf>,
}

fn find(name_or_path: &str, folder: &str, ext: &str) -> Option<Source> {
    let p = Path::new(name_or_path);
    let file = format!("{folder}/{name_or_path}.{ext}");
    for cand in [p.to_path_buf(), PathBuf::from(&file)] {
        if cand.is_file()
            && let Ok(text) = std::fs::read_to_string(&cand)
        {
            return Some(Source {
                origin: cand.display().to_string(),
                text,
                dir: cand.parent().map(Path::to_path_buf),
            });
        }
    }
    EMBEDDED
        .iter()
        .find(|(path, _)| *path == file)
        .map(|(path, text)| Source {
            origin: format!("<embedded>/{path}"),
            text: text.to_string(),
            dir: None,
        })
}

/// Finds a search space by name (`rl_loss`) or path.
pub fn space(name_or_path: &str) -> Option<Source> {
    find(name_or_path, "search_spaces", "toml")
}

/// Finds a task by name (`cartpole`, `nguyen-1`) or path.
pub fn task(name_or_path: &str) -> Option<Source> {
    find(name_or_path, "tasks", "toml")
}

fn names_in(folder: &str) -> Vec<String> {
    let mut names: Vec<String> = EMBEDDED
        .iter()
        .filter_map(|(p, _)| p.strip_prefix(&format!("{folder}/")))
        .filter(|rest| !rest.contains('/'))
        .filter_map(|rest| rest.strip_suffix(".toml"))
        .map(String::from)
        .collect();
    if let Ok(rd) = std::fs::read_dir(folder) {
        for e in rd.flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "toml")
                && let Some(stem) = path.file_stem()
            {
                names.push(stem.to_string_lossy().into_owned());
            }
        }
    }
    names.sort_by_key(|a| natural_key(a));
    names.dedup();
    names
}

fn natural_key(s: &str) -> (String, u64) {
    let digits: String = s.chars().rev().take_while(|c| c.is_ascii_digit()).collect();
    let num = digits
        .chars()
        .rev()
        .collect::<String>()
        .parse()
        .unwrap_or(0);
    (s[..s.len() - digits.len()].to_string(), num)
}

/// Names of the shipped (and local) search spaces.
pub fn space_names() -> Vec<String> {
    names_in("search_spaces")
}

/// Names of the shipped (and local) tasks.
pub fn task_names() -> Vec<String> {
    names_in("tasks")
}

/// Seed programs of a space: `search_spaces/<space>/seeds/*.json`, as (name, JSON text).
pub fn seeds(space: &str) -> Vec<(String, String)> {
    let prefix = format!("search_spaces/{space}/seeds/");
    let mut out: Vec<(String, String)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&prefix) {
        for e in rd.flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "json")
                && let (Some(stem), Ok(text)) = (path.file_stem(), std::fs::read_to_string(&path))
            {
                out.push((stem.to_string_lossy().into_owned(), text));
            }
        }
    }
    for (p, text) in EMBEDDED {
        if let Some(rest) = p.strip_prefix(&prefix)
            && let Some(stem) = rest.strip_suffix(".json")
            && !out.iter().any(|(n, _)| n == stem)
        {
            out.push((stem.to_string(), text.to_string()));
        }
    }
    out.sort();
    out
}

/// Errors of [`load_space`].
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// No shipped space of that name and no file at that path.
    #[error("no search space named or at '{0}' (see `gevo spaces`)")]
    UnknownSpace(String),
    /// The file exists but is malformed (names file and line).
    #[error(transparent)]
    Space(#[from] crate::program::space::SpaceError),
}

/// Finds and parses a search space by name (`rl_loss`) or path.
///
/// # Errors
/// [`CatalogError::UnknownSpace`] if not found; [`CatalogError::Space`] if malformed.
pub fn load_space(name_or_path: &str) -> Result<crate::program::space::SearchSpace, CatalogError> {
    let src = space(name_or_path).ok_or_else(|| CatalogError::UnknownSpace(name_or_path.into()))?;
    Ok(crate::program::space::SearchSpace::from_toml(
        &src.text,
        &src.origin,
    )?)
}
