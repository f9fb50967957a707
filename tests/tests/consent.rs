//! Withdrawal of consent over the real binaries (issue 20): a laptop records a household, syncs
//! it to a real block server on 127.0.0.1 (which forwards to a real district), a second laptop
//! of the village receives it, and then a member withdraws consent (`samanvaya consent
//! withdraw`). After the next sync neither the laptop's store nor the block's nor the district's
//! holds her name in any row of any table, nor anywhere in the block's database files, while the
//! rest of the household, the tombstone and the count of stored changes remain; and the second
//! laptop, which had not heard, renaming her offline and syncing does not bring her name back.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use samanvaya_core::referral::NewReferral;
use samanvaya_domain::referral::Need;
use samanvaya_domain::{Birth, Relation, Sex};
use samanvaya_tests::{
    Running, binary, every_row, member, new_household, run_logged, start_block, start_server,
};

const PIN: &str = "482916";
/// Her given name: nobody else in the story has it, so finding it anywhere finds her.
const KAMLA: &str = "कमला";

fn run(bin: &str, args: &[&str], data_dir: Option<&Path>) -> Output {
    let mut cmd = Command::new(binary(bin));
    cmd.args(args).env("SAMANVAYA_PIN", PIN).env_remove("SAMANVAYA_SERVER_DIR");
    match data_dir {
        Some(d) => cmd.env("SAMANVAYA_DATA_DIR", d),
        None => cmd.env_remove("SAMANVAYA_DATA_DIR"),
    };
    run_logged(bin, &mut cmd)
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every row of every table of the block's SQLite store.
fn block_rows(dir: &Path) -> Vec<String> {
    every_row(&rusqlite::Connection::open(dir.join("server.sqlite3")).unwrap())
}

/// Every row of every table of a laptop's store.
fn laptop_rows(dir: &Path) -> Vec<String> {
    every_row(samanvaya_tests::open(dir).unwrap().connection())
}

/// The block's or district's database files (the database and its write-ahead log) holding
/// `text` anywhere in their bytes, free pages included.
fn files_holding(dir: &Path, text: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("server.sqlite3")))
        .filter(|p| std::fs::read(p).unwrap().windows(text.len()).any(|w| w == text.as_bytes()))
        .map(|p| p.display().to_string())
        .collect()
}

/// Waits until `check` holds, for at most 60 seconds.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn mentioning<'a>(rows: &'a [String], text: &str) -> Vec<&'a String> {
    rows.iter().filter(|r| r.contains(text)).collect()
}

fn count(rows: &[String], table: &str) -> usize {
    rows.iter().filter(|r| r.starts_with(&format!("{table}: "))).count()
}

/// A district and a block enrolled with it, each a real server on 127.0.0.1 in its own folder.
/// (The servers are declared first so that they stop before their folders are removed.)
struct Network {
    block: Running,
    /// Kept only to be running: the block forwards to it, and the tests read its folder.
    _district: Running,
    block_dir: tempfile::TempDir,
    district_dir: tempfile::TempDir,
}

impl Network {
    fn start() -> Network {
        let district_dir = tempfile::tempdir().unwrap();
        let block_dir = tempfile::tempdir().unwrap();
        let d = district_dir.path().to_str().unwrap();
        let district = start_server(&["--role", "district", "--data-dir", d]);
        let block_code = ok(run(
            "samanvaya-server",
            &["--role", "district", "--data-dir", d, "enroll-code", "--block", "Bodh Gaya"],
            None,
        ));
        let block = start_block(block_dir.path(), &district.url, &block_code);
        Network { block, _district: district, block_dir, district_dir }
    }

    /// A one-time enrollment code for a laptop of `village`.
    fn code(&self, village: &str) -> String {
        let b = self.block_dir.path().to_str().unwrap();
        ok(run(
            "samanvaya-server",
            &["--role", "block", "--data-dir", b, "enroll-code", "--village", village],
            None,
        ))
        .trim()
        .to_owned()
    }

    /// An empty laptop serving Bakraur, enrolled with the block.
    fn laptop(&self) -> tempfile::TempDir {
        let laptop = tempfile::tempdir().unwrap();
        samanvaya_tests::serve_a_village(&mut samanvaya_tests::open(laptop.path()).unwrap()).unwrap();
        ok(run("samanvaya", &["enroll", &self.block.url, &self.code("Bakraur")], Some(laptop.path())));
        laptop
    }
}

#[test]
fn a_withdrawn_member_is_erased_on_the_laptop_and_the_block_and_a_late_change_does_not_bring_her_back() {
    let net = Network::start();
    let (district_dir, block_dir, block) = (&net.district_dir, &net.block_dir, &net.block);
    let code = |n: &str| net.code(n);
    let laptop = net.laptop();
    let second = tempfile::tempdir().unwrap();

    // Kamla, head of the household, and her daughter-in-law Sita; each is referred, and Sita's
    // referral mentions Kamla by name.
    let (household, kamla) = {
        let mut store = samanvaya_tests::open(laptop.path()).unwrap();
        let village = store.villages().unwrap()[0].id;
        let input = new_household(
            village,
            vec![
                member("कमला देवी", Relation::Head, Sex::Female, Birth::Age { years: 64 }),
                member("सीता कुमारी", Relation::DaughterInLaw, Sex::Female, Birth::Age { years: 30 }),
            ],
        );
        let h = store.save_household(input, store.now().unwrap()).unwrap();
        assert_eq!(h.number, Some(1));
        for (i, notes) in [(0, "widow since 2019"), (1, "lives with her mother-in-law कमला देवी")]
        {
            let new = NewReferral {
                household_id: h.id,
                member_id: Some(h.members[i].id),
                need: Need::Scheme { code: "NSAP_IGNWPS".into() },
                documents: vec![],
                notes: notes.into(),
            };
            store.open_referral(&new, store.now().unwrap()).unwrap();
        }
        (h.id, h.members[0].id)
    };
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));

    // A second, empty laptop of the village receives the household.
    drop(samanvaya_tests::open(second.path()).unwrap());
    ok(run("samanvaya", &["enroll", &block.url, code("Bakraur").trim()], Some(second.path())));
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(second.path())));
    assert_eq!(samanvaya_tests::open(second.path()).unwrap().household(household).unwrap().members.len(), 2);

    // Before: the scans find her, so finding nothing later means something.
    let before = block_rows(block_dir.path());
    assert!(!mentioning(&before, KAMLA).is_empty(), "the block holds her name before the withdrawal");
    assert!(!mentioning(&laptop_rows(laptop.path()), KAMLA).is_empty());
    let stored_before = count(&before, "change");
    eventually("the household at the district", || {
        !mentioning(&block_rows(district_dir.path()), KAMLA).is_empty()
    });

    // She withdraws consent; the facilitator records it from the CLI.
    let said = ok(run(
        "samanvaya",
        &["consent", "withdraw", "--household", "1", "--member", "कमला देवी"],
        Some(laptop.path()),
    ));
    assert!(said.contains("member 1 of household 1") && !said.contains(KAMLA), "{said}");
    let rows = laptop_rows(laptop.path());
    assert_eq!(mentioning(&rows, KAMLA), Vec::<&String>::new(), "the laptop keeps nothing of her");
    assert!(!mentioning(&rows, "सीता कुमारी").is_empty(), "the rest of the household stays");
    {
        let store = samanvaya_tests::open(laptop.path()).unwrap();
        assert_eq!(store.withdrawals().unwrap(), (0, 1), "her tombstone");
        assert_eq!(store.household(household).unwrap().members.len(), 1);
        assert_eq!(store.queued_changes().unwrap(), 1, "the withdrawal waits to be sent");
    }

    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    let after = block_rows(block_dir.path());
    assert_eq!(mentioning(&after, KAMLA), Vec::<&String>::new(), "the block keeps nothing of her");
    assert!(!mentioning(&after, "सीता कुमारी").is_empty(), "Sita stays at the block");
    assert_eq!(count(&after, "change"), stored_before + 1, "every change keeps its place; one more");
    assert_eq!(count(&after, "member"), 1);
    assert_eq!(count(&after, "household"), 1);
    assert!(
        mentioning(&after, "erased: ").iter().any(|r| r.contains(&kamla.to_string())),
        "the block keeps her tombstone"
    );
    assert_eq!(files_holding(block_dir.path(), KAMLA), Vec::<String>::new(), "nor any byte of its files");
    // The block forwards the withdrawal; the district erases her too.
    eventually("her erasure at the district", || {
        let rows = block_rows(district_dir.path());
        mentioning(&rows, KAMLA).is_empty() && !mentioning(&rows, "erased: ").is_empty()
    });
    assert!(!mentioning(&block_rows(district_dir.path()), "सीता कुमारी").is_empty(), "Sita stays there");

    // The second laptop had not heard: offline, it corrects her name, then syncs. The block
    // erases the late change on arrival, and the laptop erases her when the withdrawal comes down.
    {
        let mut store = samanvaya_tests::open(second.path()).unwrap();
        let h = store.household(household).unwrap();
        let mut input = h.as_input(store.now().unwrap().today);
        input.members[0].name = "कमला देवी (अम्मा)".into();
        store.save_household(input, store.now().unwrap()).unwrap();
        // Its snapshot of an earlier day holds her.
        store.snapshot_if_due(chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()).unwrap();
    }
    let late = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(second.path())));
    // The withdrawal pulled replaced that snapshot with one taken after the erasure.
    let today = samanvaya_tests::open(second.path()).unwrap().now().unwrap().today;
    let snapshots: Vec<String> = std::fs::read_dir(second.path().join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(snapshots, [format!("snapshot-{today}.backup")], "{late}");
    assert!(late.contains("not applied at the block: consent was withdrawn"), "{late}");
    for (place, rows) in
        [("the block", block_rows(block_dir.path())), ("the second laptop", laptop_rows(second.path()))]
    {
        assert_eq!(mentioning(&rows, KAMLA), Vec::<&String>::new(), "{place} keeps nothing of her");
        assert!(!mentioning(&rows, "सीता कुमारी").is_empty(), "{place} keeps Sita");
    }
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    assert_eq!(mentioning(&laptop_rows(laptop.path()), KAMLA), Vec::<&String>::new());
}

/// The id of the one household on a laptop.
fn only_household(store: &samanvaya_core::Store) -> samanvaya_domain::HouseholdId {
    let page = store.households(&samanvaya_tests::households_where(None)).unwrap();
    assert_eq!(page.total, 1);
    page.items[0].id
}

/// How many households of the laptop the register lists as waiting for the family's consent.
fn awaiting_consent(store: &samanvaya_core::Store) -> u32 {
    let query = samanvaya_tests::households_where(Some(samanvaya_core::RegisterFilter::NoConsent));
    store.households(&query).unwrap().total
}

/// A household from a government list (`samanvaya import`) was never asked anything: its first
/// screening answer, and its first edit, are refused until a grown-up member's consent is
/// recorded (`samanvaya consent record`, who took it and when); then the consent travels with
/// the household to the block, the district and the village's second laptop.
#[test]
fn a_family_from_a_list_is_asked_before_its_first_question_and_its_consent_travels() {
    let net = Network::start();
    let laptop = net.laptop();
    let list = laptop.path().join("list.csv");
    std::fs::write(
        &list,
        "Family ID,Tola,Address,Mobile,Name,Relation,Gender,Date of birth,Age,Category,Ration card\n\
         L-1,,Ward 9,,झुनिया देवी,Self,F,,52,sc,PHH\n\
         L-1,,,,बबली कुमारी,daughter,F,,15,,\n",
    )
    .unwrap();
    let mapping = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/fixtures/import/mapping.toml");
    ok(run(
        "samanvaya",
        &["import", list.to_str().unwrap(), "--mapping", mapping.to_str().unwrap()],
        Some(laptop.path()),
    ));

    let (household, mother, changes) = {
        let mut store = samanvaya_tests::open(laptop.path()).unwrap();
        let id = only_household(&store);
        let h = store.household(id).unwrap();
        assert_eq!(h.consent, None, "a list is not a visit");
        assert_eq!(awaiting_consent(&store), 1, "the register lists it as a first visit to make");
        let changes = store.queued_changes().unwrap();
        let now = store.now().unwrap();
        let widowed = samanvaya_core::eligibility::FactAnswer {
            household_id: id,
            member_id: Some(h.members[0].id),
            fact: "person.marital_status".into(),
            value: serde_json::json!("widowed"),
        };
        assert!(matches!(store.answer(&widowed, now), Err(samanvaya_core::StoreError::NoConsent)));
        // Nor is she referred: a referral carries what the family said to the block.
        let referral = NewReferral {
            household_id: id,
            member_id: Some(h.members[0].id),
            need: Need::Scheme { code: "NSAP_IGNWPS".into() },
            documents: vec![],
            notes: String::new(),
        };
        assert!(matches!(store.open_referral(&referral, now), Err(samanvaya_core::StoreError::NoConsent)));
        let mut edit = h.as_input(now.today);
        edit.address = "Ward 9, near the school".into();
        let refused = store.save_household(edit.clone(), now).unwrap_err();
        assert!(refused.to_string().contains("consent ConsentRequired"), "{refused}");
        // The fifteen-year-old daughter cannot agree for the family.
        let minor = store.record_consent(id, h.members[1].id, now).unwrap_err();
        assert!(minor.to_string().contains("consent ConsentRespondent"), "{minor}");
        assert_eq!(store.queued_changes().unwrap(), changes, "nothing refused was written");
        assert_eq!(store.household(id).unwrap(), h);
        (h.number.unwrap(), h.members[0].id, changes)
    };

    let minor = run(
        "samanvaya",
        &["consent", "record", "--household", &household.to_string(), "--member", "बबली कुमारी"],
        Some(laptop.path()),
    );
    assert!(!minor.status.success());
    assert!(String::from_utf8_lossy(&minor.stderr).contains("member 2 of household"), "{minor:?}");
    assert!(String::from_utf8_lossy(&minor.stderr).contains("cannot agree for the family"), "{minor:?}");
    let said = ok(run(
        "samanvaya",
        &["consent", "record", "--household", &household.to_string(), "--member", "झुनिया देवी"],
        Some(laptop.path()),
    ));
    assert!(said.contains("given by member 1") && !said.contains("झुनिया"), "{said}");
    let id = {
        let mut store = samanvaya_tests::open(laptop.path()).unwrap();
        let id = only_household(&store);
        let consent = store.household(id).unwrap().consent.expect("consent on record");
        assert_eq!((consent.respondent, consent.taken_by.as_str()), (Some(mother), "Test facilitator"));
        assert_eq!(store.queued_changes().unwrap(), changes + 1, "the consent travels as a change");
        assert_eq!(awaiting_consent(&store), 0);
        let now = store.now().unwrap();
        let widowed = samanvaya_core::eligibility::FactAnswer {
            household_id: id,
            member_id: Some(mother),
            fact: "person.marital_status".into(),
            value: serde_json::json!("widowed"),
        };
        store.answer(&widowed, now).unwrap();
        let mut edit = store.household(id).unwrap().as_input(now.today);
        edit.address = "Ward 9, near the school".into();
        store.save_household(edit, now).unwrap();
        assert_eq!(store.household(id).unwrap().consent, Some(consent), "an edit keeps the consent");
        id
    };

    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    let consent_at = |dir: &Path| -> Option<serde_json::Value> {
        let db = rusqlite::Connection::open(dir.join("server.sqlite3")).unwrap();
        let text: Option<String> = db
            .query_row("SELECT consent FROM household WHERE id = ?1", [id.to_string()], |r| r.get(0))
            .unwrap_or(None);
        text.map(|t| serde_json::from_str(&t).unwrap())
    };
    let at_block = consent_at(net.block_dir.path()).expect("the block holds the family's consent");
    assert_eq!(at_block["respondent"], mother.to_string());
    assert_eq!(at_block["taken_by"], "Test facilitator");
    eventually("the consent at the district", || {
        consent_at(net.district_dir.path()).as_ref() == Some(&at_block)
    });

    // A second laptop of the village takes the household with its consent, and may ask.
    let second = net.laptop();
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(second.path())));
    let store = samanvaya_tests::open(second.path()).unwrap();
    let consent = store.household(id).unwrap().consent.expect("the consent came down");
    assert_eq!(consent.respondent, Some(mother));
}

/// A store serving the test village with two families imported from a list in the process, as
/// `samanvaya import` does: neither was asked for its consent.
fn two_listed_families() -> (tempfile::TempDir, samanvaya_core::Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(dir.path()).unwrap();
    samanvaya_tests::serve_a_village(&mut store).unwrap();
    let list = samanvaya_forms::table::read_csv(
        "Family ID,Tola,Address,Mobile,Name,Relation,Gender,Date of birth,Age,Category,Ration card\n\
         L-1,,Ward 9,,झुनिया देवी,Self,F,,52,sc,PHH\n\
         L-2,,Ward 3,,बसंती देवी,Self,F,,47,obc,AAY\n",
    )
    .unwrap();
    let mapping = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/fixtures/import/mapping.toml"),
    )
    .unwrap();
    let mapping = samanvaya_core::ListMapping::parse(&mapping).unwrap();
    let report =
        store.import_list(&list, &mapping, samanvaya_core::ListOptions::default(), |_, _| {}).unwrap();
    assert_eq!(report.imported, 2);
    assert_eq!(awaiting_consent(&store), 2);
    (dir, store)
}

fn household_at(store: &samanvaya_core::Store, address: &str) -> samanvaya_domain::Household {
    let id: String = store
        .connection()
        .query_row("SELECT id FROM household WHERE address = ?1", [address], |r| r.get(0))
        .unwrap();
    store.household(id.parse().unwrap()).unwrap()
}

/// A district may install a survey form that asks no consent question, as long as it records
/// no fact (the form's check refuses any fact without one before it). Its answers are still
/// the family's words, kept in the submission: for a family with no consent on record such a
/// form starts no survey (no draft is kept, so not one answer is written); once a grown-up
/// member's consent is recorded, the survey starts on that form.
#[test]
fn a_district_form_without_a_consent_question_starts_no_survey_until_consent_is_on_record() {
    let (_dir, mut store) = two_listed_families();
    let form = "| survey |\n\
        | | type | name | label::English (en) | label::Hindi (hi) |\n\
        | | text | remarks | Anything the family wants the centre to know | परिवार केंद्र को जो बताना चाहे |\n\
        \n\
        | settings |\n\
        | | form_id | version | form_title::English (en) | form_title::Hindi (hi) | default_language |\n\
        | | baseline | 2026120201 | The family's remarks | परिवार की बातें | English (en) |\n";
    let at = store.now().unwrap();
    store.install_form("remarks.md", form.as_bytes(), at).unwrap();
    assert!(store.survey_form().unwrap().consent.is_none(), "the installed form asks no consent");

    let h = household_at(&store, "Ward 9");
    let err = store.start_survey(h.id, at).unwrap_err();
    assert!(matches!(err, samanvaya_core::StoreError::NoConsent), "{err}");
    let drafts: i64 =
        store.connection().query_row("SELECT count(*) FROM survey_draft", [], |r| r.get(0)).unwrap();
    assert_eq!(drafts, 0, "no draft was kept for a family that has not agreed");
    assert!(store.survey_draft(h.id, at).unwrap().is_none());

    store.record_consent(h.id, h.members[0].id, at).unwrap();
    let draft = store.start_survey(h.id, at).unwrap();
    assert_eq!(draft.form_version, "2026120201", "the survey starts on the district's form");
    // The other family is still refused: a consent is one family's.
    let other = household_at(&store, "Ward 3");
    assert!(matches!(store.start_survey(other.id, at), Err(samanvaya_core::StoreError::NoConsent)));
}

/// A survey pulled from the block that asked the family's consent, and was answered yes, puts
/// that consent on record on this laptop as on the one that took it (named by the account that
/// asked, the member not being known to a survey); a survey whose answer was no puts nothing
/// on record.
#[test]
fn a_pulled_survey_that_asked_consent_puts_it_on_record_and_a_refusal_does_not() {
    let (_dir, mut store) = two_listed_families();
    let agreed = household_at(&store, "Ward 9");
    let refused = household_at(&store, "Ward 3");
    let submitted_at: chrono::DateTime<chrono::Utc> = "2026-11-20T05:30:00Z".parse().unwrap();
    let survey =
        |household: &samanvaya_domain::Household, consent: bool| samanvaya_domain::change::SubmissionChange {
            id: uuid::Uuid::now_v7(),
            household_id: household.id,
            form_id: "baseline".into(),
            form_version: "2026113001".into(),
            answers: serde_json::json!({ "values": { "consent": if consent { "yes" } else { "no" } } }),
            consent: Some(consent),
            submitted_by: "Rekha (the other laptop)".into(),
            submitted_at,
            supersedes: None,
        };
    let other_laptop = uuid::Uuid::now_v7();
    let hlc =
        samanvaya_domain::Hlc { wall_ms: submitted_at.timestamp_millis(), counter: 0, node: other_laptop };
    for (i, (h, consent)) in [(&agreed, true), (&refused, false)].into_iter().enumerate() {
        let change = samanvaya_domain::change::Change::new(
            hlc,
            samanvaya_domain::change::ChangeBody::Submission(survey(h, consent)),
        );
        let from = samanvaya_core::PulledFrom {
            server: "block:bodh-gaya",
            server_seq: 10 + i as i64,
            device: other_laptop,
            device_seq: 1 + i as i64,
        };
        let now = store.now().unwrap();
        assert!(store.apply_pulled(from, &change, now).unwrap());
    }

    let on_record = store.household(agreed.id).unwrap().consent.expect("the survey's consent is on record");
    assert_eq!(on_record.respondent, None, "a survey does not say which member answered");
    assert_eq!(on_record.taken_by, "Rekha (the other laptop)");
    assert_eq!(on_record.taken_at, submitted_at);
    assert_eq!(store.household(refused.id).unwrap().consent, None, "a refusal puts nothing on record");
    assert_eq!(awaiting_consent(&store), 1);
    // Her answers may now be taken on this laptop, the other family's still not.
    let now = store.now().unwrap();
    let answer = |h: &samanvaya_domain::Household| samanvaya_core::eligibility::FactAnswer {
        household_id: h.id,
        member_id: Some(h.members[0].id),
        fact: "person.marital_status".into(),
        value: serde_json::json!("widowed"),
    };
    store.answer(&answer(&agreed), now).unwrap();
    assert!(matches!(store.answer(&answer(&refused), now), Err(samanvaya_core::StoreError::NoConsent)));
}
