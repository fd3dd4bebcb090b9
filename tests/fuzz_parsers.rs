//! Fuzzing every parser a user (or a damaged archive) feeds: search-space TOML, program JSON,
//! task TOML, CSV, and the archive's record and state decoders. Inputs are the shipped files
//! mutated at random (byte flips, inserted tokens such as huge numbers and brackets, deleted and
//! duplicated spans, truncation) plus plain random bytes; every parser must answer with a value
//! or an error, never a panic. A fixed seed and case count keep each test to a few seconds;
//! `GEVO_FUZZ_CASES=N` runs longer by hand.

use gevo::archive::format::{StoredRecord, decode_summary};
use gevo::archive::{CampaignState, CandidateRecord};
use gevo::domains::symbolic_regression::Dataset;
use gevo::program::Program;
use gevo::program::space::SearchSpace;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

fn cases() -> usize {
    std::env::var("GEVO_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500)
}

const TOKENS: &[&[u8]] = &[
    b"-1",
    b"0",
    b"1e309",
    b"-1e309",
    b"NaN",
    b"inf",
    b"99999999999999999999",
    b"4294967296",
    b"18446744073709551615",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"=",
    b",",
    b"\n",
    b"#",
    b"[[",
    b"\"\"\"",
    b"\\u0000",
    b"\xff\xfe",
    b"null",
    b"true",
    b"[]",
    b"{}",
];

/// One random mutation of `seed` (one to four edits).
fn mutate(rng: &mut ChaCha8Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let at = if v.is_empty() {
            0
        } else {
            rng.random_range(0..=v.len())
        };
        match rng.random_range(0..6) {
            0 if at < v.len() => v[at] ^= 1 << rng.random_range(0..8),
            1 => {
                let t = TOKENS[rng.random_range(0..TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            2 if at < v.len() => {
                let end = (at + rng.random_range(1..32)).min(v.len());
                v.drain(at..end);
            }
            3 if at < v.len() => {
                let end = (at + rng.random_range(1..64)).min(v.len());
                let span: Vec<u8> = v[at..end].to_vec();
                v.splice(at..at, span);
            }
            4 => v.truncate(at),
            _ => v.insert(at.min(v.len()), rng.random()),
        }
    }
    v
}

/// Runs `parse` on `cases()` mutations of the seeds (and some random bytes); fails listing the
/// inputs that panicked.
fn fuzz(name: &str, seeds: &[Vec<u8>], mut parse: impl FnMut(&[u8])) {
    assert!(!seeds.is_empty(), "{name}: no seed inputs");
    let mut rng = ChaCha8Rng::seed_from_u64(0x6576_6f20);
    let mut panics = vec![];
    let n = cases();
    for i in 0..n {
        let input = if i % 10 == 9 {
            let len = rng.random_range(0..256);
            (0..len).map(|_| rng.random()).collect()
        } else {
            mutate(&mut rng, &seeds[i % seeds.len()])
        };
        if catch_unwind(AssertUnwindSafe(|| parse(&input))).is_err() {
            panics.push(String::from_utf8_lossy(&input).into_owned());
        }
    }
    eprintln!("{name}: {n} cases, {} panics", panics.len());
    assert!(
        panics.is_empty(),
        "{name}: {} of {n} inputs panicked; first: {:?}",
        panics.len(),
        panics[0]
    );
}

fn files(dir: &str, ext: &str) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    out.sort();
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn quiet_panics() {
    // The expected output of a test that finds nothing is one line per parser, not a
    // backtrace per caught panic.
    std::panic::set_hook(Box::new(|_| {}));
}

#[test]
fn search_space_toml_never_panics() {
    quiet_panics();
    fuzz("search space TOML", &files("search_spaces", "toml"), |b| {
        if let Ok(s) = SearchSpace::from_toml(&text(b), "fuzz.toml") {
            let _ = s.check_producible();
        }
    });
}

#[test]
fn program_json_never_panics() {
    quiet_panics();
    let space_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("search_spaces/rl_loss.toml"),
    )
    .unwrap();
    let space = SearchSpace::from_toml(&space_text, "rl_loss.toml").unwrap();
    let mut seeds = files("search_spaces/rl_loss/seeds", "json");
    seeds.extend(files("search_spaces/optimizer/seeds", "json"));
    fuzz("program JSON", &seeds, |b| {
        if let Ok(p) = Program::from_json(&text(b), "fuzz.json") {
            let _ = gevo::program::validate::validate(&p, &space);
            let _ = p.size();
        }
    });
}

#[test]
fn task_toml_never_panics() {
    quiet_panics();
    fuzz("task TOML", &files("tasks", "toml"), |b| {
        let t = text(b);
        for name in gevo::domains::registry::domain_names() {
            if let Some(d) = gevo::domains::registry::domain(name) {
                let _ = d.validate_task("fuzz.toml", &t);
            }
        }
        let _ = gevo::task_file::domain_of(&t, "fuzz.toml");
    });
}

#[test]
fn csv_never_panics() {
    quiet_panics();
    let mut seeds = vec![
        b"x,y\n1,2\n3,4\n5,6\n".to_vec(),
        b"a, b ,y\n0.5,1e3,-2\n\n1,2,3\n".to_vec(),
    ];
    let digits =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tasks/data/digits.csv")).unwrap();
    seeds.push(digits[..digits.len().min(4000)].to_vec());
    fuzz("CSV", &seeds, |b| {
        for target in ["y", "b", "label"] {
            if let Ok(d) = Dataset::from_csv_text(&text(b), "fuzz.csv", target) {
                assert_eq!(d.columns.len(), d.names.len());
                let _ = d.split(0.25, 1);
            }
        }
    });
}

#[test]
fn record_decoders_never_panic_nor_blow_up() {
    quiet_panics();
    // Valid encodings of both schemas to mutate, from a real program.
    let program = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("search_spaces/rl_loss/seeds/dqn.json"),
    )
    .unwrap();
    let program = serde_json::to_string(&Program::from_json(&program, "dqn").unwrap()).unwrap();
    let r = CandidateRecord {
        id: 12,
        seq: 11,
        program,
        expression: "dqn".into(),
        size: 9,
        fingerprint: gevo::hashing::Fingerprint(1 << 100),
        structural_hash: 5,
        fitness: Some(0.5),
        test_score: Some(0.25),
        details: vec![("return".into(), 10.0)],
        outcome: gevo::engine::Outcome::Ok,
        parent: Some(3),
        mutation: None,
        seed: Some("dqn".into()),
        fec_hit: false,
        cost: Default::default(),
        created_unix: 1.0,
    };
    let v1 = postcard::to_allocvec(&r).unwrap();
    let v2 = postcard::to_allocvec(&StoredRecord::new(
        &r,
        gevo::archive::format::own_program(&r),
    ))
    .unwrap();
    fuzz("archive records", &[v1, v2], |b| {
        let _ = decode_summary(1, b);
        let _ = decode_summary(2, b);
        if let Ok(s) = postcard::from_bytes::<StoredRecord>(b) {
            let _ = s.own_program();
        }
        let _ = postcard::from_bytes::<CandidateRecord>(b);
        let _ = postcard::from_bytes::<CampaignState>(b);
    });
}
