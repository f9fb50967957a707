//! The `samanvaya` binary as a user runs it, on temporary data folders.

use std::path::Path;
use std::process::{Command, Output};

fn samanvaya(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_samanvaya"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("SAMANVAYA_DATA_DIR")
        .env("SAMANVAYA_PIN", PIN)
        .output()
        .unwrap()
}

const PIN: &str = "482916";

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn demo_fills_an_empty_store_once_and_households_list_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout(&samanvaya(dir.path(), &["demo"]));
    assert!(out.starts_with("Filled the demo village: 300 households"), "{out}");

    let json: serde_json::Value =
        serde_json::from_str(&stdout(&samanvaya(dir.path(), &["households", "list", "--format", "json"])))
            .unwrap();
    assert_eq!(json["total"], 300);
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 300);
    assert_eq!(items[0]["number"], 1, "households are listed by number");
    let persons: u64 = items.iter().map(|h| h["member_count"].as_u64().unwrap()).sum();
    assert!((1_300..=1_550).contains(&persons), "{persons} persons");

    let table = stdout(&samanvaya(dir.path(), &["households", "list", "--limit", "3"]));
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
    let all: serde_json::Value =
        serde_json::from_str(&stdout(&samanvaya(dir.path(), &["households", "list", "--format", "json"])))
            .unwrap();
    let with_sunita = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| {
            h["member_names"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("सुनीता"))
        })
        .count();
    assert!(with_sunita > 0, "the demo village has a Sunita");
    let found: serde_json::Value = serde_json::from_str(&stdout(&samanvaya(
        dir.path(),
        &["households", "list", "--format", "json", "--search", "Sunita"],
    )))
    .unwrap();
    assert_eq!(found["total"].as_u64().unwrap() as usize, with_sunita);
}

/// The store is set up with the PIN from the environment and its recovery code is shown once,
/// on the error stream; a wrong PIN, or none at all outside a terminal, is refused with a
/// message that says what to do, and the database file holds no name in the clear.
#[test]
fn the_store_is_encrypted_and_opens_only_with_its_pin() {
    let dir = tempfile::tempdir().unwrap();
    let o = samanvaya(dir.path(), &["demo"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    assert!(err.contains("Recovery code"), "{err}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("Recovery code"), "never on stdout");

    let wrong = Command::new(env!("CARGO_BIN_EXE_samanvaya"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["households", "list"])
        .env("SAMANVAYA_PIN", "135790")
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(said.contains("not right") && said.contains("attempt"), "{said}");

    let none = Command::new(env!("CARGO_BIN_EXE_samanvaya"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["households", "list"])
        .env_remove("SAMANVAYA_PIN")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("SAMANVAYA_PIN"));

    // A Samiti viewer is added with the recovery code, and opens the store with her own PIN.
    let code = err.lines().find_map(|l| l.split("shown only now): ").nth(1)).unwrap().trim().to_owned();
    let added = Command::new(env!("CARGO_BIN_EXE_samanvaya"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["accounts", "add", "--name", "Samiti", "--role", "samiti-viewer"])
        .env("SAMANVAYA_PIN", PIN)
        .env("SAMANVAYA_RECOVERY_CODE", &code)
        .env("SAMANVAYA_NEW_PIN", "519372")
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let as_viewer = Command::new(env!("CARGO_BIN_EXE_samanvaya"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--account", "Samiti", "households", "list", "--limit", "1"])
        .env("SAMANVAYA_PIN", "519372")
        .output()
        .unwrap();
    assert!(as_viewer.status.success(), "{}", String::from_utf8_lossy(&as_viewer.stderr));

    // The viewer changes her own PIN; the old one no longer opens the store.
    let changed = Command::new(env!("CARGO_BIN_EXE_samanvaya"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--account", "Samiti", "accounts", "pin"])
        .env("SAMANVAYA_PIN", "519372")
        .env("SAMANVAYA_NEW_PIN", "864209")
        .output()
        .unwrap();
    assert!(changed.status.success(), "{}", String::from_utf8_lossy(&changed.stderr));
    let old = Command::new(env!("CARGO_BIN_EXE_samanvaya"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--account", "Samiti", "households", "list"])
        .env("SAMANVAYA_PIN", "519372")
        .output()
        .unwrap();
    assert!(!old.status.success());

    // With two accounts, the CLI asks which one.
    let which = samanvaya(dir.path(), &["households", "list"]);
    assert!(
        String::from_utf8_lossy(&which.stderr).contains("--account"),
        "{}",
        String::from_utf8_lossy(&which.stderr)
    );

    // The right PIN still opens it (the wrong one counted, but did not lock it).
    let list =
        stdout(&samanvaya(dir.path(), &["--account", "facilitator", "households", "list", "--limit", "1"]));
    assert!(list.contains("1 of 300") || list.lines().count() >= 2, "{list}");
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for name in ["Sahpur", "सहपुर", "देवी"] {
            assert!(!bytes.windows(name.len()).any(|w| w == name.as_bytes()), "{name} in the clear");
        }
    }
}

#[test]
fn an_unusable_data_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let o = samanvaya(&file, &["households", "list"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot open the store in") && err.contains("not-a-folder"), "{err}");
}

fn example() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/household.json")
}

#[test]
fn eligibility_of_a_facts_file_needs_no_store() {
    let o = Command::new(env!("CARGO_BIN_EXE_samanvaya"))
        .args(["eligibility", "--facts"])
        .arg(example())
        .args(["--as-of", "2026-11-23", "--format", "json"])
        .env_remove("SAMANVAYA_DATA_DIR")
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let outcome = |scheme: &str, member: Option<&str>| {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["scheme"] == scheme && f["member_id"].as_str() == member)
            .map(|f| f["outcome"].as_str().unwrap().to_owned())
    };
    // शांति देवी, 68, widowed, BPL, no government pension.
    assert_eq!(outcome("NSAP_IGNOAPS", Some("1")).as_deref(), Some("eligible"));
    assert_eq!(outcome("NFSA_PHH", None).as_deref(), Some("already_receiving"));
    // पूजा कुमारी, 17: too young for the old-age pension whatever else is unknown.
    assert_eq!(outcome("NSAP_IGNOAPS", Some("2")).as_deref(), Some("not_eligible"));
    let checks = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["scheme"] == "NSAP_IGNOAPS" && f["member_id"] == "1")
        .unwrap()["checks"]
        .as_array()
        .unwrap()
        .clone();
    assert!(checks[0]["sentence"]["en"].as_str().unwrap().contains("Age: 68"), "{checks:?}");
    assert!(checks[0]["sentence"]["hi"].as_str().unwrap().contains("आयु: 68"), "{checks:?}");
    assert!(!json["questions"].as_array().unwrap().is_empty(), "ask-next has questions");
    // A Bihar household is not shown Delhi's schemes (issue 22).
    let delhi: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["scheme"].as_str().unwrap().starts_with("DL_"))
        .collect();
    assert!(delhi.is_empty(), "{delhi:?}");
    // The same file places the household on the vulnerability profile: a widow lives there.
    let reasons: Vec<&str> = json["vulnerability"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["en"].as_str().unwrap())
        .collect();
    assert!(reasons.iter().any(|r| r.starts_with("A widow")), "{reasons:?}");
}

#[test]
fn the_vulnerability_list_puts_the_most_vulnerable_first_and_is_saved_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    stdout(&samanvaya(dir.path(), &["demo"]));
    let out = stdout(&samanvaya(dir.path(), &["vulnerability", "--lang", "en", "--as-of", "2026-11-23"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "category,household_number,head,hamlet,reasons,ask");
    assert_eq!(lines.len(), 301, "one line per household of the demo village");
    let categories: Vec<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
    let last_most = categories.iter().rposition(|c| *c == "most vulnerable").unwrap();
    assert!(categories[..=last_most].iter().all(|c| *c == "most vulnerable"), "the most vulnerable first");
    let file = dir.path().join("vulnerable.csv");
    let o =
        samanvaya(dir.path(), &["vulnerability", "--out", file.to_str().unwrap(), "--as-of", "2026-11-23"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(saved.starts_with("\u{feff}श्रेणी,"), "a Hindi CSV with the mark spreadsheets need");
    assert_eq!(saved.lines().count(), 301);
}

#[test]
fn a_wrong_facts_file_is_refused_with_every_mistake_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.json");
    std::fs::write(
        &file,
        r#"{"household": {"bpl_status": "poor"}, "members": [{"sex": "f", "age_years": 40, "favourite_colour": "red"}]}"#,
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_samanvaya"))
        .args(["eligibility", "--facts"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    for expected in [
        "4 wrong fact(s)",
        "household.bpl_status: expected one of bpl, apl",
        "members[0].sex: expected one of female, male, transgender",
        "members[0].age_years: person.age_years is worked out by the engine",
        "members[0].favourite_colour: person.favourite_colour is not in the fact vocabulary",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}

#[test]
fn eligibility_of_the_whole_store_summarises_each_scheme() {
    let dir = tempfile::tempdir().unwrap();
    stdout(&samanvaya(dir.path(), &["demo"]));
    let table = stdout(&samanvaya(dir.path(), &["eligibility", "--all", "--as-of", "2026-11-23"]));
    assert!(table.starts_with("300 households, "), "{table}");
    let ignoaps = table.lines().find(|l| l.starts_with("NSAP_IGNOAPS")).expect("a line per scheme");
    let numbers: Vec<u32> = ignoaps.split_whitespace().skip(1).map(|n| n.parse().unwrap()).collect();
    // eligible, alternative (counted under another pension), receiving, undetermined, not eligible
    assert_eq!(numbers.len(), 5);
    assert!(numbers[0] > 0 && numbers[2] > 0, "some eligible and some already receiving: {ignoaps}");
    assert!(
        numbers[1] > 0,
        "some widows eligible for the old-age pension are counted under the widow pension: {ignoaps}"
    );
    assert!(table.contains("Most missing facts"));
}

#[test]
fn a_scheme_not_yet_in_force_is_shown_with_the_day_it_starts() {
    let o = Command::new(env!("CARGO_BIN_EXE_samanvaya"))
        .args(["eligibility", "--facts"])
        .arg(example())
        .args(["--as-of", "2024-01-01", "--format", "json"])
        .env_remove("SAMANVAYA_DATA_DIR")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows: Vec<&serde_json::Value> =
        json["findings"].as_array().unwrap().iter().filter(|f| f["scheme"] == "AB_PMJAY_70PLUS").collect();
    assert!(!rows.is_empty(), "a row for each member, not no row at all");
    for f in rows {
        assert_eq!(f["outcome"], "not_eligible");
        let sentence = &f["checks"][0]["sentence"];
        assert!(sentence["en"].as_str().unwrap().contains("starts on 29 October 2024"), "{sentence}");
        assert!(sentence["hi"].as_str().unwrap().contains("29 अक्टूबर 2024 से शुरू होगी"), "{sentence}");
    }
}

#[test]
fn the_review_sheet_lists_every_rule_least_verified_first() {
    let run = |format: &str, lang: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_samanvaya"))
            .args(["catalogue", "review", "--format", format, "--lang", lang])
            .env_remove("SAMANVAYA_DATA_DIR")
            .output()
            .unwrap();
        stdout(&o)
    };
    let csv = run("csv", "en");
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("code,scheme,verification,in_force"));
    let rows: Vec<&str> = lines.collect();
    let cat = samanvaya_eligibility::embedded().unwrap();
    let criteria: usize = cat.schemes.iter().flat_map(|s| &s.versions).map(|v| v.criteria.len()).sum();
    assert_eq!(rows.len(), criteria, "one row per criterion of every version");
    assert!(
        !rows[0].contains("verified against the primary text"),
        "the least verified come first: {}",
        rows[0]
    );
    assert!(rows.last().unwrap().contains("verified against the primary text"));
    let html = run("html", "hi");
    assert!(html.starts_with("<!doctype html>\n<html lang=\"hi\">"));
    assert!(html.contains("योजना सूची: जाँच पत्र") && html.contains("data:font/woff2;base64,"));
    for s in &cat.schemes {
        assert!(html.contains(&format!("<section id=\"{}\">", s.code)), "{} is on the sheet", s.code);
    }
    // The sheet's own sentences (when a version is in force, its parameters, its conditions) write
    // dates in words; sources and notes are quoted as their authors wrote them.
    for h3 in html.lines().filter(|l| l.starts_with("<h3>") || l.starts_with("<tr><td>")) {
        assert!(!samanvaya_rules::words::has_iso_date(h3), "{h3}");
    }
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    stdout(&samanvaya(dir.path(), &["demo"]));
    for args in [&["households", "list"][..], &["catalogue", "review", "--format", "csv"][..]] {
        // Like `samanvaya households list | head -1`: read one line, then close the pipe.
        let mut child = Command::new(env!("CARGO_BIN_EXE_samanvaya"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .env_remove("SAMANVAYA_DATA_DIR")
            .env("SAMANVAYA_PIN", PIN)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(!first.is_empty());
        assert!(
            out.status.success(),
            "{args:?} failed after the pipe closed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stderr.is_empty(), "{args:?} wrote to stderr: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// A backup written to a folder (a USB stick) restores into a new data folder with the PIN.
#[test]
fn backup_to_a_folder_and_restore_on_a_new_laptop() {
    let dir = tempfile::tempdir().unwrap();
    stdout(&samanvaya(dir.path(), &["demo"]));
    let usb = tempfile::tempdir().unwrap();
    let said = stdout(&samanvaya(dir.path(), &["backup", "--to", usb.path().to_str().unwrap()]));
    assert!(said.starts_with("Backed up 300 households to"), "{said}");
    let file = std::fs::read_dir(usb.path()).unwrap().next().unwrap().unwrap().path();
    assert!(file.to_string_lossy().ends_with(".backup"));
    // The backup is in the audit log, and the log checks out.
    let verified = stdout(&samanvaya(dir.path(), &["audit", "verify"]));
    assert_eq!(verified.trim(), "The audit log is intact: 1 entries.");
    let new = tempfile::tempdir().unwrap();
    let target = new.path().join("store");
    let said = stdout(&samanvaya(&target, &["restore", file.to_str().unwrap()]));
    assert!(said.starts_with("Restored 300 households"), "{said}");
    let json: serde_json::Value = serde_json::from_str(&stdout(&samanvaya(
        &target,
        &["households", "list", "--format", "json", "--limit", "1"],
    )))
    .unwrap();
    assert_eq!(json["total"], 300);
    // Restoring over a store is refused.
    let o = samanvaya(&target, &["restore", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("empty data folder"));
}

#[test]
fn form_check_reports_the_shipped_survey_and_refuses_a_broken_form_with_its_places() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout(&samanvaya(dir.path(), &["form", "check"]));
    assert!(out.starts_with("baseline (version "), "{out}");
    assert!(out.contains("consent asked by 'consent'") && out.contains("No warnings."), "{out}");

    let broken =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../forms/tests/fixtures/invalid/phone_only.xlsx");
    let o = samanvaya(dir.path(), &["form", "check", broken.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("fix these 3 problem(s)"), "{err}");
    assert!(err.contains("survey sheet, row 3, column A (type): type 'image' is not supported"), "{err}");
    assert!(!dir.path().join("samanvaya.db").exists(), "checking a form opens no store");
}

#[test]
fn survey_answers_become_facts_the_eligibility_command_decides() {
    let dir = tempfile::tempdir().unwrap();
    let answers = dir.path().join("answers.json");
    std::fs::write(
        &answers,
        r#"{"values": {"consent": "yes", "hamlet": "Purvi tola", "house_type": "kucha", "ration": "phh",
                       "bpl": "bpl", "income": "60000", "member_count": "1", "all_listed": "yes"},
            "repeats": {"members": [{"m_name": "Shanti Devi", "relation": "head", "sex": "female",
                                     "dob_known": "no", "age": "67", "marital": "widowed",
                                     "documents": "aadhaar bank", "aadhaar_last4": "0421"}]}}"#,
    )
    .unwrap();
    let facts = stdout(&samanvaya(
        dir.path(),
        &["form", "facts", "--answers", answers.to_str().unwrap(), "--as-of", "2026-11-30"],
    ));
    let json: serde_json::Value = serde_json::from_str(&facts).unwrap();
    assert_eq!(json["members"][0]["date_of_birth"], "1959-11-30", "a stated age is an estimated date");
    assert!(!facts.contains("0421"), "the Aadhaar digits are not a fact");
    let facts_file = dir.path().join("facts.json");
    std::fs::write(&facts_file, &facts).unwrap();
    let decided = stdout(&samanvaya(
        dir.path(),
        &[
            "eligibility",
            "--facts",
            facts_file.to_str().unwrap(),
            "--as-of",
            "2026-11-30",
            "--format",
            "json",
        ],
    ));
    let decided: serde_json::Value = serde_json::from_str(&decided).unwrap();
    let text = decided.to_string();
    assert!(
        text.contains("NSAP_IGNWPS") || text.contains("NSAP_IGNOAPS"),
        "a widow of 67 is decided for the pensions: {text}"
    );

    // An answer the form refuses is named, and no facts are printed.
    std::fs::write(&answers, r#"{"values": {"consent": "yes", "hamlet": "x", "member_count": "0"}}"#)
        .unwrap();
    let o = samanvaya(
        dir.path(),
        &["form", "facts", "--answers", answers.to_str().unwrap(), "--as-of", "2026-11-30"],
    );
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("member_count: Between 1 and 100 people."), "{err}");
    assert!(o.stdout.is_empty());
}

/// A referral from a terminal: opened for a member of a demo household, moved on, refused a step
/// that does not fit (exit code 1, with what is allowed), and printed as a Hindi slip.
#[test]
fn referrals_open_move_and_print_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    stdout(&samanvaya(dir.path(), &["demo"]));
    let households: serde_json::Value = serde_json::from_str(&stdout(&samanvaya(
        dir.path(),
        &["households", "list", "--format", "json", "--limit", "1"],
    )))
    .unwrap();
    let head = households["items"][0]["head_name"].as_str().unwrap().to_owned();
    let opened = stdout(&samanvaya(
        dir.path(),
        &["referrals", "open", "--household", "1", "--member", &head, "--scheme", "NSAP_IGNOAPS"],
    ));
    assert!(opened.contains("D-1") && opened.contains("documents_pending"), "{opened}");
    let refused = samanvaya(dir.path(), &["referrals", "transition", "D-1", "sanction"]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("allowed now: submit"), "{err}");
    stdout(&samanvaya(dir.path(), &["referrals", "transition", "D-1", "submit"]));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&samanvaya(
        dir.path(),
        &["referrals", "show", "D-1", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(shown["summary"]["stage"], "submitted");
    assert_eq!(shown["timeline"].as_array().unwrap().len(), 1, "the refused step left no trace");
    let slip = dir.path().join("slip.html");
    stdout(&samanvaya(dir.path(), &["referrals", "slip", "D-1", "--out", slip.to_str().unwrap()]));
    let page = std::fs::read_to_string(&slip).unwrap();
    assert!(page.contains("रेफ़रल पर्ची") && page.contains(&head) && page.contains("<svg"), "the Hindi slip");
    let todo = stdout(&samanvaya(dir.path(), &["referrals", "todo"]));
    assert!(todo.contains("missing documents (1)"), "{todo}");
}

#[test]
fn a_district_form_is_installed_and_listed_and_a_broken_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    stdout(&samanvaya(dir.path(), &["demo"]));
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/forms/baseline.md")).unwrap();
    let broken = dir.path().join("broken.md");
    std::fs::write(
        &broken,
        shipped
            .replace("2026113001", "2026120101")
            .replace("| record.hamlet |", "| household.no_such_fact |"),
    )
    .unwrap();
    let o = samanvaya(dir.path(), &["form", "install", broken.to_str().unwrap()]);
    assert!(!o.status.success());
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("not installed") && said.contains("no_such_fact"), "{said}");

    let district = dir.path().join("district.md");
    std::fs::write(&district, shipped.replace("2026113001", "2026120101")).unwrap();
    let out = stdout(&samanvaya(dir.path(), &["form", "install", district.to_str().unwrap()]));
    assert!(out.starts_with("Installed baseline version 2026120101"), "{out}");
    let list = stdout(&samanvaya(dir.path(), &["form", "list"]));
    let lines: Vec<&str> = list.lines().collect();
    assert!(
        lines[0].starts_with("  baseline 2026113001") && lines[0].ends_with("(built into the app)"),
        "{list}"
    );
    assert!(lines[1].starts_with("* baseline 2026120101"), "{list}");
}
