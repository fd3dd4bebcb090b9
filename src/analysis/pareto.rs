//! The hall of fame: the best program of each size, and which of them lie on the Pareto front
//! of fitness vs. complexity (as in PySR's hall of fame; Cranmer 2023, §3).

use crate::archive::CandidateRecord;
use serde::Serialize;

/// The best candidate of one size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HallOfFameEntry {
    /// Complexity: live op nodes (constants included).
    pub size: usize,
    /// Candidate id.
    pub id: u64,
    /// Its fitness (larger is better).
    pub fitness: f64,
    /// Its held-out score, when the domain has one.
    pub test_score: Option<f64>,
    /// Its infix expression.
    pub expression: String,
    /// Whether no smaller program is at least as fit (the Pareto front).
    pub pareto: bool,
}

/// Best candidate per size over fully evaluated records (outcome `ok`, finite fitness; hurdle
/// stops are left out as their fitness covers only the first stage), sorted by size; ties go to
/// the earlier candidate.
pub fn hall_of_fame(records: &[CandidateRecord]) -> Vec<HallOfFameEntry> {
    let mut best: std::collections::BTreeMap<usize, &CandidateRecord> = Default::default();
    for r in records {
        let Some(f) = r.fitness.filter(|f| f.is_finite()) else {
            continue;
        };
        if r.outcome != crate::engine::Outcome::Ok {
            continue;
        }
        let better = match best.get(&r.size) {
            None => true,
            Some(b) => {
                let bf = b.fitness.unwrap_or(f64::NEG_INFINITY);
                f > bf || (f == bf && r.id < b.id)
            }
        };
        if better {
            best.insert(r.size, r);
        }
    }
    let mut front = f64::NEG_INFINITY;
    best.into_values()
        .map(|r| {
            let fitness = r.fitness.unwrap_or(f64::NEG_INFINITY);
            let pareto = fitness > front;
            front = front.max(fitness);
            HallOfFameEntry {
                size: r.size,
                id: r.id,
                fitness,
                test_score: r.test_score,
                expression: r.expression.clone(),
                pareto,
            }
        })
        .collect()
}

/// The model PySR's `model_selection = "best"` rule picks from a hall of fame (Cranmer 2023,
/// §3; PySR's `choose_best`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommended {
    /// Candidate id.
    pub id: u64,
    /// Its size (complexity).
    pub size: usize,
    /// Its loss (symbolic regression: training MSE).
    pub loss: f64,
    /// `−Δ ln(loss) / Δ size` against the previous front entry (0 for the smallest).
    pub score: f64,
    /// Its infix expression.
    pub expression: String,
}

/// PySR's recommended model: walk the Pareto front by size, score each entry by the drop of
/// log loss per unit of complexity from the previous entry, `−(ln L_i − ln L_{i−1}) /
/// (s_i − s_{i−1})`, and among the entries whose loss is at most 1.5× the front's lowest,
/// return the best-scored (ties: the smaller). `loss(id)` gives an entry's loss (lower is
/// better); entries without one are left out, so `None` when no front entry has a loss.
/// Losses are floored at the smallest positive f64, so an exact fit scores very high rather
/// than infinitely.
pub fn recommended(
    entries: &[HallOfFameEntry],
    loss: impl Fn(u64) -> Option<f64>,
) -> Option<Recommended> {
    let front: Vec<(&HallOfFameEntry, f64)> = entries
        .iter()
        .filter(|e| e.pareto)
        .filter_map(|e| {
            let l = loss(e.id).filter(|l| l.is_finite() && *l >= 0.0)?;
            Some((e, l.max(f64::MIN_POSITIVE)))
        })
        .collect();
    let min_loss = front.iter().map(|(_, l)| *l).fold(f64::INFINITY, f64::min);
    let mut best: Option<Recommended> = None;
    let mut prev: Option<(usize, f64)> = None;
    for (e, l) in front {
        let score = match prev {
            None => 0.0,
            Some((s, pl)) => -(l.ln() - pl.ln()) / (e.size - s) as f64,
        };
        // A front entry can have a higher loss than a smaller one when the losses disagree
        // with the fitness ranking; keep the walk monotone in loss.
        if prev.is_none_or(|(_, pl)| l <= pl) {
            prev = Some((e.size, l));
        }
        if l <= 1.5 * min_loss && best.as_ref().is_none_or(|b| score > b.score) {
            best = Some(Recommended {
                id: e.id,
                size: e.size,
                loss: l,
                score,
                expression: e.expression.clone(),
            });
        }
    }
    best
}

/// Writes the hall of fame as CSV (`size,id,fitness,test_score,pareto,expression`).
///
/// # Errors
/// I/O or CSV errors from the writer.
pub fn write_csv<W: std::io::Write>(entries: &[HallOfFameEntry], w: W) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record([
        "size",
        "id",
        "fitness",
        "test_score",
        "pareto",
        "expression",
    ])?;
    for e in entries {
        out.write_record([
            e.size.to_string(),
            e.id.to_string(),
            e.fitness.to_string(),
            e.test_score.map(|t| t.to_string()).unwrap_or_default(),
            e.pareto.to_string(),
            e.expression.clone(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::history::tests::record;

    #[test]
    fn best_per_size_and_front() {
        let recs = vec![
            record(0, Some(0.3), 1, false),
            record(1, Some(0.2), 2, false),
            record(2, Some(0.25), 2, false),
            record(3, Some(0.9), 5, false),
            record(4, None, 1, false),
            record(5, Some(0.9), 5, false),
        ];
        let h = hall_of_fame(&recs);
        let got: Vec<_> = h.iter().map(|e| (e.size, e.id, e.pareto)).collect();
        assert_eq!(got, vec![(1, 0, true), (2, 2, false), (5, 3, true)]);
        let mut buf = Vec::new();
        write_csv(&h, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(
            text.starts_with("size,id,fitness,test_score,pareto,expression\n1,0,0.3,,true,p0\n")
        );
    }

    fn entry(size: usize, id: u64) -> HallOfFameEntry {
        HallOfFameEntry {
            size,
            id,
            fitness: 0.0,
            test_score: None,
            expression: format!("e{id}"),
            pareto: true,
        }
    }

    #[test]
    fn recommended_is_the_largest_log_loss_drop_per_size_near_the_best_loss() {
        // Losses along the front: 1 → 0.5 (size 3) → 1e-6 (size 5) → 0.9e-6 (size 9).
        let front = vec![entry(1, 10), entry(3, 11), entry(5, 12), entry(9, 13)];
        let losses = [(10, 1.0), (11, 0.5), (12, 1e-6), (13, 0.9e-6)];
        let loss = |id| losses.iter().find(|(i, _)| *i == id).map(|(_, l)| *l);
        let r = recommended(&front, loss).unwrap();
        // Size 5 drops ln(0.5/1e-6)/2 ≈ 6.6 per unit; size 9 only ln(1/0.9)/4 ≈ 0.03.
        assert_eq!((r.id, r.size), (12, 5));
        assert!((r.score - (0.5f64 / 1e-6).ln() / 2.0).abs() < 1e-12);
        // Size 3 has the largest drop of all but is far from the lowest loss.
        let far = vec![entry(1, 10), entry(2, 11), entry(30, 12)];
        let losses = [(10, 1.0), (11, 1e-3), (12, 1e-4)];
        let loss = |id| losses.iter().find(|(i, _)| *i == id).map(|(_, l)| *l);
        assert_eq!(recommended(&far, loss).unwrap().id, 12);
        // No losses (not a symbolic-regression archive): no recommendation.
        assert_eq!(recommended(&front, |_| None), None);
    }
}
