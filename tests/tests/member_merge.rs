//! Two records of one person in a household made one (issue 20, a supervisor's correction): the
//! same woman entered twice, once with her stated age and once with her date of birth and other
//! answers. Only a supervisor may; the kept record takes what it did not know (facts, a scheme
//! received, the date of birth, the family's consent given through the other record), keeps what
//! it knew, and the other record goes. Everything queued to travel is of kinds every server
//! applies already. A record with referrals, or a household being surveyed, is refused with
//! nothing changed.

use samanvaya_core::eligibility::FactAnswer;
use samanvaya_core::referral::NewReferral;
use samanvaya_core::{MergeRefusal, PulledFrom, Role, Secret, Store, StoreError};
use samanvaya_domain::change::{ChangeBody, ReceivingChange, Source};
use samanvaya_domain::referral::Need;
use samanvaya_domain::{Birth, Hlc, Household, PersonId, Relation, Sex};
use samanvaya_tests::{facts_of, member};

const SUPERVISOR_PIN: &str = "739152";

/// A new store serving the test village, with its facilitator ("facilitator", the tests' PIN)
/// and a supervisor ("Rekha").
fn laptop_with_a_supervisor() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, code) =
        Store::create(dir.path(), "facilitator", &Secret::new(samanvaya_tests::TEST_PIN)).unwrap();
    store.add_account(&code, "Rekha", Role::Supervisor, &Secret::new(SUPERVISOR_PIN)).unwrap();
    samanvaya_tests::serve_a_village(&mut store).unwrap();
    (dir, store)
}

/// A household whose head was recorded twice: "बसंती देवी" with her stated age (the record
/// kept) and "बसन्ती देवी" with her date of birth, through whom the family gave its consent,
/// saved by the facilitator in `store`.
fn record_twice(store: &mut Store) -> Household {
    let village = store.villages().unwrap()[0].id;
    let mut input = samanvaya_tests::new_household(
        village,
        vec![
            member("बसंती देवी", Relation::Head, Sex::Female, Birth::Age { years: 47 }),
            member(
                "बसन्ती देवी",
                Relation::OtherRelative,
                Sex::Female,
                Birth::Date { date: "1979-03-01".parse().unwrap() },
            ),
            member("गुड़िया कुमारी", Relation::Daughter, Sex::Female, Birth::Age { years: 12 }),
        ],
    );
    input.consent = Some(samanvaya_domain::ConsentInput { respondent: 1 });
    let h = store.save_household(input, store.now().unwrap()).unwrap();
    let (kept, other) = (h.members[0].id, h.members[1].id);
    let now = store.now().unwrap();
    let answer = |who: PersonId, fact: &str, value: serde_json::Value| FactAnswer {
        household_id: h.id,
        member_id: Some(who),
        fact: fact.into(),
        value,
    };
    for a in [
        answer(kept, "person.caste_category", serde_json::json!("sc")),
        answer(kept, "person.has_bank_account", serde_json::Value::Null),
        answer(other, "person.caste_category", serde_json::json!("obc")),
        answer(other, "person.marital_status", serde_json::json!("widowed")),
        answer(other, "person.has_bank_account", serde_json::json!(true)),
        answer(other, "person.has_aadhaar", serde_json::Value::Null),
    ] {
        store.answer(&a, now).unwrap();
    }
    // A scheme she receives, known of the other record only (as a block's change brings it).
    let block = uuid::Uuid::now_v7();
    let receiving = ChangeBody::Receiving(ReceivingChange {
        household_id: h.id,
        subject_id: other.to_string(),
        scheme: "NSAP_IGNWPS".into(),
        receiving: true,
        source: Source::Document,
    });
    let hlc = Hlc { wall_ms: now.utc.timestamp_millis(), counter: 0, node: block };
    let from = PulledFrom { server: "block:bodh-gaya", server_seq: 1, device: block, device_seq: 1 };
    store.apply_pulled(from, &samanvaya_domain::change::Change::new(hlc, receiving), now).unwrap();
    store.household(h.id).unwrap()
}

fn twice_recorded() -> (tempfile::TempDir, Store, Household) {
    let (dir, mut store) = laptop_with_a_supervisor();
    let h = record_twice(&mut store);
    (dir, store, h)
}

/// The schemes `who` is recorded as receiving.
fn receiving_of(store: &Store, who: PersonId) -> Vec<String> {
    store
        .connection()
        .prepare("SELECT scheme_code FROM receiving_row WHERE subject IN (unhex(replace(?1, '-', '')), ?1)")
        .unwrap()
        .query_map([who.to_string()], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_supervisor_makes_two_records_of_one_woman_one_and_the_kept_record_learns_what_it_lacked() {
    let (dir, mut store, h) = twice_recorded();
    let (kept, other) = (h.members[0].id, h.members[1].id);
    let at = store.now().unwrap();
    // A facilitator may not: it deletes a record.
    let refused = store.merge_member(h.id, kept, other, at).unwrap_err();
    assert!(matches!(refused, StoreError::NotAllowed { .. }), "{refused}");
    assert_eq!(store.household(h.id).unwrap(), h, "nothing changed");
    drop(store);

    let mut store = Store::unlock(dir.path(), Some("Rekha"), &Secret::new(SUPERVISOR_PIN)).unwrap();
    let queued = store.queued_changes().unwrap();
    let same = store.merge_member(h.id, kept, kept, at).unwrap_err();
    assert!(matches!(same, StoreError::MergeRefused(MergeRefusal::SameRecord)), "{same}");
    let merged = store.merge_member(h.id, kept, other, at).unwrap();
    assert_eq!(
        (merged.facts, merged.benefits),
        (3, 1),
        "the widowhood, the bank account and the Aadhaar asked and not known; the pension"
    );

    let now = store.household(h.id).unwrap();
    assert_eq!(now, merged.household);
    assert_eq!(now.members.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["बसंती देवी", "गुड़िया कुमारी"]);
    let basanti = &now.members[0];
    assert_eq!(basanti.relation, Relation::Head);
    assert_eq!(basanti.birth_date, Some("1979-03-01".parse().unwrap()), "the date itself over a stated age");
    assert!(!basanti.birth_date_estimated);
    assert_eq!(now.consent.as_ref().unwrap().respondent, Some(kept), "she gave the family's consent");
    assert_eq!(
        facts_of(&store, kept),
        [
            ("person.caste_category".into(), "\"sc\"".into()),
            ("person.has_aadhaar".into(), "null".into()),
            ("person.has_bank_account".into(), "true".into()),
            ("person.marital_status".into(), "\"widowed\"".into()),
        ],
        "her own answer kept, a \"not known\" filled, the rest taken"
    );
    assert!(facts_of(&store, other).is_empty(), "nothing left of the record removed");
    assert!(receiving_of(&store, other).is_empty());
    assert_eq!(receiving_of(&store, kept), ["NSAP_IGNWPS"]);

    // What travels: the kept record's new facts and benefit, its date of birth and place, the
    // family's consent through her, and the record removed, all of kinds servers apply.
    let bodies: Vec<ChangeBody> = store
        .queued_after(0, 1_000)
        .unwrap()
        .into_iter()
        .skip(queued as usize)
        .map(|q| q.change.body)
        .collect();
    let kinds: Vec<&str> = bodies.iter().map(ChangeBody::kind).collect();
    // The three taken, and her own caste written again with the merge's clock: the other
    // record's answer, the later one, must not win where the merge arrives.
    assert_eq!(kinds.iter().filter(|k| **k == "fact").count(), 4, "{kinds:?}");
    assert!(bodies.iter().any(|b| matches!(b, ChangeBody::Fact(f)
        if f.name == "person.caste_category" && f.value == Some(serde_json::json!("sc")))));
    assert_eq!(kinds.iter().filter(|k| **k == "receiving").count(), 1, "{kinds:?}");
    assert!(bodies.iter().any(|b| matches!(b, ChangeBody::MemberRemoved(r) if r.id == other)), "{kinds:?}");
    assert!(
        bodies.iter().any(|b| matches!(b, ChangeBody::Household(_))),
        "the consent's respondent: {kinds:?}"
    );
    for b in &bodies {
        if let ChangeBody::Fact(f) = b {
            assert_eq!(f.subject_id, kept.to_string(), "{f:?}");
        }
    }
}

#[test]
fn a_record_with_referrals_or_a_household_being_surveyed_is_not_merged() {
    let (dir, mut store, h) = twice_recorded();
    let (kept, other) = (h.members[0].id, h.members[1].id);
    let at = store.now().unwrap();
    let referral = NewReferral {
        household_id: h.id,
        member_id: Some(other),
        need: Need::Scheme { code: "NSAP_IGNWPS".into() },
        documents: vec![],
        notes: String::new(),
    };
    let opened = store.open_referral(&referral, at).unwrap();
    drop(store);
    let mut store = Store::unlock(dir.path(), Some("Rekha"), &Secret::new(SUPERVISOR_PIN)).unwrap();
    let queued = store.queued_changes().unwrap();
    let refused = store.merge_member(h.id, kept, other, at).unwrap_err();
    match &refused {
        StoreError::MergeRefused(MergeRefusal::Referrals(numbers)) => {
            assert_eq!(numbers, std::slice::from_ref(&opened.summary.number))
        }
        other => panic!("{other}"),
    }
    assert!(refused.to_string().contains(&opened.summary.number), "{refused}");
    assert_eq!(store.household(h.id).unwrap(), h, "nothing changed");
    assert_eq!(store.queued_changes().unwrap(), queued, "nothing queued");

    // Kept the other way round, the record with the referral stays; but a survey in progress
    // holds both records in its roster.
    store.start_survey(h.id, at).unwrap();
    let refused = store.merge_member(h.id, other, kept, at).unwrap_err();
    assert!(matches!(refused, StoreError::MergeRefused(MergeRefusal::SurveyInProgress)), "{refused}");
    assert_eq!(store.household(h.id).unwrap(), h);
}

/// When the record that goes is the head's, the record kept becomes the head's and takes the
/// head's place, first in the household, so the household passes its own checks at its next
/// save; a kept record that says she left the household is refused instead.
#[test]
fn when_the_heads_record_goes_the_kept_record_becomes_the_head_first_in_the_household() {
    let (dir, store, h) = twice_recorded();
    let (head, second) = (h.members[0].id, h.members[1].id);
    drop(store);
    let mut store = Store::unlock(dir.path(), Some("Rekha"), &Secret::new(SUPERVISOR_PIN)).unwrap();
    let at = store.now().unwrap();
    let merged = store.merge_member(h.id, second, head, at).unwrap();
    let now = merged.household;
    assert_eq!(
        now.members.iter().map(|p| (p.name.as_str(), p.relation)).collect::<Vec<_>>(),
        [("बसन्ती देवी", Relation::Head), ("गुड़िया कुमारी", Relation::Daughter)]
    );
    assert_eq!(now.members[0].id, second);
    let kept = facts_of(&store, second);
    assert!(
        kept.contains(&("person.marital_status".into(), "\"widowed\"".into())),
        "her own answers stay: {kept:?}"
    );
    assert!(kept.contains(&("person.caste_category".into(), "\"obc\"".into())), "{kept:?}");
    // The next save of the household (a new address) passes the household's checks.
    let mut input = now.as_input(at.today);
    input.address = "वार्ड 9".into();
    store.save_household(input, at).unwrap();

    // A record that says she left cannot become the head's.
    let (dir, mut store, h) = twice_recorded();
    let at = store.now().unwrap();
    let mut input = h.as_input(at.today);
    input.members[1].left = Some(samanvaya_domain::Departure {
        reason: samanvaya_domain::LeftReason::MovedAway,
        on: "2026-06-01".parse().unwrap(),
    });
    let h = store.save_household(input, at).unwrap();
    drop(store);
    let mut store = Store::unlock(dir.path(), Some("Rekha"), &Secret::new(SUPERVISOR_PIN)).unwrap();
    let refused = store.merge_member(h.id, h.members[1].id, h.members[0].id, at).unwrap_err();
    assert!(matches!(refused, StoreError::MergeRefused(MergeRefusal::HeadLeft)), "{refused}");
    assert_eq!(store.household(h.id).unwrap(), h, "nothing changed");
}

/// The merge over the real binaries: the twice-recorded household reaches a real block on
/// 127.0.0.1, a supervisor merges the two records on the laptop, and after the next sync the
/// block holds one record of her, with the facts the kept record took, and the other record
/// removed; a second laptop of the village that pulls it ends with the same one record.
#[test]
fn the_merge_reaches_the_block_and_the_villages_other_laptop_as_one_record() {
    use std::process::Command;
    let (dir, store) = laptop_with_a_supervisor();
    drop(store);
    let block_dir = tempfile::tempdir().unwrap();
    let block =
        samanvaya_tests::start_server(&["--role", "block", "--data-dir", block_dir.path().to_str().unwrap()]);
    let server = |args: &[&str]| block_command(block_dir.path(), args);
    let as_account = |account: &str, pin: &str, data: &std::path::Path, args: &[&str]| {
        let mut cmd = Command::new(samanvaya_tests::binary("samanvaya"));
        cmd.args(args)
            .env("SAMANVAYA_PIN", pin)
            .env("SAMANVAYA_ACCOUNT", account)
            .env("SAMANVAYA_DATA_DIR", data);
        samanvaya_tests::run_logged("samanvaya", &mut cmd)
    };
    let laptop = |data: &std::path::Path, args: &[&str]| {
        let out = as_account("facilitator", samanvaya_tests::TEST_PIN, data, args);
        assert!(out.status.success(), "{out:?}");
    };
    let code = server(&["enroll-code", "--village", "Bakraur"]);
    laptop(dir.path(), &["enroll", &block.url, code.trim()]);
    let h = {
        let mut store =
            Store::unlock(dir.path(), Some("facilitator"), &Secret::new(samanvaya_tests::TEST_PIN)).unwrap();
        record_twice(&mut store)
    };
    laptop(dir.path(), &["sync", "--timeout", "20"]);
    let (kept, other) = (h.members[0].id, h.members[1].id);
    let members_at_block = || -> Vec<(String, i64)> {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.prepare("SELECT id, removed FROM member WHERE household_id = ?1 ORDER BY position")
            .unwrap()
            .query_map([h.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(members_at_block().iter().filter(|(_, removed)| *removed == 0).count(), 3);

    // With the CLI: refused to the facilitator, done for the supervisor.
    let number = h.number.expect("a household number from the block's lease").to_string();
    let merge = ["households", "merge-members", "--household", &number, "--keep", "1", "--remove", "2"];
    let refused = as_account("facilitator", samanvaya_tests::TEST_PIN, dir.path(), &merge);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("may not merge two records of a person"),
        "{refused:?}"
    );
    let done = as_account("Rekha", SUPERVISOR_PIN, dir.path(), &merge);
    assert!(done.status.success(), "{done:?}");
    let said = String::from_utf8_lossy(&done.stdout);
    assert!(said.contains("are one record now, member 1: it took 3 fact(s) and 1 scheme(s)"), "{said}");
    assert!(!said.contains("बसंती"), "no name is printed: {said}");
    let beyond = as_account(
        "Rekha",
        SUPERVISOR_PIN,
        dir.path(),
        &["households", "merge-members", "--household", &number, "--keep", "1", "--remove", "7"],
    );
    assert!(
        String::from_utf8_lossy(&beyond.stderr).contains("give each member's place from 1 to 2"),
        "{beyond:?}"
    );
    laptop(dir.path(), &["sync", "--timeout", "20"]);
    let present: Vec<String> =
        members_at_block().into_iter().filter(|(_, removed)| *removed == 0).map(|(id, _)| id).collect();
    assert_eq!(present.len(), 2, "one record of her at the block");
    assert!(present.contains(&kept.to_string()) && !present.contains(&other.to_string()));
    let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
    let fact = |name: &str| -> Option<String> {
        conn.query_row(
            "SELECT value FROM fact WHERE subject_id = ?1 AND name = ?2",
            [kept.to_string(), name.to_owned()],
            |r| r.get(0),
        )
        .ok()
    };
    assert_eq!(fact("person.marital_status").as_deref(), Some("\"widowed\""));
    assert_eq!(fact("person.has_bank_account").as_deref(), Some("true"));
    assert_eq!(fact("person.caste_category").as_deref(), Some("\"sc\""), "her own answer stays");
    let receives: i64 = conn
        .query_row(
            "SELECT count(*) FROM receiving WHERE subject_id = ?1 AND scheme = 'NSAP_IGNWPS' AND receiving = 1",
            [kept.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(receives, 1);

    // The village's second laptop pulls the household as it is now.
    let second = tempfile::tempdir().unwrap();
    {
        let mut store = samanvaya_tests::open(second.path()).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
    }
    let code = server(&["enroll-code", "--village", "Bakraur"]);
    let mut cmd = Command::new(samanvaya_tests::binary("samanvaya"));
    cmd.args(["enroll", &block.url, code.trim()])
        .env("SAMANVAYA_PIN", samanvaya_tests::TEST_PIN)
        .env("SAMANVAYA_DATA_DIR", second.path());
    assert!(samanvaya_tests::run_logged("samanvaya", &mut cmd).status.success());
    let mut cmd = Command::new(samanvaya_tests::binary("samanvaya"));
    cmd.args(["sync", "--timeout", "20"])
        .env("SAMANVAYA_PIN", samanvaya_tests::TEST_PIN)
        .env("SAMANVAYA_DATA_DIR", second.path());
    assert!(samanvaya_tests::run_logged("samanvaya", &mut cmd).status.success());
    let there = samanvaya_tests::open(second.path()).unwrap().household(h.id).unwrap();
    let here = Store::unlock(dir.path(), Some("Rekha"), &Secret::new(SUPERVISOR_PIN))
        .unwrap()
        .household(h.id)
        .unwrap();
    assert_eq!(
        there.members.iter().map(|p| (p.id, p.name.clone(), p.birth_date)).collect::<Vec<_>>(),
        here.members.iter().map(|p| (p.id, p.name.clone(), p.birth_date)).collect::<Vec<_>>()
    );
    assert_eq!(
        facts_of(&samanvaya_tests::open(second.path()).unwrap(), kept),
        facts_of_here(dir.path(), kept)
    );
    drop(block);
}

fn facts_of_here(dir: &std::path::Path, who: PersonId) -> Vec<(String, String)> {
    facts_of(&Store::unlock(dir, Some("Rekha"), &Secret::new(SUPERVISOR_PIN)).unwrap(), who)
}

/// Runs the CLI on laptop `data` with the tests' PIN, as `account` where the laptop has two; it
/// must succeed.
fn run_laptop(data: &std::path::Path, account: Option<&str>, args: &[&str]) {
    let mut cmd = std::process::Command::new(samanvaya_tests::binary("samanvaya"));
    cmd.args(args).env("SAMANVAYA_PIN", samanvaya_tests::TEST_PIN).env("SAMANVAYA_DATA_DIR", data);
    if let Some(account) = account {
        cmd.env("SAMANVAYA_ACCOUNT", account);
    }
    let out = samanvaya_tests::run_logged("samanvaya", &mut cmd);
    assert!(out.status.success(), "{out:?}");
}

/// A real block and two laptops of its village: the supervisor's (`first`, with the
/// facilitator's and Rekha's accounts) and `second` (a facilitator's, or with a supervisor too),
/// both enrolled, with the household recorded twice on the first and synced to both.
struct Village {
    block_dir: tempfile::TempDir,
    /// The block's process, stopped when the village is dropped.
    _block: samanvaya_tests::Running,
    first: tempfile::TempDir,
    second: tempfile::TempDir,
    second_supervised: bool,
    h: Household,
}

impl Village {
    fn new(second_supervised: bool) -> Village {
        let (first, store) = laptop_with_a_supervisor();
        drop(store);
        let second = if second_supervised {
            laptop_with_a_supervisor().0
        } else {
            let second = tempfile::tempdir().unwrap();
            let mut store = samanvaya_tests::open(second.path()).unwrap();
            samanvaya_tests::serve_a_village(&mut store).unwrap();
            second
        };
        let block_dir = tempfile::tempdir().unwrap();
        let block = samanvaya_tests::start_server(&[
            "--role",
            "block",
            "--data-dir",
            block_dir.path().to_str().unwrap(),
        ]);
        let account =
            |data: &std::path::Path| (data == first.path() || second_supervised).then_some("facilitator");
        for laptop in [first.path(), second.path()] {
            let code = block_command(block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
            run_laptop(laptop, account(laptop), &["enroll", &block.url, code.trim()]);
        }
        let h = {
            let mut store =
                Store::unlock(first.path(), Some("facilitator"), &Secret::new(samanvaya_tests::TEST_PIN))
                    .unwrap();
            record_twice(&mut store)
        };
        for laptop in [first.path(), second.path()] {
            run_laptop(laptop, account(laptop), &["sync", "--timeout", "20"]);
        }
        Village { block_dir, _block: block, first, second, second_supervised, h }
    }

    /// Runs the CLI on laptop `data` as its facilitator; it must succeed. A laptop with two
    /// accounts is told which.
    fn sync(&self, data: &std::path::Path) {
        let account = (data == self.first.path() || self.second_supervised).then_some("facilitator");
        run_laptop(data, account, &["sync", "--timeout", "20"]);
    }

    /// The store of laptop `dir`, opened by its supervisor.
    fn supervisor(dir: &std::path::Path) -> Store {
        Store::unlock(dir, Some("Rekha"), &Secret::new(SUPERVISOR_PIN)).unwrap()
    }

    /// The block's store, read directly.
    fn block_store(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.block_dir.path().join("server.sqlite3")).unwrap()
    }
}

/// The village's second laptop opens a referral of the woman's second record before it sees the
/// supervisor make her two records one. The block moves the referral to the record kept when it
/// arrives; the second laptop moves its own when the merge comes down; the supervisor's laptop
/// puts it there when it pulls it. Every copy then shows the case under the woman kept, where
/// it showed under the head's name, the removed record being gone.
#[test]
fn a_referral_opened_elsewhere_of_the_record_merged_away_goes_to_the_record_kept() {
    use samanvaya_core::referral::ReferralQuery;
    let v = Village::new(false);
    let (dir, second, h) = (&v.first, &v.second, &v.h);
    let (kept, other) = (h.members[0].id, h.members[1].id);

    // Offline, each laptop: the second opens a referral of the second record; the supervisor
    // makes the two records one.
    {
        let mut store = samanvaya_tests::open(second.path()).unwrap();
        let referral = NewReferral {
            household_id: h.id,
            member_id: Some(other),
            need: Need::Scheme { code: "NSAP_IGNWPS".into() },
            documents: vec![],
            notes: String::new(),
        };
        store.open_referral(&referral, store.now().unwrap()).unwrap();
    }
    {
        let mut store = Village::supervisor(dir.path());
        store.merge_member(h.id, kept, other, store.now().unwrap()).unwrap();
    }
    v.sync(dir.path());
    v.sync(second.path());
    v.sync(dir.path());

    let conn = v.block_store();
    let at_block: String = conn.query_row("SELECT subject_id FROM referral", [], |r| r.get(0)).unwrap();
    assert_eq!(at_block, kept.to_string(), "the block moved it to the record kept");
    let shown = |store: &Store| {
        let list = store
            .referrals(
                &ReferralQuery { household_id: Some(h.id), open_only: false },
                store.now().unwrap().today,
            )
            .unwrap();
        assert_eq!(list.len(), 1, "{list:?}");
        (list[0].member_id.clone(), list[0].person.clone())
    };
    let want = (Some(kept.to_string()), h.members[0].name.clone());
    assert_eq!(shown(&samanvaya_tests::open(second.path()).unwrap()), want, "on the laptop that opened it");
    assert_eq!(
        shown(&Store::unlock(dir.path(), Some("Rekha"), &Secret::new(SUPERVISOR_PIN)).unwrap()),
        want,
        "on the supervisor's"
    );
}

/// The village's second laptop records answers about the woman's second record before it sees
/// the supervisor make her two records one: a new one (her living children) and another caste
/// than either record's. The block merges them into the record kept, the second laptop moves
/// them there when the merge comes down, the supervisor's laptop when it pulls them: the three
/// end with the same facts of her, the new answer among them, and the caste the supervisor's
/// merge kept (written again with its later clock). Before, the block refused the late answers
/// and the second laptop kept them on the record it then removed: the answers were lost.
#[test]
fn answers_recorded_elsewhere_about_the_record_merged_away_reach_the_record_kept_everywhere() {
    let v = Village::new(false);
    let (dir, second, h) = (&v.first, &v.second, &v.h);
    let (kept, other) = (h.members[0].id, h.members[1].id);

    // Offline, each laptop: the second answers of the second record; the supervisor, later,
    // makes the two records one.
    {
        let mut store = samanvaya_tests::open(second.path()).unwrap();
        let now = store.now().unwrap();
        for (fact, value) in [
            ("person.living_children_count", serde_json::json!(3)),
            ("person.caste_category", serde_json::json!("st")),
        ] {
            store
                .answer(
                    &FactAnswer { household_id: h.id, member_id: Some(other), fact: fact.into(), value },
                    now,
                )
                .unwrap();
        }
    }
    {
        let mut store = Store::unlock(dir.path(), Some("Rekha"), &Secret::new(SUPERVISOR_PIN)).unwrap();
        store.merge_member(h.id, kept, other, store.now().unwrap()).unwrap();
    }
    v.sync(dir.path());
    v.sync(second.path());
    v.sync(dir.path());

    let conn = v.block_store();
    let at_block = |who: PersonId| -> Vec<(String, String)> {
        conn.prepare("SELECT name, coalesce(value, 'null') FROM fact WHERE subject_id = ?1 ORDER BY name")
            .unwrap()
            .query_map([who.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let here = facts_of_here(dir.path(), kept);
    assert!(here.contains(&("person.living_children_count".into(), "3".into())), "{here:?}");
    assert!(here.contains(&("person.caste_category".into(), "\"sc\"".into())), "{here:?}");
    assert_eq!(at_block(kept), here, "the block holds what the supervisor's laptop holds");
    let there = samanvaya_tests::open(second.path()).unwrap();
    assert_eq!(facts_of(&there, kept), here, "and so does the laptop that answered");
    assert!(facts_of(&there, other).is_empty(), "nothing is left on the record that went");
    assert!(at_block(other).is_empty());
}

/// A supervisor on the village's second laptop answers a new question of the woman's second
/// record and then removes that record, while the supervisor on the first laptop, not having
/// seen either, makes it one with her first record. The block applies the removal first and,
/// when the merge arrives, merges the second record's answers into the record kept; the second
/// laptop, which had removed the record, does the same when the merge comes down. Before, that
/// laptop had forgotten the removed record's answers, and its record of her lacked the one the
/// block and the first laptop held.
#[test]
fn answers_of_a_record_removed_on_one_laptop_and_merged_on_another_reach_the_record_kept_everywhere() {
    let v = Village::new(true);
    let (first, second, h) = (&v.first, &v.second, &v.h);
    let (kept, other, daughter) = (h.members[0].id, h.members[1].id, h.members[2].id);
    {
        let mut store = Village::supervisor(second.path());
        let now = store.now().unwrap();
        let answer = FactAnswer {
            household_id: h.id,
            member_id: Some(other),
            fact: "person.living_children_count".into(),
            value: serde_json::json!(3),
        };
        store.answer(&answer, now).unwrap();
        let mut input = samanvaya_tests::new_household(
            h.village_id,
            vec![
                member("बसंती देवी", Relation::Head, Sex::Female, Birth::Age { years: 47 }),
                member("गुड़िया कुमारी", Relation::Daughter, Sex::Female, Birth::Age { years: 12 }),
            ],
        );
        input.id = Some(h.id);
        input.consent = None;
        input.members[0].id = Some(kept);
        input.members[1].id = Some(daughter);
        let saved = store.save_household(input, now).unwrap();
        assert_eq!(saved.members.len(), 2, "the second record removed");
    }
    {
        let mut store = Village::supervisor(first.path());
        store.merge_member(h.id, kept, other, store.now().unwrap()).unwrap();
    }
    v.sync(second.path());
    v.sync(first.path());
    v.sync(second.path());

    let conn = v.block_store();
    let at_block: Vec<(String, String)> = conn
        .prepare("SELECT name, coalesce(value, 'null') FROM fact WHERE subject_id = ?1 ORDER BY name")
        .unwrap()
        .query_map([kept.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let on_first = facts_of_here(first.path(), kept);
    assert!(on_first.contains(&("person.living_children_count".into(), "3".into())), "{on_first:?}");
    assert_eq!(at_block, on_first, "the block holds what the first laptop holds");
    assert_eq!(facts_of(&Village::supervisor(second.path()), kept), on_first, "and so does the second");
}

/// Two supervisors, each on a laptop of the village and neither having seen the other's work,
/// make the woman's two records one, each keeping the other record. The block brings the record
/// the first merge kept back as a new record with the facts of both, and both laptops and the
/// block end with the household as one: the head's record once, with the same facts. Before,
/// each laptop removed both records and so did the block: she was gone everywhere.
#[test]
fn two_supervisors_merging_her_records_each_into_the_other_leave_her_one_record_everywhere() {
    let v = Village::new(true);
    let (first, second, h) = (&v.first, &v.second, &v.h);
    let (kept, other) = (h.members[0].id, h.members[1].id);
    let sync = |data: &std::path::Path| v.sync(data);
    for (dir, keep, remove) in [(first.path(), kept, other), (second.path(), other, kept)] {
        let mut store = Village::supervisor(dir);
        let at = store.now().unwrap();
        store.merge_member(h.id, keep, remove, at).unwrap();
    }
    sync(first.path());
    sync(second.path());
    sync(first.path());

    let roster = |dir: &std::path::Path| -> Vec<(PersonId, String)> {
        Village::supervisor(dir)
            .household(h.id)
            .unwrap()
            .members
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect()
    };
    let on_first = roster(first.path());
    assert_eq!(on_first.len(), 2, "her record and her daughter's: {on_first:?}");
    assert_eq!(on_first, roster(second.path()), "both laptops show the same household");
    let her = on_first.iter().find(|(_, name)| name == "बसंती देवी").expect("her record").0;
    assert!(her != kept && her != other, "a new record, made by the block");
    let facts = facts_of_here(first.path(), her);
    assert!(facts.contains(&("person.marital_status".into(), "\"widowed\"".into())), "{facts:?}");
    assert_eq!(facts_of(&Village::supervisor(second.path()), her), facts);
    let conn = v.block_store();
    let at_block: Vec<String> = conn
        .prepare("SELECT id FROM member WHERE household_id = ?1 AND removed = 0 ORDER BY position, id")
        .unwrap()
        .query_map([h.id.to_string()], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(at_block.len(), 2);
    assert!(at_block.contains(&her.to_string()));
}

/// The output of `samanvaya-server` run as the block whose folder is `dir`, with `args`; it must
/// succeed.
fn block_command(dir: &std::path::Path, args: &[&str]) -> String {
    let mut cmd = std::process::Command::new(samanvaya_tests::binary("samanvaya-server"));
    cmd.args(["--role", "block", "--data-dir", dir.to_str().unwrap()]).args(args);
    let out = samanvaya_tests::run_logged("samanvaya-server", &mut cmd);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}
