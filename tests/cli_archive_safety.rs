//! Archives are never written by the verbs that read them, damage is reported (naming the
//! file) instead of being read as a shorter campaign, `resume` refuses a damaged or newer
//! archive, and `gevo verify` checks and salvages.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A finished 200-candidate symbolic-regression campaign in `parent/name`.
fn campaign(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    ok(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--budget",
        "200",
        "--archive",
        dir.to_str().unwrap(),
        "--quiet",
    ]);
    dir
}

/// Every file under `dir` (relative path → bytes).
fn contents(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Every read verb with its arguments (plots and reports go under `plots`, outside the
/// archive).
fn read_verbs(dir: &Path, plots: &Path) -> Vec<Vec<String>> {
    let d = dir.to_str().unwrap().to_string();
    let p = plots.to_str().unwrap().to_string();
    let r = plots.join("report").to_str().unwrap().to_string();
    [
        vec!["inspect", &d],
        vec!["inspect", &d, "--json"],
        vec!["inspect", &d, "--pareto"],
        vec!["show", &d, "0"],
        vec!["show", &d, "0", "--json"],
        vec!["export", &d, "0", "--format", "numpy"],
        vec!["plot", &d, "--out", &p, "--format", "svg"],
        vec!["verify", &d],
        vec!["report", &d, "--out", &r],
        vec!["report", &d, "--out", "-"],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(String::from).collect())
    .collect()
}

/// Waits until no handle holds the database lock (sled releases it from a background thread
/// shortly after the last handle is dropped).
fn wait_released(dir: &Path) {
    let file = std::fs::File::open(dir.join("db").join("db")).unwrap();
    let start = std::time::Instant::now();
    while file.try_lock().is_err() {
        assert!(start.elapsed().as_secs() < 10, "the database stays locked");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    file.unlock().unwrap();
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn read_verbs_leave_every_archive_byte_unchanged() {
    let t = tempfile::tempdir().unwrap();
    let dir = campaign(t.path(), "a");
    let before = contents(&dir);
    assert!(before.keys().any(|k| k.starts_with("db")), "{before:?}");
    // The readers' private copies go to TMPDIR; after each verb nothing may be left there.
    let tmp = t.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    for args in read_verbs(&dir, &t.path().join("plots")) {
        let out = std::process::Command::new(bin())
            .args(&args)
            .env("TMPDIR", &tmp)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gevo {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            contents(&dir) == before,
            "gevo {args:?} changed the archive's files"
        );
        assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0, "gevo {args:?}");
    }
}

#[test]
fn while_the_database_is_held_readers_use_the_live_summary_and_write_nothing() {
    let t = tempfile::tempdir().unwrap();
    let dir = campaign(t.path(), "a");
    let best = inspect(&dir, 1)["top"][0]["id"].as_u64().unwrap();
    let before = contents(&dir);
    // Hold the lock a running campaign holds (sled's exclusive flock on `db/db`).
    let holder = std::fs::File::open(dir.join("db").join("db")).unwrap();
    holder.lock().unwrap();
    let status = inspect(&dir, 3)["status"].as_str().unwrap().to_string();
    assert!(status.starts_with("running"), "{status}");
    ok(&["show", dir.to_str().unwrap(), &best.to_string()]);
    let e = fails(&["verify", dir.to_str().unwrap()]);
    assert!(e.contains("in use"), "{e}");
    holder.unlock().unwrap();
    assert!(contents(&dir) == before, "a reader changed the archive");
}

/// Checks that every read verb and `resume` fail naming `dir/db`, with `expect` in the message,
/// and that none of them changes the damaged files.
fn every_verb_refuses(t: &Path, dir: &Path, expect: &str) {
    let before = contents(dir);
    let db = dir.join("db").display().to_string();
    let mut verbs = read_verbs(dir, &t.join("plots"));
    verbs.push(vec![
        "resume".into(),
        dir.display().to_string(),
        "--quiet".into(),
    ]);
    for args in verbs {
        let out = gevo(&strs(&args), None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "gevo {args:?} succeeded:\n{stdout}");
        let said = format!("{stdout}{stderr}");
        assert!(
            said.contains(&db) && said.contains(expect),
            "gevo {args:?} should name {db} and say `{expect}`:\n{said}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            contents(dir) == before,
            "gevo {args:?} changed the damaged archive"
        );
    }
}

#[test]
fn a_truncated_database_is_named_by_every_verb_and_resume_refuses_it() {
    let t = tempfile::tempdir().unwrap();
    let dir = campaign(t.path(), "a");
    let log = dir.join("db").join("db");
    let len = std::fs::metadata(&log).unwrap().len();
    std::fs::File::options()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    every_verb_refuses(t.path(), &dir, "truncated or damaged");
}

#[test]
fn a_database_overwritten_with_garbage_is_named_by_every_verb() {
    let t = tempfile::tempdir().unwrap();
    let dir = campaign(t.path(), "a");
    let log = dir.join("db").join("db");
    let mut bytes = std::fs::read(&log).unwrap();
    let mid = bytes.len() / 3;
    bytes[mid..mid + 64].fill(0xA5);
    std::fs::write(&log, bytes).unwrap();
    every_verb_refuses(t.path(), &dir, "corrupt archive");
}

#[test]
fn an_archive_of_a_newer_schema_is_refused_with_both_versions() {
    let t = tempfile::tempdir().unwrap();
    let dir = campaign(t.path(), "a");
    let newer = gevo::archive::SCHEMA_VERSION + 1;
    {
        let db = sled::open(dir.join("db")).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("schema_version", &newer.to_le_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    wait_released(&dir);
    let d = dir.to_str().unwrap();
    let p = t.path().join("plots");
    for args in [
        vec!["inspect", d],
        vec!["show", d, "0"],
        vec!["export", d, "0", "--format", "json"],
        vec!["plot", d, "--out", p.to_str().unwrap()],
        vec!["verify", d],
        vec!["resume", d, "--quiet"],
    ] {
        let e = fails(&args);
        assert!(
            e.contains(&format!(
                "schema version {newer}, this gevo reads version {}",
                gevo::archive::SCHEMA_VERSION
            )) && e.contains("newer gevo"),
            "gevo {args:?}: {e}"
        );
    }
}

#[test]
fn verify_passes_an_intact_archive_and_salvages_a_damaged_one() {
    let t = tempfile::tempdir().unwrap();
    let dir = campaign(t.path(), "a");
    let d = dir.to_str().unwrap();
    let out = ok(&["verify", d]);
    assert!(
        out.contains("200 readable, 0 unreadable") && out.trim_end().ends_with("ok"),
        "{out}"
    );
    // An intact archive is copied whole, state included.
    let copy = t.path().join("copy");
    ok(&["verify", d, "--repair", copy.to_str().unwrap()]);
    assert_eq!(inspect(&copy, 5)["stats"], inspect(&dir, 5)["stats"]);
    assert_eq!(inspect(&copy, 5)["top"], inspect(&dir, 5)["top"]);
    ok(&["verify", copy.to_str().unwrap()]);

    // Damage one record in place.
    {
        let db = sled::open(dir.join("db")).unwrap();
        db.open_tree("candidates")
            .unwrap()
            .insert(7u64.to_be_bytes(), &b"\xff\xff\xff"[..])
            .unwrap();
        db.flush().unwrap();
    }
    wait_released(&dir);
    let e = fails(&["inspect", d]);
    assert!(e.contains(&dir.join("db").display().to_string()), "{e}");
    let o = gevo(&["verify", d], None);
    assert!(!o.status.success());
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(
        report.contains("199 readable, 1 unreadable") && report.contains("candidate 7"),
        "{report}"
    );
    // Salvage: 199 records without the (now inconsistent) state; the result verifies and resumes.
    let salvaged = t.path().join("salvaged");
    let s = salvaged.to_str().unwrap();
    let o = gevo(&["verify", d, "--repair", s], None);
    assert!(!o.status.success(), "the source is still damaged");
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(
        report.contains("199 records copied") && report.contains("without a campaign state"),
        "{report}"
    );
    ok(&["verify", s]);
    ok(&["resume", s, "--budget", "250", "--quiet"]);
    let after = inspect(&salvaged, 1);
    assert_eq!(after["stats"]["candidates"], 250, "{after}");
    ok(&["verify", s]);
}

#[test]
fn verify_recounts_the_committed_records_against_the_state() {
    let t = tempfile::tempdir().unwrap();
    let dir = campaign(t.path(), "a");
    let d = dir.to_str().unwrap();
    ok(&["verify", d]);
    {
        let db = sled::open(dir.join("db")).unwrap();
        let tree = db.open_tree("state").unwrap();
        let mut s: gevo::archive::CampaignState =
            postcard::from_bytes(&tree.get("current").unwrap().unwrap()).unwrap();
        s.stats.failures += 1;
        s.population.push(1_000_000);
        tree.insert("current", postcard::to_allocvec(&s).unwrap())
            .unwrap();
        db.flush().unwrap();
    }
    wait_released(&dir);
    let o = gevo(&["verify", d], None);
    assert!(!o.status.success());
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(
        report.contains("failures, the committed records")
            && report.contains("1 population members have no record: candidate 1000000"),
        "{report}"
    );
}
