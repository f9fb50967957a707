//! The fixture forms, data-driven:
//!
//! - `fixtures/valid/*.md` and `*.xlsx` load; the `> warning:` lines of a markdown fixture are
//!   exactly its warnings; `NAME.cases.json` beside a form fills it and says what the logic must
//!   make of the answers (values, shown and hidden questions, problems, instances, facts).
//! - `fixtures/invalid/*` are refused; the `> error:` lines of a markdown fixture (or the
//!   `NAME.errors` file beside an .xlsx one) are exactly the problems, in order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use samanvaya_forms::{Answers, FormError, evaluate, facts, load_file};
use samanvaya_rules::Catalogue;
use serde::Deserialize;

mod common;
use common::catalogue;

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("md" | "xlsx")))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

/// The lines of a fixture's expectations: `> error: …` in a markdown file, or a file beside it.
fn expected(path: &Path, kind: &str) -> Vec<String> {
    let text = if path.extension().is_some_and(|e| e == "md") {
        std::fs::read_to_string(path).unwrap()
    } else {
        std::fs::read_to_string(path.with_extension(format!("{kind}s"))).unwrap_or_default()
    };
    let prefix = format!("> {kind}: ");
    text.lines().filter_map(|l| l.strip_prefix(&prefix)).map(str::to_owned).collect()
}

fn load(path: &Path, catalogue: &Catalogue) -> Result<samanvaya_forms::Form, FormError> {
    let bytes = std::fs::read(path).unwrap();
    load_file(path.file_name().unwrap().to_str().unwrap(), &bytes, catalogue)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    about: String,
    #[serde(default = "default_today")]
    today: NaiveDate,
    #[serde(default)]
    answers: Answers,
    /// Expected values by slot: `name`, or `name#N` for instance N (from 1) of a repeat.
    #[serde(default)]
    values: BTreeMap<String, String>,
    #[serde(default)]
    shown: Vec<String>,
    #[serde(default)]
    hidden: Vec<String>,
    /// Exactly the slots whose answers stop the survey from being finished.
    problems: Vec<String>,
    /// English messages expected on some of those slots.
    #[serde(default)]
    messages: BTreeMap<String, String>,
    #[serde(default)]
    choices: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    instances: BTreeMap<String, usize>,
    /// The facts the finished survey records, in the eligibility JSON format.
    #[serde(default)]
    facts: Option<serde_json::Value>,
}

fn default_today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

fn slot(s: &str) -> (String, Option<usize>) {
    match s.split_once('#') {
        Some((n, i)) => (n.to_owned(), Some(i.parse::<usize>().unwrap() - 1)),
        None => (s.to_owned(), None),
    }
}

fn slot_name(name: &str, instance: Option<usize>) -> String {
    match instance {
        Some(i) => format!("{name}#{}", i + 1),
        None => name.to_owned(),
    }
}

#[test]
fn valid_forms_load_and_behave_as_their_cases_say() {
    let catalogue = catalogue();
    for path in fixtures("valid") {
        let name = path.display().to_string();
        let form = load(&path, &catalogue).unwrap_or_else(|e| panic!("{name} does not load: {e}"));
        let warnings: Vec<String> = form.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(warnings, expected(&path, "warning"), "{name}: warnings");
        let cases_path = PathBuf::from(format!("{}.cases.json", path.with_extension("").display()));
        let Ok(text) = std::fs::read_to_string(&cases_path) else { continue };
        let cases: Vec<Case> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", cases_path.display()));
        for case in cases {
            let at = format!("{name}: {}", case.about);
            let state = evaluate(&form, &case.answers, case.today);
            for (s, want) in &case.values {
                let (n, i) = slot(s);
                let q = state.get(&n, i).unwrap_or_else(|| panic!("{at}: no question {s}"));
                assert!(q.relevant, "{at}: {s} should be shown");
                assert_eq!(&q.value, want, "{at}: value of {s}");
            }
            for s in &case.shown {
                let (n, i) = slot(s);
                assert!(state.get(&n, i).is_some_and(|q| q.relevant), "{at}: {s} should be shown");
            }
            for s in &case.hidden {
                let (n, i) = slot(s);
                assert!(state.get(&n, i).is_none_or(|q| !q.relevant), "{at}: {s} should be hidden");
            }
            let got: BTreeSet<String> =
                state.problems().map(|q| slot_name(&q.slot.name, q.slot.instance)).collect();
            let want: BTreeSet<String> = case.problems.iter().cloned().collect();
            assert_eq!(got, want, "{at}: problems");
            for (s, msg) in &case.messages {
                let (n, i) = slot(s);
                let q = state.get(&n, i).unwrap();
                assert_eq!(
                    q.problem.as_ref().map(|p| p.en.as_str()),
                    Some(msg.as_str()),
                    "{at}: message of {s}"
                );
            }
            for (q, want) in &case.choices {
                let (n, i) = slot(q);
                assert_eq!(
                    state.get(&n, i).and_then(|q| q.choices.clone()).as_ref(),
                    Some(want),
                    "{at}: choices of {q}"
                );
            }
            for (r, n) in &case.instances {
                assert_eq!(state.instances.get(r), Some(n), "{at}: instances of {r}");
            }
            if let Some(want) = &case.facts {
                let got =
                    facts(&form, &state, &catalogue, case.today).unwrap_or_else(|e| panic!("{at}: {e:?}"));
                assert_eq!(&got.to_eligibility_json(), want, "{at}: facts");
            }
        }
    }
}

#[test]
fn invalid_forms_are_refused_with_the_exact_reasons() {
    let catalogue = catalogue();
    // Every fixture is checked before failing, so one run shows every wrong message.
    let mut wrong = Vec::new();
    for path in fixtures("invalid") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let want = expected(&path, "error");
        let got: Vec<String> = match load(&path, &catalogue) {
            Ok(_) => vec!["(loaded)".to_owned()],
            Err(FormError::Invalid(problems)) => problems.iter().map(ToString::to_string).collect(),
            Err(FormError::Unreadable(e)) => vec![e.to_string()],
        };
        if want.is_empty() || got != want {
            wrong.push(format!("{name}\n  want: {want:?}\n  got:  {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn settings_typed_as_numbers_and_kobo_metadata_are_read_as_written() {
    let catalogue = catalogue();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    let odk = load(&dir.join("odk_style.xlsx"), &catalogue).unwrap();
    assert_eq!((odk.id.as_str(), odk.version.as_str()), ("anganwadi_visit", "2024010101"));
    assert_eq!(odk.title.en, "Anganwadi visit");
    let kobo = load(&dir.join("kobo_style.xlsx"), &catalogue).unwrap();
    assert_eq!((kobo.id.as_str(), kobo.version.as_str()), ("household_listing", "vGq7mR2xT9"));
    let metas: Vec<&str> = kobo
        .walk()
        .into_iter()
        .filter(|i| matches!(i.kind, samanvaya_forms::Kind::Meta { .. }))
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(metas, ["start", "end", "today"]);
    // A form with neither form_id nor version is named after its file and by its content.
    let md = "| survey |\n| | type | name | label |\n| | text | a | A |\n";
    let one = load_file("listing.md", md.as_bytes(), &catalogue).unwrap();
    let two = load_file("listing.md", md.replace("| A |", "| B |").as_bytes(), &catalogue).unwrap();
    assert_eq!(one.id, "listing");
    assert!(one.version.starts_with("digest-"));
    assert_ne!(one.version, two.version, "two different forms never share a version");
}
