//! Numerical round trips of the Python exporters: `gevo export` each program, run every exported
//! function on random inputs in one Python process per framework, and compare with gevo's own
//! f64 evaluation (≤ 1e-6 relative).
//!
//! Each framework runs wherever `python3` (or `$GEVO_PYTHON`) can import it, and fails instead of
//! skipping when `GEVO_REQUIRE_NUMPY=1`, `GEVO_REQUIRE_TORCH=1` or `GEVO_REQUIRE_JAX=1` is set
//! (CI sets all three, with a virtual environment holding NumPy, PyTorch and JAX).

mod common;
#[path = "cli_export/fixture.rs"]
mod fixture;

use common::*;
use fixture::*;
use gevo::Program;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::process::Command;

/// Loads each exported module, calls its function with the arguments it declares, and writes
/// the outputs (non-finite values as null).
const DRIVER: &str = r#"
import importlib.util, inspect, json, sys
import numpy as np
framework, cases_path, out_path = sys.argv[1:4]
if framework == "pytorch":
    import torch
    def convert(a, integer): return torch.tensor(a, dtype=torch.int64 if integer else torch.float64)
    def back(x): return x.detach().numpy()
elif framework == "jax":
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    def convert(a, integer): return jnp.asarray(a, dtype=jnp.int64 if integer else jnp.float64)
    def back(x): return np.asarray(x)
else:
    def convert(a, integer): return np.asarray(a, dtype=np.int64 if integer else np.float64)
    def back(x): return np.asarray(x)
results = []
for i, case in enumerate(json.load(open(cases_path))):
    try:
        spec = importlib.util.spec_from_file_location(f"exported_{i}", case["module"])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        functions = [f for f in vars(module).values()
                     if inspect.isfunction(f) and f.__module__ == module.__name__]
        function = functions[-1]
        wanted = inspect.signature(function).parameters
        kwargs = {name: convert(np.reshape(v["data"], v["shape"]), v["int"])
                  for name, v in case["inputs"].items() if name in wanted}
        out = np.broadcast_to(np.asarray(back(function(**kwargs)), dtype=np.float64), (case["rows"],))
        results.append({"values": [float(x) if np.isfinite(x) else None for x in out]})
    except Exception as e:
        results.append({"error": f"{type(e).__name__}: {e}"})
json.dump(results, open(out_path, "w"))
"#;

fn python() -> String {
    std::env::var("GEVO_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Whether the tests of `framework` (importing `module`) can run: else they are skipped with a
/// message, or fail when `require` (`GEVO_REQUIRE_…`) is `1`.
fn available(module: &str, require: &str) -> bool {
    if has(module) {
        return true;
    }
    assert!(
        std::env::var(require).as_deref() != Ok("1"),
        "{require}=1 but `{} -c 'import {module}'` fails (set GEVO_PYTHON to a python with it)",
        python()
    );
    eprintln!(
        "skipped: {module} not installed for {} (set GEVO_PYTHON to a python with it)",
        python()
    );
    false
}

/// Whether `python` can import `module`.
fn has(module: &str) -> bool {
    Command::new(python())
        .args(["-c", &format!("import {module}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// One program to round-trip.
struct Case {
    name: String,
    program: Program,
    batch: Batch,
}

fn cases(random_per_space: usize) -> Vec<Case> {
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let mut out: Vec<Case> = seeds()
        .into_iter()
        .map(|(name, program)| Case {
            name,
            batch: rl_batch(&mut rng),
            program,
        })
        .collect();
    for (space, seed) in [
        ("rl_loss", 1),
        ("rl_loss_large", 2),
        ("symbolic_regression", 3),
    ] {
        for (k, program) in random_programs(space, random_per_space, seed)
            .into_iter()
            .enumerate()
        {
            out.push(Case {
                name: format!("{space}_{k}"),
                batch: batch_for(&program, &mut rng),
                program,
            });
        }
    }
    out
}

/// Writes `program` as `dir/name.json` and exports it with the real binary to
/// `dir/name_framework.py`; returns the module's path.
fn export_program(
    name: &str,
    program: &Program,
    framework: &str,
    dir: &Path,
) -> std::path::PathBuf {
    let json = dir.join(format!("{name}.json"));
    std::fs::write(&json, program.to_json()).unwrap();
    let module = dir.join(format!("{name}_{framework}.py"));
    ok(&[
        "export",
        json.to_str().unwrap(),
        "--format",
        framework,
        "--output",
        module.to_str().unwrap(),
    ]);
    module
}

/// Exports every case with the real binary and runs them all in one Python process; returns
/// each case's outputs.
fn run_exports(framework: &str, cases: &[Case], dir: &Path) -> Vec<Vec<Option<f64>>> {
    let mut docs = Vec::new();
    for c in cases {
        let module = export_program(&c.name, &c.program, framework, dir);
        docs.push(serde_json::json!({
            "module": module,
            "inputs": c.batch.args,
            "rows": B,
        }));
    }
    run_driver(DRIVER, framework, &docs, dir)
        .iter()
        .zip(cases)
        .map(|(r, c)| {
            assert!(
                r.get("error").is_none(),
                "{framework} export of {} raised {}\n{}",
                c.name,
                r["error"],
                std::fs::read_to_string(dir.join(format!("{}_{framework}.py", c.name))).unwrap()
            );
            r["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64())
                .collect()
        })
        .collect()
}

/// Runs `driver` (a Python script taking `framework cases.json out.json`) on `cases` in one
/// Python process and returns its per-case results.
fn run_driver(
    driver: &str,
    framework: &str,
    cases: &[serde_json::Value],
    dir: &Path,
) -> Vec<serde_json::Value> {
    let cases_path = dir.join(format!("cases_{framework}.json"));
    let out_path = dir.join(format!("out_{framework}.json"));
    let script = dir.join(format!("driver_{framework}.py"));
    std::fs::write(&cases_path, serde_json::to_string(cases).unwrap()).unwrap();
    std::fs::write(&script, driver).unwrap();
    let run = Command::new(python())
        .args([
            script.as_os_str(),
            framework.as_ref(),
            cases_path.as_os_str(),
            out_path.as_os_str(),
        ])
        .output()
        .expect("run python");
    assert!(
        run.status.success(),
        "python driver failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap()
}

/// Runs the round trip for `framework` on the seeds and `random` programs of each space.
fn round_trip(framework: &str, random: usize) -> Vec<(Case, Vec<Option<f64>>)> {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases(random);
    let outputs = run_exports(framework, &cases, dir.path());
    let mut compared = 0;
    for (c, got) in cases.iter().zip(&outputs) {
        let want = reference(&c.program, &c.batch);
        compared += assert_close(&format!("{framework} {}", c.name), got, &want);
    }
    assert!(
        compared >= cases.len() * B * 9 / 10,
        "too few finite values compared: {compared}"
    );
    eprintln!(
        "{framework}: {} programs, {compared} values agree with gevo",
        cases.len()
    );
    cases.into_iter().zip(outputs).collect()
}

/// DQNReg = 0.1·Q(s_t, a_t) + δ² and DQNClipped = max(Q, δ² + Y) + max(δ, γ·(max_a Q'(s_{t+1}, a))²)
/// with Y = r + γ·max_a Q'(s_{t+1}, a), δ = Q − Y (Co-Reyes et al., ICLR 2021), from the batch.
fn paper_formula(name: &str, b: &Batch) -> Vec<f64> {
    let col = |k: &str| b.floats(k);
    let (q, next_q) = (col("q_values"), col("next_q_values"));
    let (act, r, g) = (col("actions"), col("rewards"), col("discounts"));
    (0..B)
        .map(|i| {
            let q_sa = q[i * A + act[i] as usize];
            let max_next = (0..A)
                .map(|a| next_q[i * A + a])
                .fold(f64::NEG_INFINITY, f64::max);
            let y = r[i] + g[i] * max_next;
            let delta = q_sa - y;
            match name {
                "dqn_reg" => 0.1 * q_sa + delta * delta,
                "dqn_clipped" => {
                    q_sa.max(delta * delta + y) + delta.max(g[i] * max_next * max_next)
                }
                _ => unreachable!(),
            }
        })
        .collect()
}

#[test]
fn numpy_exports_match_gevo_and_the_paper() {
    if !available("numpy", "GEVO_REQUIRE_NUMPY") {
        return;
    }
    let results = round_trip("numpy", 100);
    for name in ["dqn_reg", "dqn_clipped"] {
        let (case, got) = results.iter().find(|(c, _)| c.name == name).unwrap();
        assert_close(
            &format!("numpy {name} vs the paper"),
            got,
            &paper_formula(name, &case.batch),
        );
    }
}

#[test]
fn pytorch_exports_match_gevo() {
    if !available("torch", "GEVO_REQUIRE_TORCH") {
        return;
    }
    round_trip("pytorch", 30);
}

#[test]
fn jax_exports_match_gevo() {
    if !available("jax", "GEVO_REQUIRE_JAX") {
        return;
    }
    round_trip("jax", 30);
}

/// Runs each exported update rule on the same random `(w, g, m, v)` and, for PyTorch and JAX
/// (with optax), also its `torch.optim.Optimizer` / optax `GradientTransformation` for several
/// steps; prints `w − update`, `m'`, `v'` (and the weights after those steps) per case.
const UPDATE_DRIVER: &str = r#"
import importlib.util, json, sys
import numpy as np
framework, cases_path, out_path = sys.argv[1:4]
if framework == "jax":
    import jax
    jax.config.update("jax_enable_x64", True)
results = []
for i, case in enumerate(json.load(open(cases_path))):
    try:
        spec = importlib.util.spec_from_file_location(f"exported_{i}", case["module"])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        fn = getattr(module, case["function"])
        a = {k: np.asarray(v, dtype=np.float64) for k, v in case["arrays"].items()}
        if framework == "pytorch":
            import torch
            t = {k: torch.tensor(v) for k, v in a.items()}
            u, m, v = fn(t["w"], t["g"], t["m"], t["v"], case["lr"], case["step"])
            u, m, v = [np.asarray(x.numpy() if torch.is_tensor(x) else x) for x in (u, m, v)]
            # The optimizer class over several steps with the recorded gradients.
            cls = [c for c in vars(module).values() if isinstance(c, type)
                   and issubclass(c, torch.optim.Optimizer)][0]
            p = torch.nn.Parameter(torch.tensor(a["w"]))
            opt = cls([p], lr=case["lr"])
            for g in case["grads"]:
                p.grad = torch.tensor(g, dtype=torch.float64)
                opt.step()
            trajectory = p.detach().numpy().tolist()
        elif framework == "jax" and importlib.util.find_spec("optax") is not None:
            import optax
            u, m, v = fn(a["w"], a["g"], a["m"], a["v"], case["lr"], case["step"])
            # The optax GradientTransformation over several steps with the recorded gradients.
            tx = getattr(module, case["function"][: -len("_update")] + "_optimizer")(case["lr"])
            params = {"w": jax.numpy.asarray(a["w"])}
            state = tx.init(params)
            for g in case["grads"]:
                updates, state = tx.update({"w": jax.numpy.asarray(g)}, state, params)
                params = optax.apply_updates(params, updates)
            trajectory = np.asarray(params["w"]).tolist()
        else:
            u, m, v = fn(a["w"], a["g"], a["m"], a["v"], case["lr"], case["step"])
            trajectory = None
        shape = a["w"].shape
        out = {"w": (a["w"] - np.broadcast_to(u, shape)).tolist(),
               "m": np.broadcast_to(m, shape).tolist(),
               "v": np.broadcast_to(v, shape).tolist(),
               "trajectory": trajectory}
        results.append({k: (None if val is None else [x if np.isfinite(x) else None for x in val])
                        for k, val in out.items()})
    except Exception as e:
        results.append({"error": f"{type(e).__name__}: {e}"})
json.dump(results, open(out_path, "w"))
"#;

/// The optimizer seeds and random update rules, exported and run in `framework`, agree with
/// gevo's update rule (one step from a random state; PyTorch: also 5 steps of the optimizer class).
fn update_rules_round_trip(framework: &str) {
    use gevo::domains::optimizer::{OptimizerState, UpdateRule};
    let dir = tempfile::tempdir().unwrap();
    let mut programs: Vec<(String, Program)> = gevo::catalog::seeds("optimizer")
        .into_iter()
        .map(|(n, t)| (n.clone(), Program::from_json(&t, &n).unwrap()))
        .collect();
    for (k, p) in random_programs("optimizer", 20, 9).into_iter().enumerate() {
        programs.push((format!("random_{k}"), p));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let n = 12;
    let mut normal = |scale: f64| -> Vec<f64> {
        (0..n)
            .map(|_| scale * gevo::program::ops::standard_normal(&mut rng))
            .collect()
    };
    let (w, g, m) = (normal(1.0), normal(1.0), normal(0.3));
    let v: Vec<f64> = normal(0.3).iter().map(|x| x * x).collect();
    let grads: Vec<Vec<f64>> = (0..5).map(|_| normal(1.0)).collect();
    let (lr, step) = (0.01, 3.0);
    let mut docs = Vec::new();
    for (name, p) in &programs {
        let module = export_program(name, p, framework, dir.path());
        docs.push(serde_json::json!({
            "module": module,
            "function": format!("{name}_update"),
            "arrays": {"w": w, "g": g, "m": m, "v": v},
            "lr": lr, "step": step, "grads": grads,
        }));
    }
    let results = run_driver(UPDATE_DRIVER, framework, &docs, dir.path());
    let column = |r: &serde_json::Value, k: &str| -> Vec<Option<f64>> {
        r[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64())
            .collect()
    };
    let mut compared = 0;
    for ((name, p), r) in programs.iter().zip(&results) {
        assert!(
            r.get("error").is_none(),
            "{framework} {name}: {}",
            r["error"]
        );
        // One step of gevo's rule from the same state at the same step count.
        let mut rule = UpdateRule::new(p.clone());
        let mut wn = w.clone();
        let mut st = OptimizerState {
            m: m.clone(),
            v: v.clone(),
            step: step as u64 - 1,
        };
        if rule.step(&mut wn, &g, &mut st, lr).is_err() {
            continue; // non-finite in gevo: nothing to compare
        }
        compared += assert_close(&format!("{framework} {name} w"), &column(r, "w"), &wn);
        compared += assert_close(&format!("{framework} {name} m"), &column(r, "m"), &st.m);
        compared += assert_close(&format!("{framework} {name} v"), &column(r, "v"), &st.v);
        let with_class = framework == "pytorch" || !r["trajectory"].is_null();
        if with_class {
            let mut wt = w.clone();
            let mut st = OptimizerState::zeros(n);
            if grads
                .iter()
                .all(|gr| rule.step(&mut wt, gr, &mut st, lr).is_ok())
            {
                compared += assert_close(
                    &format!("{framework} {name} optimizer wrapper"),
                    &column(r, "trajectory"),
                    &wt,
                );
            }
        }
    }
    assert!(compared >= programs.len() * n * 2, "compared {compared}");
    eprintln!(
        "{framework}: {} update rules agree with gevo",
        programs.len()
    );
}

#[test]
fn numpy_update_rules_match_gevo() {
    if !available("numpy", "GEVO_REQUIRE_NUMPY") {
        return;
    }
    update_rules_round_trip("numpy");
}

#[test]
fn pytorch_update_rules_and_optimizer_class_match_gevo() {
    if !available("torch", "GEVO_REQUIRE_TORCH") {
        return;
    }
    update_rules_round_trip("pytorch");
}

#[test]
fn jax_update_rules_match_gevo() {
    if !available("jax", "GEVO_REQUIRE_JAX") {
        return;
    }
    update_rules_round_trip("jax");
}
