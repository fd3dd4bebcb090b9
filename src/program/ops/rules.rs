//! Type rules and the loops the f64 kernels share.

use super::super::dtype::DType;
use super::super::value::Value;

fn is_wide(t: DType) -> bool {
    matches!(t, DType::List | DType::Prob)
}

pub(super) fn unary_numeric(a: &[DType]) -> Option<DType> {
    match a[0] {
        DType::Prob => Some(DType::List),
        t if t.is_numeric() => Some(t),
        _ => None,
    }
}

pub(super) fn binary_numeric(a: &[DType]) -> Option<DType> {
    let (x, y) = (a[0], a[1]);
    if !x.is_numeric() || !y.is_numeric() {
        return None;
    }
    Some(if is_wide(x) || is_wide(y) {
        DType::List
    } else if x == DType::Float || y == DType::Float {
        DType::Float
    } else {
        DType::Const
    })
}

pub(super) fn list_to_float(a: &[DType]) -> Option<DType> {
    is_wide(a[0]).then_some(DType::Float)
}

pub(super) fn list_to_action(a: &[DType]) -> Option<DType> {
    is_wide(a[0]).then_some(DType::Action)
}

pub(super) fn list_to_prob(a: &[DType]) -> Option<DType> {
    is_wide(a[0]).then_some(DType::Prob)
}

pub(super) fn prob_to_float(a: &[DType]) -> Option<DType> {
    (a[0] == DType::Prob).then_some(DType::Float)
}

pub(super) fn prob_prob_to_float(a: &[DType]) -> Option<DType> {
    (a[0] == DType::Prob && a[1] == DType::Prob).then_some(DType::Float)
}

pub(super) fn list_list_to_float(a: &[DType]) -> Option<DType> {
    (is_wide(a[0]) && is_wide(a[1])).then_some(DType::Float)
}

pub(super) fn select(a: &[DType]) -> Option<DType> {
    (is_wide(a[0]) && a[1] == DType::Action).then_some(DType::Float)
}

pub(super) fn qvalues(a: &[DType]) -> Option<DType> {
    (a[0] == DType::Param && a[1] == DType::State).then_some(DType::List)
}

pub(super) fn float_to_float(a: &[DType]) -> Option<DType> {
    (a[0] == DType::Float).then_some(DType::Float)
}

pub(super) fn interpolate(a: &[DType]) -> Option<DType> {
    a.iter()
        .all(|t| matches!(t, DType::Float | DType::Const))
        .then(|| {
            if a.contains(&DType::Float) {
                DType::Float
            } else {
                DType::Const
            }
        })
}

pub(super) fn update(a: &[DType]) -> Option<DType> {
    a.iter()
        .all(|t| matches!(t, DType::Float | DType::Const))
        .then_some(DType::Update)
}

pub(super) fn feature_maps(a: &[DType]) -> Option<DType> {
    a.iter()
        .all(|t| *t == DType::FeatureMap)
        .then_some(DType::FeatureMap)
}

pub(super) fn features(a: &[DType]) -> Option<DType> {
    a.iter()
        .all(|t| *t == DType::Features)
        .then_some(DType::Features)
}

/// The output of a cell: one or more inputs of the same cell type.
pub(super) fn cell_output(a: &[DType]) -> Option<DType> {
    let first = *a.first()?;
    (matches!(first, DType::FeatureMap | DType::Features) && a.iter().all(|t| *t == first))
        .then_some(first)
}

pub(super) fn constant(_: &[DType]) -> Option<DType> {
    Some(DType::Const)
}

/// Applies `f` elementwise with broadcasting; the same-shape and scalar cases are tight loops.
#[inline(always)]
pub(super) fn binary(args: &[&Value], out: &mut Value, f: impl Fn(f64, f64) -> f64) {
    let (x, y) = (args[0], args[1]);
    let rows = x.rows.max(y.rows);
    let width = x.width.max(y.width);
    out.reshape_for(rows, width);
    if x.rows == y.rows && x.width == y.width {
        for ((o, a), b) in out.data.iter_mut().zip(&x.data).zip(&y.data) {
            *o = f(*a, *b);
        }
    } else if y.is_scalar() {
        let b = y.data[0];
        for (o, a) in out.data.iter_mut().zip(&x.data) {
            *o = f(*a, b);
        }
    } else if x.is_scalar() {
        let a = x.data[0];
        for (o, b) in out.data.iter_mut().zip(&y.data) {
            *o = f(a, *b);
        }
    } else {
        for r in 0..rows {
            for c in 0..width {
                out.data[r * width + c] = f(x.at(r, c), y.at(r, c));
            }
        }
    }
}

#[inline(always)]
pub(super) fn unary(args: &[&Value], out: &mut Value, f: impl Fn(f64) -> f64) {
    let x = args[0];
    out.reshape_for(x.rows, x.width);
    for (o, a) in out.data.iter_mut().zip(&x.data) {
        *o = f(*a);
    }
}

/// Reduces each row of a `[B, A]` value to one number.
#[inline(always)]
pub(super) fn per_row(args: &[&Value], out: &mut Value, f: impl Fn(&[f64]) -> f64) {
    let x = args[0];
    out.reshape_for(x.rows, 1);
    for r in 0..x.rows {
        out.data[r] = f(&x.data[r * x.width..(r + 1) * x.width]);
    }
}

/// Population standard deviation.
pub(super) fn std_of(r: &[f64]) -> f64 {
    let n = r.len() as f64;
    let m = r.iter().sum::<f64>() / n;
    (r.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt()
}

/// `log Σ exp`, shifted by the maximum.
pub(super) fn logsumexp(r: &[f64]) -> f64 {
    let m = r.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    m + r.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}
