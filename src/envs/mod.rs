//! Discrete-action RL environments with Gymnasium semantics: exact ports of Gymnasium's
//! classic control ([`classic_control`]: `CartPole-v1`, `Acrobot-v1`, `MountainCar-v0`) and of
//! four MiniGrid gridworlds ([`minigrid`]), behind one [`Environment`] trait, with a
//! [`RewardScale`] wrapper and one registry over both families ([`list`], [`make`],
//! [`make_with_max_steps`], [`default_max_steps`]).
//!
//! Architecture invariant: this module imports nothing from the rest of the crate (only `std`,
//! `rand`, `rand_chacha`, `thiserror`, and `serde` in tests), so that it can become a crate of
//! its own for other Rust RL code. The RL-loss domain depends on it, never the reverse.
//!
//! A user-defined environment implements [`Environment`] and is used like a registered one
//! (see `examples/custom_environment.rs`).

pub mod classic_control;
pub mod environment;
pub mod minigrid;
pub mod reward_scale;
pub mod time_limit;

#[cfg(test)]
mod test_support;

pub use classic_control::{Acrobot, CartPole, MountainCar};
pub use environment::{EnvError, Environment, Step, check_action, check_state_len};
pub use minigrid::{DoorKey, DynamicObstacles, Empty, LavaGap};
pub use reward_scale::RewardScale;
pub use time_limit::TimeLimit;

/// One registered environment: its id, its registry time limit and a constructor taking the
/// time limit.
struct Registration {
    id: &'static str,
    max_steps: usize,
    make: fn(usize) -> Box<dyn Environment>,
}

impl Registration {
    const fn classic_control<P: classic_control::Physics + 'static>() -> Self {
        fn make<P: classic_control::Physics + 'static>(n: usize) -> Box<dyn Environment> {
            Box::new(classic_control::ClassicControl::<P>::with_max_episode_steps(Some(n)))
        }
        Self {
            id: P::ID,
            max_steps: P::MAX_EPISODE_STEPS,
            make: make::<P>,
        }
    }

    const fn minigrid<T: minigrid::Task + 'static>() -> Self {
        fn make<T: minigrid::Task + 'static>(n: usize) -> Box<dyn Environment> {
            Box::new(minigrid::MiniGrid::<T>::with_max_steps(n))
        }
        Self {
            id: T::ID,
            max_steps: T::MAX_STEPS,
            make: make::<T>,
        }
    }
}

/// Every registered environment, classic control first, in [`list`]'s order.
const REGISTRY: [Registration; 7] = [
    Registration::classic_control::<classic_control::cartpole::CartPolePhysics>(),
    Registration::classic_control::<classic_control::acrobot::AcrobotPhysics>(),
    Registration::classic_control::<classic_control::mountain_car::MountainCarPhysics>(),
    Registration::minigrid::<minigrid::empty::EmptyTask>(),
    Registration::minigrid::<minigrid::lava_gap::LavaGapTask>(),
    Registration::minigrid::<minigrid::door_key::DoorKeyTask>(),
    Registration::minigrid::<minigrid::dynamic_obstacles::DynamicObstaclesTask>(),
];

/// The ids of [`REGISTRY`], in order.
const IDS: [&str; REGISTRY.len()] = {
    let mut ids = [""; REGISTRY.len()];
    let mut i = 0;
    while i < ids.len() {
        ids[i] = REGISTRY[i].id;
        i += 1;
    }
    ids
};

/// The registered environment ids: `CartPole-v1`, `Acrobot-v1`, `MountainCar-v0`,
/// `MiniGrid-Empty-5x5-v0`, `MiniGrid-LavaGapS5-v0`, `MiniGrid-DoorKey-5x5-v0`,
/// `MiniGrid-Dynamic-Obstacles-5x5-v0`.
pub fn list() -> &'static [&'static str] {
    &IDS
}

fn lookup(id: &str) -> Result<&'static Registration, EnvError> {
    REGISTRY
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| EnvError::UnknownId(id.to_string(), IDS.join(", ")))
}

/// The registry's episode time limit of `id`: Gymnasium's `max_episode_steps` for classic
/// control (500, 500, 200), MiniGrid's default `max_steps` for the gridworlds (100, 100, 250,
/// 100).
///
/// # Errors
/// [`EnvError::UnknownId`] listing the known ids.
pub fn default_max_steps(id: &str) -> Result<usize, EnvError> {
    Ok(lookup(id)?.max_steps)
}

/// Builds the environment registered as `id` with the registry's time limit, like
/// `gymnasium.make(id)` (followed by `FullyObsWrapper` for MiniGrid). A new MiniGrid
/// environment holds the layout `reset` draws from `ChaCha8Rng::seed_from_u64(0)`; call
/// `reset` before stepping any environment.
///
/// # Errors
/// [`EnvError::UnknownId`] listing the known ids.
pub fn make(id: &str) -> Result<Box<dyn Environment>, EnvError> {
    let r = lookup(id)?;
    Ok((r.make)(r.max_steps))
}

/// Builds the environment registered as `id` with a custom time limit of `max_steps` steps:
/// Gymnasium's `max_episode_steps` for classic control, MiniGrid's `max_steps` (which also
/// scales the success reward) for the gridworlds.
///
/// # Errors
/// [`EnvError::UnknownId`] listing the known ids.
///
/// # Panics
/// For a MiniGrid id with `max_steps == 0`.
pub fn make_with_max_steps(id: &str, max_steps: usize) -> Result<Box<dyn Environment>, EnvError> {
    Ok((lookup(id)?.make)(max_steps))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn registry_covers_both_families() {
        assert_eq!(
            list(),
            &[
                "CartPole-v1",
                "Acrobot-v1",
                "MountainCar-v0",
                "MiniGrid-Empty-5x5-v0",
                "MiniGrid-LavaGapS5-v0",
                "MiniGrid-DoorKey-5x5-v0",
                "MiniGrid-Dynamic-Obstacles-5x5-v0"
            ]
        );
        for &id in list() {
            assert_eq!(make(id).unwrap().id(), id);
            assert_eq!(make_with_max_steps(id, 9).unwrap().id(), id);
        }
    }

    #[test]
    fn unknown_ids_list_every_family() {
        for id in ["Pendulum-v1", "cartpole-v1", "MiniGrid-Empty-8x8-v0", ""] {
            let err = make(id).err().unwrap();
            assert!(matches!(&err, EnvError::UnknownId(got, _) if got == id));
            let msg = err.to_string();
            assert!(
                msg.contains("CartPole-v1") && msg.contains("MiniGrid-DoorKey-5x5-v0"),
                "{msg}"
            );
            assert!(make_with_max_steps(id, 10).is_err());
            assert!(default_max_steps(id).is_err());
        }
    }

    #[test]
    fn errors_name_the_action_range_and_state_length() {
        // (id, number of actions, state length, state lengths to reject).
        let table: [(&str, usize, usize, &[usize]); 7] = [
            ("CartPole-v1", 2, 4, &[3]),
            ("Acrobot-v1", 3, 4, &[6]),
            ("MountainCar-v0", 3, 2, &[1]),
            ("MiniGrid-Empty-5x5-v0", 7, 81, &[80]),
            ("MiniGrid-LavaGapS5-v0", 7, 81, &[0]),
            ("MiniGrid-DoorKey-5x5-v0", 7, 81, &[82]),
            ("MiniGrid-Dynamic-Obstacles-5x5-v0", 3, 85, &[81]),
        ];
        for (id, n, len, bad_lens) in table {
            let mut env = make(id).unwrap();
            assert!(check_action(env.as_ref(), n - 1).is_ok(), "{id}");
            for action in [n, n + 4] {
                assert!(
                    matches!(
                        check_action(env.as_ref(), action),
                        Err(EnvError::ActionOutOfRange { env, action: a, num_actions })
                            if env == id && a == action && num_actions == n
                    ),
                    "{id}"
                );
            }
            assert_eq!(env.state().len(), len, "{id}");
            for &got in bad_lens {
                let before = env.state();
                assert!(
                    matches!(
                        env.set_state(&vec![0.0; got]),
                        Err(EnvError::StateLength { env, got: g, expected })
                            if env == id && g == got && expected == len
                    ),
                    "{id}"
                );
                assert_eq!(
                    env.state(),
                    before,
                    "{id}: a rejected state changes nothing"
                );
            }
        }
    }

    #[test]
    fn custom_time_limit_truncates_every_environment() {
        for &id in list() {
            let mut env = make_with_max_steps(id, 3).unwrap();
            env.reset(&mut ChaCha8Rng::seed_from_u64(4));
            let flags: Vec<_> = (0..3)
                .map(|_| {
                    // Turning left (MiniGrid), pushing left or applying -1 torque: none of
                    // them ends an episode within three steps from a reset state.
                    let s = env.step(0);
                    (s.terminated, s.truncated)
                })
                .collect();
            assert_eq!(
                flags,
                [(false, false), (false, false), (false, true)],
                "{id}"
            );
        }
    }

    /// The architecture invariant of the module doc: no file under `src/envs` names a path of
    /// the rest of the crate.
    #[test]
    fn imports_nothing_from_the_rest_of_the_crate() {
        fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    rust_files(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        rust_files(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src/envs")),
            &mut files,
        );
        assert!(files.len() >= 15, "{files:?}");
        // Spelled in pieces so that this test's own source does not match.
        let forbidden = [concat!("crate", "::"), concat!("gevo", "::")];
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (i, line) in text.lines().enumerate() {
                let line = line.replace("pub(crate)", "");
                assert!(
                    !forbidden.iter().any(|f| line.contains(f)),
                    "{}:{}: {line}",
                    file.display(),
                    i + 1
                );
            }
        }
    }
}
