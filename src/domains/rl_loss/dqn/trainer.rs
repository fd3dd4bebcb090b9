//! The DQN training loop (Mnih et al. 2015) with a pluggable loss: the inner loop that scores
//! one candidate loss program (ICLR 2021 §4: each candidate trains a fresh agent and is rated by
//! its training returns).

use std::time::Instant;

use burn::tensor::Device;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

#[cfg_attr(not(test), allow(unused_imports))] // EnvError is used by the tests' environment.
use crate::envs::{EnvError, Environment, Step};

use super::adam::FusedAdam;
use super::config::{ConfigError, DqnConfig};
use super::exploration::EpsilonSchedule;
use super::loss::{DqnLoss, LossInputs};
use super::online::OnlineNetwork;
use super::q_network::QNetwork;
use super::replay::ReplayBuffer;

/// How a training run ended. `step` counts environment steps taken before the event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingOutcome {
    /// Ran to `train_episodes` episodes or `max_env_steps` environment steps.
    Completed,
    /// The scalar loss or a Q-value seen during action selection was NaN or ±∞.
    NonFinite {
        /// Environment steps taken when it was detected.
        step: u64,
    },
    /// A Q-value seen during action selection exceeded `divergence_threshold` in magnitude.
    Diverged {
        /// Environment steps taken when it was detected.
        step: u64,
        /// The offending `max_a |Q(s, a)|`.
        max_abs_q: f64,
    },
    /// The wall-clock budget `time_limit_secs` ran out.
    TimedOut {
        /// Environment steps taken when it was detected.
        step: u64,
    },
}

/// What one training run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingReport {
    /// Undiscounted return of every finished (terminated or truncated) training episode, in
    /// order, exploration included. An episode cut by `max_env_steps` or by an abnormal outcome
    /// is not listed.
    pub episode_returns: Vec<f64>,
    /// Environment steps taken.
    pub env_steps: u64,
    /// Gradient (learner) steps taken.
    pub grad_steps: u64,
    /// How the run ended.
    pub outcome: TrainingOutcome,
    /// Wall-clock duration of the run in seconds.
    pub wall_secs: f64,
}

impl TrainingReport {
    /// Mean of the last `n` episode returns (fewer if fewer episodes finished; `None` if none).
    pub fn mean_last_returns(&self, n: usize) -> Option<f64> {
        let tail = &self.episode_returns[self.episode_returns.len().saturating_sub(n)..];
        (!tail.is_empty()).then(|| tail.iter().sum::<f64>() / tail.len() as f64)
    }
}

/// A training report together with the trained online network (on the plain device: pass it
/// to [`greedy_rollout`] or call [`QNetwork::greedy_action`] to act with it).
#[derive(Debug)]
pub struct TrainedAgent {
    /// What the run produced.
    pub report: TrainingReport,
    /// The online network θ at the end of training.
    pub network: QNetwork,
}

/// Independent random streams of one run, all derived from `DqnConfig::seed`, so that changing
/// one consumer (say, the batch size) does not shift the others.
fn stream(seed: u64, id: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(id);
    rng
}

/// Trains a fresh Q-network on `env` with `loss` and returns the report; see [`train_agent`].
///
/// # Panics
/// If `config` is invalid (see [`DqnConfig::validate`]).
pub fn train(
    env: &mut dyn Environment,
    loss: &dyn DqnLoss,
    config: &DqnConfig,
    device: &Device,
) -> TrainingReport {
    train_agent(env, loss, config, device).report
}

/// Trains a fresh Q-network on `env`, minimizing the mean over each minibatch of `loss`'s
/// per-sample output, and returns the report with the trained network.
///
/// Loop per environment step: ε-greedy action from the online network, `env.step`, store the
/// transition; once the replay holds `min_replay_size` transitions, every `train_every` env
/// steps sample a uniform minibatch and take one Adam step ([`FusedAdam`]); every
/// `target_update_period` gradient steps copy θ into θ'. Runs until `train_episodes` episodes
/// finished or `max_env_steps` env steps were taken, or ends early on a non-finite loss, a
/// non-finite or diverged Q-value (checked on the action-selection forward pass), or the time
/// limit.
///
/// `device` is the compute device (e.g. `Device::flex()`): the networks run on
/// `device.inner()`, only the loss graph (from the online Q-values on) is recorded by autodiff
/// ([`OnlineNetwork`]); acting and the Adam step run on a host copy of θ. Deterministic for a
/// given `config.seed` (all randomness comes from ChaCha8 streams seeded by it), also when
/// several runs execute concurrently.
///
/// A loss that does not depend on the online network (no tracked graph) yields no update
/// for that step; the step is still counted.
///
/// # Panics
/// If `config` is invalid (see [`DqnConfig::validate`]).
pub fn train_agent(
    env: &mut dyn Environment,
    loss: &dyn DqnLoss,
    config: &DqnConfig,
    device: &Device,
) -> TrainedAgent {
    if let Err(ConfigError(msg)) = config.validate() {
        panic!("invalid DQN config: {msg}");
    }
    let start = Instant::now();
    let plain = device.clone().inner();
    let (obs_dim, num_actions) = (env.observation_dim(), env.num_actions());

    let mut init_rng = stream(config.seed, 0);
    let mut env_rng = stream(config.seed, 1);
    let mut act_rng = stream(config.seed, 2);
    let mut replay_rng = stream(config.seed, 3);

    // Host master copy of θ: acting and the Adam step run on it; `online` is its plain-device
    // copy for the minibatch loss (see `online.rs`), rebuilt after every update.
    let mut host = QNetwork::new(
        obs_dim,
        &config.hidden_sizes,
        num_actions,
        &mut init_rng,
        &plain,
    )
    .to_host();
    let mut online = QNetwork::from_host(&host, &plain);
    let mut target = online.clone();
    let mut optim = FusedAdam::new(config.adam_epsilon as f32);
    let mut replay = ReplayBuffer::new(obs_dim, config.replay_capacity);
    let schedule = EpsilonSchedule {
        start: config.epsilon_start,
        end: config.epsilon_end,
        decay_steps: config.epsilon_decay_steps,
    };
    let time_limit = config.time_limit_secs;

    let mut episode_returns = Vec::new();
    let (mut env_steps, mut grad_steps) = (0u64, 0u64);
    let mut outcome = TrainingOutcome::Completed;

    'episodes: while (episode_returns.len() as u64) < config.train_episodes
        && env_steps < config.max_env_steps
    {
        let mut obs = env.reset(&mut env_rng);
        let (mut episode_return, mut episode_steps) = (0.0f64, 0u64);
        loop {
            if time_limit.is_some_and(|t| start.elapsed().as_secs_f64() > t) {
                outcome = TrainingOutcome::TimedOut { step: env_steps };
                break 'episodes;
            }

            let epsilon = schedule.value(env_steps);
            let chosen = EpsilonSchedule::select(epsilon, num_actions, &mut act_rng, || {
                let (action, max_abs_q) = host.greedy_action(&obs);
                if max_abs_q.is_nan() || max_abs_q.is_infinite() {
                    Err(TrainingOutcome::NonFinite { step: env_steps })
                } else if max_abs_q > config.divergence_threshold {
                    Err(TrainingOutcome::Diverged {
                        step: env_steps,
                        max_abs_q,
                    })
                } else {
                    Ok(action)
                }
            });
            let action = match chosen {
                Ok(action) => action,
                Err(o) => {
                    outcome = o;
                    break 'episodes;
                }
            };

            let Step {
                obs: next_obs,
                reward,
                terminated,
                truncated,
            } = env.step(action);
            env_steps += 1;
            episode_steps += 1;
            episode_return += reward;
            replay.push(&obs, action, reward, terminated, &next_obs);

            if replay.len() >= config.min_replay_size && env_steps % config.train_every == 0 {
                let batch =
                    replay.sample(config.batch_size, config.discount, &mut replay_rng, &plain);
                let theta = OnlineNetwork::new(&online);
                let inputs = LossInputs {
                    online: &theta,
                    target: &target,
                    s_tm1: batch.s_tm1,
                    action: batch.action,
                    reward: batch.reward,
                    discount: batch.discount,
                    s_t: batch.s_t,
                };
                let mean_loss = loss.loss(&inputs).mean();
                drop(inputs);
                let value: f32 = mean_loss.clone().inner().into_scalar();
                if !value.is_finite() {
                    outcome = TrainingOutcome::NonFinite { step: env_steps };
                    break 'episodes;
                }
                if mean_loss.is_tracked() {
                    let grads = theta.backprop(&mean_loss.backward());
                    drop(theta);
                    optim.step(config.learning_rate as f32, &mut host, &grads);
                    online = QNetwork::from_host(&host, &plain);
                }
                grad_steps += 1;
                if grad_steps % config.target_update_period == 0 {
                    target = online.clone();
                }
            }

            let capped = config.max_episode_steps.is_some_and(|m| episode_steps >= m);
            if terminated || truncated || capped {
                tracing::trace!(
                    episode = episode_returns.len(),
                    episode_return,
                    env_steps,
                    "episode finished"
                );
                episode_returns.push(episode_return);
                break;
            }
            if env_steps >= config.max_env_steps {
                break 'episodes;
            }
            obs = next_obs;
        }
    }

    TrainedAgent {
        report: TrainingReport {
            episode_returns,
            env_steps,
            grad_steps,
            outcome,
            wall_secs: start.elapsed().as_secs_f64(),
        },
        network: online,
    }
}

/// Runs `episodes` episodes of the greedy policy `argmax_a Q(s, a)` of `network` on `env`
/// (no exploration, no learning) and returns their undiscounted returns. Initial states are
/// drawn from `rng`. Episodes end on termination, on the environment's truncation, or after
/// `max_episode_steps` steps if given (pass a cap for environments without a time limit).
pub fn greedy_rollout(
    env: &mut dyn Environment,
    network: &QNetwork,
    episodes: usize,
    max_episode_steps: Option<u64>,
    rng: &mut ChaCha8Rng,
) -> Vec<f64> {
    let net = network.snapshot();
    (0..episodes)
        .map(|_| {
            let mut obs = env.reset(rng);
            let (mut total, mut steps) = (0.0, 0u64);
            loop {
                let (action, _) = net.greedy_action(&obs);
                let step = env.step(action);
                total += step.reward;
                steps += 1;
                if step.terminated
                    || step.truncated
                    || max_episode_steps.is_some_and(|m| steps >= m)
                {
                    return total;
                }
                obs = step.obs;
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::loss::StandardDqnLoss;
    use super::*;
    use burn::tensor::Tensor;

    /// Deterministic 5-state chain: start in state 0; action 1 moves right, action 0 ends the
    /// episode with reward 0; reaching state 4 ends it with reward 1. Optimal: always 1 (return 1).
    /// Observation: one-hot state.
    struct Chain {
        pos: usize,
    }
    const CHAIN: usize = 5;
    impl Environment for Chain {
        fn id(&self) -> &str {
            "Chain-v0"
        }
        fn observation_dim(&self) -> usize {
            CHAIN
        }
        fn num_actions(&self) -> usize {
            2
        }
        fn reset(&mut self, _rng: &mut ChaCha8Rng) -> Vec<f64> {
            self.pos = 0;
            self.obs()
        }
        fn step(&mut self, action: usize) -> Step {
            let (reward, terminated) = if action == 0 {
                (0.0, true)
            } else {
                self.pos += 1;
                if self.pos == CHAIN - 1 {
                    (1.0, true)
                } else {
                    (0.0, false)
                }
            };
            Step {
                obs: self.obs(),
                reward,
                terminated,
                truncated: false,
            }
        }
        fn state(&self) -> Vec<f64> {
            vec![self.pos as f64]
        }
        fn set_state(&mut self, state: &[f64]) -> Result<(), EnvError> {
            self.pos = state[0] as usize;
            Ok(())
        }
    }
    impl Chain {
        fn obs(&self) -> Vec<f64> {
            (0..CHAIN).map(|i| f64::from(i == self.pos)).collect()
        }
    }

    fn small_config(seed: u64) -> DqnConfig {
        DqnConfig {
            hidden_sizes: vec![16],
            learning_rate: 3e-3,
            batch_size: 16,
            target_update_period: 20,
            replay_capacity: 1000,
            min_replay_size: 32,
            epsilon_decay_steps: 300,
            epsilon_end: 0.1,
            train_episodes: 300,
            max_env_steps: 2000,
            seed,
            ..DqnConfig::fast()
        }
    }

    #[test]
    fn standard_loss_learns_the_chain() {
        let config = small_config(1);
        let agent = train_agent(
            &mut Chain { pos: 0 },
            &StandardDqnLoss,
            &config,
            &Device::flex(),
        );
        assert_eq!(agent.report.outcome, TrainingOutcome::Completed);
        assert!(agent.report.grad_steps > 0);
        let returns = greedy_rollout(
            &mut Chain { pos: 0 },
            &agent.network,
            3,
            Some(10),
            &mut stream(0, 9),
        );
        assert_eq!(returns, vec![1.0; 3], "{:?}", agent.report);
    }

    #[test]
    fn same_seed_same_returns_even_concurrently() {
        let run = |seed| {
            let mut config = small_config(seed);
            config.train_episodes = 60;
            train(
                &mut Chain { pos: 0 },
                &StandardDqnLoss,
                &config,
                &Device::flex(),
            )
        };
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| run(5));
            let b = s.spawn(|| run(5));
            (a.join().unwrap(), b.join().unwrap())
        });
        let c = run(5);
        assert!(a.grad_steps > 0);
        assert_eq!(a.episode_returns, b.episode_returns);
        assert_eq!(a.episode_returns, c.episode_returns);
        assert_eq!((a.env_steps, a.grad_steps), (c.env_steps, c.grad_steps));
    }

    struct NanLoss;
    impl DqnLoss for NanLoss {
        fn loss(&self, inputs: &LossInputs<'_>) -> Tensor<1> {
            StandardDqnLoss.loss(inputs).mul_scalar(f32::NAN)
        }
    }

    #[test]
    fn nan_loss_ends_with_non_finite() {
        let config = small_config(0);
        let report = train(&mut Chain { pos: 0 }, &NanLoss, &config, &Device::flex());
        assert!(
            matches!(report.outcome, TrainingOutcome::NonFinite { step } if step == report.env_steps),
            "{report:?}"
        );
        assert_eq!(report.grad_steps, 0);
        assert!(report.env_steps >= config.min_replay_size as u64);
    }

    /// A loss that pushes Q up without bound diverges, reported as `Diverged`.
    struct ExplodingLoss;
    impl DqnLoss for ExplodingLoss {
        fn loss(&self, inputs: &LossInputs<'_>) -> Tensor<1> {
            inputs
                .online
                .q_values(inputs.s_tm1.clone())
                .sum_dim(1)
                .squeeze_dim::<1>(1)
                .mul_scalar(-1.0)
        }
    }

    #[test]
    fn divergence_is_detected() {
        let config = DqnConfig {
            learning_rate: 0.5,
            divergence_threshold: 1e3,
            epsilon_end: 0.0,
            epsilon_decay_steps: 0,
            ..small_config(0)
        };
        let report = train(
            &mut Chain { pos: 0 },
            &ExplodingLoss,
            &config,
            &Device::flex(),
        );
        assert!(
            matches!(report.outcome, TrainingOutcome::Diverged { max_abs_q, .. } if max_abs_q > 1e3),
            "{report:?}"
        );
    }

    #[test]
    fn time_limit_is_enforced() {
        let config = DqnConfig {
            time_limit_secs: Some(0.0),
            ..small_config(0)
        };
        let report = train(
            &mut Chain { pos: 0 },
            &StandardDqnLoss,
            &config,
            &Device::flex(),
        );
        assert_eq!(report.outcome, TrainingOutcome::TimedOut { step: 0 });
    }

    /// A loss step moves θ but leaves θ' untouched, and the target's outputs carry no gradient.
    #[test]
    fn target_network_gets_no_gradient() {
        let plain = Device::flex();
        let mut rng = stream(0, 0);
        let online = QNetwork::new(3, &[8], 2, &mut rng, &plain);
        let target = online.clone();
        let s = Tensor::<2>::from_data([[0.1f32, 0.2, 0.3], [1.0, -1.0, 0.5]], &plain);
        let q = |net: &QNetwork| net.q_values(s.clone()).into_data();
        let before = q(&target);
        let batch = {
            let mut rb = ReplayBuffer::new(3, 4);
            rb.push(&[0.1, 0.2, 0.3], 1, 1.0, false, &[1.0, -1.0, 0.5]);
            rb.sample(4, 0.99, &mut rng, &plain)
        };
        let theta = OnlineNetwork::new(&online);
        let inputs = LossInputs {
            online: &theta,
            target: &target,
            s_tm1: batch.s_tm1,
            action: batch.action,
            reward: batch.reward,
            discount: batch.discount,
            s_t: batch.s_t,
        };
        let target_q = target.q_values(inputs.s_t.clone());
        assert!(!target_q.is_autodiff() && !target_q.is_tracked());
        let loss = StandardDqnLoss.loss(&inputs).mean();
        let grads = theta.backprop(&loss.backward());
        assert!(
            grads.iter().all(|(w, b)| w.is_some() && b.is_some()),
            "weight and bias of both layers"
        );
        let mut host = online.to_host();
        FusedAdam::new(1e-8).step(1e-2, &mut host, &grads);
        let updated = QNetwork::from_host(&host, &plain);
        assert_ne!(q(&updated), q(&online));
        assert_eq!(q(&target), before);
    }
}
