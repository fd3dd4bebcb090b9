//! Train a DQN agent on a user-defined environment with a shipped loss, through gevo's library
//! API only.
//!
//! ```text
//! cargo run --release --example custom_environment                 # 400 training episodes
//! cargo run --release --example custom_environment -- 1000 path/to/loss.json
//! cargo test --example custom_environment                          # a small budget, as a test
//! ```
//!
//! The environment is a corridor (a chain MDP, as in Osband et al., "Deep Exploration via
//! Bootstrapped DQN", NeurIPS 2016): cells `0..LENGTH`, the agent starts in cell 1 and moves
//! left or right; the left end pays a small distracting reward and the right end the real one,
//! both ending the episode. Its optimal return is known (`GOAL_REWARD`), and a random walk
//! mostly takes the distractor, so "learned the task" is checkable. Any type implementing
//! [`gevo::envs::Environment`] trains the same way; the loss is the standard DQN loss of
//! `search_spaces/rl_loss/seeds/dqn.json`, loaded as a [`gevo::ProgramLoss`] (an archive's
//! candidate works the same way, see `examples/dqn_with_discovered_loss.rs`).

use gevo::ProgramLoss;
use gevo::envs::{EnvError, Environment, Step, TimeLimit, check_state_len};
use gevo::rl::dqn::{DqnConfig, TrainingReport, greedy_rollout, train_agent};
use gevo::rl::task::normalized_score;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Number of cells of the corridor.
const LENGTH: usize = 6;
/// The cell each episode starts in.
const START: usize = 1;
/// Reward for reaching the left end (cell 0).
const DISTRACTOR_REWARD: f64 = 0.1;
/// Reward for reaching the right end (cell `LENGTH - 1`): the optimal return.
const GOAL_REWARD: f64 = 1.0;
/// Episode time limit.
const MAX_EPISODE_STEPS: usize = 20;
/// The standard DQN loss shipped with gevo's RL-loss space.
const DQN_LOSS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/search_spaces/rl_loss/seeds/dqn.json"
);

/// The corridor: actions 0 (left) and 1 (right); observation the one-hot cell (length
/// `LENGTH`); state `[cell]` (`set_state` clamps it into the interior `1..LENGTH - 1`).
/// Deterministic, so `reset` draws nothing.
#[derive(Debug, Clone)]
struct Corridor {
    cell: usize,
    time_limit: TimeLimit,
}

impl Corridor {
    fn new() -> Self {
        Self {
            cell: START,
            time_limit: TimeLimit::new(Some(MAX_EPISODE_STEPS)),
        }
    }

    fn obs(&self) -> Vec<f64> {
        (0..LENGTH).map(|i| f64::from(i == self.cell)).collect()
    }
}

impl Environment for Corridor {
    fn id(&self) -> &str {
        "Corridor-v0"
    }

    fn observation_dim(&self) -> usize {
        LENGTH
    }

    fn num_actions(&self) -> usize {
        2
    }

    fn reset(&mut self, _rng: &mut ChaCha8Rng) -> Vec<f64> {
        self.cell = START;
        self.time_limit.reset();
        self.obs()
    }

    fn step(&mut self, action: usize) -> Step {
        self.cell = if action == 0 {
            self.cell.saturating_sub(1)
        } else {
            self.cell + 1
        };
        let (reward, terminated) = match self.cell {
            0 => (DISTRACTOR_REWARD, true),
            c if c == LENGTH - 1 => (GOAL_REWARD, true),
            _ => (0.0, false),
        };
        Step {
            obs: self.obs(),
            reward,
            terminated,
            truncated: self.time_limit.tick(),
        }
    }

    fn state(&self) -> Vec<f64> {
        vec![self.cell as f64]
    }

    fn set_state(&mut self, state: &[f64]) -> Result<(), EnvError> {
        check_state_len(self.id(), state, 1)?;
        self.cell = (state[0] as usize).clamp(1, LENGTH - 2);
        self.time_limit.reset();
        Ok(())
    }
}

/// Mean return of the uniformly random policy over `episodes` episodes (the baseline a learned
/// policy must beat; about `0.2 · 1 + 0.8 · 0.1` from gambler's ruin, a little less with the
/// time limit).
fn random_policy_return(env: &mut dyn Environment, episodes: usize, seed: u64) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut total = 0.0;
    for _ in 0..episodes {
        env.reset(&mut rng);
        loop {
            let s = env.step(rng.random_range(0..env.num_actions()));
            total += s.reward;
            if s.terminated || s.truncated {
                break;
            }
        }
    }
    total / episodes as f64
}

/// What one training run produced.
struct Summary {
    report: TrainingReport,
    /// Returns of the greedy policy after training.
    greedy_returns: Vec<f64>,
    /// Mean return of the random policy.
    random_return: f64,
}

/// Trains on the corridor for `episodes` episodes with the loss program at `loss_path`.
fn run(episodes: u64, loss_path: &str, seed: u64) -> anyhow::Result<Summary> {
    let loss = ProgramLoss::load(loss_path)?;
    let config = DqnConfig {
        hidden_sizes: vec![32],
        learning_rate: 3e-3,
        batch_size: 32,
        target_update_period: 25,
        replay_capacity: 5_000,
        min_replay_size: 64,
        epsilon_decay_steps: 4 * episodes,
        epsilon_end: 0.1,
        train_episodes: episodes,
        max_env_steps: episodes * MAX_EPISODE_STEPS as u64,
        seed,
        ..DqnConfig::fast()
    };
    let mut env = Corridor::new();
    let agent = train_agent(&mut env, &loss, &config, &burn::tensor::Device::flex());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let greedy_returns = greedy_rollout(&mut env, &agent.network, 5, None, &mut rng);
    Ok(Summary {
        report: agent.report,
        greedy_returns,
        random_return: random_policy_return(&mut env, 2_000, seed),
    })
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let episodes = match args.first() {
        Some(n) => n.parse()?,
        None => 400,
    };
    let loss_path = args.get(1).map_or(DQN_LOSS, String::as_str);
    let s = run(episodes, loss_path, 0)?;
    let r = &s.report;
    println!(
        "{:?} after {} episodes, {} env steps, {} gradient steps, {:.1} s",
        r.outcome,
        r.episode_returns.len(),
        r.env_steps,
        r.grad_steps,
        r.wall_secs
    );
    let last = r.mean_last_returns(20).unwrap_or(0.0);
    println!(
        "mean training return of the last 20 episodes: {last:.3} (normalized score {:.3} \
         between the random policy's {:.3} and the optimum {GOAL_REWARD})",
        normalized_score(last, [s.random_return, GOAL_REWARD]),
        s.random_return
    );
    println!("greedy policy returns: {:?}", s.greedy_returns);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corridor_dynamics() {
        let mut env = Corridor::new();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert_eq!(env.reset(&mut rng), [0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        let s = env.step(0);
        assert_eq!((s.reward, s.terminated), (DISTRACTOR_REWARD, true));
        env.reset(&mut rng);
        let rewards: Vec<_> = (0..4).map(|_| env.step(1).reward).collect();
        assert_eq!(rewards, [0.0, 0.0, 0.0, GOAL_REWARD]);
        assert!(env.set_state(&[1.0, 2.0]).is_err());
    }

    #[test]
    fn dqn_loss_learns_the_optimal_policy() {
        let s = run(150, DQN_LOSS, 0).unwrap();
        assert!((0.2..0.3).contains(&s.random_return), "{}", s.random_return);
        let last = s.report.mean_last_returns(20).unwrap();
        println!(
            "{:?}\nlast 20: {last}, random: {}",
            s.report, s.random_return
        );
        assert!(s.report.grad_steps > 0);
        assert!(last > s.random_return + 0.3, "{last}");
        assert_eq!(s.greedy_returns, [GOAL_REWARD; 5]);
    }
}
