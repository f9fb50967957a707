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

/// A laptop holding the demo village, and its backup on a "stick" (a folder of its own).
fn demo_backup() -> (tempfile::TempDir, Store, tempfile::TempDir, std::path::PathBuf) {
    let laptop = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(laptop.path()).unwrap();
    samanvaya_demo::fill(&mut store, 1).unwrap();
    let usb = tempfile::tempdir().unwrap();
    let file = usb.path().join("sahpur.backup");
    store.backup(&file).unwrap();
    (laptop, store, usb, file)
}

/// A backup changed after it was written (on a stick passed around, or by someone who wants
/// the village's records to say something else) is refused at restore even with the right PIN,
/// wherever the change is, and nothing of it is written into the new laptop's folder.
#[test]
fn a_backup_changed_after_it_was_written_is_refused_with_the_right_pin() {
    let (_laptop, store, usb, file) = demo_backup();
    drop(store);
    let bytes = std::fs::read(&file).unwrap();
    // The database starts after the header and the keyring; change one byte at several places
    // in it, the last page included, each in a copy of its own.
    // (The header: "SAMANVAYA-BACKUP 1\n", the keyring's length as 8 bytes big-endian, the keyring.)
    let magic = b"SAMANVAYA-BACKUP 1\n".len();
    let ring = u64::from_be_bytes(bytes[magic..magic + 8].try_into().unwrap()) as usize;
    let db_at = magic + 8 + ring;
    let fresh = tempfile::tempdir().unwrap();
    let size = bytes.len() - db_at;
    for at in [db_at + 20, db_at + 5_000, db_at + size / 2, db_at + size - 100] {
        let mut changed = bytes.clone();
        changed[at] ^= 0x01;
        let copy = usb.path().join(format!("changed-{at}.backup"));
        std::fs::write(&copy, &changed).unwrap();
        let target = fresh.path().join(format!("samanvaya-{at}"));
        let err = Store::restore(&copy, &target, None, &Secret::new(TEST_PIN))
            .err()
            .expect("a changed backup is refused");
        assert!(
            matches!(err, StoreError::Corrupt(_) | StoreError::WrongKey),
            "byte {at} of {}: {err}",
            bytes.len()
        );
        let left: Vec<_> = std::fs::read_dir(&target)
            .map(|d| d.map(|e| e.unwrap().file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "byte {at}: nothing of the changed backup is kept: {left:?}");
    }
    // The backup as written still restores.
    let target = tempfile::tempdir().unwrap();
    assert!(Store::restore(&file, &target.path().join("samanvaya"), None, &Secret::new(TEST_PIN)).is_ok());
}

#[test]
fn an_interrupted_backup_leaves_the_previous_one_intact() {
    let (_laptop, store, usb, file) = demo_backup();
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

/// A withdrawal of consent reaches the snapshots: those taken before it held her, so they are
/// replaced by one taken after the erasure, which restores without her and with everyone else.
#[test]
fn a_withdrawal_replaces_the_snapshots_that_held_her() {
    let laptop = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(laptop.path()).unwrap();
    samanvaya_demo::fill(&mut store, 1).unwrap();
    for d in 1..=3 {
        store.snapshot_if_due(chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap()).unwrap();
    }
    let households = store.household_count().unwrap();
    let h = samanvaya_tests::household_ids(&store)
        .into_iter()
        .map(|id| store.household(id).unwrap())
        .find(|h| h.members.len() > 2)
        .expect("a demo household of three or more");
    let her = h.members[1].clone();
    let at = store.now().unwrap();
    store.withdraw_consent(h.id, Some(her.id), at).unwrap();

    let snapshots = laptop.path().join("snapshots");
    let kept: Vec<String> = std::fs::read_dir(&snapshots)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(kept, [format!("snapshot-{}.backup", at.today)], "only the one taken after the erasure");
    let fresh = tempfile::tempdir().unwrap();
    let restored =
        Store::restore(&snapshots.join(&kept[0]), fresh.path(), None, &Secret::new(TEST_PIN)).unwrap();
    assert_eq!(restored.household_count().unwrap(), households);
    let conn = restored.connection();
    let tombstones: i64 = conn
        .query_row("SELECT count(*) FROM erased WHERE id = ?1", [her.id.to_string()], |r| r.get(0))
        .unwrap();
    assert_eq!(tombstones, 1, "her tombstone stays");
    let named: i64 = conn
        .query_row(
            "SELECT count(*) FROM person WHERE name = ?1 AND id = ?2",
            [&her.name, &her.id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(named, 0, "her row is gone");
    let logged: i64 = conn
        .query_row("SELECT count(*) FROM change_log WHERE instr(change, ?1) > 0", [&her.name], |r| r.get(0))
        .unwrap();
    assert_eq!(logged, 0, "her name is in no change of the log");
    assert_eq!(restored.household(h.id).unwrap().members.len(), h.members.len() - 1);
    drop(restored);

    // Had the laptop stopped before removing the old snapshots, the next turn of the daily
    // snapshot removes any written before the withdrawal.
    let before = snapshots.join("snapshot-2026-11-02.backup");
    std::fs::copy(snapshots.join(&kept[0]), &before).unwrap();
    let long_ago = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_764_000_000);
    std::fs::File::options().write(true).open(&before).unwrap().set_modified(long_ago).unwrap();
    assert!(store.snapshot_if_due(at.today).unwrap().is_none(), "today's was taken after the withdrawal");
    assert!(!before.exists(), "the one written before the withdrawal is gone");
    assert!(snapshots.join(&kept[0]).exists());

    // A store that never took a snapshot is not given one by a withdrawal.
    let other = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(other.path()).unwrap();
    samanvaya_demo::fill(&mut store, 1).unwrap();
    let h = store.household(samanvaya_tests::household_ids(&store)[0]).unwrap();
    store.withdraw_consent(h.id, None, store.now().unwrap()).unwrap();
    assert!(!other.path().join("snapshots").exists());
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

/// Issue 20, item 6: the backup panel's USB sticks are the folders under the media root, each
/// with its free space; a backup written onto one is reported step by step, read back, found
/// there by a fresh install and restored with its PIN, and nowhere but the offered places.
#[test]
fn a_backup_on_a_usb_stick_is_found_and_restored_on_a_fresh_install() {
    use samanvaya_core::{BackupProgress, Places, found_backup, found_backups};
    let laptop = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(laptop.path()).unwrap();
    samanvaya_demo::fill(&mut store, 1).unwrap();
    let media = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    for stick in ["USB", "KINGSTON"] {
        std::fs::create_dir(media.path().join(stick)).unwrap();
    }
    let places = Places::at(media.path(), Some(downloads.path()));

    let offered = store.backup_places(&places).unwrap();
    let labels: Vec<&str> = offered.drives.iter().map(|d| d.label.as_str()).collect();
    assert_eq!(labels, ["KINGSTON", "USB"]);
    assert!(offered.drives.iter().all(|d| d.free_bytes.is_some_and(|b| b > offered.needed_bytes)));
    assert!(offered.needed_bytes > 100_000, "the demo village's store takes room: {}", offered.needed_bytes);

    // A folder the panel did not offer is refused, and nothing is written there.
    let elsewhere = tempfile::tempdir().unwrap();
    let refused = store.backup_to_place(&places, Some(elsewhere.path().to_str().unwrap()), &mut |_| {});
    assert!(matches!(refused, Err(StoreError::NotFound { what: "USB stick", .. })), "{refused:?}");
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);

    let usb = media.path().join("USB");
    let mut steps = Vec::new();
    let done = store.backup_to_place(&places, Some(usb.to_str().unwrap()), &mut |p| steps.push(p)).unwrap();
    assert_eq!(done.drive.as_deref(), Some("USB"));
    // The panel's estimate is near what was written, rather above: the copy is written afresh,
    // its pages fuller than the store's.
    let ratio = offered.needed_bytes as f64 / done.bytes as f64;
    assert!((0.9..1.25).contains(&ratio), "estimated {} bytes, wrote {}", offered.needed_bytes, done.bytes);
    assert_eq!(done.households, 300);
    assert!(done.file_name.starts_with("samanvaya-backup-") && done.file_name.ends_with(".backup"));
    assert_eq!(std::fs::read_dir(&usb).unwrap().count(), 1, "the stick holds the backup and nothing else");
    assert_eq!(std::fs::metadata(usb.join(&done.file_name)).unwrap().len(), done.bytes);
    // Copy, write (from nothing to the whole file), then read back.
    assert_eq!(steps.first(), Some(&BackupProgress::Copying));
    assert_eq!(steps.last(), Some(&BackupProgress::Checking));
    assert!(steps.contains(&BackupProgress::Writing { done: 0, total: done.bytes }));
    assert!(steps.contains(&BackupProgress::Writing { done: done.bytes, total: done.bytes }));
    // Nothing of the work copies is left in the data folder either.
    let hidden: Vec<String> = std::fs::read_dir(laptop.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");

    // A fresh install finds it on the stick, with the account whose PIN opens it.
    let found = found_backups(&places);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].drive.as_deref(), Some("USB"));
    assert_eq!(found[0].accounts, ["Test facilitator"]);
    assert!(found_backup(&places, &laptop.path().join("samanvaya.sqlite3").display().to_string()).is_none());
    let file = std::path::PathBuf::from(&found[0].path);
    let fresh = tempfile::tempdir().unwrap();
    let target = fresh.path().join("samanvaya");
    // A wrong PIN writes nothing; the right one restores the village and opens it.
    assert!(matches!(
        Store::restore(&file, &target, Some("Test facilitator"), &Secret::new("135790")),
        Err(StoreError::WrongSecret { .. })
    ));
    assert!(!target.exists() || std::fs::read_dir(&target).unwrap().count() == 0);
    let restored = Store::restore(&file, &target, Some("Test facilitator"), &Secret::new(TEST_PIN)).unwrap();
    assert_eq!(restored.household_count().unwrap(), 300);
    drop(restored);
    // A second restore onto the laptop it just filled is refused, as any non-empty folder.
    let again = Store::restore(&file, &target, None, &Secret::new(TEST_PIN));
    assert!(matches!(again, Err(StoreError::RestoreNotEmpty { .. })));
    let reply = samanvaya_core::ErrorReply::from(again.err().unwrap());
    assert_eq!(reply.code, samanvaya_core::ErrorCode::RestoreNotEmpty);
}

/// Each restore of an enrolled laptop's backup gets an id of its own after the restores the
/// backup descends from, with the last change number the backup gave: a backup of a restored
/// laptop restores with both, and the same backup restored twice gives two copies whose later
/// restore has the later id (`samanvaya_domain::restore`), which the block takes for the laptop.
#[test]
fn each_restore_of_an_enrolled_laptop_is_named_after_those_its_backup_descends_from() {
    let (_dir, stick, mut store, village, _) = enrolled_with_a_stick();
    let add = |store: &mut Store, name: &str| {
        household_headed_by(store, village, name);
    };
    add(&mut store, "पहली");
    assert_eq!(store.restores().unwrap(), vec![], "a laptop never restored names none");
    let first_backup = stick.path().join("first.backup");
    store.backup(&first_backup).unwrap();
    let last_seq = |store: &Store| -> i64 {
        store
            .connection()
            .query_row("SELECT max(device_seq) FROM change_log WHERE origin = 'local'", [], |r| r.get(0))
            .unwrap()
    };
    let backup_gave = last_seq(&store);
    drop(store);
    let (_once_dir, mut once) = restored_from(&first_backup);
    let named = once.restores().unwrap();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].after, backup_gave, "after the backup's last change");
    add(&mut once, "दूसरी");
    let second_backup = stick.path().join("second.backup");
    once.backup(&second_backup).unwrap();
    let (_twice_dir, twice) = restored_from(&second_backup);
    let both = twice.restores().unwrap();
    assert_eq!(both.len(), 2, "{both:?}");
    assert_eq!(both[0], named[0], "the first restore, which the backup carried");
    // The restored laptop had not heard from its block when the second backup was taken: the
    // second restore is still after the first backup's last, and the old laptop's run is read
    // back from there. Before, the second restore took the first one's new work for the
    // backup's own, and it stayed below what the block acknowledges, never sent. That work is
    // numbered past the old laptop's run, and the second restore numbers its own past it.
    assert_eq!(both[1].after, backup_gave, "still after the first backup's last: {both:?}");
    assert!(twice.own_pull_through().unwrap() > Some(last_seq(&twice)), "past the first restore's work");
    let waiting: Option<i64> = twice
        .connection()
        .query_row("SELECT restored_through FROM sync_link WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(waiting, Some(backup_gave));
    assert!(last_seq(&twice) > backup_gave, "the work made after the first restore came with the backup");
    drop(twice);
    // Once settled, a backup's restore starts from its own last number.
    once.connection().execute("UPDATE sync_link SET restored_through = NULL WHERE id = 1", []).unwrap();
    let settled_backup = stick.path().join("settled.backup");
    once.backup(&settled_backup).unwrap();
    let (_settled_dir, settled) = restored_from(&settled_backup);
    assert_eq!(settled.restores().unwrap()[1].after, last_seq(&once), "after the settled backup's last");
    let (_sibling_dir, sibling) = restored_from(&first_backup);
    let again = sibling.restores().unwrap();
    assert_eq!(again.len(), 1);
    assert!(again[0].id > named[0].id, "restored later, named later: {again:?} {named:?}");
    assert_eq!(again[0].after, backup_gave);
}

/// A backup of a laptop that read back its own device's changes from its block (restored once
/// already, the old laptop's work after that backup) restores after the highest number the
/// device gave, read back or made here: its next change takes the number after it, and a
/// restore said to end lower left a gap in the device's numbers once its block's word moved
/// its new work up by the difference.
#[test]
fn a_backup_holding_its_devices_changes_read_back_restores_after_the_last_of_them() {
    let (_dir, stick, mut store, village, server) = enrolled_with_a_stick();
    let h = household_headed_by(&mut store, village, "पहली");
    let made = store.queued_after(0, 100).unwrap();
    let last = made.last().unwrap().device_seq;
    // The old laptop's rename after the first backup, read back from the block.
    let me = store.device_id().unwrap();
    let hlc = made.last().unwrap().change.hlc;
    let rename = samanvaya_domain::change::ChangeBody::Member(samanvaya_domain::change::MemberChange {
        id: h.members[0].id,
        household_id: h.id,
        fields: vec![samanvaya_domain::change::MemberField::Name("पहली देवी".into())],
    });
    let read_back = samanvaya_core::Incoming {
        server_seq: 9,
        device: me,
        device_seq: last + 1,
        change: samanvaya_domain::change::Change::new(
            samanvaya_domain::Hlc { wall_ms: hlc.wall_ms + 1, counter: 0, node: me },
            rename,
        ),
        seal: None,
    };
    store.connection().execute("UPDATE sync_link SET own_pull_after = ?1 WHERE id = 1", [last]).unwrap();
    let at = store.now().unwrap();
    assert_eq!(store.apply_pulled_page(&server, &[read_back], 9, None, at).unwrap(), 1);
    let backup = stick.path().join("laptop.backup");
    store.backup(&backup).unwrap();
    drop(store);
    let to = tempfile::tempdir().unwrap();
    drop(Store::restore(&backup, to.path(), None, &Secret::new(TEST_PIN)).unwrap());
    let restored = samanvaya_tests::open(to.path()).unwrap();
    assert_eq!(restored.restores().unwrap()[0].after, last + 1, "after the change read back");
    let waiting: Option<i64> = restored
        .connection()
        .query_row("SELECT restored_through FROM sync_link WHERE id = 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(waiting, Some(last + 1));
}

/// A laptop restored from a backup numbers its new work past any number the old laptop can
/// have given after the backup, whatever its block says it holds, and keeps those numbers when
/// the block's word comes; it then reads back the old laptop's run, and only that run, from the
/// block's feed whenever it comes. Numbered after the block's word, as before, the new work
/// took numbers the old laptop had given to changes the block had lost to a restore of its own
/// and the district or another laptop still held: there it passed for those, and was dropped
/// (seeds 30, 43, 58 and 167 of the simulation with both restores).
#[test]
fn a_restored_laptop_numbers_its_new_work_past_the_old_laptops_run_whatever_its_block_says() {
    let (_dir, stick, mut store, village, server) = enrolled_with_a_stick();
    let add = |store: &mut Store, name: &str| household_headed_by(store, village, name);
    let mine = |store: &Store| -> Vec<i64> {
        store
            .connection()
            .prepare(
                "SELECT device_seq FROM change_log WHERE device_id = (SELECT device_id FROM centre) ORDER BY 1",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    add(&mut store, "पहली");
    let me = store.device_id().unwrap();
    let backup_gave = *mine(&store).last().unwrap();
    let backup = stick.path().join("laptop.backup");
    store.backup(&backup).unwrap();
    // The old laptop goes on after the backup; its next household is what the district, or
    // another laptop, holds under the numbers after the backup's.
    let old = add(&mut store, "दूसरी");
    let old_run: Vec<samanvaya_core::Incoming> = store
        .queued_after(backup_gave, 100)
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, q)| samanvaya_core::Incoming {
            server_seq: 50 + i as i64,
            device: me,
            device_seq: q.device_seq,
            change: q.change,
            seal: None,
        })
        .collect();
    let old_end = old_run.last().unwrap().device_seq;
    drop(store);

    let to = tempfile::tempdir().unwrap();
    drop(Store::restore(&backup, to.path(), None, &Secret::new(TEST_PIN)).unwrap());
    let mut restored = samanvaya_tests::open(to.path()).unwrap();
    let new = add(&mut restored, "तीसरी");
    let new_numbers: Vec<i64> = mine(&restored).into_iter().filter(|n| *n > backup_gave).collect();
    let past = backup_gave + samanvaya_domain::restore::RUN_GAP;
    assert!(new_numbers.iter().all(|n| *n > past), "new work past the old laptop's run: {new_numbers:?}");
    assert!(!new_numbers.contains(&(backup_gave + 1)));
    // The block, restored itself, holds the device's changes only to the backup's last: the
    // new work keeps its numbers, and goes.
    restored.sync_acked(backup_gave, &Default::default(), &[]).unwrap();
    let queued: Vec<i64> =
        restored.queued_after(backup_gave, 100).unwrap().iter().map(|q| q.device_seq).collect();
    assert_eq!(queued, new_numbers, "sent under the numbers it was made with");
    assert_eq!(restored.sync_status().unwrap().waiting, new_numbers.len() as i64);
    // The feed is asked for the old laptop's run, and only that.
    let end = restored.own_pull_through().unwrap().unwrap();
    assert!(end >= past && end < new_numbers[0], "{end} {new_numbers:?}");
    assert_eq!(restored.own_pull_after().unwrap(), Some(backup_gave));
    // The old laptop's household comes back (from the district, through the block, later);
    // a server older than the run's end sends the new work back too, which is skipped.
    let mut page = old_run.clone();
    let echo = restored.queued_after(backup_gave, 1).unwrap().remove(0);
    page.push(samanvaya_core::Incoming {
        server_seq: 90,
        device: me,
        device_seq: echo.device_seq,
        change: echo.change,
        seal: None,
    });
    let at = restored.now().unwrap();
    assert_eq!(restored.apply_pulled_page(&server, &page, 90, None, at).unwrap(), old_run.len());
    assert!(restored.household(old.id).is_ok(), "the old laptop's household is here");
    assert!(restored.household(new.id).is_ok());
    restored.own_pulled().unwrap();
    assert_eq!(restored.own_pull_after().unwrap(), Some(old_end), "the run is asked for on, from its last");
    // The panel counts changes, not numbers.
    restored.sync_acked(*new_numbers.last().unwrap(), &Default::default(), &[]).unwrap();
    let status = restored.sync_status().unwrap();
    assert_eq!((status.waiting, status.reached_block), (0, mine(&restored).len() as i64));
    // A backup of the restored laptop restores past its new work in turn.
    let again = stick.path().join("again.backup");
    restored.backup(&again).unwrap();
    let to_again = tempfile::tempdir().unwrap();
    drop(Store::restore(&again, to_again.path(), None, &Secret::new(TEST_PIN)).unwrap());
    let twice = samanvaya_tests::open(to_again.path()).unwrap();
    let second_end = twice.own_pull_through().unwrap().unwrap();
    assert!(second_end >= new_numbers.last().unwrap() + samanvaya_domain::restore::RUN_GAP, "{second_end}");
}

/// A backup written while a restored laptop was still reading back the old laptop's run, and
/// restored in turn, goes on asking from where that reading stood: the rest of the first run
/// still comes. Before, the second restore asked only after its own backup's last change, and
/// what was left of the first run, coming to the block later, never reached the laptop (left
/// from a review of stop 59).
#[test]
fn a_backup_written_mid_read_back_asks_for_the_rest_of_the_first_run_when_restored() {
    let (_dir, stick, mut store, village, _) = enrolled_with_a_stick();
    household_headed_by(&mut store, village, "पहली");
    let backup_gave = store.queued_after(0, 100).unwrap().last().unwrap().device_seq;
    let first = stick.path().join("first.backup");
    store.backup(&first).unwrap();
    drop(store);
    let (_once_dir, mut once) = restored_from(&first);
    // The block holds three changes of the old laptop after the backup; none has come back yet.
    once.sync_acked(backup_gave + 3, &Default::default(), &[]).unwrap();
    assert_eq!(once.own_pull_after().unwrap(), Some(backup_gave));
    // Work goes on on the restored laptop, past the old run.
    household_headed_by(&mut once, village, "दूसरी");
    let second = stick.path().join("second.backup");
    once.backup(&second).unwrap();
    let (_twice_dir, mut twice) = restored_from(&second);
    let second_after = twice.restores().unwrap()[1].after;
    assert!(second_after > once.own_pull_through().unwrap().unwrap(), "after the new work: {second_after}");
    twice.sync_acked(backup_gave + 3, &Default::default(), &[]).unwrap();
    assert_eq!(twice.own_pull_after().unwrap(), Some(backup_gave), "from where the first reading stood");
    assert!(twice.own_pull_through().unwrap() > once.own_pull_through().unwrap());
}

/// A new household of `village` headed by a woman of forty named `name`, saved on `store`.
fn household_headed_by(
    store: &mut Store,
    village: samanvaya_domain::LocationId,
    name: &str,
) -> samanvaya_domain::Household {
    let head = samanvaya_tests::member(
        name,
        samanvaya_domain::Relation::Head,
        samanvaya_domain::Sex::Female,
        samanvaya_domain::Birth::Age { years: 40 },
    );
    store.save_household(samanvaya_tests::new_household(village, vec![head]), store.now().unwrap()).unwrap()
}

/// The store of `backup` restored in a new folder, opened; with the folder, which must outlive it.
fn restored_from(backup: &std::path::Path) -> (tempfile::TempDir, Store) {
    let to = tempfile::tempdir().unwrap();
    drop(Store::restore(backup, to.path(), None, &Secret::new(TEST_PIN)).unwrap());
    let store = samanvaya_tests::open(to.path()).unwrap();
    (to, store)
}

/// An enrolled store serving a village, in a folder, with a stick for its backups: the folder,
/// the stick, the store, the village and the id of the server it is enrolled with.
fn enrolled_with_a_stick()
-> (tempfile::TempDir, tempfile::TempDir, Store, samanvaya_domain::LocationId, String) {
    let (dir, stick) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut store = samanvaya_tests::open(dir.path()).unwrap();
    let village = samanvaya_tests::serve_a_village(&mut store).unwrap();
    let server = samanvaya_tests::enrolled_nowhere(&mut store).unwrap().to_string();
    (dir, stick, store, village, server)
}
