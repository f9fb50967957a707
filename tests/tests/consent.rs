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
use samanvaya_tests::{binary, every_row, member, new_household, run_logged, start_block, start_server};

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

#[test]
fn a_withdrawn_member_is_erased_on_the_laptop_and_the_block_and_a_late_change_does_not_bring_her_back() {
    let district_dir = tempfile::tempdir().unwrap();
    let block_dir = tempfile::tempdir().unwrap();
    let laptop = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let (d, b) = (district_dir.path().to_str().unwrap(), block_dir.path().to_str().unwrap());
    let district = start_server(&["--role", "district", "--data-dir", d]);
    let block_code = ok(run(
        "samanvaya-server",
        &["--role", "district", "--data-dir", d, "enroll-code", "--block", "Bodh Gaya"],
        None,
    ));
    let block = start_block(block_dir.path(), &district.url, &block_code);
    let code = |n: &str| {
        ok(run(
            "samanvaya-server",
            &["--role", "block", "--data-dir", b, "enroll-code", "--village", n],
            None,
        ))
    };

    // The first laptop serves Bakraur and is enrolled with the block.
    {
        let mut store = samanvaya_tests::open(laptop.path()).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
    }
    ok(run("samanvaya", &["enroll", &block.url, code("Bakraur").trim()], Some(laptop.path())));

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
    drop(block);
    drop(district);
}
