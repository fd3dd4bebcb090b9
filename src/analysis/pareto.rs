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
}
