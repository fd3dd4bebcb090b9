//! Batched f64 values flowing through the CPU interpreter.

/// A node's value on the CPU path: `rows × width` numbers, row-major.
///
/// A `Float` column is `[B]` (width 1), a `List`/`Prob`/`State` is `[B, width]`, an `Action` is
/// `[B]` of integer-valued numbers, a `Const` is a single number (`rows = width = 1`) that
/// broadcasts, and a `Param` holds the index of a Q-network in the evaluation context.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Value {
    /// The numbers, row-major, `rows * width` of them.
    pub data: Vec<f64>,
    /// Number of rows (`B`, or 1 for a broadcast scalar).
    pub rows: usize,
    /// Numbers per row (1 for per-row scalars).
    pub width: usize,
}

impl Value {
    /// A broadcast scalar.
    pub fn scalar(x: f64) -> Self {
        Value {
            data: vec![x],
            rows: 1,
            width: 1,
        }
    }

    /// A `[rows]` column.
    pub fn column(data: Vec<f64>) -> Self {
        let rows = data.len();
        Value {
            data,
            rows,
            width: 1,
        }
    }

    /// A `[rows, width]` matrix from row-major data.
    pub fn matrix(data: Vec<f64>, width: usize) -> Self {
        assert!(
            width > 0 && data.len().is_multiple_of(width),
            "matrix data not a multiple of width"
        );
        let rows = data.len() / width;
        Value { data, rows, width }
    }

    /// Resize in place to `rows × width`, reusing the allocation.
    pub fn reshape_for(&mut self, rows: usize, width: usize) {
        self.rows = rows;
        self.width = width;
        self.data.resize(rows * width, 0.0);
    }

    /// Whether this value is a broadcast scalar.
    pub fn is_scalar(&self) -> bool {
        self.rows == 1 && self.width == 1
    }

    /// Element `(r, c)` with broadcasting over rows (scalars) and columns (width-1 columns).
    #[inline]
    pub fn at(&self, r: usize, c: usize) -> f64 {
        let r = if self.rows == 1 { 0 } else { r };
        let c = if self.width == 1 { 0 } else { c };
        self.data[r * self.width + c]
    }

    /// The value broadcast to `rows × width` as a flat vector (used by fingerprints).
    pub fn broadcast_to(&self, rows: usize, width: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(rows * width);
        for r in 0..rows {
            for c in 0..width {
                out.push(self.at(r, c));
            }
        }
        out
    }
}
