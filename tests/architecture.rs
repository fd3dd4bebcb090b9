//! The import rules of ARCHITECTURE.md, checked on the source: which top-level modules each
//! module's non-test code may name, and no import circles between top-level modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → the gevo modules its non-test code may import.
const ALLOWED: &[(&str, &[&str])] = &[
    ("program", &[]),
    ("engine", &["program"]),
    ("hashing", &["engine", "program"]),
    ("guide", &["hashing", "program"]),
    ("archive", &["engine", "guide", "hashing", "program"]),
    ("envs", &[]),
    ("nn", &[]),
    ("datasets", &[]),
    ("catalog", &["program"]),
    ("task_file", &["catalog"]),
    ("export", &["program"]),
    (
        "evolution",
        &[
            "archive",
            "catalog",
            "engine",
            "guide",
            "hashing",
            "program",
            "task_file",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The gevo modules named by a file's non-test code (`crate::x`), comments skipped.
fn imports(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut found = BTreeSet::new();
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found
}

/// Top-level module → the other top-level modules its non-test code imports.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        // The binary's command line is its own crate root and names the library as `gevo::`.
        if module == "lib" || module == "main" || module == "cli" {
            continue;
        }
        // Files that only tests compile (`#[cfg(test)] mod …;`).
        let name = f.file_name().unwrap().to_string_lossy();
        if name.ends_with("tests.rs") || name == "test_support.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let entry = g.entry(module.clone()).or_default();
        entry.extend(imports(&text).into_iter().filter(|m| *m != module));
    }
    g
}

#[test]
fn modules_import_only_what_the_architecture_allows() {
    let g = graph();
    let mut broken = Vec::new();
    for (module, allowed) in ALLOWED {
        let used = g
            .get(*module)
            .unwrap_or_else(|| panic!("no module `{module}`"));
        for m in used {
            if !allowed.contains(&m.as_str()) {
                broken.push(format!("{module} imports {m}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports ARCHITECTURE.md does not allow: {broken:?}"
    );
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let g = graph();
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(m) = stack.pop() {
            for n in g.get(&m).into_iter().flatten() {
                if seen.insert(n.clone()) {
                    stack.push(n.clone());
                }
            }
        }
        seen
    };
    let cycles: Vec<&String> = g.keys().filter(|m| reach(m).contains(*m)).collect();
    assert!(cycles.is_empty(), "modules on an import circle: {cycles:?}");
}

#[test]
fn the_import_scan_sees_imports() {
    let text = "use crate::program::Program;\n// crate::domains in a comment\nfn f() { crate::engine::x(); }\n#[cfg(test)]\nuse crate::catalog;";
    let found: Vec<String> = imports(text).into_iter().collect();
    assert_eq!(found, ["engine", "program"]);
}

#[test]
fn no_domain_imports_another_domain() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domains");
    let mut broken = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let domain = dir.file_name().unwrap().to_string_lossy().to_string();
        let mut files = Vec::new();
        rust_files(&dir, &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (i, _) in line.match_indices("crate::domains::") {
                    let other: String = line[i + "crate::domains::".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect();
                    if other != domain && other != "plugin" && other != "registry" {
                        broken.push(format!("{} names domains::{other}", f.display()));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "a domain imports another: {broken:?}");
}
