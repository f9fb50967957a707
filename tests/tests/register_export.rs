//! The household register saved as a spreadsheet (issue 17, item 7): the demo village as an
//! `.xlsx` workbook in Hindi and as CSV in English, read back. Every household and member is
//! there, names in Devanagari intact, facts in words with their codes beside them, and a Samiti
//! viewer may not take it away.

use calamine::{Data, Reader, Xlsx};
use samanvaya_core::{Language, Role, Secret, SheetFormat, Store, StoreError};

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

#[test]
fn the_register_reads_back_with_every_household_member_and_fact() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, code) = Store::create(dir.path(), "Test", &Secret::new("482916")).unwrap();
    samanvaya_demo::fill(&mut store, 1).unwrap();
    let today = store.now().unwrap().today;
    let all = samanvaya_tests::register(&store);
    let members: usize = all.items.iter().map(|h| store.household(h.id).unwrap().members.len()).sum();
    let facts: i64 = store.connection().query_row("SELECT count(*) FROM fact", [], |r| r.get(0)).unwrap();
    let first = store.household(all.items[0].id).unwrap();

    let out = tempfile::tempdir().unwrap();
    let path = store
        .save_register(out.path(), "register.xlsx", SheetFormat::Xlsx, Language::Hi, today, false)
        .unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names(), ["परिवार", "सदस्य", "जानकारियाँ"]);
    let homes = book.worksheet_range("परिवार").unwrap();
    assert_eq!(text(&homes.rows().next().unwrap()[0]), "परिवार नंबर");
    assert_eq!(homes.rows().count() - 1, all.items.len(), "one line per household");
    let people = book.worksheet_range("सदस्य").unwrap();
    assert_eq!(people.rows().count() - 1, members, "one line per member, those who left included");
    // The first household's head, her name as typed and her relation in Hindi words.
    let head = people
        .rows()
        .find(|r| text(&r[2]) == first.members[0].name)
        .unwrap_or_else(|| panic!("{} is in the members sheet", first.members[0].name));
    assert_eq!(text(&head[3]), "मुखिया");
    let known = book.worksheet_range("जानकारियाँ").unwrap();
    // The vocabulary's sensitive facts (caste, religion, disability, income, HIV) are left out.
    let cat = samanvaya_eligibility::embedded().unwrap();
    let sensitive: Vec<String> =
        cat.vocab.facts().iter().filter(|d| d.sensitive).map(|d| d.name.clone()).collect();
    assert!(sensitive.contains(&"person.caste_category".to_owned()));
    let sensitive_rows: i64 = store
        .connection()
        .query_row(
            &format!(
                "SELECT count(*) FROM fact WHERE name IN ({})",
                sensitive.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(",")
            ),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(sensitive_rows > 0, "the demo village records castes and incomes");
    assert_eq!(
        known.rows().count() - 1,
        (facts - sensitive_rows) as usize,
        "one line per fact not sensitive"
    );
    assert!(known.rows().all(|r| !sensitive.contains(&text(&r[4]))), "no sensitive fact in the sheet");
    // A BPL status in words, with its code beside it.
    let bpl =
        known.rows().find(|r| text(&r[4]) == "household.bpl_status").expect("some household's BPL status");
    assert!(
        ["गरीबी रेखा से नीचे (BPL)", "गरीबी रेखा से ऊपर (APL)"].contains(&text(&bpl[3]).as_str()),
        "{:?}",
        bpl
    );
    assert_eq!(text(&bpl[1]), "परिवार");

    // CSV in English: the byte-order mark a spreadsheet needs for Hindi, English headers.
    let csv = store
        .save_register(out.path(), "register.csv", SheetFormat::Csv, Language::En, today, false)
        .unwrap();
    let bytes = std::fs::read(&csv).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()));
    let csv = String::from_utf8(bytes).unwrap();
    assert!(csv.contains("number,hamlet,address,phone,members living there,recorded on"), "{}", &csv[..200]);
    assert!(csv.contains(&first.members[0].name));
    // Both exports are in the audit log.
    let audited: i64 = store
        .connection()
        .query_row("SELECT count(*) FROM audit a JOIN audit_name x ON x.id = a.action WHERE x.text = 'export:register'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(audited, 2);
    // A facilitator may not take the sensitive facts away; a supervisor may, and it is audited.
    assert!(matches!(
        store.save_register(out.path(), "all.csv", SheetFormat::Csv, Language::En, today, true),
        Err(StoreError::NotAllowed { .. })
    ));
    assert!(!out.path().join("all.csv").exists());
    store.add_account(&code, "Supervisor", Role::Supervisor, &Secret::new("739152")).unwrap();
    let supervisor = Store::unlock(dir.path(), Some("Supervisor"), &Secret::new("739152")).unwrap();
    let all =
        supervisor.save_register(out.path(), "all.csv", SheetFormat::Csv, Language::En, today, true).unwrap();
    let all = std::fs::read_to_string(all).unwrap();
    assert!(all.contains("person.caste_category"), "the supervisor's export holds the castes");
    let revealed: i64 = supervisor
        .connection()
        .query_row("SELECT count(*) FROM audit a JOIN audit_name x ON x.id = a.action WHERE x.text = 'reveal:register'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(revealed, 1);
    drop(supervisor);

    // A Samiti viewer reads the village at the meeting but may not take the names away.
    store.add_account(&code, "Samiti", Role::SamitiViewer, &Secret::new("519372")).unwrap();
    drop(store);
    let viewer = Store::unlock(dir.path(), Some("samiti"), &Secret::new("519372")).unwrap();
    assert!(matches!(
        viewer.save_register(out.path(), "viewer.xlsx", SheetFormat::Xlsx, Language::Hi, today, false),
        Err(StoreError::NotAllowed { .. })
    ));
    assert!(!out.path().join("viewer.xlsx").exists());
}
