//! Search over your own problem from Rust: a user-defined [`Evaluator`] scores expressions of
//! the shipped symbolic-regression space against measurements, and a campaign searches it.
//!
//! ```text
//! cargo run --release --example custom_evaluator -- 20000
//! ```
//!
//! The problem: find the kinetic energy `E = ½·m·v²` from measurements of mass `m` (kg),
//! speed `v` (m/s) and energy `E` (J). The evaluator is the whole contract a domain
//! implements: its space, a fitness for a program (larger is better; here `1 / (1 + NRMSE)`),
//! and the program's outputs on fixed probe inputs, from which the campaign's functional hash
//! recognises equivalent expressions (`m·v·v` and `v·m·v`) and serves them from its cache.
//! The test below runs the same search with a budget of seconds.

use gevo::archive::CandidateRecord;
use gevo::engine::{Cost, EvalContext, Evaluation, Evaluator, Outcome};
use gevo::evolution::{Campaign, CampaignConfig, TaskSpec};
use gevo::program::Program;
use gevo::program::interpreter::Interpreter;
use gevo::program::ops::KernelContext;
use gevo::program::space::SearchSpace;
use gevo::program::value::Value;
use gevo::{Archive, catalog};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Measurements `(m, v, E)` and the space of expressions over `m` and `v`.
struct KineticEnergy {
    space: SearchSpace,
    inputs: [Value; 2],
    energy: Vec<f64>,
    probe: [Value; 2],
}

impl KineticEnergy {
    fn new() -> anyhow::Result<Self> {
        let space = catalog::load_space("symbolic_regression")?
            .with_task_inputs(&["m".to_string(), "v".to_string()]);
        let m: Vec<f64> = (0..24).map(|k| 0.5 + 0.25 * k as f64).collect();
        // Speeds in a shuffled order, so that neither input is a function of the row index.
        let v: Vec<f64> = (0..24).map(|k| 0.4 + 0.2 * ((7 * k) % 24) as f64).collect();
        let energy = m.iter().zip(&v).map(|(m, v)| 0.5 * m * v * v).collect();
        let probe_m = vec![-2.5, -1.0, 0.3, 1.7, 2.9];
        let probe_v = vec![1.1, -0.4, 2.2, -2.8, 0.6];
        Ok(KineticEnergy {
            space,
            inputs: [Value::column(m), Value::column(v)],
            energy,
            probe: [Value::column(probe_m), Value::column(probe_v)],
        })
    }

    /// The program's output on `inputs`, one value per row.
    fn run(p: &Program, inputs: &[Value; 2]) -> Vec<f64> {
        let rows = inputs[0].data.len();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut ctx = KernelContext::new(&mut rng);
        Interpreter::new()
            .run(p, inputs, &mut ctx)
            .broadcast_to(rows, 1)
    }
}

impl Evaluator for KineticEnergy {
    fn space(&self) -> &SearchSpace {
        &self.space
    }

    fn task_name(&self) -> &str {
        "kinetic-energy"
    }

    fn evaluate(&self, p: &Program, _: &EvalContext) -> Evaluation {
        let start = Instant::now();
        let pred = Self::run(p, &self.inputs);
        let cost = Cost {
            wall_secs: start.elapsed().as_secs_f64(),
            steps: pred.len() as u64,
        };
        let n = self.energy.len() as f64;
        let mean = self.energy.iter().sum::<f64>() / n;
        let var = self.energy.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / n;
        let mse = pred
            .iter()
            .zip(&self.energy)
            .map(|(p, e)| (p - e).powi(2))
            .sum::<f64>()
            / n;
        if !mse.is_finite() {
            // A failing candidate is an outcome, not an error: the search goes on.
            return Evaluation::failed(Outcome::NonFinite, cost);
        }
        let nrmse = (mse / var).sqrt();
        Evaluation {
            fitness: Some(1.0 / (1.0 + nrmse)),
            test_score: None,
            details: vec![("nrmse".into(), nrmse)],
            outcome: Outcome::Ok,
            cost,
        }
    }

    fn probe_outputs(&self, p: &Program) -> Vec<f64> {
        Self::run(p, &self.probe)
    }
}

/// Searches `budget` candidates into a new archive at `dir`; returns the best record.
fn search(budget: u64, dir: &Path) -> anyhow::Result<CandidateRecord> {
    let evaluator = KineticEnergy::new()?;
    let task = TaskSpec {
        name: "kinetic-energy".into(),
        files: vec![],
        csv: None,
        target: None,
        csv_data: None,
    };
    let source = catalog::space("symbolic_regression")
        .map(|s| s.text)
        .unwrap_or_default();
    let mut config = CampaignConfig::new("symbolic_regression", &source, task);
    config.budget = budget;
    config.population = 50;
    config.tournament = 10;
    config.workers = 2;
    config.seed = 1;
    // Same seed, same archive, whatever the thread timing.
    config.deterministic = true;
    let archive = Archive::create(dir, &serde_json::to_string_pretty(&config)?)?;
    let mut campaign = Campaign::new(config, Arc::new(evaluator), archive)?;
    campaign.run(&mut ())?;
    let s = campaign.stats();
    println!(
        "{} candidates, {} evaluated, {:.0}% served from the cache",
        s.candidates,
        s.evaluations,
        100.0 * s.fec_hit_rate()
    );
    campaign
        .top()
        .first()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no candidate evaluated successfully"))
}

fn main() -> anyhow::Result<()> {
    let budget = std::env::args()
        .nth(1)
        .map(|b| b.parse())
        .transpose()?
        .unwrap_or(20_000);
    let dir = tempfile::tempdir()?;
    let best = search(budget, &dir.path().join("archive"))?;
    println!(
        "best: E = {} (fitness {:.4})",
        best.expression,
        best.fitness.unwrap_or(f64::NAN)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_search_fits_the_energy_better_than_its_initial_guesses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("archive");
        let best = search(1500, &path).unwrap();
        let records = Archive::open(&path).unwrap().records().unwrap();
        assert_eq!(records.len(), 1500);
        let initial = records
            .iter()
            .filter(|r| r.parent.is_none())
            .filter_map(|r| r.fitness)
            .fold(0.0, f64::max);
        let fitness = best.fitness.unwrap();
        assert!(fitness > initial, "{fitness} vs initial {initial}");
        assert!(fitness > 0.8, "{}: {fitness}", best.expression);
    }
}
