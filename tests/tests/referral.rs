//! Referrals on a real, encrypted store: opened from a person's eligibility with the scheme's
//! checklist and a due day from the service level, moved through the office's stages with every
//! step kept as an event and a change that travels, refused when a step does not fit (with
//! nothing written), escalated to the block, and closed by the benefit, which the eligibility
//! screen then shows as already received. A step made at the block arrives later and the story
//! stays one, ordered by the clock.

use chrono::Duration;
use samanvaya_core::referral::{NewReferral, ReferralQuery, Step};
use samanvaya_core::{Moment, PulledFrom, Store, StoreError};
use samanvaya_domain::change::{Change, ChangeBody, ReferralEventChange};
use samanvaya_domain::referral::{Action, DocumentStatus, Level, Need, Stage};
use samanvaya_domain::{Birth, Hlc, Household, Relation, Sex};
use samanvaya_eligibility::view::OutcomeKind;
use samanvaya_tests::{member, new_household};
use uuid::Uuid;

const SCHEME: &str = "NSAP_IGNWPS";

fn family() -> (tempfile::TempDir, Store, Household) {
    samanvaya_tests::family_of(vec![
        member("कमला देवी", Relation::Head, Sex::Female, Birth::Age { years: 64 }),
        member(
            "सुनीता",
            Relation::DaughterInLaw,
            Sex::Female,
            Birth::Date { date: "1990-01-15".parse().unwrap() },
        ),
    ])
}

fn later(at: Moment, days: i64) -> Moment {
    Moment::in_india(at.utc + Duration::days(days))
}

fn widow_pension_for(h: &Household) -> NewReferral {
    NewReferral {
        household_id: h.id,
        member_id: Some(h.members[0].id),
        need: Need::Scheme { code: SCHEME.into() },
        documents: vec![],
        notes: "Husband died in March".into(),
    }
}

fn kinds_queued(store: &Store) -> Vec<&'static str> {
    store.queued_after(0, 10_000).unwrap().iter().map(|q| q.change.body.kind()).collect()
}

#[test]
fn a_referral_goes_from_eligible_to_received_and_the_screen_says_already_receiving() {
    let (_dir, mut store, h) = family();
    let t0 = store.now().unwrap();
    let opened = store.open_referral(&widow_pension_for(&h), t0).unwrap();
    let cat = samanvaya_eligibility::embedded().unwrap();
    let scheme = cat.scheme(SCHEME).unwrap();
    // The checklist is the scheme's, nobody has looked yet: documents pending, due in 30 days.
    assert_eq!(opened.documents.len(), scheme.documents.len());
    assert!(opened.documents.iter().all(|d| d.status == DocumentStatus::Missing));
    assert_eq!(opened.summary.stage, Stage::DocumentsPending);
    assert_eq!(opened.summary.due_on, t0.today + Duration::days(30));
    assert_eq!(opened.summary.number, "L-1", "a laptop without a block lease numbers locally, and says so");
    assert_eq!(opened.summary.person, "कमला देवी");
    assert_eq!(opened.catalogue, samanvaya_eligibility::catalogue_version());
    assert!(kinds_queued(&store).contains(&"referral"));

    // A second open case for the same person and scheme is refused, naming the first.
    match store.open_referral(&widow_pension_for(&h), t0) {
        Err(StoreError::AlreadyReferred { number }) => assert_eq!(number, "L-1"),
        other => panic!("expected AlreadyReferred, got {other:?}"),
    }

    let id: Uuid = opened.summary.id.parse().unwrap();
    // A step that does not fit is refused, says what is allowed, and writes nothing.
    let queued = store.queued_changes().unwrap();
    let refused = store.act_on_referral(id, &Step::Sanction, t0).unwrap_err();
    assert!(matches!(refused, StoreError::Refused(_)), "{refused:?}");
    assert!(refused.to_string().contains("allowed now: submit"), "{refused}");
    assert_eq!(store.queued_changes().unwrap(), queued);
    assert!(store.referral(id, t0.today).unwrap().timeline.is_empty());

    for i in 0..scheme.documents.len() as u32 {
        store
            .act_on_referral(id, &Step::Document { index: i, status: DocumentStatus::Obtained }, t0)
            .unwrap();
    }
    store.act_on_referral(id, &Step::Submit, later(t0, 2)).unwrap();
    // Overdue at the village: the screen suggests the block.
    let late = later(t0, 35);
    let detail = store.referral(id, late.today).unwrap();
    assert!(detail.summary.overdue && detail.suggest_escalation);
    let todo = store.todo(late.today).unwrap();
    assert_eq!((todo.overdue_count, todo.overdue[0].number.as_str()), (1, "L-1"));
    let blank = store.act_on_referral(id, &Step::Escalate { reason: " ".into() }, late).unwrap_err();
    assert!(blank.to_string().contains("say why"), "{blank}");
    let escalated =
        store.act_on_referral(id, &Step::Escalate { reason: "No decision in a month".into() }, late).unwrap();
    assert_eq!(escalated.summary.level, Level::Block);
    assert_eq!(escalated.summary.due_on, late.today + Duration::days(21), "the block's service level");
    assert_eq!(escalated.office.en, "Block Development Office (BDO)");
    let todo = store.todo(late.today).unwrap();
    assert_eq!((todo.overdue_count, todo.waiting_count), (0, 1));

    store.act_on_referral(id, &Step::Sanction, later(t0, 40)).unwrap();
    let paid = later(t0, 50);
    let done =
        store.act_on_referral(id, &Step::Receive { on: paid.today, amount_inr: Some(400) }, paid).unwrap();
    assert_eq!(done.summary.stage, Stage::Received);
    assert_eq!((done.case.received_on, done.case.amount_inr), (Some(paid.today), Some(400)));
    assert!(done.allowed == ["note"], "a received case takes notes only: {:?}", done.allowed);
    let names: Vec<&str> = done.timeline.iter().map(|e| e.action.name()).collect();
    assert_eq!(names.last(), Some(&"receive"));
    assert!(done.timeline.iter().all(|e| e.here && e.not_applied.is_none()));

    // The benefit is recorded as received: the engine says so, and it travels.
    let view = store.household_eligibility(h.id, paid.today).unwrap();
    let finding = view
        .findings
        .iter()
        .find(|f| f.scheme == SCHEME && f.member_id.as_deref() == Some(&h.members[0].id.to_string()))
        .unwrap();
    assert_eq!(finding.outcome, OutcomeKind::AlreadyReceiving);
    let kinds = kinds_queued(&store);
    assert_eq!(
        kinds.iter().filter(|k| **k == "referral_event").count(),
        scheme.documents.len() + 4,
        "documents, submit, escalate, sanction, receive; nothing refused"
    );
    assert!(kinds.contains(&"receiving"));

    let funnel = store.referral_funnel(paid.today).unwrap();
    let row = funnel.rows.iter().find(|r| r.code == SCHEME).unwrap();
    assert_eq!((row.referred, row.submitted, row.sanctioned, row.received, row.open), (1, 1, 1, 1, 0));
    // Closed now, the same person may be referred for it again only after a reopening.
    assert!(
        store
            .referrals(&ReferralQuery { household_id: Some(h.id), open_only: true }, paid.today)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_step_made_at_the_block_arrives_late_and_the_story_stays_one_in_clock_order() {
    let (_dir, mut store, h) = family();
    let t0 = store.now().unwrap();
    let mut new = widow_pension_for(&h);
    new.documents = vec![DocumentStatus::Have; 8];
    let opened = store.open_referral(&new, t0).unwrap();
    assert_eq!(opened.summary.stage, Stage::Identified, "every document in hand");
    let id: Uuid = opened.summary.id.parse().unwrap();
    store.act_on_referral(id, &Step::Submit, later(t0, 1)).unwrap();
    store
        .act_on_referral(id, &Step::Withdraw { reason: "Family moved to Patna".into() }, later(t0, 3))
        .unwrap();
    let queued = store.queued_changes().unwrap();

    // Meanwhile the block took the case up on day 2 and sanctioned it on day 4, not knowing of
    // the withdrawal. Its changes arrive now, the sanction first.
    let block = Uuid::from_u128(0xb10c);
    let step = |day: i64, action: Action, n: u128| {
        Change::new(
            Hlc { wall_ms: (t0.utc + Duration::days(day)).timestamp_millis(), counter: 0, node: block },
            ChangeBody::ReferralEvent(ReferralEventChange {
                id: Uuid::from_u128(n),
                referral_id: id,
                household_id: h.id,
                at: t0.utc + Duration::days(day),
                by: "BDO office".into(),
                catalogue: "builtin-block".into(),
                action,
            }),
        )
    };
    let pulled = [step(4, Action::Sanction, 2), step(2, Action::Process, 1)];
    for (i, c) in pulled.iter().enumerate() {
        let from = PulledFrom {
            server: "block",
            server_seq: 10 + i as i64,
            device: block,
            device_seq: 1 + i as i64,
        };
        assert!(store.apply_pulled(from, c, later(t0, 5)).unwrap());
        assert!(!store.apply_pulled(from, c, later(t0, 5)).unwrap(), "a pulled event is applied once");
    }
    assert_eq!(store.queued_changes().unwrap(), queued, "nothing pulled is queued to travel back");
    let detail = store.referral(id, later(t0, 5).today).unwrap();
    let story: Vec<(&str, bool, bool)> =
        detail.timeline.iter().map(|e| (e.action.name(), e.here, e.not_applied.is_some())).collect();
    assert_eq!(
        story,
        [
            ("submit", true, false),
            ("process", false, false),
            ("withdraw", true, false),
            ("sanction", false, true)
        ],
        "ordered by the clock; the sanction after the withdrawal is kept but not applied"
    );
    assert_eq!(detail.summary.stage, Stage::Withdrawn);
    assert!(detail.timeline[3].not_applied.as_deref().unwrap().contains("reopen"));
}

#[test]
fn a_samiti_viewer_cannot_refer_and_a_service_referral_needs_a_known_kind() {
    let dir = tempfile::tempdir().unwrap();
    let pin = samanvaya_core::Secret::new(samanvaya_tests::TEST_PIN);
    let (mut store, code) = Store::create(dir.path(), "Asha", &pin).unwrap();
    let village = samanvaya_tests::serve_a_village(&mut store).unwrap();
    let input =
        new_household(village, vec![member("रीता", Relation::Head, Sex::Female, Birth::Age { years: 30 })]);
    let h = store.save_household(input, store.now().unwrap()).unwrap();
    let at = store.now().unwrap();
    let unknown = NewReferral {
        household_id: h.id,
        member_id: Some(h.members[0].id),
        need: Need::Service { kind: "passport".into() },
        documents: vec![],
        notes: String::new(),
    };
    let err = store.open_referral(&unknown, at).unwrap_err();
    assert!(err.to_string().contains("passport"), "{err}");
    let safety = NewReferral { need: Need::Service { kind: "safety_concern".into() }, ..unknown };
    let case = store.open_referral(&safety, at).unwrap();
    assert_eq!(case.summary.due_on, at.today + Duration::days(2), "a safety concern is due in two days");
    assert!(case.documents.is_empty());
    assert_eq!(case.summary.stage, Stage::Identified);

    let viewer_pin = samanvaya_core::Secret::new("735194");
    store.add_account(&code, "Samiti", samanvaya_core::Role::SamitiViewer, &viewer_pin).unwrap();
    drop(store);
    let mut viewer = Store::unlock(dir.path(), Some("Samiti"), &viewer_pin).unwrap();
    let grievance = NewReferral {
        household_id: h.id,
        member_id: None,
        need: Need::Grievance { kind: "ration_not_given".into(), description: "Only 3 kg given".into() },
        documents: vec![],
        notes: String::new(),
    };
    assert!(matches!(viewer.open_referral(&grievance, at), Err(StoreError::NotAllowed { .. })));
    drop(viewer);
    let mut store = Store::unlock(dir.path(), Some("Asha"), &pin).unwrap();
    let blank = NewReferral {
        need: Need::Grievance { kind: "ration_not_given".into(), description: "  ".into() },
        ..grievance.clone()
    };
    assert!(
        matches!(store.open_referral(&blank, at), Err(StoreError::Invalid(_))),
        "a complaint says what happened"
    );
    let opened = store.open_referral(&grievance, at).unwrap();
    assert_eq!(opened.summary.due_on, at.today + Duration::days(15), "a grievance's village service level");
    assert_eq!(opened.office.en, "Block supply officer (MO)");
    drop(store);
    let mut viewer = Store::unlock(dir.path(), Some("Samiti"), &viewer_pin).unwrap();
    let id: Uuid = case.summary.id.parse().unwrap();
    assert!(matches!(viewer.act_on_referral(id, &Step::Submit, at), Err(StoreError::NotAllowed { .. })));
    // Reading is allowed: the Samiti reviews cases at its meetings.
    assert_eq!(viewer.referrals(&ReferralQuery::default(), at.today).unwrap().len(), 2);
}

/// A whole Aadhaar number typed into a referral's notes, a complaint's account, or a step's
/// reason or note is refused with the field named (the notes travel to the block and are printed
/// on the slip); nothing is written, and the same text without it is taken.
#[test]
fn a_whole_aadhaar_number_in_a_referrals_text_is_refused_and_nothing_is_written() {
    let (_dir, mut store, h) = family();
    let at = store.now().unwrap();
    let fields = |e: StoreError| match e {
        StoreError::Invalid(v) => v.0.into_iter().map(|f| (f.field, f.code)).collect::<Vec<_>>(),
        other => panic!("not refused as invalid: {other}"),
    };
    let aadhaar = samanvaya_domain::household::FieldErrorCode::AadhaarNumber;
    let before = kinds_queued(&store);
    let with_number = NewReferral {
        notes: "आधार २३४५ ६७८९ ०१२४, husband died".into(),
        ..widow_pension_for(&h)
    };
    assert_eq!(fields(store.open_referral(&with_number, at).unwrap_err()), [("notes".to_owned(), aadhaar)]);
    let complaint = NewReferral {
        member_id: None,
        need: Need::Grievance {
            kind: "ration_not_given".into(),
            description: "card 234567890124 refused".into(),
        },
        ..widow_pension_for(&h)
    };
    assert_eq!(
        fields(store.open_referral(&complaint, at).unwrap_err()),
        [("need.description".to_owned(), aadhaar)]
    );
    assert_eq!(kinds_queued(&store), before, "nothing refused was written");

    let case = store.open_referral(&widow_pension_for(&h), at).unwrap();
    let id: Uuid = case.summary.id.parse().unwrap();
    let written = kinds_queued(&store);
    for (step, field) in [
        (Step::Note { text: "her Aadhaar is 2345 6789 0124".into() }, "text"),
        (Step::Withdraw { reason: "2345-6789-0124 not linked".into() }, "reason"),
    ] {
        assert_eq!(fields(store.act_on_referral(id, &step, at).unwrap_err()), [(field.to_owned(), aadhaar)]);
    }
    assert_eq!(kinds_queued(&store), written, "no refused step was written");
    // Four digits, as the card's last four are kept, are not a whole number.
    store.act_on_referral(id, &Step::Note { text: "Aadhaar ending 0124 to be linked".into() }, at).unwrap();
}
