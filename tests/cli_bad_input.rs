//! Bad input gets a clear error naming the file (and line or node), a non-zero exit, and leaves
//! existing archives untouched.

mod common;
use common::*;

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

const SPACE: &str = "name = \"s\"\noutput = \"float\"\nmax_nodes = 5\ntask_inputs = \"float\"\nops = [\"add\", \"const\"]\n[constants]\nrange = [-1.0, 1.0]\n";

#[test]
fn malformed_and_unknown_search_spaces() {
    let t = tempfile::tempdir().unwrap();
    let bad_syntax = write(
        t.path(),
        "syntax.toml",
        &SPACE.replace("max_nodes = 5", "max_nodes = = 5"),
    );
    let e = fails(&[
        "run",
        "--space",
        &bad_syntax,
        "--task",
        "nguyen-1",
        "--archive",
        t.path().join("x").to_str().unwrap(),
    ]);
    assert!(e.contains("syntax.toml:3:"), "{e}");
    let bad_op = write(t.path(), "op.toml", &SPACE.replace("\"add\"", "\"plus\""));
    let e = fails(&["run", "--space", &bad_op, "--task", "nguyen-1"]);
    assert!(
        e.contains("op.toml:5:") && e.contains("unknown op `plus`"),
        "{e}"
    );
    let e = fails(&["run", "--space", "no_such_space", "--task", "nguyen-1"]);
    assert!(
        e.contains("unknown search space `no_such_space`") && e.contains("symbolic_regression"),
        "{e}"
    );
    assert!(
        !t.path().join("x").exists(),
        "no archive is created for bad input"
    );
}

#[test]
fn unknown_and_malformed_tasks() {
    let t = tempfile::tempdir().unwrap();
    let e = fails(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-99",
    ]);
    assert!(
        e.contains("unknown task `nguyen-99`") && e.contains("nguyen-1"),
        "{e}"
    );
    let task = write(
        t.path(),
        "t.toml",
        "domain = \"symbolic_regression\"\nname = \"t\"\n[data]\nbenchmark = \"nguyen-1\"\ntrain_points = \"many\"\n",
    );
    let e = fails(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        &task,
        "--archive",
        t.path().join("a").to_str().unwrap(),
    ]);
    assert!(e.contains("t.toml:5:"), "{e}");
    let task = write(t.path(), "d.toml", "domain = \"chess\"\nname = \"t\"\n");
    let e = fails(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        &task,
        "--archive",
        t.path().join("b").to_str().unwrap(),
    ]);
    assert!(
        e.contains("d.toml:1:") && e.contains("unknown domain `chess`"),
        "{e}"
    );
}

#[test]
fn malformed_csv() {
    let t = tempfile::tempdir().unwrap();
    let csv = write(t.path(), "d.csv", "x,y\n1,2\n3,oops\n");
    let e = fails(&[
        "run",
        "--space",
        "symbolic_regression",
        "--data",
        &csv,
        "--target",
        "y",
        "--archive",
        t.path().join("a").to_str().unwrap(),
    ]);
    assert!(
        e.contains("d.csv:3:") && e.contains("`oops` is not a number"),
        "{e}"
    );
    let e = fails(&[
        "run",
        "--space",
        "symbolic_regression",
        "--data",
        &csv,
        "--target",
        "z",
        "--archive",
        t.path().join("b").to_str().unwrap(),
    ]);
    assert!(e.contains("no column `z`"), "{e}");
    let e = fails(&[
        "run",
        "--space",
        "symbolic_regression",
        "--data",
        "/nonexistent.csv",
        "--target",
        "y",
    ]);
    assert!(e.contains("/nonexistent.csv"), "{e}");
}

#[test]
fn malformed_and_invalid_programs() {
    let t = tempfile::tempdir().unwrap();
    let p = write(
        t.path(),
        "p.json",
        "{\"inputs\": [{\"name\": \"x\", \"dtype\": \"float\"}],\n \"nodes\": [{\"op\": \"frobnicate\", \"args\": [0]}],\n \"output\": 1}",
    );
    let e = fails(&["export", &p, "--format", "dot"]);
    assert!(
        e.contains("p.json:2:") && e.contains("unknown op `frobnicate`"),
        "{e}"
    );
    let p = write(
        t.path(),
        "f.json",
        "{\"inputs\": [{\"name\": \"x\", \"dtype\": \"float\"}], \"nodes\": [{\"op\": \"add\", \"args\": [0, 2]}, {\"op\": \"sin\", \"args\": [0]}], \"output\": 2}",
    );
    let e = fails(&["export", &p, "--format", "json"]);
    assert!(
        e.contains("node 1") && e.contains("not an earlier value"),
        "{e}"
    );
    let p = write(
        t.path(),
        "a.json",
        "{\"inputs\": [{\"name\": \"x\", \"dtype\": \"float\"}], \"nodes\": [{\"op\": \"sin\", \"args\": [0, 0]}], \"output\": 1}",
    );
    let e = fails(&["export", &p, "--format", "json"]);
    assert!(
        e.contains("node 1") && e.contains("takes 1 argument"),
        "{e}"
    );
    let p = write(
        t.path(),
        "b.json",
        "{\"inputs\": [{\"name\": \"z\", \"dtype\": \"float\"}], \"nodes\": [{\"op\": \"add\", \"args\": [0, 0]}], \"output\": 1}",
    );
    let e = fails(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--bootstrap",
        &p,
        "--archive",
        t.path().join("z").to_str().unwrap(),
    ]);
    assert!(e.contains("seed `b`") && e.contains("inputs"), "{e}");
}

#[test]
fn missing_corrupt_and_foreign_archives() {
    let t = tempfile::tempdir().unwrap();
    let e = fails(&["inspect", t.path().join("nope").to_str().unwrap()]);
    assert!(e.contains("no gevo archive here"), "{e}");
    let corrupt = t.path().join("corrupt");
    std::fs::create_dir_all(corrupt.join("db")).unwrap();
    std::fs::write(corrupt.join("db").join("conf"), b"garbage\x00\x01").unwrap();
    std::fs::write(corrupt.join("db").join("db"), b"this is not a sled log").unwrap();
    let e = fails(&["inspect", corrupt.to_str().unwrap()]);
    assert!(
        e.contains("corrupt") || e.contains("not a gevo archive"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
    // An archive of another schema version is refused.
    let foreign = t.path().join("foreign");
    {
        let db = sled::open(foreign.join("db")).unwrap();
        db.open_tree("meta")
            .unwrap()
            .insert("schema_version", &99u32.to_le_bytes())
            .unwrap();
        db.flush().unwrap();
    }
    let e = fails(&["inspect", foreign.to_str().unwrap()]);
    assert!(e.contains("schema version 99"), "{e}");
    let e = fails(&["resume", foreign.to_str().unwrap()]);
    assert!(e.contains("schema version 99"), "{e}");
}

#[test]
fn bad_commands_leave_an_archive_untouched() {
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("a");
    let d = a.to_str().unwrap();
    ok(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--budget",
        "500",
        "--archive",
        d,
        "--quiet",
    ]);
    let before = inspect(&a, 1000);
    let e = fails(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-2",
        "--archive",
        d,
    ]);
    assert!(e.contains("already exists"), "{e}");
    let e = fails(&["show", d, "123456"]);
    assert!(e.contains("no candidate with id 123456"), "{e}");
    let after = inspect(&a, 1000);
    assert_eq!(before, after);
}
