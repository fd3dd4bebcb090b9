//! `gevo export` through the real binary: every format for the seeds and for an archived
//! candidate, SVG drawings, clear errors, and the burn exports of the seeds compiled into this
//! test and run against gevo's f64 evaluation.
//!
//! The burn exports are golden files (`tests/cli_export/burn/*.rs`): the test checks the CLI
//! still writes them byte for byte (`GEVO_BLESS=1` rewrites them) and `include!`s them, so they
//! are compiled and evaluated here.

mod common;
#[path = "cli_export/fixture.rs"]
mod fixture;

use common::*;
use fixture::*;
use gevo::export::Format;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const SEEDS: [&str; 7] = [
    "dqn",
    "double_dqn",
    "cql_dqn",
    "td_undiscounted",
    "dqn_reg",
    "dqn_clipped",
    "dqn_huber",
];

fn seed_path(name: &str) -> String {
    format!("search_spaces/rl_loss/seeds/{name}.json")
}

#[test]
fn every_seed_exports_to_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for name in SEEDS {
        for format in Format::ALL {
            let out = dir.path().join(format!("{name}.{}", format.extension()));
            ok(&[
                "export",
                &seed_path(name),
                "--format",
                format.name(),
                "--output",
                out.to_str().unwrap(),
            ]);
            let text = std::fs::read_to_string(&out).unwrap();
            assert!(!text.trim().is_empty(), "{name} as {format}");
            match format {
                Format::Numpy | Format::Pytorch | Format::Jax => {
                    assert!(
                        text.contains(&format!("def {name}_loss(q_values")),
                        "{text}"
                    );
                    assert!(
                        text.contains("seeds/") && text.contains("Returns:"),
                        "{text}"
                    );
                }
                Format::Burn => assert!(text.contains(&format!("pub fn {name}_loss(")), "{text}"),
                Format::Latex => assert!(text.contains(r"\[ \mathcal{L} = "), "{text}"),
                Format::Svg => assert!(text.starts_with("<?xml") || text.starts_with("<svg")),
                Format::Dot => assert!(text.starts_with("digraph")),
                Format::Json => assert_eq!(
                    gevo::Program::from_json(&text, "export").unwrap(),
                    gevo::Program::load(seed_path(name)).unwrap()
                ),
            }
        }
    }
}

#[test]
fn an_archived_candidate_exports_with_its_provenance_and_draws_as_svg() {
    let dir = tempfile::tempdir().unwrap();
    let arch = dir.path().join("a");
    ok(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--budget",
        "300",
        "--population",
        "30",
        "--seed",
        "1",
        "--archive",
        arch.to_str().unwrap(),
        "--quiet",
    ]);
    let best = &inspect(&arch, 1)["top"][0];
    let id = best["id"].as_u64().unwrap().to_string();
    let code = ok(&["export", arch.to_str().unwrap(), &id, "--format", "numpy"]);
    assert!(
        code.contains(&format!("def candidate_{id}_equation(x")),
        "{code}"
    );
    assert!(
        code.contains(&format!("candidate {id}, fitness "))
            && code.contains(arch.to_str().unwrap()),
        "{code}"
    );
    let svg = dir.path().join("best.svg");
    let out = gevo(
        &[
            "export",
            arch.to_str().unwrap(),
            &id,
            "--format",
            "svg",
            "--output",
            svg.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.len() > 100, "non-empty SVG");
    assert!(
        text.starts_with("<?xml") || text.starts_with("<svg"),
        "{text:.100}"
    );
    assert!(text.contains("</svg>"));
    let missing = fails(&[
        "export",
        arch.to_str().unwrap(),
        "999999",
        "--format",
        "pytorch",
    ]);
    assert!(missing.contains("no candidate with id 999999"), "{missing}");
    let no_id = fails(&["export", arch.to_str().unwrap(), "--format", "pytorch"]);
    assert!(no_id.contains("give the candidate id"), "{no_id}");
}

#[test]
fn bad_formats_and_inexpressible_programs_are_clear_errors() {
    let e = fails(&["export", &seed_path("dqn"), "--format", "onnx"]);
    assert!(
        e.contains("unknown export format `onnx`") && e.contains("pytorch, jax, numpy, burn"),
        "{e}"
    );
    let e = fails(&["export", &seed_path("dqn"), "7", "--format", "numpy"]);
    assert!(e.contains("is a program file, not an archive"), "{e}");
    // Q-networks under names the DQN batch convention does not know.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("custom.json");
    std::fs::write(
        &p,
        r#"{"inputs": [{"name": "net", "dtype": "param"}, {"name": "obs", "dtype": "state"}],
            "nodes": [{"op": "qvalue_list", "args": [0, 1]}, {"op": "max_list", "args": [2]}],
            "output": 3}"#,
    )
    .unwrap();
    for format in ["pytorch", "jax", "numpy", "burn"] {
        let e = fails(&["export", p.to_str().unwrap(), "--format", format]);
        assert!(
            e.contains(&format!(
                "{format} export cannot express input `net` (param)"
            )) && e.contains("q_param"),
            "{e}"
        );
    }
    // Formats that draw or print the graph still take it.
    ok(&["export", p.to_str().unwrap(), "--format", "latex"]);
    ok(&["export", p.to_str().unwrap(), "--format", "dot"]);
}

#[test]
fn a_loss_that_never_reads_the_q_network_exports_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("reward_only.json");
    std::fs::write(
        &p,
        r#"{"inputs": [{"name": "q_param", "dtype": "param"}, {"name": "reward", "dtype": "float"}],
            "nodes": [{"op": "square", "args": [1]}],
            "output": 2}"#,
    )
    .unwrap();
    let out = gevo(&["export", p.to_str().unwrap(), "--format", "latex"], None);
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("reward_only.json") && err.contains("does not read `q_param`"),
        "{err}"
    );
    // DQN reads it: no warning.
    let out = gevo(&["export", &seed_path("dqn"), "--format", "latex"], None);
    assert!(out.status.success());
    assert!(!String::from_utf8(out.stderr).unwrap().contains("warning"));
}

#[test]
fn latex_shows_protected_ops_by_name() {
    let tex = ok(&["export", &seed_path("dqn_reg"), "--format", "latex"]);
    assert!(
        tex.contains(r"0.1 \cdot Q(s_t, a_t) + \left(Q(s_t, a_t) - \left(r_t + \gamma_t \cdot \max_{a} Q'(s_{t+1}, a)\right)\right)^{2}"),
        "{tex}"
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("eq.json");
    std::fs::write(
        &p,
        r#"{"inputs": [{"name": "x0", "dtype": "float"}],
            "nodes": [{"op": "log", "args": [0]}, {"op": "exp", "args": [1]}],
            "output": 2}"#,
    )
    .unwrap();
    let tex = ok(&["export", p.to_str().unwrap(), "--format", "latex"]);
    assert!(
        tex.contains(r"\operatorname{pexp}\left(\operatorname{plog}\left(x_{0}\right)\right)"),
        "{tex}"
    );
    assert!(
        tex.contains(r"\ln(|x| + 1e-12)") && tex.contains(r"\min(x, 80)"),
        "{tex}"
    );
}

mod burn_exports {
    // Golden files written by `gevo export SEED --format burn`.
    pub mod dqn {
        include!("cli_export/burn/dqn.rs");
    }
    pub mod double_dqn {
        include!("cli_export/burn/double_dqn.rs");
    }
    pub mod cql_dqn {
        include!("cli_export/burn/cql_dqn.rs");
    }
    pub mod td_undiscounted {
        include!("cli_export/burn/td_undiscounted.rs");
    }
    pub mod dqn_reg {
        include!("cli_export/burn/dqn_reg.rs");
    }
    pub mod dqn_clipped {
        include!("cli_export/burn/dqn_clipped.rs");
    }
    pub mod dqn_huber {
        include!("cli_export/burn/dqn_huber.rs");
    }
}

#[test]
fn burn_exports_are_current() {
    for name in SEEDS {
        let golden = format!(
            "{}/tests/cli_export/burn/{name}.rs",
            env!("CARGO_MANIFEST_DIR")
        );
        let fresh = ok(&["export", &seed_path(name), "--format", "burn"]);
        if std::env::var("GEVO_BLESS").as_deref() == Ok("1") {
            std::fs::write(&golden, &fresh).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&golden).unwrap(),
            fresh,
            "{name}: the burn export changed; rerun with GEVO_BLESS=1 and review the diff"
        );
    }
}

#[test]
fn burn_exports_match_gevo() {
    use burn::tensor::{DType, Device, Int, Tensor, TensorData};
    let device = Device::flex();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut compared = 0;
    for (name, program) in seeds() {
        let b = rl_batch(&mut rng);
        let floats = |k: &str| b.floats(k);
        let table = |k: &str| {
            Tensor::<2>::from_data(TensorData::new(floats(k), [B, A]), (&device, DType::F64))
        };
        let column = |k: &str| {
            Tensor::<1>::from_data(TensorData::new(floats(k), [B]), (&device, DType::F64))
        };
        let actions: Vec<i64> = floats("actions").iter().map(|a| *a as i64).collect();
        let actions = Tensor::<1, Int>::from_data(TensorData::new(actions, [B]), &device);
        let (q, r, g, next_q) = (
            table("q_values"),
            column("rewards"),
            column("discounts"),
            table("next_q_values"),
        );
        use burn_exports::*;
        let out = match name.as_str() {
            "dqn" => dqn::dqn_loss(q, actions, r, g, next_q),
            "double_dqn" => {
                double_dqn::double_dqn_loss(q, actions, r, g, next_q, table("next_q_values_online"))
            }
            "cql_dqn" => cql_dqn::cql_dqn_loss(q, actions, r, g, next_q),
            "td_undiscounted" => td_undiscounted::td_undiscounted_loss(q, actions, r, g, next_q),
            "dqn_reg" => dqn_reg::dqn_reg_loss(q, actions, r, g, next_q),
            "dqn_clipped" => dqn_clipped::dqn_clipped_loss(q, actions, r, g, next_q),
            "dqn_huber" => dqn_huber::dqn_huber_loss(q, actions, r, g, next_q),
            other => panic!("no burn golden file for seed {other}"),
        };
        let data = out.into_data();
        assert_eq!(data.dtype(), DType::F64, "compared in float64");
        let got: Vec<Option<f64>> = data
            .try_to_vec::<f64>()
            .unwrap()
            .into_iter()
            .map(|v| v.is_finite().then_some(v))
            .collect();
        compared += assert_close(&format!("burn {name}"), &got, &reference(&program, &b));
    }
    assert_eq!(compared, SEEDS.len() * B);
}
