//! The Nguyen benchmark suite (Uy, Hoai, O'Neill, McKay, Galván-López, "Semantically-based
//! crossover in genetic programming", GPEM 12(2), 2011, Table 1).
//!
//! Nguyen-1..8 take one variable x with 20 points from U[-1, 1] (Nguyen-7 from U[0, 2],
//! Nguyen-8 from U[0, 4]); Nguyen-9..12 take x, y with 20 points from U[0, 1].

use super::Dataset;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One benchmark: its formula, variables and sampling range.
pub struct Benchmark {
    /// `nguyen-1` … `nguyen-12`.
    pub name: &'static str,
    /// The target formula in plain text.
    pub formula: &'static str,
    /// Number of variables (1 or 2).
    pub variables: usize,
    /// Sampling range of every variable.
    pub range: (f64, f64),
    /// The target function.
    pub f: fn(&[f64]) -> f64,
}

/// All twelve benchmarks.
pub static BENCHMARKS: &[Benchmark] = &[
    Benchmark {
        name: "nguyen-1",
        formula: "x^3 + x^2 + x",
        variables: 1,
        range: (-1.0, 1.0),
        f: |v| v[0].powi(3) + v[0].powi(2) + v[0],
    },
    Benchmark {
        name: "nguyen-2",
        formula: "x^4 + x^3 + x^2 + x",
        variables: 1,
        range: (-1.0, 1.0),
        f: |v| (1..=4).map(|k| v[0].powi(k)).sum(),
    },
    Benchmark {
        name: "nguyen-3",
        formula: "x^5 + x^4 + x^3 + x^2 + x",
        variables: 1,
        range: (-1.0, 1.0),
        f: |v| (1..=5).map(|k| v[0].powi(k)).sum(),
    },
    Benchmark {
        name: "nguyen-4",
        formula: "x^6 + x^5 + x^4 + x^3 + x^2 + x",
        variables: 1,
        range: (-1.0, 1.0),
        f: |v| (1..=6).map(|k| v[0].powi(k)).sum(),
    },
    Benchmark {
        name: "nguyen-5",
        formula: "sin(x^2) cos(x) - 1",
        variables: 1,
        range: (-1.0, 1.0),
        f: |v| (v[0] * v[0]).sin() * v[0].cos() - 1.0,
    },
    Benchmark {
        name: "nguyen-6",
        formula: "sin(x) + sin(x + x^2)",
        variables: 1,
        range: (-1.0, 1.0),
        f: |v| v[0].sin() + (v[0] + v[0] * v[0]).sin(),
    },
    Benchmark {
        name: "nguyen-7",
        formula: "log(x + 1) + log(x^2 + 1)",
        variables: 1,
        range: (0.0, 2.0),
        f: |v| (v[0] + 1.0).ln() + (v[0] * v[0] + 1.0).ln(),
    },
    Benchmark {
        name: "nguyen-8",
        formula: "sqrt(x)",
        variables: 1,
        range: (0.0, 4.0),
        f: |v| v[0].sqrt(),
    },
    Benchmark {
        name: "nguyen-9",
        formula: "sin(x) + sin(y^2)",
        variables: 2,
        range: (0.0, 1.0),
        f: |v| v[0].sin() + (v[1] * v[1]).sin(),
    },
    Benchmark {
        name: "nguyen-10",
        formula: "2 sin(x) cos(y)",
        variables: 2,
        range: (0.0, 1.0),
        f: |v| 2.0 * v[0].sin() * v[1].cos(),
    },
    Benchmark {
        name: "nguyen-11",
        formula: "x^y",
        variables: 2,
        range: (0.0, 1.0),
        f: |v| v[0].powf(v[1]),
    },
    Benchmark {
        name: "nguyen-12",
        formula: "x^4 - x^3 + y^2/2 - y",
        variables: 2,
        range: (0.0, 1.0),
        f: |v| v[0].powi(4) - v[0].powi(3) + 0.5 * v[1] * v[1] - v[1],
    },
];

/// Looks a benchmark up by name.
pub fn benchmark(name: &str) -> Option<&'static Benchmark> {
    BENCHMARKS.iter().find(|b| b.name == name)
}

impl Benchmark {
    /// `n` points drawn uniformly from the benchmark's range with a seeded RNG.
    pub fn sample(&self, n: usize, seed: u64) -> Dataset {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let names: Vec<String> = ["x", "y"][..self.variables]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut columns = vec![Vec::with_capacity(n); self.variables];
        let mut target = Vec::with_capacity(n);
        let mut row = vec![0.0; self.variables];
        for _ in 0..n {
            for (j, v) in row.iter_mut().enumerate() {
                *v = rng.random_range(self.range.0..self.range.1);
                columns[j].push(*v);
            }
            target.push((self.f)(&row));
        }
        Dataset {
            names,
            columns,
            target,
        }
    }
}
