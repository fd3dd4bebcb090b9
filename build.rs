//! Embeds the shipped search spaces, seed programs and task files into the binary, so `gevo`
//! runs from any directory; files on disk with the same name take precedence at run time.

use std::fmt::Write as _;
use std::path::Path;

fn collect(dir: &Path, ext: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let root = Path::new(&root);
    let mut files = Vec::new();
    collect(&root.join("search_spaces"), "toml", &mut files);
    collect(&root.join("search_spaces"), "json", &mut files);
    collect(&root.join("tasks"), "toml", &mut files);
    let mut src = String::from(
        "/// (path relative to the repository, contents) of every shipped file.\npub static EMBEDDED: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        let rel = f.strip_prefix(&format!("{}/", root.display())).unwrap_or(f);
        writeln!(src, "    ({rel:?}, include_str!({f:?})),").unwrap();
    }
    src.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("embedded.rs");
    std::fs::write(out, src).unwrap();
    println!("cargo:rerun-if-changed=search_spaces");
    println!("cargo:rerun-if-changed=tasks");
}
