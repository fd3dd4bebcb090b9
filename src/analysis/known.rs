//! Known-algorithm detection: which archived candidates are functionally equal to a shipped
//! seed program (DQN, Double DQN, undiscounted TD, DQNReg, SGD, Adam, …), and when the campaign
//! first reached each one.
//!
//! Two kinds of match, both judged on the campaign's own probe (`Evaluator::probe_outputs`) and
//! fingerprint bits:
//!
//! - **Exact**: the candidate's archived fingerprint equals the seed's (Gillard, Real et al.,
//!   "Unified Functional Hashing in Automatic Machine Learning", 2023: same truncated outputs on
//!   the probe inputs). No candidate is re-run for this.
//! - **Up to a positive constant factor**: the probe outputs divided by their largest absolute
//!   value give the same fingerprint, so `(Q − Y)²` matches DQN's `l2_distance(Q, Y) =
//!   ½(Q − Y)²` as "dqn (×2)". For a loss this is the same algorithm: Adam (what the DQN inner
//!   loop uses) is invariant to a constant rescaling of the gradient (Kingma & Ba, 2015, §2),
//!   and with plain SGD it is a change of learning rate. For an update rule or an equation the
//!   factor matters more, so scaled matches are always labelled with their factor and counted
//!   apart from exact ones. A negative factor (the same loss maximized) never matches, nor does
//!   an added constant. This needs every distinct function of the archive re-probed once (its
//!   program is in the record; cache hits share their fingerprint): measured on two 3,000-candidate
//!   CartPole archives (380 and 614 distinct functions), 0.007–0.03 s in an unoptimized build,
//!   i.e. 20–80 µs per function. Other domains cost what their fingerprinting costs during a
//!   campaign (a cell's probe trains nothing but runs a burn network: milliseconds).
//!
//! A candidate matching several seeds (two seeds that are themselves equal) is attributed to the
//! first by name; an exact match wins over a scaled one.

use crate::archive::CandidateRecord;
use crate::engine::Evaluator;
use crate::hashing::{Fingerprint, fingerprint_of_outputs};
use crate::program::Program;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// A scale factor this close to 1 is rounding noise of the truncated outputs, not a rescaling.
const UNIT_FACTOR_TOLERANCE: f64 = 1e-6;

/// The fingerprint of `outputs` divided by their largest absolute value, with that scale.
/// `None` when there is no positive finite scale (all zero, or a non-finite value), where
/// rescaling is meaningless and only exact matches count.
pub fn normalized_fingerprint(outputs: &[f64], bits: u32) -> Option<(Fingerprint, f64)> {
    if outputs.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let scale = outputs.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if scale <= 0.0 {
        return None;
    }
    let normalized: Vec<f64> = outputs.iter().map(|v| v / scale).collect();
    Some((fingerprint_of_outputs(&normalized, bits), scale))
}

/// A shipped seed program under the campaign's probe.
#[derive(Debug, Clone)]
pub struct KnownProgram {
    /// Seed name (file stem, e.g. `td_undiscounted`).
    pub name: String,
    /// Its fingerprint with the campaign's mantissa bits.
    pub fingerprint: Fingerprint,
    /// Its scale-normalized fingerprint and scale (see [`normalized_fingerprint`]).
    pub normalized: Option<(Fingerprint, f64)>,
}

/// How a candidate matches a known program.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnownMatch {
    /// The seed's name.
    pub name: String,
    /// `None` for an exact match; else the positive factor `c` with candidate = `c` × seed on
    /// every probe input.
    pub factor: Option<f64>,
}

impl KnownMatch {
    /// `dqn`, or `dqn (×2)` for a scaled match.
    pub fn label(&self) -> String {
        match self.factor {
            None => self.name.clone(),
            Some(c) => format!("{} (×{})", self.name, format_factor(c)),
        }
    }
}

/// Four significant digits, trailing zeros dropped: `2`, `0.5`, `0.1`, `1.333`.
fn format_factor(c: f64) -> String {
    let digits = (3 - c.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{c:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// When the campaign first reached one known program (one row per [`KnownMatch::label`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reached {
    /// `dqn` or `dqn (×2)`.
    pub label: String,
    /// The first matching candidate's match (name and factor).
    #[serde(flatten)]
    pub matched: KnownMatch,
    /// Id of the first matching candidate in insertion order.
    pub first_id: u64,
    /// Candidates archived up to and including it.
    pub candidates: u64,
    /// Real evaluations (cache misses) among those.
    pub evaluations: u64,
    /// Seconds from the start of the campaign's first evaluation to the moment it was archived
    /// (record times; a resumed campaign's stopped time is included).
    pub wall_secs: f64,
    /// Candidates in the archive with this label.
    pub copies: u64,
}

/// The result of [`detect`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct KnownReport {
    /// Known programs checked (seed names).
    pub checked: Vec<String>,
    /// Seeds that could not be checked in this space, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Candidate id → its match, for every matching candidate.
    pub matches: BTreeMap<u64, KnownMatch>,
    /// One row per label reached, in the order they were reached.
    pub reached: Vec<Reached>,
    /// Distinct functions re-probed for the scaled match.
    pub reprobed: usize,
    /// Seconds spent probing (seeds and re-probed candidates).
    pub probe_secs: f64,
}

/// Fingerprints the seed programs `(name, JSON)` under `evaluator`'s probe with `bits` kept
/// mantissa bits. Seeds that do not parse or are invalid in the evaluator's space are returned
/// apart with the reason.
pub fn known_programs(
    evaluator: &dyn Evaluator,
    seeds: &[(String, String)],
    bits: u32,
) -> (Vec<KnownProgram>, Vec<(String, String)>) {
    let mut known = Vec::new();
    let mut skipped = Vec::new();
    for (name, text) in seeds {
        let program = match Program::from_json(text, name) {
            Ok(p) => p,
            Err(e) => {
                skipped.push((name.clone(), e.to_string()));
                continue;
            }
        };
        if let Err(e) = crate::program::validate::validate(&program, evaluator.space()) {
            skipped.push((name.clone(), e.to_string()));
            continue;
        }
        let outputs = evaluator.probe_outputs(&program);
        known.push(KnownProgram {
            name: name.clone(),
            fingerprint: fingerprint_of_outputs(&outputs, bits),
            normalized: normalized_fingerprint(&outputs, bits),
        });
    }
    known.sort_by(|a, b| a.name.cmp(&b.name));
    (known, skipped)
}

/// Marks every record functionally equal to a seed program (exactly, or up to a positive
/// factor when `scaled`), and when each was first reached.
///
/// `records` in any order (sorted by insertion here); `evaluator` is the campaign's (rebuilt
/// from its archived settings); `seeds` as `(name, JSON)`, e.g. [`crate::catalog::seeds`];
/// `bits` the campaign's kept mantissa bits (`fec.mantissa_bits`).
pub fn detect(
    records: &[CandidateRecord],
    evaluator: &dyn Evaluator,
    seeds: &[(String, String)],
    bits: u32,
    scaled: bool,
) -> KnownReport {
    let start = Instant::now();
    let (known, skipped) = known_programs(evaluator, seeds, bits);
    let mut recs: Vec<&CandidateRecord> = records.iter().collect();
    recs.sort_by_key(|r| r.seq);

    // One decision per distinct fingerprint: equal fingerprints are the same function.
    let mut by_fingerprint: HashMap<Fingerprint, Option<KnownMatch>> = HashMap::new();
    let mut reprobed = 0;
    for r in &recs {
        if by_fingerprint.contains_key(&r.fingerprint) {
            continue;
        }
        let exact = known
            .iter()
            .find(|k| k.fingerprint == r.fingerprint)
            .map(|k| KnownMatch {
                name: k.name.clone(),
                factor: None,
            });
        let m = if exact.is_some() || !scaled || known.is_empty() {
            exact
        } else {
            reprobed += 1;
            // A damaged record matches nothing (`gevo verify` reports it).
            r.program()
                .ok()
                .and_then(|p| scaled_match(&known, &evaluator.probe_outputs(&p), bits))
        };
        by_fingerprint.insert(r.fingerprint, m);
    }

    let t0 = recs
        .first()
        .map(|r| r.created_unix - r.cost.wall_secs.max(0.0))
        .unwrap_or(0.0);
    let mut report = KnownReport {
        checked: known.iter().map(|k| k.name.clone()).collect(),
        skipped,
        reprobed,
        ..KnownReport::default()
    };
    let mut row_of: HashMap<String, usize> = HashMap::new();
    let mut evaluations = 0u64;
    for (k, r) in recs.iter().enumerate() {
        if !r.fec_hit {
            evaluations += 1;
        }
        let Some(m) = by_fingerprint.get(&r.fingerprint).cloned().flatten() else {
            continue;
        };
        let label = m.label();
        match row_of.get(&label) {
            Some(&i) => report.reached[i].copies += 1,
            None => {
                row_of.insert(label.clone(), report.reached.len());
                report.reached.push(Reached {
                    label,
                    matched: m.clone(),
                    first_id: r.id,
                    candidates: k as u64 + 1,
                    evaluations,
                    wall_secs: (r.created_unix - t0).max(0.0),
                    copies: 1,
                });
            }
        }
        report.matches.insert(r.id, m);
    }
    report.probe_secs = start.elapsed().as_secs_f64();
    report
}

/// The first seed (by name) whose normalized fingerprint equals that of `outputs`.
fn scaled_match(known: &[KnownProgram], outputs: &[f64], bits: u32) -> Option<KnownMatch> {
    let (fp, scale) = normalized_fingerprint(outputs, bits)?;
    known.iter().find_map(|k| {
        let (kfp, kscale) = k.normalized?;
        (kfp == fp).then(|| {
            let c = scale / kscale;
            KnownMatch {
                name: k.name.clone(),
                factor: ((c - 1.0).abs() > UNIT_FACTOR_TOLERANCE).then_some(c),
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains::rl_loss::probe::LossProbe;
    use crate::engine::{EvalContext, Evaluation};
    use crate::program::space::SearchSpace;
    use crate::program::{Node, OpId};

    /// The RL probe behind the `Evaluator` trait (scoring is never called here).
    struct ProbeOnly {
        space: SearchSpace,
        probe: LossProbe,
    }

    impl Evaluator for ProbeOnly {
        fn space(&self) -> &SearchSpace {
            &self.space
        }
        fn task_name(&self) -> &str {
            "probe"
        }
        fn evaluate(&self, _: &Program, _: &EvalContext) -> Evaluation {
            unreachable!("detection never evaluates")
        }
        fn probe_outputs(&self, p: &Program) -> Vec<f64> {
            self.probe.outputs(p)
        }
    }

    fn evaluator() -> ProbeOnly {
        ProbeOnly {
            space: crate::catalog::load_space("rl_loss").unwrap(),
            probe: LossProbe::new(),
        }
    }

    fn seed(name: &str) -> Program {
        let (_, text) = crate::catalog::seeds("rl_loss")
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap();
        Program::from_json(&text, name).unwrap()
    }

    fn node(op: &str, args: &[usize], value: Option<f64>) -> Node {
        Node {
            op: OpId::by_name(op).unwrap(),
            args: args.to_vec(),
            value,
        }
    }

    /// DQN's TD error δ = Q(s,a) − (r + γ·max Q'(s')) at node 13, then `tail` on top.
    fn dqn_error_then(tail: &[(&str, &[usize], Option<f64>)]) -> Program {
        let mut p = seed("dqn");
        p.nodes.truncate(6); // up to Y = r + γ·max Q' (node 12)
        p.nodes.push(node("sub", &[8, 12], None)); // 13
        for (op, args, value) in tail {
            p.nodes.push(node(op, args, *value));
        }
        p.output = 7 + p.nodes.len() - 1;
        crate::program::validate::validate(&p, &evaluator().space).unwrap();
        p
    }

    fn record(id: u64, p: &Program, ev: &ProbeOnly, fec_hit: bool) -> CandidateRecord {
        CandidateRecord {
            id,
            seq: id,
            program: p.to_json(),
            expression: crate::program::print::infix(p),
            size: p.nodes.len(),
            fingerprint: fingerprint_of_outputs(&ev.probe_outputs(p), 24),
            structural_hash: 0,
            fitness: Some(0.0),
            test_score: None,
            details: Vec::new(),
            outcome: crate::engine::Outcome::Ok,
            parent: None,
            mutation: None,
            seed: None,
            fec_hit,
            cost: Default::default(),
            created_unix: 100.0 + id as f64,
        }
    }

    #[test]
    fn squared_error_is_dqn_times_two_and_a_tenth_of_it_is_dqn_times_a_tenth() {
        let ev = evaluator();
        let squared = dqn_error_then(&[("square", &[13], None)]);
        let tenth = dqn_error_then(&[
            ("square", &[13], None),
            ("const", &[], Some(0.05)),
            ("mul", &[15, 14], None),
        ]);
        let seeds = crate::catalog::seeds("rl_loss");
        let records = [
            record(0, &squared, &ev, false),
            record(1, &tenth, &ev, false),
        ];
        let r = detect(&records, &ev, &seeds, 24, true);
        assert_eq!(r.matches[&0].label(), "dqn (×2)");
        assert_eq!(r.matches[&1].label(), "dqn (×0.1)");
        // Without the scaled match neither is DQN: their fingerprints differ from DQN's.
        let exact_only = detect(&records, &ev, &seeds, 24, false);
        assert!(exact_only.matches.is_empty(), "{:?}", exact_only.matches);
        assert_eq!(exact_only.reprobed, 0);
    }

    #[test]
    fn different_losses_do_not_match() {
        let ev = evaluator();
        // |δ| (not a rescaling of δ²), −½δ² (negative factor) and ½δ² + 1 (shifted).
        let programs = [
            dqn_error_then(&[("abs", &[13], None)]),
            dqn_error_then(&[
                ("square", &[13], None),
                ("const", &[], Some(-0.5)),
                ("mul", &[15, 14], None),
            ]),
            dqn_error_then(&[
                ("square", &[13], None),
                ("const", &[], Some(0.5)),
                ("mul", &[15, 14], None),
                ("const", &[], Some(1.0)),
                ("add", &[16, 17], None),
            ]),
        ];
        let records: Vec<CandidateRecord> = programs
            .iter()
            .enumerate()
            .map(|(i, p)| record(i as u64, p, &ev, false))
            .collect();
        let r = detect(&records, &ev, &crate::catalog::seeds("rl_loss"), 24, true);
        assert!(r.matches.is_empty(), "{:?}", r.matches);
        assert!(r.reached.is_empty());
        assert_eq!(r.reprobed, 3);
    }

    #[test]
    fn every_shipped_seed_is_found_exactly_with_first_reach_and_copies() {
        let ev = evaluator();
        let seeds = crate::catalog::seeds("rl_loss");
        // TD written with a redundant max(Q, Q): same function as `td_undiscounted`.
        let mut td = seed("td_undiscounted");
        td.nodes.push(node("max", &[8, 8], None)); // 13
        let y = 11;
        td.nodes.push(node("l2_distance", &[13, y], None)); // 14
        td.output = 14;
        crate::program::validate::validate(&td, &ev.space).unwrap();
        let mut records = vec![
            record(0, &seed("dqn_reg"), &ev, false),
            record(1, &td, &ev, false),
            record(2, &seed("td_undiscounted"), &ev, true),
        ];
        for (i, (name, text)) in seeds.iter().enumerate() {
            let p = Program::from_json(text, name).unwrap();
            records.push(record(3 + i as u64, &p, &ev, false));
        }
        let r = detect(&records, &ev, &seeds, 24, true);
        assert!(r.skipped.is_empty(), "{:?}", r.skipped);
        assert_eq!(r.checked.len(), seeds.len());
        assert_eq!(r.matches.len(), records.len());
        let td_row = r.reached.iter().find(|x| x.label == "td_undiscounted");
        let td_row = td_row.expect("TD reached");
        assert_eq!(
            (td_row.first_id, td_row.candidates, td_row.evaluations),
            (1, 2, 2)
        );
        assert_eq!(td_row.copies, 3);
        assert_eq!(td_row.wall_secs, 1.0);
        assert_eq!(r.reached[0].label, "dqn_reg");
        assert_eq!(r.reached.len(), seeds.len(), "{:?}", r.reached);
        assert!(r.reached.iter().all(|x| x.matched.factor.is_none()));
    }

    #[test]
    fn normalization_needs_a_positive_finite_scale() {
        assert!(normalized_fingerprint(&[0.0, 0.0], 24).is_none());
        assert!(normalized_fingerprint(&[1.0, f64::NAN], 24).is_none());
        let (a, sa) = normalized_fingerprint(&[1.0, -3.0], 24).unwrap();
        let (b, sb) = normalized_fingerprint(&[0.5, -1.5], 24).unwrap();
        assert_eq!((a, sa / sb), (b, 2.0));
        let (c, _) = normalized_fingerprint(&[-0.5, 1.5], 24).unwrap();
        assert_ne!(a, c);
        assert_eq!(format_factor(2.0), "2");
        assert_eq!(format_factor(0.1), "0.1");
        assert_eq!(format_factor(4.0 / 3.0), "1.333");
    }
}
