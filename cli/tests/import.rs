//! The import of household lists (issue 17, item 6), as data: fixture lists in
//! `tests/fixtures/import/` with the exact rows and reasons each must report and what the store
//! holds afterwards, through the library; then `samanvaya import` as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use samanvaya_core::{ListMapping, ListOptions, ListReport, Role, Secret, Store, StoreError};
use samanvaya_domain::{Location, LocationId, LocationLevel};
use samanvaya_forms::workbook::Sheet;

const PIN: &str = "482916";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import").join(name)
}

fn sheet(name: &str) -> Sheet {
    let path = fixture(name);
    if name.ends_with(".xlsx") {
        samanvaya_forms::table::read_xlsx_table(&std::fs::read(path).unwrap()).unwrap()
    } else {
        samanvaya_forms::table::read_csv(&std::fs::read_to_string(path).unwrap()).unwrap()
    }
}

fn mapping() -> ListMapping {
    ListMapping::parse(&std::fs::read_to_string(fixture("mapping.toml")).unwrap()).unwrap()
}

fn id(n: u128) -> LocationId {
    format!("01900000-0000-7000-8000-{n:012x}").parse().unwrap()
}

/// A real (not demo) store serving the village Bakraur, which has two hamlets.
fn store_with_village(dir: &Path) -> Store {
    store_and_recovery_code(dir).0
}

fn store_and_recovery_code(dir: &Path) -> (Store, Secret) {
    let (mut store, code) = Store::create(dir, "facilitator", &Secret::new(PIN)).unwrap();
    let chain = [
        (LocationLevel::State, "Bihar", "बिहार"),
        (LocationLevel::District, "Gaya", "गया"),
        (LocationLevel::Block, "Bodh Gaya", "बोधगया"),
        (LocationLevel::GramPanchayat, "Bakraur", "बकरौर"),
        (LocationLevel::Village, "Bakraur", "बकरौर"),
        (LocationLevel::Hamlet, "Purab Tola", "पूरब टोला"),
        (LocationLevel::Hamlet, "Pachhim Tola", "पश्चिम टोला"),
    ];
    let places: Vec<Location> = chain
        .iter()
        .enumerate()
        .map(|(i, (level, en, hi))| Location {
            id: id(i as u128),
            level: *level,
            parent_id: match i {
                0 => None,
                5 | 6 => Some(id(4)),
                _ => Some(id(i as u128 - 1)),
            },
            lgd_code: None,
            name_en: (*en).into(),
            name_hi: (*hi).into(),
        })
        .collect();
    store.add_places(&places, &[id(4)]).unwrap();
    (store, code)
}

fn import(store: &mut Store, list: &str) -> Result<ListReport, StoreError> {
    store.import_list(&sheet(list), &mapping(), ListOptions::default(), |_, _| {})
}

/// A stored household: hamlet, address, phone, its members and its facts, as text.
type Stored = (String, String, String, Vec<String>, Vec<String>);

/// Every stored household as (hamlet, address, phone, members as "name relation sex birth"),
/// and every fact as "who name value source", in list order.
fn stored(store: &Store) -> Vec<Stored> {
    let conn = store.connection();
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM household ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    ids.iter()
        .map(|hid| {
            let h = store.household(hid.parse().unwrap()).unwrap();
            let hamlet = match h.hamlet_id {
                Some(x) if x == id(5) => "Purab Tola",
                Some(x) if x == id(6) => "Pachhim Tola",
                Some(_) => "?",
                None => "",
            };
            let members = h
                .members
                .iter()
                .map(|p| {
                    let birth = match (p.birth_date, p.birth_date_estimated) {
                        (Some(d), false) => d.to_string(),
                        (Some(_), true) => "age".to_owned(),
                        (None, _) => "unknown".to_owned(),
                    };
                    format!("{} {} {} {birth}", p.name, p.relation.as_str(), p.sex.as_str())
                })
                .collect();
            let mut facts: Vec<String> = conn
                .prepare(
                    "SELECT subject_id, name, value, source FROM fact
                     WHERE subject_id = ?1 OR subject_id IN (SELECT id FROM person WHERE household_id = ?1)
                     ORDER BY name, subject_id",
                )
                .unwrap()
                .query_map([hid], |r| {
                    let subject: String = r.get(0)?;
                    let who = if &subject == hid {
                        "household".to_owned()
                    } else {
                        h.members.iter().position(|p| p.id.to_string() == subject).unwrap().to_string()
                    };
                    Ok(format!(
                        "{who} {} {} {}",
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?
                    ))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            facts.sort();
            (hamlet.to_owned(), h.address.clone(), h.phone.clone(), members, facts)
        })
        .collect()
}

fn good_households() -> Vec<Stored> {
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    vec![
        (
            "Purab Tola".into(),
            "Ward 4".into(),
            "9876543210".into(),
            s(&[
                "सुनीता देवी head female 1984-03-15",
                "रामू मांझी spouse male age",
                "पूजा कुमारी daughter female 2012-07-01",
            ]),
            s(&[
                "0 person.caste_category \"sc\" document",
                "1 person.caste_category \"sc\" document",
                "2 person.caste_category \"sc\" document",
                "household household.ration_card_type \"phh\" document",
            ]),
        ),
        (
            "Pachhim Tola".into(),
            "Near the well, ward 2".into(),
            String::new(),
            // The list wrote the head second; she is stored first.
            s(&["Meena Devi head female age", "Rohit Kumar son male age"]),
            s(&[
                "0 person.caste_category \"obc\" document",
                "1 person.caste_category \"obc\" document",
                "household household.ration_card_type \"aay\" document",
            ]),
        ),
        (String::new(), String::new(), String::new(), s(&["Kamla Devi head female age"]), vec![]),
    ]
}

#[test]
fn a_good_list_imports_whole_from_csv_or_xlsx_and_never_twice() {
    for list in ["good.csv", "good.xlsx"] {
        let dir = tempfile::tempdir().unwrap();
        let mut store = store_with_village(dir.path());
        let report = import(&mut store, list).unwrap();
        assert_eq!(
            (report.rows, report.imported, report.members, report.already, report.refused),
            (6, 3, 6, 0, 0),
            "{list}: {report:?}"
        );
        assert!(report.problems.is_empty(), "{list}: {:?}", report.problems);
        assert_eq!(stored(&store), good_households(), "{list}");
        assert!(store.queued_changes().unwrap() > 0, "imported households travel like typed ones");

        // The same list again, or the same households from the other format: nothing doubles.
        for again in ["good.csv", "good.xlsx"] {
            let report = import(&mut store, again).unwrap();
            assert_eq!((report.imported, report.already), (0, 3), "{list} then {again}");
        }
        assert_eq!(store.household_count().unwrap(), 3);
    }
}

#[test]
fn bad_rows_refuse_their_whole_household_with_the_row_and_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_village(dir.path());
    let report = import(&mut store, "bad-rows.csv").unwrap();
    let problems: Vec<(usize, &str)> = report.problems.iter().map(|p| (p.row, p.reason.as_str())).collect();
    let relations = "head, spouse, son, daughter, son_in_law, daughter_in_law, grandson, granddaughter, father, mother, father_in_law, mother_in_law, brother, sister, brother_in_law, sister_in_law, other_relative, not_related";
    let want: Vec<(usize, String)> = vec![
        (4, format!("'uncle' is not a relation the app knows; write one of {relations}, or map the word under [relation] in the mapping file")),
        (5, "'31-02-1990' is not a date; write the date of birth as YYYY-MM-DD or DD-MM-YYYY (for example 1984-03-15 or 15-03-1984)".into()),
        (6, "'Brahmin' in column 'Category' is not a value of person.caste_category; write one of sc, st, ebc, obc, general, or map the word under values of this column in the mapping file".into()),
        (7, "the household 'B-5' (rows 7, 8) has no head; write the relation head on the row of its head".into()),
        (9, "the household key (column 'Family ID') is empty; write the key of the household this member belongs to".into()),
        (11, "the 'Ration card' is 'AAY' here but 'PHH' on row 10 of the same household; write the same 'Ration card' on both rows, or leave one empty".into()),
        (13, "'Uttar Tola' is not a hamlet of this village; write one of: Pachhim Tola, Purab Tola".into()),
        (13, "'Gold' in column 'Ration card' is not a value of household.ration_card_type; write one of aay, phh, state_non_nfsa, none, or map the word under values of this column in the mapping file".into()),
        (14, "the phone number is not a ten-digit Indian mobile number; correct it or leave it empty".into()),
        // Said without the number: the reason is shown on screen and kept in no file.
        (15, "a whole Aadhaar number is written here, and the app never keeps one; remove it from the list".into()),
    ];
    let want: Vec<(usize, &str)> = want.iter().map(|(r, s)| (*r, s.as_str())).collect();
    assert_eq!(problems, want);
    // The import screen says each reason in Hindi too, with the same values quoted.
    let hindi: Vec<(usize, &str)> = report.problems.iter().map(|p| (p.row, p.reason_hi.as_str())).collect();
    assert!(
        hindi.contains(&(13, "'Uttar Tola' इस गाँव का टोला नहीं है; इनमें से एक लिखें: पश्चिम टोला, पूरब टोला")),
        "{hindi:?}"
    );
    assert!(
        hindi.contains(&(14, "फ़ोन नंबर दस अंकों का भारतीय मोबाइल नंबर नहीं है; ठीक करें या खाली छोड़ें")),
        "{hindi:?}"
    );
    assert!(hindi.contains(&(11, "यहाँ 'Ration card' 'AAY' है, पर इसी परिवार की पंक्ति 10 में 'PHH'; दोनों पंक्तियों में एक ही 'Ration card' लिखें, या एक खाली छोड़ें")), "{hindi:?}");
    for (row, hi) in &hindi {
        assert!(hi.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c)), "row {row}: {hi}");
    }
    assert_eq!((report.rows, report.imported, report.members, report.refused), (14, 1, 1, 8));
    // Only the good household is stored; nothing of the refused ones.
    let names: Vec<String> = stored(&store).into_iter().flat_map(|h| h.3).collect();
    assert_eq!(names, vec!["Asha Devi head female age"]);

    // Once the rows are corrected, the list imports again and only the refused households come in.
    let fixed = std::fs::read_to_string(fixture("bad-rows.csv"))
        .unwrap()
        .replace("uncle", "other_relative")
        .replace("31-02-1990", "28-02-1990")
        .replace("Brahmin", "General")
        .replace("Sanju Kumar,son", "Sanju Kumar,head")
        .replace(",,,,Nobody's row", "B-7,,,,Nobody's row")
        .replace("Raj Kumar,son,M,,20,,AAY", "Raj Kumar,son,M,,20,,")
        .replace("Uttar Tola", "Purab Tola")
        .replace("Gold", "AAY")
        .replace("12345", "")
        .replace("Ward 2 2345-6789-0124", "Ward 2");
    let sheet = samanvaya_forms::table::read_csv(&fixed).unwrap();
    let report = store.import_list(&sheet, &mapping(), ListOptions::default(), |_, _| {}).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!((report.imported, report.already), (9, 1));
    assert_eq!(store.household_count().unwrap(), 10);
}

#[test]
fn a_mapping_that_does_not_fit_the_list_refuses_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_village(dir.path());
    let err = import(&mut store, "no-hamlet-column.csv").unwrap_err();
    let StoreError::ListRefused { problems } = err else { panic!("{err}") };
    assert_eq!(
        english(&problems),
        vec!["the mapping names the column 'Tola' for the hamlet, but the list has no such column (its columns are: family id, address, mobile, name, relation, gender, date of birth, age, category, ration card); correct the column's name in the mapping file or in the list's first row".to_owned()]
    );
    // The import screen says it in Hindi, naming the same column and the list's own columns.
    assert_eq!(
        problems[0].hi,
        "मैपिंग फ़ाइल में टोले के लिए कॉलम 'Tola' लिखा है, पर सूची में ऐसा कोई कॉलम नहीं है (उसके कॉलम हैं: family id, address, mobile, name, relation, gender, date of birth, age, category, ration card); मैपिंग फ़ाइल में या सूची की पहली पंक्ति में कॉलम का नाम ठीक करें"
    );

    let mut bad = mapping();
    bad.facts[0].fact = "person.caste_categry".into();
    bad.facts[1].fact = "person.sex".into();
    bad.facts.push(samanvaya_core::list_import::mapping::FactColumn {
        column: "Age".into(),
        fact: "person.age_years".into(),
        values: Default::default(),
    });
    let err = store.import_list(&sheet("good.csv"), &bad, ListOptions::default(), |_, _| {}).unwrap_err();
    let StoreError::ListRefused { problems } = err else { panic!("{err}") };
    assert_eq!(
        problems.iter().map(|p| p.hi.as_str()).collect::<Vec<_>>(),
        vec![
            "कॉलम 'Category': 'person.caste_categry' शब्दावली (schema/facts/) का कोई तथ्य नहीं है; क्या आपका मतलब 'person.caste_category' था?",
            "कॉलम 'Ration card': person.sex परिवार के रिकॉर्ड का हिस्सा है: कॉलम को [columns] में sex लिखें",
            "कॉलम 'Age': person.age_years person.date_of_birth से निकाला जाता है और दर्ज नहीं किया जा सकता; कॉलम को [columns] में age (साल में) या birth_date लिखें",
        ]
    );
    assert_eq!(
        english(&problems),
        vec![
            "the column 'Category': 'person.caste_categry' is not a fact of the vocabulary (schema/facts/); did you mean 'person.caste_category'?".to_owned(),
            "the column 'Ration card': person.sex is part of the household record: map the column as sex under [columns]".to_owned(),
            "the column 'Age': person.age_years is worked out from person.date_of_birth and cannot be recorded; map the column as age (in years) or birth_date under [columns]".to_owned(),
        ]
    );
    assert_eq!(store.household_count().unwrap(), 0);
}

#[test]
fn a_dry_run_writes_nothing_and_a_reader_or_a_demo_store_may_not_import() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_village(dir.path());
    let report =
        store.import_list(&sheet("good.csv"), &mapping(), ListOptions { dry_run: true }, |_, _| {}).unwrap();
    assert_eq!((report.imported, report.members, report.dry_run), (3, 6, true));
    assert_eq!(store.household_count().unwrap(), 0);

    drop(store);

    let demo = tempfile::tempdir().unwrap();
    let (mut store, _) = Store::create(demo.path(), "facilitator", &Secret::new(PIN)).unwrap();
    store.begin_demo().unwrap();
    assert!(matches!(import(&mut store, "good.csv"), Err(StoreError::DemoImport)));
}

#[test]
fn a_samiti_viewer_may_not_import() {
    let dir = tempfile::tempdir().unwrap();
    let (store, code) = store_and_recovery_code(dir.path());
    store.add_account(&code, "samiti", Role::SamitiViewer, &Secret::new("739164")).unwrap();
    drop(store);
    let mut viewer = Store::unlock(dir.path(), Some("samiti"), &Secret::new("739164")).unwrap();
    let err = import(&mut viewer, "good.csv").unwrap_err();
    assert!(matches!(err, StoreError::NotAllowed { action: "import households", .. }), "{err}");
}

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

#[test]
fn samanvaya_import_reports_rows_and_fails_until_every_row_is_good() {
    let dir = tempfile::tempdir().unwrap();
    drop(store_with_village(dir.path()));
    let mapping = fixture("mapping.toml");
    let mapping = mapping.to_str().unwrap();
    let run = |list: &str, extra: &[&str]| {
        let list = fixture(list);
        let mut args = vec!["import", list.to_str().unwrap(), "--mapping", mapping];
        args.extend_from_slice(extra);
        samanvaya(dir.path(), &args)
    };

    let dry = run("good.xlsx", &["--dry-run"]);
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    assert!(String::from_utf8_lossy(&dry.stdout).contains("6 rows; would import 3 households (6 members)"));

    let good = run("good.csv", &["--format", "json"]);
    assert!(good.status.success(), "{}", String::from_utf8_lossy(&good.stderr));
    let report: serde_json::Value = serde_json::from_slice(&good.stdout).unwrap();
    assert_eq!((report["imported"].as_u64(), report["members"].as_u64()), (Some(3), Some(6)));

    let again = run("good.csv", &[]);
    assert!(again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains("imported 0 households (0 members); 3 already imported before, skipped")
    );

    let bad = run("bad-rows.csv", &[]);
    assert!(!bad.status.success(), "a list with bad rows fails the command");
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(
        out.contains(
            "14 rows; imported 1 households (1 members); 0 already imported before, skipped; 8 refused"
        ),
        "{out}"
    );
    assert!(out.contains("  row 7: the household 'B-5' (rows 7, 8) has no head"), "{out}");
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("the list has 10 bad row(s)"), "{err}");

    let missing = run("no-hamlet-column.csv", &[]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("the mapping names the column 'Tola' for the hamlet")
    );

    let listed = samanvaya(dir.path(), &["households", "list", "--format", "json"]);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed["total"], 4);
}

/// The example in the documentation is the mapping of the fixture list, so that it stays true.
#[test]
fn the_documented_example_mapping_imports_the_fixture_list() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/import-mapping.toml");
    let example = ListMapping::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_village(dir.path());
    let report = store.import_list(&sheet("good.csv"), &example, ListOptions::default(), |_, _| {}).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(stored(&store), good_households());
}

/// A damaged list or mapping file (flipped, dropped, repeated and inserted bytes, as
/// `tests/tests/mutations.rs` makes them) is imported, reported or refused: never a panic, and
/// never a household written half.
#[test]
fn damaged_lists_and_mappings_never_panic() {
    let mut seed = 0x5eed_0017_u64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n.max(1) as u64) as usize
    };
    let mut mutate = |input: &[u8]| {
        let mut out = input.to_vec();
        for _ in 0..1 + next(4) {
            if out.is_empty() {
                out.push(b',');
            }
            let at = next(out.len());
            match next(5) {
                0 => out[at] ^= 1 << next(8),
                1 => drop(out.drain(at..(at + 1 + next(16)).min(out.len()))),
                2 => {
                    let piece = out[at..(at + 1 + next(32)).min(out.len())].to_vec();
                    out.splice(at..at, piece);
                }
                3 => out.insert(at, [b'"', b',', b'\n', b'\r', b'=', b'[', 0xff, b'9'][next(8)]),
                _ => out.truncate(at),
            }
        }
        out
    };
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_village(dir.path());
    let list = std::fs::read(fixture("good.csv")).unwrap();
    let map_text = std::fs::read(fixture("mapping.toml")).unwrap();
    for _ in 0..150 {
        let damaged = mutate(&list);
        let Ok(text) = String::from_utf8(damaged) else { continue };
        let Ok(sheet) = samanvaya_forms::table::read_csv(&text) else { continue };
        let before = store.household_count().unwrap();
        if let Ok(report) = store.import_list(&sheet, &mapping(), ListOptions::default(), |_, _| {}) {
            assert_eq!(store.household_count().unwrap(), before + report.imported as i64);
        }
    }
    for _ in 0..150 {
        let damaged = mutate(&map_text);
        let Ok(text) = String::from_utf8(damaged) else { continue };
        if let Ok(m) = ListMapping::parse(&text) {
            let _ = store.import_list(&sheet("good.csv"), &m, ListOptions { dry_run: true }, |_, _| {});
        }
    }
    let xlsx = std::fs::read(fixture("good.xlsx")).unwrap();
    for _ in 0..60 {
        let _ = samanvaya_forms::table::read_xlsx_table(&mutate(&xlsx));
    }
}

/// A household that withdrew consent after its list was imported stays erased when the same
/// list is imported again: the store keeps only the digest of its key, which names no one.
#[test]
fn a_household_erased_for_consent_is_not_brought_back_by_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store_with_village(dir.path());
    import(&mut store, "good.csv").unwrap();
    let first = store
        .connection()
        .query_row("SELECT id FROM household WHERE address = 'Ward 4'", [], |r| r.get::<_, String>(0))
        .unwrap();
    let at = store.now().unwrap();
    store.withdraw_consent(first.parse().unwrap(), None, at).unwrap();
    assert_eq!(store.household_count().unwrap(), 2);

    let report = import(&mut store, "good.csv").unwrap();
    assert_eq!((report.imported, report.already), (0, 3));
    assert_eq!(store.household_count().unwrap(), 2);
    let named: i64 = store
        .connection()
        .query_row("SELECT count(*) FROM setting WHERE key LIKE '%F-001%' OR value LIKE '%F-001%'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(named, 0, "the list's key is kept only as a digest");
}

/// A list file that cannot be read is refused as the list's fault, naming it, not the mapping
/// file's: the screen then asks for the list to be saved again (`error_list_unreadable`).
#[test]
fn a_damaged_list_is_refused_as_unreadable_and_names_the_file() {
    use samanvaya_core::list_import::read_list;
    let dir = tempfile::tempdir().unwrap();
    // An Excel file cut short on the way, as a stick pulled out too early leaves it.
    let good = std::fs::read(fixture("good.xlsx")).unwrap();
    let cut = dir.path().join("families.xlsx");
    std::fs::write(&cut, &good[..good.len() / 2]).unwrap();
    // A CSV saved in the spreadsheet's old encoding rather than UTF-8.
    let latin = dir.path().join("families.csv");
    std::fs::write(&latin, b"name,age\nSun\xeeta,34\n").unwrap();
    let missing = dir.path().join("gone.csv");
    for (path, says) in [(&cut, "cannot be read"), (&latin, "is not UTF-8 text"), (&missing, "cannot read")] {
        let err = read_list(path).unwrap_err();
        let StoreError::ListUnreadable { problem } = &err else { panic!("{path:?}: {err}") };
        assert!(problem.contains(&path.display().to_string()) && problem.contains(says), "{problem}");
        let code = samanvaya_core::ErrorReply::from(err).code;
        assert_eq!(code, samanvaya_core::ErrorCode::ListUnreadable);
    }
    assert!(read_list(&fixture("good.xlsx")).is_ok());
}

/// The English of each problem, as the CLI reports it.
fn english(problems: &[samanvaya_eligibility::view::Bilingual]) -> Vec<String> {
    problems.iter().map(|p| p.en.clone()).collect()
}
