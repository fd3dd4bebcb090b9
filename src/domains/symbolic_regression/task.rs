//! Symbolic-regression task files (`tasks/nguyen-1.toml`, or a CSV given on the command line).
//!
//! ```toml
//! domain = "symbolic_regression"
//! name = "nguyen-1"
//! description = "x^3 + x^2 + x"
//! [data]
//! benchmark = "nguyen-1"   # or: csv = "data/my.csv" with target = "y"
//! train_points = 20
//! test_points = 1000
//! seed = 1
//! ```

use super::dataset::{Dataset, DatasetError};
use super::nguyen;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Where the rows come from and how they are split.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// A Nguyen benchmark name (`nguyen-1` … `nguyen-12`): data generated deterministically.
    #[serde(default)]
    pub benchmark: Option<String>,
    /// A CSV file with a header row (relative paths are relative to the task file).
    #[serde(default)]
    pub csv: Option<PathBuf>,
    /// The CSV's target column.
    #[serde(default)]
    pub target: Option<String>,
    /// Training points for generated data (default 20, the benchmark's standard).
    #[serde(default = "default_train")]
    pub train_points: usize,
    /// Held-out test points for generated data (default 1000).
    #[serde(default = "default_test")]
    pub test_points: usize,
    /// Fraction of CSV rows held out for testing (default 0.2).
    #[serde(default = "default_test_fraction")]
    pub test_fraction: f64,
    /// Seed for generation and splitting (default 1).
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_train() -> usize {
    20
}
fn default_test() -> usize {
    1000
}
fn default_test_fraction() -> f64 {
    0.2
}
fn default_seed() -> u64 {
    1
}

/// A symbolic-regression task.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymbolicRegressionTask {
    /// Always `symbolic_regression`.
    pub domain: String,
    /// Task name.
    pub name: String,
    /// One-line description.
    #[serde(default)]
    pub description: String,
    /// The data.
    pub data: DataSpec,
    /// Campaign defaults (`budget`, `population`, `tournament`), read by `gevo run`.
    #[serde(default)]
    pub campaign: Option<toml::Table>,
}

impl SymbolicRegressionTask {
    /// A task over a CSV file (the `--data FILE.csv --target COL` form).
    pub fn from_csv(path: &Path, target: &str) -> Self {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "csv".into());
        SymbolicRegressionTask {
            domain: "symbolic_regression".into(),
            name,
            description: format!("{} → {target}", path.display()),
            data: DataSpec {
                benchmark: None,
                csv: Some(path.to_path_buf()),
                target: Some(target.to_string()),
                train_points: default_train(),
                test_points: default_test(),
                test_fraction: default_test_fraction(),
                seed: default_seed(),
            },
            campaign: None,
        }
    }

    /// Builds `(train, test)`; `base` resolves relative CSV paths.
    ///
    /// # Errors
    /// [`DatasetError`] for an unknown benchmark, a missing target, or a bad CSV.
    pub fn load(
        &self,
        base: Option<&Path>,
        origin: &str,
    ) -> Result<(Dataset, Dataset), DatasetError> {
        let d = &self.data;
        if let Some(b) = &d.benchmark {
            let bench = nguyen::benchmark(b).ok_or_else(|| DatasetError {
                file: origin.to_string(),
                line: 0,
                message: format!(
                    "unknown benchmark `{b}` (known: {})",
                    nguyen::BENCHMARKS
                        .iter()
                        .map(|b| b.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
            let train = bench.sample(d.train_points, d.seed);
            let test = bench.sample(d.test_points, d.seed.wrapping_add(0x9e37_79b9));
            return Ok((train, test));
        }
        let (Some(csv), Some(target)) = (&d.csv, &d.target) else {
            return Err(DatasetError {
                file: origin.to_string(),
                line: 0,
                message: "[data] needs `benchmark`, or `csv` and `target`".into(),
            });
        };
        let path = match base {
            Some(b) if csv.is_relative() => b.join(csv),
            _ => csv.clone(),
        };
        let all = Dataset::from_csv(&path, target)?;
        self.split(all, &path.display().to_string())
    }

    /// Splits a CSV's rows into training and held-out sets by `test_fraction` and `seed`.
    ///
    /// # Errors
    /// [`DatasetError`] naming `file` when `test_fraction` is outside [0, 1) or the rows are
    /// too few for the split.
    fn split(&self, all: Dataset, file: &str) -> Result<(Dataset, Dataset), DatasetError> {
        let d = &self.data;
        if !(0.0..1.0).contains(&d.test_fraction) {
            return Err(DatasetError {
                file: file.to_string(),
                line: 0,
                message: format!("test_fraction must lie in [0, 1) (got {})", d.test_fraction),
            });
        }
        // At least one held-out row and two training rows (a line needs two points).
        let too_few = |rows: usize| {
            let n_test = ((rows as f64) * d.test_fraction).round() as usize;
            let n_test = n_test.min(rows.saturating_sub(1));
            n_test == 0 || rows - n_test < 2
        };
        if d.test_fraction > 0.0 && too_few(all.rows()) {
            // test_fraction < 1, so some row count suffices.
            let need = (3..usize::MAX).find(|&n| !too_few(n)).unwrap_or(usize::MAX);
            return Err(DatasetError {
                file: file.to_string(),
                line: 0,
                message: format!(
                    "{} data rows are too few for a held-out split of {:.0} %: need at least \
                     {need} rows (2 for training, 1 held out)",
                    all.rows(),
                    100.0 * d.test_fraction,
                ),
            });
        }
        Ok(all.split(d.test_fraction, d.seed))
    }

    /// [`Self::load`] for a CSV task whose data the campaign stored: from the stored text, or,
    /// for a file too large to store, from the file at its path once its content hash matches.
    ///
    /// # Errors
    /// [`DatasetError`] for a bad CSV, or naming the file when it is gone or no longer the
    /// one the campaign started with.
    pub fn load_stored(
        &self,
        data: &crate::task_file::CsvData,
        origin: &str,
    ) -> Result<(Dataset, Dataset), DatasetError> {
        let d = &self.data;
        let target = d.target.as_deref().unwrap_or_default();
        let all = match &data.text {
            // An error names the file while it is still the one stored, else the stored copy
            // (checked only on the error path: a good CSV is not read twice).
            Some(text) => Dataset::from_csv_text(text, origin, target).map_err(|mut e| {
                let same = std::fs::read(origin)
                    .is_ok_and(|b| crate::task_file::CsvData::hash_of(&b) == data.hash);
                if !same {
                    e.file = format!("{origin} (stored copy)");
                }
                e
            })?,
            None => {
                let err = |message: String| DatasetError {
                    file: origin.to_string(),
                    line: 0,
                    message,
                };
                let bytes = std::fs::read(origin).map_err(|e| {
                    err(format!(
                        "cannot read the campaign's data file ({e}); it is too large ({} bytes) to be stored in the archive, so restore it at this path",
                        data.bytes
                    ))
                })?;
                let found = crate::task_file::CsvData::hash_of(&bytes);
                if found != data.hash {
                    return Err(err(format!(
                        "this file is not the one the campaign started with (content hash {found}, stored {}); restore the original file at this path",
                        data.hash
                    )));
                }
                let text = String::from_utf8(bytes).map_err(|e| err(e.to_string()))?;
                Dataset::from_csv_text(&text, origin, target)?
            }
        };
        self.split(all, origin)
    }
}
