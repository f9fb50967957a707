//! The audit log: every change made on the laptop, every backup and export is recorded with who
//! did it, chained by hashes; an entry edited afterwards is found between the checkpoints around
//! it, one removed at its place; the log names records by id, never a person.

use samanvaya_core::Verdict;
use samanvaya_domain::{Birth, Relation, Sex};

#[test]
fn the_log_records_who_did_what_and_finds_an_edited_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(dir.path()).unwrap();
    let village = samanvaya_tests::serve_a_village(&mut store).unwrap();
    for name in ["कमला देवी", "सुनीता कुमारी", "रीता देवी"]
    {
        let input = samanvaya_tests::new_household(
            village,
            vec![samanvaya_tests::member(name, Relation::Head, Sex::Female, Birth::Age { years: 50 })],
        );
        store.save_household(input, store.now().unwrap()).unwrap();
    }
    store.backup(&dir.path().join("usb").join("b.backup")).unwrap();
    let n = match store.verify_audit().unwrap() {
        Verdict::Intact(n) => n,
        broken => panic!("{broken:?}"),
    };
    // Each household: its record and its member; then the backup.
    assert_eq!(n, 7);
    // Read back as the sync sends it: each row as the text its hash covers.
    let entries = store.audit_after(0, usize::MAX).unwrap();
    let last = entries.last().unwrap();
    assert_eq!((last.who.as_str(), last.action.as_str()), ("Test facilitator", "backup"));
    let details: Vec<String> = entries.iter().map(|e| e.detail.clone()).collect();
    assert!(
        details.iter().all(|d| !d.contains("देवी") && !d.contains("कुमारी")),
        "no names in the log: {details:?}"
    );

    // The app cannot edit it; someone who removes the guard and edits entry 3 is found before
    // the head, which keeps the hash of entry 7 (no checkpoint yet: they come every 64).
    let conn = store.connection();
    assert!(conn.execute("UPDATE audit SET detail = 'x' WHERE seq = 3", []).is_err(), "append-only");
    conn.execute_batch(
        "DROP TRIGGER audit_append_only_update;
         INSERT INTO audit_name (text) VALUES ('someone else');
         UPDATE audit SET who = (SELECT id FROM audit_name WHERE text = 'someone else') WHERE seq = 3;",
    )
    .unwrap();
    assert_eq!(store.verify_audit().unwrap(), Verdict::Broken { from: 1, to: 7 });
}

/// A long log keeps a hash every 64 entries: an edit is found between the checkpoints around
/// it; the newest entries removed are found against the head; what the sync sends carries the
/// chain's hashes as a full walk gives them, and a batch cut short ends at a checkpoint.
#[test]
fn a_long_log_is_checked_between_checkpoints_and_sent_with_its_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let store = samanvaya_tests::open(dir.path()).unwrap();
    for i in 0..150 {
        store.audit("export:worklist", &format!("list {i}")).unwrap();
    }
    assert_eq!(store.verify_audit().unwrap(), Verdict::Intact(150));
    let kept: Vec<i64> = store
        .connection()
        .prepare("SELECT seq FROM audit WHERE hash IS NOT NULL ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kept, [64, 128], "a hash every 64 entries");

    // Every entry's hash, as the chain gives it from the first.
    let all = store.audit_after(0, usize::MAX).unwrap();
    assert_eq!(all.len(), 150);
    let mut prev = Vec::new();
    for e in &all {
        assert_eq!(e.chained(e.seq - 1, &prev), Some(e.hash.clone()), "entry {}", e.seq);
        prev.clone_from(&e.hash);
    }
    // From the middle of a stretch without hashes, the same hashes.
    let later = store.audit_after(100, usize::MAX).unwrap();
    assert_eq!(later, all[100..]);
    // A batch cut short ends at the checkpoint in it.
    let cut = store.audit_after(10, 100).unwrap();
    assert_eq!((cut.first().unwrap().seq, cut.last().unwrap().seq), (11, 64));
    assert_eq!(cut[..], all[10..64]);

    let conn = store.connection();
    conn.execute_batch(
        "DROP TRIGGER audit_append_only_update;
         UPDATE audit SET detail = 'list 7000' WHERE seq = 70;",
    )
    .unwrap();
    assert_eq!(store.verify_audit().unwrap(), Verdict::Broken { from: 65, to: 128 });
    // Sent from entry 64, the batch ends at the next checkpoint: its hash, kept, is not the one
    // the edited rows give, so the block refuses it.
    let sent = store.audit_after(64, 80).unwrap();
    let last = sent.last().unwrap();
    assert_eq!(last.seq, 128);
    let mut prev = all[63].hash.clone();
    for e in &sent[..sent.len() - 1] {
        prev = e.chained(e.seq - 1, &prev).unwrap();
    }
    assert_eq!(last.chained(127, &prev), None, "the block finds the edit in this batch");
}

#[test]
fn the_newest_entries_removed_are_found_against_the_head() {
    let dir = tempfile::tempdir().unwrap();
    let store = samanvaya_tests::open(dir.path()).unwrap();
    for i in 0..70 {
        store.audit("export:worklist", &format!("list {i}")).unwrap();
    }
    store
        .connection()
        .execute_batch("DROP TRIGGER audit_append_only_delete; DELETE FROM audit WHERE seq > 66;")
        .unwrap();
    assert_eq!(store.verify_audit().unwrap(), Verdict::Broken { from: 67, to: 70 });
    // The app goes on writing after the head, and the gap stays reported.
    store.audit("export:worklist", "list 70").unwrap();
    assert_eq!(store.verify_audit().unwrap(), Verdict::Broken { from: 67, to: 71 });
    // The head cannot be moved back or removed by the app either.
    let conn = store.connection();
    assert!(conn.execute("UPDATE audit_head SET seq = 66", []).is_err());
    assert!(conn.execute("DELETE FROM audit_head", []).is_err());
}

#[test]
fn a_removed_entry_breaks_the_chain_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(dir.path()).unwrap();
    samanvaya_tests::serve_a_village(&mut store).unwrap();
    store.backup(&dir.path().join("one.backup")).unwrap();
    store.backup(&dir.path().join("two.backup")).unwrap();
    store.backup(&dir.path().join("three.backup")).unwrap();
    assert_eq!(store.verify_audit().unwrap(), Verdict::Intact(3));
    store
        .connection()
        .execute_batch("DROP TRIGGER audit_append_only_delete; DELETE FROM audit WHERE seq = 2;")
        .unwrap();
    assert_eq!(store.verify_audit().unwrap(), Verdict::Broken { from: 2, to: 3 });
}

/// One command's changes of one kind to one household are one entry: the change log keeps each
/// change, and the entry says who changed what kind of thing in which household, and when.
#[test]
fn one_commands_changes_of_a_kind_to_a_household_are_one_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(dir.path()).unwrap();
    let village = samanvaya_tests::serve_a_village(&mut store).unwrap();
    let family = |head: &str| {
        samanvaya_tests::new_household(
            village,
            vec![
                samanvaya_tests::member(head, Relation::Head, Sex::Female, Birth::Age { years: 50 }),
                samanvaya_tests::member("रीता", Relation::Daughter, Sex::Female, Birth::Age { years: 20 }),
                samanvaya_tests::member("मोहन", Relation::Son, Sex::Male, Birth::Age { years: 18 }),
                samanvaya_tests::member("सीता", Relation::Daughter, Sex::Female, Birth::Age { years: 16 }),
            ],
        )
    };
    let first = store.save_household(family("कमला देवी"), store.now().unwrap()).unwrap();
    let second = store.save_household(family("सुनीता देवी"), store.now().unwrap()).unwrap();
    assert_eq!(store.queued_changes().unwrap(), 10, "each household's record and four members");
    let entries: Vec<(String, String)> =
        store.audit_after(0, usize::MAX).unwrap().into_iter().map(|e| (e.action, e.detail)).collect();
    let (a, b) = (first.id.to_string(), second.id.to_string());
    assert_eq!(
        entries,
        [
            ("change:household".to_owned(), a.clone()),
            ("change:member".to_owned(), a),
            ("change:household".to_owned(), b.clone()),
            ("change:member".to_owned(), b),
        ]
    );
    assert_eq!(store.verify_audit().unwrap(), Verdict::Intact(4));
}

/// A row added by hand past the head (possible without touching a trigger, since only every
/// 64th row keeps a hash) is not chained in by the app's next entry, nor sent as if genuine.
#[test]
fn a_row_added_by_hand_is_not_chained_in() {
    let dir = tempfile::tempdir().unwrap();
    let store = samanvaya_tests::open(dir.path()).unwrap();
    for i in 0..5 {
        store.audit("export:worklist", &format!("list {i}")).unwrap();
    }
    let genuine = store.audit_after(0, usize::MAX).unwrap();
    store
        .connection()
        .execute(
            "INSERT INTO audit (seq, at, who, action, detail)
             SELECT 6, at, who, action, 'list 99' FROM audit WHERE seq = 5",
            [],
        )
        .unwrap();
    assert_eq!(store.audit_after(0, usize::MAX).unwrap(), genuine, "nothing past the head is sent");
    assert_eq!(store.verify_audit().unwrap(), Verdict::Broken { from: 6, to: 6 });
    // The app's next entry follows the head, not the added row.
    store.audit("export:worklist", "list 5").unwrap();
    assert!(matches!(store.verify_audit().unwrap(), Verdict::Broken { .. }));
    let sent = store.audit_after(5, usize::MAX).unwrap();
    assert_eq!(sent.iter().map(|e| e.seq).collect::<Vec<_>>(), [6, 7]);
    let added = sent[0].chained(5, &genuine[4].hash).expect("the added row has no hash of its own to fail");
    assert_eq!(sent[1].chained(6, &added), None, "the block refuses the batch that holds it");
}

/// A laptop restored from a backup writes its audit log on a branch of its own from the
/// backup's last entry, whatever its block says it holds: the old laptop may have sent entries
/// after the backup that the block no longer holds (restored from an older backup of its own)
/// but its district does. The branch is kept while the block lists it or holds the log past its
/// start; where the block holds the device's own log short of the branch's start, the entries up
/// to it go on that log first, then the branch (before, the branch was given up and the log went
/// on as the device's own, under numbers the district held for the old laptop's entries: seed 5
/// of the simulation with both restores).
#[test]
fn a_restored_laptop_branches_its_log_and_keeps_the_branch_whatever_its_block_holds() {
    let (dir, restored_dir, stick) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut store = samanvaya_tests::open(dir.path()).unwrap();
    let village = samanvaya_tests::serve_a_village(&mut store).unwrap();
    samanvaya_tests::enrolled_nowhere(&mut store).unwrap();
    let add = |store: &mut samanvaya_core::Store, name: &str| {
        let head = samanvaya_tests::member(name, Relation::Head, Sex::Female, Birth::Age { years: 40 });
        store
            .save_household(samanvaya_tests::new_household(village, vec![head]), store.now().unwrap())
            .unwrap();
    };
    add(&mut store, "पहली");
    let backup = stick.path().join("laptop.backup");
    store.backup(&backup).unwrap();
    let backup_had = store.audit_after(0, 100_000).unwrap().last().unwrap().seq - 1;
    add(&mut store, "दूसरी");
    let old_laptop_sent = store.audit_after(0, 100_000).unwrap().last().unwrap().seq;
    drop(store);

    samanvaya_core::Store::restore(
        &backup,
        restored_dir.path(),
        None,
        &samanvaya_core::Secret::new(samanvaya_tests::TEST_PIN),
    )
    .unwrap();
    let mut restored = samanvaya_tests::open(restored_dir.path()).unwrap();
    assert_eq!(restored.audit_after(0, 100_000).unwrap(), vec![], "nothing goes before the block has spoken");
    // The block holds what the old laptop sent after the backup: a branch from the backup's last.
    let (held, fork) = restored.audit_to_send(old_laptop_sent, &[]).unwrap();
    let fork = fork.expect("a branch");
    assert!(fork.from_seq >= backup_had && fork.from_seq < old_laptop_sent, "{fork:?}");
    assert_eq!((held, fork.parent), (fork.from_seq, None));
    let entries = restored.audit_after(held, 100_000).unwrap();
    assert!(entries.iter().any(|e| e.action == "audit:branch"), "the branch is logged: {entries:?}");
    // Listed by the block, or with the log held past its start, the branch stays.
    let (held, same) = restored.audit_to_send(old_laptop_sent, &[(fork.id, fork.from_seq + 1)]).unwrap();
    assert_eq!((held, same.as_ref()), (fork.from_seq + 1, Some(&fork)));
    assert_eq!(restored.audit_to_send(old_laptop_sent, &[]).unwrap().1.as_ref(), Some(&fork));
    // The block restored from a backup older than the branch's start: the branch stays, and the
    // device's own log travels to its start first, on the stick as online.
    let (held, kept) = restored.audit_to_send(fork.from_seq - 1, &[]).unwrap();
    assert_eq!((held, kept.as_ref()), (fork.from_seq - 1, Some(&fork)));
    assert_eq!(fork.next_leg(held), (None, Some(fork.from_seq)));
    let (on_stick, stick_fork) = restored.audit_for_stick(100_000).unwrap();
    assert_eq!(on_stick.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![fork.from_seq], "{on_stick:?}");
    assert_eq!(stick_fork, None, "on the device's own log");
    // Once the block holds the log to the branch's start, the branch goes on from there.
    let (held, kept) = restored.audit_to_send(fork.from_seq, &[]).unwrap();
    assert_eq!((held, kept.as_ref()), (fork.from_seq, Some(&fork)));
    assert_eq!(fork.next_leg(held), (Some(&fork), None));
    let (on_stick, stick_fork) = restored.audit_for_stick(100_000).unwrap();
    assert_eq!(on_stick.first().unwrap().seq, fork.from_seq + 1);
    assert_eq!(stick_fork.as_ref(), Some(&fork));

    // Restored again from the same backup, on a block that holds no more than the backup had:
    // a branch all the same, since its district may hold what the old laptop sent after it.
    let restore_of = |backup: &std::path::Path| {
        let dir = tempfile::tempdir().unwrap();
        samanvaya_core::Store::restore(
            backup,
            dir.path(),
            None,
            &samanvaya_core::Secret::new(samanvaya_tests::TEST_PIN),
        )
        .unwrap();
        let store = samanvaya_tests::open(dir.path()).unwrap();
        (dir, store)
    };
    let (_again_dir, mut again) = restore_of(&backup);
    let (held, sibling) = again.audit_to_send(backup_had - 1, &[]).unwrap();
    let sibling = sibling.expect("a branch whatever the block holds");
    assert!(sibling.from_seq >= backup_had && sibling.id != fork.id, "{sibling:?}");
    assert_eq!(held, backup_had - 1, "held to where the block holds the device's own log");

    // A backup of the restored laptop, written on the branch, restored in turn. Where the block
    // holds the branch only to its start, a new branch could not be sent (the store does not
    // know where the branch it would grow from starts): it writes on that branch. Where the
    // block holds that branch past the backup, it branches from it.
    let on_branch = stick.path().join("on-branch.backup");
    restored.backup(&on_branch).unwrap();
    let backup_last = restored.audit_after(0, 100_000).unwrap().last().unwrap().seq;
    let (_short_dir, mut short) = restore_of(&on_branch);
    let (held, writes_on) = short.audit_to_send(old_laptop_sent, &[(fork.id, fork.from_seq)]).unwrap();
    assert_eq!((held, writes_on.as_ref()), (fork.from_seq, Some(&fork)), "writes on the branch");
    let (_past_dir, mut past) = restore_of(&on_branch);
    let (held, grown) = past.audit_to_send(old_laptop_sent, &[(fork.id, backup_last + 3)]).unwrap();
    let grown = grown.expect("a branch of the branch");
    assert_eq!((grown.parent, held), (Some(fork.id), grown.from_seq));
    assert!(grown.from_seq > fork.from_seq && grown.from_seq <= backup_last, "{grown:?}");
}
