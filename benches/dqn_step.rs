//! Throughput of the DQN inner loop: environment steps per second, each followed by one
//! gradient step (replay warm-up of one batch only), on CartPole-v1 capped at 200 steps per
//! episode, single thread on the flex CPU backend; the default (64-64, batch 64) and the paper's
//! (256-256, batch 32) networks side by side. Compare with `benches/reference/torch_dqn.py`.

use burn::tensor::Device;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gevo::domains::rl_loss::dqn::DqnLoss;
use gevo::domains::rl_loss::dqn::{DqnConfig, StandardDqnLoss, train};
use gevo::domains::rl_loss::{ProgramLoss, make_env};
use gevo::program::Program;
use std::time::Duration;

/// Env steps per measured run.
const STEPS: u64 = 2000;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("dqn_env_step");
    group.throughput(Throughput::Elements(STEPS));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    let dqn_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/search_spaces/rl_loss/seeds/dqn.json"
    ))
    .unwrap();
    let program_loss = ProgramLoss::new(Program::from_json(&dqn_text, "dqn.json").unwrap());
    let cases: [(&str, DqnConfig, &dyn DqnLoss); 3] = [
        ("default_64x64_b64", DqnConfig::fast(), &StandardDqnLoss),
        ("paper_256x256_b32", DqnConfig::paper(), &StandardDqnLoss),
        // The DQN seed program run through the loss-graph interpreter (what campaigns train).
        (
            "default_64x64_b64_program_loss",
            DqnConfig::fast(),
            &program_loss,
        ),
    ];
    for (name, preset, loss) in cases {
        let config = DqnConfig {
            min_replay_size: preset.batch_size,
            max_env_steps: STEPS,
            train_episodes: u64::MAX,
            ..preset
        };
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for i in 0..iters {
                    let config = DqnConfig {
                        seed: i,
                        ..config.clone()
                    };
                    let mut env = make_env("CartPole-v1", Some(200)).unwrap();
                    let report = train(env.as_mut(), loss, &config, &Device::flex());
                    assert_eq!(report.env_steps, STEPS);
                    total += Duration::from_secs_f64(report.wall_secs);
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
