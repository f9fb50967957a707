//! Eligibility over a real store: answers change decisions and are queued for sync, bad answers
//! are refused without a trace, and the store's columns decide exactly like the per-household path.

use chrono::{NaiveDate, TimeZone, Utc};
use samanvaya_domain::PersonId;
use serde_json::json;

use super::view::OutcomeKind;
use super::{FactAnswer, catalogue, population};
use crate::{ErrorCode, ErrorReply, HouseholdQuery, Store};

fn demo() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.fill_demo(1).unwrap();
    (dir, store)
}

fn outbox_len(store: &Store) -> i64 {
    store.connection().query_row("SELECT count(*) FROM outbox", [], |r| r.get(0)).unwrap()
}

#[test]
fn an_answer_settles_the_questions_it_was_asked_for_and_is_queued_for_sync() {
    let (_dir, mut store) = demo();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let as_of = now.date_naive();
    let page = store
        .households(&HouseholdQuery { village_id: None, search: String::new(), limit: 300, offset: 0 })
        .unwrap();
    // The first household whose top question is about a person.
    let (hid, before) = page
        .items
        .iter()
        .map(|h| (h.id, store.household_eligibility(h.id, as_of).unwrap()))
        .find(|(_, e)| e.questions.first().is_some_and(|q| q.member_id.is_some() && q.input.kind == "bool"))
        .expect("some household is asked a yes/no question about a member");
    let q = before.questions[0].clone();
    let queued = outbox_len(&store);
    let after = store
        .answer(
            &FactAnswer {
                household_id: hid,
                member_id: q.member_id.as_ref().map(|m| m.parse::<PersonId>().unwrap()),
                fact: q.fact.clone(),
                value: json!(false),
            },
            now,
        )
        .unwrap();
    assert_eq!(outbox_len(&store), queued + 1, "the answer travels with its outbox row");
    assert!(
        !after.questions.iter().any(|x| x.fact == q.fact && x.member_id == q.member_id),
        "{} is no longer asked of that member",
        q.fact
    );
    let undetermined = |e: &super::view::HouseholdEligibility| {
        e.findings.iter().filter(|f| f.outcome == OutcomeKind::Undetermined).count()
    };
    assert!(undetermined(&after) < undetermined(&before), "the answer decided something");
    assert!(
        undetermined(&before) - undetermined(&after) >= q.alone as usize,
        "at least the decisions waiting on this fact alone were settled"
    );
}

#[test]
fn a_wrong_answer_is_refused_and_nothing_is_written() {
    let (_dir, mut store) = demo();
    let page = store
        .households(&HouseholdQuery { village_id: None, search: String::new(), limit: 1, offset: 0 })
        .unwrap();
    let hid = page.items[0].id;
    let h = store.household(hid).unwrap();
    let now = Utc::now();
    let queued = outbox_len(&store);
    let cases = [
        ("household.bpl_status", None, json!("rich"), "value"),
        ("household.no_such_fact", None, json!(true), "fact"),
        ("person.marital_status", None, json!("married"), "member_id"),
        ("person.age_years", Some(h.members[0].id), json!(40), "fact"),
        ("person.date_of_birth", Some(h.members[0].id), json!("2099-01-01"), "value"),
    ];
    for (fact, member, value, field) in cases {
        let err = store
            .answer(
                &FactAnswer { household_id: hid, member_id: member, fact: fact.into(), value: value.clone() },
                now,
            )
            .unwrap_err();
        let reply = ErrorReply::from(err);
        assert_eq!(reply.code, ErrorCode::Invalid, "{fact} = {value}");
        assert_eq!(reply.fields[0].field, field, "{fact} = {value}");
    }
    assert_eq!(outbox_len(&store), queued, "refused answers leave no trace");
}

#[test]
fn a_stated_age_answers_the_date_of_birth_question() {
    let (_dir, mut store) = demo();
    let page = store
        .households(&HouseholdQuery { village_id: None, search: String::new(), limit: 300, offset: 0 })
        .unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let (hid, person) = page
        .items
        .iter()
        .find_map(|s| {
            let h = store.household(s.id).unwrap();
            h.members.iter().find(|p| p.birth_date.is_none()).map(|p| (h.id, p.id))
        })
        .expect("the demo leaves some birth dates unknown");
    store
        .answer(
            &FactAnswer {
                household_id: hid,
                member_id: Some(person),
                fact: "person.date_of_birth".into(),
                value: json!(67),
            },
            now,
        )
        .unwrap();
    let p = store.household(hid).unwrap().members.into_iter().find(|p| p.id == person).unwrap();
    assert!(p.birth_date_estimated);
    assert_eq!(p.age_on(now.date_naive()), Some(67));
}

/// The bulk tallies from the store's profiles equal the per-household tallies from its fact rows.
fn assert_paths_agree(store: &Store, when: &str) {
    let cat = catalogue().unwrap();
    let as_of: NaiveDate = "2026-11-23".parse().unwrap();
    let village = store.village_eligibility(as_of, |_, _, _| {}).unwrap();
    let pop = population(store.connection(), cat).unwrap();
    assert_eq!(
        (pop.households(), pop.persons()),
        (village.households as usize, village.persons as usize),
        "{when}"
    );
    let bulk = samanvaya_rules::bulk::tally(cat, &pop, as_of);
    assert_eq!(bulk.len(), village.tallies.len());
    for (b, v) in bulk.iter().zip(&village.tallies) {
        assert_eq!(cat.schemes[b.scheme].code, v.scheme.code);
        assert_eq!(
            [b.eligible, b.already_receiving, b.undetermined, b.not_eligible],
            [v.eligible, v.already_receiving, v.undetermined, v.not_eligible].map(u64::from),
            "{} {when}",
            v.scheme.code
        );
    }
}

#[test]
fn the_store_columns_decide_like_the_per_household_path() {
    let (_dir, mut store) = demo();
    assert_paths_agree(&store, "after the demo fill");

    // The profiles follow every change: an answer, and an edit that drops a member.
    let page = store
        .households(&HouseholdQuery { village_id: None, search: String::new(), limit: 300, offset: 0 })
        .unwrap();
    let now = Utc::now();
    for s in page.items.iter().take(40) {
        store
            .answer(
                &FactAnswer {
                    household_id: s.id,
                    member_id: None,
                    fact: "household.bpl_status".into(),
                    value: json!("bpl"),
                },
                now,
            )
            .unwrap();
    }
    let big = page.items.iter().find(|s| s.member_count >= 3).unwrap();
    let h = store.household(big.id).unwrap();
    let input = samanvaya_domain::HouseholdInput {
        id: Some(h.id),
        village_id: h.village_id,
        hamlet_id: h.hamlet_id,
        address: h.address.clone(),
        members: h.members[..h.members.len() - 1]
            .iter()
            .map(|p| samanvaya_domain::PersonInput {
                id: Some(p.id),
                name: p.name.clone(),
                relation: p.relation,
                sex: p.sex,
                birth: p
                    .birth_date
                    .map_or(samanvaya_domain::Birth::Unknown, |date| samanvaya_domain::Birth::Date { date }),
            })
            .collect(),
    };
    store.save_household(input, now).unwrap();
    assert_paths_agree(&store, "after answers and an edit");
}

#[test]
fn a_store_from_before_profiles_gets_them_on_open() {
    let (dir, store) = demo();
    store.connection().execute("DELETE FROM profile", []).unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let profiles: i64 =
        store.connection().query_row("SELECT count(*) FROM profile", [], |r| r.get(0)).unwrap();
    assert_eq!(profiles, 300);
    assert_paths_agree(&store, "after backfill");
}

#[test]
fn the_demo_village_speaks_the_vocabulary_and_shows_real_outcomes() {
    let (_dir, store) = demo();
    let cat = catalogue().unwrap();
    let conn = store.connection();
    let mut names = conn.prepare("SELECT DISTINCT name, value FROM fact").unwrap();
    for row in names.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).unwrap() {
        let (name, value) = row.unwrap();
        let id = cat
            .vocab
            .id(&name)
            .unwrap_or_else(|| panic!("the demo records {name}, which is not in the vocabulary"));
        let value: serde_json::Value = serde_json::from_str(&value).unwrap();
        samanvaya_rules::facts::parse_value(&cat.vocab.get(id).ty, &value)
            .unwrap_or_else(|e| panic!("the demo's {name} = {value} does not fit its type: {e}"));
    }
    let mut codes = conn.prepare("SELECT DISTINCT scheme_code FROM receiving").unwrap();
    for code in codes.query_map([], |r| r.get::<_, String>(0)).unwrap() {
        let code = code.unwrap();
        assert!(cat.scheme(&code).is_some(), "the demo receives {code}, which is not in the catalogue");
    }
    let village = store.village_eligibility("2026-11-23".parse().unwrap(), |_, _, _| {}).unwrap();
    let sum = |f: fn(&super::view::SchemeTally) -> u32| village.tallies.iter().map(f).sum::<u32>() as f64;
    let (eligible, receiving, undetermined, not) =
        (sum(|t| t.eligible), sum(|t| t.already_receiving), sum(|t| t.undetermined), sum(|t| t.not_eligible));
    let share = undetermined / (eligible + receiving + undetermined + not);
    assert!(
        (0.05..=0.30).contains(&share),
        "undetermined share {share:.2}: a first visit leaves some, not most, open"
    );
    assert!(eligible > 1000.0 && receiving > 500.0, "eligible {eligible}, receiving {receiving}");
}
