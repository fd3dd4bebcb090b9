//! How rare is a TD learner in the RL-loss search space? Samples random loss programs (the
//! campaign's initial population and `new_program` mutations) and random mutation walks, and
//! counts how many are functionally equal — under the campaign's probe, up to a positive factor —
//! to a member of the TD family: `d(Q(s_t, a_t), r + γ·f(Q_θ*(s_{t+1})))` with the distance `d`
//! ∈ {`l2_distance`, `square(sub)`}, `f` ∈ {`max_list`, `mean_list`, `logsumexp_list`} and θ* ∈
//! {online, target}, plus every shipped seed (DQN, Double DQN, DQNReg, …).
//!
//! ```text
//! cargo run --release --example rl_loss_base_rate -- 1000000 200
//! ```
//!
//! Arguments: random programs to sample (default 100,000), and the length of each random
//! mutation walk (default 100; as many walks as fit in the same number of programs). The result
//! is the base rate at which a search without a fitness signal meets a TD learner: its inverse
//! is the expected number of candidates a blind search needs (docs/results.md, experiment A).

use gevo::analysis::known::normalized_fingerprint;
use gevo::catalog;
use gevo::domains::rl_loss::probe::LossProbe;
use gevo::hashing::{Fingerprint, fingerprint_of_outputs};
use gevo::program::Program;
use gevo::program::generate::random_program;
use gevo::program::mutate::{MutationConfig, mutate};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, HashSet};

const BITS: u32 = 24;

/// The TD family as program JSON (inputs in the space's order: 0 q_param, 1 action, 2 s_tm1,
/// 3 q_targ_param, 4 s_t, 5 reward, 6 discount).
fn td_family() -> Vec<(String, String)> {
    let inputs = r#"[{"name":"q_param","dtype":"param"},{"name":"action","dtype":"action"},
        {"name":"s_tm1","dtype":"state"},{"name":"q_targ_param","dtype":"param"},
        {"name":"s_t","dtype":"state"},{"name":"reward","dtype":"float"},
        {"name":"discount","dtype":"float"}]"#;
    let mut out = Vec::new();
    for (param, pname) in [(0, "online"), (3, "target")] {
        for f in ["max_list", "mean_list", "logsumexp_list"] {
            // 7 Q(s) list, 8 Q(s,a), 9 Q*(s') list, 10 f(.), 11 γ·f, 12 Y = r + γ·f
            let head = format!(
                r#"{{"op":"qvalue_list","args":[0,2]}},{{"op":"select_list","args":[7,1]}},
                {{"op":"qvalue_list","args":[{param},4]}},{{"op":"{f}","args":[9]}},
                {{"op":"mul","args":[6,10]}},{{"op":"add","args":[5,11]}}"#
            );
            let l2 = format!(
                r#"{{"inputs":{inputs},"nodes":[{head},{{"op":"l2_distance","args":[8,12]}}],"output":13}}"#
            );
            let sq = format!(
                r#"{{"inputs":{inputs},"nodes":[{head},{{"op":"sub","args":[8,12]}},{{"op":"square","args":[13]}}],"output":14}}"#
            );
            out.push((format!("td_{f}_{pname}_l2"), l2));
            out.push((format!("td_{f}_{pname}_square"), sq));
        }
    }
    out
}

fn main() -> anyhow::Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let samples = args.first().copied().unwrap_or(100_000);
    let walk_len = args.get(1).copied().unwrap_or(100).max(1);
    let space = catalog::load_space("rl_loss")?;
    let probe = LossProbe::new();

    let mut targets: HashMap<Fingerprint, String> = HashMap::new();
    for (name, text) in td_family().into_iter().chain(catalog::seeds("rl_loss")) {
        let p = Program::from_json(&text, &name)?;
        gevo::program::validate::validate(&p, &space)?;
        if let Some((fp, _)) = normalized_fingerprint(&probe.outputs(&p), BITS) {
            targets.entry(fp).or_insert(name);
        }
    }
    println!("TD family and seeds: {} distinct functions", targets.len());

    let classify = |p: &Program, distinct: &mut HashSet<Fingerprint>| -> Option<String> {
        let out = probe.outputs(p);
        distinct.insert(fingerprint_of_outputs(&out, BITS));
        normalized_fingerprint(&out, BITS).and_then(|(fp, _)| targets.get(&fp).cloned())
    };

    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let start = std::time::Instant::now();
    let mut distinct = HashSet::new();
    let mut hits: HashMap<String, u64> = HashMap::new();
    for _ in 0..samples {
        if let Some(p) = random_program(&space, &mut rng)
            && let Some(name) = classify(&p, &mut distinct)
        {
            *hits.entry(name).or_default() += 1;
        }
    }
    println!(
        "random programs: {samples} sampled, {} distinct functions, {} TD-family hits {:?} ({:.1} s)",
        distinct.len(),
        hits.values().sum::<u64>(),
        hits,
        start.elapsed().as_secs_f64()
    );

    let start = std::time::Instant::now();
    let cfg = MutationConfig::default();
    let mut distinct = HashSet::new();
    let mut hits: HashMap<String, u64> = HashMap::new();
    let walks = (samples / walk_len).max(1);
    for _ in 0..walks {
        let Some(mut p) = random_program(&space, &mut rng) else {
            continue;
        };
        for _ in 0..walk_len {
            p = mutate(&p, &space, &cfg, &mut rng).0;
            if let Some(name) = classify(&p, &mut distinct) {
                *hits.entry(name).or_default() += 1;
            }
        }
    }
    println!(
        "mutation walks: {walks} × {walk_len} steps, {} distinct functions, {} TD-family hits {:?} ({:.1} s)",
        distinct.len(),
        hits.values().sum::<u64>(),
        hits,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
