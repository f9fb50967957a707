//! The store at rest: every file in the data folder (database, write-ahead log, journal) is
//! unreadable without the PIN, a wrong PIN or key is refused, and a store written before
//! encryption is encrypted in place with every row intact.

use std::path::Path;

use rusqlite::Connection;
use samanvaya_core::{DB_FILE_NAME, Folder, KEYRING_FILE, OpenProgress, Secret, Store, StoreError};

/// Words of the demo village that must never be readable in the files: its name in both
/// scripts and common parts of its members' names.
const NAMES: [&str; 5] = ["Sahpur", "सहपुर", "देवी", "कुमारी", "Bodh Gaya"];

fn clear_text_in(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for name in NAMES {
            if bytes.windows(name.len()).any(|w| w == name.as_bytes()) {
                found.push(format!("{name} in {}", path.display()));
            }
        }
    }
    found
}

#[test]
fn no_name_is_readable_in_any_file_of_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(dir.path()).unwrap();
    samanvaya_demo::fill(&mut store, 1).unwrap();
    // While the store is open its write-ahead log holds recent pages: it must be encrypted too.
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(files.iter().any(|f| f.ends_with("-wal")), "a write-ahead log exists while open: {files:?}");
    assert_eq!(clear_text_in(dir.path()), Vec::<String>::new());
    drop(store);
    assert_eq!(clear_text_in(dir.path()), Vec::<String>::new());

    // Without the key SQLite cannot read it at all.
    let plain = Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    assert!(plain.query_row("SELECT count(*) FROM household", [], |r| r.get::<_, i64>(0)).is_err());
    // A wrong PIN is refused with the attempts left; the right one opens it.
    match Store::unlock(dir.path(), None, &Secret::new("135790")) {
        Err(StoreError::WrongSecret { attempts_left }) => assert_eq!(attempts_left, 5),
        other => panic!("expected a wrong-PIN refusal, got {:?}", other.map(|_| ())),
    }
    assert_eq!(samanvaya_tests::open(dir.path()).unwrap().household_count().unwrap(), 300);
}

#[test]
fn a_store_from_before_encryption_is_encrypted_in_place_with_every_row() {
    // A store as the previous version left it: the same schema and rows, in the clear, and no
    // keyring. It is made by exporting an encrypted demo store to a plain file.
    let made = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(made.path()).unwrap();
    samanvaya_demo::fill(&mut store, 1).unwrap();
    let before = samanvaya_tests::dump(store.connection());
    let old = tempfile::tempdir().unwrap();
    let plain_path = old.path().join(DB_FILE_NAME);
    store.connection().execute("ATTACH DATABASE ?1 AS plain KEY ''", [plain_path.to_string_lossy()]).unwrap();
    store.connection().query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(())).unwrap();
    let version: i64 = store.connection().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    store
        .connection()
        .execute_batch(&format!("PRAGMA plain.user_version = {version}; DETACH DATABASE plain;"))
        .unwrap();
    drop(store);
    assert!(!clear_text_in(old.path()).is_empty(), "the old store is readable, as it was");
    assert_eq!(samanvaya_tests::dump(&Connection::open(&plain_path).unwrap()), before);
    assert_eq!(Store::folder(old.path()).unwrap(), Folder::Plain);

    // Set-up encrypts it: the same rows, nothing readable, nothing left behind.
    let (store, _code) = Store::create(old.path(), "सुनीता", &Secret::new(samanvaya_tests::TEST_PIN)).unwrap();
    assert_eq!(samanvaya_tests::dump(store.connection()), before, "every row survived the encryption");
    drop(store);
    assert_eq!(clear_text_in(old.path()), Vec::<String>::new());
    let mut files: Vec<String> = std::fs::read_dir(old.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, [KEYRING_FILE, DB_FILE_NAME], "no copy or log is left beside the store");
    assert!(matches!(Store::folder(old.path()).unwrap(), Folder::Locked { .. }));
    let reopened = samanvaya_tests::open(old.path()).unwrap();
    assert_eq!(samanvaya_tests::dump(reopened.connection()), before);
}

#[test]
fn a_pin_change_rewraps_the_key_and_a_forgotten_pin_is_recovered_with_the_code() {
    let dir = tempfile::tempdir().unwrap();
    let (store, code) = Store::create(dir.path(), "सुनीता", &Secret::new(samanvaya_tests::TEST_PIN)).unwrap();
    store.change_secret(&Secret::new(samanvaya_tests::TEST_PIN), &Secret::new("246813")).unwrap();
    assert!(matches!(
        store.change_secret(&Secret::new("000000"), &Secret::new("975310")),
        Err(StoreError::WeakSecret { .. } | StoreError::WrongSecret { .. })
    ));
    drop(store);
    assert!(
        Store::unlock(dir.path(), None, &Secret::new(samanvaya_tests::TEST_PIN)).is_err(),
        "the old PIN no longer opens it"
    );
    drop(Store::unlock(dir.path(), Some("सुनीता"), &Secret::new("246813")).unwrap());
    // Forgotten: the code, typed loosely, sets a new PIN.
    let typed = Secret::new(code.expose().to_lowercase().replace('-', " "));
    drop(Store::recover(dir.path(), None, &typed, &Secret::new("975310")).unwrap());
    drop(Store::unlock(dir.path(), None, &Secret::new("975310")).unwrap());
    assert!(matches!(
        Store::recover(dir.path(), None, &Secret::new("AAAA-BBBB-CCCC-DDDD-EEEE"), &Secret::new("864213")),
        Err(StoreError::WrongSecret { .. })
    ));
    assert!(matches!(Store::create(dir.path(), "x", &Secret::new("864213")), Err(StoreError::AlreadySetUp)));
}

#[test]
fn the_first_opening_after_an_update_reports_each_step_and_an_ordinary_unlock_none() {
    // A store an older version left in the clear, five migrations behind this one: set-up
    // encrypts it, then brings it up to date, and says so at each step for the window's bar.
    let old = tempfile::tempdir().unwrap();
    let all = samanvaya_schema::LOCAL_MIGRATIONS;
    let behind = 5;
    {
        let mut plain = Connection::open(old.path().join(DB_FILE_NAME)).unwrap();
        samanvaya_schema::migrate::run(&mut plain, &all[..all.len() - behind]).unwrap();
    }
    let mut seen = Vec::new();
    let (store, _code) = Store::create_reporting(
        old.path(),
        "सुनीता",
        &Secret::new(samanvaya_tests::TEST_PIN),
        &mut |p| seen.push(p),
    )
    .unwrap();
    let total = behind as u32;
    let mut expected = vec![OpenProgress::Encrypting];
    expected.extend((0..=total).map(|done| OpenProgress::Upgrading { done, total }));
    assert_eq!(seen, expected);
    let version: i64 = store.connection().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, all.len() as i64, "the store is at this version's layout");
    drop(store);

    // Opened again, it has nothing to bring up to date and says nothing.
    seen.clear();
    let store =
        Store::unlock_reporting(old.path(), None, &Secret::new(samanvaya_tests::TEST_PIN), &mut |p| {
            seen.push(p)
        })
        .unwrap();
    assert_eq!(seen, []);
    drop(store);
}
