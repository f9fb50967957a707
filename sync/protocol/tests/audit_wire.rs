//! The audit log's batches on the wire since protocol version 5: a laptop's own log travels as it
//! did in version 4 (no `device`), a block's forwarded log names its laptop, and a session answer
//! that says nothing of forwarded logs (a laptop's) reads as none held. Since version 6 a batch
//! carries only its last entry's hash.

use samanvaya_sync_protocol::{AuditBatch, AuditEntry, AuditFork, AuditHeld, SessionReply};
use uuid::Uuid;

fn entry() -> AuditEntry {
    AuditEntry {
        seq: 1,
        at: "2026-12-01T05:00:00+00:00".into(),
        who: "Asha".into(),
        action: "enroll".into(),
        detail: "https://10.0.0.7:8740".into(),
        hash: vec![0xab, 0x01],
    }
}

#[test]
fn a_laptops_own_log_names_no_device_and_a_forwarded_one_names_its_laptop() {
    let own = AuditBatch::of(None, vec![entry()]);
    let text = serde_json::to_string(&own).unwrap();
    assert_eq!(
        text,
        r#"{"protocol":9,"entries":[{"seq":1,"at":"2026-12-01T05:00:00+00:00","who":"Asha","action":"enroll","detail":"https://10.0.0.7:8740","hash":"ab01"}]}"#
    );
    assert_eq!(serde_json::from_str::<AuditBatch>(&text).unwrap(), own);

    let laptop = Uuid::from_u128(0x0193_5f2a_7c00_7000_8000_0000_0000_0001);
    let forwarded = AuditBatch { device: Some(laptop), ..own };
    let text = serde_json::to_string(&forwarded).unwrap();
    assert!(text.contains(r#""device":"01935f2a-7c00-7000-8000-000000000001""#), "{text}");
    assert_eq!(serde_json::from_str::<AuditBatch>(&text).unwrap(), forwarded);
}

#[test]
fn a_batch_carries_only_its_last_hash() {
    let second = AuditEntry { seq: 2, hash: vec![0xcd, 0x02], ..entry() };
    let batch = AuditBatch::of(None, vec![entry(), second]);
    let text = serde_json::to_string(&batch).unwrap();
    assert_eq!(text.matches("\"hash\"").count(), 1, "{text}");
    assert!(text.ends_with(r#""hash":"cd02"}]}"#), "{text}");
    assert_eq!(serde_json::from_str::<AuditBatch>(&text).unwrap(), batch);
    assert_eq!(AuditBatch::of(None, vec![]).entries, vec![]);
}

#[test]
fn a_session_answer_without_forwarded_logs_holds_none() {
    let text = r#"{"protocol":5,"token":"t","expires_at":"2026-12-01T06:00:00Z","acked_through":3,"leases":[],"audit_through":2}"#;
    let reply: SessionReply = serde_json::from_str(text).unwrap();
    assert_eq!(reply.audit_forwarded, Vec::<AuditHeld>::new());
    assert_eq!(reply.audit_branches, Vec::<AuditHeld>::new());
    assert_eq!(reply.audit_through, 2);
}

/// A restored laptop's entries travel as a branch: the batch names it, with where it grew from;
/// a batch of the device's log itself says nothing of branches.
#[test]
fn a_branch_of_the_log_names_itself_and_where_it_grew_from() {
    let fork = AuditFork {
        id: Uuid::from_u128(0x0193_5f2a_7c00_7000_8000_0000_0000_0002),
        parent: None,
        from_seq: 5,
        from_hash: "ab01".into(),
    };
    let batch = AuditBatch::of(None, vec![AuditEntry { seq: 6, ..entry() }]).on(Some(fork.clone()));
    let text = serde_json::to_string(&batch).unwrap();
    assert!(
        text.ends_with(
            r#""branch":{"id":"01935f2a-7c00-7000-8000-000000000002","from_seq":5,"from_hash":"ab01"}}"#
        ),
        "{text}"
    );
    assert_eq!(serde_json::from_str::<AuditBatch>(&text).unwrap(), batch);
    let own = serde_json::to_string(&AuditBatch::of(None, vec![entry()])).unwrap();
    assert!(!own.contains("branch"), "{own}");
}
