//! Task files (`tasks/*.toml`) as the domains read them: the self-contained [`TaskSpec`] a
//! campaign stores, TOML parsing with line numbers, and the `domain` key. Neutral ground: the
//! domains depend on this module, and it depends on no domain.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Which task a campaign runs, self-contained (file texts are embedded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// Task name(s) as given (`nguyen-1`, `cartpole,acrobot`, or a CSV stem).
    pub name: String,
    /// Each task file's origin and TOML text (several for RL task sets).
    #[serde(default)]
    pub files: Vec<(String, String)>,
    /// A CSV dataset (`--data FILE.csv`), absolute path.
    #[serde(default)]
    pub csv: Option<String>,
    /// The CSV's target column.
    #[serde(default)]
    pub target: Option<String>,
    /// The CSV's content, so that moving or editing the file cannot change or break a
    /// campaign (absent in archives written before it existed, and for task files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv_data: Option<CsvData>,
}

/// Files up to this size are stored in the campaign settings; larger ones only by content
/// hash, and `gevo resume` then checks the file at the stored path against the hash.
pub const CSV_EMBED_LIMIT: u64 = 8 << 20;

/// A CSV dataset's identity and, when small enough, its text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvData {
    /// XXH3-128 of the file's bytes, hexadecimal.
    pub hash: String,
    /// The file's size in bytes.
    pub bytes: u64,
    /// The file's text when at most [`CSV_EMBED_LIMIT`] bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl CsvData {
    /// The content hash of `bytes` as stored in [`CsvData::hash`].
    pub fn hash_of(bytes: &[u8]) -> String {
        format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
    }

    /// Identity (and text, if small and UTF-8) of the file's `bytes`.
    pub fn of(bytes: &[u8]) -> CsvData {
        CsvData {
            hash: CsvData::hash_of(bytes),
            bytes: bytes.len() as u64,
            text: (bytes.len() as u64 <= CSV_EMBED_LIMIT)
                .then(|| String::from_utf8(bytes.to_vec()).ok())
                .flatten(),
        }
    }
}

/// A task file's error: names the file, the line and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct TaskError {
    /// The file.
    pub file: String,
    /// 1-based line (0 when not tied to a line).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Why `--task` or `--data` could not be turned into a [`TaskSpec`].
#[derive(Debug, thiserror::Error)]
pub enum TaskSpecError {
    /// No shipped task of that name and no file at that path.
    #[error("unknown task `{name}` (known tasks: {known})")]
    UnknownTask {
        /// The name as given.
        name: String,
        /// The known task names, comma separated.
        known: String,
    },
    /// `--task` named nothing.
    #[error("--task is empty")]
    Empty,
    /// The CSV file of `--data` cannot be opened.
    #[error("{path}: cannot open the data file: {io}")]
    DataFile {
        /// The path as given.
        path: String,
        /// The I/O error.
        io: std::io::Error,
    },
}

/// Parses TOML into `T`, reporting the line of any error.
///
/// # Errors
/// [`TaskError`] with the line of the first syntax or schema error.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
) -> Result<T, TaskError> {
    toml::from_str(text).map_err(|e| TaskError {
        file: origin.to_string(),
        line: e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(0),
        message: e.message().to_string(),
    })
}

/// The folder of a task file that relative data paths resolve against (`None` for the copies
/// embedded in the binary).
pub fn task_dir(origin: &str) -> Option<&Path> {
    (!origin.starts_with("<embedded>"))
        .then(|| Path::new(origin).parent())
        .flatten()
}

/// The `domain` key of a task file.
///
/// # Errors
/// [`TaskError`] for malformed TOML or a missing `domain` key.
pub fn domain_of(text: &str, origin: &str) -> Result<String, TaskError> {
    #[derive(serde::Deserialize)]
    struct Head {
        domain: Option<String>,
    }
    let v: toml::Table = parse_toml(text, origin)?;
    let head: Head = v.try_into().map_err(|e: toml::de::Error| TaskError {
        file: origin.to_string(),
        line: 0,
        message: e.message().to_string(),
    })?;
    head.domain.ok_or_else(|| TaskError {
        file: origin.to_string(),
        line: 1,
        message:
            "missing `domain` (e.g. domain = \"symbolic_regression\", \"rl_loss\" or \"optimizer\")"
                .into(),
    })
}

/// The 1-based line of a task file's `domain` key (0 when there is none).
pub fn domain_line(text: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with("domain"))
        .map(|i| i + 1)
        .unwrap_or(0)
}

/// Resolves `--task a,b` (names or paths) into a self-contained spec.
///
/// # Errors
/// [`TaskSpecError::UnknownTask`] listing the known ones; [`TaskSpecError::Empty`].
pub fn resolve(task: &str) -> Result<TaskSpec, TaskSpecError> {
    let mut files = Vec::new();
    for name in task.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let src = crate::catalog::task(name).ok_or_else(|| TaskSpecError::UnknownTask {
            name: name.to_string(),
            known: crate::catalog::task_names().join(", "),
        })?;
        let origin = match &src.dir {
            Some(d) => std::fs::canonicalize(d)
                .unwrap_or_else(|_| d.clone())
                .join(Path::new(&src.origin).file_name().unwrap_or_default())
                .display()
                .to_string(),
            None => src.origin.clone(),
        };
        files.push((origin, src.text));
    }
    if files.is_empty() {
        return Err(TaskSpecError::Empty);
    }
    Ok(TaskSpec {
        name: task.to_string(),
        files,
        csv: None,
        target: None,
        csv_data: None,
    })
}

/// A CSV task spec (`--data FILE.csv --target COL`), holding the file's text when it is at
/// most [`CSV_EMBED_LIMIT`] bytes and its content hash in any case.
///
/// # Errors
/// [`TaskSpecError::DataFile`] when the file cannot be opened.
pub fn csv_spec(path: &Path, target: &str) -> Result<TaskSpec, TaskSpecError> {
    let abs: PathBuf = std::fs::canonicalize(path).map_err(|io| TaskSpecError::DataFile {
        path: path.display().to_string(),
        io,
    })?;
    let bytes = std::fs::read(&abs).map_err(|io| TaskSpecError::DataFile {
        path: path.display().to_string(),
        io,
    })?;
    Ok(TaskSpec {
        name: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "csv".into()),
        files: vec![],
        csv: Some(abs.display().to_string()),
        target: Some(target.to_string()),
        csv_data: Some(CsvData::of(&bytes)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_errors_name_their_line() {
        let e = parse_toml::<toml::Table>("a = 1\nb = \n", "t.toml").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("t.toml", 2));
    }

    #[test]
    fn the_domain_key_is_read_and_required() {
        assert_eq!(
            domain_of("name = \"x\"\ndomain = \"rl_loss\"\n", "t").unwrap(),
            "rl_loss"
        );
        assert_eq!(domain_line("name = \"x\"\ndomain = \"rl_loss\"\n"), 2);
        let e = domain_of("name = \"x\"\n", "t").unwrap_err();
        assert!(e.message.contains("missing `domain`"), "{e}");
    }

    #[test]
    fn embedded_tasks_have_no_folder() {
        assert_eq!(task_dir("<embedded>/tasks/cartpole.toml"), None);
        assert_eq!(task_dir("/a/b/c.toml"), Some(Path::new("/a/b")));
    }

    #[test]
    fn unknown_and_empty_task_names_are_refused() {
        assert!(matches!(
            resolve("no-such-task-anywhere"),
            Err(TaskSpecError::UnknownTask { .. })
        ));
        assert!(matches!(resolve(" , "), Err(TaskSpecError::Empty)));
    }
}
