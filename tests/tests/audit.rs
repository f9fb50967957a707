//! The audit log: every change made on the laptop, every backup and export is recorded with who
//! did it, chained by hashes; an entry edited or removed afterwards is found at its place; the
//! log names records by id, never a person.

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

    // The app cannot edit it; someone who removes the guard and edits entry 3 is found there.
    let conn = store.connection();
    assert!(conn.execute("UPDATE audit SET detail = 'x' WHERE seq = 3", []).is_err(), "append-only");
    conn.execute_batch(
        "DROP TRIGGER audit_append_only_update;
         INSERT INTO audit_name (text) VALUES ('someone else');
         UPDATE audit SET who = (SELECT id FROM audit_name WHERE text = 'someone else') WHERE seq = 3;",
    )
    .unwrap();
    assert_eq!(store.verify_audit().unwrap(), Verdict::BrokenAt(3));
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
    assert_eq!(store.verify_audit().unwrap(), Verdict::BrokenAt(3));
}
