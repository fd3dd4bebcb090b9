//! `gevo env`: list environments, replay actions from an exact state, roll out a trained agent.

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};
use gevo::domains::rl_loss::dqn::{DqnConfig, greedy_rollout, train_agent};
use gevo::domains::rl_loss::{ProgramLoss, environment_ids, make_env};
use gevo::envs::check_action;
use gevo::program::Program;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use std::path::PathBuf;

/// `gevo env` subcommands.
#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// List the environment ids.
    List,
    /// Apply actions from an exact internal state and print each step.
    Replay(ReplayArgs),
    /// Train a DQN agent with a loss program, then run its greedy policy and print the returns.
    Rollout(RolloutArgs),
}

/// Arguments of `gevo env replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Environment id (see `gevo env list`).
    #[arg(long)]
    pub env: String,
    /// Internal state, comma separated, in Gymnasium's `env.unwrapped.state` layout.
    #[arg(long, allow_hyphen_values = true)]
    pub state: String,
    /// Actions, comma separated.
    #[arg(long)]
    pub actions: String,
    /// Episode time limit (default: the registry's).
    #[arg(long)]
    pub max_episode_steps: Option<usize>,
    /// Print one JSON document `{"steps": [{"obs", "reward", "terminated", "truncated"}, …]}`.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `gevo env rollout`.
#[derive(Debug, Args)]
pub struct RolloutArgs {
    /// Environment id.
    #[arg(long)]
    pub env: String,
    /// The loss program (.json) to train the agent with.
    #[arg(long)]
    pub program: PathBuf,
    /// Greedy evaluation episodes after training.
    #[arg(long, default_value_t = 10)]
    pub episodes: usize,
    /// Seed of training and rollouts.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Episode time limit (default: the registry's).
    #[arg(long)]
    pub max_episode_steps: Option<usize>,
    /// Take the DQN settings from this task (name or file) instead of the shipped task of the
    /// environment.
    #[arg(long)]
    pub task: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_list<T: std::str::FromStr>(s: &str, what: &str) -> anyhow::Result<Vec<T>> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| {
            x.parse::<T>()
                .map_err(|_| anyhow!("--{what}: `{x}` is not a valid number"))
        })
        .collect()
}

pub fn env(cmd: EnvCommand) -> anyhow::Result<()> {
    match cmd {
        EnvCommand::List => {
            for id in environment_ids() {
                let e = make_env(id, None)?;
                println!(
                    "{id:<36} obs {:>3}  actions {}",
                    e.observation_dim(),
                    e.num_actions()
                );
            }
            Ok(())
        }
        EnvCommand::Replay(a) => replay(a),
        EnvCommand::Rollout(a) => rollout(a),
    }
}

fn replay(a: ReplayArgs) -> anyhow::Result<()> {
    let mut env = make_env(&a.env, a.max_episode_steps)?;
    let state: Vec<f64> = parse_list(&a.state, "state")?;
    let actions: Vec<usize> = parse_list(&a.actions, "actions")?;
    env.set_state(&state)?;
    let mut steps = Vec::new();
    for &act in &actions {
        check_action(env.as_ref(), act)?;
        let s = env.step(act);
        steps.push(json!({"obs": s.obs, "reward": s.reward, "terminated": s.terminated, "truncated": s.truncated}));
    }
    if a.json {
        println!("{}", serde_json::to_string(&json!({ "steps": steps }))?);
    } else {
        for (i, s) in steps.iter().enumerate() {
            println!(
                "{i:>4}  obs {}  reward {}  terminated {}  truncated {}",
                s["obs"], s["reward"], s["terminated"], s["truncated"]
            );
        }
    }
    Ok(())
}

/// The DQN settings of the shipped task for `env_id`, if one exists, else the defaults.
pub fn dqn_config_for(env_id: &str) -> DqnConfig {
    for name in gevo::catalog::task_names() {
        if let Some(src) = gevo::catalog::task(&name)
            && let Ok(t) =
                gevo::task::parse_toml::<gevo::domains::rl_loss::RlLossTask>(&src.text, &src.origin)
            && t.environment.id == env_id
        {
            return t.dqn;
        }
    }
    DqnConfig::default()
}

fn rollout(a: RolloutArgs) -> anyhow::Result<()> {
    let program = Program::load(&a.program)?;
    let space_src = gevo::catalog::space("rl_loss").context("rl_loss space")?;
    let space = gevo::program::space::SearchSpace::from_toml(&space_src.text, &space_src.origin)?;
    gevo::program::validate::validate(&program, &space)
        .map_err(|e| anyhow!("{}: {e}", a.program.display()))?;
    let mut env = make_env(&a.env, a.max_episode_steps)?;
    let mut cfg = match &a.task {
        Some(t) => {
            let spec = gevo::task::resolve(t)?;
            let tasks = gevo::domains::rl_loss::load_tasks(&spec)?;
            tasks.into_iter().next().map(|t| t.dqn).unwrap_or_default()
        }
        None => dqn_config_for(&a.env),
    };
    cfg.seed = a.seed;
    let agent = train_agent(
        env.as_mut(),
        &ProgramLoss::new(program),
        &cfg,
        &burn::tensor::Device::flex(),
    );
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed ^ 0x5eed);
    let cap = a.max_episode_steps.map(|m| m as u64).or(Some(100_000));
    let returns = greedy_rollout(env.as_mut(), &agent.network, a.episodes, cap, &mut rng);
    let mean = returns.iter().sum::<f64>() / returns.len().max(1) as f64;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"env": a.env, "training_outcome": format!("{:?}", agent.report.outcome), "returns": returns, "mean_return": mean})
            )?
        );
    } else {
        println!(
            "training: {:?}, {} episodes, {} env steps",
            agent.report.outcome,
            agent.report.episode_returns.len(),
            agent.report.env_steps
        );
        println!(
            "greedy returns: {}",
            returns
                .iter()
                .map(|r| format!("{r}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        println!("mean return {mean:.2}");
    }
    Ok(())
}
