//! The `samanvaya` binary as a user runs it, on temporary data folders.

use std::path::Path;
use std::process::{Command, Output};

fn samanvaya(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_samanvaya"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("SAMANVAYA_DATA_DIR")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn demo_fills_an_empty_store_once_and_households_list_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout(&samanvaya(dir.path(), &["demo"]));
    assert!(
        out.starts_with("Filled the demo village: 300 households"),
        "{out}"
    );

    let json: serde_json::Value = serde_json::from_str(&stdout(&samanvaya(
        dir.path(),
        &["households", "list", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(json["total"], 300);
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 300);
    assert_eq!(items[0]["number"], 1, "households are listed by number");
    let persons: u64 = items
        .iter()
        .map(|h| h["member_count"].as_u64().unwrap())
        .sum();
    assert!((1_300..=1_550).contains(&persons), "{persons} persons");

    let table = stdout(&samanvaya(
        dir.path(),
        &["households", "list", "--limit", "3"],
    ));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 5, "header, three rows, footer:\n{table}");
    assert_eq!(lines[0], "no.\thead\tmembers\twomen");
    assert_eq!(lines[4], "3 of 300 households");

    // A second demo would mix two villages' data: it is refused, and nothing changes.
    let again = samanvaya(dir.path(), &["demo"]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("already holds 300 households"), "{err}");
}

#[test]
fn a_latin_search_finds_devanagari_names() {
    let dir = tempfile::tempdir().unwrap();
    stdout(&samanvaya(dir.path(), &["demo"]));
    let all: serde_json::Value = serde_json::from_str(&stdout(&samanvaya(
        dir.path(),
        &["households", "list", "--format", "json"],
    )))
    .unwrap();
    let with_sunita = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| {
            h["member_names"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n.as_str().unwrap().contains("सुनीता"))
        })
        .count();
    assert!(with_sunita > 0, "the demo village has a Sunita");
    let found: serde_json::Value = serde_json::from_str(&stdout(&samanvaya(
        dir.path(),
        &[
            "households",
            "list",
            "--format",
            "json",
            "--search",
            "Sunita",
        ],
    )))
    .unwrap();
    assert_eq!(found["total"].as_u64().unwrap() as usize, with_sunita);
}

#[test]
fn an_unusable_data_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let o = samanvaya(&file, &["households", "list"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cannot open the store in") && err.contains("not-a-folder"),
        "{err}"
    );
}
