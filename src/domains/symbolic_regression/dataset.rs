//! Regression datasets: columns of f64 plus a target, from CSV or generated.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// A malformed or missing dataset: names the file, the line and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct DatasetError {
    /// The file.
    pub file: String,
    /// 1-based line (0 when not tied to a line).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Input columns and a target column, all of equal length.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Input variable names.
    pub names: Vec<String>,
    /// One column per input variable.
    pub columns: Vec<Vec<f64>>,
    /// Target values.
    pub target: Vec<f64>,
}

impl Dataset {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.target.len()
    }

    /// Loads a CSV with a header row; `target` names the target column, every other column is an
    /// input. Empty lines are skipped.
    ///
    /// # Errors
    /// [`DatasetError`] for a missing file, a duplicate header name, a missing target column, a
    /// non-numeric cell, a row of the wrong length (with its line), no data rows or a constant
    /// target.
    pub fn from_csv(path: &Path, target: &str) -> Result<Dataset, DatasetError> {
        let file = path.display().to_string();
        let reader = std::fs::File::open(path).map_err(|e| DatasetError {
            file: file.clone(),
            line: 0,
            message: e.to_string(),
        })?;
        Dataset::from_csv_reader(reader, &file, target)
    }

    /// [`Dataset::from_csv`] from CSV text held in memory (a dataset stored in the campaign
    /// settings); `origin` names it in errors.
    ///
    /// # Errors
    /// As [`Dataset::from_csv`].
    pub fn from_csv_text(text: &str, origin: &str, target: &str) -> Result<Dataset, DatasetError> {
        Dataset::from_csv_reader(text.as_bytes(), origin, target)
    }

    fn from_csv_reader(
        reader: impl std::io::Read,
        file: &str,
        target: &str,
    ) -> Result<Dataset, DatasetError> {
        let err = |line: usize, message: String| DatasetError {
            file: file.to_string(),
            line,
            message,
        };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(reader);
        let headers: Vec<String> = rdr
            .headers()
            .map_err(|e| err(1, e.to_string()))?
            .iter()
            .map(String::from)
            .collect();
        for (i, h) in headers.iter().enumerate() {
            if let Some(j) = headers[..i].iter().position(|g| g == h) {
                return Err(err(
                    1,
                    format!(
                        "duplicate column `{h}` in the header (columns {} and {}): every column \
                         needs its own name",
                        j + 1,
                        i + 1
                    ),
                ));
            }
        }
        let t = headers.iter().position(|h| h == target).ok_or_else(|| {
            err(
                1,
                format!(
                    "no column `{target}` in the header (columns: {})",
                    headers.join(", ")
                ),
            )
        })?;
        let names: Vec<String> = headers
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != t)
            .map(|(_, h)| h.clone())
            .collect();
        let mut columns = vec![Vec::new(); names.len()];
        let mut ys = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                err(line, e.to_string())
            })?;
            let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
            let mut c = 0;
            for (i, cell) in rec.iter().enumerate() {
                let v: f64 = cell.parse().map_err(|_| {
                    err(
                        line,
                        format!("column `{}`: `{cell}` is not a number", headers[i]),
                    )
                })?;
                if i == t {
                    ys.push(v);
                } else {
                    columns[c].push(v);
                    c += 1;
                }
            }
        }
        if ys.is_empty() {
            return Err(err(0, "no data rows".into()));
        }
        if ys.iter().all(|&y| y == ys[0]) {
            return Err(err(
                0,
                format!(
                    "target column `{target}` is constant ({}) in all {} rows: there is nothing \
                     to fit (NRMSE and R² are undefined)",
                    ys[0],
                    ys.len()
                ),
            ));
        }
        Ok(Dataset {
            names,
            columns,
            target: ys,
        })
    }

    /// Rows `idx` of this dataset.
    pub fn subset(&self, idx: &[usize]) -> Dataset {
        Dataset {
            names: self.names.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| idx.iter().map(|&i| c[i]).collect())
                .collect(),
            target: idx.iter().map(|&i| self.target[i]).collect(),
        }
    }

    /// A deterministic shuffled split: `(train, test)` with `test_fraction` of the rows held out.
    pub fn split(&self, test_fraction: f64, seed: u64) -> (Dataset, Dataset) {
        let mut idx: Vec<usize> = (0..self.rows()).collect();
        idx.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        let n_test = ((self.rows() as f64) * test_fraction).round() as usize;
        let n_test = n_test.min(self.rows().saturating_sub(1));
        let (test, train) = idx.split_at(n_test);
        (self.subset(train), self.subset(test))
    }
}
