//! Campaign settings: one documented struct, stored in the archive so `gevo resume` needs
//! nothing else.

use super::hurdle::HurdleConfig;
use crate::guide::GuideConfig;
use crate::hashing::FecConfig;
use crate::program::mutate::MutationConfig;
pub use crate::task_file::TaskSpec;
use serde::{Deserialize, Serialize};

/// Everything that defines a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignConfig {
    /// Search-space name.
    pub space: String,
    /// The search space's TOML text.
    pub space_source: String,
    /// The task.
    pub task: TaskSpec,
    /// Total candidates (initial population included; cache hits count).
    pub budget: u64,
    /// Population size `P` (Real et al. 2019 used 100; Co-Reyes et al. 2021 used 300).
    pub population: usize,
    /// Tournament size `T` (25 in both papers; 1 is random search).
    pub tournament: usize,
    /// Parallel evaluations.
    pub workers: usize,
    /// Campaign seed.
    pub seed: u64,
    /// Deterministic mode: the same seed and batch give the same archive whatever the timing.
    pub deterministic: bool,
    /// Candidates proposed together in deterministic mode (results do not depend on `workers`).
    pub batch: usize,
    /// Mutation settings.
    pub mutation: MutationConfig,
    /// Functional equivalence cache settings.
    pub fec: FecConfig,
    /// Hurdle setting.
    pub hurdle: HurdleConfig,
    /// Wall-clock limit per evaluation, seconds.
    pub time_limit_secs: Option<f64>,
    /// Seed programs the initial population starts from (`--bootstrap`): name and JSON text.
    /// Empty: random initial programs.
    pub seeds: Vec<(String, String)>,
    /// burn device of the inner loops: `cpu` (flex) or `wgpu`.
    #[serde(default = "default_device")]
    pub device: String,
    /// Guided evolution (`--guide`): the online discriminator and PAM-RT settings (default:
    /// no guide). Absent in archives written before guides existed.
    #[serde(default)]
    pub guide: GuideConfig,
    /// Stop once this many real evaluations have run (`--max-evaluations`), whatever the
    /// candidate budget: compute-fair comparisons of arms that serve different shares of
    /// candidates from the cache. Checked before each evaluation is started (asynchronous mode)
    /// or at batch boundaries (deterministic mode, which may overshoot by less than a batch).
    #[serde(default)]
    pub max_evaluations: Option<u64>,
    /// Independent training runs per real evaluation (`--eval-seeds K`, at least 1): the
    /// fitness is their mean and the record's details keep each seed's score and the standard
    /// deviation (see [`super::seeds`]). 1 in archives written before it existed.
    #[serde(default = "default_eval_seeds")]
    pub eval_seeds: usize,
    /// At most this many population members may share one functional hash
    /// (`--max-duplicates N`, at least 1); an extra copy displaces the oldest copy. `None`:
    /// unlimited.
    #[serde(default)]
    pub max_duplicates: Option<usize>,
    /// The held-out tasks of the task set, resolved when the campaign was created (each a
    /// one-task spec with its file's text, so the archive stays self-contained). Never part of
    /// fitness; trained only by the final re-evaluation. Empty for domains without a separate
    /// held-out set and in archives written before it existed (`gevo reevaluate` then resolves
    /// the task files' `held_out` lists again).
    #[serde(default)]
    pub held_out: Vec<TaskSpec>,
    /// Re-evaluate the top programs at the end of `gevo run`/`gevo resume` with this many
    /// fresh seeds (`--final-seeds S`, at least 1); `None`: no final re-evaluation.
    #[serde(default)]
    pub final_seeds: Option<usize>,
    /// How many distinct programs the final re-evaluation takes (`--final-top K`, at least 1).
    #[serde(default = "default_final_top")]
    pub final_top: usize,
    /// Local improvement of evaluated candidates (`--optimize-constants P`, P in [0, 1];
    /// symbolic regression: constants fitted by BFGS). Each fully evaluated candidate is
    /// improved with probability P, and always when it is a new hall-of-fame entry (the best
    /// fitness so far at its size), as PySR does; an improvement is archived as a child
    /// (mutation `constants_fitted`) and counts as a candidate. `None`: off.
    #[serde(default)]
    pub optimize_constants: Option<f64>,
    /// Parsimony coefficient `C` (`--parsimony C`, at least 0): tournaments rank members by
    /// `fitness − C·size`, PySR's `loss + C·complexity` with fitness for negated loss. Recorded
    /// fitnesses are not penalized. 0 (the default): no penalty.
    #[serde(default)]
    pub parsimony: f64,
    /// Where evaluations run when not in this process (`--executor nats`); `None` (and absent
    /// from older archives): the local thread pool. Stored so that `gevo resume` reconnects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distributed: Option<DistributedConfig>,
}

/// A campaign evaluated by `gevo worker` processes over a NATS JetStream work queue. Secrets are
/// not stored: user and password come from the environment, a credentials file by its path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistributedConfig {
    /// The NATS server URL(s), comma separated (`--nats`).
    pub nats_url: String,
    /// The campaign's id in subject names (`gevo.requests.<id>`), fixed at `gevo run`.
    pub campaign_id: String,
    /// A NATS credentials file (`--nats-creds`).
    #[serde(default)]
    pub creds: Option<String>,
    /// A CA certificate to verify the server's TLS certificate (`--nats-tls-ca`).
    #[serde(default)]
    pub tls_ca: Option<String>,
}

fn default_final_top() -> usize {
    10
}

fn default_eval_seeds() -> usize {
    1
}

fn default_device() -> String {
    "cpu".into()
}

impl CampaignConfig {
    /// Defaults for a space and task (P=100, T=25 as Real et al. 2019; budget 1000; 1 worker).
    pub fn new(space: &str, space_source: &str, task: TaskSpec) -> Self {
        CampaignConfig {
            space: space.to_string(),
            space_source: space_source.to_string(),
            task,
            budget: 1000,
            population: 100,
            tournament: 25,
            workers: 1,
            seed: 0,
            deterministic: false,
            batch: 8,
            mutation: MutationConfig::default(),
            fec: FecConfig::default(),
            hurdle: HurdleConfig::None,
            time_limit_secs: None,
            seeds: vec![],
            device: default_device(),
            guide: GuideConfig::default(),
            max_evaluations: None,
            eval_seeds: default_eval_seeds(),
            max_duplicates: None,
            held_out: vec![],
            final_seeds: None,
            final_top: default_final_top(),
            optimize_constants: None,
            parsimony: 0.0,
            distributed: None,
        }
    }
}

/// A campaign setting outside its range; names the `gevo run` flag that sets it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{flag} {message} (got {value})")]
pub struct ConfigError {
    /// The flag, e.g. `--population`.
    pub flag: &'static str,
    /// The allowed range, in words.
    pub message: &'static str,
    /// The value given.
    pub value: String,
}

impl CampaignConfig {
    /// Checks every numeric setting against its range, before any work starts.
    ///
    /// # Errors
    /// The first setting out of range, naming its flag: `--budget`, `--population`,
    /// `--workers`, `--batch` or `--fec-aggregate` of 0; `--tournament` of 0 or larger than
    /// the population; `--p-new` or `--fec-forget` outside [0, 1]; `--fingerprint-bits`
    /// outside 1..=52 (an f64 mantissa has 52 bits); `--hurdle-percentile` outside [0, 100].
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |flag, message, value: &dyn std::fmt::Display| {
            Err(ConfigError {
                flag,
                message,
                value: value.to_string(),
            })
        };
        let unit = |x: f64| (0.0..=1.0).contains(&x);
        if self.budget == 0 {
            return fail("--budget", "must be at least 1", &self.budget);
        }
        if self.population == 0 {
            return fail("--population", "must be at least 1", &self.population);
        }
        if self.tournament == 0 || self.tournament > self.population {
            return fail(
                "--tournament",
                "must lie in 1..=population",
                &format!("{}, population {}", self.tournament, self.population),
            );
        }
        if self.workers == 0 {
            return fail("--workers", "must be at least 1", &self.workers);
        }
        if self.batch == 0 {
            return fail("--batch", "must be at least 1", &self.batch);
        }
        if !unit(self.mutation.p_new) {
            return fail("--p-new", "must lie in [0, 1]", &self.mutation.p_new);
        }
        if !(1..=52).contains(&self.fec.mantissa_bits) {
            return fail(
                "--fingerprint-bits",
                "must lie in 1..=52",
                &self.fec.mantissa_bits,
            );
        }
        if !unit(self.fec.forget_probability) {
            return fail(
                "--fec-forget",
                "must lie in [0, 1]",
                &self.fec.forget_probability,
            );
        }
        if self.fec.aggregate == 0 {
            return fail("--fec-aggregate", "must be at least 1", &self.fec.aggregate);
        }
        if self.final_seeds == Some(0) {
            return fail(
                "--final-seeds",
                "must be at least 1 (omit it for no final re-evaluation)",
                &0,
            );
        }
        if self.final_top == 0 {
            return fail("--final-top", "must be at least 1", &self.final_top);
        }
        if let HurdleConfig::RollingPercentile { percentile } = self.hurdle
            && !(0.0..=100.0).contains(&percentile)
        {
            return fail("--hurdle-percentile", "must lie in [0, 100]", &percentile);
        }
        if let Some(p) = self.optimize_constants
            && !unit(p)
        {
            return fail("--optimize-constants", "must lie in [0, 1]", &p);
        }
        if !(self.parsimony >= 0.0 && self.parsimony.is_finite()) {
            return fail(
                "--parsimony",
                "must be a finite number at least 0",
                &self.parsimony,
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_written_before_guides_existed_still_load() {
        let c = CampaignConfig::new(
            "symbolic_regression",
            "",
            TaskSpec {
                name: "nguyen-1".into(),
                files: vec![],
                csv: None,
                target: None,
                csv_data: None,
            },
        );
        let mut v = serde_json::to_value(&c).unwrap();
        let obj = v.as_object_mut().unwrap();
        for field in [
            "guide",
            "max_evaluations",
            "eval_seeds",
            "max_duplicates",
            "held_out",
            "final_seeds",
            "final_top",
            "optimize_constants",
            "parsimony",
        ] {
            assert!(obj.remove(field).is_some(), "{field}");
        }
        let back: CampaignConfig = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
        assert!(!back.guide.enabled());
        assert_eq!((back.eval_seeds, back.max_duplicates), (1, None));
        assert_eq!((back.final_seeds, back.final_top), (None, 10));
    }

    #[test]
    fn settings_out_of_range_name_their_flag() {
        let ok = CampaignConfig::new(
            "s",
            "",
            TaskSpec {
                name: "t".into(),
                files: vec![],
                csv: None,
                target: None,
                csv_data: None,
            },
        );
        assert_eq!(ok.validate(), Ok(()));
        let mut c = ok.clone();
        c.tournament = c.population;
        assert_eq!(c.validate(), Ok(()));
        c.tournament += 1;
        assert_eq!(c.validate().unwrap_err().flag, "--tournament");
        let mut c = ok.clone();
        c.fec.mantissa_bits = 53;
        assert_eq!(c.validate().unwrap_err().flag, "--fingerprint-bits");
        let mut c = ok.clone();
        c.final_seeds = Some(0);
        assert_eq!(c.validate().unwrap_err().flag, "--final-seeds");
        let mut c = ok.clone();
        c.final_top = 0;
        assert_eq!(c.validate().unwrap_err().flag, "--final-top");
        let mut c = ok.clone();
        c.hurdle = HurdleConfig::RollingPercentile { percentile: 100.5 };
        assert_eq!(c.validate().unwrap_err().flag, "--hurdle-percentile");
        let mut c = ok.clone();
        c.optimize_constants = Some(1.5);
        assert_eq!(c.validate().unwrap_err().flag, "--optimize-constants");
        let mut c = ok;
        c.parsimony = -0.1;
        assert_eq!(c.validate().unwrap_err().flag, "--parsimony");
    }
}
