//! Train a DQN agent on CartPole-v1 with a discovered loss, through gevo's library API only.
//!
//! ```text
//! cargo run --release --example dqn_with_discovered_loss -- search_spaces/rl_loss/seeds/dqn_reg.json
//! cargo run --release --example dqn_with_discovered_loss -- archive 1234   # a campaign's candidate
//! ```
//!
//! The loss is a [`gevo::ProgramLoss`]: a burn loss mapping a minibatch of `B` transitions
//! (Q-values of `s_t` from the online network, target-network Q-values of `s_{t+1}`, actions,
//! rewards, discounts) to the per-sample loss `[B]`. Training settings come from the shipped
//! `cartpole` task (its `[dqn]` table); the score is the task's normalized return of the last
//! episodes, as in a campaign.

use anyhow::{Context, bail};
use gevo::rl::dqn::{greedy_rollout, train_agent};
use gevo::rl::task::normalized_score;
use gevo::{Archive, ProgramLoss, rl};
use rand::SeedableRng;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let loss = match args.as_slice() {
        [file] => ProgramLoss::load(file)?,
        [dir, id] => {
            let id: u64 = id.parse().context("candidate id")?;
            let program = Archive::open(dir.as_ref())?
                .program(id)?
                .with_context(|| format!("{dir}: no candidate {id}"))?;
            ProgramLoss::try_new(program)?
        }
        _ => bail!("usage: dqn_with_discovered_loss PROGRAM.json | ARCHIVE_DIR ID [SEED]"),
    };
    let seed = std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);

    // The shipped CartPole task: environment, time limit, DQN settings, return range.
    let spec = gevo::task::resolve("cartpole")?;
    let task = rl::load_tasks(&spec)?.remove(0);
    let mut config = task.dqn.clone();
    config.seed = seed;
    let mut env = rl::make_env(&task.environment.id, task.environment.max_episode_steps)?;

    println!(
        "training on {} with loss {}",
        task.environment.id,
        gevo::program::print::infix_top(&gevo::program::simplify::simplify(loss.program()))
    );
    let device = burn::tensor::Device::flex();
    let agent = train_agent(env.as_mut(), &loss, &config, &device);
    let report = &agent.report;
    let last = report
        .mean_last_returns(task.environment.score_episodes)
        .unwrap_or(task.environment.return_range[0]);
    println!(
        "{:?} after {} episodes, {} env steps, {:.1} s",
        report.outcome,
        report.episode_returns.len(),
        report.env_steps,
        report.wall_secs
    );
    println!(
        "mean training return of the last {} episodes: {last:.1} (normalized score {:.3})",
        task.environment.score_episodes,
        normalized_score(last, task.environment.return_range)
    );
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let greedy = greedy_rollout(env.as_mut(), &agent.network, 10, None, &mut rng);
    println!(
        "greedy policy, 10 episodes: mean return {:.1}",
        greedy.iter().sum::<f64>() / greedy.len() as f64
    );
    Ok(())
}
