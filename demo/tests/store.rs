//! The demo village in a real store: deterministic, marked as a demo whose changes never travel,
//! speaking the vocabulary; answers change decisions, bad answers are refused without a trace,
//! and the village view from the profiles decides exactly like the per-household path.

use chrono::{NaiveDate, TimeZone, Utc};
use samanvaya_core::eligibility::FactAnswer;
use samanvaya_core::{ErrorCode, ErrorReply, HouseholdQuery, Moment, Role, Secret, Store, StoreError};
use samanvaya_domain::PersonId;
use samanvaya_eligibility::view::{self, OutcomeKind};
use serde_json::json;

fn demo() -> (tempfile::TempDir, Store) {
    let (dir, store, _code) = demo_with_code();
    (dir, store)
}

/// The demo store and its recovery code, with which more accounts are added.
fn demo_with_code() -> (tempfile::TempDir, Store, Secret) {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, code) = Store::create(dir.path(), "Test", &Secret::new("482916")).unwrap();
    samanvaya_demo::fill(&mut store, 1).unwrap();
    (dir, store, code)
}

/// The households of `page`, in its order, with a member whose name holds `text` in either
/// script: what a search for `text` must list, worked out from the names alone.
fn named(page: &samanvaya_core::HouseholdPage, text: &str) -> Vec<samanvaya_domain::HouseholdId> {
    use samanvaya_domain::name_key::name_key;
    let key = name_key(text);
    page.items
        .iter()
        .filter(|h| h.member_names.iter().any(|n| name_key(n).contains(&key)))
        .map(|h| h.id)
        .collect()
}

/// The register's first `limit` households, with no search, hamlet or filter.
fn first(limit: u32) -> HouseholdQuery {
    HouseholdQuery {
        village_id: None,
        search: String::new(),
        limit,
        offset: 0,
        hamlet_id: None,
        filter: None,
    }
}

/// How many facts the store holds: what a refused answer must leave alone.
fn fact_rows(store: &Store) -> i64 {
    store.connection().query_row("SELECT count(*) FROM fact", [], |r| r.get(0)).unwrap()
}

#[test]
fn the_demo_is_deterministic_realistic_and_fills_only_an_empty_store() {
    let (_a_dir, a) = demo();
    let (_b_dir, mut b) = demo();
    let dump = |s: &Store| -> Vec<(String, String, Option<String>)> {
        let mut q = s.connection().prepare("SELECT id, name, birth_date FROM person ORDER BY id").unwrap();
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    let persons = dump(&a);
    assert_eq!(persons, dump(&b));
    assert_eq!(a.household_count().unwrap(), 300);
    assert!((1_250..=1_550).contains(&persons.len()), "{} persons", persons.len());
    assert!(matches!(samanvaya_demo::fill(&mut b, 1), Err(StoreError::NotEmpty { households: 300 })));
}

#[test]
fn the_demo_store_has_nothing_that_would_travel_and_cannot_be_enrolled() {
    let (_dir, mut store) = demo();
    assert!(store.is_demo().unwrap());
    assert_eq!(store.queued_changes().unwrap(), 0, "demo households are never queued");
    let all: i64 = store.connection().query_row("SELECT count(*) FROM change_log", [], |r| r.get(0)).unwrap();
    assert_eq!(all, 0, "the demo writes no change at all");
    // Work done in the demo store does not travel either.
    let h = store.households(&first(1));
    let hid = h.unwrap().items[0].id;
    let answer = FactAnswer {
        household_id: hid,
        member_id: None,
        fact: "household.bpl_status".into(),
        value: json!("bpl"),
    };
    store.answer(&answer, store.now().unwrap()).unwrap();
    assert_eq!(store.queued_changes().unwrap(), 0);
    let reply = ErrorReply::from(store.check_enrollable().unwrap_err());
    assert_eq!(reply.code, ErrorCode::DemoStore);
    assert!(reply.detail.contains("demo"), "{}", reply.detail);
    // Nor can it be turned into a store waiting for the block office's village.
    assert!(matches!(store.wait_for_block_village(), Err(StoreError::DemoStore)));
    assert!(!store.waits_for_block_village().unwrap());
}

/// A store set up to receive its village from the block office says so, and keeps saying it
/// when opened again, so that the app never fills the demo village into it.
#[test]
fn a_store_set_up_for_the_block_village_remembers_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _code) = Store::create(dir.path(), "Test", &Secret::new("482916")).unwrap();
    assert!(!store.waits_for_block_village().unwrap());
    store.wait_for_block_village().unwrap();
    drop(store);
    let store = Store::unlock(dir.path(), None, &Secret::new("482916")).unwrap();
    assert!(store.waits_for_block_village().unwrap());
    assert!(store.check_enrollable().is_ok());
}

#[test]
fn an_answer_settles_the_questions_it_was_asked_for() {
    let (_dir, mut store) = demo();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let as_of = now.date_naive();
    let page = store.households(&first(300)).unwrap();
    // The first household whose top question is about a person.
    let (hid, before) = page
        .items
        .iter()
        .map(|h| (h.id, store.household_eligibility(h.id, as_of).unwrap()))
        .find(|(_, e)| e.questions.first().is_some_and(|q| q.member_id.is_some() && q.input.kind == "bool"))
        .expect("some household is asked a yes/no question about a member");
    let q = before.questions[0].clone();
    let after = store
        .answer(
            &FactAnswer {
                household_id: hid,
                member_id: q.member_id.as_ref().map(|m| m.parse::<PersonId>().unwrap()),
                fact: q.fact.clone(),
                value: json!(false),
            },
            Moment::in_india(now),
        )
        .unwrap();
    assert!(
        !after.questions.iter().any(|x| x.fact == q.fact && x.member_id == q.member_id),
        "{} is no longer asked of that member",
        q.fact
    );
    let undetermined = |e: &view::HouseholdEligibility| {
        e.findings.iter().filter(|f| f.outcome == OutcomeKind::Undetermined).count()
    };
    assert!(undetermined(&after) < undetermined(&before), "the answer decided something");
    assert!(
        undetermined(&before) - undetermined(&after) >= q.alone as usize,
        "at least the decisions waiting on this fact alone were settled"
    );
}

/// "Not known" is recorded as asked and unknown: the decisions stay as they were, the question
/// stays on the list but moves below the others and says it was asked, and a later real answer
/// takes its place.
#[test]
fn a_dont_know_answer_is_kept_and_moves_its_question_down() {
    let (_dir, mut store) = demo();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let as_of = now.date_naive();
    let page = store.households(&first(300)).unwrap();
    let (hid, before) = page
        .items
        .iter()
        .map(|h| (h.id, store.household_eligibility(h.id, as_of).unwrap()))
        .find(|(_, e)| e.questions.len() >= 3 && e.questions[0].fact != "person.date_of_birth")
        .expect("some household has several questions");
    let q = before.questions[0].clone();
    let answer = |value| FactAnswer {
        household_id: hid,
        member_id: q.member_id.as_ref().map(|m| m.parse::<PersonId>().unwrap()),
        fact: q.fact.clone(),
        value,
    };
    let after = store.answer(&answer(serde_json::Value::Null), Moment::in_india(now)).unwrap();
    assert_eq!(after.findings, before.findings, "not knowing decides nothing");
    let last = after.questions.last().unwrap();
    assert_eq!((&last.fact, &last.member_id, last.asked_unknown), (&q.fact, &q.member_id, true));
    assert_eq!(after.questions[0].fact, before.questions[1].fact, "the next question comes up");
    assert!(after.questions[..after.questions.len() - 1].iter().all(|x| !x.asked_unknown));
    let stored: String = store
        .connection()
        .query_row(
            "SELECT value FROM fact WHERE name = ?2
               AND (subject_id = ?1 OR subject_id IN (SELECT id FROM person WHERE household_id = ?1))",
            [hid.to_string(), q.fact.clone()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, "null", "the row says it was asked and not known");
    // The village view reads it as unknown, exactly as the per-household path does.
    assert_paths_agree(&store, "after a don't-know answer");
}

#[test]
fn a_wrong_answer_is_refused_and_nothing_is_written() {
    let (_dir, mut store) = demo();
    let page = store.households(&first(1)).unwrap();
    let hid = page.items[0].id;
    let h = store.household(hid).unwrap();
    let now = store.now().unwrap();
    let facts = fact_rows(&store);
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
    assert_eq!(fact_rows(&store), facts, "refused answers leave no trace");
}

#[test]
fn a_stated_age_answers_the_date_of_birth_question() {
    let (_dir, mut store) = demo();
    let page = store.households(&first(300)).unwrap();
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
            Moment::in_india(now),
        )
        .unwrap();
    let p = store.household(hid).unwrap().members.into_iter().find(|p| p.id == person).unwrap();
    assert!(p.birth_date_estimated);
    assert_eq!(p.age_on(now.date_naive()), Some(67));
}

/// The village view from the store's profiles (the fast path the app and the CLI use) equals the
/// one decided household by household from the fact rows, tallies and missing facts alike.
fn assert_paths_agree(store: &Store, when: &str) {
    let cat = samanvaya_eligibility::embedded().unwrap();
    let as_of: NaiveDate = "2026-11-23".parse().unwrap();
    let fast = store.village_eligibility(as_of, |_, _| {}).unwrap();
    let slow = view::village_one_by_one(cat, &store.every_household_facts().unwrap(), as_of, |_, _| {});
    assert_eq!((fast.households, fast.persons), (slow.households, slow.persons), "{when}");
    assert_eq!(fast.tallies.len(), slow.tallies.len());
    for (f, s) in fast.tallies.iter().zip(&slow.tallies) {
        assert_eq!(f, s, "{} {when}", s.scheme.code);
    }
    assert_eq!(fast.most_missing, slow.most_missing, "{when}");
}

#[test]
fn the_store_columns_decide_like_the_per_household_path() {
    let (dir, mut store, code) = demo_with_code();
    assert_paths_agree(&store, "after the demo fill");

    // The profiles follow every change: an answer, and an edit that drops a member.
    let page = store.households(&first(300)).unwrap();
    let now = store.now().unwrap();
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
    let mut input = h.as_input(now.today);
    input.members.pop();
    // Removing a saved member is a supervisor's decision: the facilitator is refused, and nothing
    // changes; a supervisor's account on the same laptop may.
    let refused = store.save_household(input.clone(), now).unwrap_err();
    assert!(matches!(refused, StoreError::NotAllowed { role: "facilitator", .. }), "{refused}");
    store.add_account(&code, "Supervisor", Role::Supervisor, &Secret::new("731946")).unwrap();
    let mut store = Store::unlock(dir.path(), Some("supervisor"), &Secret::new("731946")).unwrap();
    store.save_household(input, now).unwrap();
    assert_paths_agree(&store, "after answers and an edit");
}

/// A Samiti viewer reads everything and changes nothing, checked in the library, not the screen.
#[test]
fn a_samiti_viewer_reads_but_changes_nothing() {
    let (dir, store, code) = demo_with_code();
    store.add_account(&code, "Samiti", Role::SamitiViewer, &Secret::new("519372")).unwrap();
    assert!(matches!(
        store.add_account(
            &Secret::new("AAAA-BBBB-CCCC-DDDD-EEEE"),
            "Other",
            Role::Supervisor,
            &Secret::new("519373")
        ),
        Err(StoreError::WrongSecret { .. })
    ));
    drop(store);
    let mut viewer = Store::unlock(dir.path(), Some("samiti"), &Secret::new("519372")).unwrap();
    assert_eq!(viewer.who().role, Role::SamitiViewer);
    let now = viewer.now().unwrap();
    let h = viewer.households(&first(1)).unwrap().items[0].id;
    assert!(viewer.household_eligibility(h, now.today).is_ok(), "reads");
    assert!(viewer.worklist("NSAP_IGNOAPS", now.today, |_, _| {}).is_ok(), "the Samiti's worklist");
    let before = fact_rows(&viewer);
    let answer = FactAnswer {
        household_id: h,
        member_id: None,
        fact: "household.bpl_status".into(),
        value: json!("bpl"),
    };
    let e = viewer.answer(&answer, now).unwrap_err();
    assert_eq!(ErrorReply::from(e).code, ErrorCode::NotAllowed);
    let stored = viewer.household(h).unwrap();
    let edit = samanvaya_domain::HouseholdInput {
        id: Some(h),
        village_id: stored.village_id,
        hamlet_id: stored.hamlet_id,
        consent: None,
        address: "changed".into(),
        phone: String::new(),
        members: vec![],
    };
    assert!(matches!(viewer.save_household(edit, now), Err(StoreError::NotAllowed { .. })));
    assert!(matches!(viewer.backup(&dir.path().join("b.backup")), Err(StoreError::NotAllowed { .. })));
    assert!(
        matches!(viewer.read_audit(), Err(StoreError::NotAllowed { .. })),
        "the laptop's audit log is staff's"
    );
    assert_eq!(fact_rows(&viewer), before, "nothing was written");
}

#[test]
fn a_store_from_before_profiles_gets_them_on_open() {
    let (dir, store) = demo();
    store.connection().execute("DELETE FROM profile", []).unwrap();
    drop(store);
    let store = Store::open_or_create(dir.path(), "Test", &samanvaya_core::Secret::new("482916")).unwrap().0;
    let profiles: i64 =
        store.connection().query_row("SELECT count(*) FROM profile", [], |r| r.get(0)).unwrap();
    assert_eq!(profiles, 300);
    assert_paths_agree(&store, "after backfill");
}

#[test]
fn the_demo_village_speaks_the_vocabulary_and_shows_real_outcomes() {
    let (_dir, store) = demo();
    let cat = samanvaya_eligibility::embedded().unwrap();
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
    let village = store.village_eligibility("2026-11-23".parse().unwrap(), |_, _| {}).unwrap();
    let sum = |f: fn(&view::SchemeTally) -> u32| village.tallies.iter().map(f).sum::<u32>() as f64;
    let (eligible, receiving, undetermined, not) =
        (sum(|t| t.eligible), sum(|t| t.already_receiving), sum(|t| t.undetermined), sum(|t| t.not_eligible));
    let share = undetermined / (eligible + receiving + undetermined + not);
    assert!(
        (0.05..=0.30).contains(&share),
        "undetermined share {share:.2}: a first visit leaves some, not most, open"
    );
    assert!(eligible > 1000.0 && receiving > 500.0, "eligible {eligible}, receiving {receiving}");
    // The village is in Bihar: Delhi's schemes are not in its tally (issue 22).
    assert!(village.tallies.iter().all(|t| !t.scheme.code.starts_with("DL_")));
    assert!(village.tallies.iter().any(|t| t.scheme.code.starts_with("BR_")));
}

/// Every number of the village tally opens onto exactly the families behind it: for each scheme,
/// the worklist has one row per eligible subject (those counted under another pension of the
/// group included, and marked so) and one per undetermined subject with at least one question.
#[test]
fn each_tally_opens_onto_the_families_behind_it() {
    let (_dir, store) = demo();
    let as_of: NaiveDate = "2026-11-23".parse().unwrap();
    let village = store.village_eligibility(as_of, |_, _| {}).unwrap();
    let mut alternatives_seen = 0;
    for t in &village.tallies {
        let list = store.worklist(&t.scheme.code, as_of, |_, _| {}).unwrap();
        let eligible: Vec<_> = list.rows.iter().filter(|r| r.outcome == OutcomeKind::Eligible).collect();
        let undetermined: Vec<_> =
            list.rows.iter().filter(|r| r.outcome == OutcomeKind::Undetermined).collect();
        assert_eq!(eligible.len() + undetermined.len(), list.rows.len(), "{}", t.scheme.code);
        assert_eq!(eligible.len() as u32, t.eligible + t.alternative, "{}", t.scheme.code);
        assert_eq!(
            eligible.iter().filter(|r| r.counted_under.is_some()).count() as u32,
            t.alternative,
            "{}",
            t.scheme.code
        );
        alternatives_seen += t.alternative;
        assert_eq!(undetermined.len() as u32, t.undetermined, "{}", t.scheme.code);
        assert!(
            undetermined.iter().all(|r| !r.ask.is_empty()),
            "{}: an undetermined row says what to ask",
            t.scheme.code
        );
        // The eligible come first, and a person scheme names its member.
        let first_undetermined = list.rows.iter().position(|r| r.outcome == OutcomeKind::Undetermined);
        assert!(
            first_undetermined
                .is_none_or(|i| list.rows[i..].iter().all(|r| r.outcome == OutcomeKind::Undetermined))
        );
        if t.scheme.unit == "person" {
            assert!(list.rows.iter().all(|r| r.member_name.is_some()), "{}", t.scheme.code);
        }
    }
    assert!(alternatives_seen > 0, "the demo village has someone eligible for two pensions");

    // One hamlet's CSV holds that hamlet's rows only, with the header in the chosen language.
    let list = store.worklist("NSAP_IGNOAPS", as_of, |_, _| {}).unwrap();
    let hamlet = list.rows[0].hamlet_id.clone().unwrap();
    let csv =
        samanvaya_eligibility::worklist::csv(&list, samanvaya_eligibility::review::Lang::Hi, Some(&hamlet));
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("योजना,स्थिति"));
    assert_eq!(
        lines.len() - 1,
        list.rows.iter().filter(|r| r.hamlet_id.as_deref() == Some(hamlet.as_str())).count()
    );
    assert!(lines.len() > 1);

    let unknown = store.worklist("NO_SUCH", as_of, |_, _| {}).unwrap_err();
    assert!(matches!(unknown, StoreError::NotFound { what: "scheme", .. }));
}

/// The register's filters on the demo village: each lists exactly the households whose living
/// members' recorded facts say so, checked against the fact rows; a hamlet narrows the list and
/// the filters combine with a search.
#[test]
fn the_register_filters_list_exactly_the_households_they_name() {
    use samanvaya_core::RegisterFilter;
    let (_dir, store) = demo();
    let query = |filter: Option<RegisterFilter>, hamlet| HouseholdQuery {
        village_id: None,
        search: String::new(),
        limit: 1000,
        offset: 0,
        hamlet_id: hamlet,
        filter,
    };
    let all = store.households(&query(None, None)).unwrap();
    assert_eq!(all.total, 300);
    // The households the fact rows name, read in one statement: `fact` is a view that no
    // index serves, and a statement per household made this story take 20 seconds.
    let named = |sql: &str| -> std::collections::BTreeSet<String> {
        let mut statement = store.connection().prepare(sql).unwrap();
        statement.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    let living = "SELECT DISTINCT p.household_id FROM fact f, person p WHERE p.id = f.subject_id AND p.left_reason IS NULL";
    let cases: [(RegisterFilter, String); 4] = [
        (RegisterFilter::Pregnant, format!("{living} AND f.name = 'person.is_pregnant' AND f.value = 'true'")),
        (
            RegisterFilter::Widow,
            format!("{living} AND p.sex = 'female' AND f.name = 'person.marital_status' AND f.value = '\"widowed\"'"),
        ),
        (
            RegisterFilter::Disability,
            format!(
                "{living} AND ((f.name = 'person.has_disability' AND f.value = 'true') OR (f.name = 'person.disability_percent' AND f.value + 0 > 0))"
            ),
        ),
        (
            RegisterFilter::NoRationCard,
            "SELECT DISTINCT subject_id FROM fact WHERE name = 'household.ration_card_type' AND value = '\"none\"'".into(),
        ),
    ];
    for (filter, sql) in cases {
        let listed: std::collections::BTreeSet<String> = store
            .households(&query(Some(filter), None))
            .unwrap()
            .items
            .iter()
            .map(|h| h.id.to_string())
            .collect();
        let facts_say = named(&sql);
        let want: std::collections::BTreeSet<String> =
            all.items.iter().map(|h| h.id.to_string()).filter(|id| facts_say.contains(id)).collect();
        assert!(
            !want.is_empty() && want.len() < 300,
            "{filter:?}: the demo has some and not all ({})",
            want.len()
        );
        assert_eq!(listed, want, "{filter:?}");
    }
    // No survey was finished in the demo village: every household is "not surveyed".
    assert_eq!(store.households(&query(Some(RegisterFilter::NotSurveyed), None)).unwrap().total, 300);
    assert_eq!(store.households(&query(Some(RegisterFilter::SurveyOverAYearOld), None)).unwrap().total, 0);
    // Every demo family agreed at its visit; a family from a list has not yet.
    assert_eq!(store.households(&query(Some(RegisterFilter::NoConsent), None)).unwrap().total, 0);
    // A hamlet narrows the list to its own households; with a filter, to those of both.
    let hamlet = all.items[0].hamlet_id.expect("demo households have hamlets");
    let in_hamlet = store.households(&query(None, Some(hamlet))).unwrap();
    assert!(in_hamlet.total > 0 && in_hamlet.total < 300);
    assert!(in_hamlet.items.iter().all(|h| h.hamlet_id == Some(hamlet)));
    let both = store.households(&query(Some(RegisterFilter::Widow), Some(hamlet))).unwrap();
    assert!(both.items.iter().all(|h| h.hamlet_id == Some(hamlet)));
}

/// A new household whose member has the name and about the age of someone already recorded in
/// the village is a probable duplicate, whichever script the name is typed in; ten years apart
/// it is not, and an edit of a recorded household is never warned about.
#[test]
fn a_probable_duplicate_is_found_by_name_in_either_script_and_close_age() {
    use samanvaya_domain::{Birth, HouseholdInput, PersonInput, Relation, Sex};
    let (_dir, store) = demo();
    let today = store.now().unwrap().today;
    let first = store.households(&first(1)).unwrap().items[0].id;
    let h = store.household(first).unwrap();
    let head = &h.members[0];
    let years = head.age_on(today).expect("the demo head has an age");
    let typed = |name: &str, years: u32| HouseholdInput {
        id: None,
        village_id: h.village_id,
        hamlet_id: None,
        consent: Some(samanvaya_domain::ConsentInput { respondent: 0 }),
        address: String::new(),
        phone: String::new(),
        members: vec![PersonInput {
            id: None,
            name: name.into(),
            relation: Relation::Head,
            sex: Sex::Male,
            birth: Birth::Age { years },
            left: None,
        }],
    };
    let found = |input: &HouseholdInput| {
        store
            .possible_duplicates(input, today)
            .unwrap()
            .into_iter()
            .filter(|d| d.household_id == first)
            .collect::<Vec<_>>()
    };
    let same = found(&typed(&head.name, years + 2));
    assert_eq!(same.len(), 1, "{} at {} is found", head.name, years + 2);
    assert_eq!(
        (same[0].name.as_str(), same[0].number, same[0].age),
        (head.name.as_str(), h.number, Some(years))
    );
    assert!(found(&typed(&head.name, years + 10)).is_empty(), "ten years apart is someone else");
    // The first name alone, or the name in Latin letters, still finds him.
    let given = head.name.split_whitespace().next().unwrap();
    assert_eq!(found(&typed(given, years)).len(), 1, "{given} is part of {}", head.name);
    assert_eq!(found(&typed("Anil Yadav", years)).len(), usize::from(head.name == "अनिल यादव"));
    // Editing the recorded household warns of nothing.
    let mut edit = typed(&head.name, years);
    edit.id = Some(first);
    assert!(store.possible_duplicates(&edit, today).unwrap().is_empty());
}

/// The vulnerability profile over the demo village: every household is on the list once, the
/// order is most vulnerable first, the counts add up, each row agrees with the household's own
/// eligibility page, and an answer that a family has no house puts it among the most vulnerable
/// with that reason.
#[test]
fn the_village_is_listed_most_vulnerable_first_and_an_answer_moves_a_household() {
    use samanvaya_eligibility::vulnerability::VulnerabilityLevel as L;
    let (_dir, mut store) = demo();
    let as_of: NaiveDate = "2026-11-23".parse().unwrap();
    let list = store.vulnerability_list(as_of, |_, _| {}).unwrap();
    let households = store.household_count().unwrap() as usize;
    assert_eq!(list.rows.len(), households);
    let c = list.counts;
    assert_eq!((c.most_vulnerable + c.vulnerable + c.other + c.not_known) as usize, households);
    // The demo village holds every kind, or the screen and this test would prove little.
    assert!(c.most_vulnerable > 0 && c.vulnerable > 0 && c.not_known > 0, "{c:?}");
    let rank = |l: L| match l {
        L::MostVulnerable => 2,
        L::Vulnerable => 1,
        L::Other => 0,
    };
    for pair in list.rows.windows(2) {
        let key = |r: &samanvaya_eligibility::vulnerability::VulnerableHousehold| {
            (rank(r.profile.at_least), rank(r.profile.at_most))
        };
        assert!(key(&pair[0]) >= key(&pair[1]), "{} before {}", pair[0].head_name, pair[1].head_name);
    }
    for r in &list.rows {
        let p = &r.profile;
        assert_eq!(p.level.is_some(), p.at_least == p.at_most, "{}", r.head_name);
        assert_eq!(p.reasons.is_empty(), p.at_least == L::Other, "{}: reasons name what holds", r.head_name);
        assert_eq!(p.ask.is_empty(), p.level.is_some(), "{}: an open category says what to ask", r.head_name);
    }
    for r in list.rows.iter().step_by(37) {
        let page = store.household_eligibility(r.household_id.parse().unwrap(), as_of).unwrap();
        assert_eq!(page.vulnerability, r.profile, "{}", r.head_name);
    }

    // The last household of the list says it has no house: it moves to the top group.
    let last = list.rows.last().unwrap().clone();
    assert_ne!(last.profile.level, Some(L::MostVulnerable));
    let hid = last.household_id.parse().unwrap();
    let page = store
        .answer(
            &FactAnswer {
                household_id: hid,
                member_id: None,
                fact: "household.house_type".into(),
                value: json!("homeless"),
            },
            Moment::in_india(Utc.with_ymd_and_hms(2026, 11, 23, 6, 0, 0).unwrap()),
        )
        .unwrap();
    assert_eq!(page.vulnerability.level, Some(L::MostVulnerable));
    assert_eq!(page.vulnerability.reasons[0].hi, "रहने को घर नहीं");
    let after = store.vulnerability_list(as_of, |_, _| {}).unwrap();
    let at = after.rows.iter().position(|r| r.household_id == last.household_id).unwrap();
    assert!(after.rows[..=at].iter().all(|r| r.profile.level == Some(L::MostVulnerable)));
    assert_eq!(after.counts.most_vulnerable, list.counts.most_vulnerable + 1);
}

/// The register's search on the demo village, checked against the members' names one by one:
/// a name in either script finds exactly the households with a member whose name holds it, a
/// number finds that household alone, the count is right on every page and past the last one,
/// and a search combines with a hamlet and a filter.
#[test]
fn the_register_search_finds_exactly_the_households_named_and_counts_them_on_every_page() {
    use samanvaya_core::RegisterFilter;
    let (_dir, store) = demo();
    let query = |search: &str, limit: u32, offset: u32| HouseholdQuery {
        village_id: None,
        search: search.into(),
        limit,
        offset,
        hamlet_id: None,
        filter: None,
    };
    let all = store.households(&query("", 1000, 0)).unwrap();
    assert_eq!(all.total as usize, all.items.len());
    for (search, script) in
        [("देवी", "Devanagari"), ("devi", "Latin"), ("सुनीता", "Devanagari"), ("sunita", "Latin")]
    {
        let want = named(&all, search);
        assert!(!want.is_empty(), "the demo village has a {search}");
        let found = store.households(&query(search, 1000, 0)).unwrap();
        assert_eq!(found.items.iter().map(|h| h.id).collect::<Vec<_>>(), want, "{search} ({script})");
        assert_eq!(found.total as usize, want.len());
        // Paged by ten, every page says the same total, and past the end too.
        let page = store.households(&query(search, 10, 10)).unwrap();
        assert_eq!(page.total as usize, want.len());
        assert_eq!(
            page.items.iter().map(|h| h.id).collect::<Vec<_>>(),
            want.iter().skip(10).take(10).copied().collect::<Vec<_>>()
        );
        let past = store.households(&query(search, 10, 5000)).unwrap();
        assert_eq!((past.total as usize, past.items.len()), (want.len(), 0));
    }
    let one = store.households(&query("115", 50, 0)).unwrap();
    assert_eq!(one.total, 1);
    assert_eq!(one.items[0].number, Some(115));
    // With a hamlet and a filter: the households of both that the search names.
    let hamlet = all.items.iter().find_map(|h| h.hamlet_id).unwrap();
    let mut narrowed = query("devi", 1000, 0);
    narrowed.hamlet_id = Some(hamlet);
    narrowed.filter = Some(RegisterFilter::Widow);
    let both = store.households(&narrowed).unwrap();
    let mut widows = query("", 1000, 0);
    widows.hamlet_id = Some(hamlet);
    widows.filter = Some(RegisterFilter::Widow);
    let widows = store.households(&widows).unwrap();
    let want = named(&widows, "devi");
    assert!(!want.is_empty());
    assert_eq!(both.items.iter().map(|h| h.id).collect::<Vec<_>>(), want);
    assert_eq!(both.total as usize, want.len());
}

/// A member of a new household, as the household form sends one.
fn new_member(name: &str) -> samanvaya_domain::PersonInput {
    samanvaya_domain::PersonInput {
        id: None,
        name: name.into(),
        relation: samanvaya_domain::Relation::Head,
        sex: samanvaya_domain::Sex::Female,
        birth: samanvaya_domain::Birth::Age { years: 38 },
        left: None,
    }
}

/// A new household of `village` with the one member `head`.
fn household_of(
    village: samanvaya_domain::LocationId,
    head: samanvaya_domain::PersonInput,
) -> samanvaya_domain::HouseholdInput {
    samanvaya_domain::HouseholdInput {
        id: None,
        village_id: village,
        hamlet_id: None,
        consent: Some(samanvaya_domain::ConsentInput { respondent: 0 }),
        address: String::new(),
        phone: String::new(),
        members: vec![head],
    }
}

/// The register's name search answers from a copy of the name keys kept in memory
/// (`core/src/name_search.rs`); this checks the copy follows every write that changes what a
/// search finds, made on the same connection or on another (as sync writes beside the window),
/// and that a search within a hamlet lists exactly the hamlet's households it names.
#[test]
fn the_register_search_follows_every_write_from_any_connection() {
    use samanvaya_domain::name_key::name_key;
    let (_dir, mut store) = demo();
    let search = |store: &Store, text: &str| {
        let mut q = first(1000);
        q.search = text.into();
        let page = store.households(&q).unwrap();
        assert_eq!(page.total as usize, page.items.len(), "{text}");
        page.items.iter().map(|h| h.id).collect::<Vec<_>>()
    };
    // Searched once so that the copy is read before the writes below.
    assert!(search(&store, "ज़ेबुन्निसा").is_empty());
    let all = store.households(&first(1000)).unwrap();
    let target = store.household(all.items[7].id).unwrap();
    let old_head = target.members[0].name.clone();
    let today = store.now().unwrap().today;
    let renamed = |h: &samanvaya_domain::Household, to: &str| {
        let mut input = h.as_input(today);
        input.members[0].name = to.into();
        input
    };
    let now = store.now().unwrap();
    store.save_household(renamed(&target, "ज़ेबुन्निसा"), now).unwrap();
    assert_eq!(search(&store, "ज़ेबुन्निसा"), vec![target.id]);
    assert_eq!(search(&store, "zebunnisa"), vec![target.id], "Latin finds the new Devanagari name");
    let old_key = name_key(&old_head);
    let still_old = |h: &samanvaya_core::HouseholdPage| {
        h.items
            .iter()
            .any(|s| s.id == target.id && s.member_names.iter().any(|n| name_key(n).contains(&old_key)))
    };
    let mut q = first(1000);
    q.search = old_head.clone();
    assert!(!still_old(&store.households(&q).unwrap()), "the old name no longer finds it");

    // A write through a second connection to the same store is seen by the first's next search.
    let mut other = store.second_connection().unwrap();
    let moved = store.household(target.id).unwrap();
    other.save_household(renamed(&moved, "Qamrunnisa"), now).unwrap();
    assert_eq!(search(&store, "क़मरुन्निसा"), vec![target.id]);
    assert!(search(&store, "ज़ेबुन्निसा").is_empty());

    // A new household takes its place in the register's order, and every search still lists
    // exactly what the register (read by SQL, with no search) says, in its order.
    let village = store.villages().unwrap()[0].id;
    let head = new_member("सुनीता देवी बाला");
    let added = store.save_household(household_of(village, head), now).unwrap();
    let agrees = |store: &Store, what: &str| {
        let register = store.households(&first(1000)).unwrap();
        for text in ["devi", "सुनीता", "बाला", "qamrunnisa"] {
            let want = named(&register, text);
            assert_eq!(search(store, text), want, "{text} {what}");
        }
    };
    assert!(search(&store, "बाला").contains(&added.id));
    agrees(&store, "after a household was added");
    // When the log of touched households has dropped a touch the copy has not seen, the copy is
    // read again whole: a rename, then 25,000 touches of no household after it (as many writes
    // would leave), which push the rename's touch out of the log.
    other.save_household(renamed(&store.household(target.id).unwrap(), "ज़ेबुन्निसा"), now).unwrap();
    other
        .connection()
        .execute_batch(
            "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 25000)
             INSERT INTO register_touch (household_id) SELECT 'none' FROM k",
        )
        .unwrap();
    let target_touches: i64 = store
        .connection()
        .query_row(
            "SELECT count(*) FROM register_touch WHERE household_id = ?1",
            [target.id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(target_touches, 0, "the rename's touch was dropped from the log");
    assert_eq!(search(&store, "ज़ेबुन्निसा"), vec![target.id]);
    agrees(&store, "after the log was cut short");

    // Within one hamlet, with no other filter: the hamlet's households whose members' names hold
    // the key, in the register's order.
    let hamlet = all.items.iter().find_map(|h| h.hamlet_id).unwrap();
    let mut of_hamlet = first(1000);
    of_hamlet.hamlet_id = Some(hamlet);
    let of_hamlet = store.households(&of_hamlet).unwrap();
    let want = named(&of_hamlet, "devi");
    assert!(!want.is_empty());
    let mut q = first(1000);
    q.search = "devi".into();
    q.hamlet_id = Some(hamlet);
    let found = store.households(&q).unwrap();
    assert_eq!(found.items.iter().map(|h| h.id).collect::<Vec<_>>(), want);
    assert_eq!(found.total as usize, want.len());
}

/// What a Samiti viewer is shown of the vocabulary's sensitive facts: the same decisions and
/// explanations as a facilitator, with the value of every sensitive fact (caste, disability,
/// income…) replaced by "छिपा है", and a vulnerability reason that would tell one kept private.
#[test]
fn a_samiti_viewer_sees_the_decisions_but_not_the_sensitive_values() {
    let (dir, store, code) = demo_with_code();
    store.add_account(&code, "Samiti", Role::SamitiViewer, &Secret::new("519372")).unwrap();
    let viewer = Store::unlock(dir.path(), Some("samiti"), &Secret::new("519372")).unwrap();
    let as_of: NaiveDate = "2026-11-23".parse().unwrap();
    let cat = samanvaya_eligibility::embedded().unwrap();
    let labels: Vec<String> =
        cat.vocab.facts().iter().filter(|d| d.sensitive).flat_map(|d| [d.hi.clone(), d.en.clone()]).collect();
    let all = store.households(&first(60)).unwrap();
    let (mut hidden, mut private) = (0, 0);
    for h in &all.items {
        let staff = store.household_eligibility(h.id, as_of).unwrap();
        let seen = viewer.household_eligibility(h.id, as_of).unwrap();
        assert_eq!(staff.findings.len(), seen.findings.len());
        for (a, b) in staff.findings.iter().zip(&seen.findings) {
            assert_eq!((&a.scheme, a.outcome), (&b.scheme, b.outcome), "the same decisions");
            for (x, y) in a.checks.iter().zip(&b.checks) {
                for (full, shown, word) in
                    [(&x.sentence.hi, &y.sentence.hi, "छिपा है"), (&x.sentence.en, &y.sentence.en, "hidden")]
                {
                    if full != shown {
                        hidden += 1;
                        assert!(shown.contains(word), "{shown}");
                    }
                    // Every sensitive label in what the viewer reads is followed by the word.
                    for label in &labels {
                        for (at, _) in shown.match_indices(&format!("{label}: ")) {
                            let rest = &shown[at + label.len() + 2..];
                            assert!(rest.starts_with(word), "{label} shown in {shown}");
                        }
                    }
                }
            }
        }
        let kept = seen.vulnerability.reasons.iter().filter(|r| r.hi == "एक निजी कारण").count();
        private += kept;
        assert_eq!(staff.vulnerability.reasons.len(), seen.vulnerability.reasons.len());
        assert_eq!(staff.vulnerability.level, seen.vulnerability.level, "the same category");
    }
    assert!(hidden > 0, "the demo village's explanations show some caste or income");
    assert!(private > 0, "some household is vulnerable for a disability");
}

/// The household page's profile on the demo village: every fact recorded of a member who lives
/// there is listed in words under her name (and an age worked out from her birth), the
/// household's under the household; a Samiti viewer gets the same list without the sensitive
/// facts, and is told how many were left out.
#[test]
fn the_profile_lists_what_is_recorded_of_each_member_and_hides_the_sensitive_from_the_samiti() {
    let (dir, store, code) = demo_with_code();
    store.add_account(&code, "Samiti", Role::SamitiViewer, &Secret::new("519372")).unwrap();
    let viewer = Store::unlock(dir.path(), Some("samiti"), &Secret::new("519372")).unwrap();
    let as_of: NaiveDate = "2026-11-23".parse().unwrap();
    let cat = samanvaya_eligibility::embedded().unwrap();
    let all = store.households(&first(40)).unwrap();
    let mut hidden_seen = 0;
    for summary in &all.items {
        let h = store.household(summary.id).unwrap().present();
        let staff = store.household_profile(h.id, as_of).unwrap();
        assert_eq!(staff.hidden, 0);
        assert_eq!(staff.members.len(), h.members.len());
        for (m, p) in h.members.iter().zip(&staff.members) {
            assert_eq!(p.name, m.name);
            let listed: Vec<&str> = p.facts.iter().map(|f| f.fact.as_str()).collect();
            if m.birth_date.is_some() {
                assert!(listed.contains(&"person.age_years"), "{}: her age", m.name);
            }
            let recorded: Vec<String> = store
                .connection()
                .prepare("SELECT name FROM fact WHERE subject_id = ?1 AND value <> 'null'")
                .unwrap()
                .query_map([m.id.to_string()], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            for name in recorded.iter().filter(|n| cat.vocab.id(n).is_some()) {
                assert!(listed.contains(&name.as_str()), "{}: {name} is recorded but not listed", m.name);
            }
        }
        let seen = viewer.household_profile(h.id, as_of).unwrap();
        let sensitive = |f: &samanvaya_eligibility::known::KnownFact| {
            cat.vocab.id(&f.fact).is_some_and(|id| cat.vocab.is_sensitive(id))
        };
        let staff_sensitive = staff
            .household
            .iter()
            .chain(staff.members.iter().flat_map(|m| &m.facts))
            .filter(|f| sensitive(f))
            .count();
        assert_eq!(seen.hidden as usize, staff_sensitive);
        assert!(
            seen.household.iter().chain(seen.members.iter().flat_map(|m| &m.facts)).all(|f| !sensitive(f))
        );
        hidden_seen += seen.hidden;
    }
    assert!(hidden_seen > 0, "the demo village records some caste or income");
    // Each showing to staff is a reveal in the audit log; the viewer's, which hide them, are not.
    let reveals = |s: &Store| -> i64 {
        s.connection()
            .query_row("SELECT count(*) FROM audit a JOIN audit_name x ON x.id = a.action WHERE x.text = 'reveal:household'", [], |r| r.get(0))
            .unwrap()
    };
    let staff_reveals = reveals(&store);
    assert!(staff_reveals > 0 && staff_reveals <= all.items.len() as i64, "{staff_reveals}");
    viewer.household_profile(all.items[0].id, as_of).unwrap();
    assert_eq!(reveals(&store), staff_reveals);
    // The eligibility page's explanations too: a household whose explanations show a recorded
    // caste or income to staff is logged once per showing, with how many values; the viewer's
    // page, which hides them, is not.
    let page_reveals = |s: &Store| -> i64 {
        s.connection()
            .query_row("SELECT count(*) FROM audit a JOIN audit_name x ON x.id = a.action WHERE x.text = 'reveal:eligibility'", [], |r| r.get(0))
            .unwrap()
    };
    let before = page_reveals(&store);
    let mut shown_by_staff = 0;
    for summary in &all.items {
        let page = store.household_eligibility(summary.id, as_of).unwrap();
        if page.sensitive_shown > 0 {
            shown_by_staff += 1;
        }
        assert_eq!(viewer.household_eligibility(summary.id, as_of).unwrap().sensitive_shown, 0);
    }
    assert!(shown_by_staff > 0, "some explanation shows a recorded caste or income");
    assert_eq!(page_reveals(&store) - before, shown_by_staff, "one reveal per page shown to staff");
    // Nor may she list who has a disability, or who is pregnant.
    for filter in [samanvaya_core::RegisterFilter::Disability, samanvaya_core::RegisterFilter::Pregnant] {
        let mut query = first(10);
        query.filter = Some(filter);
        assert!(matches!(viewer.households(&query), Err(StoreError::NotAllowed { .. })), "{filter:?}");
        assert!(store.households(&query).is_ok());
    }
}
