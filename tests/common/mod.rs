//! Helpers for driving the real `gevo` binary.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

/// Path of the built binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_gevo")
}

/// Runs `gevo args…` in `cwd` (the repository root when None) and returns its output.
pub fn gevo(args: &[&str], cwd: Option<&Path>) -> Output {
    let mut c = Command::new(bin());
    c.args(args);
    c.current_dir(cwd.unwrap_or(Path::new(env!("CARGO_MANIFEST_DIR"))));
    c.output().expect("run gevo")
}

/// Runs and asserts success; returns stdout.
pub fn ok(args: &[&str]) -> String {
    let out = gevo(args, None);
    assert!(
        out.status.success(),
        "gevo {args:?} failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs and asserts failure; returns stderr.
pub fn fails(args: &[&str]) -> String {
    let out = gevo(args, None);
    assert!(
        !out.status.success(),
        "gevo {args:?} should have failed:\nstdout:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

/// `gevo inspect DIR --json --all --top K` parsed (every record, copies of a function too).
pub fn inspect(dir: &Path, top: usize) -> serde_json::Value {
    let s = ok(&[
        "inspect",
        dir.to_str().unwrap(),
        "--json",
        "--all",
        "--top",
        &top.to_string(),
    ]);
    serde_json::from_str(&s).expect("inspect --json prints JSON")
}

/// Candidates reported by a running campaign's `live.json` (0 before the first summary).
pub fn live_candidates(dir: &Path) -> u64 {
    std::fs::read_to_string(dir.join("live.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["stats"]["candidates"].as_u64())
        .unwrap_or(0)
}

/// Starts `gevo args…` in the background (output discarded), for kill tests.
pub fn spawn(args: &[&str]) -> Child {
    Command::new(bin())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start gevo")
}
