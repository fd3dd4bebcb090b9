//! `gevo report DIR`: the Markdown report of real campaigns (symbolic regression and RL loss)
//! through the binary, its figures, and bad input.

mod common;
use common::*;
use std::path::Path;

/// The text of a well-formed SVG document: an `<svg>` root and balanced elements.
fn assert_svg(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let body = text.trim_start().trim_start_matches(|c| c != '<');
    let body = if body.starts_with("<?xml") {
        &body[body.find("?>").unwrap() + 2..]
    } else {
        body
    }
    .trim_start();
    assert!(
        body.starts_with("<svg"),
        "{}: no <svg> root",
        path.display()
    );
    assert!(text.trim_end().ends_with("</svg>"), "{}", path.display());
    // Every opened element is closed, in order.
    let mut open: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("unterminated tag");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                open.pop().as_deref(),
                Some(name.trim()),
                "{}",
                path.display()
            );
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().unwrap().to_string());
        }
    }
    assert!(open.is_empty(), "{}: unclosed {open:?}", path.display());
}

fn sections(md: &str) {
    for h in [
        "# Campaign report",
        "## Settings",
        "## Evaluations",
        "## Best fitness",
        "## Known algorithms reached",
        "distinct programs",
        "## Final re-evaluation",
        "## Comparison with the seed programs",
    ] {
        assert!(md.contains(h), "{h} missing:\n{md}");
    }
}

#[test]
fn symbolic_regression_report_has_the_archives_numbers_and_figures() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("sr");
    let d = dir.to_str().unwrap();
    ok(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--budget",
        "150",
        "--archive",
        d,
        "--quiet",
    ]);
    // Default output: DIR/report/report.md, its path printed.
    let printed = ok(&["report", d, "--top", "3"]);
    let path = dir.join("report").join("report.md");
    assert_eq!(printed.trim(), path.to_str().unwrap());
    let md = std::fs::read_to_string(&path).unwrap();
    sections(&md);
    let doc = inspect(&dir, 3);
    let candidates = doc["stats"]["candidates"].as_u64().unwrap();
    let hits = doc["stats"]["fec_hits"].as_u64().unwrap();
    assert_eq!(candidates, 150);
    assert!(
        md.contains(&format!("| candidates | {candidates} of a budget of 150 |")),
        "{md}"
    );
    assert!(
        md.contains(&format!("| cache hits (FEC) | {hits} (")),
        "{md}"
    );
    assert!(md.contains("| space | symbolic_regression |"), "{md}");
    assert!(md.contains("ships no seed programs"), "{md}");
    assert!(md.contains("Not run: `gevo reevaluate"), "{md}");
    assert!(md.contains("--compare-seeds 10`"), "{md}");
    // The best program is inspect's best, in infix and in LaTeX.
    let best = doc["top"][0]["id"].as_u64().unwrap();
    assert!(md.contains(&format!("| 1 | {best} | ")), "{md}");
    assert!(md.contains(&format!("1. candidate {best}: $$")), "{md}");
    for f in ["best_fitness.svg", "progress.svg", "hall_of_fame.svg"] {
        assert!(md.contains(&format!("]({f})")), "{f} not linked:\n{md}");
        assert_svg(&dir.join("report").join(f));
    }
    // `--out -`: the same Markdown on stdout, without figures.
    let stdout = ok(&["report", d, "--top", "3", "--out", "-"]);
    sections(&stdout);
    assert!(!stdout.contains(".svg)"), "{stdout}");
}

#[test]
fn rl_loss_report_finds_dqn_and_compares_under_the_same_seeds() {
    let t = tempfile::tempdir().unwrap();
    let task = t.path().join("cartpole-tiny.toml");
    std::fs::write(
        &task,
        r#"domain = "rl_loss"
name = "cartpole-tiny"
[environment]
id = "CartPole-v1"
max_episode_steps = 50
return_range = [0.0, 50.0]
score_episodes = 2
[dqn]
train_episodes = 3
max_env_steps = 150
min_replay_size = 64
"#,
    )
    .unwrap();
    let dir = t.path().join("rl");
    let d = dir.to_str().unwrap();
    ok(&[
        "run",
        "--space",
        "rl_loss",
        "--task",
        task.to_str().unwrap(),
        "--bootstrap",
        "dqn",
        "--budget",
        "6",
        "--population",
        "2",
        "--tournament",
        "1",
        "--eval-seeds",
        "2",
        "--deterministic",
        "--seed",
        "3",
        "--archive",
        d,
        "--quiet",
    ]);
    let out = t.path().join("rep");
    ok(&[
        "report",
        d,
        "--out",
        out.to_str().unwrap(),
        "--compare-seeds",
        "2",
        "--workers",
        "2",
    ]);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    sections(&md);
    assert!(md.contains("| candidates | 6 of a budget of 6 |"), "{md}");
    assert!(
        md.contains("| training runs per evaluation (eval seeds) | 2 |"),
        "{md}"
    );
    assert!(md.contains("bootstrapped from dqn"), "{md}");
    // DQN is the first candidate of a campaign bootstrapped from it.
    assert!(md.contains("| dqn | 0 | 1 | 1 |"), "{md}");
    // Two training runs per evaluation: a mean, a std and an interval for each top program.
    assert!(md.contains("(n = 2)") || md.contains("(n = 4)"), "{md}");
    // One comparison row per shipped seed, each under 2 seeds with both p-values.
    for seed in ["dqn", "double_dqn", "td_undiscounted", "dqn_reg"] {
        assert!(
            md.lines()
                .any(|l| l.starts_with(&format!("| {seed} | ")) && l.matches(" vs ").count() == 1),
            "{seed} row missing:\n{md}"
        );
    }
    assert!(md.contains("same 2 seeds (0..2)"), "{md}");
    assert_svg(&out.join("best_fitness.svg"));
}

#[test]
fn bad_input_is_named() {
    let t = tempfile::tempdir().unwrap();
    let missing = t.path().join("nope");
    let err = fails(&["report", missing.to_str().unwrap()]);
    assert!(err.contains("nope: no such directory"), "{err}");
    let err = fails(&["report", t.path().to_str().unwrap()]);
    assert!(err.contains("no gevo archive here"), "{err}");
    let err = fails(&["report", t.path().to_str().unwrap(), "--compare-seeds", "0"]);
    assert!(
        err.contains("--compare-seeds must be between 1 and 24"),
        "{err}"
    );
}
