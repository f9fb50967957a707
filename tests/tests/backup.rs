//! Backups: a one-file backup made on one laptop restores on a fresh one with identical data,
//! row by row, and opens with the same PIN; an interrupted backup leaves the previous one as it
//! was (also when the real `samanvaya backup` is killed at moments across its run); a wrong PIN
//! or a folder that already holds a store is refused before anything is written.

use samanvaya_core::{Secret, Store, StoreError};
use samanvaya_tests::{TEST_PIN, dump};

#[test]
fn a_backup_restores_on_a_fresh_install_with_every_row() {
    let laptop = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(laptop.path()).unwrap();
    samanvaya_demo::fill(&mut store, 1).unwrap();
    let usb = tempfile::tempdir().unwrap();
    let file = usb.path().join("sahpur.backup");
    // The store as backed up (the backup's own audit entry comes after it).
    let before = dump(store.connection());
    let info = store.backup(&file).unwrap();
    assert_eq!(info.households, 300);
    let names = ["Sahpur", "सहपुर", "देवी"];
    let bytes = std::fs::read(&file).unwrap();
    for name in names {
        assert!(!bytes.windows(name.len()).any(|w| w == name.as_bytes()), "{name} readable in the backup");
    }
    let files: Vec<_> = std::fs::read_dir(usb.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files.len(), 1, "nothing but the backup is left on the stick: {files:?}");

    // A new laptop: refused with a wrong PIN, nothing written; restored with the right one.
    let fresh = tempfile::tempdir().unwrap();
    let target = fresh.path().join("samanvaya");
    assert!(matches!(
        Store::restore(&file, &target, None, &Secret::new("135790")),
        Err(StoreError::WrongSecret { .. })
    ));
    assert!(!target.join(samanvaya_core::DB_FILE_NAME).exists());
    let restored = Store::restore(&file, &target, None, &Secret::new(TEST_PIN)).unwrap();
    assert_eq!(dump(restored.connection()), before, "every row, identical");
    drop(restored);
    assert_eq!(samanvaya_tests::open(&target).unwrap().household_count().unwrap(), 300);

    // A folder that already holds a store is not overwritten.
    assert!(matches!(
        Store::restore(&file, laptop.path(), None, &Secret::new(TEST_PIN)),
        Err(StoreError::RestoreNotEmpty { .. })
    ));
}

#[test]
fn an_interrupted_backup_leaves_the_previous_one_intact() {
    let laptop = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(laptop.path()).unwrap();
    samanvaya_demo::fill(&mut store, 1).unwrap();
    let usb = tempfile::tempdir().unwrap();
    let file = usb.path().join("sahpur.backup");
    store.backup(&file).unwrap();
    let previous = std::fs::read(&file).unwrap();
    // A backup stopped half-way (the stick pulled out, the laptop killed) leaves only its own
    // partial files, which the next backup replaces; the previous backup is untouched.
    std::fs::write(usb.path().join(".sahpur.backup.part"), &previous[..previous.len() / 2]).unwrap();
    std::fs::write(usb.path().join(".sahpur.backup.db.part"), b"half").unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), previous);
    let fresh = tempfile::tempdir().unwrap();
    let restored = Store::restore(&file, fresh.path(), None, &Secret::new(TEST_PIN)).unwrap();
    assert_eq!(restored.household_count().unwrap(), 300);
    // The next backup goes through and cleans up.
    store.backup(&file).unwrap();
    let mut left: Vec<String> = std::fs::read_dir(usb.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["sahpur.backup"]);
    // Something that is not a backup is refused with a clear message.
    std::fs::write(usb.path().join("notes.txt"), "hello").unwrap();
    let e = Store::restore(
        &usb.path().join("notes.txt"),
        tempfile::tempdir().unwrap().path(),
        None,
        &Secret::new(TEST_PIN),
    );
    assert!(matches!(e, Err(StoreError::Corrupt(m)) if m.contains("not a Samanvaya backup")));
}

#[test]
fn a_snapshot_is_taken_once_a_day_and_the_last_seven_are_kept() {
    let laptop = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(laptop.path()).unwrap();
    samanvaya_demo::fill(&mut store, 1).unwrap();
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    assert!(store.snapshot_if_due(day(1)).unwrap().is_some());
    assert!(store.snapshot_if_due(day(1)).unwrap().is_none(), "once a day");
    for d in 2..=9 {
        store.snapshot_if_due(day(d)).unwrap();
    }
    let at_last = dump(store.connection());
    store.snapshot_if_due(day(10)).unwrap();
    let mut kept: Vec<String> = std::fs::read_dir(laptop.path().join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    assert_eq!(kept.len(), 7);
    assert_eq!(kept[0], "snapshot-2026-11-04.backup");
    assert_eq!(kept[6], "snapshot-2026-11-10.backup");
    // A snapshot restores like any backup.
    let fresh = tempfile::tempdir().unwrap();
    let restored = Store::restore(
        &laptop.path().join("snapshots").join(&kept[6]),
        fresh.path(),
        None,
        &Secret::new(TEST_PIN),
    )
    .unwrap();
    assert_eq!(dump(restored.connection()), at_last);
}

/// The real thing: `samanvaya backup` killed (SIGKILL, no chance to clean up) at moments spread
/// over a backup's run. After each kill the backup file is the previous one, byte for byte, or
/// a whole new backup that restores; and the next backup goes through and leaves nothing else.
#[test]
fn a_backup_killed_at_any_moment_leaves_a_whole_backup() {
    use std::process::{Command, Stdio};
    use std::time::Instant;
    let laptop = tempfile::tempdir().unwrap();
    {
        let mut store = samanvaya_tests::open(laptop.path()).unwrap();
        samanvaya_demo::fill(&mut store, 1).unwrap();
    }
    let usb = tempfile::tempdir().unwrap();
    let file = usb.path().join("sahpur.backup");
    let backup = || {
        Command::new(samanvaya_tests::binary("samanvaya"))
            .args(["--data-dir", laptop.path().to_str().unwrap(), "backup", "--to", file.to_str().unwrap()])
            .env("SAMANVAYA_PIN", TEST_PIN)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // One whole backup, timed: the kills fall across the same span.
    let start = Instant::now();
    assert!(backup().wait().unwrap().success());
    let whole = start.elapsed();
    let restores = |path: &std::path::Path| {
        let fresh = tempfile::tempdir().unwrap();
        Store::restore(path, &fresh.path().join("s"), None, &Secret::new(TEST_PIN))
            .map(|s| s.household_count().unwrap())
    };
    let mut kept = 0;
    for tenth in 1..=9u32 {
        let previous = std::fs::read(&file).unwrap();
        let mut child = backup();
        std::thread::sleep(whole * tenth / 10);
        let _ = child.kill();
        child.wait().unwrap();
        let now = std::fs::read(&file).unwrap();
        if now == previous {
            kept += 1;
        } else {
            assert_eq!(
                restores(&file).unwrap(),
                300,
                "killed at {tenth}/10 of a run: the new backup is whole"
            );
        }
    }
    eprintln!("{kept} of 9 kills left the previous backup, the others a finished new one");
    assert!(kept > 0, "some kill fell before the new backup was in place ({whole:?} a run)");
    // The next backup goes through and cleans up what the killed ones left.
    assert!(backup().wait().unwrap().success());
    let left: Vec<String> = std::fs::read_dir(usb.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["sahpur.backup"]);
    assert_eq!(restores(&file).unwrap(), 300);
}
