//! Pins the wire form of every change kind: each example below must serialize to exactly the
//! text of its file in `tests/golden/`, and that text must read back to the same change. A
//! change to the wire form is then a decision made in a reviewed diff of those files, not an
//! accident of renaming a field. Run with `UPDATE_GOLDEN=1` to rewrite the files after such a
//! decision (and bump the kind's version when old laptops could not read the new form).

use chrono::{NaiveDate, TimeZone, Utc};
use samanvaya_domain::change::{
    self, ChangeBody, ConsentGiven, ConsentWithdrawn, FactChange, HouseholdChange, HouseholdField,
    MemberChange, MemberField, MemberRemoved, ReceivingChange, Redacted, ReferralChange, ReferralEventChange,
    Source, SubmissionChange,
};
use samanvaya_domain::referral::{Action, ChecklistItem, DocumentStatus, Level, Need};
use samanvaya_domain::{Departure, Hlc, HouseholdId, LeftReason, LocationId, PersonId, Relation, Sex};
use samanvaya_sync_protocol::{Change, Origin};
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_5f2a_7c00_7000_8000_0000_0000_0000 + n)
}

fn examples() -> Vec<(&'static str, ChangeBody)> {
    let household = HouseholdId(id(1));
    let member = PersonId(id(2));
    vec![
        (
            "household",
            ChangeBody::Household(HouseholdChange {
                id: household,
                village_id: LocationId(id(3)),
                created_at: Utc.with_ymd_and_hms(2026, 11, 23, 4, 30, 0).unwrap(),
                fields: vec![
                    HouseholdField::Number(Some(17)),
                    HouseholdField::HamletId(None),
                    HouseholdField::Address("वार्ड नं. 4".into()),
                ],
            }),
        ),
        (
            "member",
            ChangeBody::Member(MemberChange {
                id: member,
                household_id: household,
                fields: vec![
                    MemberField::Position(1),
                    MemberField::Name("सुनीता देवी".into()),
                    MemberField::Relation(Relation::Spouse),
                    MemberField::Sex(Sex::Female),
                    MemberField::BirthDate(NaiveDate::from_ymd_opt(1978, 8, 15)),
                    MemberField::BirthDateEstimated(false),
                ],
            }),
        ),
        (
            "member_removed",
            ChangeBody::MemberRemoved(MemberRemoved {
                id: member,
                household_id: household,
                merged_into: None,
                departure_seen: None,
            }),
        ),
        (
            "fact",
            ChangeBody::Fact(FactChange {
                household_id: household,
                subject_id: member.to_string(),
                name: "person.marital_status".into(),
                value: Some(serde_json::json!("widowed")),
                source: Source::Screening,
            }),
        ),
        (
            "fact_cleared",
            ChangeBody::Fact(FactChange {
                household_id: household,
                subject_id: household.to_string(),
                name: "household.bpl_status".into(),
                value: None,
                source: Source::Survey,
            }),
        ),
        (
            "receiving",
            ChangeBody::Receiving(ReceivingChange {
                household_id: household,
                subject_id: member.to_string(),
                scheme: "IGNWPS".into(),
                receiving: true,
                source: Source::Document,
            }),
        ),
        // Version 2 of the member kind: a member who moved away, kept in the record.
        (
            "member_left",
            ChangeBody::Member(MemberChange {
                id: member,
                household_id: household,
                fields: vec![MemberField::Left(Some(Departure {
                    reason: LeftReason::MovedAway,
                    on: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
                }))],
            }),
        ),
        // A finished survey: the answers that counted, with who and the consent.
        (
            "submission",
            ChangeBody::Submission(SubmissionChange {
                id: id(5),
                household_id: household,
                form_id: "baseline".into(),
                form_version: "2026113001".into(),
                answers: serde_json::json!({
                    "values": { "consent": "yes", "hamlet": "पूर्वी टोला", "member_count": "1" },
                    "repeats": { "members": [ { "_member": member.to_string(), "m_name": "सुनीता देवी" } ] }
                }),
                consent: Some(true),
                submitted_by: "Asha".into(),
                submitted_at: Utc.with_ymd_and_hms(2026, 11, 30, 6, 15, 0).unwrap(),
                supersedes: None,
            }),
        ),
        // A referral opened from the eligibility screen, with its checklist.
        (
            "referral",
            ChangeBody::Referral(ReferralChange {
                id: id(6),
                number: "R-1042".into(),
                household_id: household,
                subject_id: member.to_string(),
                need: Need::Scheme { code: "NSAP_IGNWPS".into() },
                level: Level::Village,
                office: "Block Social Security Cell".into(),
                documents: vec![ChecklistItem {
                    en: "Death certificate of the husband".into(),
                    hi: "पति का मृत्यु प्रमाण पत्र".into(),
                    status: DocumentStatus::Missing,
                }],
                due_on: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
                notes: String::new(),
                created_by: "Asha".into(),
                created_at: Utc.with_ymd_and_hms(2026, 12, 1, 5, 0, 0).unwrap(),
                catalogue: "builtin-0123456789ab".into(),
            }),
        ),
        // The block escalated it to the district.
        (
            "referral_event",
            ChangeBody::ReferralEvent(ReferralEventChange {
                id: id(7),
                referral_id: id(6),
                household_id: household,
                at: Utc.with_ymd_and_hms(2026, 12, 20, 9, 0, 0).unwrap(),
                by: "BDO office".into(),
                catalogue: "builtin-0123456789ab".into(),
                action: Action::Escalate {
                    reason: "No decision after three weeks".into(),
                    due_on: NaiveDate::from_ymd_opt(2027, 1, 4).unwrap(),
                },
            }),
        ),
        // A member withdrew consent; then what is left of her member change once erased.
        (
            "consent_withdrawn",
            ChangeBody::ConsentWithdrawn(ConsentWithdrawn {
                household_id: household,
                person_id: Some(member),
                withdrawn_on: NaiveDate::from_ymd_opt(2026, 12, 22).unwrap(),
                recorded_by: "Asha".into(),
            }),
        ),
        (
            "redacted",
            ChangeBody::Redacted(Redacted { household_id: household, was: "member".into(), referral: None }),
        ),
        // Version 2 of the household kind: the family's consent, given at a visit.
        (
            "household_consent",
            ChangeBody::Household(HouseholdChange {
                id: household,
                village_id: LocationId(id(3)),
                created_at: Utc.with_ymd_and_hms(2026, 11, 23, 4, 30, 0).unwrap(),
                fields: vec![HouseholdField::Consent(ConsentGiven {
                    respondent: Some(member),
                    taken_by: "Asha".into(),
                    taken_at: Utc.with_ymd_and_hms(2026, 11, 23, 4, 25, 0).unwrap(),
                })],
            }),
        ),
        (
            "member_merged",
            ChangeBody::MemberRemoved(MemberRemoved {
                id: member,
                household_id: household,
                merged_into: Some(samanvaya_domain::PersonId(id(4))),
                departure_seen: Some(Hlc { wall_ms: 1_795_404_000_000, counter: 1, node: id(8) }),
            }),
        ),
    ]
}

#[test]
fn every_change_kind_has_a_pinned_wire_form() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut kinds = std::collections::BTreeSet::new();
    for (n, (file, body)) in examples().into_iter().enumerate() {
        kinds.insert(body.kind());
        let hlc = Hlc { wall_ms: 1_795_404_600_000, counter: n as u32, node: id(9) };
        let wire = Change {
            seq: 41 + n as i64,
            origin: Origin { device: id(9), seq: 41 + n as i64 },
            recorded_at: Utc.with_ymd_and_hms(2026, 11, 23, 4, 30, 0).unwrap(),
            change: change::Change::new(hlc, body),
            seen_at_sender: Default::default(),
        };
        let text = serde_json::to_string_pretty(&wire).unwrap() + "\n";
        let path = dir.join(format!("{file}.json"));
        if update {
            std::fs::write(&path, &text).unwrap();
        }
        let pinned = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1 to write it", path.display()));
        assert_eq!(text, pinned, "the wire form of {file} changed; see this file's header");
        let back: Change = serde_json::from_str(&pinned).unwrap();
        assert_eq!(back, wire, "{file} does not read back to the same change");
        assert!(back.change.is_supported());
    }
    assert_eq!(kinds.len(), 10, "every kind of ChangeBody has an example: {kinds:?}");
}

/// The pinned change of `file` (at version 2) as a store of the first version wrote it.
fn at_version_1(file: &str) -> Change {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{file}.json"));
    let text = std::fs::read_to_string(path).unwrap().replace("\"version\": 2", "\"version\": 1");
    let change: Change = serde_json::from_str(&text).unwrap();
    assert_eq!(change.change.version, 1, "{file}");
    change
}

/// A member change written by a laptop of the first version (before `left` existed) is still
/// read and applied by this one.
#[test]
fn a_version_1_member_change_is_still_supported() {
    assert!(at_version_1("member").change.is_supported());
}

/// A household change written before consent travelled (version 1) is still read and applied.
#[test]
fn a_version_1_household_change_is_still_supported() {
    assert!(at_version_1("household").change.is_supported());
}

/// A removal written before a merge said the departure its maker saw (version 1) is still read
/// and applied, with no reading.
#[test]
fn a_version_1_removal_is_still_supported() {
    let change = at_version_1("member_removed");
    assert!(change.change.is_supported());
    assert!(matches!(&change.change.body, ChangeBody::MemberRemoved(r) if r.departure_seen.is_none()));
}

#[test]
fn a_change_of_a_newer_version_is_read_but_not_supported() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/fact.json");
    let text = std::fs::read_to_string(path).unwrap().replace("\"version\": 1", "\"version\": 7");
    let change: Change = serde_json::from_str(&text).unwrap();
    assert!(!change.change.is_supported());
}

/// The newest version of each kind of change at each protocol version. Peers speak only the
/// same protocol version (`PROTOCOL_VERSION`), so a kind's version raised without the
/// protocol's lets an older build of the same protocol take the change: it stores it as refused
/// ("newer than this server"), which nothing reads again after the server is updated, and
/// writes it back without the fields it could not read (found by a review: `member_removed`
/// version 2 came in after protocol 8's first builds, which no one ran outside development).
/// Raising a kind's version means raising the protocol's and adding its line here.
const KIND_VERSIONS: &[(u32, &[(&str, u16)])] = &[(
    // As at protocol 8: protocol 9 changed the enrollment's reply, no kind of change.
    9,
    &[
        ("consent_withdrawn", 1),
        ("fact", 1),
        ("household", 2),
        ("member", 2),
        ("member_removed", 2),
        ("receiving", 1),
        ("redacted", 1),
        ("referral", 1),
        ("referral_event", 1),
        ("submission", 1),
    ],
)];

#[test]
fn a_kind_of_change_takes_a_new_version_only_with_a_new_protocol_version() {
    let current = samanvaya_sync_protocol::PROTOCOL_VERSION;
    let (_, pinned) = KIND_VERSIONS.iter().find(|(p, _)| *p == current).unwrap_or_else(|| {
        panic!("protocol version {current} has no line in KIND_VERSIONS: add the kinds' versions it speaks")
    });
    let written: std::collections::BTreeMap<&str, u16> =
        examples().iter().map(|(_, body)| (body.kind(), body.current_version())).collect();
    let pinned: std::collections::BTreeMap<&str, u16> = pinned.iter().copied().collect();
    assert_eq!(
        written, pinned,
        "a kind's version changed at protocol version {current}: raise PROTOCOL_VERSION with it and add its line to KIND_VERSIONS"
    );
}
