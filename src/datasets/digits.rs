//! The UCI handwritten digits (8×8 images, 1,797 rows; `tasks/data/digits.csv`, CC BY 4.0):
//! loading, scaling to [0, 1] and a seeded train/validation/test split.

use anyhow::{Context, bail};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// The shipped copy, used when a task names `data/digits.csv` and no file is on disk.
pub const EMBEDDED_DIGITS: &str = include_str!("../../tasks/data/digits.csv");

/// Pixels per image.
pub const NUM_FEATURES: usize = 64;
/// Classes (digits 0–9).
pub const NUM_CLASSES: usize = 10;

/// Images and labels: `x` is `[n, 64]` row-major in [0, 1], `y` is `[n]` in `0..10`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Digits {
    /// Pixels scaled by 1/16, row-major `[n, 64]`.
    pub x: Vec<f32>,
    /// Labels.
    pub y: Vec<usize>,
}

impl Digits {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Rows `idx` as a new set.
    pub fn subset(&self, idx: &[usize]) -> Digits {
        let mut x = Vec::with_capacity(idx.len() * NUM_FEATURES);
        for &i in idx {
            x.extend_from_slice(&self.x[i * NUM_FEATURES..(i + 1) * NUM_FEATURES]);
        }
        Digits {
            x,
            y: idx.iter().map(|&i| self.y[i]).collect(),
        }
    }
}

impl Digits {
    /// Rows `idx` as tensors on `device`: images `[B, 64]` and one-hot labels `[B, 10]`.
    pub fn tensors(&self, idx: &[usize], device: &Device) -> (Tensor<2>, Tensor<2>) {
        let mut x = Vec::with_capacity(idx.len() * NUM_FEATURES);
        let mut onehot = vec![0f32; idx.len() * NUM_CLASSES];
        for (r, &i) in idx.iter().enumerate() {
            x.extend_from_slice(&self.x[i * NUM_FEATURES..(i + 1) * NUM_FEATURES]);
            onehot[r * NUM_CLASSES + self.y[i]] = 1.0;
        }
        (
            Tensor::from_data(TensorData::new(x, [idx.len(), NUM_FEATURES]), device),
            Tensor::from_data(TensorData::new(onehot, [idx.len(), NUM_CLASSES]), device),
        )
    }
}

/// Mean cross-entropy `[1]` (nats) of logits `[B, 10]` against one-hot targets `[B, 10]`.
pub fn cross_entropy(logits: Tensor<2>, onehot: Tensor<2>) -> Tensor<1> {
    let b = logits.dims()[0] as f64;
    (log_softmax(logits, 1) * onehot).sum().mul_scalar(-1.0 / b)
}

/// Mean cross-entropy and accuracy of logits `[n, 10]` computed for all of `data`.
pub fn loss_and_accuracy(logits: Tensor<2>, data: &Digits) -> (f64, f64) {
    let idx: Vec<usize> = (0..data.len()).collect();
    let (_, onehot) = data.tensors(&idx, &logits.device());
    let loss = cross_entropy(logits.clone(), onehot).into_scalar::<f32>() as f64;
    let z: Vec<f32> = logits.into_data().iter::<f32>().collect();
    let correct = data
        .y
        .iter()
        .enumerate()
        .filter(|(r, y)| {
            let row = &z[r * NUM_CLASSES..(r + 1) * NUM_CLASSES];
            let best = (0..NUM_CLASSES).fold(0, |b, k| if row[k] > row[b] { k } else { b });
            best == **y
        })
        .count();
    (loss, correct as f64 / data.len().max(1) as f64)
}

/// Minibatches drawn without replacement, reshuffled at the end of each epoch.
#[derive(Debug, Clone)]
pub struct Minibatches {
    order: Vec<usize>,
    cursor: usize,
    size: usize,
}

impl Minibatches {
    /// Batches of `size` rows out of `n`.
    pub fn new(n: usize, size: usize) -> Self {
        Minibatches {
            order: (0..n).collect(),
            cursor: n,
            size: size.clamp(1, n.max(1)),
        }
    }

    /// The next batch's row indices.
    pub fn next_batch(&mut self, rng: &mut ChaCha8Rng) -> &[usize] {
        if self.cursor + self.size > self.order.len() {
            self.order.shuffle(rng);
            self.cursor = 0;
        }
        self.cursor += self.size;
        &self.order[self.cursor - self.size..self.cursor]
    }
}

/// Parses the CSV text (header row, 64 pixel columns, then the label); `origin` names it in
/// errors.
///
/// # Errors
/// A row with the wrong number of fields, a non-numeric field, a label outside 0–9 — each with
/// the file and line.
pub fn parse(text: &str, origin: &str) -> anyhow::Result<Digits> {
    let mut d = Digits::default();
    for (lineno, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != NUM_FEATURES + 1 {
            bail!(
                "{origin}:{}: expected {} fields (64 pixels and the digit), found {}",
                lineno + 1,
                NUM_FEATURES + 1,
                fields.len()
            );
        }
        for f in &fields[..NUM_FEATURES] {
            let v: f32 = f
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("{origin}:{}: `{f}` is not a number", lineno + 1))?;
            d.x.push(v / 16.0);
        }
        let label: usize = fields[NUM_FEATURES]
            .trim()
            .parse()
            .ok()
            .filter(|l| *l < 10)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{origin}:{}: label `{}` is not a digit 0-9",
                    lineno + 1,
                    fields[NUM_FEATURES]
                )
            })?;
        d.y.push(label);
    }
    if d.is_empty() {
        bail!("{origin}: no rows");
    }
    Ok(d)
}

/// Loads `path` (relative paths resolve against `base`, the task file's folder). A task that
/// names `data/digits.csv` gets the shipped copy when no such file is on disk.
///
/// # Errors
/// A missing or malformed file, named with its path.
pub fn load(path: &str, base: Option<&Path>) -> anyhow::Result<Digits> {
    let p = match base {
        Some(b) if Path::new(path).is_relative() => b.join(path),
        _ => Path::new(path).to_path_buf(),
    };
    if p.is_file() {
        let text = std::fs::read_to_string(&p)
            .with_context(|| format!("{}: cannot read the dataset", p.display()))?;
        return parse(&text, &p.display().to_string());
    }
    if path == "data/digits.csv" {
        return parse(EMBEDDED_DIGITS, "<embedded>/tasks/data/digits.csv");
    }
    bail!("{}: dataset file not found", p.display())
}

/// A seeded split into train/validation/test with the given fractions for the first two (the
/// rest is test).
pub fn split(d: &Digits, seed: u64, train: f64, validation: f64) -> (Digits, Digits, Digits) {
    let mut idx: Vec<usize> = (0..d.len()).collect();
    idx.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    let n_tr = (d.len() as f64 * train).round() as usize;
    let n_va = (d.len() as f64 * validation).round() as usize;
    (
        d.subset(&idx[..n_tr]),
        d.subset(&idx[n_tr..n_tr + n_va]),
        d.subset(&idx[n_tr + n_va..]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_digits_parse_and_split() {
        let d = parse(EMBEDDED_DIGITS, "digits.csv").unwrap();
        assert_eq!(d.len(), 1797);
        assert!(d.x.iter().all(|v| (0.0..=1.0).contains(v)));
        let (tr, va, te) = split(&d, 0, 0.6, 0.2);
        assert_eq!(tr.len() + va.len() + te.len(), 1797);
        assert_eq!(va.len(), 359);
    }

    #[test]
    fn malformed_rows_name_the_line() {
        let e = parse("h\n1,2,3\n", "bad.csv").unwrap_err().to_string();
        assert!(e.contains("bad.csv:2") && e.contains("expected 65"), "{e}");
        assert!(
            load("nope/missing.csv", None)
                .unwrap_err()
                .to_string()
                .contains("not found")
        );
    }
}
