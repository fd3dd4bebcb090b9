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
        }
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
            },
        );
        let mut v = serde_json::to_value(&c).unwrap();
        let obj = v.as_object_mut().unwrap();
        for field in ["guide", "max_evaluations", "eval_seeds", "max_duplicates"] {
            assert!(obj.remove(field).is_some(), "{field}");
        }
        let back: CampaignConfig = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
        assert!(!back.guide.enabled());
        assert_eq!((back.eval_seeds, back.max_duplicates), (1, None));
    }
}
