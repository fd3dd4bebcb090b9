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

#[test]
fn spaces_that_cannot_form_a_program_or_repeat_an_input() {
    let t = tempfile::tempdir().unwrap();
    let archive = t.path().join("x");
    let fixed = SPACE.replace(
        "task_inputs = \"float\"",
        "inputs = [{ name = \"x\", dtype = \"float\" }]",
    );
    let no_list = write(
        t.path(),
        "list.toml",
        &fixed.replace("output = \"float\"", "output = \"list\""),
    );
    let e = fails(&[
        "run",
        "--space",
        &no_list,
        "--task",
        "nguyen-1",
        "--archive",
        archive.to_str().unwrap(),
    ]);
    assert!(
        e.contains("list.toml:2:") && e.contains("output type `list`") && e.contains("x: float"),
        "{e}"
    );
    // With task inputs the check runs once the task's variables are bound.
    let only_const = write(
        t.path(),
        "const.toml",
        &SPACE.replace("[\"add\", \"const\"]", "[\"const\"]"),
    );
    let e = fails(&[
        "run",
        "--space",
        &only_const,
        "--task",
        "nguyen-1",
        "--archive",
        archive.to_str().unwrap(),
    ]);
    assert!(
        e.contains("const.toml") && e.contains("output type `float`"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
    let rl = gevo::catalog::space("rl_loss").unwrap().text;
    let dup = write(
        t.path(),
        "dup.toml",
        &rl.replace("\"discount\", dtype", "\"reward\", dtype"),
    );
    let e = fails(&[
        "run",
        "--space",
        &dup,
        "--task",
        "cartpole",
        "--archive",
        archive.to_str().unwrap(),
    ]);
    assert!(e.contains("input `reward` is listed twice"), "{e}");
    assert!(!archive.exists(), "no archive is created for bad input");
}

#[test]
fn data_the_space_cannot_use() {
    let t = tempfile::tempdir().unwrap();
    let archive = t.path().join("x");
    let y_only = write(t.path(), "y_only.csv", "y\n1\n2\n3\n");
    let e = fails(&[
        "run",
        "--space",
        "symbolic_regression",
        "--data",
        &y_only,
        "--target",
        "y",
        "--archive",
        archive.to_str().unwrap(),
    ]);
    assert!(
        e.contains("y_only.csv") && e.contains("the CSV has no input columns besides the target"),
        "{e}"
    );
    let csv = write(t.path(), "d.csv", "x,y\n1,2\n3,4\n");
    let e = fails(&[
        "run",
        "--space",
        "rl_loss",
        "--data",
        &csv,
        "--target",
        "y",
        "--archive",
        archive.to_str().unwrap(),
    ]);
    assert!(
        e.contains("space `rl_loss` does not read data") && e.contains("symbolic_regression"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
    assert!(!archive.exists(), "no archive is created for bad input");
}

#[test]
fn flags_out_of_range_name_the_flag_and_create_no_archive() {
    let t = tempfile::tempdir().unwrap();
    let archive = t.path().join("x");
    let cases: &[(&[&str], &str)] = &[
        (&["--workers", "0"], "--workers"),
        (&["--population", "0"], "--population"),
        (&["--tournament", "0"], "--tournament"),
        (
            &["--population", "10", "--tournament", "11"],
            "--tournament",
        ),
        (&["--batch", "0"], "--batch"),
        (&["--p-new", "1.5"], "--p-new"),
        (&["--p-new=-0.1"], "--p-new"),
        (&["--fingerprint-bits", "0"], "--fingerprint-bits"),
        (&["--fingerprint-bits", "53"], "--fingerprint-bits"),
        (&["--hurdle-percentile", "150"], "--hurdle-percentile"),
        (&["--hurdle-percentile=-1"], "--hurdle-percentile"),
        (&["--fec-aggregate", "0"], "--fec-aggregate"),
        (&["--budget", "0"], "--budget"),
    ];
    for (flags, name) in cases {
        let mut args = vec![
            "run",
            "--space",
            "symbolic_regression",
            "--task",
            "nguyen-1",
            "--archive",
            archive.to_str().unwrap(),
        ];
        args.extend_from_slice(flags);
        let e = fails(&args);
        assert!(e.contains(name), "{flags:?}: {e}");
        assert!(!archive.exists(), "{flags:?} left an archive behind");
    }
    // The boundaries themselves are accepted.
    ok(&[
        "run",
        "--space",
        "symbolic_regression",
        "--task",
        "nguyen-1",
        "--archive",
        archive.to_str().unwrap(),
        "--budget",
        "12",
        "--population",
        "4",
        "--tournament",
        "4",
        "--workers",
        "1",
        "--batch",
        "1",
        "--p-new",
        "1",
        "--fingerprint-bits",
        "52",
        "--hurdle-percentile",
        "100",
        "--fec-aggregate",
        "1",
        "--quiet",
    ]);
    assert!(archive.exists());
}
