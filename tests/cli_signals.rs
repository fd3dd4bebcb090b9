//! SIGINT and SIGTERM stop `gevo run` gracefully: the summary and the exact resume command are
//! printed, the exit status is 128 + the signal, and the archive is readable and resumes with
//! every finished candidate kept.
#![cfg(unix)]

mod common;
use common::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A symbolic-regression campaign far too large to finish during the test.
fn run_args(dir: &str) -> Vec<String> {
    [
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-5",
        "--budget",
        "1000000",
        "--workers",
        "2",
        "--archive",
        dir,
        "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Waits until the campaign's live summary shows `at_least` candidates.
fn wait_for_progress(child: &mut Child, dir: &Path, at_least: u64) {
    let start = Instant::now();
    while live_candidates(dir) < at_least {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "campaign made no progress"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "campaign ended before it could be stopped"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(pid: u32, signal: &str) {
    let st = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success(), "kill {signal} {pid}");
}

/// Waits for `child` (at most 30 s); returns its exit code and stdout.
fn finish(mut child: Child) -> (Option<i32>, String) {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the campaign did not stop after the signal"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

/// After a stop: the printed resume command, the archive readable and not finished, and a
/// resume that keeps every finished candidate.
fn check_stopped(dir: &Path, stdout: &str) {
    let d = dir.to_str().unwrap();
    assert!(stdout.contains("candidates,"), "no summary:\n{stdout}");
    assert!(
        stdout.contains(&format!("\n  gevo resume {d}\n")),
        "no resume command:\n{stdout}"
    );
    let before = inspect(dir, 5);
    assert_ne!(before["status"], "finished");
    let n = before["stats"]["candidates"].as_u64().unwrap();
    assert!(n > 0);
    let top: Vec<(u64, f64)> = before["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_u64().unwrap(), r["fitness"].as_f64().unwrap()))
        .collect();
    assert!(!top.is_empty());
    let budget = (n + 100).to_string();
    ok(&["resume", d, "--budget", &budget, "--quiet"]);
    let after = inspect(dir, 5);
    assert_eq!(after["stats"]["candidates"].as_u64(), Some(n + 100));
    assert_eq!(after["status"], "finished");
    for (id, fitness) in top {
        let shown: serde_json::Value =
            serde_json::from_str(&ok(&["show", d, &id.to_string(), "--json"])).unwrap();
        assert_eq!(shown["fitness"].as_f64(), Some(fitness), "candidate {id}");
    }
}

#[test]
fn sigterm_stops_the_campaign_with_143_and_a_resume_command() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("termed");
    let child = Command::new(bin())
        .args(run_args(dir.to_str().unwrap()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = child;
    wait_for_progress(&mut child, &dir, 300);
    kill(child.id(), "-TERM");
    let (code, stdout) = finish(child);
    assert_eq!(code, Some(143), "stdout:\n{stdout}");
    assert!(stdout.contains("stopped by SIGTERM"), "{stdout}");
    check_stopped(&dir, &stdout);
}

#[test]
fn sigint_stops_a_campaign_started_in_the_background_with_130() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("interrupted");
    // A non-interactive shell starts background jobs with SIGINT ignored; gevo must still
    // stop on it. The shell prints the job's pid, then passes on its output.
    let script = format!(
        "\"$0\" \"$@\" > {}/out.txt 2>/dev/null & echo $!; wait $!; echo $? > {}/code.txt",
        tmp.path().display(),
        tmp.path().display()
    );
    let mut sh = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(bin())
        .args(run_args(dir.to_str().unwrap()))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pid = String::new();
    {
        use std::io::BufRead;
        let stdout = sh.stdout.take().unwrap();
        std::io::BufReader::new(stdout).read_line(&mut pid).unwrap();
    }
    let pid: u32 = pid.trim().parse().unwrap();
    wait_for_progress(&mut sh, &dir, 300);
    kill(pid, "-INT");
    let (shell_code, _) = finish(sh);
    assert_eq!(shell_code, Some(0));
    let code = std::fs::read_to_string(tmp.path().join("code.txt")).unwrap();
    let stdout = std::fs::read_to_string(tmp.path().join("out.txt")).unwrap();
    assert_eq!(code.trim(), "130", "stdout:\n{stdout}");
    assert!(stdout.contains("stopped by SIGINT"), "{stdout}");
    check_stopped(&dir, &stdout);
}
