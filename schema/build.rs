//! Lists the fact vocabulary and scheme catalogue files so that `lib.rs` can embed them all
//! without naming each one; adding a scheme is adding a file.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let mut out = String::new();
    for (konst, folder) in [("FACT_FILES", "facts"), ("SCHEME_FILES", "schemes"), ("GROUP_FILES", "groups")] {
        let path = Path::new(&dir).join(folder);
        println!("cargo:rerun-if-changed={}", path.display());
        let mut files: Vec<String> = std::fs::read_dir(&path)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".toml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        writeln!(out, "pub const {konst}: &[(&str, &str)] = &[").unwrap();
        for f in files {
            let full = path.join(&f);
            println!("cargo:rerun-if-changed={}", full.display());
            writeln!(
                out,
                "    ({:?}, include_str!({:?})),",
                format!("schema/{folder}/{f}"),
                full.display().to_string()
            )
            .unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("catalogue_files.rs");
    std::fs::write(dest, out).expect("write the file list");
}
