//! The campaign report behind `gevo report DIR`: the figures a paper or a lab notebook needs,
//! gathered from an archive and rendered as Markdown (GitHub-flavoured tables, figures linked as
//! SVG files written next to it).
//!
//! Everything here is computed from records and settings the caller passes in; nothing trains or
//! writes the archive. The one optional section that trains, the comparison against the space's
//! seed programs, is filled by the caller ([`Comparison::Done`]) with scores from
//! [`super::stats::scores_under_seeds`] and the paired test of [`super::stats::paired_comparison`],
//! the same code `gevo compare` uses.
//!
//! Intervals are two-sided 95 % Student-t confidence intervals of the mean over independent
//! training runs (seeds): `mean ± t(0.975, n − 1) · s / √n`, `s` the sample standard deviation
//! (n − 1 denominator). With one run there is no interval and the report says so.

use super::known::KnownReport;
use super::stats::PairedComparison;
use crate::archive::CandidateRecord;
use crate::engine::Outcome;
use crate::hashing::Fingerprint;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// Mean, spread and 95 % interval of independent scores (one per training run).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Number of scores.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 denominator); `None` for one score.
    pub std: Option<f64>,
    /// Two-sided 95 % Student-t confidence interval of the mean; `None` for one score.
    pub ci95: Option<(f64, f64)>,
}

/// [`Summary`] of `scores`; `None` when there are none (non-finite scores are left out).
pub fn summarize(scores: &[f64]) -> Option<Summary> {
    let v: Vec<f64> = scores.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    let n = v.len();
    let mean = v.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Some(Summary {
            n,
            mean,
            std: None,
            ci95: None,
        });
    }
    let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    // n − 1 ≥ 1 degrees of freedom always form a valid distribution.
    let ci95 = StudentsT::new(0.0, 1.0, (n - 1) as f64).ok().map(|dist| {
        let half = dist.inverse_cdf(0.975) * std / (n as f64).sqrt();
        (mean - half, mean + half)
    });
    Some(Summary {
        n,
        mean,
        std: Some(std),
        ci95,
    })
}

/// Per-program scores of a final re-evaluation (AutoML-Zero's T_select/final split; issue 13,
/// 3(b)): the program re-trained with fresh seeds after the search, one score per seed.
/// `gevo reevaluate` stores these; the report renders whatever list it is given and says how
/// to run one when the list is empty.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinalScores {
    /// The archived candidate re-evaluated.
    pub candidate: u64,
    /// One training-task score per fresh seed.
    pub train: Vec<f64>,
    /// One held-out score per fresh seed (empty when the task has no held-out environments).
    pub held_out: Vec<f64>,
}

/// One distinct program (functional hash) among the best of the campaign.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramRow {
    /// Rank, from 1.
    pub rank: usize,
    /// The earliest archived candidate of this function among the best-ranked.
    pub id: u64,
    /// The fitness it is ranked by: the cache's mean over its real evaluations when it has
    /// several, else the record's own (as `gevo inspect` ranks).
    pub ranking_fitness: f64,
    /// Candidates in the archive with this functional hash (cache hits included).
    pub copies: u64,
    /// Real evaluations of this function.
    pub real_evaluations: u64,
    /// Every training run's score over its real evaluations: each `seed<k>/fitness` detail of
    /// a multi-seed evaluation, else the evaluation's fitness.
    pub train: Vec<f64>,
    /// Held-out (test) scores of its real evaluations (each the mean over that evaluation's
    /// seeds); empty when the task has none.
    pub held_out: Vec<f64>,
    /// Simplified infix expression.
    pub infix: String,
    /// Simplified LaTeX (math mode, no delimiters); `None` when the program does not type-check.
    pub latex: Option<String>,
    /// Known algorithm it equals (`dqn`, `dqn (×2)`), when detection ran.
    pub known: Option<String>,
}

/// The top `k` distinct functions of `records`, best first: records with outcome `ok` and a
/// finite fitness, ranked by `means` (fingerprint → the cache's mean fitness over several real
/// evaluations) where present, else by their fitness; ties go to the earlier candidate.
pub fn top_distinct(
    records: &[CandidateRecord],
    means: &HashMap<Fingerprint, f64>,
    k: usize,
) -> Vec<ProgramRow> {
    let key = |r: &CandidateRecord| {
        means
            .get(&r.fingerprint)
            .copied()
            .or(r.fitness)
            .filter(|f| f.is_finite())
            .unwrap_or(f64::NEG_INFINITY)
    };
    let mut ranked: Vec<&CandidateRecord> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Ok && r.fitness.is_some_and(f64::is_finite))
        .collect();
    ranked.sort_by(|x, y| key(y).total_cmp(&key(x)).then(x.id.cmp(&y.id)));
    let mut by_fp: HashMap<Fingerprint, Vec<&CandidateRecord>> = HashMap::new();
    for r in records {
        by_fp.entry(r.fingerprint).or_default().push(r);
    }
    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::new();
    for r in ranked {
        if rows.len() == k {
            break;
        }
        if !seen.insert(r.fingerprint) {
            continue;
        }
        let same = &by_fp[&r.fingerprint];
        let real: Vec<&&CandidateRecord> = same
            .iter()
            .filter(|s| !s.fec_hit && s.outcome == Outcome::Ok)
            .collect();
        let mut train = Vec::new();
        for s in &real {
            let seeds: Vec<f64> = s
                .details
                .iter()
                .filter(|(d, _)| d.starts_with("seed") && d.ends_with("/fitness"))
                .map(|(_, v)| *v)
                .collect();
            if seeds.is_empty() {
                train.extend(s.fitness);
            } else {
                train.extend(seeds);
            }
        }
        let (infix, latex) = match r.program() {
            Ok(p) => {
                let program = crate::program::simplify::simplify(&p);
                let latex = crate::program::validate::infer_types(&program)
                    .is_ok()
                    .then(|| crate::export::latex::to_latex(&program));
                (crate::program::print::infix_top(&program), latex)
            }
            // The stored expression still names the function; `gevo verify` reports the damage.
            Err(e) => (format!("{} (damaged record: {e})", r.expression), None),
        };
        rows.push(ProgramRow {
            rank: rows.len() + 1,
            id: r.id,
            ranking_fitness: key(r),
            copies: same.len() as u64,
            real_evaluations: same.iter().filter(|s| !s.fec_hit).count() as u64,
            train,
            held_out: real.iter().filter_map(|s| s.test_score).collect(),
            infix,
            latex,
            known: None,
        });
    }
    rows
}

/// Counts of a campaign's candidates.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evaluations {
    /// Candidates archived (cache hits included).
    pub candidates: u64,
    /// The campaign's candidate budget.
    pub budget: u64,
    /// Real evaluations (cache misses).
    pub real: u64,
    /// Candidates served by the functional equivalence cache.
    pub fec_hits: u64,
    /// Real evaluations stopped at the hurdle.
    pub hurdle_stops: u64,
    /// Real evaluations per outcome name (`ok`, `hurdle`, `no_gradient`, …).
    pub outcomes: BTreeMap<String, u64>,
    /// Seconds from the first evaluation's start to the last record (pauses of a resumed
    /// campaign included).
    pub wall_secs: f64,
    /// Training runs per real evaluation (`--eval-seeds`).
    pub eval_seeds: usize,
}

impl Evaluations {
    /// Counts from `records` (any order).
    pub fn from_records(records: &[CandidateRecord], budget: u64, eval_seeds: usize) -> Self {
        let mut e = Evaluations {
            candidates: records.len() as u64,
            budget,
            eval_seeds,
            ..Evaluations::default()
        };
        for r in records {
            if r.fec_hit {
                e.fec_hits += 1;
                continue;
            }
            e.real += 1;
            if r.outcome == Outcome::Hurdle {
                e.hurdle_stops += 1;
            }
            *e.outcomes.entry(r.outcome.name().to_string()).or_insert(0) += 1;
        }
        let first = records
            .iter()
            .min_by_key(|r| r.seq)
            .map(|r| r.created_unix - r.cost.wall_secs.max(0.0));
        let last = records
            .iter()
            .map(|r| r.created_unix)
            .max_by(f64::total_cmp);
        if let (Some(a), Some(b)) = (first, last) {
            e.wall_secs = (b - a).max(0.0);
        }
        e
    }
}

/// The best fitness so far at one point of the campaign.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Milestone {
    /// Candidates archived so far.
    pub candidates: u64,
    /// Real evaluations so far.
    pub evaluations: u64,
    /// Seconds since the first record.
    pub elapsed_secs: f64,
    /// Best fitness so far (one run's or one evaluation's mean, not the ranking mean).
    pub best: Option<f64>,
}

/// The best-fitness curve at 10 %, 25 %, 50 %, 75 % and 100 % of the candidates, from
/// [`super::history::history`] points (duplicates removed for tiny campaigns).
pub fn milestones(history: &[super::history::HistoryPoint]) -> Vec<Milestone> {
    let n = history.len();
    let mut out: Vec<Milestone> = Vec::new();
    for share in [0.1, 0.25, 0.5, 0.75, 1.0] {
        let Some(p) = ((n as f64 * share).ceil() as usize)
            .checked_sub(1)
            .and_then(|i| history.get(i))
        else {
            continue;
        };
        if out.last().is_some_and(|m| m.candidates == p.candidates) {
            continue;
        }
        out.push(Milestone {
            candidates: p.candidates,
            evaluations: p.evaluations,
            elapsed_secs: p.elapsed_secs,
            best: p.best,
        });
    }
    out
}

/// One seed program against the best program under the same seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonRow {
    /// The seed program's name (`dqn`).
    pub name: String,
    /// Training-task scores, best (a) vs this program (b).
    pub train: PairedComparison,
    /// Held-out scores, when the task has held-out environments.
    pub held_out: Option<PairedComparison>,
    /// Failed runs (scored 0) of this program.
    pub failures: usize,
}

/// The comparison section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Comparison {
    /// Not asked for (the report trains nothing by default).
    NotRequested,
    /// Asked for but impossible, with the reason.
    Unavailable(String),
    /// Trained under seeds `0..seeds`.
    Done {
        /// Number of seeds (0..seeds), the same for every program.
        seeds: u64,
        /// The best program's candidate id.
        best_id: u64,
        /// Failed runs (scored 0) of the best program.
        best_failures: usize,
        /// One row per seed program, by name.
        rows: Vec<ComparisonRow>,
        /// Seed programs left out, with the reason.
        skipped: Vec<(String, String)>,
    },
}

/// A figure written next to the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// File name relative to the report.
    pub file: String,
    /// Caption.
    pub caption: String,
}

/// Everything the Markdown report shows.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The archive directory as given.
    pub archive: String,
    /// `finished`, `stopped`, …
    pub status: String,
    /// Campaign settings as (name, value), in display order.
    pub settings: Vec<(String, String)>,
    /// Counts.
    pub evaluations: Evaluations,
    /// Best fitness at milestones.
    pub milestones: Vec<Milestone>,
    /// Figures (none when the report goes to stdout).
    pub figures: Vec<Figure>,
    /// Known-algorithm detection, or why it did not run.
    pub known: Result<KnownReport, String>,
    /// The best distinct programs.
    pub top: Vec<ProgramRow>,
    /// Final re-evaluation records (empty: none stored).
    pub final_scores: Vec<FinalScores>,
    /// The comparison against the seed programs.
    pub comparison: Comparison,
    /// The command that reproduces the comparison (`gevo report DIR --compare-seeds 10`).
    pub compare_hint: String,
    /// The command that runs a final re-evaluation.
    pub reevaluate_hint: String,
}

/// A GitHub-flavoured Markdown table; `|` in cells is escaped and newlines become spaces.
///
/// # Panics
/// If a row's length differs from the header's.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!(
        "| {} |\n|{}|\n",
        header
            .iter()
            .map(|h| cell(h))
            .collect::<Vec<_>>()
            .join(" | "),
        header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for r in rows {
        assert_eq!(r.len(), header.len(), "table row width");
        let _ = writeln!(
            out,
            "| {} |",
            r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
        );
    }
    out
}

/// `0.4120 ± 0.0310 [0.3734, 0.4506] (n = 5)`, or `0.4120 (n = 1, no interval)`; `–` for none.
pub fn format_summary(s: Option<Summary>) -> String {
    match s {
        None => "–".into(),
        Some(Summary {
            n,
            mean,
            std: Some(sd),
            ci95: Some((lo, hi)),
        }) => format!("{mean:.4} ± {sd:.4} [{lo:.4}, {hi:.4}] (n = {n})"),
        Some(s) => format!("{:.4} (n = {}, no interval)", s.mean, s.n),
    }
}

/// `42.0 s`, `3.5 min`, `2.10 h`.
pub fn format_wall(secs: f64) -> String {
    if secs < 120.0 {
        format!("{secs:.1} s")
    } else if secs < 7200.0 {
        format!("{:.1} min", secs / 60.0)
    } else {
        format!("{:.2} h", secs / 3600.0)
    }
}

fn format_p(p: Option<f64>) -> String {
    p.map_or("–".into(), |p| format!("{p:.4}"))
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!("{:.1} %", 100.0 * part as f64 / whole as f64)
    }
}

/// The report as Markdown.
pub fn render_markdown(r: &Report) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Campaign report: `{}`\n", r.archive);
    let _ = writeln!(md, "Status: {}.\n", r.status);

    md.push_str("## Settings\n\n");
    let rows: Vec<Vec<String>> = r
        .settings
        .iter()
        .map(|(k, v)| vec![k.clone(), v.clone()])
        .collect();
    md.push_str(&table(&["setting", "value"], &rows));

    md.push_str("\n## Evaluations\n\n");
    let e = &r.evaluations;
    // Under a second of records the rate is timer noise, not throughput.
    let per_hour = if e.wall_secs >= 1.0 {
        format!("{:.0}", e.candidates as f64 * 3600.0 / e.wall_secs)
    } else {
        "–".into()
    };
    let outcomes: Vec<String> = e.outcomes.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let rows = vec![
        vec![
            "candidates".into(),
            format!("{} of a budget of {}", e.candidates, e.budget),
        ],
        vec![
            "real evaluations".into(),
            format!("{} ({} training run(s) each)", e.real, e.eval_seeds),
        ],
        vec![
            "cache hits (FEC)".into(),
            format!(
                "{} ({} of candidates)",
                e.fec_hits,
                percent(e.fec_hits, e.candidates)
            ),
        ],
        vec![
            "hurdle stops".into(),
            format!(
                "{} ({} of real evaluations)",
                e.hurdle_stops,
                percent(e.hurdle_stops, e.real)
            ),
        ],
        vec![
            "outcomes (real evaluations)".into(),
            if outcomes.is_empty() {
                "–".into()
            } else {
                outcomes.join(", ")
            },
        ],
        vec!["wall time".into(), format_wall(e.wall_secs)],
        vec!["candidates per hour".into(), per_hour],
    ];
    md.push_str(&table(&["", "value"], &rows));

    md.push_str("\n## Best fitness\n\n");
    for f in &r.figures {
        let _ = writeln!(md, "![{}]({})\n", f.caption, f.file);
    }
    let rows: Vec<Vec<String>> = r
        .milestones
        .iter()
        .map(|m| {
            vec![
                m.candidates.to_string(),
                m.evaluations.to_string(),
                format_wall(m.elapsed_secs),
                m.best.map_or("–".into(), |b| format!("{b:.4}")),
            ]
        })
        .collect();
    md.push_str(&table(
        &[
            "candidates",
            "real evaluations",
            "wall time",
            "best fitness so far",
        ],
        &rows,
    ));
    md.push_str(
        "\nBest fitness so far is one evaluation's score (the mean of its training runs), \
         before ranking by the cache's mean.\n",
    );

    md.push_str("\n## Known algorithms reached\n\n");
    match &r.known {
        Err(why) => {
            let _ = writeln!(md, "Not checked: {why}.");
        }
        Ok(k) => {
            if k.reached.is_empty() {
                md.push_str("None of the space's seed programs was reached.\n");
            } else {
                let rows: Vec<Vec<String>> = k
                    .reached
                    .iter()
                    .map(|x| {
                        vec![
                            x.label.clone(),
                            x.first_id.to_string(),
                            x.candidates.to_string(),
                            x.evaluations.to_string(),
                            format!("{:.1}", x.wall_secs / 60.0),
                            x.copies.to_string(),
                        ]
                    })
                    .collect();
                md.push_str(&table(
                    &[
                        "algorithm",
                        "first candidate",
                        "candidates so far",
                        "real evaluations so far",
                        "minutes",
                        "copies",
                    ],
                    &rows,
                ));
            }
            let missing: Vec<&str> = k
                .checked
                .iter()
                .filter(|n| !k.reached.iter().any(|x| &x.matched.name == *n))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                let _ = writeln!(md, "\nNot reached: {}.", missing.join(", "));
            }
            for (name, why) in &k.skipped {
                let _ = writeln!(md, "\nSkipped {name}: {why}.");
            }
            md.push_str(
                "\nA match is functional equality on the campaign's probe inputs, exactly or up \
                 to a positive constant factor (shown as ×c).\n",
            );
        }
    }

    let _ = writeln!(md, "\n## Top {} distinct programs\n", r.top.len());
    if r.top.is_empty() {
        md.push_str("No candidate has a finite fitness yet.\n");
    } else {
        let held = r.top.iter().any(|p| !p.held_out.is_empty());
        let mut header = vec![
            "rank",
            "candidate",
            "ranking fitness",
            "training score: mean ± std [95 % CI]",
        ];
        if held {
            header.push("held-out score: mean ± std [95 % CI]");
        }
        header.extend(["real evaluations", "copies", "known", "expression"]);
        let rows: Vec<Vec<String>> = r
            .top
            .iter()
            .map(|p| {
                let mut row = vec![
                    p.rank.to_string(),
                    p.id.to_string(),
                    format!("{:.4}", p.ranking_fitness),
                    format_summary(summarize(&p.train)),
                ];
                if held {
                    row.push(format_summary(summarize(&p.held_out)));
                }
                row.extend([
                    p.real_evaluations.to_string(),
                    p.copies.to_string(),
                    p.known.clone().unwrap_or_else(|| "–".into()),
                    format!("`{}`", p.infix.replace('`', "'")),
                ]);
                row
            })
            .collect();
        md.push_str(&table(&header, &rows));
        md.push_str(
            "\nRanking fitness: the cache's mean over all real evaluations of the function (as \
             `gevo inspect` ranks). Training scores: every training run of its real evaluations; \
             held-out scores: each evaluation's mean over its runs.\n",
        );
        md.push_str("\nIn LaTeX (simplified):\n\n");
        for p in &r.top {
            match &p.latex {
                Some(t) => {
                    let _ = writeln!(md, "{}. candidate {}: $${t}$$", p.rank, p.id);
                }
                None => {
                    let _ = writeln!(md, "{}. candidate {}: (no LaTeX form)", p.rank, p.id);
                }
            }
        }
    }

    md.push_str("\n## Final re-evaluation\n\n");
    if r.final_scores.is_empty() {
        let _ = writeln!(md, "Not run: `{}`.", r.reevaluate_hint);
    } else {
        let held = r.final_scores.iter().any(|f| !f.held_out.is_empty());
        let mut header = vec!["candidate", "training score: mean ± std [95 % CI]"];
        if held {
            header.push("held-out score: mean ± std [95 % CI]");
        }
        let rows: Vec<Vec<String>> = r
            .final_scores
            .iter()
            .map(|f| {
                let mut row = vec![f.candidate.to_string(), format_summary(summarize(&f.train))];
                if held {
                    row.push(format_summary(summarize(&f.held_out)));
                }
                row
            })
            .collect();
        md.push_str(&table(&header, &rows));
        md.push_str("\nEach score is one training run with a fresh seed after the search.\n");
    }

    md.push_str("\n## Comparison with the seed programs\n\n");
    match &r.comparison {
        Comparison::NotRequested => {
            let _ = writeln!(
                md,
                "Not run (it trains every program again). Enable it with `{}`.",
                r.compare_hint
            );
        }
        Comparison::Unavailable(why) => {
            let _ = writeln!(md, "Not available: {why}.");
        }
        Comparison::Done {
            seeds,
            best_id,
            best_failures,
            rows,
            skipped,
        } => {
            let held = rows.iter().any(|x| x.held_out.is_some());
            let _ = writeln!(
                md,
                "The best program (candidate {best_id}) and each seed program trained under the \
                 same {seeds} seeds (0..{seeds}); Δ = best − seed program; p-values of the paired \
                 t-test and of the exact sign-flip permutation test (as `gevo compare`). A failed \
                 run scores 0 (failed runs of the best program: {best_failures}).\n"
            );
            let mut header = vec![
                "program",
                "training mean (best vs it)",
                "Δ ± std",
                "t-test p",
                "permutation p",
            ];
            if held {
                header.extend([
                    "held-out mean (best vs it)",
                    "held-out Δ ± std",
                    "held-out t-test p",
                    "held-out permutation p",
                ]);
            }
            header.push("failed runs");
            let pair = |c: &PairedComparison| {
                [
                    format!("{:.4} vs {:.4}", c.mean_a, c.mean_b),
                    format!("{:+.4} ± {:.4}", c.mean_difference, c.std_difference),
                    format_p(c.p_t_test),
                    format!("{:.4}", c.p_permutation),
                ]
            };
            let table_rows: Vec<Vec<String>> = rows
                .iter()
                .map(|x| {
                    let mut row = vec![x.name.clone()];
                    row.extend(pair(&x.train));
                    if held {
                        match &x.held_out {
                            Some(h) => row.extend(pair(h)),
                            None => row.extend(std::iter::repeat_n("–".to_string(), 4)),
                        }
                    }
                    row.push(x.failures.to_string());
                    row
                })
                .collect();
            md.push_str(&table(&header, &table_rows));
            for (name, why) in skipped {
                let _ = writeln!(md, "\nSkipped {name}: {why}.");
            }
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::history::tests::record;

    #[test]
    fn interval_matches_student_t() {
        // 1..5: mean 3, s = √2.5 = 1.581139, t(0.975, 4) = 2.776445 → half-width 1.963243.
        let s = summarize(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(s.n, 5);
        assert!((s.mean - 3.0).abs() < 1e-12);
        assert!((s.std.unwrap() - 1.581139).abs() < 1e-6);
        let (lo, hi) = s.ci95.unwrap();
        assert!((lo - 1.036757).abs() < 1e-5, "{lo}");
        assert!((hi - 4.963243).abs() < 1e-5, "{hi}");
        assert_eq!(
            format_summary(Some(s)),
            "3.0000 ± 1.5811 [1.0368, 4.9632] (n = 5)"
        );
    }

    #[test]
    fn one_score_has_no_interval_and_none_prints_a_dash() {
        let s = summarize(&[0.25, f64::NAN]).unwrap();
        assert_eq!((s.n, s.std, s.ci95), (1, None, None));
        assert_eq!(format_summary(Some(s)), "0.2500 (n = 1, no interval)");
        assert_eq!(summarize(&[]), None);
        assert_eq!(format_summary(None), "–");
    }

    #[test]
    fn table_escapes_pipes_and_keeps_its_width() {
        let t = table(
            &["a", "b"],
            &[
                vec!["`|x|`".into(), "1\n2".into()],
                vec!["y".into(), "".into()],
            ],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "| a | b |");
        assert_eq!(lines[1], "|---|---|");
        assert_eq!(lines[2], "| `\\|x\\|` | 1 2 |");
        assert_eq!(lines[3], "| y |  |");
        // Every row has the header's number of unescaped separators.
        for l in &lines {
            assert_eq!(l.replace("\\|", "").matches('|').count(), 3, "{l}");
        }
    }

    #[test]
    fn distinct_programs_rank_by_the_cache_mean_and_pool_their_seeds() {
        let mut a = record(0, Some(0.9), 3, false); // lucky run of function 7
        a.fingerprint = Fingerprint(7);
        a.details = vec![("seed0/fitness".into(), 1.0), ("seed1/fitness".into(), 0.8)];
        let mut b = record(1, Some(0.1), 3, false); // second evaluation of function 7
        b.fingerprint = Fingerprint(7);
        b.details = vec![("seed0/fitness".into(), 0.0), ("seed1/fitness".into(), 0.2)];
        let mut c = record(2, Some(0.9), 3, true); // a cache hit of function 7
        c.fingerprint = Fingerprint(7);
        let d = record(3, Some(0.6), 2, false); // function 3, one evaluation
        let e = record(4, None, 2, false); // failed: never listed
        let mut recs = [a, b, c, d, e];
        let (_, dqn) = crate::catalog::seeds("rl_loss")
            .into_iter()
            .find(|(n, _)| n == "dqn")
            .unwrap();
        for r in &mut recs {
            r.program = dqn.clone();
        }
        let means = HashMap::from([(Fingerprint(7), 0.5)]);
        let rows = top_distinct(&recs, &means, 10);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!((rows[0].id, rows[0].ranking_fitness), (3, 0.6));
        assert_eq!((rows[1].id, rows[1].ranking_fitness), (0, 0.5));
        assert_eq!(rows[1].train, vec![1.0, 0.8, 0.0, 0.2]);
        assert_eq!((rows[1].copies, rows[1].real_evaluations), (3, 2));
        assert_eq!(rows[0].train, vec![0.6]);
        assert!(rows[0].latex.as_deref().is_some_and(|t| !t.is_empty()));
        assert!(!rows[0].infix.is_empty());
        assert_eq!(top_distinct(&[], &means, 10), vec![]);
    }

    fn report() -> Report {
        Report {
            archive: "runs/a".into(),
            status: "finished".into(),
            settings: vec![("space".into(), "rl_loss".into())],
            evaluations: Evaluations {
                candidates: 10,
                budget: 10,
                real: 4,
                fec_hits: 6,
                hurdle_stops: 1,
                outcomes: BTreeMap::from([("ok".into(), 3), ("no_gradient".into(), 1)]),
                wall_secs: 36.0,
                eval_seeds: 2,
            },
            milestones: vec![],
            figures: vec![],
            known: Err("the space ships no seed programs".into()),
            top: vec![],
            final_scores: vec![],
            comparison: Comparison::NotRequested,
            compare_hint: "gevo report runs/a --compare-seeds 10".into(),
            reevaluate_hint: "gevo reevaluate runs/a --top 10 --seeds 10".into(),
        }
    }

    #[test]
    fn markdown_has_every_section_and_the_real_counts() {
        let md = render_markdown(&report());
        for h in [
            "## Settings",
            "## Evaluations",
            "## Best fitness",
            "## Known algorithms reached",
            "## Top 0 distinct programs",
            "## Final re-evaluation",
            "## Comparison with the seed programs",
        ] {
            assert!(md.contains(h), "{h} missing:\n{md}");
        }
        assert!(
            md.contains("| cache hits (FEC) | 6 (60.0 % of candidates) |"),
            "{md}"
        );
        assert!(md.contains("| candidates per hour | 1000 |"), "{md}");
        assert!(md.contains("no_gradient 1, ok 3"), "{md}");
        assert!(md.contains("Not run: `gevo reevaluate runs/a --top 10 --seeds 10`."));
        assert!(md.contains("`gevo report runs/a --compare-seeds 10`"));
    }

    #[test]
    fn final_scores_and_comparisons_render_as_tables() {
        let mut r = report();
        r.final_scores = vec![FinalScores {
            candidate: 12,
            train: vec![1.0, 2.0, 3.0, 4.0, 5.0],
            held_out: vec![0.5],
        }];
        let c = super::super::stats::paired_comparison(&[1.0, 2.0], &[0.5, 1.0]);
        r.comparison = Comparison::Done {
            seeds: 2,
            best_id: 12,
            best_failures: 0,
            rows: vec![ComparisonRow {
                name: "dqn".into(),
                train: c,
                held_out: None,
                failures: 1,
            }],
            skipped: vec![],
        };
        let md = render_markdown(&r);
        assert!(
            md.contains(
                "| 12 | 3.0000 ± 1.5811 [1.0368, 4.9632] (n = 5) | 0.5000 (n = 1, no interval) |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| dqn | 1.5000 vs 0.7500 | +0.7500 ± 0.3536 |"),
            "{md}"
        );
        assert!(!md.contains("Not run"), "{md}");
    }
}
