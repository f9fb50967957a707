//! The server's conformance suite: what a server does with what it receives, story by story, run
//! the same on a SQLite store in a temporary folder and on a scratch database of a real
//! PostgreSQL server (started by `scripts/test`): retries and replays change nothing, a batch out of order is refused, two
//! laptops renaming one person without seeing each other put both names up for review, a laptop
//! whose clock runs years ahead does not win the merge, a laptop cannot write into a village it
//! was not enrolled for, an expired or revoked device is refused with a sentence, and the same
//! change forwarded by two blocks is stored once at the district, as is a laptop's audit log its
//! block forwards (under the laptop's id, checked link by link, and no other block may add to
//! it); an enrollment code enrolls one
//! device, and never over a connection whose certificate is not the server's; a batch stored at
//! once (merged set-wise) ends exactly as its changes pushed one at a time.

use chrono::{DateTime, Duration, TimeZone, Utc};
use samanvaya_domain::change::{
    Change as Typed, ChangeBody, ConsentGiven, ConsentWithdrawn, FactChange, HouseholdChange, HouseholdField,
    MemberChange, MemberField, MemberRemoved, Source, SubmissionChange,
};
use samanvaya_domain::{Hlc, HouseholdId, LocationId, PersonId, Relation, Sex};
use samanvaya_server::Store;
use samanvaya_server::enroll::Caller;
use samanvaya_server::feed::Asked;
use samanvaya_server::vouch::Awaiting;
use samanvaya_sync_protocol::parcel::{self, Parcel};
use samanvaya_sync_protocol::{
    Applicant, Change, ChangeResult, DeviceKind, EnrollRequest, Origin, Outcome, PROTOCOL_VERSION, PullReply,
    PushBatch, Pushed, RefusalCode, Restore, Role, SessionRequest, Village,
};
use samanvaya_tests::{ScratchPostgres, scratch_postgres};
use uuid::Uuid;

const VILLAGE: u128 = 0x0190_0000_0000_7000_8000_0000_0000_0004;
const OTHER_VILLAGE: u128 = 0x0190_0000_0000_7000_8000_0000_0000_0009;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 5, 0, 0).unwrap()
}

struct Laptop {
    caller: Caller,
    secret: String,
    seq: i64,
    pulled_through: i64,
}

/// The fingerprint of the certificate the server in these stories presents.
fn certificate() -> String {
    "c3".repeat(32)
}

fn laptop_of_bakraur(device: Uuid, name: &str) -> Applicant {
    Applicant {
        device,
        kind: DeviceKind::Laptop,
        name: name.into(),
        villages: vec![Village {
            id: Uuid::from_u128(VILLAGE),
            name_en: "Bakraur".into(),
            name_hi: "बकरौर".into(),
            above: vec![],
        }],
    }
}

fn enroll(server: &mut Store, name: &str) -> Laptop {
    enroll_as(server, name, Uuid::now_v7())
}

/// A laptop enrolled with the device id `device`, so that two stores can receive one laptop.
fn enroll_as(server: &mut Store, name: &str, device: Uuid) -> Laptop {
    enroll_applicant(server, laptop_of_bakraur(device, name))
}

/// A laptop of the other village, Sherghati.
fn enroll_elsewhere(server: &mut Store, name: &str) -> Laptop {
    let mut applicant = laptop_of_bakraur(Uuid::now_v7(), name);
    applicant.villages[0] = Village {
        id: Uuid::from_u128(OTHER_VILLAGE),
        name_en: "Sherghati".into(),
        name_hi: "शेरघाटी".into(),
        above: vec![],
    };
    enroll_applicant(server, applicant)
}

fn enroll_applicant(server: &mut Store, applicant: Applicant) -> Laptop {
    let device = applicant.device;
    let code = server.new_code(DeviceKind::Laptop, &applicant.villages[0].name_en, t0()).unwrap();
    let req = EnrollRequest::new(&code, &certificate(), applicant);
    let reply = server.enroll(&req, &certificate(), t0()).unwrap();
    Laptop {
        caller: Caller { device, kind: DeviceKind::Laptop },
        secret: reply.secret,
        seq: 0,
        pulled_through: 0,
    }
}

impl Laptop {
    /// A new household of the test village with its head, "रामवती देवी", and three records of
    /// one woman named `names`, as the laptop records them at t0 and the four milliseconds
    /// after: the household, [the head, the three records], and the changes, to push.
    fn head_and_three_records(&mut self, names: [&str; 3]) -> (HouseholdId, [PersonId; 4], Vec<Change>) {
        let h = HouseholdId(Uuid::now_v7());
        let people = [(); 4].map(|()| PersonId(Uuid::now_v7()));
        let mut made =
            vec![self.change(household(h, VILLAGE), 0), self.change(member(h, people[0], "रामवती देवी"), 1)];
        for (i, (p, name)) in people[1..].iter().zip(names).enumerate() {
            made.push(self.change(member(h, *p, name), 2 + i as i64));
        }
        (h, people, made)
    }

    /// The laptop's next change, with its clock `ms_after` milliseconds after t0.
    fn change(&mut self, body: ChangeBody, ms_after: i64) -> Change {
        self.seq += 1;
        let hlc = Hlc { wall_ms: t0().timestamp_millis() + ms_after, counter: 0, node: self.caller.device };
        Change {
            seq: self.seq,
            origin: Origin { device: self.caller.device, seq: self.seq },
            recorded_at: t0(),
            change: Typed::new(hlc, body),
            seen_at_sender: Default::default(),
        }
    }

    /// Pushes a household of the test village, a fact of it and the referral `R-1` of a
    /// member: a case a block office can take up.
    fn opens_r1(&mut self, server: &mut Store) {
        let h = HouseholdId(Uuid::now_v7());
        let made = vec![
            self.change(household(h, VILLAGE), 0),
            self.change(fact_of(h, PersonId(h.0)), 1),
            self.change(ChangeBody::Referral(pension_of(h, 1, PersonId(Uuid::now_v7()), "")), 2),
        ];
        server.push(&self.caller, &self.batch(made), t0()).unwrap();
    }

    /// A session request saying the laptop knows its changes held through `acked_here`.
    fn session_knowing(&self, acked_here: i64) -> SessionRequest {
        SessionRequest { acked_here: Some(acked_here), ..session_of(self.caller.device, &self.secret) }
    }

    /// The laptop's sync file for a USB stick, holding `changes` and saying the laptop knew its
    /// work held through `acked_here`.
    fn file(&self, changes: Vec<Change>, acked_here: i64) -> Vec<u8> {
        self.file_of_copy(changes, acked_here, vec![])
    }

    /// [`Laptop::file`], written by the copy of the laptop that descends from `restores`.
    fn file_of_copy(&self, changes: Vec<Change>, acked_here: i64, restores: Vec<Restore>) -> Vec<u8> {
        self.seal(&Parcel { changes, acked_here: Some(acked_here), restores, ..self.parcel() })
    }

    /// A sync file of this laptop that carries and says nothing, at t0, to fill in.
    fn parcel(&self) -> Parcel {
        Parcel {
            protocol: PROTOCOL_VERSION,
            device: self.caller.device,
            made_at: t0(),
            pulled_through: 0,
            changes: Vec::new(),
            own_after: None,
            own_through: None,
            audit: Vec::new(),
            audit_fork: None,
            audit_after: None,
            acked_here: None,
            feed_epoch: None,
            pulled_origin: None,
            server_own_through: None,
            given_back: Vec::new(),
            restores: Vec::new(),
        }
    }

    /// The sync file of the copy of this laptop restored as `restore`, asking back the old
    /// laptop's run after the backup, having read the feed through `pulled_through`.
    fn parcel_of_copy(&self, restore: Restore, pulled_through: i64) -> Parcel {
        Parcel {
            pulled_through,
            own_after: Some(restore.after),
            acked_here: Some(restore.after),
            restores: vec![restore],
            ..self.parcel()
        }
    }

    /// `file` sealed with this laptop's key, as it goes on the stick.
    fn seal(&self, file: &Parcel) -> Vec<u8> {
        parcel::seal(file, &parcel::secret_digest(&self.secret)).unwrap()
    }

    fn batch(&self, changes: Vec<Change>) -> PushBatch {
        PushBatch { after: None, protocol: PROTOCOL_VERSION, pulled_through: self.pulled_through, changes }
    }
}

fn household(id: HouseholdId, village: u128) -> ChangeBody {
    ChangeBody::Household(HouseholdChange {
        id,
        village_id: LocationId(Uuid::from_u128(village)),
        created_at: t0(),
        fields: vec![HouseholdField::Number(Some(7)), HouseholdField::Address("वार्ड 4".into())],
    })
}

fn member(h: HouseholdId, p: PersonId, name: &str) -> ChangeBody {
    ChangeBody::Member(MemberChange {
        id: p,
        household_id: h,
        fields: vec![
            MemberField::Position(0),
            MemberField::Name(name.into()),
            MemberField::Relation(Relation::Head),
            MemberField::Sex(Sex::Female),
        ],
    })
}

fn rename(h: HouseholdId, p: PersonId, name: &str) -> ChangeBody {
    ChangeBody::Member(MemberChange { id: p, household_id: h, fields: vec![MemberField::Name(name.into())] })
}

fn outcomes(ack: &samanvaya_sync_protocol::PushAck) -> Vec<Outcome> {
    ack.results.iter().map(|r| r.outcome.clone()).collect()
}

fn name_of(server: &mut Store, p: PersonId) -> String {
    server.member_name(p.0).unwrap().expect("the member is stored")
}

#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A store for one story. The fields drop in order: the store closes before its database goes.
struct Opened {
    store: Store,
    _dir: tempfile::TempDir,
    _postgres: Option<ScratchPostgres>,
}

impl std::ops::Deref for Opened {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

impl std::ops::DerefMut for Opened {
    fn deref_mut(&mut self) -> &mut Store {
        &mut self.store
    }
}

impl Opened {
    /// Every row of every table of the store, as readable text (`table: ...`), read straight
    /// from the database: what a scan for a name must not find.
    fn rows(&self) -> Vec<String> {
        match &self._postgres {
            Some(pg) => {
                let mut client = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
                let tables: Vec<String> = client
                    .query(
                        "SELECT table_name::text FROM information_schema.tables
                         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                        &[],
                    )
                    .unwrap()
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let mut out = Vec::new();
                for t in tables {
                    for r in
                        client.query(&format!("SELECT row_to_json(x)::text FROM \"{t}\" x"), &[]).unwrap()
                    {
                        out.push(format!("{t}: {}", r.get::<_, String>(0)));
                    }
                }
                out
            }
            None => samanvaya_tests::every_row(
                &rusqlite::Connection::open(self._dir.path().join("server.sqlite3")).unwrap(),
            ),
        }
    }
}

impl Opened {
    /// The same store opened again, as a server started again on it (a new run of its process).
    fn restart(&mut self, role: Role) {
        self.store = match &self._postgres {
            Some(pg) => Store::postgres(&pg.url, role, t0()).unwrap(),
            None => Store::sqlite(self._dir.path(), role, t0()).unwrap(),
        };
    }

    /// The facts (`name=value`, the value as JSON) and benefits (`receiving:scheme=0|1`) the
    /// store holds of `subject`.
    fn facts_of(&self, subject: PersonId) -> std::collections::BTreeSet<String> {
        self.texts(
            "SELECT name || '=' || coalesce(value, 'null') FROM fact WHERE subject_id = ?1
             UNION ALL SELECT 'receiving:' || scheme || '=' || receiving FROM receiving WHERE subject_id = ?1",
            &subject.to_string(),
        )
        .into_iter()
        .collect()
    }

    /// Runs `sql` with `?1`, `?2`, … bound to the texts `params`, straight on the database.
    fn execute(&self, sql: &str, params: &[&str]) {
        match &self._postgres {
            Some(pg) => {
                let mut client = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
                let sql = (1..=params.len())
                    .rev()
                    .fold(sql.to_owned(), |s, i| s.replace(&format!("?{i}"), &format!("${i}")));
                let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    params.iter().map(|p| p as &(dyn postgres::types::ToSql + Sync)).collect();
                client.execute(&sql, &params).unwrap();
            }
            None => {
                let conn = rusqlite::Connection::open(self._dir.path().join("server.sqlite3")).unwrap();
                conn.execute(sql, rusqlite::params_from_iter(params)).unwrap();
            }
        }
    }

    /// The one text column `sql` reads with `?1` bound to `param`, straight from the database.
    fn texts(&self, sql: &str, param: &str) -> Vec<String> {
        match &self._postgres {
            Some(pg) => {
                let mut client = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
                client.query(&sql.replace("?1", "$1"), &[&param]).unwrap().iter().map(|r| r.get(0)).collect()
            }
            None => {
                let conn = rusqlite::Connection::open(self._dir.path().join("server.sqlite3")).unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                stmt.query_map([param], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
            }
        }
    }
}

fn mentioning(rows: &[String], text: &str) -> Vec<String> {
    rows.iter().filter(|r| r.contains(text)).cloned().collect()
}

fn count(rows: &[String], table: &str) -> usize {
    rows.iter().filter(|r| r.starts_with(&format!("{table}: "))).count()
}

/// A new, empty store of `role` on `backend`; `None` when PostgreSQL is not there to test on.
fn open(backend: Backend, role: Role) -> Option<Opened> {
    let dir = tempfile::tempdir().unwrap();
    let (store, postgres) = match backend {
        Backend::Sqlite => (Store::sqlite(dir.path(), role, t0()).unwrap(), None),
        Backend::Postgres => {
            let scratch = scratch_postgres()?;
            (Store::postgres(&scratch.url, role, t0()).unwrap(), Some(scratch))
        }
    };
    Some(Opened { store, _dir: dir, _postgres: postgres })
}

/// A PostgreSQL district whose write lock another session holds (a process stopped in the
/// middle of its transaction) tells a push the server is busy within seconds, where it waited
/// behind the lock for good and every request with it (found by a review); and takes the push
/// once the lock is let go.
#[test]
fn a_push_waiting_on_a_write_lock_held_elsewhere_is_told_to_come_again() {
    let Some(scratch) = scratch_postgres() else { return };
    let mut server = Store::postgres(&scratch.url, Role::Block, t0()).unwrap();
    let mut laptop = enroll(&mut server, "Rampur laptop");
    let mut holder = postgres::Client::connect(&scratch.url, postgres::NoTls).unwrap();
    holder.batch_execute("SELECT pg_advisory_lock(1396788545)").unwrap();
    let h = HouseholdId(Uuid::now_v7());
    let change = laptop.change(household(h, VILLAGE), 0);
    let batch = laptop.batch(vec![change]);
    let started = std::time::Instant::now();
    let err = server.push(&laptop.caller, &batch, t0()).unwrap_err();
    assert_eq!(err.refusal().code, RefusalCode::Unavailable, "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
    holder.batch_execute("SELECT pg_advisory_unlock(1396788545)").unwrap();
    let ack = server.push(&laptop.caller, &batch, t0()).unwrap();
    assert_eq!(outcomes(&ack), vec![Outcome::Applied]);
}

/// Each story runs twice, once on each database: `story::sqlite` and `story::postgresql`.
macro_rules! on_both {
    ($($story:ident),* $(,)?) => {$(
        mod $story {
            #[test]
            fn sqlite() {
                super::$story(super::Backend::Sqlite);
            }
            #[test]
            fn postgresql() {
                super::$story(super::Backend::Postgres);
            }
        }
    )*};
}

on_both!(
    a_retried_or_replayed_batch_changes_nothing_and_a_batch_out_of_order_is_refused,
    two_laptops_renaming_one_person_unseen_put_both_names_up_for_review,
    a_push_sent_again_is_told_what_was_decided_for_each_change_the_first_time,
    a_review_decided_for_the_other_name_puts_it_in_place_with_a_change_that_travels,
    a_review_the_block_decided_is_closed_at_the_district_when_the_decision_arrives,
    edits_a_block_merged_one_after_the_other_queue_no_review_at_the_district,
    a_block_keeps_what_the_maker_of_a_change_had_seen,
    a_review_the_district_decided_is_closed_at_the_block_when_the_decision_comes_down,
    a_laptop_whose_clock_runs_years_ahead_does_not_win_every_merge,
    numbers_at_the_end_of_their_range_are_refused_or_carried_and_the_server_goes_on,
    a_text_holding_nul_is_refused_alone_by_a_block_and_by_its_district,
    a_fact_named_longer_than_any_index_holds_is_refused_alone_by_a_block_and_by_its_district,
    a_late_change_to_a_removed_member_does_not_bring_her_back,
    a_referral_of_a_record_made_one_with_another_goes_to_the_record_kept,
    a_withdrawal_erases_her_records_made_one_with_hers,
    a_fact_of_a_record_made_one_with_another_goes_to_the_record_kept,
    a_departure_of_a_record_made_one_with_another_goes_to_the_record_kept,
    a_late_answer_of_a_record_made_one_with_another_since_removed_waits_for_its_next_merge,
    a_departure_seen_by_a_merge_stays_seen_through_a_chain_and_a_crossing,
    a_departure_a_later_merge_says_was_seen_leaves_the_record_kept_in_every_order,
    a_departure_in_a_change_put_up_for_review_is_still_hers_when_a_merge_takes_another_back,
    a_server_found_restored_names_a_new_feed_epoch_once_per_run,
    a_reader_whose_place_holds_another_change_after_a_restore_is_told_a_new_epoch,
    a_step_taken_on_a_restored_server_before_any_device_shows_the_restore_has_a_number_of_its_own,
    two_supervisors_making_two_records_one_each_into_the_other_leave_her_one_record,
    one_record_made_one_with_two_others_makes_the_three_one,
    a_withdrawal_naming_a_record_made_one_with_another_erases_the_record_kept,
    a_laptop_cannot_write_into_a_village_it_was_not_enrolled_for,
    a_laptop_cannot_reach_another_villages_records_through_a_household_of_its_own,
    expired_sessions_and_revoked_devices_are_refused_with_a_sentence,
    a_lease_whose_answer_was_lost_is_granted_again_and_no_range_is_wasted,
    a_laptops_file_past_a_gap_it_did_not_know_of_is_not_kept,
    a_files_changes_not_applied_are_told_by_their_reasons,
    a_laptops_file_past_a_gap_the_block_read_back_from_the_district_is_taken,
    a_file_written_before_the_laptops_restore_is_refused_whole,
    a_restored_laptop_reads_back_only_the_old_laptops_run_of_its_own_changes,
    a_district_names_the_blocks_change_pushed_last_by_its_number_and_origin,
    a_block_takes_back_from_another_laptop_only_a_restored_laptops_old_run,
    a_block_asks_another_laptop_back_a_restored_laptops_old_run_by_stick_too,
    a_copy_of_a_laptop_from_before_its_restore_is_refused_once_the_restored_copy_has_spoken,
    a_later_copy_restored_from_the_same_backup_is_held_only_through_the_old_laptops_run,
    a_late_file_of_a_copy_from_before_the_restore_gives_the_old_run_and_nothing_else,
    a_late_file_of_the_laptop_before_two_restores_gives_its_work_after_the_first_backup,
    a_late_file_of_a_copy_from_before_the_restore_gives_back_the_blocks_own_steps,
    a_late_file_of_a_copy_from_before_the_restore_gives_its_audit_entries_on_its_own_log,
    a_step_on_a_referral_erased_elsewhere_is_erased_on_arrival_though_only_what_is_left_of_it_came,
    a_withdrawal_taken_before_its_households_record_reaches_every_reader_after_the_record,
    a_household_withdrawn_whole_before_its_record_came_reaches_every_reader_with_its_row,
    a_restored_laptop_reads_back_its_withdrawal_of_a_household_never_held_here,
    a_restored_laptop_reads_its_run_back_whole_across_pages_with_changes_of_a_household_never_held,
    the_copy_the_operator_keeps_sends_its_work_under_its_own_numbers,
    a_change_about_a_household_not_known_yet_waits_for_its_record_and_then_reaches_every_reader,
    a_restored_block_takes_back_from_a_laptop_only_the_steps_its_own_seal_shows_it_took,
    a_restored_block_asks_each_laptop_back_everything_after_what_its_backup_held,
    a_restored_district_takes_back_from_its_block_only_the_steps_its_own_seal_shows_it_took,
    a_restored_district_asks_each_block_back_everything_after_what_its_backup_held,
    a_review_decided_after_the_backup_closes_again_when_its_decision_is_given_back,
    a_push_sent_before_a_restore_and_delivered_after_it_keeps_nothing,
    a_blocks_push_following_on_from_more_than_the_district_holds_keeps_nothing,
    the_same_change_forwarded_by_two_blocks_is_stored_once_at_the_district,
    a_block_that_names_itself_not_is_named_by_its_code_at_the_district,
    a_code_made_for_a_block_enrolls_that_block_again_and_no_other,
    a_code_made_for_a_laptop_enrolls_it_again_with_no_more_than_its_villages,
    a_code_whose_answer_was_lost_is_answered_again_to_its_device_until_it_has_synced,
    every_laptop_of_a_village_gets_a_code_of_its_own_to_enroll_again,
    a_district_vouches_only_for_the_certificate_its_block_said_last_and_sends_it_down,
    a_block_enrolls_with_one_secret_for_its_code_at_every_start,
    a_store_made_for_one_role_refuses_to_open_as_the_other,
    an_enrollment_bound_to_another_certificate_is_refused_and_leaves_the_code_usable,
    an_enrollment_code_enrolls_one_device_as_typed_and_never_a_wrong_or_late_one,
    an_enrollment_gives_a_laptop_only_the_codes_village_and_never_a_working_device,
    a_withdrawal_erases_the_person_from_every_row_and_a_late_change_does_not_bring_her_back,
    a_household_withdrawal_erases_the_household_and_keeps_its_tombstone,
    a_laptops_audit_log_is_kept_link_by_link_and_an_edited_one_is_refused_whole,
    a_sticks_audit_entries_past_what_a_restored_block_lost_are_not_kept_and_an_edited_log_is_refused,
    a_laptops_log_forwarded_by_its_block_is_kept_at_the_district_and_no_other_block_may_add_to_it,
    a_restored_laptops_log_is_kept_as_a_branch_beside_the_old_laptops_and_forwarded_as_one,
    a_batch_stored_at_once_ends_as_its_changes_stored_one_by_one,
    a_batch_bringing_a_household_others_waited_for_ends_as_its_changes_stored_one_by_one,
    reached_the_district_stops_below_a_change_that_waits_for_its_household,
    reached_the_district_stops_below_a_change_stored_late_until_it_goes,
    a_block_forwards_only_for_its_villages_until_the_district_gives_it_another,
    a_village_taken_from_its_old_block_is_refused_from_it_and_keeps_its_last_block,
    the_pieces_of_two_bundles_asked_in_turn_are_each_their_own_and_a_bundle_gone_is_refused,
    a_removal_arriving_before_the_members_creation_keeps_her_removed,
    a_consenting_survey_puts_the_familys_consent_on_record_and_one_given_at_a_visit_replaces_it,
    rows_written_in_the_older_forms_are_read_as_they_were_written,
);

/// A store written before its rows took their shorter forms kept each change whole (its reading
/// in it a second time), every clock reading as an object naming its fields, and a member's and
/// a household's clocks as an object of each field's write. An upgraded server reads rows left
/// in those forms as they were written: the feed hands the same changes out, the merge weighs
/// a late write against the clocks kept, and a withdrawal erases her from them.
fn rows_written_in_the_older_forms_are_read_as_they_were_written(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut a = enroll(&mut server, "laptop A");
    let h = HouseholdId(Uuid::now_v7());
    let p = PersonId(Uuid::now_v7());
    let sent = vec![
        a.change(household(h, VILLAGE), 0),
        a.change(member(h, p, "कमला देवी"), 1),
        a.change(fact_named(h, p, "person.marital_status", serde_json::json!("widowed")), 2),
    ];
    server.push(&a.caller, &a.batch(sent.clone()), t0()).unwrap();

    // Each row put back into the form it had before.
    let device = a.caller.device.to_string();
    let reading = |c: &Change| serde_json::to_string(&c.change.hlc).unwrap();
    let number = |kind: &str| -> i64 {
        server.texts("SELECT CAST(seq AS TEXT) FROM change WHERE kind = ?1", kind)[0].parse().unwrap()
    };
    let clocks = |c: &Change, seq: i64, fields: &[&str]| -> String {
        let written = serde_json::json!({ "hlc": c.change.hlc, "seq": seq });
        serde_json::Value::Object(fields.iter().map(|f| ((*f).to_owned(), written.clone())).collect())
            .to_string()
    };
    for c in &sent {
        let whole = serde_json::to_string(&c.change).unwrap();
        server.execute(
            "UPDATE change SET change = ?1, hlc = ?2 WHERE origin_device = ?3 AND kind = ?4",
            &[&whole, &reading(c), &device, c.change.body.kind()],
        );
    }
    let household_clocks = clocks(&sent[0], number("household"), &["address", "number"]);
    server.execute("UPDATE household SET clocks = ?1 WHERE id = ?2", &[&household_clocks, &h.to_string()]);
    let member_clocks = clocks(&sent[1], number("member"), &["name", "position", "relation", "sex"]);
    server.execute("UPDATE member SET clocks = ?1 WHERE id = ?2", &[&member_clocks, &p.to_string()]);
    server.execute("UPDATE fact SET hlc = ?1 WHERE subject_id = ?2", &[&reading(&sent[2]), &p.to_string()]);
    assert_eq!(server.texts("SELECT clocks FROM member WHERE id = ?1", &p.to_string()), vec![member_clocks]);
    assert!(
        server
            .texts("SELECT change FROM change WHERE origin_device = ?1", &device)
            .iter()
            .all(|t| t.starts_with("{\"version\":"))
    );

    // The feed hands out the changes as they were sent.
    let mut b_laptop = enroll(&mut server, "laptop B");
    let feed = server.pull(&b_laptop.caller, 0).unwrap();
    let pulled: Vec<&Typed> = feed.changes.iter().map(|c| &c.change).collect();
    assert_eq!(pulled, sent.iter().map(|c| &c.change).collect::<Vec<_>>());
    b_laptop.pulled_through = feed.cursor;

    // Writes older than the ones kept change nothing: the old clocks were read, not taken as
    // none. Newer ones win.
    let older = vec![
        b_laptop.change(rename(h, p, "कमला"), -60_000),
        b_laptop.change(fact_named(h, p, "person.marital_status", serde_json::json!("married")), -60_000),
        b_laptop.change(
            ChangeBody::Household(HouseholdChange {
                id: h,
                village_id: LocationId(Uuid::from_u128(VILLAGE)),
                created_at: t0(),
                fields: vec![HouseholdField::Address("वार्ड 9".into())],
            }),
            -60_000,
        ),
    ];
    let ack = server.push(&b_laptop.caller, &b_laptop.batch(older), t0()).unwrap();
    assert_eq!(outcomes(&ack), vec![Outcome::Applied; 3], "older writes are kept in the log, and lose");
    assert_eq!(name_of(&mut server, p), "कमला देवी");
    assert!(server.facts_of(p).contains("person.marital_status=\"widowed\""), "{:?}", server.facts_of(p));
    assert_eq!(server.texts("SELECT address FROM household WHERE id = ?1", &h.to_string()), vec!["वार्ड 4"]);
    let newer = vec![
        b_laptop.change(rename(h, p, "कमला कुमारी"), 60_000),
        b_laptop.change(fact_named(h, p, "person.marital_status", serde_json::json!("married")), 60_000),
    ];
    server.push(&b_laptop.caller, &b_laptop.batch(newer), t0()).unwrap();
    assert_eq!(name_of(&mut server, p), "कमला कुमारी");
    assert!(server.facts_of(p).contains("person.marital_status=\"married\""), "{:?}", server.facts_of(p));

    // A withdrawal erases her from the changes kept whole as from the others.
    let withdrawn = a.change(withdrawal(h, Some(p)), 120_000);
    assert_eq!(
        outcomes(&server.push(&a.caller, &a.batch(vec![withdrawn]), t0()).unwrap()),
        vec![Outcome::Applied]
    );
    assert_eq!(
        mentioning(&server.rows(), "कमला"),
        Vec::<String>::new(),
        "no row of any table holds her name"
    );
}

fn withdrawal(h: HouseholdId, p: Option<PersonId>) -> ChangeBody {
    ChangeBody::ConsentWithdrawn(ConsentWithdrawn {
        household_id: h,
        person_id: p,
        withdrawn_on: t0().date_naive(),
        recorded_by: "Asha".into(),
    })
}

/// A referral for the widow's pension numbered `R-n`, of member `of` of household `h`.
fn pension_of(h: HouseholdId, n: u32, of: PersonId, notes: &str) -> samanvaya_domain::change::ReferralChange {
    use samanvaya_domain::referral::{Level, Need};
    samanvaya_domain::change::ReferralChange {
        id: Uuid::now_v7(),
        number: format!("R-{n}"),
        household_id: h,
        subject_id: of.to_string(),
        need: Need::Scheme { code: "NSAP_IGNWPS".into() },
        level: Level::Village,
        office: "Block office".into(),
        documents: vec![],
        due_on: t0().date_naive(),
        notes: notes.into(),
        created_by: "facilitator".into(),
        created_at: t0(),
        catalogue: "test".into(),
    }
}

fn fact_of(h: HouseholdId, p: PersonId) -> ChangeBody {
    ChangeBody::Fact(FactChange {
        household_id: h,
        subject_id: p.to_string(),
        name: "person.marital_status".into(),
        value: Some(serde_json::json!("widowed")),
        source: Source::Survey,
    })
}

fn survey_of(h: HouseholdId, roster: &[(PersonId, &str)]) -> ChangeBody {
    let members: Vec<serde_json::Value> =
        roster.iter().map(|(p, name)| serde_json::json!({"_member": p.to_string(), "name": name})).collect();
    ChangeBody::Submission(SubmissionChange {
        id: Uuid::now_v7(),
        household_id: h,
        form_id: "baseline".into(),
        form_version: "1".into(),
        answers: serde_json::json!({"values": {"respondent": roster[0].1}, "repeats": {"members": members}}),
        consent: Some(true),
        submitted_by: "Asha".into(),
        submitted_at: t0(),
        supersedes: None,
    })
}

fn a_withdrawal_erases_the_person_from_every_row_and_a_late_change_does_not_bring_her_back(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut first = enroll(&mut server, "Bakraur laptop");
    let mut second = enroll(&mut server, "Bakraur second laptop");
    let h = HouseholdId(Uuid::now_v7());
    let (kamla, sita) = (PersonId(Uuid::now_v7()), PersonId(Uuid::now_v7()));
    let recorded = vec![
        first.change(household(h, VILLAGE), 0),
        first.change(member(h, kamla, "कमला देवी"), 1),
        first.change(member(h, sita, "सीता कुमारी"), 2),
        first.change(rename(h, kamla, "कमला देवी यादव"), 3),
        first.change(fact_of(h, kamla), 4),
        first.change(survey_of(h, &[(kamla, "कमला देवी यादव"), (sita, "सीता कुमारी")]), 5),
    ];
    server.push(&first.caller, &first.batch(recorded.clone()), t0()).unwrap();
    let before = server.rows();
    assert!(!mentioning(&before, "कमला").is_empty(), "the scan finds her before the withdrawal");

    let withdrawn = first.change(withdrawal(h, Some(kamla)), 6);
    let ack = server.push(&first.caller, &first.batch(vec![withdrawn]), t0()).unwrap();
    assert_eq!(outcomes(&ack), vec![Outcome::Applied]);
    let after = server.rows();
    assert_eq!(mentioning(&after, "कमला"), Vec::<String>::new(), "no row of any table holds her name");
    assert!(!mentioning(&after, "सीता कुमारी").is_empty(), "the rest of the household stays");
    assert_eq!(count(&after, "change"), count(&before, "change") + 1, "every change keeps its place");
    assert_eq!(count(&after, "member"), 1);
    assert_eq!(count(&after, "erased"), 1, "her tombstone");
    assert!(mentioning(&after, &kamla.to_string()).iter().any(|r| r.starts_with("erased: ")));

    // The origins stay: the first laptop's retry is still a duplicate.
    let again = server.push(&first.caller, &first.batch(recorded), t0()).unwrap();
    assert!(outcomes(&again).iter().all(|o| *o == Outcome::Duplicate));

    // The second laptop had not heard: its rename and her fact are erased on arrival.
    let late = vec![second.change(rename(h, kamla, "कमला"), 10), second.change(fact_of(h, kamla), 11)];
    let ack = server.push(&second.caller, &second.batch(late), t0()).unwrap();
    for o in outcomes(&ack) {
        assert!(
            matches!(&o, Outcome::Rejected { reason } if reason.contains("consent was withdrawn")),
            "{o:?}"
        );
    }
    assert_eq!(
        mentioning(&server.rows(), "कमला"),
        Vec::<String>::new(),
        "the late changes brought nothing back"
    );
    // What the second laptop pulls carries the withdrawal and nothing of her.
    let feed = server.pull(&second.caller, 0).unwrap();
    let text = serde_json::to_string(&feed.changes).unwrap();
    assert!(text.contains("consent_withdrawn") && !text.contains("कमला"), "{text}");
}

fn a_household_withdrawal_erases_the_household_and_keeps_its_tombstone(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Bakraur laptop");
    let h = HouseholdId(Uuid::now_v7());
    let p = PersonId(Uuid::now_v7());
    let changes = vec![
        laptop.change(household(h, VILLAGE), 0),
        laptop.change(member(h, p, "रीना देवी"), 1),
        laptop.change(fact_of(h, p), 2),
        laptop.change(withdrawal(h, None), 3),
    ];
    let ack = server.push(&laptop.caller, &laptop.batch(changes), t0()).unwrap();
    assert!(outcomes(&ack).iter().all(|o| *o == Outcome::Applied), "{ack:?}");
    let rows = server.rows();
    assert_eq!(mentioning(&rows, "रीना"), Vec::<String>::new());
    assert_eq!(mentioning(&rows, "वार्ड 4"), Vec::<String>::new(), "the address is erased too");
    assert_eq!(count(&rows, "household"), 1, "the household's row stays as its tombstone");
    assert_eq!(count(&rows, "member") + count(&rows, "fact"), 0);
    assert_eq!(count(&rows, "change"), 4);
    // A late member for it is erased on arrival.
    let late = laptop.change(member(h, p, "रीना"), 4);
    let ack = server.push(&laptop.caller, &laptop.batch(vec![late]), t0()).unwrap();
    assert!(matches!(&outcomes(&ack)[0], Outcome::Rejected { .. }));
    assert_eq!(mentioning(&server.rows(), "रीना"), Vec::<String>::new());
}

fn a_retried_or_replayed_batch_changes_nothing_and_a_batch_out_of_order_is_refused(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Rampur laptop");
    let h = HouseholdId(Uuid::now_v7());
    let p = PersonId(Uuid::now_v7());
    let changes = vec![laptop.change(household(h, VILLAGE), 0), laptop.change(member(h, p, "कमला देवी"), 1)];
    let first = server.push(&laptop.caller, &laptop.batch(changes.clone()), t0()).unwrap();
    assert_eq!(first.acked_through, 2);
    assert_eq!(outcomes(&first), vec![Outcome::Applied, Outcome::Applied]);
    // The answer was lost on the way; the laptop sends the same batch again, and later once more
    // with one new change after it.
    let again = server.push(&laptop.caller, &laptop.batch(changes.clone()), t0()).unwrap();
    assert_eq!(outcomes(&again), vec![Outcome::Duplicate, Outcome::Duplicate]);
    let mut more = changes.clone();
    more.push(laptop.change(rename(h, p, "कमला"), 2));
    let third = server.push(&laptop.caller, &laptop.batch(more), t0()).unwrap();
    assert_eq!(outcomes(&third), vec![Outcome::Duplicate, Outcome::Duplicate, Outcome::Applied]);
    assert_eq!(third.acked_through, 3);
    // Out of order: refused whole, nothing stored.
    let a = laptop.change(rename(h, p, "x"), 3);
    let b = laptop.change(rename(h, p, "y"), 4);
    let err = server.push(&laptop.caller, &laptop.batch(vec![b, a]), t0()).unwrap_err();
    assert_eq!(err.refusal().code, RefusalCode::BadBody);
    let stored = server.pull(&Caller { device: Uuid::now_v7(), kind: DeviceKind::Block }, 0).unwrap();
    assert_eq!(stored.changes.len(), 0, "a block device that brought nothing gets nothing");
}

/// Two laptops of a block's village (named `names`), a household with one member recorded by
/// the first and pulled by the second, so that the second has seen the first's writes so far.
fn pulled_by_a_second_laptop(
    server: &mut Store,
    names: [&str; 2],
) -> (Laptop, Laptop, HouseholdId, PersonId) {
    let mut a = enroll(server, names[0]);
    let mut b = enroll(server, names[1]);
    let h = HouseholdId(Uuid::now_v7());
    let p = PersonId(Uuid::now_v7());
    let opened = vec![a.change(household(h, VILLAGE), 0), a.change(member(h, p, "कमला देवी"), 1)];
    server.push(&a.caller, &a.batch(opened), t0()).unwrap();
    let feed = server.pull(&b.caller, 0).unwrap();
    assert_eq!(feed.changes.len(), 2);
    b.pulled_through = feed.cursor;
    (a, b, h, p)
}

/// Two laptops of a block's village, a household recorded by the first and pulled by the
/// second, and its member renamed on both while neither has seen the other's rename: the
/// laptops, the household, the member, and the outcomes of the first's push and the second's.
fn renamed_unseen(server: &mut Store) -> (Laptop, Laptop, HouseholdId, PersonId, Vec<Outcome>, Vec<Outcome>) {
    let (mut a, mut b, h, p) = pulled_by_a_second_laptop(server, ["laptop A", "laptop B"]);
    // Both rename her while offline; A's rename is later by the clock but reaches the block first.
    let from_a = a.change(rename(h, p, "कमला कुमारी"), 60_000);
    let from_b = b.change(rename(h, p, "कमली देवी"), 30_000);
    let by_a = outcomes(&server.push(&a.caller, &a.batch(vec![from_a]), t0()).unwrap());
    let by_b = outcomes(&server.push(&b.caller, &b.batch(vec![from_b]), t0()).unwrap());
    (a, b, h, p, by_a, by_b)
}

fn two_laptops_renaming_one_person_unseen_put_both_names_up_for_review(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let (_a, mut b, h, p, by_a, by_b) = renamed_unseen(&mut server);
    assert_eq!(by_a, vec![Outcome::Applied]);
    assert_eq!(by_b, vec![Outcome::Conflict { field: "name".into() }]);
    assert_eq!(name_of(&mut server, p), "कमला कुमारी", "the later clock stands meanwhile");
    let reviews = server.open_reviews().unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].field, "name");
    assert_eq!(reviews[0].kept["value"], "कमला कुमारी");
    assert_eq!(reviews[0].other["value"], "कमली देवी");
    // A rename by B after it has pulled A's is a plain edit, not a conflict.
    b.pulled_through = server.pull(&b.caller, b.pulled_through).unwrap().cursor;
    let later = b.change(rename(h, p, "कमला देवी"), 120_000);
    assert_eq!(
        outcomes(&server.push(&b.caller, &b.batch(vec![later]), t0()).unwrap()),
        vec![Outcome::Applied]
    );
    assert_eq!(name_of(&mut server, p), "कमला देवी");
}

/// B's answer is lost (or beaten by its own second sending): the push sent again, whole or
/// halved, is told of the rename put up for review, not "duplicate", and queues nothing more.
fn a_push_sent_again_is_told_what_was_decided_for_each_change_the_first_time(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let (mut a, mut b, h, p) = pulled_by_a_second_laptop(&mut server, ["laptop A", "laptop B"]);
    let from_a = a.change(rename(h, p, "कमला कुमारी"), 60_000);
    server.push(&a.caller, &a.batch(vec![from_a]), t0()).unwrap();
    let pushed = vec![b.change(fact_of(h, p), 20_000), b.change(rename(h, p, "कमली देवी"), 30_000)];
    let conflict = Outcome::Conflict { field: "name".into() };
    let first = server.push(&b.caller, &b.batch(pushed.clone()), t0()).unwrap();
    assert_eq!(outcomes(&first), vec![Outcome::Applied, conflict.clone()]);
    let whole = server.push(&b.caller, &b.batch(pushed.clone()), t0()).unwrap();
    assert_eq!(outcomes(&whole), vec![Outcome::Duplicate, conflict.clone()]);
    // Halved after a timeout: the answer goes past the change it did not carry, and says it.
    let halved = server.push(&b.caller, &b.batch(pushed[..1].to_vec()), t0()).unwrap();
    assert_eq!(halved.acked_through, 2);
    assert_eq!(
        halved.results.iter().map(|r| (r.seq, r.outcome.clone())).collect::<Vec<_>>(),
        vec![(1, Outcome::Duplicate), (2, conflict)]
    );
    assert_eq!(server.open_reviews().unwrap().len(), 1, "one review, however often it is told");
    // The sync gave up with the answer lost; the next one's session moves the laptop past both
    // changes, and says what became of the one put up for review (nothing of the applied one).
    let session = server.session(&b.session_knowing(0), 60, t0()).unwrap();
    assert_eq!(session.acked_through, 2);
    assert_eq!(
        session.decided,
        vec![ChangeResult { seq: 2, outcome: Outcome::Conflict { field: "name".into() }, capped: None }]
    );
    assert!(server.session(&b.session_knowing(2), 60, t0()).unwrap().decided.is_empty(), "told once");
}

/// The operator decides the review: the name that lost by the clock is the right one. It is put
/// in place with a change made on the server, which the laptops pull (so both end with it); the
/// review leaves the queue, with who decided and which value, and cannot be decided twice. A
/// review decided for the value standing writes that value again while it stands, so that the
/// decision travels too.
fn a_review_decided_for_the_other_name_puts_it_in_place_with_a_change_that_travels(b: Backend) {
    use samanvaya_server::review::Choice;
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut a = enroll(&mut server, "laptop A");
    let mut b = enroll(&mut server, "laptop B");
    let h = HouseholdId(Uuid::now_v7());
    let (p, q) = (PersonId(Uuid::now_v7()), PersonId(Uuid::now_v7()));
    let opened = vec![
        a.change(household(h, VILLAGE), 0),
        a.change(member(h, p, "कमला देवी"), 1),
        a.change(member(h, q, "रामू"), 2),
    ];
    server.push(&a.caller, &a.batch(opened), t0()).unwrap();
    b.pulled_through = server.pull(&b.caller, 0).unwrap().cursor;
    let renames_a =
        vec![a.change(rename(h, p, "कमला कुमारी"), 60_000), a.change(rename(h, q, "रामू मांझी"), 60_001)];
    let renames_b = vec![b.change(rename(h, p, "कमली देवी"), 30_000), b.change(rename(h, q, "रामु"), 30_001)];
    server.push(&a.caller, &a.batch(renames_a), t0()).unwrap();
    server.push(&b.caller, &b.batch(renames_b), t0()).unwrap();
    let reviews = server.open_reviews().unwrap();
    assert_eq!(reviews.len(), 2);
    let (for_p, for_q) = (reviews[0].id, reviews[1].id);
    assert_eq!(reviews[0].member_id, p.to_string());

    let feed_before = server.pull(&a.caller, 0).unwrap().cursor;
    let err = server.decide_review(for_p, Choice::Other, " ", t0()).unwrap_err();
    assert!(err.to_string().contains("say who decides"), "{err}");
    server.decide_review(for_p, Choice::Other, "BDO office", t0()).unwrap();
    assert_eq!(name_of(&mut server, p), "कमली देवी", "the other name is in place");
    server.decide_review(for_q, Choice::Kept, "BDO office", t0()).unwrap();
    assert_eq!(name_of(&mut server, q), "रामू मांझी", "the name standing stays");
    assert_eq!(server.open_reviews().unwrap(), vec![], "both decided");
    let again = server.decide_review(for_p, Choice::Kept, "BDO office", t0()).unwrap_err();
    assert!(again.to_string().contains("decided already"), "{again}");
    let missing = server.decide_review(9_999, Choice::Kept, "BDO office", t0()).unwrap_err();
    assert!(missing.to_string().contains("no review 9999"), "{missing}");

    // Each decision travels as a change made here, to each laptop of the village: the other
    // name put in place, the name kept written again (so that a server that queued the same
    // conflict closes it too).
    for laptop in [&a, &b] {
        let feed = server.pull(&laptop.caller, feed_before).unwrap();
        let names: Vec<&ChangeBody> = feed.changes.iter().map(|c| &c.change.body).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(
            matches!(names[0], ChangeBody::Member(m) if m.id == p && m.fields == [MemberField::Name("कमली देवी".into())]),
            "{names:?}"
        );
        assert!(
            matches!(names[1], ChangeBody::Member(m) if m.id == q && m.fields == [MemberField::Name("रामू मांझी".into())]),
            "{names:?}"
        );
    }
    // Not for the other value: a review whose value changed since (a correction made after
    // both laptops had seen both names), nor one whose member was removed since.
    let (r, gone) = (PersonId(Uuid::now_v7()), PersonId(Uuid::now_v7()));
    a.pulled_through = server.pull(&a.caller, a.pulled_through).unwrap().cursor;
    b.pulled_through = server.pull(&b.caller, b.pulled_through).unwrap().cursor;
    let added = vec![a.change(member(h, r, "सुनीता"), 200_000), a.change(member(h, gone, "गीता"), 200_001)];
    server.push(&a.caller, &a.batch(added), t0()).unwrap();
    b.pulled_through = server.pull(&b.caller, b.pulled_through).unwrap().cursor;
    let by_a =
        vec![a.change(rename(h, r, "सुनीता देवी"), 260_000), a.change(rename(h, gone, "गीता देवी"), 260_001)];
    server.push(&a.caller, &a.batch(by_a), t0()).unwrap();
    let by_b = vec![b.change(rename(h, r, "सुनिता"), 230_000), b.change(rename(h, gone, "गिता"), 230_001)];
    server.push(&b.caller, &b.batch(by_b), t0()).unwrap();
    let open_now = server.open_reviews().unwrap();
    assert_eq!(open_now.len(), 2);
    a.pulled_through = server.pull(&a.caller, a.pulled_through).unwrap().cursor;
    let corrected = a.change(rename(h, r, "सुनीता कुमारी"), 300_000);
    let removed = a.change(
        ChangeBody::MemberRemoved(MemberRemoved {
            id: gone,
            household_id: h,
            merged_into: None,
            departure_seen: None,
        }),
        300_001,
    );
    server.push(&a.caller, &a.batch(vec![corrected, removed]), t0()).unwrap();
    let stale = server.decide_review(open_now[0].id, Choice::Other, "BDO office", t0()).unwrap_err();
    assert!(stale.to_string().contains("has changed since"), "{stale}");
    assert_eq!(name_of(&mut server, r), "सुनीता कुमारी", "the correction stands");
    let of_removed = server.decide_review(open_now[1].id, Choice::Other, "BDO office", t0()).unwrap_err();
    assert!(of_removed.to_string().contains("removed since"), "{of_removed}");
    for review in &open_now {
        server.decide_review(review.id, Choice::Kept, "BDO office", t0()).unwrap();
    }
    assert_eq!(server.open_reviews().unwrap(), vec![]);

    let decided = mentioning(&server.rows(), "BDO office");
    assert_eq!(decided.len(), 4, "who decided, kept with each review: {decided:?}");
    assert!(decided.iter().all(|r| r.starts_with("review: ")), "{decided:?}");
    // Which value was chosen, as each backend prints the row (SQLite's columns, PostgreSQL's JSON).
    let chose = |r: &&String, what: &str| {
        r.ends_with(&format!("| {what}")) || r.contains(&format!("\"chosen\":\"{what}\""))
    };
    assert_eq!(decided.iter().filter(|r| chose(r, "other")).count(), 1, "{decided:?}");
    assert_eq!(decided.iter().filter(|r| chose(r, "kept")).count(), 3, "{decided:?}");
}

/// A change as a block forwards it: numbered in the block's order, with what the block says its
/// maker had seen (`seen`: the identity fields' readings; empty from a block that says nothing).
struct Forwarded {
    seq: i64,
}

impl Forwarded {
    fn change(
        &mut self,
        device: Uuid,
        device_seq: i64,
        ms: i64,
        body: ChangeBody,
        seen: &[(&str, Hlc)],
    ) -> Change {
        self.seq += 1;
        Change {
            seq: self.seq,
            origin: Origin { device, seq: device_seq },
            recorded_at: t0(),
            change: Typed::new(at(device, ms), body),
            seen_at_sender: seen.iter().map(|(f, h)| ((*f).to_owned(), *h)).collect(),
        }
    }
}

/// The reading `ms` after the tests' moment on `device`.
fn at(device: Uuid, ms: i64) -> Hlc {
    Hlc { wall_ms: t0().timestamp_millis() + ms, counter: 0, node: device }
}

/// The district queues the same conflict as the block when the block forwards both renames.
/// The block's operator decides it; the decision arrives at the district as a change the block
/// made, which closes the district's review too, as decided by that block.
fn a_review_the_block_decided_is_closed_at_the_district_when_the_decision_arrives(b: Backend) {
    let Some(mut district) = open(b, Role::District) else { return };
    let (block, _) = enroll_block(&mut district, "Bodh Gaya");
    let (la, lb) = (Uuid::now_v7(), Uuid::now_v7());
    let h = HouseholdId(Uuid::now_v7());
    let p = PersonId(Uuid::now_v7());
    let mut fw = Forwarded { seq: 0 };
    // B renamed her unseen of A's rename: the block queued it, and says B had seen nothing.
    let changes = vec![
        fw.change(la, 1, 0, household(h, VILLAGE), &[]),
        fw.change(la, 2, 1, member(h, p, "कमला देवी"), &[]),
        fw.change(la, 3, 60_000, rename(h, p, "कमला कुमारी"), &[]),
        fw.change(lb, 1, 30_000, rename(h, p, "कमली देवी"), &[]),
    ];
    // The block's operator decided with both names before her.
    let decision = fw.change(block.device, 1, 120_000, rename(h, p, "कमली देवी"), &[("name", at(la, 60_000))]);
    district
        .push(
            &block,
            &PushBatch { after: None, protocol: PROTOCOL_VERSION, pulled_through: 0, changes },
            t0(),
        )
        .unwrap();
    assert_eq!(district.open_reviews().unwrap().len(), 1, "the district queued the conflict too");
    // The block has pulled from its district since (as its sync does), so its decision is not a
    // conflict of its own.
    let pulled_through = district.pull(&block, 0).unwrap().cursor;
    let batch =
        PushBatch { after: None, protocol: PROTOCOL_VERSION, pulled_through, changes: vec![decision] };
    district.push(&block, &batch, t0()).unwrap();
    assert_eq!(name_of(&mut district, p), "कमली देवी");
    assert_eq!(district.open_reviews().unwrap(), vec![], "decided with the block's decision");
    let decided = mentioning(&district.rows(), "block Bodh Gaya");
    assert_eq!(decided.len(), 1, "{decided:?}");
    assert!(decided[0].starts_with("review: "), "{decided:?}");
}

/// Laptop B renamed a woman after pulling A's rename of her from their block. The block forwards
/// both in one push, before it pulls from the district again, so to the district B's rename
/// looks made unseen of A's. The block says B had seen A's rename (its reading): the district,
/// holding that same write, queues no review. Before, it queued one the block never had. It
/// still queues one when the block says nothing (a block from before the field), when the write
/// the block names is not the one standing (a block restored from a backup older than A's
/// rename merged B's against an older name), and when a laptop says it.
fn edits_a_block_merged_one_after_the_other_queue_no_review_at_the_district(b: Backend) {
    let Some(mut district) = open(b, Role::District) else { return };
    let (block, _) = enroll_block(&mut district, "Bodh Gaya");
    let mut fw = Forwarded { seq: 0 };
    for (said, reviews) in [("A's rename", 0), ("nothing", 1), ("an older write", 1)] {
        let (la, lb) = (Uuid::now_v7(), Uuid::now_v7());
        let h = HouseholdId(Uuid::now_v7());
        let p = PersonId(Uuid::now_v7());
        let seen = match said {
            "A's rename" => vec![("name", at(la, 30_000))],
            "nothing" => vec![],
            _ => vec![("name", at(la, 1))],
        };
        let changes = vec![
            fw.change(la, 1, 0, household(h, VILLAGE), &[]),
            fw.change(la, 2, 1, member(h, p, "कमला देवी"), &[]),
            fw.change(la, 3, 30_000, rename(h, p, "कमला कुमारी"), &[]),
            fw.change(lb, 1, 60_000, rename(h, p, "कमली देवी"), &seen),
        ];
        let before = district.open_reviews().unwrap().len();
        let ack = district
            .push(
                &block,
                &PushBatch { after: None, protocol: PROTOCOL_VERSION, pulled_through: 0, changes },
                t0(),
            )
            .unwrap();
        assert_eq!(name_of(&mut district, p), "कमली देवी", "B's later rename stands");
        assert_eq!(district.open_reviews().unwrap().len() - before, reviews, "the block said {said}");
        let conflicts = ack.results.iter().filter(|r| matches!(r.outcome, Outcome::Conflict { .. })).count();
        assert_eq!(conflicts, reviews, "{:?}", ack.results);
    }
    // A laptop's word is not taken.
    let Some(mut server) = open(b, Role::Block) else { return };
    let (mut a, mut lb, h, p) = pulled_by_a_second_laptop(&mut server, ["A's laptop", "B's laptop"]);
    let renamed = a.change(rename(h, p, "कमला कुमारी"), 30_000);
    let standing = renamed.change.hlc;
    server.push(&a.caller, &a.batch(vec![renamed]), t0()).unwrap();
    let mut claimed = lb.change(rename(h, p, "कमली देवी"), 60_000);
    claimed.seen_at_sender.insert("name".into(), standing);
    server.push(&lb.caller, &lb.batch(vec![claimed]), t0()).unwrap();
    assert_eq!(server.open_reviews().unwrap().len(), 1, "a laptop saying it had seen the write is reviewed");
}

/// A block keeps, with a change written over another device's identity field its maker had
/// pulled, that write's reading: what it forwards to its district.
fn a_block_keeps_what_the_maker_of_a_change_had_seen(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut a = enroll(&mut server, "A's laptop");
    let mut lb = enroll(&mut server, "B's laptop");
    let h = HouseholdId(Uuid::now_v7());
    let p = PersonId(Uuid::now_v7());
    let mut made = vec![a.change(household(h, VILLAGE), 0), a.change(member(h, p, "कमला देवी"), 1)];
    made.push(a.change(rename(h, p, "कमला कुमारी"), 30_000));
    let standing = made[2].change.hlc;
    server.push(&a.caller, &a.batch(made), t0()).unwrap();
    lb.pulled_through = server.pull(&lb.caller, 0).unwrap().cursor;
    let after = lb.change(rename(h, p, "कमली देवी"), 60_000);
    server.push(&lb.caller, &lb.batch(vec![after]), t0()).unwrap();
    assert_eq!(server.open_reviews().unwrap(), vec![]);
    let rows = server.rows();
    let kept: Vec<&String> =
        rows.iter().filter(|r| r.starts_with("change: ") && r.contains("कमली देवी")).collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].contains(&standing.wall_ms.to_string()), "A's rename's reading is kept: {}", kept[0]);
    let others: Vec<&String> =
        rows.iter().filter(|r| r.starts_with("change: ") && r.contains("कमला कुमारी")).collect();
    assert!(!others[0].contains("\"name\":{"), "nothing kept with A's own: {}", others[0]);
}

/// The other way: the district's operator decided the conflict first; the decision comes down
/// to the block as a change the district made, and closes the block's copy.
fn a_review_the_district_decided_is_closed_at_the_block_when_the_decision_comes_down(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let (_, _, h, p, _, _) = renamed_unseen(&mut server);
    assert_eq!(server.open_reviews().unwrap().len(), 1);
    let district = Uuid::now_v7();
    let decision = samanvaya_sync_protocol::Pulled {
        server_seq: 1,
        origin: Origin { device: district, seq: 1 },
        recorded_at: t0(),
        change: Typed::new(
            Hlc { wall_ms: t0().timestamp_millis() + 120_000, counter: 0, node: district },
            rename(h, p, "कमली देवी"),
        ),
        seal: None,
    };
    assert_eq!(server.store_pulled(district, &[decision], 1, None, t0()).unwrap(), 1);
    assert_eq!(name_of(&mut server, p), "कमली देवी");
    assert_eq!(server.open_reviews().unwrap(), vec![], "decided with the district's decision");
    let decided = mentioning(&server.rows(), &format!("district {district}"));
    assert_eq!(decided.len(), 1, "{decided:?}");
}

fn a_laptop_whose_clock_runs_years_ahead_does_not_win_every_merge(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut fast = enroll(&mut server, "clock set to 2031");
    let mut right = enroll(&mut server, "clock right");
    let h = HouseholdId(Uuid::now_v7());
    let p = PersonId(Uuid::now_v7());
    let five_years_ms = Duration::days(5 * 365).num_milliseconds();
    let opened = vec![
        fast.change(household(h, VILLAGE), five_years_ms),
        fast.change(member(h, p, "सीता"), five_years_ms),
        // Corrected a minute later on the same laptop and sent in the same push: both readings
        // are past the cap, and the correction must still come after what it corrects.
        fast.change(rename(h, p, "सीता कुमारी"), five_years_ms + 60_000),
    ];
    let first_push = fast.batch(opened);
    let ack = server.push(&fast.caller, &first_push, t0()).unwrap();
    assert_eq!(name_of(&mut server, p), "सीता कुमारी", "the fast laptop's correction in the same push stands");
    let kept: Vec<Hlc> = ack.results.iter().map(|r| r.capped.expect("each reading was capped")).collect();
    assert!(kept.windows(2).all(|w| w[0] < w[1]), "the readings kept keep their order: {kept:?}");
    // Corrected again and pushed at once, under the same cap: it comes after the first.
    let again = fast.change(rename(h, p, "सीता कुमारी देवी"), five_years_ms + 120_000);
    server.push(&fast.caller, &fast.batch(vec![again]), t0()).unwrap();
    assert_eq!(name_of(&mut server, p), "सीता कुमारी देवी", "and so does the next, pushed apart");
    // A laptop whose push answers were lost learns the readings kept at its next session: every
    // change of the fast laptop was capped, in order; none after what it says it knows.
    let req = fast.session_knowing(0);
    let session = server.session(&req, 60, t0()).unwrap();
    assert_eq!(session.capped.iter().map(|k| k.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert!(session.capped.windows(2).all(|w| w[0].hlc < w[1].hlc), "{:?}", session.capped);
    let known = SessionRequest { acked_here: Some(session.acked_through), ..req.clone() };
    assert_eq!(server.session(&known, 60, t0()).unwrap().capped, vec![]);
    assert_eq!(server.session(&SessionRequest { acked_here: None, ..req }, 60, t0()).unwrap().capped, vec![]);
    assert_eq!(
        session.capped[..3].iter().map(|k| k.hlc).collect::<Vec<_>>(),
        kept,
        "as the push's answer said"
    );
    // The first push sent again after its answer was lost, halved (the batch shrinks after a
    // timeout): the answer moves the laptop past changes it did not carry, and names their
    // readings too.
    let halved = PushBatch { changes: first_push.changes[..2].to_vec(), ..first_push };
    let ack = server.push(&fast.caller, &halved, t0()).unwrap();
    assert_eq!(ack.acked_through, 4);
    let named: Vec<(i64, Hlc)> = ack.results.iter().filter_map(|r| r.capped.map(|k| (r.seq, k))).collect();
    let listed: Vec<(i64, Hlc)> = session.capped.iter().map(|k| (k.seq, k.hlc)).collect();
    assert_eq!(named, listed, "each reading kept, the changes sent again and the rest");
    right.pulled_through = server.pull(&right.caller, 0).unwrap().cursor;
    // An hour later the other laptop, seeing the record, corrects the name: it stands.
    let fix = right.change(rename(h, p, "सीता देवी"), 3_600_000);
    server.push(&right.caller, &right.batch(vec![fix]), t0() + Duration::hours(1)).unwrap();
    assert_eq!(name_of(&mut server, p), "सीता देवी");
    let req = right.session_knowing(0);
    let session = server.session(&req, 60, t0() + Duration::hours(1)).unwrap();
    assert_eq!(session.capped, vec![], "a laptop with its clock right had nothing capped");
}

/// A change whose clock counter stands at its last value, and one numbered near `i64::MAX`,
/// as a broken or hostile laptop sends them. Adding one to either overflowed: in a debug build a
/// panic inside the store, whose lock every later request then found poisoned (found by a
/// review). The reading carries into the next millisecond; the number is refused with the
/// push, and the laptop's next push is taken.
fn numbers_at_the_end_of_their_range_are_refused_or_carried_and_the_server_goes_on(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Rampur laptop");
    let h = HouseholdId(Uuid::now_v7());
    let p = PersonId(Uuid::now_v7());
    let mut made = vec![laptop.change(household(h, VILLAGE), 0), laptop.change(member(h, p, "कमला देवी"), 1)];
    made[1].change.hlc.counter = u32::MAX;
    let ack = server.push(&laptop.caller, &laptop.batch(made), t0()).unwrap();
    assert_eq!(outcomes(&ack), vec![Outcome::Applied, Outcome::Applied]);
    let mut far = laptop.change(rename(h, p, "x"), 2);
    (far.seq, far.origin.seq) = (i64::MAX, i64::MAX);
    let err = server.push(&laptop.caller, &laptop.batch(vec![far]), t0()).unwrap_err();
    assert_eq!(err.refusal().code, RefusalCode::BadBody, "{err}");
    // Nor under a number other than the one it was made with, which a change held under that
    // origin would make a "duplicate" the laptop drops.
    laptop.seq = 2;
    let mut renumbered = laptop.change(rename(h, p, "y"), 2);
    renumbered.origin.seq = 1;
    let err = server.push(&laptop.caller, &laptop.batch(vec![renumbered]), t0()).unwrap_err();
    assert_eq!(err.refusal().code, RefusalCode::BadBody, "{err}");
    laptop.seq = 2;
    let next = laptop.change(rename(h, p, "कमला"), 3);
    let ack = server.push(&laptop.caller, &laptop.batch(vec![next]), t0()).unwrap();
    assert_eq!((outcomes(&ack), ack.acked_through), (vec![Outcome::Applied], 3));
    assert_eq!(name_of(&mut server, p), "कमला");
}

/// A name holding the character NUL (from a damaged list imported on the laptop). SQLite keeps
/// it and PostgreSQL refuses it: a block took it and forwarded it, and a district on
/// PostgreSQL failed the whole push at every round, so nothing of the block's after it arrived
/// (found by a review). Now the change alone is refused, with what to do, wherever it comes in:
/// at the block from the laptop, and at the district from a block that took it before.
fn a_text_holding_nul_is_refused_alone_by_a_block_and_by_its_district(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Rampur laptop");
    let h = HouseholdId(Uuid::now_v7());
    let (p, q) = (PersonId(Uuid::now_v7()), PersonId(Uuid::now_v7()));
    let made = vec![
        laptop.change(household(h, VILLAGE), 0),
        laptop.change(member(h, p, "कमला\u{0}देवी"), 1),
        laptop.change(member(h, q, "सीता देवी"), 2),
        // A backslash typed before "u0000" is no NUL.
        laptop.change(rename(h, q, "सीता \\u0000"), 3),
        // A kind applied on its own (a referral) is refused alike.
        laptop.change(ChangeBody::Referral(pension_of(h, 1, q, "दस्तावेज़\u{0}")), 4),
    ];
    let ack = server.push(&laptop.caller, &laptop.batch(made), t0()).unwrap();
    let got = outcomes(&ack);
    assert_eq!(ack.acked_through, 5);
    for i in [1, 4] {
        assert!(matches!(&got[i], Outcome::Rejected { reason } if reason.contains("NUL")), "{got:?}");
    }
    assert_eq!([&got[0], &got[2], &got[3]], [&Outcome::Applied; 3], "{got:?}");
    assert_eq!(name_of(&mut server, q), "सीता \\u0000");
    assert!(mentioning(&server.rows(), "कमला").is_empty(), "nothing of the refused change is kept");

    let Some((mut district, got)) = one_push_to_a_new_district(
        b,
        vec![
            household(h, VILLAGE),
            member(h, p, "कमला\u{0}देवी"),
            member(h, q, "सीता देवी"),
            ChangeBody::Referral(pension_of(h, 1, q, "दस्तावेज़\u{0}")),
        ],
    ) else {
        return;
    };
    for i in [1, 3] {
        assert!(matches!(&got[i], Outcome::Rejected { reason } if reason.contains("NUL")), "{got:?}");
    }
    assert_eq!((&got[0], &got[2]), (&Outcome::Applied, &Outcome::Applied), "{got:?}");
    assert_eq!(name_of(&mut district, q), "सीता देवी");
}

/// A new district, a block enrolled with it, and `bodies` forwarded by the block in one push as
/// one laptop's changes in order: the district and what it answered for each.
fn one_push_to_a_new_district(b: Backend, bodies: Vec<ChangeBody>) -> Option<(Opened, Vec<Outcome>)> {
    let mut district = open(b, Role::District)?;
    let (block, _) = enroll_block(&mut district, "Bodh Gaya");
    let la = Uuid::now_v7();
    let mut fw = Forwarded { seq: 0 };
    let changes = (0u32..)
        .zip(bodies)
        .map(|(i, body)| fw.change(la, i64::from(i) + 1, i64::from(i), body, &[]))
        .collect();
    let batch = PushBatch { after: None, protocol: PROTOCOL_VERSION, pulled_through: 0, changes };
    let ack = district.push(&block, &batch, t0()).unwrap();
    Some((district, outcomes(&ack)))
}

/// A fact or a receiving whose name or subject is longer than a PostgreSQL index can hold (about
/// 2.7 KB) failed a district's whole push at every round, as a NUL did; it is refused alone, at
/// a block and at a district, and the changes around it are applied.
fn a_fact_named_longer_than_any_index_holds_is_refused_alone_by_a_block_and_by_its_district(b: Backend) {
    use samanvaya_domain::change::{ReceivingChange, ReferralChange};
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Rampur laptop");
    let h = HouseholdId(Uuid::now_v7());
    let p = PersonId(Uuid::now_v7());
    // Text that does not compress: PostgreSQL compresses an index's entries, and a repeated
    // letter would fit.
    let long =
        format!("person.{}", (0..100).map(|_| Uuid::now_v7().simple().to_string()).collect::<String>());
    let receiving = ChangeBody::Receiving(ReceivingChange {
        household_id: h,
        subject_id: p.to_string(),
        scheme: long.clone(),
        receiving: true,
        source: Source::Survey,
    });
    let made = vec![
        laptop.change(household(h, VILLAGE), 0),
        laptop.change(member(h, p, "कमला देवी"), 1),
        laptop.change(fact_named(h, p, &long, serde_json::json!(true)), 2),
        laptop.change(receiving.clone(), 3),
        laptop.change(fact_of(h, p), 4),
        laptop.change(
            ChangeBody::Referral(ReferralChange { number: long.clone(), ..pension_of(h, 1, p, "") }),
            5,
        ),
    ];
    let ack = server.push(&laptop.caller, &laptop.batch(made), t0()).unwrap();
    let got = outcomes(&ack);
    assert_eq!(ack.acked_through, 6);
    for i in [2, 3, 5] {
        assert!(matches!(&got[i], Outcome::Rejected { reason } if reason.contains("256 bytes")), "{got:?}");
    }
    assert_eq!([&got[0], &got[1], &got[4]], [&Outcome::Applied; 3], "{got:?}");

    let Some((_, got)) = one_push_to_a_new_district(
        b,
        vec![
            household(h, VILLAGE),
            member(h, p, "कमला देवी"),
            fact_named(h, p, &long, serde_json::json!(true)),
            receiving,
            fact_of(h, p),
            ChangeBody::Referral(ReferralChange { number: long, ..pension_of(h, 1, p, "") }),
        ],
    ) else {
        return;
    };
    for i in [2, 3, 5] {
        assert!(matches!(&got[i], Outcome::Rejected { reason } if reason.contains("256 bytes")), "{got:?}");
    }
    assert_eq!([&got[0], &got[1], &got[4]], [&Outcome::Applied; 3], "{got:?}");
}

/// A facilitator opened a referral of a woman's second record before she saw the supervisor make
/// the two records one. Whichever reaches the server first, the referral ends on the record
/// kept, and a referral of a record kept before it was itself made one with a third goes on to
/// the third. Before, the case stayed on the removed record and showed under the head's name.
fn a_referral_of_a_record_made_one_with_another_goes_to_the_record_kept(b: Backend) {
    use samanvaya_domain::change::ReferralChange;
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut supervisor = enroll(&mut server, "supervisor's laptop");
    let mut other = enroll(&mut server, "facilitator's laptop");
    let h = HouseholdId(Uuid::now_v7());
    let [kept, first, second] = [(); 3].map(|()| PersonId(Uuid::now_v7()));
    let made = vec![
        supervisor.change(household(h, VILLAGE), 0),
        supervisor.change(member(h, kept, "सीता देवी"), 1),
        supervisor.change(member(h, first, "सीता"), 2),
        supervisor.change(member(h, second, "सीता कुमारी"), 3),
    ];
    server.push(&supervisor.caller, &supervisor.batch(made), t0()).unwrap();
    let referral = |n: u32, of: PersonId| pension_of(h, n, of, "");
    let merged = |gone: PersonId, into: PersonId| {
        ChangeBody::MemberRemoved(MemberRemoved {
            id: gone,
            household_id: h,
            merged_into: Some(into),
            departure_seen: None,
        })
    };
    // The merge first, then the referral opened without seeing it.
    let (r1, r2) = (referral(1, first), referral(2, second));
    let change = supervisor.change(merged(first, second), 60_000);
    server.push(&supervisor.caller, &supervisor.batch(vec![change]), t0()).unwrap();
    let opened = vec![other.change(ChangeBody::Referral(r1.clone()), 30_000)];
    assert_eq!(
        outcomes(&server.push(&other.caller, &other.batch(opened), t0()).unwrap()),
        [Outcome::Applied]
    );
    let on = |server: &Opened, r: &ReferralChange, who: PersonId| {
        let row = mentioning(&server.rows(), &r.id.to_string())
            .into_iter()
            .find(|row| row.starts_with("referral: "))
            .expect("the referral is stored");
        row.contains(&who.to_string())
    };
    assert!(on(&server, &r1, second), "on the record it was made one with");
    // The referral first (of the record that will be kept next), then the merge of that record
    // into the first record kept: both referrals end there.
    let opened = vec![other.change(ChangeBody::Referral(r2.clone()), 90_000)];
    server.push(&other.caller, &other.batch(opened), t0()).unwrap();
    assert!(on(&server, &r2, second));
    let change = supervisor.change(merged(second, kept), 120_000);
    server.push(&supervisor.caller, &supervisor.batch(vec![change]), t0()).unwrap();
    assert!(on(&server, &r2, kept), "moved when the merge arrived");
    assert!(on(&server, &r1, kept), "and the one moved before goes on");
    // A referral of the first record arriving now goes straight to the record kept at last.
    let r3 = referral(3, first);
    let change = other.change(ChangeBody::Referral(r3.clone()), 130_000);
    server.push(&other.caller, &other.batch(vec![change]), t0()).unwrap();
    assert!(on(&server, &r3, kept));

    // Two merges made at once on two laptops, the second arriving first: x into y, y into z. A
    // referral of x ends on z. So does one of u, merged into z and then removed plainly by a
    // laptop that had not seen the merge.
    let [x, y, z, u] = [(); 4].map(|()| PersonId(Uuid::now_v7()));
    let made: Vec<Change> = [(x, "रीता"), (y, "रीता देवी"), (z, "रीता कुमारी"), (u, "रीता दे.")]
        .into_iter()
        .enumerate()
        .map(|(i, (p, name))| supervisor.change(member(h, p, name), 150_000 + i as i64))
        .collect();
    server.push(&supervisor.caller, &supervisor.batch(made), t0()).unwrap();
    for (gone, into, ms) in [(y, z, 160_000), (x, y, 160_001), (u, z, 160_002)] {
        let change = supervisor.change(merged(gone, into), ms);
        server.push(&supervisor.caller, &supervisor.batch(vec![change]), t0()).unwrap();
    }
    let plain = other.change(
        ChangeBody::MemberRemoved(MemberRemoved {
            id: u,
            household_id: h,
            merged_into: None,
            departure_seen: None,
        }),
        170_000,
    );
    server.push(&other.caller, &other.batch(vec![plain]), t0()).unwrap();
    let (r4, r5) = (referral(4, x), referral(5, u));
    let opened = vec![
        other.change(ChangeBody::Referral(r4.clone()), 170_001),
        other.change(ChangeBody::Referral(r5.clone()), 170_002),
    ];
    server.push(&other.caller, &other.batch(opened), t0()).unwrap();
    assert!(on(&server, &r4, z), "the chain followed to its end");
    assert!(on(&server, &r5, z), "the merge stands after a plain removal");
}

/// A woman's second record was made one with hers; then her consent is withdrawn. The second
/// record's name and the changes that made it go with hers, and a referral of it opened
/// elsewhere before the merge was seen is erased on arrival. A third record merged into hers
/// only after the withdrawal arrived goes too. Before, her other spelling stayed at every server
/// in the removed record, and the late referral was moved onto her erased record.
fn a_withdrawal_erases_her_records_made_one_with_hers(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut supervisor = enroll(&mut server, "supervisor's laptop");
    let mut other = enroll(&mut server, "facilitator's laptop");
    let (h, [_, kept, second, third], made) =
        supervisor.head_and_three_records(["कमला देवी", "कमली", "कमलवती"]);
    server.push(&supervisor.caller, &supervisor.batch(made), t0()).unwrap();
    let merged = |gone: PersonId| {
        ChangeBody::MemberRemoved(MemberRemoved {
            id: gone,
            household_id: h,
            merged_into: Some(kept),
            departure_seen: None,
        })
    };
    let steps =
        vec![supervisor.change(merged(second), 10_000), supervisor.change(withdrawal(h, Some(kept)), 20_000)];
    server.push(&supervisor.caller, &supervisor.batch(steps), t0()).unwrap();
    let late = pension_of(h, 9, second, "कमली की पेंशन");
    let opened = other.change(ChangeBody::Referral(late.clone()), 5_000);
    let ack = server.push(&other.caller, &other.batch(vec![opened]), t0()).unwrap();
    assert!(
        matches!(&outcomes(&ack)[0], Outcome::Rejected { reason } if reason.contains("erased on arrival")),
        "{:?}",
        outcomes(&ack)
    );
    // The third record's merge, made before the withdrawal was seen, arrives after it.
    let change = other.change(merged(third), 30_000);
    server.push(&other.caller, &other.batch(vec![change]), t0()).unwrap();
    let rows = server.rows();
    for name in ["कमला देवी", "कमली", "कमलवती"] {
        assert_eq!(mentioning(&rows, name), Vec::<String>::new(), "{name} is gone");
    }
    assert_eq!(
        mentioning(&rows, &late.id.to_string()).iter().filter(|r| r.starts_with("referral: ")).count(),
        0
    );
    assert_eq!(mentioning(&rows, "रामवती देवी").len(), 2, "the head stays: her row and her change");
    // The merges themselves (ids only) still travel, so that every store behind this one
    // removes the records too.
    let reader = third_laptop(&mut server);
    let pulled = server.pull(&reader.caller, 0).unwrap();
    for gone in [second, third] {
        let travels = pulled.changes.iter().any(|p| {
            matches!(&p.change.body, ChangeBody::MemberRemoved(r) if r.id == gone && r.merged_into == Some(kept))
        });
        assert!(travels, "the merge of {gone} is in the feed");
    }
}

fn fact_named(h: HouseholdId, p: PersonId, name: &str, value: serde_json::Value) -> ChangeBody {
    ChangeBody::Fact(FactChange {
        household_id: h,
        subject_id: p.to_string(),
        name: name.into(),
        value: Some(value),
        source: Source::Survey,
    })
}

fn merged(h: HouseholdId, gone: PersonId, into: PersonId) -> ChangeBody {
    ChangeBody::MemberRemoved(MemberRemoved {
        id: gone,
        household_id: h,
        merged_into: Some(into),
        departure_seen: None,
    })
}

/// A woman's second record was made one with hers on the supervisor's laptop; another laptop,
/// not having seen the merge, surveyed the family and recorded facts and a benefit of the second
/// record. Whichever arrives first, the record kept ends with the same facts: the late ones
/// merged into hers (the later clock winning), her own answer where the merge wrote it again,
/// and nothing left on the record that went. Before, a late fact was refused when the merge came
/// first, and stayed on the removed record when it came after.
fn a_fact_of_a_record_made_one_with_another_goes_to_the_record_kept(b: Backend) {
    use samanvaya_domain::change::ReceivingChange;
    use serde_json::json;
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut supervisor = enroll(&mut server, "supervisor's laptop");
    let mut other = enroll(&mut server, "facilitator's laptop");
    for merge_first in [true, false] {
        let h = HouseholdId(Uuid::now_v7());
        let (kept, gone) = (PersonId(Uuid::now_v7()), PersonId(Uuid::now_v7()));
        let disability = |p: PersonId, v: bool| fact_named(h, p, "person.disability", json!(v));
        let made = vec![
            supervisor.change(household(h, VILLAGE), 0),
            supervisor.change(member(h, kept, "सीता देवी"), 1),
            supervisor.change(member(h, gone, "सीता"), 2),
            supervisor.change(disability(kept, false), 3),
            // The other record's answer is the later one.
            supervisor.change(disability(gone, true), 4),
            supervisor.change(fact_named(h, gone, "person.income", json!(5000)), 5),
        ];
        server.push(&supervisor.caller, &supervisor.batch(made), t0()).unwrap();
        // The merge as the supervisor's laptop records it: her own answer written again, the
        // income she lacked taken, the second record removed.
        let merge = vec![
            supervisor.change(disability(kept, false), 60_000),
            supervisor.change(fact_named(h, kept, "person.income", json!(5000)), 60_001),
            supervisor.change(merged(h, gone, kept), 60_002),
        ];
        // The other laptop's survey, made before it saw the merge.
        let receiving = ChangeBody::Receiving(ReceivingChange {
            household_id: h,
            subject_id: gone.to_string(),
            scheme: "NSAP_IGNWPS".into(),
            receiving: true,
            source: Source::Survey,
        });
        let late = vec![
            other.change(fact_named(h, gone, "person.caste", json!("sc")), 30_000),
            other.change(receiving, 30_001),
            other.change(disability(gone, true), 30_002),
        ];
        let mut pushes = [(&mut supervisor, merge), (&mut other, late)];
        if !merge_first {
            pushes.reverse();
        }
        for (laptop, changes) in pushes {
            let ack = server.push(&laptop.caller, &laptop.batch(changes), t0()).unwrap();
            assert!(outcomes(&ack).iter().all(|o| *o == Outcome::Applied), "{:?}", outcomes(&ack));
        }
        let order = if merge_first { "the merge first" } else { "the survey first" };
        assert_eq!(
            server.facts_of(kept),
            [
                "person.caste=\"sc\"",
                "person.disability=false",
                "person.income=5000",
                "receiving:NSAP_IGNWPS=1",
            ]
            .map(String::from)
            .into(),
            "{order}"
        );
        assert!(server.facts_of(gone).is_empty(), "{order}: nothing stays on the record that went");
    }
}

/// A laptop that had not seen a woman's second record made one with hers records her death on
/// the second record, and corrects its name. Her death is hers: the record kept shows it,
/// whichever of the merge and the death arrives first, while the name the merge kept stays.
/// A departure of the other record the supervisor saw when merging (written as moved away), which
/// the merge names, is not taken: the kept record's own stands against it. Before, the death was refused once the merge was held, and stayed on the removed record
/// when it came first: she was shown living everywhere.
fn a_departure_of_a_record_made_one_with_another_goes_to_the_record_kept(b: Backend) {
    use samanvaya_domain::Departure;
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut supervisor = enroll(&mut server, "supervisor's laptop");
    let mut other = enroll(&mut server, "facilitator's laptop");
    let left = |h: HouseholdId, p: PersonId, l: Option<Departure>| {
        ChangeBody::Member(MemberChange { id: p, household_id: h, fields: vec![MemberField::Left(l)] })
    };
    let died = samanvaya_tests::died();
    let moved = samanvaya_tests::moved_away();
    for merge_first in [true, false] {
        let order = if merge_first { "the merge first" } else { "the death first" };
        let (h, second) = (HouseholdId(Uuid::now_v7()), HouseholdId(Uuid::now_v7()));
        let [kept, gone, kept2, gone2] = [(); 4].map(|()| PersonId(Uuid::now_v7()));
        let made = vec![
            supervisor.change(household(h, VILLAGE), 0),
            supervisor.change(member(h, kept, "सीता देवी"), 1),
            supervisor.change(member(h, gone, "सीता"), 2),
            supervisor.change(household(second, VILLAGE), 3),
            supervisor.change(member(second, kept2, "गीता देवी"), 4),
            supervisor.change(member(second, gone2, "गीता"), 5),
            // Written as moved away, which the supervisor's laptop holds at its merge.
            supervisor.change(left(second, gone2, Some(moved)), 6),
        ];
        let seen = made.last().unwrap().change.hlc;
        server.push(&supervisor.caller, &supervisor.batch(made), t0()).unwrap();
        let mut merge2 = merged(second, gone2, kept2);
        if let ChangeBody::MemberRemoved(r) = &mut merge2 {
            r.departure_seen = Some(seen);
        }
        let merge = vec![
            supervisor.change(merged(h, gone, kept), 60_000),
            // The move it saw, said with the merge: the kept record's own departure stands.
            supervisor.change(merge2, 60_002),
        ];
        let mut renamed = member(h, gone, "सीता कुमारी");
        if let ChangeBody::Member(m) = &mut renamed {
            m.fields.retain(|f| matches!(f, MemberField::Name(_)));
            m.fields.push(MemberField::Left(Some(died)));
        }
        let late = vec![other.change(renamed, 30_000)];
        let mut pushes = [(&mut supervisor, merge), (&mut other, late)];
        if !merge_first {
            pushes.reverse();
        }
        for (laptop, changes) in pushes {
            let ack = server.push(&laptop.caller, &laptop.batch(changes), t0()).unwrap();
            // The other laptop's new name, made unseen of the supervisor's, is put up for review
            // when it arrives before the merge.
            let taken = |o: &Outcome| matches!(o, Outcome::Applied | Outcome::Conflict { .. });
            assert!(outcomes(&ack).iter().all(taken), "{order}: {:?}", outcomes(&ack));
        }
        let row = |server: &Opened, p: PersonId| {
            server.texts(
                "SELECT name || ' ' || coalesce(left_household, 'living') FROM member WHERE id = ?1",
                &p.to_string(),
            )
        };
        let shown = serde_json::to_string(&died).unwrap();
        assert_eq!(row(&server, kept), [format!("सीता देवी {shown}")], "{order}");
        assert_eq!(row(&server, kept2), ["गीता देवी living"], "{order}: the move the merge saw is not taken");
        // A move of the other record written elsewhere before the one the merge saw, arriving
        // after the merge: it lost to that one on the other record, and is not taken either.
        let older = vec![other.change(left(second, gone2, Some(moved)), 3)];
        server.push(&other.caller, &other.batch(older), t0()).unwrap();
        assert_eq!(
            row(&server, kept2),
            ["गीता देवी living"],
            "{order}: nor an older one arriving after the merge"
        );
    }
}

/// Three records of a woman, X, Y and Z. Y was written as moved away, which the second
/// supervisor saw when making Y one with Z; the first made X one with Y; a laptop that saw
/// neither recorded X's death, earlier than Y's move. Whatever order the two merges and the
/// death arrive in, Z stays as the second supervisor chose (living): the death reaches Z
/// through Y, whose move the merge saw past it. Before, Z showed the death in two orders of
/// three. And two supervisors who each made X one with Y and Y one with X, where X was written
/// as moved away and the first saw it: the record the block brings back is living, as Y was.
/// Before, the block gave it X's move, which no laptop showed.
fn a_departure_seen_by_a_merge_stays_seen_through_a_chain_and_a_crossing(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut first = enroll(&mut server, "first supervisor's laptop");
    let mut second = enroll(&mut server, "second supervisor's laptop");
    let mut other = enroll(&mut server, "facilitator's laptop");
    let left = |h: HouseholdId, p: PersonId, l: samanvaya_domain::Departure| {
        ChangeBody::Member(MemberChange { id: p, household_id: h, fields: vec![MemberField::Left(Some(l))] })
    };
    let seen_merge = |h: HouseholdId, gone: PersonId, kept: PersonId, seen: Hlc| {
        let mut m = merged(h, gone, kept);
        if let ChangeBody::MemberRemoved(r) = &mut m {
            r.departure_seen = Some(seen);
        }
        m
    };
    for order in ["X-Y, death, Y-Z", "X-Y, Y-Z, death", "Y-Z, death, X-Y"] {
        let (h, [_, x, y, z], mut made) = first.head_and_three_records(["सीता", "सीता देवी", "सीता कुमारी"]);
        made.push(first.change(left(h, y, samanvaya_tests::moved_away()), 200));
        let moved_at = made.last().unwrap().change.hlc;
        server.push(&first.caller, &first.batch(made), t0()).unwrap();
        let mut steps = vec![
            ("X-Y", &mut first, merged(h, x, y), 60_000),
            ("death", &mut other, left(h, x, samanvaya_tests::died()), 100),
            ("Y-Z", &mut second, seen_merge(h, y, z, moved_at), 61_000),
        ];
        let rank = |name: &str| order.split(", ").position(|s| s == name).unwrap();
        steps.sort_by_key(|(name, ..)| rank(name));
        for (_, laptop, body, ms) in steps {
            let change = vec![laptop.change(body, ms)];
            server.push(&laptop.caller, &laptop.batch(change), t0()).unwrap();
        }
        let shown = server
            .texts("SELECT coalesce(left_household, 'living') FROM member WHERE id = ?1", &z.to_string());
        assert_eq!(shown, ["living"], "{order}");
    }

    // The crossing.
    let h = HouseholdId(Uuid::now_v7());
    let [x, y] = [(); 2].map(|()| PersonId(Uuid::now_v7()));
    let made = vec![
        first.change(household(h, VILLAGE), 300_000),
        first.change(member(h, x, "गीता"), 300_001),
        first.change(member(h, y, "गीता देवी"), 300_002),
        first.change(left(h, x, samanvaya_tests::moved_away()), 300_003),
    ];
    let moved_at = made.last().unwrap().change.hlc;
    server.push(&first.caller, &first.batch(made), t0()).unwrap();
    let one = vec![first.change(seen_merge(h, x, y, moved_at), 360_000)];
    server.push(&first.caller, &first.batch(one), t0()).unwrap();
    let two = vec![second.change(merged(h, y, x), 361_000)];
    server.push(&second.caller, &second.batch(two), t0() + Duration::hours(1)).unwrap();
    let standing = server.texts(
        "SELECT name || ' ' || coalesce(left_household, 'living') FROM member WHERE household_id = ?1 AND removed = 0",
        &h.to_string(),
    );
    assert_eq!(standing, ["गीता देवी living"], "the record brought back is Y as the first merge kept it");
}

/// One woman with three records, D, R and K, and a departure of D written where some merges
/// saw it and others did not. Whatever order the changes arrive in, the one record of hers left
/// stands as the supervisor who saw the move chose: living (`tests/member_left.rs` has the
/// laptop's side).
/// - Across two merges of D: one supervisor wrote D as moved away, then made D one with R,
///   seeing the move; another, who never saw it, made D one with K, then R one with K. Before,
///   a server that got the move between the second supervisor's merge of D and the first's gave
///   K the move for good, as the laptop of the simulation's seed 13 did.
/// - Through R merged twice: a supervisor made D one with R; a laptop wrote D as moved away; a
///   supervisor who saw R show the move made R one with K, seeing it; another, who did not,
///   made R one with K too. Before, the unseen merge of R arriving first took D to K with the
///   move, and the seen one, reaching D no more through R, left it on K.
fn a_departure_a_later_merge_says_was_seen_leaves_the_record_kept_in_every_order(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptops =
        ["first", "second", "third", "other"].map(|n| enroll(&mut server, &format!("{n} laptop")));
    for (story, orders) in samanvaya_tests::DEPARTURE_ACROSS_MERGES {
        for order in orders {
            let (h, [_, d, r, k], made) =
                laptops[0].head_and_three_records(["सीता", "सीता देवी", "सीता कुमारी"]);
            server.push(&laptops[0].caller, &laptops[0].batch(made), t0()).unwrap();
            let moved = ChangeBody::Member(MemberChange {
                id: d,
                household_id: h,
                fields: vec![MemberField::Left(Some(samanvaya_tests::moved_away()))],
            });
            // Which laptop wrote the departure, and its clock then.
            let dep_by = if story == "across two merges of D" { 0 } else { 3 };
            let seen = Hlc {
                wall_ms: t0().timestamp_millis() + 100,
                counter: 0,
                node: laptops[dep_by].caller.device,
            };
            let seen_merge = |gone, kept| {
                let mut m = merged(h, gone, kept);
                if let ChangeBody::MemberRemoved(c) = &mut m {
                    c.departure_seen = Some(seen);
                }
                m
            };
            for name in order.split(' ') {
                let (by, body, ms) = match name {
                    "dep" => (dep_by, moved.clone(), 100),
                    "DR'" => (0, seen_merge(d, r), 110),
                    "DR" => (0, merged(h, d, r), 90),
                    "DK" => (1, merged(h, d, k), 120),
                    "RK" => (1, merged(h, r, k), 130),
                    "RK'" => (1, seen_merge(r, k), 140),
                    _ => (2, merged(h, r, k), 150),
                };
                let change = laptops[by].change(body, ms);
                server.push(&laptops[by].caller, &laptops[by].batch(vec![change]), t0()).unwrap();
            }
            let standing = server.texts(
                "SELECT name || ' ' || coalesce(left_household, 'living') FROM member
                 WHERE household_id = ?1 AND removed = 0 ORDER BY position",
                &h.to_string(),
            );
            // Which record stands depends on the order the merges crossed in
            // (`crossing_merge.rs`): one of hers, living. The two may share a position, which
            // PostgreSQL orders either way: they are compared as a set.
            assert_eq!(standing.len(), 2, "{story}, {order}: {standing:?}");
            assert!(standing.contains(&"रामवती देवी living".to_owned()), "{story}, {order}: {standing:?}");
            let hers = ["सीता", "सीता देवी", "सीता कुमारी"].map(|n| format!("{n} living"));
            assert!(standing.iter().any(|s| hers.contains(s)), "{story}, {order}: {standing:?}");
        }
    }
}

/// Laptop B renamed a woman unseen of A's rename and wrote her death in the same change: the
/// name is put up for review, and the death stands. Then her second record, written as moved
/// away later, is made one with hers by B, which had not seen the move, and by A, which had.
/// She goes back to her own death, as the laptops hold it (`core/src/own_departure.rs`).
/// Before, the server read her own departures from the changes applied alone, missed the one
/// put up for review, and showed her living.
fn a_departure_in_a_change_put_up_for_review_is_still_hers_when_a_merge_takes_another_back(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let (mut a, mut b, h, p) = pulled_by_a_second_laptop(&mut server, ["laptop A", "laptop B"]);
    let from_a = a.change(rename(h, p, "कमला कुमारी"), 60_000);
    server.push(&a.caller, &a.batch(vec![from_a]), t0()).unwrap();
    let died = samanvaya_tests::died();
    let mut renamed = rename(h, p, "कमली देवी");
    if let ChangeBody::Member(m) = &mut renamed {
        m.fields.push(MemberField::Left(Some(died)));
    }
    let from_b = b.change(renamed, 30_000);
    let by_b = outcomes(&server.push(&b.caller, &b.batch(vec![from_b]), t0()).unwrap());
    assert_eq!(by_b, [Outcome::Conflict { field: "name".into() }]);
    let second = PersonId(Uuid::now_v7());
    let moved = ChangeBody::Member(MemberChange {
        id: second,
        household_id: h,
        fields: vec![MemberField::Left(Some(samanvaya_tests::moved_away()))],
    });
    let made = vec![a.change(member(h, second, "कमली"), 61_000), a.change(moved, 62_000)];
    let moved_at = made[1].change.hlc;
    server.push(&a.caller, &a.batch(made), t0()).unwrap();
    let unseen = vec![b.change(merged(h, second, p), 63_000)];
    server.push(&b.caller, &b.batch(unseen), t0()).unwrap();
    let mut seen = merged(h, second, p);
    if let ChangeBody::MemberRemoved(r) = &mut seen {
        r.departure_seen = Some(moved_at);
    }
    let seen = vec![a.change(seen, 64_000)];
    server.push(&a.caller, &a.batch(seen), t0()).unwrap();
    let shown =
        server.texts("SELECT coalesce(left_household, 'living') FROM member WHERE id = ?1", &p.to_string());
    assert_eq!(shown, [serde_json::to_string(&died).unwrap()]);
}

/// A supervisor makes a woman's second record one with hers, and her record kept is later
/// taken out of the household outright. A laptop that had seen neither sends an answer and her
/// death, recorded of the second record. Both are written on the record kept's removed rows,
/// where nothing shows them, and a merge of that record made elsewhere later takes them to the
/// record it keeps, as the laptops set them aside. Before, the servers refused both, while the
/// laptop that recorded them kept them on its own set-aside of the record kept.
fn a_late_answer_of_a_record_made_one_with_another_since_removed_waits_for_its_next_merge(b: Backend) {
    use serde_json::json;
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut supervisor = enroll(&mut server, "supervisor's laptop");
    let mut other = enroll(&mut server, "facilitator's laptop");
    let (h, [head, x, y, z], made) = supervisor.head_and_three_records(["सीता", "सीता देवी", "सीता कुमारी"]);
    server.push(&supervisor.caller, &supervisor.batch(made), t0()).unwrap();
    let removed_y = ChangeBody::MemberRemoved(MemberRemoved {
        id: y,
        household_id: h,
        merged_into: None,
        departure_seen: None,
    });
    let merge_and_removal =
        vec![supervisor.change(merged(h, x, y), 60_000), supervisor.change(removed_y, 60_001)];
    server.push(&supervisor.caller, &supervisor.batch(merge_and_removal), t0()).unwrap();
    let died = samanvaya_tests::died();
    let late = vec![
        other.change(fact_named(h, x, "person.caste_category", json!("sc")), 30_000),
        other.change(
            ChangeBody::Member(MemberChange {
                id: x,
                household_id: h,
                fields: vec![MemberField::Left(Some(died))],
            }),
            30_001,
        ),
    ];
    let ack = server.push(&other.caller, &other.batch(late), t0()).unwrap();
    assert_eq!(outcomes(&ack), [Outcome::Applied, Outcome::Applied]);
    assert_eq!(server.facts_of(y), ["person.caste_category=\"sc\""].map(String::from).into());
    let present = server
        .texts("SELECT id FROM member WHERE household_id = ?1 AND removed = 0 ORDER BY id", &h.to_string());
    let mut want = vec![head.to_string(), z.to_string()];
    want.sort();
    assert_eq!(present, want, "nothing brought back");
    // A merge of the record kept, made elsewhere: the answer and her death reach the record it keeps.
    let merge = vec![other.change(merged(h, y, z), 62_000)];
    server.push(&other.caller, &other.batch(merge), t0()).unwrap();
    assert_eq!(server.facts_of(z), ["person.caste_category=\"sc\""].map(String::from).into());
    let left =
        server.texts("SELECT coalesce(left_household, 'living') FROM member WHERE id = ?1", &z.to_string());
    assert_eq!(left, [serde_json::to_string(&died).unwrap()]);
}

/// A laptop that had not seen a woman's second record made one with hers records her withdrawal
/// of consent against the second record. The withdrawal is hers: her record kept goes too,
/// whether the withdrawal arrives after the merge or before it. Before, only the second record
/// was erased, and her record kept, with her name and facts, stayed everywhere.
fn a_withdrawal_naming_a_record_made_one_with_another_erases_the_record_kept(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut supervisor = enroll(&mut server, "supervisor's laptop");
    let mut other = enroll(&mut server, "facilitator's laptop");
    for (merge_first, [head, kept, gone]) in
        [(true, ["रामवती देवी", "कमला देवी", "कमली"]), (false, ["शांति देवी", "विमला देवी", "विमली"])]
    {
        let h = HouseholdId(Uuid::now_v7());
        let ids = [(); 3].map(|()| PersonId(Uuid::now_v7()));
        let mut made = vec![supervisor.change(household(h, VILLAGE), 0)];
        for (i, (p, name)) in ids.iter().zip([head, kept, gone]).enumerate() {
            made.push(supervisor.change(member(h, *p, name), 1 + i as i64));
        }
        made.push(supervisor.change(fact_of(h, ids[1]), 5));
        server.push(&supervisor.caller, &supervisor.batch(made), t0()).unwrap();
        let merge = vec![supervisor.change(merged(h, ids[2], ids[1]), 60_000)];
        let withdrawn = vec![other.change(withdrawal(h, Some(ids[2])), 30_000)];
        let mut pushes = [(&mut supervisor, merge), (&mut other, withdrawn)];
        if !merge_first {
            pushes.reverse();
        }
        for (laptop, changes) in pushes {
            server.push(&laptop.caller, &laptop.batch(changes), t0()).unwrap();
        }
        let order = if merge_first { "the merge first" } else { "the withdrawal first" };
        let rows = server.rows();
        for name in [kept, gone] {
            assert_eq!(mentioning(&rows, name), Vec::<String>::new(), "{order}: {name} is gone");
        }
        assert!(server.facts_of(ids[1]).is_empty(), "{order}: her facts go");
        let tombstones = |p: PersonId| {
            mentioning(&rows, &p.to_string()).iter().filter(|r| r.starts_with("erased: ")).count()
        };
        assert_eq!((tombstones(ids[1]), tombstones(ids[2])), (1, 1), "{order}: both records' tombstones");
        assert_eq!(mentioning(&rows, head).len(), 2, "{order}: the head stays: her row and her change");
    }
}

/// A server restored from a backup numbers its feed again from where the backup stood; it
/// finds out when a laptop says it holds more of it than it does (a session acknowledging more
/// of the laptop's work, a pull after its newest change) and names a new feed epoch, sent with
/// every pull, so that its laptops read the feed again. One restore is one epoch however many
/// laptops find it: a restore happens while the server is stopped, so once per run.
fn a_server_found_restored_names_a_new_feed_epoch_once_per_run(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut writer = enroll(&mut server, "writer's laptop");
    let reader = enroll(&mut server, "reader's laptop");
    let h = HouseholdId(Uuid::now_v7());
    let who = PersonId(Uuid::now_v7());
    let made = vec![
        writer.change(household(h, VILLAGE), 0),
        writer.change(fact_of(h, PersonId(h.0)), 1),
        writer.change(ChangeBody::Referral(pension_of(h, 1, who, "")), 2),
    ];
    server.push(&writer.caller, &writer.batch(made), t0()).unwrap();
    // A step the block takes itself: a change of its own, numbered by it.
    server.step("R-1", samanvaya_domain::referral::Step::Submit, "Block officer", t0()).unwrap();
    let read = server.pull(&reader.caller, 0).unwrap();
    assert_eq!((read.changes.len(), read.feed_epoch.as_deref()), (4, None), "no restore found yet");
    let own = read.changes.iter().find(|p| p.origin.device == server.device()).expect("the step").origin.seq;
    let epoch = |server: &mut Opened| server.pull(&reader.caller, 0).unwrap().feed_epoch;

    // Started again, not restored: a reader at the newest change and a writer saying what it was
    // told, and the newest of the block's own changes it holds, are no news. Before, a laptop
    // holding the block's newest own change made every start of the block look like a restore,
    // and every laptop read the whole feed again.
    server.restart(Role::Block);
    assert_eq!(server.pull(&reader.caller, read.cursor).unwrap().feed_epoch, None);
    let knowing = SessionRequest { server_own_through: Some(own), ..writer.session_knowing(3) };
    server.session(&knowing, 60, t0()).unwrap();
    assert_eq!(epoch(&mut server), None);

    // A reader after the newest change finds the restore.
    server.restart(Role::Block);
    let found = server.pull(&reader.caller, read.cursor + 5).unwrap().feed_epoch;
    assert!(found.is_some(), "a pull after the newest change names an epoch");
    // So does a writer the server acknowledged more of, in the same run: the same epoch.
    server.session(&writer.session_knowing(9), 60, t0()).unwrap();
    assert_eq!(epoch(&mut server), found, "one epoch for one restore");
    assert_eq!(server.pull(&reader.caller, read.cursor + 5).unwrap().feed_epoch, found);

    // Restored again (a new run): a writer's session names a new one.
    server.restart(Role::Block);
    assert_eq!(epoch(&mut server), found, "kept across a start");
    server.session(&writer.session_knowing(9), 60, t0()).unwrap();
    let again = epoch(&mut server);
    assert!(again.is_some() && again != found, "{again:?} after {found:?}");

    // Started again: a device that says it read under an older epoch, or under none, shows the
    // restore that epoch was made for, and reads the feed again under the current one: no new
    // epoch (one was made at each run such a device first came to, and every device read the
    // whole feed again). A device under the current epoch shows a new restore.
    server.restart(Role::Block);
    let under = |epoch: Option<&str>| SessionRequest {
        feed_epoch_read: Some(epoch.unwrap_or_default().to_owned()),
        ..writer.session_knowing(9)
    };
    server.session(&under(None), 60, t0()).unwrap();
    server.session(&under(found.as_deref()), 60, t0()).unwrap();
    for older in [Some(""), found.as_deref()] {
        let asked = Asked { after: read.cursor + 5, read_under: older, ..Asked::default() };
        let pulled = server.pull_under(&reader.caller, asked).unwrap();
        assert_eq!(pulled.feed_epoch, again, "read under {older:?}");
    }
    assert_eq!(epoch(&mut server), again, "no new epoch for a restore found already");
    server.session(&under(again.as_deref()), 60, t0()).unwrap();
    let third = epoch(&mut server);
    assert!(third.is_some() && third != again, "{third:?} after {again:?}");

    // Restored again, from a backup older than any epoch: a device under one this store never
    // made read a feed numbered after the backup, wherever its cursor stands, and is told a new
    // epoch (told none, it would keep its cursor in the feed numbered again).
    server.execute(
        "UPDATE identity SET feed_epoch = NULL, feed_epoch_run = NULL WHERE feed_epoch <> ?1",
        &[""],
    );
    server.execute("DELETE FROM feed_epoch_made WHERE epoch <> ?1", &[""]);
    server.restart(Role::Block);
    let pulled = server
        .pull_under(&reader.caller, Asked { after: 1, read_under: third.as_deref(), ..Asked::default() })
        .unwrap();
    assert!(pulled.feed_epoch.is_some() && pulled.feed_epoch != third, "{:?}", pulled.feed_epoch);
}

/// A server restored from a backup, whose feed has grown past a reader's cursor since (other
/// laptops pushed), holds another change where the reader's cursor stands: the reader says back
/// the origin the server said of its place, and is told a new epoch. Its cursor alone, no
/// longer past the newest change, showed nothing, and it skipped what was numbered in between.
fn a_reader_whose_place_holds_another_change_after_a_restore_is_told_a_new_epoch(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut writer = enroll(&mut server, "writer's laptop");
    let reader = enroll(&mut server, "reader's laptop");
    let h = HouseholdId(Uuid::now_v7());
    let made = vec![writer.change(household(h, VILLAGE), 0), writer.change(fact_of(h, PersonId(h.0)), 1)];
    server.push(&writer.caller, &writer.batch(made), t0()).unwrap();
    let read = server.pull(&reader.caller, 0).unwrap();
    assert_eq!(read.changes.len(), 2);
    assert_eq!(read.cursor_origin, Some(Origin { device: writer.caller.device, seq: 2 }));
    let at = |after: i64, at: Option<Origin>| Asked { after, at, read_under: Some(""), ..Asked::default() };

    // Started again, not restored: the same change stands there, no news.
    server.restart(Role::Block);
    let same = server.pull_under(&reader.caller, at(read.cursor, read.cursor_origin)).unwrap();
    assert_eq!((same.feed_epoch, same.cursor, same.cursor_origin), (None, read.cursor, read.cursor_origin));

    // Restored, and another change numbered where the reader's cursor stands (written over the
    // row here, as the backup's feed numbered on would have it).
    server.restart(Role::Block);
    server.execute(
        "UPDATE change SET origin_seq = origin_seq + 100 WHERE CAST(seq AS TEXT) = ?1",
        &[&read.cursor.to_string()],
    );
    // A device that does not say its place shows nothing, as before.
    let silent = server.pull_under(&reader.caller, at(read.cursor, None)).unwrap();
    assert_eq!(silent.feed_epoch, None);
    let told = server.pull_under(&reader.caller, at(read.cursor, read.cursor_origin)).unwrap();
    assert!(told.feed_epoch.is_some(), "the reader's place holds another change: a new epoch");
    // Read again from the start under it, the reader's new place is the change there now.
    let under = Asked { read_under: told.feed_epoch.as_deref(), ..at(0, None) };
    let again = server.pull_under(&reader.caller, under).unwrap();
    assert_eq!(again.feed_epoch, told.feed_epoch);
    assert_eq!(again.cursor_origin, Some(Origin { device: writer.caller.device, seq: 102 }));
}

/// A server restored from a backup numbers its own changes again from where the backup stood,
/// and a step its officer takes before any device's word shows it the restore (the district
/// unreachable, no laptop come yet) had the number of one it made before: its district and its
/// laptops, which hold that one, took the step for it and skipped it. Numbered from the time,
/// the step has a number of its own.
fn a_step_taken_on_a_restored_server_before_any_device_shows_the_restore_has_a_number_of_its_own(b: Backend) {
    use samanvaya_domain::referral::Step;
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut writer = enroll(&mut server, "writer's laptop");
    writer.opens_r1(&mut server);
    let next =
        || -> String { "SELECT CAST(next_seq AS TEXT) FROM identity WHERE CAST(id AS TEXT) = ?1".into() };
    let in_backup = server.texts(&next(), "1");
    let own = |server: &Opened| -> Vec<i64> {
        let me = server.device().to_string();
        let sql = "SELECT CAST(origin_seq AS TEXT) FROM change WHERE origin_device = ?1 ORDER BY seq";
        server.texts(sql, &me).iter().map(|n| n.parse().unwrap()).collect()
    };
    server.step("R-1", Step::Submit, "Block officer", t0()).unwrap();
    let before = own(&server)[0];
    // Restored from the backup taken before the step (the step's row is put out of the way
    // here, as the backup never held it), and started again.
    server.execute(&format!("UPDATE identity SET next_seq = {} WHERE id = 1", in_backup[0]), &[]);
    server.execute(
        &format!(
            "UPDATE change SET origin_seq = -origin_seq WHERE origin_seq = {before} AND origin_device = ?1"
        ),
        &[&server.device().to_string()],
    );
    server.restart(Role::Block);
    server.step("R-1", Step::Process, "Block officer", t0() + Duration::minutes(5)).unwrap();
    let after = own(&server);
    assert!(after.iter().all(|n| *n > before || *n == -before), "numbered past the step before: {after:?}");
    // The writer, which read the first step, says so at its session: the block holds no step
    // of that number, which shows the restore though its next number is past it now.
    assert_eq!(server.pull(&writer.caller, 0).unwrap().feed_epoch, None);
    let knowing = SessionRequest { server_own_through: Some(before), ..writer.session_knowing(3) };
    let told = server.session(&knowing, 60, t0()).unwrap();
    assert!(told.feed_epoch.is_some(), "the restore is found by the step missing here");
    // Shown its own newest step, a server not restored finds nothing.
    server.restart(Role::Block);
    let newest = *after.iter().max().unwrap();
    let again = SessionRequest {
        server_own_through: Some(newest),
        feed_epoch_read: told.feed_epoch.clone(),
        ..writer.session_knowing(3)
    };
    assert_eq!(server.session(&again, 60, t0()).unwrap().feed_epoch, told.feed_epoch);
}

/// Two supervisors on two laptops, neither having seen the other's work, each make a woman's two
/// records one, each keeping the other record. Both removals apply everywhere; the block that
/// receives the second from its laptop brings the record the first merge kept back as a new
/// record (with its name, and the facts of both), and makes both records one with it, with
/// changes that travel to every store. Her referral follows. A district receiving the same two
/// merges forwarded by the block makes no record of its own: the block's follow. Before, she was
/// gone from her household at every store.
fn two_supervisors_making_two_records_one_each_into_the_other_leave_her_one_record(b: Backend) {
    use serde_json::json;
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut first = enroll(&mut server, "first supervisor's laptop");
    let mut second = enroll(&mut server, "second supervisor's laptop");
    let mut other = third_laptop(&mut server);
    let h = HouseholdId(Uuid::now_v7());
    let [head, x, y] = [(); 3].map(|()| PersonId(Uuid::now_v7()));
    let made = vec![
        first.change(household(h, VILLAGE), 0),
        first.change(member(h, head, "रामवती देवी"), 1),
        first.change(member(h, x, "सीता"), 2),
        first.change(member(h, y, "सीता देवी"), 3),
        first.change(fact_named(h, x, "person.caste_category", json!("sc")), 4),
        first.change(fact_named(h, y, "person.has_bank_account", json!(true)), 5),
    ];
    server.push(&first.caller, &first.batch(made), t0()).unwrap();
    let case = pension_of(h, 1, x, "");
    let opened = vec![other.change(ChangeBody::Referral(case.clone()), 6)];
    server.push(&other.caller, &other.batch(opened), t0()).unwrap();
    // Each merge as its laptop records it: the other record's fact taken, the other removed.
    let one = vec![
        first.change(fact_named(h, y, "person.caste_category", json!("sc")), 60_000),
        first.change(merged(h, x, y), 60_001),
    ];
    let two = vec![
        second.change(fact_named(h, x, "person.has_bank_account", json!(true)), 61_000),
        second.change(merged(h, y, x), 61_001),
    ];
    // The second reaches the block an hour later, whose clock then reads past every answer
    // the two laptops recorded before they synced.
    for (laptop, changes, at) in [(&mut first, one, t0()), (&mut second, two, t0() + Duration::hours(1))] {
        let ack = server.push(&laptop.caller, &laptop.batch(changes), at).unwrap();
        assert!(outcomes(&ack).iter().all(|o| *o == Outcome::Applied), "{:?}", outcomes(&ack));
    }
    let present = server.texts(
        "SELECT id FROM member WHERE household_id = ?1 AND removed = 0 ORDER BY position, id",
        &h.to_string(),
    );
    assert_eq!(present.len(), 2, "the head and one record of her: {present:?}");
    let her = PersonId(present.iter().find(|p| **p != head.to_string()).unwrap().parse().unwrap());
    assert!(her != x && her != y, "a new record");
    assert_eq!(name_of(&mut server, her), "सीता देवी", "the record the first merge kept");
    assert_eq!(
        server.facts_of(her),
        ["person.caste_category=\"sc\"", "person.has_bank_account=true"].map(String::from).into()
    );
    let on = server.texts("SELECT subject_id FROM referral WHERE id = ?1", &case.id.to_string());
    assert_eq!(on, [her.to_string()], "her referral follows");
    // An answer the second supervisor recorded after the merge, before syncing, and sent after
    // the settlement: later than the answer copied to the new record, it wins there, as it
    // would have without the crossing. The copy keeps the clock of the answer it copies; with
    // the block's clock it won, and the later answer was lost.
    let late = vec![second.change(fact_named(h, x, "person.caste_category", json!("st")), 61_500)];
    server.push(&second.caller, &second.batch(late), t0() + Duration::hours(1)).unwrap();
    assert!(server.facts_of(her).contains("person.caste_category=\"st\""), "{:?}", server.facts_of(her));
    // So does her death, recorded of the first merge's record by a laptop that saw neither merge,
    // before the settlement, and sent after it: she was living when copied, and the copy's
    // departure (none) is not written at the block's reading. Before, the new record's creation
    // carried it at that reading, and the death was lost.
    let died = samanvaya_tests::died();
    let death = ChangeBody::Member(MemberChange {
        id: y,
        household_id: h,
        fields: vec![MemberField::Left(Some(died))],
    });
    let late = vec![other.change(death, 61_200)];
    let ack = server.push(&other.caller, &other.batch(late), t0() + Duration::hours(1)).unwrap();
    assert_eq!(outcomes(&ack), [Outcome::Applied]);
    let shown =
        server.texts("SELECT coalesce(left_household, 'living') FROM member WHERE id = ?1", &her.to_string());
    assert_eq!(shown, [serde_json::to_string(&died).unwrap()], "her death reaches the new record");
    // What the block made travels to the village's laptops: the new record, then both records
    // made one with it.
    let feed = server.pull(&other.caller, 0).unwrap();
    let into_her = |gone: PersonId| {
        feed.changes.iter().any(|p| {
            matches!(&p.change.body, ChangeBody::MemberRemoved(r) if r.id == gone && r.merged_into == Some(her))
        })
    };
    assert!(into_her(x) && into_her(y), "both records made one with the new record, in the feed");

    // A district receiving the two merges forwarded by a block leaves them to the block.
    let members = [(x, "सीता"), (y, "सीता देवी")];
    let Some(present) = forwarded_to_a_district(b, h, &members, [(x, y, 60_001), (y, x, 61_001)]) else {
        return;
    };
    assert_eq!(present, Vec::<String>::new(), "no record made at the district");
}

/// Two supervisors, neither having seen the other's work, each make the woman's record X one
/// with another of her records: one keeps Y, the other Z. She is all three: the block that
/// receives the second merge from its laptop makes Z one with Y, so that X, Z and their facts
/// and referrals end on Y at every store, whichever merge comes first. Before, X pointed at
/// whichever merge arrived last at each store, Z stayed beside Y as a second record of her,
/// and her facts went with the first merge. A district receiving both forwarded leaves it to
/// the block.
fn one_record_made_one_with_two_others_makes_the_three_one(b: Backend) {
    use serde_json::json;
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut first = enroll(&mut server, "first supervisor's laptop");
    let mut second = enroll(&mut server, "second supervisor's laptop");
    let (h, [head, x, y, z], mut made) = first.head_and_three_records(["सीता", "सीता देवी", "सीता कुमारी"]);
    made.push(first.change(fact_named(h, z, "person.has_bank_account", json!(true)), 5));
    server.push(&first.caller, &first.batch(made), t0()).unwrap();
    let case = pension_of(h, 1, z, "");
    let opened = vec![second.change(ChangeBody::Referral(case.clone()), 6)];
    server.push(&second.caller, &second.batch(opened), t0()).unwrap();
    for (laptop, kept) in [(&mut first, y), (&mut second, z)] {
        let merge = vec![laptop.change(merged(h, x, kept), 60_000)];
        let ack = server.push(&laptop.caller, &laptop.batch(merge), t0()).unwrap();
        assert!(outcomes(&ack).iter().all(|o| *o == Outcome::Applied), "{:?}", outcomes(&ack));
    }
    let present = server.texts(
        "SELECT id FROM member WHERE household_id = ?1 AND removed = 0 ORDER BY position, id",
        &h.to_string(),
    );
    let mut want = vec![head.to_string(), y.to_string()];
    want.sort();
    let mut present = present;
    present.sort();
    assert_eq!(present, want, "the head and one record of her");
    for gone in [x, z] {
        let into = server.texts("SELECT merged_into FROM member WHERE id = ?1", &gone.to_string());
        assert_eq!(into, [y.to_string()], "{gone} made one with the first merge's record");
    }
    assert_eq!(server.facts_of(y), ["person.has_bank_account=true"].map(String::from).into());
    let on = server.texts("SELECT subject_id FROM referral WHERE id = ?1", &case.id.to_string());
    assert_eq!(on, [y.to_string()], "her referral follows");
    let feed = server.pull(&first.caller, 0).unwrap();
    let joined = feed.changes.iter().any(
        |p| matches!(&p.change.body, ChangeBody::MemberRemoved(r) if r.id == z && r.merged_into == Some(y)),
    );
    assert!(joined, "the block's join travels to the village's laptops");

    // The same, where the second supervisor had also taken the first merge's record out of the
    // household before merging: the join goes the other way, onto the record that stands.
    let h2 = HouseholdId(Uuid::now_v7());
    let [p, q, r] = [(); 3].map(|()| PersonId(Uuid::now_v7()));
    let made = vec![
        first.change(household(h2, VILLAGE), 70_000),
        first.change(member(h2, p, "गीता"), 70_001),
        first.change(member(h2, q, "गीता देवी"), 70_002),
        first.change(member(h2, r, "गीता कुमारी"), 70_003),
        first.change(merged(h2, p, q), 70_004),
    ];
    server.push(&first.caller, &first.batch(made), t0()).unwrap();
    let removed_then_merged = vec![
        second.change(
            ChangeBody::MemberRemoved(MemberRemoved {
                id: q,
                household_id: h2,
                merged_into: None,
                departure_seen: None,
            }),
            71_000,
        ),
        second.change(merged(h2, p, r), 71_001),
    ];
    server.push(&second.caller, &second.batch(removed_then_merged), t0()).unwrap();
    let present =
        server.texts("SELECT id FROM member WHERE household_id = ?1 AND removed = 0", &h2.to_string());
    assert_eq!(present, [r.to_string()], "her record that stands");
    for gone in [p, q] {
        let into = server.texts("SELECT merged_into FROM member WHERE id = ?1", &gone.to_string());
        assert_eq!(into, [r.to_string()], "{gone} made one with the record that stands");
    }

    // A district receiving the two merges forwarded by a block leaves them to the block.
    let members = [(x, "सीता"), (y, "सीता देवी"), (z, "सीता कुमारी")];
    let Some(present) = forwarded_to_a_district(b, h, &members, [(x, y, 60_000), (x, z, 60_000)]) else {
        return;
    };
    assert_eq!(present.len(), 2, "no join made at the district: {present:?}");
}

/// Forwards to a new district, as a block would, the household `h` with `members` written by
/// one laptop and two merges (`gone` made one with `kept` at the clock `ms`), the first by that
/// laptop and the second by another. A district leaves the joining of crossing merges to the
/// block that received them; what it makes of them is the household's records that stand,
/// returned (none when the backend is not available).
fn forwarded_to_a_district(
    b: Backend,
    h: HouseholdId,
    members: &[(PersonId, &str)],
    merges: [(PersonId, PersonId, i64); 2],
) -> Option<Vec<String>> {
    let mut district = open(b, Role::District)?;
    let (block, _) = enroll_block(&mut district, "Bodh Gaya");
    let mut fwd = Forwarded { seq: 0 };
    let (a, c) = (Uuid::now_v7(), Uuid::now_v7());
    let mut changes = vec![fwd.change(a, 1, 0, household(h, VILLAGE), &[])];
    for (i, (id, name)) in (1..).zip(members) {
        changes.push(fwd.change(a, i + 1, i, member(h, *id, name), &[]));
    }
    let [(gone, kept, ms), (other_gone, other_kept, other_ms)] = merges;
    changes.push(fwd.change(a, members.len() as i64 + 2, ms, merged(h, gone, kept), &[]));
    changes.push(fwd.change(c, 1, other_ms, merged(h, other_gone, other_kept), &[]));
    let batch = PushBatch { after: None, protocol: PROTOCOL_VERSION, pulled_through: 0, changes };
    district.push(&block, &batch, t0()).unwrap();
    Some(district.texts("SELECT id FROM member WHERE household_id = ?1 AND removed = 0", &h.to_string()))
}

fn third_laptop(server: &mut Opened) -> Laptop {
    enroll(server, "a third laptop of the village")
}

/// A supervisor's laptop removes a second record of a woman (a merge, or a removal); another
/// laptop, not having seen it, renames that record and records a fact of her. Applied, the new
/// name would write a member the feed has removed, and every laptop pulling it would bring her
/// back (with no sex, relation or date of birth): it is kept as received and not applied, and
/// no feed carries it. The fact is written on her removed rows, where nothing shows it, and a
/// merge of her record made later elsewhere takes it to the record kept, as the laptops do with
/// what they set aside of her. Before, it was refused, and the block's record kept lacked an
/// answer the laptop that recorded it held after that merge.
fn a_late_change_to_a_removed_member_does_not_bring_her_back(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut supervisor = enroll(&mut server, "supervisor's laptop");
    let mut other = enroll(&mut server, "facilitator's laptop");
    let third = enroll(&mut server, "third laptop");
    let h = HouseholdId(Uuid::now_v7());
    let (p, twice) = (PersonId(Uuid::now_v7()), PersonId(Uuid::now_v7()));
    let made = vec![
        supervisor.change(household(h, VILLAGE), 0),
        supervisor.change(member(h, p, "सीता देवी"), 1),
        supervisor.change(member(h, twice, "सीता"), 2),
    ];
    server.push(&supervisor.caller, &supervisor.batch(made), t0()).unwrap();
    other.pulled_through = server.pull(&other.caller, 0).unwrap().cursor;
    let gone = supervisor.change(
        ChangeBody::MemberRemoved(MemberRemoved {
            id: twice,
            household_id: h,
            merged_into: None,
            departure_seen: None,
        }),
        60_000,
    );
    server.push(&supervisor.caller, &supervisor.batch(vec![gone]), t0()).unwrap();
    // Later by the clock, but made without seeing the removal.
    let late =
        vec![other.change(rename(h, twice, "सीता कुमारी"), 120_000), other.change(fact_of(h, twice), 120_001)];
    let ack = server.push(&other.caller, &other.batch(late), t0()).unwrap();
    let got = outcomes(&ack);
    assert!(matches!(&got[0], Outcome::Rejected { reason } if reason.contains("was removed")), "{got:?}");
    assert_eq!(got[1], Outcome::Applied, "the fact is kept on her removed rows");
    // A third supervisor, who had seen neither, made the second record one with the first.
    let merge = other.change(merged(h, twice, p), 125_000);
    server.push(&other.caller, &other.batch(vec![merge]), t0()).unwrap();
    assert_eq!(
        server.facts_of(p),
        ["person.marital_status=\"widowed\"".to_owned()].into(),
        "the record kept takes the answer"
    );
    // The same when the removal and a change after it come in one push (the run is split there).
    let q = PersonId(Uuid::now_v7());
    let added = supervisor.change(member(h, q, "गीता"), 130_000);
    server.push(&supervisor.caller, &supervisor.batch(vec![added]), t0()).unwrap();
    let both = vec![
        supervisor.change(
            ChangeBody::MemberRemoved(MemberRemoved {
                id: q,
                household_id: h,
                merged_into: None,
                departure_seen: None,
            }),
            140_000,
        ),
        supervisor.change(rename(h, q, "गीता देवी"), 140_001),
    ];
    let ack = server.push(&supervisor.caller, &supervisor.batch(both), t0()).unwrap();
    assert!(matches!(&outcomes(&ack)[1], Outcome::Rejected { reason } if reason.contains("was removed")));
    // A laptop pulling the village from the start ends with the removals last of each record.
    let feed = server.pull(&third.caller, 0).unwrap();
    for id in [twice, q] {
        let last = feed
            .changes
            .iter()
            .rfind(|c| match &c.change.body {
                ChangeBody::Member(m) => m.id == id,
                ChangeBody::MemberRemoved(m) => m.id == id,
                _ => false,
            })
            .map(|c| c.change.body.kind());
        assert_eq!(last, Some("member_removed"), "no change to {id}'s record comes after her removal");
    }
    assert_eq!(name_of(&mut server, p), "सीता देवी", "the record kept is untouched");
}

/// A laptop that knows the ids of another village's records (from a village it once served,
/// say) names them in changes about a household of its own village: renaming her, a fact of
/// her or of her household, removing her, making a record of its own one with hers, stepping
/// her referral, withdrawing her consent, opening a referral for her. Each is refused and kept
/// as what is left of it; her records stand as they were, and nothing of her reaches the
/// laptop. Before, each was judged by its household alone and applied (a security review).
fn a_laptop_cannot_reach_another_villages_records_through_a_household_of_its_own(b: Backend) {
    use samanvaya_domain::referral::Action;
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut ours = enroll(&mut server, "Bakraur laptop");
    let mut theirs = enroll_elsewhere(&mut server, "Sherghati laptop");
    let (g, her) = (HouseholdId(Uuid::now_v7()), PersonId(Uuid::now_v7()));
    let case = pension_of(g, 7, her, "");
    let recorded = vec![
        theirs.change(household(g, OTHER_VILLAGE), 0),
        theirs.change(member(g, her, "सीता"), 1),
        theirs.change(fact_of(g, her), 2),
        theirs.change(ChangeBody::Referral(case.clone()), 3),
    ];
    server.push(&theirs.caller, &theirs.batch(recorded), t0()).unwrap();
    let (h, mine) = (HouseholdId(Uuid::now_v7()), PersonId(Uuid::now_v7()));
    let made = vec![ours.change(household(h, VILLAGE), 10), ours.change(member(h, mine, "गीता"), 11)];
    server.push(&ours.caller, &ours.batch(made), t0()).unwrap();
    let before = stored_rows(&server);
    let removed = |id: PersonId, into: Option<PersonId>| {
        ChangeBody::MemberRemoved(MemberRemoved {
            id,
            household_id: h,
            merged_into: into,
            departure_seen: None,
        })
    };
    let step = ChangeBody::ReferralEvent(samanvaya_domain::change::ReferralEventChange {
        id: Uuid::now_v7(),
        referral_id: case.id,
        household_id: h,
        at: t0(),
        by: "facilitator".into(),
        catalogue: "test".into(),
        action: Action::Submit,
    });
    let reaching = vec![
        rename(h, her, "हमारी सीता"),
        fact_of(h, her),
        fact_named(h, PersonId(g.0), "household.bpl_status", serde_json::json!("apl")),
        removed(mine, Some(her)),
        removed(her, None),
        step,
        withdrawal(h, Some(her)),
        ChangeBody::Referral(pension_of(h, 8, her, "")),
    ];
    for (i, body) in reaching.into_iter().enumerate() {
        let kind = body.kind();
        let sent = vec![ours.change(body, 20 + i as i64)];
        let ack = server.push(&ours.caller, &ours.batch(sent), t0()).unwrap();
        let said = outcomes(&ack);
        assert!(
            matches!(&said[0], Outcome::Rejected { reason } if reason.contains("another household")),
            "{kind}: {said:?}"
        );
    }
    let after: Vec<String> =
        stored_rows(&server).into_iter().filter(|r| !r.starts_with("change: ")).collect();
    let before: Vec<String> = before.into_iter().filter(|r| !r.starts_with("change: ")).collect();
    assert_eq!(after, before, "her records, and every other, stand as they were");
    let feed = server.pull(&ours.caller, 0).unwrap();
    let mentions =
        feed.changes.iter().filter(|c| format!("{:?}", c.change.body).contains(&her.to_string())).count();
    assert_eq!(mentions, 0, "nothing of her reaches the laptop");
}

/// A laptop's changes about a household of a village it was not enrolled for (merged set-wise,
/// and a referral, applied alone) are refused; nothing of what they say is kept, but their
/// origins are: sent again after a lost answer, whole or halved, each is told the refusal
/// again, not "duplicate". Nor may it edit a household held in another village by naming its
/// own village in the household's record.
fn a_laptop_cannot_write_into_a_village_it_was_not_enrolled_for(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Bakraur laptop");
    let h = HouseholdId(Uuid::now_v7());
    let p = PersonId(Uuid::now_v7());
    let outside = vec![
        laptop.change(household(h, OTHER_VILLAGE), 0),
        laptop.change(member(h, p, "बाहर की महिला"), 1),
        laptop.change(ChangeBody::Referral(pension_of(h, 9, p, "बाहर का मामला")), 2),
    ];
    let refused = |ack: &samanvaya_sync_protocol::PushAck| {
        ack.results.iter().all(
            |r| matches!(&r.outcome, Outcome::Rejected { reason } if reason.contains("not enrolled for")),
        )
    };
    let ack = server.push(&laptop.caller, &laptop.batch(outside.clone()), t0()).unwrap();
    assert!(refused(&ack), "{:?}", ack.results);
    assert_eq!(ack.acked_through, 3, "a rejected change is still acknowledged: sending it again cannot help");
    let rows = server.rows();
    assert_eq!(mentioning(&rows, "बाहर"), Vec::<String>::new(), "nothing of what they say is kept");
    assert_eq!(count(&rows, "household"), 0);
    assert_eq!(count(&rows, "change"), 3, "their origins are: {rows:#?}");

    // The answer was lost: sent again whole, each is told the refusal again.
    let again = server.push(&laptop.caller, &laptop.batch(outside.clone()), t0()).unwrap();
    assert_eq!(again.results.len(), 3);
    assert!(refused(&again), "{:?}", again.results);
    // Sent again halved (a batch shrinks after a timeout): the same.
    let restored = server.push(&laptop.caller, &laptop.batch(outside[1..].to_vec()), t0()).unwrap();
    assert!(refused(&restored), "{:?}", restored.results);
    assert_eq!(count(&server.rows(), "change"), 3, "stored once");
    let reader = enroll(&mut server, "Bakraur second laptop");
    assert_eq!(server.pull(&reader.caller, 0).unwrap().changes.len(), 0, "nothing of them is handed out");

    // A household of the other village, recorded by its own laptop; the first laptop names its
    // own village in a record of that household to change its address.
    let mut theirs = enroll_elsewhere(&mut server, "Other village laptop");
    let held = HouseholdId(Uuid::now_v7());
    let recorded = theirs.change(household(held, OTHER_VILLAGE), 0);
    server.push(&theirs.caller, &theirs.batch(vec![recorded]), t0()).unwrap();
    let claimed = laptop.change(
        ChangeBody::Household(HouseholdChange {
            id: held,
            village_id: LocationId(Uuid::from_u128(VILLAGE)),
            created_at: t0(),
            fields: vec![HouseholdField::Address("बाहर का पता".into())],
        }),
        10,
    );
    let ack = server.push(&laptop.caller, &laptop.batch(vec![claimed]), t0()).unwrap();
    assert!(refused(&ack), "{:?}", ack.results);
    assert_eq!(
        server.texts("SELECT address FROM household WHERE id = ?1", &held.to_string()),
        vec!["वार्ड 4"]
    );
}

fn expired_sessions_and_revoked_devices_are_refused_with_a_sentence(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let laptop = enroll(&mut server, "Bakraur laptop");
    let req = SessionRequest {
        numbers_left: vec![("referral".into(), 40)],
        ..session_of(laptop.caller.device, &laptop.secret)
    };
    let session = server.session(&req, 60, t0()).unwrap();
    assert_eq!(session.leases.len(), 1, "a laptop low on referral numbers gets a new lease");
    assert!(session.leases[0].first > 2_000, "leases never overlap");
    assert_eq!(server.caller(&session.token, t0() + Duration::minutes(59)).unwrap(), laptop.caller);
    let expired = server.caller(&session.token, t0() + Duration::minutes(61)).unwrap_err();
    assert_eq!(expired.refusal().code, RefusalCode::Expired);
    let wrong =
        server.session(&SessionRequest { secret: "0".repeat(64), ..req.clone() }, 60, t0()).unwrap_err();
    assert_eq!(wrong.refusal().code, RefusalCode::NotEnrolled);
    server.revoke(laptop.caller.device, t0()).unwrap();
    let revoked = server.session(&req, 60, t0()).unwrap_err();
    assert_eq!(revoked.refusal().code, RefusalCode::Revoked);
    assert!(revoked.refusal().message.contains("what it holds stays on it"));
    assert_eq!(server.caller(&session.token, t0()).unwrap_err().refusal().code, RefusalCode::Revoked);
    // An old app is told to update.
    let old = server.session(&SessionRequest { protocol: 0, ..req }, 60, t0()).unwrap_err();
    assert_eq!(old.refusal().code, RefusalCode::Protocol);
}

/// A session's answer lost on the link (or a session sent twice, `Link::session`, answered by
/// the other copy) left the lease it granted unheard of: the laptop says the newest it holds,
/// and the next session grants that one again, not a range after it.
fn a_lease_whose_answer_was_lost_is_granted_again_and_no_range_is_wasted(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Bakraur laptop");
    let enrolled = server.texts(
        "SELECT CAST(max(last) AS TEXT) FROM lease WHERE kind = 'referral' AND device_id = ?1",
        &laptop.caller.device.to_string(),
    );
    let enrolled: i64 = enrolled[0].parse().unwrap();
    let base = laptop.session_knowing(0);
    let low = |referrals_through: i64| SessionRequest {
        numbers_left: vec![("household".into(), 900), ("referral".into(), 40)],
        leases_through: vec![("household".into(), 1_000), ("referral".into(), referrals_through)],
        ..base.clone()
    };
    let first = server.session(&low(enrolled), 60, t0()).unwrap();
    assert_eq!(first.leases.len(), 1, "only the kind running low gets a lease");
    assert!(first.leases[0].first > enrolled);
    // The answer was lost: the laptop still holds only what it was given at enrollment.
    let again = server.session(&low(enrolled), 60, t0()).unwrap();
    assert_eq!(again.leases, first.leases, "the unheard lease is granted again, not another");
    // Heard, and used up until the laptop runs low again: the next lease follows it.
    let next = server.session(&low(first.leases[0].last), 60, t0()).unwrap();
    assert_eq!(next.leases.len(), 1);
    assert_eq!(next.leases[0].first, first.leases[0].last + 1);
    // A laptop too old to say what it holds gets a new range each time, as before.
    let old = SessionRequest { leases_through: vec![], ..low(first.leases[0].last) };
    let older = server.session(&old, 60, t0()).unwrap();
    assert_eq!(older.leases[0].first, next.leases[0].last + 1);
    // The laptop numbers families from its newest lease and sends them; then it breaks, and
    // one restored from a backup older than that lease says it holds only the one before. The
    // old laptop had the newest and used it: a new range, never the same one again.
    let h = HouseholdId(Uuid::now_v7());
    let sent = laptop.change(household(h, VILLAGE), 0);
    server.push(&laptop.caller, &laptop.batch(vec![sent]), t0()).unwrap();
    let restored = server.session(&low(next.leases[0].last), 60, t0()).unwrap();
    assert_eq!(restored.leases[0].first, older.leases[0].last + 1, "a new range for the restored laptop");
    let counted = server.texts(
        "SELECT CAST(count(*) AS TEXT) FROM lease WHERE kind = 'referral' AND device_id = ?1",
        &laptop.caller.device.to_string(),
    );
    assert_eq!(
        counted,
        vec!["5"],
        "the enrollment's, the first (once), the next, the older app's, the restored's"
    );
    // A request naming a kind twice gets one lease of it (it minted one for each before).
    let twice = SessionRequest {
        numbers_left: vec![("referral".into(), 0), ("referral".into(), 0), ("referral".into(), 0)],
        leases_through: vec![],
        ..base.clone()
    };
    assert_eq!(server.session(&twice, 60, t0()).unwrap().leases.len(), 1, "one lease a kind");
}

/// A laptop's file by stick that starts past the next change the server holds of its work,
/// while the laptop believed it held more (the server restored from a backup since its answers
/// said so), is not kept: the laptop is told to send everything after what is held again, and a
/// change about a household whose record was in the gap is not refused for good as about one
/// unknown. A file whose laptop knew (it no longer has the changes in the gap, pruned) is taken
/// as before, and so is a push online, where the session says first how far the work is held.
fn a_laptops_file_past_a_gap_it_did_not_know_of_is_not_kept(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Bakraur laptop");
    let (h, g) = (HouseholdId(Uuid::now_v7()), HouseholdId(Uuid::now_v7()));
    let first = laptop.change(household(h, VILLAGE), 0);
    let lost = vec![laptop.change(household(g, VILLAGE), 1)];
    let after = vec![laptop.change(fact_of(g, PersonId(g.0)), 2)];
    let pruned = [laptop.change(fact_of(h, PersonId(h.0)), 3), laptop.change(fact_of(h, PersonId(h.0)), 4)];
    assert_eq!(server.push(&laptop.caller, &laptop.batch(vec![first]), t0()).unwrap().acked_through, 1);
    let held = |server: &Opened| {
        let device = laptop.caller.device.to_string();
        server.texts("SELECT CAST(count(*) AS TEXT) FROM change WHERE origin_device = ?1", &device)
    };
    // The laptop was told its second change was held, by the block before its restore.
    let past = server.import(&laptop.file(after.clone(), 2), t0()).unwrap();
    assert_eq!((past.new, past.not_kept), (0, 1), "nothing past the gap is kept");
    assert_eq!(held(&server), vec!["1"]);
    // Told by the answer, it sends everything after what is held again: all taken, applied.
    let again = server.import(&laptop.file([lost, after.clone()].concat(), 1), t0()).unwrap();
    assert_eq!((again.new, again.rejected, again.not_kept), (2, 0, 0));
    assert_eq!(held(&server), vec!["3"]);
    // A laptop that knew how far the server held its work and starts past it anyway no longer
    // has the gap: its file is taken, as a push online is.
    let known = server.import(&laptop.file(pruned[1..].to_vec(), 3), t0()).unwrap();
    assert_eq!((known.new, known.not_kept), (1, 0));
}

/// The operator who imports a file is told why its changes were not applied, each reason once
/// with how many it held back: two households of a village the laptop does not
/// serve and two members of one of them are one reason, a fact of a person whose consent was
/// withdrawn another.
fn a_files_changes_not_applied_are_told_by_their_reasons(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Bakraur laptop");
    let (known, unknown, elsewhere) =
        (HouseholdId(Uuid::now_v7()), HouseholdId(Uuid::now_v7()), HouseholdId(Uuid::now_v7()));
    let gone = PersonId(Uuid::now_v7());
    let changes = vec![
        laptop.change(household(known, VILLAGE), 0),
        laptop.change(household(elsewhere, OTHER_VILLAGE), 1),
        laptop.change(member(known, gone, "सीता"), 2),
        laptop.change(withdrawal(known, Some(gone)), 7),
        laptop.change(fact_of(known, gone), 8),
        laptop.change(household(unknown, OTHER_VILLAGE), 3),
        laptop.change(member(elsewhere, PersonId(Uuid::now_v7()), "गीता"), 4),
        laptop.change(member(elsewhere, PersonId(Uuid::now_v7()), "रीता"), 5),
    ];
    let done = server.import(&laptop.file(changes, 0), t0()).unwrap();
    assert_eq!((done.new, done.rejected), (3, 5));
    let told: Vec<usize> = done.not_applied.iter().map(|n| n.count).collect();
    assert_eq!(told, vec![4, 1], "{:?}", done.not_applied);
    assert!(done.not_applied[0].reason.contains("not enrolled for"), "{:?}", done.not_applied);
    assert!(done.not_applied[1].reason.contains("consent was withdrawn"), "{:?}", done.not_applied);
}

/// A block restored from a backup older than what it forwarded reads that back from the
/// district, the laptops' changes among it; a laptop's file by stick starts after what the
/// district holds (it carries again only what has not reached it). Its gap is then one the
/// block holds every change of, and the file is taken: kept out, its changes waited for the
/// laptop to hear the answer, and were lost with a laptop that broke first. A gap the block
/// holds only part of is still not kept.
fn a_laptops_file_past_a_gap_the_block_read_back_from_the_district_is_taken(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Bakraur laptop");
    let (h, g) = (HouseholdId(Uuid::now_v7()), HouseholdId(Uuid::now_v7()));
    let first = laptop.change(household(h, VILLAGE), 0);
    let forwarded = [laptop.change(household(g, VILLAGE), 1), laptop.change(fact_of(g, PersonId(g.0)), 2)];
    let after = vec![laptop.change(fact_of(g, PersonId(g.0)), 3)];
    assert_eq!(server.push(&laptop.caller, &laptop.batch(vec![first]), t0()).unwrap().acked_through, 1);
    let read_back = |c: &Change, server_seq: i64| samanvaya_sync_protocol::Pulled {
        server_seq,
        origin: c.origin,
        recorded_at: c.recorded_at,
        change: c.change.clone(),
        seal: None,
    };
    let district = Uuid::now_v7();
    // Half the gap read back: not kept.
    assert_eq!(server.store_pulled(district, &[read_back(&forwarded[0], 1)], 1, None, t0()).unwrap(), 1);
    let part = server.import(&laptop.file(after.clone(), 3), t0()).unwrap();
    assert_eq!((part.new, part.not_kept), (0, 1), "a gap held in part is not kept");
    // The whole gap read back: taken, and applied.
    assert_eq!(server.store_pulled(district, &[read_back(&forwarded[1], 2)], 2, None, t0()).unwrap(), 1);
    let whole = server.import(&laptop.file(after, 3), t0()).unwrap();
    assert_eq!((whole.new, whole.rejected, whole.not_kept), (1, 0, 0));
    let device = laptop.caller.device.to_string();
    let held = server.texts(
        "SELECT CAST(count(*) AS TEXT) FROM change WHERE origin_device = ?1 AND outcome = 'applied'",
        &device,
    );
    assert_eq!(held, vec!["4"], "each of the laptop's changes once, applied");
    let acked = server.texts("SELECT CAST(acked_through AS TEXT) FROM device WHERE id = ?1", &device);
    assert_eq!(acked, vec!["4"], "held through the file's last, the gap held too");
}

/// The old laptop wrote a sync file and broke before the file reached the block; the laptop
/// restored from its backup numbered its work again after the backup and sent it. The old file,
/// found on the stick later, holds other changes under the same numbers: it is refused whole
/// (before, its changes passed for the ones held and its later ones took numbers the restored
/// laptop uses next: two changes under one number, one lost on each side). A file sent again
/// holds the same changes, and is taken.
fn a_file_written_before_the_laptops_restore_is_refused_whole(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Bakraur laptop");
    let h = HouseholdId(Uuid::now_v7());
    let first = laptop.change(household(h, VILLAGE), 0);
    server.push(&laptop.caller, &laptop.batch(vec![first]), t0()).unwrap();
    // The old laptop's next two changes, recorded then, go in a file that is not imported.
    let mut old =
        vec![laptop.change(fact_of(h, PersonId(h.0)), 1), laptop.change(rename(h, PersonId(h.0), "x"), 2)];
    for c in &mut old {
        c.recorded_at = t0() - chrono::Duration::days(3);
    }
    // The restored laptop numbers its next change after the backup, as the old one did.
    laptop.seq = 1;
    let restored = laptop.change(fact_of(h, PersonId(h.0)), 5);
    server.push(&laptop.caller, &laptop.batch(vec![restored.clone()]), t0()).unwrap();
    let next = laptop.change(rename(h, PersonId(h.0), "कमला"), 6);
    let rows = |server: &Opened| server.rows();
    let before = rows(&server);
    let err = server.import(&laptop.file(old, 1), t0()).unwrap_err().to_string();
    assert!(
        err.contains("written on the laptop before it was restored") && err.contains("change 2"),
        "{err}"
    );
    assert_eq!(rows(&server), before, "nothing of the old file is kept");
    // The restored laptop's own file, sending its change again with a new one, is taken.
    let again = server.import(&laptop.file(vec![restored, next], 1), t0()).unwrap();
    assert_eq!((again.already, again.new), (1, 1));
}

/// A laptop restored from its backup says its restore at its session; a sync file the old
/// laptop wrote before it broke, brought to the block after that, is refused whole, nothing
/// kept, as is the old copy's session. Before, such a file imported before the restored laptop
/// sent its own work was taken, and the restored laptop's changes under the same numbers then
/// passed for the old ones ("duplicate"): lost. The old copy's sessions end at the restored copy's
/// word, so that nothing it sends late under one is taken. A copy restored again from the same backup (a
/// later restore) becomes the live one, and the first restored copy is refused in turn; the
/// block's answer on a USB stick names the live copy's restores.
fn a_copy_of_a_laptop_from_before_its_restore_is_refused_once_the_restored_copy_has_spoken(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Bakraur laptop");
    let h = HouseholdId(Uuid::now_v7());
    let first = laptop.change(household(h, VILLAGE), 0);
    server.push(&laptop.caller, &laptop.batch(vec![first]), t0()).unwrap();
    // The old laptop's next two changes go in a file that is not imported yet.
    let old =
        vec![laptop.change(fact_of(h, PersonId(h.0)), 1), laptop.change(rename(h, PersonId(h.0), "x"), 2)];
    let old_file = laptop.file(old, 1);
    // Restored from the backup that held the first change, the laptop speaks to its block.
    let restore = |millis: u64| Restore {
        id: Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, 1_800_000_000 + millis, 0)),
        after: 1,
    };
    let (r1, r2) = (restore(1), restore(2));
    // The old copy had a session open, and a push of its own numbers late on a slow link.
    let old_session = server.session(&laptop.session_knowing(1), 60, t0()).unwrap();
    let restored = SessionRequest { restores: vec![r1], ..laptop.session_knowing(1) };
    server.session(&restored, 60, t0()).unwrap();
    // The restored copy's word ends it: a request under it starts a session, which is judged.
    let err = server.caller(&old_session.token, t0()).unwrap_err();
    assert_eq!(err.refusal().code, RefusalCode::Expired, "{err}");
    // The old file now: refused whole, with the sentence that says why.
    let before = server.rows();
    let err = server.import(&old_file, t0()).unwrap_err();
    assert!(
        matches!(&err, samanvaya_server::ServerError::Refused { code: RefusalCode::RestoredElsewhere, .. }),
        "{err}"
    );
    let said = err.to_string();
    assert!(said.contains("before it was restored") && said.contains("after its change 1"), "{said}");
    // Nothing of it but the copy's restores (none), kept for the operator's `keep-copy`.
    let not_devices =
        |rows: Vec<String>| rows.into_iter().filter(|r| !r.starts_with("device: ")).collect::<Vec<_>>();
    assert_eq!(not_devices(server.rows()), not_devices(before), "nothing of the old file is kept");
    // The restored laptop's own work under the same number is its own, not a duplicate.
    laptop.seq = 1;
    let own = laptop.change(fact_of(h, PersonId(h.0)), 5);
    let ack = server.push(&laptop.caller, &laptop.batch(vec![own]), t0()).unwrap();
    assert_eq!(ack.results[0].outcome, Outcome::Applied);
    // The old copy itself, found working, is refused at its session.
    let err = server.session(&laptop.session_knowing(3), 60, t0()).unwrap_err();
    assert!(
        matches!(&err, samanvaya_server::ServerError::Refused { code: RefusalCode::RestoredElsewhere, .. }),
        "{err}"
    );
    // Restored again from the same backup, later: that copy's file is taken and it is the
    // laptop from then on; the first restored copy is refused.
    let second = laptop.file_of_copy(vec![], 2, vec![r2]);
    server.import(&second, t0()).unwrap();
    let first_copy = SessionRequest { restores: vec![r1], ..laptop.session_knowing(2) };
    let err = server.session(&first_copy, 60, t0()).unwrap_err();
    assert!(err.to_string().contains("from before the laptop was restored"), "{err}");
    let latest = SessionRequest { restores: vec![r2], ..laptop.session_knowing(2) };
    let latest_session = server.session(&latest, 60, t0()).unwrap();
    // The answer on a USB stick names the live copy's restores, for the laptop to check.
    let written = server.export_feed(laptop.caller.device, t0()).unwrap();
    let key = samanvaya_sync_protocol::parcel::secret_digest(&laptop.secret);
    let answer =
        samanvaya_sync_protocol::feed_file::open(&written.bytes, laptop.caller.device, &key).unwrap();
    assert_eq!(answer.restores, Some(vec![r2]));
    // The block office takes the first restored copy for the laptop after all (the later
    // one's clock had gone back, and the first is the copy left): it syncs again, and the copy
    // live until now is refused, as is any copy restored from its backups, whatever the clock.
    let refused_copy = |server: &mut Opened| {
        let device = laptop.caller.device.to_string();
        server.devices().unwrap().into_iter().find(|d| d.id == device).unwrap().copy_refused
    };
    assert!(refused_copy(&mut server), "the operator's list says a copy was refused");
    assert_eq!(server.keep_copy(laptop.caller.device).unwrap(), vec![r1]);
    assert!(!refused_copy(&mut server), "and no more once it is kept");
    let err = server.caller(&latest_session.token, t0()).unwrap_err();
    assert_eq!(err.refusal().code, RefusalCode::Expired, "the copy put aside has no session left");
    server.session(&first_copy, 60, t0()).unwrap();
    let refused = |server: &mut Opened, req: &SessionRequest| {
        let err = server.session(req, 60, t0()).unwrap_err();
        matches!(&err, samanvaya_server::ServerError::Refused { code: RefusalCode::RestoredElsewhere, .. })
    };
    assert!(refused(&mut server, &latest));
    let from_its_backup = SessionRequest { restores: vec![r2, restore(3)], ..laptop.session_knowing(2) };
    assert!(refused(&mut server, &from_its_backup));
    let never = enroll(&mut server, "Sherghati laptop");
    let err = server.keep_copy(never.caller.device).unwrap_err().to_string();
    assert!(err.contains("nothing to keep"), "a laptop no copy of which was refused: {err}");
}

/// Two copies of a laptop restored from one backup number their new work at places chosen by
/// their restores' ids, and the later one becomes the live copy. Where the copy live until then
/// numbered above it, what the block holds of the laptop's numbers goes back to the old laptop's
/// run: the later copy's work, numbered below, is sent and taken, where it passed for held (never
/// sent, then pruned on the laptop: lost; found by a review).
fn a_later_copy_restored_from_the_same_backup_is_held_only_through_the_old_laptops_run(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Bakraur laptop");
    let h = HouseholdId(Uuid::now_v7());
    let first = laptop.change(household(h, VILLAGE), 0);
    server.push(&laptop.caller, &laptop.batch(vec![first]), t0()).unwrap();
    // Restored twice from the backup that held the first change, the later copy's place below.
    let restore = |millis: u64, place: u128| {
        let id = Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, 1_800_000_000 + millis, 0));
        Restore { id: Uuid::from_u128((id.as_u128() & !0xffff) | place), after: 1 }
    };
    let (early, late) = (restore(1, 9), restore(2, 3));
    assert!(late.numbered_after(1) < early.numbered_after(1));
    let knowing = laptop.session_knowing(1);
    let copy = |r: Restore| SessionRequest { restores: vec![r], ..knowing.clone() };
    server.session(&copy(early), 60, t0()).unwrap();
    laptop.seq = early.numbered_after(1);
    let its = laptop.change(fact_of(h, PersonId(h.0)), 5);
    server.push(&laptop.caller, &laptop.batch(vec![its]), t0()).unwrap();
    let reply = server.session(&copy(late), 60, t0()).unwrap();
    assert_eq!(reply.acked_through, 1, "held through the old laptop's run, not the first copy's numbers");
    laptop.seq = late.numbered_after(1);
    let own = laptop.change(rename(h, PersonId(h.0), "x"), 9);
    let ack = server.push(&laptop.caller, &laptop.batch(vec![own]), t0()).unwrap();
    assert_eq!(ack.results[0].outcome, Outcome::Applied);

    // By stick, a third copy from the same backup, asking back the same run as the copy live
    // until then, read the feed less far: the block's answer starts where this copy stands,
    // not where the other's files said (it skipped the feed between the two; found by a review).
    let other = enroll(&mut server, "Sherghati laptop");
    let mut other = other;
    for i in 0..3 {
        let h = HouseholdId(Uuid::now_v7());
        let change = other.change(household(h, VILLAGE), i);
        server.push(&other.caller, &other.batch(vec![change]), t0()).unwrap();
    }
    let end = server.pull_under(&other.caller, Asked::default()).unwrap().cursor;
    assert!(end > 0);
    let read_all = laptop.parcel_of_copy(late, end);
    server.import(&laptop.seal(&read_all), t0()).unwrap();
    let third = restore(3, 1);
    server.import(&laptop.seal(&laptop.parcel_of_copy(third, 0)), t0()).unwrap();
    let written = server.export_feed(laptop.caller.device, t0()).unwrap();
    let key = parcel::secret_digest(&laptop.secret);
    let answer =
        samanvaya_sync_protocol::feed_file::open(&written.bytes, laptop.caller.device, &key).unwrap();
    assert_eq!(answer.starts_after, Some(0), "from where the live copy stands");
    assert_eq!(answer.restores, Some(vec![third]));
}

/// The old laptop wrote its work to a USB stick and broke; the stick reached the block after the
/// copy restored from its backup had synced, saying where the old laptop's run ends. The file's
/// changes in that run are taken, once, and the restored copy reads them back with the rest of
/// its old run. What the backup held is not taken from the file, nor a number past the run's
/// end, which the restored copy uses: what the block holds of the laptop's own numbers stays
/// the restored copy's, whose next change under such a number is its own, not a duplicate.
fn a_late_file_of_a_copy_from_before_the_restore_gives_the_old_run_and_nothing_else(b: Backend) {
    use samanvaya_server::old_copy::OldCopy;
    let Some(mut opened) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut opened.store, "the laptop that broke");
    let enrolled = opened.texts(
        "SELECT CAST(max(last) AS TEXT) FROM lease WHERE kind = 'household' AND device_id = ?1",
        &laptop.caller.device.to_string(),
    );
    let enrolled: i64 = enrolled[0].parse().unwrap();
    let server = &mut opened.store;
    let (h, people, made) = laptop.head_and_three_records(["सुनीता", "सुनिता", "सुनीता देवी"]);
    // The block holds the household and the head, and so does the backup.
    server.push(&laptop.caller, &laptop.batch(made[..2].to_vec()), t0()).unwrap();
    // After the backup the old laptop is given household numbers, sends nothing more, and may
    // number families in its file from them.
    let knowing = laptop.session_knowing(2);
    let low = |through: i64| SessionRequest {
        numbers_left: vec![("household".into(), 10)],
        leases_through: vec![("household".into(), through)],
        ..knowing.clone()
    };
    let old_lease = server.session(&low(enrolled), 60, t0()).unwrap().leases[0].clone();
    let restore = Restore { id: Uuid::now_v7(), after: 2 };
    let end = restore.numbered_after(2);
    // The old laptop's file: the head again, its three records after the backup, and (as no
    // copy would write, to show the bound) a change under the restored copy's second number.
    laptop.seq = end + 1;
    let past = laptop.change(rename(h, people[0], "रानी"), 40);
    let old_file = laptop.file([made[1..].to_vec(), vec![past.clone()]].concat(), 2);
    // The restored copy, whose backup holds the enrollment's numbers alone, is given others:
    // the old laptop's, granted again, would give two families of the late file and of the
    // restored copy one number.
    let said = SessionRequest { run_end: Some(end), restores: vec![restore], ..low(enrolled) };
    let granted = server.session(&said, 60, t0()).unwrap().leases;
    assert!(granted[0].first > old_lease.last, "{granted:?} after {old_lease:?}");
    laptop.seq = end;
    let own = laptop.change(rename(h, people[0], "रामवती"), 30);
    server.push(&laptop.caller, &laptop.batch(vec![own]), t0()).unwrap();

    let done = server.import(&old_file, t0()).unwrap();
    assert_eq!(
        done.old_copy,
        Some(OldCopy { after: 2, taken: 3, held: 0, rejected: 0, not_taken: 2 }),
        "the run's three records; not the backup's head, nor the number past the run"
    );
    assert_eq!((done.new, done.already), (0, 0), "nothing taken as the live copy's work");
    assert_eq!(name_of(server, people[3]), "सुनीता देवी");
    assert_eq!(name_of(server, people[0]), "रामवती", "the restored copy's rename stands");
    let again = server.import(&old_file, t0()).unwrap();
    assert_eq!(again.old_copy, Some(OldCopy { after: 2, taken: 0, held: 3, rejected: 0, not_taken: 2 }));
    // The restored copy's numbers are its own: the block holds them as before, and its next
    // change, under the number the file also used, is applied.
    let reply = server.session(&said, 60, t0()).unwrap();
    assert_eq!(reply.acked_through, end + 1);
    let next = laptop.change(rename(h, people[0], "रामवती देवी"), 50);
    assert_eq!(next.seq, past.seq);
    let ack = server.push(&laptop.caller, &laptop.batch(vec![next]), t0()).unwrap();
    assert_eq!(ack.results[0].outcome, Outcome::Applied);
    assert_eq!(name_of(server, people[0]), "रामवती देवी");
    // The restored copy reads its old run back.
    let asked = Asked { own_after: Some(2), own_through: Some(end), ..Asked::default() };
    let read = server.pull_under(&laptop.caller, asked).unwrap();
    let own_read: Vec<i64> = read
        .changes
        .iter()
        .filter(|c| c.origin.device == laptop.caller.device)
        .map(|c| c.origin.seq)
        .collect();
    assert_eq!(own_read, vec![3, 4, 5]);
    // Another copy's change under a number held here (first recorded at another moment): not
    // taken for the one held.
    let mut other = made[3].clone();
    other.recorded_at += Duration::seconds(5);
    let clash = server.import(&laptop.file(vec![other], 2), t0()).unwrap();
    assert_eq!(clash.old_copy, Some(OldCopy { after: 2, taken: 0, held: 0, rejected: 0, not_taken: 1 }));
}

/// The block's operator takes the old laptop back for the laptop after its restored copy had
/// synced (`keep-copy`: the restored copy was lost too). What the block held of the laptop's
/// numbers was the restored copy's, far past the old laptop's: the old laptop's next changes,
/// numbered below, passed for held ("duplicate") and were lost. The block now holds the laptop
/// through the last of its numbers below the copy put aside's, and the old laptop's work is taken.
fn the_copy_the_operator_keeps_sends_its_work_under_its_own_numbers(b: Backend) {
    let Some(mut opened) = open(b, Role::Block) else { return };
    let server = &mut opened.store;
    let mut laptop = enroll(server, "the laptop found again");
    let (h, people, made) = laptop.head_and_three_records(["सुनीता", "सुनिता", "सुनीता देवी"]);
    server.push(&laptop.caller, &laptop.batch(made[..2].to_vec()), t0()).unwrap();
    let restore = Restore { id: Uuid::now_v7(), after: 2 };
    let end = restore.numbered_after(2);
    let restored =
        SessionRequest { run_end: Some(end), restores: vec![restore], ..laptop.session_knowing(2) };
    server.session(&restored, 60, t0()).unwrap();
    laptop.seq = end;
    let own = laptop.change(rename(h, people[0], "रामवती"), 30);
    server.push(&laptop.caller, &laptop.batch(vec![own]), t0()).unwrap();
    // The old laptop, refused, is kept; it syncs and sends what it made after the backup.
    let old = laptop.session_knowing(2);
    assert!(server.session(&old, 60, t0()).is_err());
    server.keep_copy(laptop.caller.device).unwrap();
    let reply = server.session(&old, 60, t0()).unwrap();
    assert_eq!(reply.acked_through, 2, "the old laptop's numbers held, not the copy's put aside");
    let ack = server.push(&laptop.caller, &laptop.batch(made[2..].to_vec()), t0()).unwrap();
    assert_eq!(outcomes(&ack), vec![Outcome::Applied; 3]);
    assert_eq!(name_of(server, people[3]), "सुनीता देवी");
    // The office changes its mind: the restored copy, kept again, is held through its own
    // newest number, above the old laptop's.
    assert!(server.session(&restored, 60, t0()).is_err());
    server.keep_copy(laptop.caller.device).unwrap();
    assert_eq!(server.session(&restored, 60, t0()).unwrap().acked_through, end + 1);
}

/// The old laptop alone had read a step the block's officer took, and the block, restored from
/// a backup, lost it; its answer asked the old laptop back for it, and the old laptop's file
/// giving it back reached the block after its restored copy had synced. The step is taken back
/// (its seal shows it is the block's), with the old laptop's run.
fn a_late_file_of_a_copy_from_before_the_restore_gives_back_the_blocks_own_steps(b: Backend) {
    use samanvaya_domain::referral::Step;
    use samanvaya_sync_protocol::GivenBack;
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "the laptop that broke");
    laptop.opens_r1(&mut server);
    server.step("R-1", Step::Submit, "Block officer", t0()).unwrap();
    let me = server.device();
    let read = server.pull(&laptop.caller, 0).unwrap();
    let step = read.changes.iter().find(|c| c.origin.device == me).expect("the step").clone();
    server.execute("DELETE FROM change WHERE origin_device = ?1", &[&me.to_string()]);
    server.execute("DELETE FROM referral_event", &[]);
    let restore = Restore { id: Uuid::now_v7(), after: 3 };
    let said = SessionRequest {
        run_end: Some(restore.numbered_after(3)),
        restores: vec![restore],
        ..laptop.session_knowing(3)
    };
    server.session(&said, 60, t0()).unwrap();
    let back =
        GivenBack { origin: step.origin, change: step.change.clone(), seal: step.seal.clone().unwrap() };
    let mut forged = back.clone();
    forged.change.hlc.wall_ms += 60_000;
    let file =
        laptop.seal(&Parcel { given_back: vec![back, forged], acked_here: Some(3), ..laptop.parcel() });
    let done = server.import(&file, t0()).unwrap();
    assert!(done.old_copy.is_some(), "a copy from before the restore");
    assert_eq!((done.taken_back, done.refused_back), (1, 1), "the step back; not one changed on the way");
    let events = server.texts("SELECT CAST(count(*) AS TEXT) FROM referral_event WHERE ?1 = ?1", "");
    assert_eq!(events, vec!["1"]);
}

/// The late file of the old laptop carries its audit entries after the backup, which record its
/// work the file gives: they are taken on the device's own log, beside the branch the restored
/// copy writes from the backup's last entry. Entries a copy restored before wrote on a branch
/// are not taken: a copy restored from its backup may go on writing that branch, and would
/// find its own entries refused as a changed log.
fn a_late_file_of_a_copy_from_before_the_restore_gives_its_audit_entries_on_its_own_log(b: Backend) {
    use samanvaya_sync_protocol::AuditBatch;
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "the laptop that broke");
    let (_, _, made) = laptop.head_and_three_records(["सुनीता", "सुनिता", "सुनीता देवी"]);
    let device = laptop.caller.device;
    // The old laptop sent two changes and five audit entries; its backup holds as much.
    server.push(&laptop.caller, &laptop.batch(made[..2].to_vec()), t0()).unwrap();
    let log = audit_log(8);
    server.push_audit(&laptop.caller, &AuditBatch::of(None, log[..5].to_vec()), t0()).unwrap();
    // The restored copy syncs first, and logs on a branch of its own from the backup's entry 5.
    let restore = Restore { id: Uuid::now_v7(), after: 2 };
    let said = SessionRequest {
        run_end: Some(restore.numbered_after(2)),
        restores: vec![restore],
        ..laptop.session_knowing(2)
    };
    server.session(&said, 60, t0()).unwrap();
    let branch = fork_at(&log[4], None);
    let restored = audit_after_restore(&log[4], 2);
    let on_branch = AuditBatch::of(None, restored.clone()).on(Some(branch.clone()));
    server.push_audit(&laptop.caller, &on_branch, t0()).unwrap();
    // The old laptop's file: its three records and entries 6 to 8 of the device's own log.
    let old_file = laptop.seal(&Parcel {
        changes: made[2..].to_vec(),
        audit: log[5..].to_vec(),
        acked_here: Some(2),
        ..laptop.parcel()
    });
    // Written by an app of another protocol: refused before anything of it is taken.
    let count = |server: &Opened| {
        server
            .texts("SELECT CAST(count(*) AS TEXT) FROM change WHERE origin_device = ?1", &device.to_string())
    };
    let before = count(&server);
    let older = laptop.seal(&Parcel {
        protocol: PROTOCOL_VERSION - 1,
        changes: made[2..].to_vec(),
        audit: log[5..].to_vec(),
        acked_here: Some(2),
        ..laptop.parcel()
    });
    assert_eq!(server.import(&older, t0()).unwrap_err().refusal().code, RefusalCode::Protocol);
    assert_eq!(count(&server), before, "nothing of it taken");
    let done = server.import(&old_file, t0()).unwrap();
    assert_eq!(done.old_copy.map(|o| o.taken), Some(3));
    assert_eq!((done.audit_through, done.audit_refused), (Some(8), None));
    assert_eq!(server.audit_log(device).unwrap(), log, "the old laptop's log, whole");
    assert_eq!(server.audit_log(branch.id).unwrap(), restored, "the restored copy's, as it was");
    // Its next entries on its branch follow on as before.
    let next = chained(7, &restored[1].hash, 1, "2026-12-02T07:00", "restored");
    let more = AuditBatch::of(None, next.clone()).on(Some(branch.clone()));
    assert_eq!(server.push_audit(&laptop.caller, &more, t0()).unwrap().through, 8);
    // A late file of a copy that wrote on a branch: its entries are not taken (its changes are
    // held already).
    let earlier = fork_at(&log[4], None);
    let of_a_branch = laptop.seal(&Parcel {
        changes: made[2..].to_vec(),
        audit: audit_after_restore(&log[4], 1),
        audit_fork: Some(earlier.clone()),
        acked_here: Some(2),
        ..laptop.parcel()
    });
    let done = server.import(&of_a_branch, t0()).unwrap();
    assert_eq!(done.old_copy.map(|o| o.held), Some(3));
    assert_eq!(done.audit_through, None);
    let why = done.audit_refused.unwrap_or_default();
    assert!(why.contains("not taken") && why.contains(&earlier.id.to_string()), "{why}");
    assert!(server.audit_log(earlier.id).unwrap().is_empty());
    // Restored again, from a backup of the restored copy: the first laptop's entries are not
    // taken any more, since a copy between the two (restored by an older app) may have written
    // the same numbers of the device's own log, which the live copy would send before its branch.
    let again = Restore { id: Uuid::now_v7(), after: 2 };
    let said_again = SessionRequest {
        run_end: Some(again.numbered_after(2)),
        restores: vec![restore, again],
        ..laptop.session_knowing(2)
    };
    server.session(&said_again, 60, t0()).unwrap();
    let done = server.import(&old_file, t0()).unwrap();
    assert!(done.old_copy.is_some(), "a copy from before the restores");
    assert_eq!(done.audit_through, None);
    let why = done.audit_refused.unwrap_or_default();
    assert!(why.contains("not restored from a backup of the copy that wrote this file"), "{why}");
}

/// A block restored from a backup took a laptop's withdrawal of a woman's consent before the
/// record of her household came again from the laptop that made it. The feed reads only changes
/// about households held here, so the withdrawal reached no laptop then, and once the record
/// arrived every reader's place was past it: the laptop that made her kept her for good (seed 633
/// of the simulation with restores). It is now stored again, under a new number, when the
/// household's record arrives, and every reader gets it after the record.
fn a_withdrawal_taken_before_its_households_record_reaches_every_reader_after_the_record(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let (mut writer, mut maker) =
        (enroll(&mut server, "the withdrawing laptop"), enroll(&mut server, "the maker"));
    let reader = enroll(&mut server, "another laptop of Bakraur");
    let h = HouseholdId(Uuid::now_v7());
    let her = PersonId(Uuid::now_v7());
    let made = vec![maker.change(household(h, VILLAGE), 0), maker.change(member(h, her, "सुनीता"), 1)];
    let withdrawn = writer.change(withdrawal(h, Some(her)), 2);
    let ack = server.push(&writer.caller, &writer.batch(vec![withdrawn.clone()]), t0()).unwrap();
    assert_eq!(ack.results[0].outcome, Outcome::Applied);
    let before = server.pull(&reader.caller, 0).unwrap();
    assert!(before.changes.is_empty(), "nothing of a household not held here");
    server.push(&maker.caller, &maker.batch(made), t0()).unwrap();
    let after = server.pull(&reader.caller, before.cursor).unwrap();
    let got: Vec<Origin> = after.changes.iter().map(|c| c.origin).collect();
    assert_eq!(
        got,
        vec![Origin { device: maker.caller.device, seq: 1 }, withdrawn.origin],
        "the record, then the withdrawal"
    );
    // Her record was erased on arrival, and the withdrawal is held once.
    assert!(server.texts("SELECT name FROM member WHERE id = ?1", &her.0.to_string()).is_empty());
    let held = server.texts(
        "SELECT CAST(count(*) AS TEXT) FROM change WHERE origin_device = ?1",
        &writer.caller.device.to_string(),
    );
    assert_eq!(held, vec!["1"]);
    // Sent again, it is held already.
    let again = server.push(&writer.caller, &writer.batch(vec![withdrawn]), t0()).unwrap();
    assert_eq!(again.results[0].outcome, Outcome::Duplicate);
    // A laptop of another village cannot reach this village's laptops so: with no household
    // held, its withdrawal had no village to be judged by when it came, and is judged by its
    // sender's villages when it is stored again, and refused.
    let mut stranger = enroll_elsewhere(&mut server, "Sherghati laptop");
    let h3 = HouseholdId(Uuid::now_v7());
    let her3 = PersonId(Uuid::now_v7());
    let made = vec![maker.change(household(h3, VILLAGE), 5), maker.change(member(h3, her3, "कमला"), 6)];
    let foreign = stranger.change(withdrawal(h3, Some(her3)), 7);
    server.push(&stranger.caller, &stranger.batch(vec![foreign.clone()]), t0()).unwrap();
    let place = server.pull(&reader.caller, 0).unwrap().cursor;
    server.push(&maker.caller, &maker.batch(made), t0()).unwrap();
    let got: Vec<Origin> =
        server.pull(&reader.caller, place).unwrap().changes.iter().map(|c| c.origin).collect();
    assert!(!got.contains(&foreign.origin), "{got:?}");
    // A household recorded and withdrawn whole on a laptop before its first sync: what is left
    // of its record, then its withdrawal. Its record never comes, and nothing stays listed to
    // wait for it (listed for good, every later batch would look at each household's record
    // for what waits on it, one at a time).
    let gone = HouseholdId(Uuid::now_v7());
    let left = ChangeBody::Redacted(samanvaya_domain::change::Redacted {
        household_id: gone,
        was: "household".into(),
        referral: None,
    });
    let sent = vec![maker.change(left, 3), maker.change(withdrawal(gone, None), 4)];
    let ack = server.push(&maker.caller, &maker.batch(sent), t0()).unwrap();
    assert_eq!(outcomes(&ack), vec![Outcome::Applied; 2]);
    let listed = server
        .texts("SELECT CAST(count(*) AS TEXT) FROM waiting_change WHERE applied_as IS NULL AND ?1 = ?1", "");
    assert_eq!(listed, vec!["0"]);
}

/// The same with a household withdrawn whole: the block, restored from a backup that lost the
/// household, took its withdrawal first; the record, coming again from the laptop that made it,
/// is erased on arrival, and no row of the household was held to route the withdrawal to the
/// village's laptops, which kept the family for good. Its row is now kept as the tombstone a
/// withdrawal leaves (its village and number, nothing of the family), and the withdrawal
/// reaches every reader after it.
fn a_household_withdrawn_whole_before_its_record_came_reaches_every_reader_with_its_row(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let (mut writer, mut maker) =
        (enroll(&mut server, "the withdrawing laptop"), enroll(&mut server, "the maker"));
    let reader = enroll(&mut server, "another laptop of Bakraur");
    let h = HouseholdId(Uuid::now_v7());
    let made = vec![
        maker.change(household(h, VILLAGE), 0),
        maker.change(member(h, PersonId(Uuid::now_v7()), "सुनीता"), 1),
    ];
    let withdrawn = writer.change(withdrawal(h, None), 2);
    server.push(&writer.caller, &writer.batch(vec![withdrawn.clone()]), t0()).unwrap();
    let place = server.pull(&reader.caller, 0).unwrap().cursor;
    let ack = server.push(&maker.caller, &maker.batch(made), t0()).unwrap();
    assert!(
        ack.results.iter().all(|r| matches!(&r.outcome, Outcome::Rejected { reason } if reason == samanvaya_server::consent::ERASED_ON_ARRIVAL)),
        "{:?}",
        ack.results
    );
    let got: Vec<Origin> =
        server.pull(&reader.caller, place).unwrap().changes.iter().map(|c| c.origin).collect();
    assert_eq!(got, vec![withdrawn.origin], "the withdrawal, once");
    let row = server.texts(
        "SELECT village_id || '|' || address || '|' || phone FROM household WHERE id = ?1",
        &h.0.to_string(),
    );
    assert_eq!(row, vec![format!("{}||", Uuid::from_u128(VILLAGE))]);
    // The record sent again changes nothing more.
    let again = vec![maker.change(household(h, VILLAGE), 3)];
    server.push(&maker.caller, &maker.batch(again), t0()).unwrap();
    assert!(server.pull(&reader.caller, place).unwrap().changes.len() == 1);
}

/// A laptop recorded a household, still unsent when its backup was made, and withdrew it whole
/// after the backup, before it ever sent it; it broke, and its USB file brought what is left of
/// the record, then the withdrawal, so this server never held a row of the household. A laptop restored from that
/// backup, which holds the family, reads the withdrawal back with the rest of the old laptop's
/// run, though the feed reads by the villages of the households held (seed 2002 of the
/// simulation with both restores: before, it kept the family for good). Another laptop of the
/// village, which never held the household, still gets none of it.
fn a_restored_laptop_reads_back_its_withdrawal_of_a_household_never_held_here(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut old = enroll(&mut server, "the laptop that broke");
    let reader = enroll(&mut server, "another laptop of Bakraur");
    let kept = HouseholdId(Uuid::now_v7());
    let gone = HouseholdId(Uuid::now_v7());
    let left = ChangeBody::Redacted(samanvaya_domain::change::Redacted {
        household_id: gone,
        was: "household".into(),
        referral: None,
    });
    let sent = vec![
        old.change(left, 0),
        old.change(household(kept, VILLAGE), 1),
        old.change(withdrawal(gone, None), 2),
    ];
    let ack = server.push(&old.caller, &old.batch(sent.clone()), t0()).unwrap();
    assert_eq!(outcomes(&ack), vec![Outcome::Applied; 3]);
    // The restored laptop's backup held nothing of the run: it asks for all of it.
    let back: Vec<Origin> =
        server.pull_own_after(&old.caller, 0, Some(0)).unwrap().changes.iter().map(|c| c.origin).collect();
    assert_eq!(back, sent.iter().map(|c| c.origin).collect::<Vec<_>>(), "the whole run, in order");
    // Read from past the record held, only what is unheld and after it comes.
    let place = server
        .pull_own_after(&old.caller, 0, Some(0))
        .unwrap()
        .changes
        .iter()
        .find(|c| c.origin == sent[1].origin)
        .map(|c| c.server_seq)
        .unwrap();
    let rest: Vec<Origin> = server
        .pull_own_after(&old.caller, place, Some(0))
        .unwrap()
        .changes
        .iter()
        .map(|c| c.origin)
        .collect();
    assert_eq!(rest, vec![sent[2].origin]);
    let others: Vec<Origin> =
        server.pull(&reader.caller, 0).unwrap().changes.iter().map(|c| c.origin).collect();
    assert_eq!(others, vec![sent[1].origin], "the household held, and nothing of the one withdrawn");
    // Not reading its run back, the laptop gets none of its own.
    assert!(server.pull(&old.caller, 0).unwrap().changes.is_empty());
}

/// The same read back over many pages: what is applied about a household held nowhere here
/// (read by a query of its own) comes in its place among the rest, before and after a page's
/// cut, each once and in order.
fn a_restored_laptop_reads_its_run_back_whole_across_pages_with_changes_of_a_household_never_held(
    b: Backend,
) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut old = enroll(&mut server, "the laptop that broke");
    let (kept, gone) = (HouseholdId(Uuid::now_v7()), HouseholdId(Uuid::now_v7()));
    let left = |was: &str| {
        ChangeBody::Redacted(samanvaya_domain::change::Redacted {
            household_id: gone,
            was: was.into(),
            referral: None,
        })
    };
    let mut bodies = vec![left("household"), household(kept, VILLAGE)];
    for n in 0..1200 {
        bodies.push(member(kept, PersonId(Uuid::now_v7()), &format!("सदस्य {n}")));
        if n % 300 == 0 {
            bodies.push(left("member"));
        }
    }
    bodies.push(withdrawal(gone, None));
    let sent: Vec<_> = bodies.into_iter().enumerate().map(|(i, body)| old.change(body, i as i64)).collect();
    for part in sent.chunks(100) {
        let ack = server.push(&old.caller, &old.batch(part.to_vec()), t0()).unwrap();
        assert!(outcomes(&ack).iter().all(|o| *o == Outcome::Applied), "{ack:?}");
    }
    let (mut back, mut after, mut pages) = (Vec::new(), 0, 0);
    loop {
        let page = server.pull_own_after(&old.caller, after, Some(0)).unwrap();
        back.extend(page.changes.iter().map(|c| c.origin));
        after = page.cursor;
        pages += 1;
        if !page.more {
            break;
        }
    }
    assert!(pages > 2, "the run took {pages} pages");
    assert_eq!(back, sent.iter().map(|c| c.origin).collect::<Vec<_>>(), "the whole run, each once, in order");
}

/// A laptop opened a referral for a member who then withdrew consent, and erased it in its
/// log: a block restored from a backup that lacked the referral gets only what is left of it,
/// naming the referral. A step on it another laptop made unseen of the withdrawal is erased on
/// arrival, as at the district, which held the referral, and handed out to no laptop as a step
/// (seed 349 of the simulation with restores: a laptop kept it aside for good).
fn a_step_on_a_referral_erased_elsewhere_is_erased_on_arrival_though_only_what_is_left_of_it_came(
    b: Backend,
) {
    use samanvaya_domain::referral::Action;
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut writer = enroll(&mut server, "the laptop that opened it");
    let mut other = enroll(&mut server, "another laptop of Bakraur");
    let reader = enroll(&mut server, "a third laptop");
    let h = HouseholdId(Uuid::now_v7());
    let referral = Uuid::now_v7();
    let left = ChangeBody::Redacted(samanvaya_domain::change::Redacted {
        household_id: h,
        was: "referral".into(),
        referral: Some(referral),
    });
    let sent = vec![writer.change(household(h, VILLAGE), 0), writer.change(left, 1)];
    server.push(&writer.caller, &writer.batch(sent), t0()).unwrap();
    let step = ChangeBody::ReferralEvent(samanvaya_domain::change::ReferralEventChange {
        id: Uuid::now_v7(),
        referral_id: referral,
        household_id: h,
        at: t0(),
        by: "Asha".into(),
        catalogue: "test".into(),
        action: Action::Submit,
    });
    let sent = vec![other.change(step, 2)];
    let ack = server.push(&other.caller, &other.batch(sent), t0()).unwrap();
    assert!(
        matches!(&ack.results[0].outcome, Outcome::Rejected { reason } if reason.contains("erased")),
        "{:?}",
        ack.results[0].outcome
    );
    let read = server.pull(&reader.caller, 0).unwrap();
    let kinds: Vec<&str> = read.changes.iter().map(|c| c.change.body.kind()).collect();
    assert_eq!(kinds, ["household", "redacted"], "no step of an erased referral handed out");
}

/// A laptop restored twice, the second time from a backup of the first restored copy: the old
/// laptop's file found late gives its work after the first backup, though the live copy's run
/// starts after the second backup's last change, past the first restored copy's own numbers.
/// The first restored copy numbered far past the old laptop's run, so nothing there is another's.
fn a_late_file_of_the_laptop_before_two_restores_gives_its_work_after_the_first_backup(b: Backend) {
    use samanvaya_server::old_copy::OldCopy;
    let Some(mut opened) = open(b, Role::Block) else { return };
    let server = &mut opened.store;
    let mut laptop = enroll(server, "the laptop that broke");
    let (h, people, made) = laptop.head_and_three_records(["सुनीता", "सुनिता", "सुनीता देवी"]);
    server.push(&laptop.caller, &laptop.batch(made[..2].to_vec()), t0()).unwrap();
    let old_file = laptop.file(made[2..].to_vec(), 2);
    let first = Restore { id: Uuid::now_v7(), after: 2 };
    let first_end = first.numbered_after(2);
    let said =
        SessionRequest { run_end: Some(first_end), restores: vec![first], ..laptop.session_knowing(2) };
    server.session(&said, 60, t0()).unwrap();
    laptop.seq = first_end;
    let own = laptop.change(rename(h, people[0], "रामवती"), 30);
    server.push(&laptop.caller, &laptop.batch(vec![own]), t0()).unwrap();
    // The first restored copy breaks too; a backup of it is restored.
    let second = Restore { id: Uuid::now_v7(), after: first_end + 1 };
    let said = SessionRequest {
        run_end: Some(second.numbered_after(first_end + 1)),
        restores: vec![first, second],
        ..laptop.session_knowing(first_end + 1)
    };
    server.session(&said, 60, t0()).unwrap();

    let done = server.import(&old_file, t0()).unwrap();
    assert_eq!(done.old_copy, Some(OldCopy { after: 2, taken: 3, held: 0, rejected: 0, not_taken: 0 }));
    assert_eq!(name_of(server, people[3]), "सुनीता देवी");
    assert_eq!(name_of(server, people[0]), "रामवती");
}

/// A block restored from a backup lost a household laptop A made; laptop B, which had read it,
/// sends a change about it before A sends the household again. The change waits for the
/// household (B is told it was taken: nothing B could do would change it), reaches no reader
/// while it waits, and once the household arrives is applied and handed out after it, to a
/// reader whose place was the waiting change's number too. A laptop of another village that
/// sends a change about a household it was never given gets nothing applied by waiting.
fn a_change_about_a_household_not_known_yet_waits_for_its_record_and_then_reaches_every_reader(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let (mut a, mut b_laptop, reader) =
        (enroll(&mut server, "laptop A"), enroll(&mut server, "laptop B"), enroll(&mut server, "reader"));
    let mut elsewhere = enroll_elsewhere(&mut server, "laptop of Sherghati");
    let (h, head) = (HouseholdId(Uuid::now_v7()), PersonId(Uuid::now_v7()));
    let outcome = |server: &Opened, device: Uuid| {
        server.texts(
            "SELECT outcome FROM change WHERE origin_device = ?1 ORDER BY origin_seq",
            &device.to_string(),
        )
    };
    let sent = vec![b_laptop.change(fact_of(h, head), 5)];
    let answer = server.push(&b_laptop.caller, &b_laptop.batch(sent), t0());
    assert_eq!(answer.unwrap().results[0].outcome, Outcome::Applied, "taken, to wait");
    let sent = vec![elsewhere.change(fact_of(h, head), 6)];
    let stranger = server.push(&elsewhere.caller, &elsewhere.batch(sent), t0());
    assert_eq!(stranger.unwrap().results[0].outcome, Outcome::Applied);
    let waits = outcome(&server, b_laptop.caller.device);
    assert!(waits[0].starts_with("waiting: household "), "{waits:?}");
    let facts = |server: &Opened| {
        server.texts("SELECT CAST(count(*) AS TEXT) FROM fact WHERE subject_id = ?1", &head.to_string())
    };
    assert_eq!(facts(&server), vec!["0"]);
    let read = server.pull(&reader.caller, 0).unwrap();
    assert!(read.changes.is_empty(), "nothing of a household not held is handed out");
    assert!(read.cursor > 0 && read.cursor_origin.is_some(), "the reader's place is the waiting change");

    // A sends the household again: B's change is applied, and numbered after it.
    let sent = vec![a.change(household(h, VILLAGE), 0)];
    server.push(&a.caller, &a.batch(sent), t0()).unwrap();
    assert_eq!(outcome(&server, b_laptop.caller.device), vec!["applied"]);
    assert_eq!(facts(&server), vec!["1"]);
    let asked =
        Asked { after: read.cursor, at: read.cursor_origin, read_under: Some(""), ..Asked::default() };
    let next = server.pull_under(&reader.caller, asked).unwrap();
    let origins: Vec<Uuid> = next.changes.iter().map(|c| c.origin.device).collect();
    assert_eq!(
        origins,
        vec![a.caller.device, b_laptop.caller.device],
        "the household, then what waited for it"
    );
    assert_eq!(next.feed_epoch, None, "a change moved on is no restore");
    // The other village's laptop's change is refused now that the household's village is known.
    let refused = outcome(&server, elsewhere.caller.device);
    assert!(refused[0].starts_with("rejected: the household is in a village"), "{refused:?}");
}

/// A laptop fetches its district's rules a piece at a time, and the server reads a bundle once
/// for all its pieces: pieces of two bundles asked in turn are each their own bundle's bytes,
/// and a bundle the server no longer holds is refused though its pieces were handed out before.
fn the_pieces_of_two_bundles_asked_in_turn_are_each_their_own_and_a_bundle_gone_is_refused(b: Backend) {
    use samanvaya_sync_protocol::bundle::{self, PIECE_BYTES};
    let Some(mut server) = open(b, Role::District) else { return };
    let folder = tempfile::tempdir().unwrap();
    rules_folder(folder.path());
    let key = bundle::new_signing_key().unwrap();
    let (december, _) = server.publish_catalogue(folder.path(), "December", &key, t0()).unwrap();
    let later = t0() + chrono::Duration::days(31);
    let (january, _) = server.publish_catalogue(folder.path(), "January", &key, later).unwrap();
    let mut whole =
        [&december.digest, &january.digest].map(|d| (d.clone(), server.catalogue_file(d).unwrap()));
    assert!(whole[0].1.len() > PIECE_BYTES, "a bundle of several pieces: {}", whole[0].1.len());
    whole.swap(0, 1);
    let mut fetched = [Vec::new(), Vec::new()];
    for offset in (0..whole[0].1.len().max(whole[1].1.len())).step_by(PIECE_BYTES) {
        for ((digest, _), got) in whole.iter().zip(&mut fetched) {
            let piece = server.catalogue_piece(digest, offset as u64).unwrap();
            assert_eq!(&piece.digest, digest);
            got.extend(bundle::piece_bytes(&piece).unwrap());
        }
    }
    assert_eq!(fetched[0], whole[0].1, "January's pieces are January's");
    assert_eq!(fetched[1], whole[1].1, "December's pieces are December's");

    server.execute("DELETE FROM catalogue_bundle WHERE digest = ?1", &[&december.digest]);
    let gone = server.catalogue_piece(&december.digest, 0).unwrap_err().to_string();
    assert!(gone.contains("no longer holds those scheme rules"), "{gone}");
}

/// After a block's restore, a laptop's change that waits for its household has not reached the
/// district, nor has any change it made after that one, however far the block's forwarding has
/// gone: the laptop's panel says "reached the district" only of what went. Once the household
/// arrives the change goes under a new number, and counts as reached when that number has.
fn reached_the_district_stops_below_a_change_that_waits_for_its_household(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let (mut a, mut b_laptop) = (enroll(&mut server, "laptop A"), enroll(&mut server, "laptop B"));
    server.execute(
        "INSERT INTO upstream (id, url, server_id, secret) VALUES (1, 'https://district.invalid', 'district', 'secret')",
        &[],
    );
    let forwarded_all = |server: &Opened| {
        server.execute("UPDATE upstream SET acked_through = (SELECT max(seq) FROM change)", &[])
    };
    let reached = |server: &mut Opened, laptop: &Laptop| {
        server.session(&laptop.session_knowing(0), 60, t0()).unwrap().reached_district
    };
    let (lost, own) = (HouseholdId(Uuid::now_v7()), HouseholdId(Uuid::now_v7()));
    let sent = vec![
        b_laptop.change(household(own, VILLAGE), 0),
        b_laptop.change(fact_of(lost, PersonId(lost.0)), 1),
        b_laptop.change(fact_of(own, PersonId(own.0)), 2),
    ];
    server.push(&b_laptop.caller, &b_laptop.batch(sent), t0()).unwrap();
    forwarded_all(&server);
    assert_eq!(reached(&mut server, &b_laptop), Some(1), "not the change that waits, nor the one after it");

    let sent = vec![a.change(household(lost, VILLAGE), 0)];
    server.push(&a.caller, &a.batch(sent), t0()).unwrap();
    assert_eq!(reached(&mut server, &b_laptop), Some(1), "stored again, but not gone yet");
    forwarded_all(&server);
    assert_eq!(reached(&mut server, &b_laptop), Some(3), "gone, and every change before it");
}

/// A change stored after the laptop's later ones (an old copy's late file, or its old run given
/// back by another laptop, after a restore) has not reached the district until the block
/// forwards it: none from its number on counts as reached till then, though later numbers went.
fn reached_the_district_stops_below_a_change_stored_late_until_it_goes(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "the laptop that broke");
    server.execute(
        "INSERT INTO upstream (id, url, server_id, secret) VALUES (1, 'https://district.invalid', 'district', 'secret')",
        &[],
    );
    let forwarded_all = |server: &Opened| {
        server.execute("UPDATE upstream SET acked_through = (SELECT max(seq) FROM change)", &[])
    };
    let (h, people, made) = laptop.head_and_three_records(["सुनीता", "सुनिता", "सुनीता देवी"]);
    server.push(&laptop.caller, &laptop.batch(made[..2].to_vec()), t0()).unwrap();
    let restore = Restore { id: Uuid::now_v7(), after: 2 };
    let end = restore.numbered_after(2);
    let said = SessionRequest { run_end: Some(end), restores: vec![restore], ..laptop.session_knowing(2) };
    server.session(&said, 60, t0()).unwrap();
    let old_file = laptop.file(made[2..].to_vec(), 2);
    laptop.seq = end;
    let own = laptop.change(rename(h, people[0], "रामवती"), 30);
    server.push(&laptop.caller, &laptop.batch(vec![own]), t0()).unwrap();
    forwarded_all(&server);
    let reached = |server: &mut Opened| server.session(&said, 60, t0()).unwrap().reached_district;
    assert_eq!(reached(&mut server), Some(end + 1));
    assert_eq!(server.import(&old_file, t0()).unwrap().old_copy.map(|o| o.taken), Some(3));
    assert_eq!(reached(&mut server), Some(2), "not the old run stored late, nor the numbers after it");
    forwarded_all(&server);
    assert_eq!(reached(&mut server), Some(end + 1), "gone, and every change before it");
}

/// A block restored from a backup lost a step its officer took after the backup, which a laptop
/// had read and the district never got: the laptop holds it alone. The laptop says at its
/// session the newest of the block's own changes it holds; the block asks back those after the
/// newest it holds below it, and takes back only what its own seal shows it made: not a step
/// changed on the way, nor a change of another's under its seal.
fn a_restored_block_takes_back_from_a_laptop_only_the_steps_its_own_seal_shows_it_took(b: Backend) {
    use samanvaya_domain::referral::Step;
    use samanvaya_sync_protocol::{GiveBack, GivenBack};
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut writer = enroll(&mut server, "writer's laptop");
    let reader = enroll(&mut server, "reader's laptop");
    writer.opens_r1(&mut server);
    server.step("R-1", Step::Submit, "Block officer", t0()).unwrap();
    let me = server.device();
    let read = server.pull(&reader.caller, 0).unwrap();
    let (own, others): (Vec<_>, Vec<_>) = read.changes.iter().partition(|c| c.origin.device == me);
    assert_eq!(own.len(), 1, "the step");
    assert!(own[0].seal.is_some(), "a change the block made is sealed");
    assert!(others.iter().all(|c| c.seal.is_none()), "another's is not");
    let step = own[0].clone();
    // Restored from a backup taken before the step: its row and its event are gone.
    server.execute("DELETE FROM change WHERE origin_device = ?1", &[&me.to_string()]);
    server.execute("DELETE FROM referral_event", &[]);
    let events =
        |server: &Opened| server.texts("SELECT CAST(count(*) AS TEXT) FROM referral_event WHERE ?1 = ?1", "");
    let knowing = SessionRequest { server_own_through: Some(step.origin.seq), ..reader.session_knowing(0) };
    assert_eq!(server.session(&knowing, 60, t0()).unwrap().own_wanted_after, Some(0), "asked back");

    let genuine =
        GivenBack { origin: step.origin, change: step.change.clone(), seal: step.seal.clone().unwrap() };
    let give = |server: &mut Opened, given: GivenBack| {
        server
            .take_back(&reader.caller, &GiveBack { protocol: PROTOCOL_VERSION, changes: vec![given] }, t0())
            .unwrap()
    };
    let mut changed = genuine.clone();
    changed.change.hlc.wall_ms += 60_000;
    let ack = give(&mut server, changed);
    assert_eq!((ack.taken, ack.refused), (0, 1), "a step changed on the way is refused");
    let theirs = GivenBack { origin: others[0].origin, change: others[0].change.clone(), ..genuine.clone() };
    assert_eq!(give(&mut server, theirs).refused, 1, "so is another's change under the block's seal");
    let borrowed = GivenBack { origin: Origin { device: me, seq: step.origin.seq + 1 }, ..genuine.clone() };
    assert_eq!(give(&mut server, borrowed).refused, 1, "and the seal under another number");
    assert_eq!(events(&server), vec!["0"]);

    let ack = give(&mut server, genuine.clone());
    assert_eq!((ack.taken, ack.held, ack.refused), (1, 0, 0));
    assert_eq!(events(&server), vec!["1"], "the step is back, applied");
    let status = server.texts("SELECT stage FROM referral WHERE number = ?1", "R-1");
    assert_eq!(status, vec!["submitted"]);
    assert_eq!(give(&mut server, genuine).held, 1, "given twice, held once");
    assert_eq!(server.session(&knowing, 60, t0()).unwrap().own_wanted_after, None, "nothing more to ask");
    // The block numbers its next step past the one taken back.
    server.step("R-1", Step::Process, "Block officer", t0() + Duration::minutes(5)).unwrap();
    let numbers = server.texts(
        "SELECT CAST(origin_seq AS TEXT) FROM change WHERE origin_device = ?1 ORDER BY seq",
        &me.to_string(),
    );
    assert!(numbers[1].parse::<i64>().unwrap() > step.origin.seq, "{numbers:?}");
}

/// The same a level up: a district restored from a backup lost a step its officer took after
/// the backup, which its block had read and kept with the district's seal. The block says at
/// its session the newest of the district's changes it holds; the district asks back what it
/// lacks, and takes back from the block only what its own seal shows it made: not a laptop's
/// change the block forwarded, which comes up by a push, nor a step changed on the way.
fn a_restored_district_takes_back_from_its_block_only_the_steps_its_own_seal_shows_it_took(b: Backend) {
    use samanvaya_domain::referral::Step;
    use samanvaya_sync_protocol::{GiveBack, GivenBack};
    let Some(mut district) = open(b, Role::District) else { return };
    let (block, secret) = enroll_block(&mut district, "Bodh Gaya");
    let (number, first) = forwards_a_case(&mut district, &block, VILLAGE, 1);
    district.step(&number, Step::Submit, "DM office", t0()).unwrap();
    let me = district.device();
    let read = district.pull(&block, 0).unwrap();
    let own: Vec<_> = read.changes.iter().filter(|c| c.origin.device == me).collect();
    assert_eq!(own.len(), 1, "the step, in the block's feed: {:?}", read.changes);
    let step = own[0].clone();
    let genuine =
        GivenBack { origin: step.origin, change: step.change.clone(), seal: step.seal.clone().unwrap() };
    // Restored from a backup taken before the step: its row and its event are gone.
    district.execute("DELETE FROM change WHERE origin_device = ?1", &[&me.to_string()]);
    district.execute("DELETE FROM referral_event", &[]);
    let events = |d: &Opened| d.texts("SELECT CAST(count(*) AS TEXT) FROM referral_event WHERE ?1 = ?1", "");
    let knowing =
        SessionRequest { server_own_through: Some(step.origin.seq), ..session_of(block.device, &secret) };
    assert_eq!(district.session(&knowing, 60, t0()).unwrap().own_wanted_after, Some(0), "asked back");

    let give = |d: &mut Opened, given: GivenBack| {
        d.take_back(&block, &GiveBack { protocol: PROTOCOL_VERSION, changes: vec![given] }, t0()).unwrap()
    };
    let mut changed = genuine.clone();
    changed.change.hlc.wall_ms += 60_000;
    assert_eq!(give(&mut district, changed).refused, 1, "a step changed on the way is refused");
    let theirs = GivenBack { origin: first.origin, change: first.change, seal: genuine.seal.clone() };
    assert_eq!(give(&mut district, theirs).refused, 1, "a laptop's change is not the block's to give back");
    assert_eq!(events(&district), vec!["0"]);

    let ack = give(&mut district, genuine.clone());
    assert_eq!((ack.taken, ack.held, ack.refused), (1, 0, 0));
    assert_eq!(events(&district), vec!["1"], "the step is back, applied");
    assert_eq!(district.texts("SELECT stage FROM referral WHERE number = ?1", &number), vec!["submitted"]);
    assert_eq!(give(&mut district, genuine).held, 1, "given twice, held once");
    assert_eq!(district.session(&knowing, 60, t0()).unwrap().own_wanted_after, None, "nothing more to ask");
}

/// Block `block` forwards a laptop's household of `village` with a fact and the referral
/// `R-n` of it: a case the district can take up. Returns its number and the household's change.
fn forwards_a_case(district: &mut Opened, block: &Caller, village: u128, n: u32) -> (String, Change) {
    let (la, h) = (Uuid::now_v7(), HouseholdId(Uuid::now_v7()));
    let mut fw = Forwarded { seq: 0 };
    let case = pension_of(h, n, PersonId(Uuid::now_v7()), "");
    let number = case.number.clone();
    let changes = vec![
        fw.change(la, 1, 0, household(h, village), &[]),
        fw.change(la, 2, 1, fact_of(h, PersonId(h.0)), &[]),
        fw.change(la, 3, 2, ChangeBody::Referral(case), &[]),
    ];
    let first = changes[0].clone();
    let push = PushBatch { after: Some(0), protocol: PROTOCOL_VERSION, pulled_through: 0, changes };
    district.push(block, &push, t0()).unwrap();
    (number, first)
}

/// Blocks read only their villages' steps, so each holds its own share of the district's. The
/// restored district took a step before either block spoke, numbered from the time past the
/// lost ones; one block gave back the lost step it held, and the other's lost steps are one
/// newer and one older than that: the district asks the second everything after what its
/// backup held. Asked after the first block's step, or after its own new one, the older was
/// left with the block for good (found by a review).
fn a_restored_district_asks_each_block_back_everything_after_what_its_backup_held(b: Backend) {
    use samanvaya_domain::referral::Step;
    use samanvaya_sync_protocol::{GiveBack, GivenBack};
    let Some(mut district) = open(b, Role::District) else { return };
    let [(a, a_secret), (b_block, b_secret)] =
        ["Bodh Gaya", "Sherghati"].map(|name| enroll_block(&mut district, name));
    let (a_case, _) = forwards_a_case(&mut district, &a, VILLAGE, 1);
    let (b_case, _) = forwards_a_case(&mut district, &b_block, OTHER_VILLAGE, 2);
    district.step(&a_case, Step::Submit, "DM office", t0()).unwrap();
    district.step(&b_case, Step::Submit, "DM office", t0()).unwrap();
    district.step(&a_case, Step::Process, "DM office", t0() + Duration::minutes(1)).unwrap();
    let me = district.device();
    let own_read = |district: &mut Opened, block: &Caller| -> Vec<_> {
        let read = district.pull(block, 0).unwrap();
        read.changes.into_iter().filter(|c| c.origin.device == me).collect()
    };
    let (at_a, at_b) = (own_read(&mut district, &a), own_read(&mut district, &b_block));
    assert_eq!((at_a.len(), at_b.len()), (2, 1), "each block reads its villages' steps");
    assert!(at_a[0].origin.seq < at_b[0].origin.seq && at_b[0].origin.seq < at_a[1].origin.seq);

    // Restored from a backup taken before the three steps; a step taken before any block spoke.
    district.execute("DELETE FROM change WHERE origin_device = ?1", &[&me.to_string()]);
    district.execute("DELETE FROM referral_event", &[]);
    district.step(&b_case, Step::Note { text: "the bank has the papers".into() }, "DM office", t0()).unwrap();
    let asked = |district: &mut Opened, block: &Caller, secret: &str, newest: i64| {
        let said = SessionRequest { server_own_through: Some(newest), ..session_of(block.device, secret) };
        district.session(&said, 60, t0()).unwrap().own_wanted_after
    };
    assert_eq!(asked(&mut district, &b_block, &b_secret, at_b[0].origin.seq), Some(0));
    let given = GivenBack {
        origin: at_b[0].origin,
        change: at_b[0].change.clone(),
        seal: at_b[0].seal.clone().unwrap(),
    };
    let ack =
        district.take_back(&b_block, &GiveBack { protocol: PROTOCOL_VERSION, changes: vec![given] }, t0());
    assert_eq!(ack.unwrap().taken, 1);
    assert_eq!(asked(&mut district, &a, &a_secret, at_a[1].origin.seq), Some(0), "the older step too");
}

/// Laptops read only their villages' steps, so each holds its own share of the block's. One
/// gave back the lost steps it held; the other's newest step is still missing, and the step it
/// holds below that, lost too, is older than the first laptop's: the block asks it back after
/// what the backup held, not after the newest it holds below, which would leave that step with
/// the laptop for good.
fn a_restored_block_asks_each_laptop_back_everything_after_what_its_backup_held(b: Backend) {
    use samanvaya_domain::referral::Step;
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut writer = enroll(&mut server, "writer's laptop");
    let reader = enroll(&mut server, "reader's laptop");
    writer.opens_r1(&mut server);
    let h = HouseholdId(Uuid::now_v7());
    let second = vec![
        writer.change(household(h, VILLAGE), 3),
        writer.change(ChangeBody::Referral(pension_of(h, 2, PersonId(Uuid::now_v7()), "")), 4),
    ];
    server.push(&writer.caller, &writer.batch(second), t0()).unwrap();
    let me = server.device().to_string();
    let next = "SELECT CAST(next_seq AS TEXT) FROM identity WHERE CAST(id AS TEXT) = ?1";
    let minute = |m: i64| t0() + Duration::minutes(m);
    server.step("R-1", Step::Submit, "Block officer", minute(1)).unwrap();
    let in_backup = server.texts(next, "1");
    let own = |server: &Opened| -> Vec<i64> {
        let sql = "SELECT CAST(origin_seq AS TEXT) FROM change WHERE origin_device = ?1 ORDER BY origin_seq";
        server.texts(sql, &me).iter().map(|n| n.parse().unwrap()).collect()
    };
    server.step("R-2", Step::Submit, "Block officer", minute(2)).unwrap();
    server.step("R-1", Step::Process, "Block officer", minute(3)).unwrap();
    server.step("R-2", Step::Process, "Block officer", minute(4)).unwrap();
    server.step("R-1", Step::Sanction, "Block officer", minute(5)).unwrap();
    let steps = own(&server);
    assert_eq!(steps.len(), 5);
    // Restored from the backup that held the first step.
    server.execute(&format!("UPDATE identity SET next_seq = {} WHERE id = 1", in_backup[0]), &[]);
    server.execute(
        &format!("DELETE FROM change WHERE origin_device = ?1 AND origin_seq > {}", steps[0]),
        &[&me],
    );
    server.restart(Role::Block);
    let newest =
        |through: i64| SessionRequest { server_own_through: Some(through), ..reader.session_knowing(0) };
    // The laptop holding the third and fifth steps is asked back after the first.
    assert_eq!(server.session(&newest(steps[4]), 60, t0()).unwrap().own_wanted_after, Some(steps[0]));
    // It gave them back (stood in for here by putting them back as they were).
    for seq in [steps[2], steps[4]] {
        server.execute(
            &format!(
                "INSERT INTO change (origin_device, origin_seq, via, kind, version, hlc, household_id, change, recorded_at, received_at, outcome)
                 VALUES (?1, {seq}, 'self', 'referral_event', 1, '[0,0,\"x\"]', 'h', '{{}}', '', '', 'applied')"
            ),
            &[&me],
        );
    }
    // The laptop holding the second and fourth: its newest is missing, and so is the second,
    // below the third the first laptop gave back.
    assert_eq!(server.session(&newest(steps[3]), 60, t0()).unwrap().own_wanted_after, Some(steps[0]));
}

/// The block's operator decided a review after the backup the block was later restored from:
/// the restored queue holds it open again, with the name the clock chose in place. The decision
/// comes back as the block's own change, given back by the laptop that read it; the other name
/// is in place again, and the review closes with it, as decided before the restore, so nobody
/// decides it a second time.
fn a_review_decided_after_the_backup_closes_again_when_its_decision_is_given_back(b: Backend) {
    use samanvaya_server::review::Choice;
    use samanvaya_sync_protocol::{GiveBack, GivenBack};
    let Some(mut server) = open(b, Role::Block) else { return };
    let (a, _b, _h, p, _, _) = renamed_unseen(&mut server);
    let review = server.open_reviews().unwrap()[0].id;
    let clocks_in_backup = server.texts("SELECT clocks FROM member WHERE id = ?1", &p.to_string());
    let cursor = server.pull(&a.caller, 0).unwrap().cursor;
    server.decide_review(review, Choice::Other, "BDO office", t0()).unwrap();
    let me = server.device();
    let read = server.pull(&a.caller, cursor).unwrap();
    let decision =
        read.changes.iter().find(|c| c.origin.device == me).expect("the decision, read by A").clone();

    // Restored from the backup: the decision's change is gone, the review open, the name the
    // clock chose in place with its readings.
    server.execute("DELETE FROM change WHERE origin_device = ?1", &[&me.to_string()]);
    server.execute("UPDATE review SET resolved_at = NULL, resolved_by = NULL, chosen = NULL", &[]);
    server.execute(
        "UPDATE member SET name = ?1, clocks = ?2 WHERE id = ?3",
        &["कमला कुमारी", &clocks_in_backup[0], &p.to_string()],
    );
    assert_eq!(server.open_reviews().unwrap().len(), 1);
    let knowing = SessionRequest { server_own_through: Some(decision.origin.seq), ..a.session_knowing(0) };
    assert_eq!(server.session(&knowing, 60, t0()).unwrap().own_wanted_after, Some(0), "asked back");

    let given =
        GivenBack { origin: decision.origin, change: decision.change.clone(), seal: decision.seal.unwrap() };
    let ack = server
        .take_back(&a.caller, &GiveBack { protocol: PROTOCOL_VERSION, changes: vec![given] }, t0())
        .unwrap();
    assert_eq!((ack.taken, ack.refused), (1, 0));
    assert_eq!(name_of(&mut server, p), "कमली देवी", "the other name is in place again");
    assert_eq!(server.open_reviews().unwrap(), vec![], "decided with the decision given back");
    let decided = mentioning(&server.rows(), "before this server's restore");
    assert_eq!(decided.len(), 1, "{decided:?}");
    assert!(
        decided[0].ends_with("| other") || decided[0].contains("\"chosen\":\"other\""),
        "the value the decision put in place: {decided:?}"
    );
}

/// A push sent before the block was restored from a backup and delivered after it (the network
/// replayed it, or it was in flight) starts past what the restored block holds of the laptop's
/// work. Taken, it moved the laptop past the changes in between, which the block then took for
/// held and never got. Nothing of it is kept; the answer says how far the work is held, and the
/// laptop's push from there is taken whole. A laptop that pushes after what the block said it
/// holds and still starts past it (it pruned what the block had held a month) is taken as before.
fn a_push_sent_before_a_restore_and_delivered_after_it_keeps_nothing(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Bakraur laptop");
    let h = HouseholdId(Uuid::now_v7());
    let made: Vec<Change> = (0..4)
        .map(|i| {
            if i == 0 {
                laptop.change(household(h, VILLAGE), 0)
            } else {
                laptop.change(fact_of(h, PersonId(h.0)), i)
            }
        })
        .collect();
    server
        .push(&laptop.caller, &PushBatch { after: Some(0), ..laptop.batch(made[..1].to_vec()) }, t0())
        .unwrap();
    // The block, restored, holds the first change; the laptop had pushed the second and third
    // before, and the push of the fourth, sent then, arrives now.
    let stale = PushBatch { after: Some(3), ..laptop.batch(made[3..].to_vec()) };
    let ack = server.push(&laptop.caller, &stale, t0()).unwrap();
    assert_eq!((ack.acked_through, ack.results.len()), (1, 0), "nothing kept");
    let held = |server: &Opened| {
        server.texts(
            "SELECT CAST(count(*) AS TEXT) FROM change WHERE origin_device = ?1",
            &laptop.caller.device.to_string(),
        )
    };
    assert_eq!(held(&server), vec!["1"]);
    let again =
        server.push(&laptop.caller, &PushBatch { after: Some(1), ..laptop.batch(made[1..].to_vec()) }, t0());
    assert_eq!(again.unwrap().acked_through, 4);
    assert_eq!(held(&server), vec!["4"]);
    // A laptop that knows what is held and starts past it anyway no longer has the gap.
    let mut pruned = enroll(&mut server, "laptop that pruned");
    let g = HouseholdId(Uuid::now_v7());
    let first = pruned.change(household(g, VILLAGE), 0);
    let _gone = pruned.change(fact_of(g, PersonId(g.0)), 1);
    let last = pruned.change(fact_of(g, PersonId(g.0)), 2);
    server.push(&pruned.caller, &PushBatch { after: Some(0), ..pruned.batch(vec![first]) }, t0()).unwrap();
    let past = server.push(&pruned.caller, &PushBatch { after: Some(1), ..pruned.batch(vec![last]) }, t0());
    assert_eq!(past.unwrap().acked_through, 3);
}

/// The same for a block forwarding to its district: a push it sent following on from more than
/// the district holds (sent before the district was restored from a backup, delivered after)
/// keeps nothing, and the answer says how far the district holds the block's work. Taken, it
/// moved the block past the changes in between, which the district had lost and the block then
/// never sent again (found by a review).
fn a_blocks_push_following_on_from_more_than_the_district_holds_keeps_nothing(b: Backend) {
    let Some(mut district) = open(b, Role::District) else { return };
    let (block, _) = enroll_block(&mut district, "Bodh Gaya");
    let (la, h) = (Uuid::now_v7(), HouseholdId(Uuid::now_v7()));
    let mut fw = Forwarded { seq: 0 };
    let first = vec![fw.change(la, 1, 0, household(h, VILLAGE), &[])];
    let push = |after, changes| PushBatch {
        after: Some(after),
        protocol: PROTOCOL_VERSION,
        pulled_through: 0,
        changes,
    };
    assert_eq!(district.push(&block, &push(0, first), t0()).unwrap().acked_through, 1);
    // The block forwarded its changes 2 and 3 to the district since; the district was restored
    // from a backup holding only the first, and the block's push of 4, sent before, comes now.
    let lost = vec![
        fw.change(la, 2, 1, fact_of(h, PersonId(h.0)), &[]),
        fw.change(la, 3, 2, fact_of(h, PersonId(h.0)), &[]),
    ];
    let stale = vec![fw.change(la, 4, 3, fact_of(h, PersonId(h.0)), &[])];
    let ack = district.push(&block, &push(3, stale.clone()), t0()).unwrap();
    assert_eq!((ack.acked_through, ack.results.len()), (1, 0), "nothing kept");
    let held = |district: &Opened| {
        district.texts("SELECT CAST(count(*) AS TEXT) FROM change WHERE origin_device = ?1", &la.to_string())
    };
    assert_eq!(held(&district), vec!["1"]);
    let mut again = lost;
    again.extend(stale);
    assert_eq!(district.push(&block, &push(1, again), t0()).unwrap().acked_through, 4);
    assert_eq!(held(&district), vec!["4"]);
}

/// A village moved from one block to another: the district gives it to the new block, then
/// takes it from the old one (`unassign-village`), whose changes about it are refused from then
/// on while the new block's pass. The last block of a village is kept, and a block that never
/// had the village is told so; nothing changes either time.
fn a_village_taken_from_its_old_block_is_refused_from_it_and_keeps_its_last_block(b: Backend) {
    let Some(mut district) = open(b, Role::District) else { return };
    let [(old, _), (new, _)] =
        ["Bodh Gaya block", "Sherghati block"].map(|name| enroll_block(&mut district, name));
    let village = Uuid::from_u128(VILLAGE);
    let laptop = Uuid::now_v7();
    let seqs = std::cell::RefCell::new([0i64, 0]);
    let forward = |district: &mut Opened, block: usize, caller: &Caller, n: i64, body: ChangeBody| {
        let seq = {
            let mut seqs = seqs.borrow_mut();
            seqs[block] += 1;
            seqs[block]
        };
        let change = Change {
            seq,
            origin: Origin { device: laptop, seq: n },
            recorded_at: t0(),
            change: Typed::new(Hlc { wall_ms: t0().timestamp_millis() + n, counter: 0, node: laptop }, body),
            seen_at_sender: Default::default(),
        };
        let batch =
            PushBatch { after: None, protocol: PROTOCOL_VERSION, pulled_through: 0, changes: vec![change] };
        district.push(caller, &batch, t0())
    };
    let h = HouseholdId(Uuid::now_v7());
    forward(&mut district, 0, &old, 1, household(h, VILLAGE)).unwrap();
    // The last block of the village is kept, and a block without it is told so.
    let before = district.rows();
    let last = district.unassign_village(village, old.device, t0()).unwrap_err().to_string();
    assert!(last.contains("the only block of village") && last.contains("assign-village"), "{last}");
    let never = district.unassign_village(village, new.device, t0()).unwrap_err().to_string();
    assert!(never.contains("does not come through block"), "{never}");
    assert_eq!(district.rows(), before, "nothing changed");
    // Moved: given to the new block, taken from the old.
    district.assign_village(village, new.device, t0()).unwrap();
    assert_eq!(district.unassign_village(village, old.device, t0()).unwrap(), "Bodh Gaya block");
    // The old block's late change about the village is refused alone: the rest of its work, a
    // household of its other village, goes on. Refused whole, as before, it held back all the
    // block forwarded after it, for every village, until the operator undid the move (found by
    // a review).
    let g = HouseholdId(Uuid::now_v7());
    let late = {
        let mut seqs = seqs.borrow_mut();
        seqs[0] += 2;
        seqs[0] - 1
    };
    let other = late + 1;
    let stamp = |n: i64| Hlc { wall_ms: t0().timestamp_millis() + n, counter: 0, node: laptop };
    let changes = vec![
        Change {
            seq: late,
            origin: Origin { device: laptop, seq: 2 },
            recorded_at: t0(),
            change: Typed::new(stamp(2), fact_of(h, PersonId(h.0))),
            seen_at_sender: Default::default(),
        },
        Change {
            seq: other,
            origin: Origin { device: laptop, seq: 3 },
            recorded_at: t0(),
            change: Typed::new(stamp(3), household(g, VILLAGE + 1)),
            seen_at_sender: Default::default(),
        },
    ];
    let batch = PushBatch { after: None, protocol: PROTOCOL_VERSION, pulled_through: 0, changes };
    let ack = district.push(&old, &batch, t0()).unwrap();
    let got = outcomes(&ack);
    assert!(
        matches!(&got[0], Outcome::Rejected { reason } if reason.contains("taken from this block")),
        "the old block's change about the village it lost: {got:?}"
    );
    assert_eq!((&got[1], ack.acked_through), (&Outcome::Applied, other), "and its other village's goes on");
    let ack = forward(&mut district, 1, &new, 4, fact_of(h, PersonId(h.0))).unwrap();
    assert_eq!(outcomes(&ack), vec![Outcome::Applied], "the new block's change passes");
    assert!(
        district.pull(&old, 0).unwrap().changes.iter().all(|c| c.change.body.household_id() != h),
        "the old block reads nothing of it"
    );
    // Given back to the old block, its changes about the village pass again.
    district.assign_village(village, old.device, t0()).unwrap();
    let ack = forward(&mut district, 0, &old, 5, fact_of(h, PersonId(h.0))).unwrap();
    assert_eq!(outcomes(&ack), vec![Outcome::Applied]);
}

/// Two blocks of one district, each with its village: a village is a block's at the district
/// once the block forwards its first household, and the other block's changes about it, a
/// compromised block's say, are refused whole, nothing kept, so that they wait at that block
/// (refused one by one, the block would take the answer as final and the district would miss
/// them for good). One that waited for its household waits on when the household arrives.
/// Once the district's operator gives the village to the second block (it moved), what waited
/// is applied, the second block's changes about it are taken, it is told to read the feed again
/// and reads the village's households, and the first block still forwards the village.
fn a_block_forwards_only_for_its_villages_until_the_district_gives_it_another(b: Backend) {
    let Some(mut district) = open(b, Role::District) else { return };
    let [(bodh_gaya_block, _), (sherghati_caller, sherghati_secret)] =
        ["Bodh Gaya block", "Sherghati block"].map(|name| enroll_block(&mut district, name));
    let mut blocks = [(bodh_gaya_block.clone(), 0), (sherghati_caller.clone(), 0)];
    let (bodh_gaya, sherghati) = (Uuid::now_v7(), Uuid::now_v7());
    let sherghati_block = sherghati_caller.device;
    // What the district's session tells Sherghati's block of reading its feed again.
    let word =
        |district: &mut Opened| block_session(district, &sherghati_caller, &sherghati_secret).read_again;
    // The households whose changes a block reads from the district's feed.
    let read = |district: &mut Opened| -> std::collections::BTreeSet<String> {
        let page = district.pull(&sherghati_caller, 0).unwrap();
        page.changes.iter().map(|c| c.change.body.household_id().to_string()).collect()
    };
    let mut laptop_seq: std::collections::HashMap<Uuid, i64> = Default::default();
    let mut forward = move |district: &mut Opened, block: usize, laptop: Uuid, body: ChangeBody| {
        let (caller, seq) = &mut blocks[block];
        *seq += 1;
        let n = laptop_seq.entry(laptop).or_default();
        *n += 1;
        let change = Change {
            seq: *seq,
            origin: Origin { device: laptop, seq: *n },
            recorded_at: t0(),
            change: Typed::new(Hlc { wall_ms: t0().timestamp_millis() + *n, counter: 0, node: laptop }, body),
            seen_at_sender: Default::default(),
        };
        let batch =
            PushBatch { after: None, protocol: PROTOCOL_VERSION, pulled_through: 0, changes: vec![change] };
        district.push(caller, &batch, t0())
    };
    let (h, g, k) = (HouseholdId(Uuid::now_v7()), HouseholdId(Uuid::now_v7()), HouseholdId(Uuid::now_v7()));
    let applied = |answer: Result<samanvaya_sync_protocol::PushAck, samanvaya_server::ServerError>| {
        outcomes(&answer.unwrap()) == vec![Outcome::Applied]
    };
    assert!(
        applied(forward(&mut district, 0, bodh_gaya, household(h, VILLAGE))),
        "the village is Bodh Gaya's"
    );
    assert!(
        applied(forward(&mut district, 1, sherghati, household(g, OTHER_VILLAGE))),
        "and Sherghati's its own"
    );
    let facts = |district: &Opened, h: HouseholdId| {
        district.texts("SELECT CAST(count(*) AS TEXT) FROM fact WHERE subject_id = ?1", &h.0.to_string())
    };
    let rows = district.rows();

    // Sherghati's block forwards about Bodh Gaya's village: a fact of its household, a new one.
    for body in [fact_of(h, PersonId(h.0)), household(HouseholdId(Uuid::now_v7()), VILLAGE)] {
        let err = forward(&mut district, 1, sherghati, body).unwrap_err();
        let said = err.to_string();
        let foreign =
            matches!(&err, samanvaya_server::ServerError::Refused { code: RefusalCode::VillageForeign, .. });
        assert!(foreign, "{err:?}");
        let village = Uuid::from_u128(VILLAGE);
        assert!(said.contains("through Bodh Gaya block, not through Sherghati block"), "{said}");
        assert!(
            said.contains(&format!("assign-village --village {village} --to {sherghati_block}")),
            "{said}"
        );
        assert_eq!(district.rows(), rows, "nothing of the push is kept");
    }
    // Nor may it bring new changes under the id of Bodh Gaya's laptop, or of Bodh Gaya's block
    // itself, though about a household of its own: the real ones would pass for duplicates.
    for device in [bodh_gaya, bodh_gaya_block.device] {
        let err = forward(&mut district, 1, device, fact_of(g, PersonId(g.0))).unwrap_err();
        let said = err.to_string();
        assert!(
            said.contains(&format!(
                "the changes of device {device} come to this district through Bodh Gaya block"
            )),
            "{said}"
        );
        assert_eq!(district.rows(), rows, "nothing of the push is kept");
    }

    // Nor may it name a record of Bodh Gaya's village through a household of its own: a fact,
    // a rename, a removal, a withdrawal of consent, on both the set-wise and the single path.
    let her = PersonId(Uuid::now_v7());
    assert!(applied(forward(&mut district, 0, bodh_gaya, member(h, her, "सीता"))));
    let rows = district.rows();
    let removed = ChangeBody::MemberRemoved(MemberRemoved {
        id: her,
        household_id: g,
        merged_into: None,
        departure_seen: None,
    });
    for body in [fact_of(g, her), rename(g, her, "हमारी सीता"), removed, withdrawal(g, Some(her))]
    {
        let kind = body.kind();
        let err = forward(&mut district, 1, sherghati, body).unwrap_err();
        let foreign =
            matches!(&err, samanvaya_server::ServerError::Refused { code: RefusalCode::VillageForeign, .. });
        assert!(foreign, "{kind}: {err:?}");
        assert_eq!(district.rows(), rows, "{kind}: nothing of the push is kept");
    }
    // Sherghati's change about a household not known here waits, and waits on when Bodh Gaya's
    // block brings the household, whose push is taken.
    assert!(applied(forward(&mut district, 1, sherghati, fact_of(k, PersonId(k.0)))), "taken, to wait");
    assert!(applied(forward(&mut district, 0, bodh_gaya, household(k, VILLAGE))));
    let judged = district.texts(
        "SELECT outcome FROM change WHERE origin_device = ?1 ORDER BY origin_seq",
        &sherghati.to_string(),
    );
    assert!(judged[1].starts_with("waiting: "), "{judged:?}");
    assert_eq!(facts(&district, k), vec!["0"]);
    assert!(read(&mut district).is_empty(), "nothing of Bodh Gaya's village goes down to Sherghati's block");
    assert_eq!(word(&mut district), None);

    // A change of Sherghati's that waited for a household of its own village, and names a
    // member Bodh Gaya's block brought since, waits on when the household comes: the push
    // bringing it is taken.
    let (own, rita) = (HouseholdId(Uuid::now_v7()), PersonId(Uuid::now_v7()));
    assert!(applied(forward(&mut district, 1, sherghati, fact_of(own, rita))), "taken, to wait");
    assert!(applied(forward(&mut district, 0, bodh_gaya, member(h, rita, "रीता"))));
    assert!(applied(forward(&mut district, 1, sherghati, household(own, OTHER_VILLAGE))));
    let judged = district.texts(
        "SELECT outcome FROM change WHERE origin_device = ?1 ORDER BY origin_seq",
        &sherghati.to_string(),
    );
    assert!(judged[judged.len() - 2].starts_with("waiting: "), "{judged:?}");

    // The village moves: Sherghati's block forwards it from now on, and Bodh Gaya's still may.
    let (name, new) = district.assign_village(Uuid::from_u128(VILLAGE), sherghati_block, t0()).unwrap();
    assert_eq!((name.as_str(), new), ("Sherghati block", true));
    let judged = district.texts(
        "SELECT outcome FROM change WHERE origin_device = ?1 ORDER BY origin_seq",
        &sherghati.to_string(),
    );
    assert_eq!(judged[1], "applied", "what waited is applied once the village is its block's");
    assert_eq!(facts(&district, k), vec!["1"]);
    // Its cursor is past the village's households: the district tells it to read the feed
    // again from the start, at every session, the same word until another village is given.
    let given = word(&mut district).expect("told to read again");
    assert!(!district.assign_village(Uuid::from_u128(VILLAGE), sherghati_block, t0()).unwrap().1);
    assert_eq!(word(&mut district), Some(given.clone()), "given again, nothing new to read");
    district
        .assign_village(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0077), sherghati_block, t0())
        .unwrap();
    assert_ne!(word(&mut district), Some(given), "another village, another word");
    assert!(applied(forward(&mut district, 1, sherghati, fact_of(h, PersonId(h.0)))));
    assert_eq!(facts(&district, h), vec!["1"]);
    assert!(applied(forward(&mut district, 0, bodh_gaya, fact_of(h, PersonId(h.0)))));
    // The laptops that worked in the village come through it too.
    assert!(applied(forward(&mut district, 1, bodh_gaya, fact_of(h, PersonId(h.0)))));
    // And it reads the village's households from the district, from the start.
    let households: std::collections::BTreeSet<String> = [h, k].iter().map(|h| h.0.to_string()).collect();
    assert_eq!(read(&mut district), households);
}

/// A block started without `--name` calls itself "block server", as every other does: the
/// district names it by the label its operator gave the block's code, and a block that names
/// itself keeps its own name.
fn a_block_that_names_itself_not_is_named_by_its_code_at_the_district(b: Backend) {
    let Some(mut district) = open(b, Role::District) else { return };
    for (label, named) in
        [("Bodh Gaya", samanvaya_server::enroll::DEFAULT_BLOCK_NAME), ("Gaya", "Gaya block office")]
    {
        let code = district.new_code(DeviceKind::Block, label, t0()).unwrap();
        let block = Applicant {
            device: Uuid::now_v7(),
            kind: DeviceKind::Block,
            name: named.into(),
            villages: vec![],
        };
        district.enroll(&EnrollRequest::new(&code, &certificate(), block), &certificate(), t0()).unwrap();
    }
    let mut names: Vec<String> = district.devices().unwrap().into_iter().map(|d| d.name).collect();
    names.sort();
    assert_eq!(names, ["Bodh Gaya", "Gaya block office"]);
}

/// A block that has synced is refused a new code (a code does not hand over a device at work),
/// with the code to ask for named; a code made for it (`enroll-code --again`) enrolls it again,
/// and its old secret no longer opens a session; the same code is refused to another device,
/// and is not spent by the refusal, nor used twice. A block revoked after its code was made is
/// refused, and no code is made for a device not enrolled here, nor for a revoked one, nor
/// under another block's name.
fn a_code_made_for_a_block_enrolls_that_block_again_and_no_other(b: Backend) {
    let Some(mut district) = open(b, Role::District) else { return };
    let applicant =
        |device| Applicant { device, kind: DeviceKind::Block, name: "Bodh Gaya".into(), villages: vec![] };
    let enroll = |district: &mut Store, code: &str, device| {
        district.enroll(&EnrollRequest::new(code, &certificate(), applicant(device)), &certificate(), t0())
    };
    let block = Uuid::now_v7();
    let code = district.new_code(DeviceKind::Block, "Bodh Gaya", t0()).unwrap();
    let first = enroll(&mut district, &code, block).unwrap();
    district.session(&session_of(block, &first.secret), 60, t0()).unwrap();

    let code = district.new_code(DeviceKind::Block, "Bodh Gaya", t0()).unwrap();
    let said = enroll(&mut district, &code, block).unwrap_err().to_string();
    assert!(said.contains(&format!("enroll-code --block NAME --again {block}")), "{said}");

    // One block's name typed with another's id makes no code: it would enroll the block the id
    // names, under the other's name.
    let said = district.code_for_device("Sherghati", block, t0()).unwrap_err().to_string();
    assert!(said.contains("known here as \"Bodh Gaya\", not \"Sherghati\""), "{said}");
    let again = district.code_for_device(" bodh gaya ", block, t0()).unwrap();
    let said = enroll(&mut district, &again, Uuid::now_v7()).unwrap_err().to_string();
    assert!(said.contains(&format!("this code enrolls the device {block} again, and no other")), "{said}");
    let second = enroll(&mut district, &again, block).unwrap();
    assert!(district.session(&session_of(block, &second.secret), 60, t0()).is_ok());
    assert!(district.session(&session_of(block, &first.secret), 60, t0()).is_err(), "the old secret is done");
    let said = enroll(&mut district, &again, block).unwrap_err().to_string();
    assert!(said.contains("was used already"), "{said}");
    // Made, then the block revoked: the code does not bring it back.
    let late = district.code_for_device("Bodh Gaya", block, t0()).unwrap();
    district.revoke(block, t0()).unwrap();
    let said = enroll(&mut district, &late, block).unwrap_err().to_string();
    assert!(said.contains("revoked"), "{said}");

    let said = district.code_for_device("Bodh Gaya", Uuid::now_v7(), t0()).unwrap_err().to_string();
    assert!(said.contains("is enrolled here"), "{said}");
    let said = district.code_for_device("Bodh Gaya", block, t0()).unwrap_err().to_string();
    assert!(said.contains("was revoked"), "{said}");
}

/// A laptop whose block lost its certificate enrolls again with a code made for it, under a
/// village it serves only: its old secret no longer opens a session, and it keeps its name and
/// its villages as the block recorded them, whatever it says now. Claiming another village the
/// block knows would have brought that village's households down at its next pull (found by a
/// review).
fn a_code_made_for_a_laptop_enrolls_it_again_with_no_more_than_its_villages(b: Backend) {
    let Some(mut block) = open(b, Role::Block) else { return };
    let laptop = enroll(&mut block, "Rekha's laptop");
    let _other = enroll_elsewhere(&mut block, "Sherghati's laptop");
    block.session(&session_of(laptop.caller.device, &laptop.secret), 60, t0()).unwrap();
    let device = laptop.caller.device;
    let said = block.code_for_device("Sherghati", device, t0()).unwrap_err().to_string();
    assert!(said.contains("serves \"Bakraur\""), "{said}");
    let code = block.code_for_device("बकरौर", device, t0()).unwrap();
    let mut applicant = laptop_of_bakraur(device, "village centre laptop");
    applicant.villages.push(Village {
        id: Uuid::from_u128(OTHER_VILLAGE),
        name_en: "Sherghati".into(),
        name_hi: "शेरघाटी".into(),
        above: vec![],
    });
    let reply =
        block.enroll(&EnrollRequest::new(&code, &certificate(), applicant), &certificate(), t0()).unwrap();
    assert!(block.session(&session_of(device, &reply.secret), 60, t0()).is_ok());
    assert!(block.session(&session_of(device, &laptop.secret), 60, t0()).is_err(), "the old secret is done");
    let villages = block.texts(
        "SELECT name_en FROM device_village WHERE device_id = ?1 ORDER BY name_en",
        &device.to_string(),
    );
    assert_eq!(villages, ["Bakraur"], "no village it was not given");
    assert_eq!(block.texts("SELECT name FROM device WHERE id = ?1", &device.to_string()), ["Rekha's laptop"]);
}

/// A code whose answer never reached its device (lost on the way, or the device could not keep
/// it) is answered again to that device until it shows its secret: with the secret the device
/// chose, the same answer, with the first answer's leases (no range wasted); with another
/// secret, the new one, the first no longer opening a session. Another device is refused it,
/// and so is the same device once it has opened a session, or brought a sync file (a laptop
/// that never meets the network), or enrolled with a later code, or been revoked, or once the
/// code's days are past. A code made for a laptop at work (enrolling again) is answered again
/// the same way, its villages kept, and no longer once the laptop has synced under it. A secret
/// shorter than one drawn is refused, and the code is not spent.
fn a_code_whose_answer_was_lost_is_answered_again_to_its_device_until_it_has_synced(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let device = Uuid::now_v7();
    let asked = |code: &str, secret: &str| {
        let mut req = EnrollRequest::new(code, &certificate(), laptop_of_bakraur(device, "Bakraur laptop"));
        req.secret = Some(secret.to_owned());
        req
    };
    let (chosen, drawn_again, renewed) = ("ab".repeat(32), "cd".repeat(32), "ef".repeat(32));
    let code = server.new_code(DeviceKind::Laptop, "Bakraur", t0()).unwrap();
    let said = server.enroll(&asked(&code, "abc123"), &certificate(), t0()).unwrap_err().to_string();
    assert!(said.contains("64 hexadecimal digits"), "{said}");
    let first = server.enroll(&asked(&code, &chosen), &certificate(), t0()).unwrap();
    assert_eq!(first.secret, chosen);
    let again = server.enroll(&asked(&code, &chosen), &certificate(), t0() + Duration::minutes(5)).unwrap();
    assert_eq!(again, first, "the same answer");
    let other =
        EnrollRequest::new(&code, &certificate(), laptop_of_bakraur(Uuid::now_v7(), "another laptop"));
    let said = server.enroll(&other, &certificate(), t0()).unwrap_err().to_string();
    assert!(said.contains("used already"), "{said}");
    let third = server.enroll(&asked(&code, &drawn_again), &certificate(), t0()).unwrap();
    assert_eq!(third.leases, first.leases, "the leases it never received");
    assert!(server.session(&session_of(device, &chosen), 60, t0()).is_err(), "the first secret is done");
    server.session(&session_of(device, &drawn_again), 60, t0()).unwrap();
    let said = server.enroll(&asked(&code, &drawn_again), &certificate(), t0()).unwrap_err().to_string();
    assert!(said.contains("used already"), "once it has opened a session: {said}");

    let older = code;
    let code = server.code_for_device("Bakraur", device, t0()).unwrap();
    let later = t0() + Duration::hours(1);
    let renewal = server.enroll(&asked(&code, &renewed), &certificate(), later).unwrap();
    let lost_again = server.enroll(&asked(&code, &renewed), &certificate(), later).unwrap();
    assert_eq!(lost_again, renewal);
    assert_ne!(renewal.leases, first.leases, "enrolled again, the laptop takes new leases once");
    // Before its first session under the renewal, the older code it used is not answered again.
    let said = server.enroll(&asked(&older, &drawn_again), &certificate(), later).unwrap_err().to_string();
    assert!(said.contains("used already"), "an older code of the device: {said}");
    server.session(&session_of(device, &renewed), 60, later).unwrap();
    let said = server.enroll(&asked(&code, &renewed), &certificate(), t0()).unwrap_err().to_string();
    assert!(said.contains("used already"), "synced under the new secret: {said}");
    let leases =
        server.texts("SELECT kind FROM lease WHERE device_id = ?1 ORDER BY kind", &device.to_string());
    assert_eq!(leases, ["household", "household", "referral", "referral"], "no range wasted");
    assert_eq!(server.devices().unwrap().len(), 1);

    // A laptop that only ever brings its work on a stick shows its secret by its file.
    let stick = Uuid::now_v7();
    let code = server.new_code(DeviceKind::Laptop, "Bakraur", t0()).unwrap();
    let mut req = EnrollRequest::new(&code, &certificate(), laptop_of_bakraur(stick, "stick laptop"));
    req.secret = Some(chosen.clone());
    server.enroll(&req, &certificate(), t0()).unwrap();
    let laptop = Laptop {
        caller: Caller { device: stick, kind: DeviceKind::Laptop },
        secret: chosen,
        seq: 0,
        pulled_through: 0,
    };
    server.import(&laptop.seal(&laptop.parcel()), t0()).unwrap();
    let said = server.enroll(&req, &certificate(), t0()).unwrap_err().to_string();
    assert!(said.contains("used already"), "its file showed the secret: {said}");

    // Revoked, or past the code's days: never answered again.
    let (late, revoked) = (Uuid::now_v7(), Uuid::now_v7());
    for (device, then) in [(late, t0() + Duration::days(8)), (revoked, t0())] {
        let code = server.new_code(DeviceKind::Laptop, "Bakraur", t0()).unwrap();
        let req = EnrollRequest::new(&code, &certificate(), laptop_of_bakraur(device, "lost laptop"));
        server.enroll(&req, &certificate(), t0()).unwrap();
        if device == revoked {
            server.revoke(device, t0()).unwrap();
        }
        let said = server.enroll(&req, &certificate(), then).unwrap_err().to_string();
        let why = if device == revoked { "revoked" } else { "expired" };
        assert!(said.contains(why), "{said}");
    }
}

/// A block says the certificates it presented at each session with its district; the district's
/// operator vouches for the one it said last, typed from the block's start line, and for no
/// other; the statement, signed with the key of the district's rules, goes down with the block's
/// next session, and the block keeps those about itself signed with the key it trusts.
fn a_district_vouches_only_for_the_certificate_its_block_said_last_and_sends_it_down(b: Backend) {
    use samanvaya_sync_protocol::{bundle, vouch};
    let Some(mut district) = open(b, Role::District) else { return };
    let (block, secret) = enroll_block(&mut district, "Bodh Gaya block");
    let key = bundle::new_signing_key().unwrap();
    let (old, new, other) = ("a".repeat(64), "b".repeat(64), "c".repeat(64));
    let refused = |district: &mut Store, device: Uuid, fp: &str| {
        district.vouch_certificate(device, fp, &key, t0()).unwrap_err().to_string()
    };
    assert!(refused(&mut district, block.device, &new).contains("has not said which certificate"));
    let said =
        |certificates: Vec<String>| SessionRequest { certificates, ..session_of(block.device, &secret) };
    district.session(&said(vec![old.clone()]), 60, t0()).unwrap();
    assert!(refused(&mut district, block.device, &old).contains("no other certificate"));
    let reply = district.session(&said(vec![old.clone(), new.clone()]), 60, t0()).unwrap();
    assert_eq!(reply.vouched, Vec::<String>::new());
    let mistyped = refused(&mut district, block.device, &other);
    assert!(mistyped.contains(&format!("presents certificate {new}, not {other}")), "{mistyped}");
    assert!(refused(&mut district, Uuid::now_v7(), &new).contains("is enrolled here"));

    // A block restored from a backup says fewer: none it said before is forgotten.
    district.session(&said(vec![new.clone()]), 60, t0()).unwrap();
    let vouched = district.vouch_certificate(block.device, &new, &key, t0()).unwrap();
    assert_eq!(vouched.replaces, vec![old.clone()]);
    assert!(!vouched.trusted_by_laptops, "no rules were published with the key");
    let read = vouch::open(&vouched.statement, Some(&bundle::public_key(&key).unwrap())).unwrap().vouch;
    assert_eq!(
        (read.block, read.by, read.replaces),
        (vouch::block_digest(block.device), new.clone(), vec![old.clone()])
    );
    let reply = block_session(&mut district, &block, &secret);
    assert_eq!(reply.vouched, vec![vouched.statement.clone()]);

    // The block started again with its old certificate (a `tls` folder put back): a certificate a
    // statement replaced is never vouched for again. A third one replaces all named before.
    district.session(&said(vec![new.clone(), old.clone()]), 60, t0()).unwrap();
    assert!(refused(&mut district, block.device, &old).contains("is never vouched for again"));
    district.session(&said(vec![other.clone()]), 60, t0()).unwrap();
    let later = t0() + Duration::days(1);
    // Only with the key the district's rules were signed with, which its laptops trust.
    let rules_key = bundle::new_signing_key().unwrap();
    district.keep_catalogue(&signed_rules(&rules_key), t0()).unwrap();
    let other_key = district.vouch_certificate(block.device, &other, &key, later).unwrap_err().to_string();
    assert!(other_key.contains("not the one this district's scheme rules were signed with"), "{other_key}");
    let third = district.vouch_certificate(block.device, &other, &rules_key, later).unwrap();
    assert_eq!(third.replaces, vec![new.clone(), old.clone()]);
    assert!(third.trusted_by_laptops);
    assert_eq!(
        block_session(&mut district, &block, &secret).vouched,
        vec![vouched.statement.clone(), third.statement]
    );
    district.revoke(block.device, later).unwrap();
    assert!(refused(&mut district, block.device, &other).contains("was revoked"));

    // The block: notes the certificates it presents by its starts, the latest last, a
    // certificate presented again moving to the end; keeps the statement about itself, not one
    // about another block nor one signed with another key than that of the rules it trusts, and
    // serves what it keeps.
    let Some(mut at_block) = open(b, Role::Block) else { return };
    at_block.certificate_in_use(&old, None).unwrap();
    assert_eq!(at_block.certificate_awaiting_vouch().unwrap(), None, "its first certificate");
    for presented in [&new, &old] {
        at_block.certificate_in_use(presented, None).unwrap();
    }
    assert_eq!(at_block.own_certificates().unwrap(), vec![new.clone(), old.clone()]);
    assert!(
        at_block
            .vouch_certificate(block.device, &new, &key, t0())
            .unwrap_err()
            .to_string()
            .contains("only a district")
    );
    let me = at_block.device();
    let about = |device: Uuid, key: &[u8]| {
        let v = vouch::Vouch {
            block: vouch::block_digest(device),
            by: new.clone(),
            replaces: vec![other.clone()],
            made_at: t0(),
        };
        vouch::seal(&v, key).unwrap()
    };
    at_block.keep_catalogue(&signed_rules(&key), t0()).unwrap();
    let own = about(me, &key);
    let kept = at_block
        .keep_vouched(&[
            about(Uuid::now_v7(), &key),
            about(me, &bundle::new_signing_key().unwrap()),
            own.clone(),
        ])
        .unwrap();
    assert_eq!(kept, 1);
    assert_eq!(at_block.keep_vouched(std::slice::from_ref(&own)).unwrap(), 0, "kept once");
    assert_eq!(at_block.vouched_for_self().unwrap(), vec![own]);
    let laptop = enroll(&mut at_block, "Bakraur laptop");
    let to_laptop = at_block.session(&session_of(laptop.caller.device, &laptop.secret), 60, t0()).unwrap();
    assert!(
        to_laptop.vouched.is_empty(),
        "a laptop is sent no statement: it reads them only where it has no session"
    );

    // What the block's operator is told at each start and in `status`, by what would move the
    // laptops pinned to an earlier certificate: codes while the block has no district, then the
    // district's word; a new folder for a certificate a statement replaced; nothing once a
    // statement vouches for it, nor after a switch made as planned (announced, or the folder
    // keeping the one before as `use-new-certificate` leaves it, noted at a later start too).
    let awaiting = |at_block: &mut Opened| at_block.certificate_awaiting_vouch().unwrap();
    assert_eq!(awaiting(&mut at_block), Some(Awaiting::Codes(old.clone())), "no district");
    at_block.execute(
        &format!(
            "INSERT INTO upstream (id, url, server_id, secret) VALUES (1, 'https://district.invalid', '{}', 'secret')",
            Uuid::now_v7()
        ),
        &[],
    );
    assert_eq!(awaiting(&mut at_block), Some(Awaiting::Vouch(old.clone())));
    at_block.certificate_in_use(&other, None).unwrap();
    assert_eq!(awaiting(&mut at_block), Some(Awaiting::Replaced(other.clone())));
    at_block.certificate_in_use(&new, None).unwrap();
    assert_eq!(awaiting(&mut at_block), None, "the statement kept names it");
    let (fourth, fifth, sixth) = ("d".repeat(64), "e".repeat(64), "f".repeat(64));
    at_block.announce_certificate(Some(&fourth)).unwrap();
    at_block.certificate_in_use(&fourth, None).unwrap();
    assert_eq!(awaiting(&mut at_block), None, "switched to as announced");
    at_block.certificate_in_use(&fifth, Some(&fourth)).unwrap();
    assert_eq!(awaiting(&mut at_block), None, "switched to with the one before kept beside it");
    at_block.certificate_in_use(&fourth, None).unwrap();
    assert_eq!(awaiting(&mut at_block), Some(Awaiting::Vouch(fourth.clone())), "put back by hand");
    at_block.certificate_in_use(&sixth, None).unwrap();
    assert_eq!(awaiting(&mut at_block), Some(Awaiting::Vouch(sixth.clone())));
    at_block.certificate_in_use(&sixth, Some(&fourth)).unwrap();
    assert_eq!(awaiting(&mut at_block), None, "the folder shows at the next start it was planned");
}

/// The scheme rules built into the app, as a district publishes them signed with `key`.
fn signed_rules(key: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let mut publisher = Store::sqlite(dir.path(), Role::District, t0()).unwrap();
    let rules = dir.path().join("rules");
    rules_folder(&rules);
    publisher.publish_catalogue(&rules, "Gaya rules", key, t0()).unwrap().1
}

/// The app's own scheme and group files, written under `folder` as a district keeps its rules.
fn rules_folder(folder: &std::path::Path) {
    for (path, text) in samanvaya_schema::SCHEME_FILES.iter().chain(samanvaya_schema::GROUP_FILES) {
        let out = folder.join(path.strip_prefix("schema/").unwrap());
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        std::fs::write(out, text).unwrap();
    }
}

/// When every laptop of a village must enroll again (the block's key stolen and replaced), the
/// block lists each laptop of the village enrolled here, named in English or Hindi, to make a
/// code for each: not a revoked one, nor another village's. Each code enrolls its own laptop
/// again and no other, and replaces the codes made for that laptop before (a sheet made twice,
/// or photographed, hands over no laptop by its older lines).
fn every_laptop_of_a_village_gets_a_code_of_its_own_to_enroll_again(b: Backend) {
    let Some(mut block) = open(b, Role::Block) else { return };
    let rekha = enroll(&mut block, "Rekha's laptop");
    let sita = enroll(&mut block, "Sita's laptop");
    let gone = enroll(&mut block, "the stolen laptop");
    let _elsewhere = enroll_elsewhere(&mut block, "Sherghati's laptop");
    for laptop in [&rekha, &sita] {
        block.session(&session_of(laptop.caller.device, &laptop.secret), 60, t0()).unwrap();
    }
    block.revoke(gone.caller.device, t0()).unwrap();
    let listed = block.laptops_of_village(" बकरौर ").unwrap();
    let named: Vec<(Uuid, &str)> = listed.iter().map(|(d, n, _)| (*d, n.as_str())).collect();
    assert_eq!(named, [(rekha.caller.device, "Rekha's laptop"), (sita.caller.device, "Sita's laptop")]);
    assert_eq!(block.laptops_of_village("BAKRAUR").unwrap(), listed, "by its English name too");
    assert!(block.laptops_of_village("Mocharim").unwrap().is_empty());
    let mut code_of = |(device, _, village): &(Uuid, String, String)| {
        block.code_for_device(village, *device, t0()).unwrap()
    };
    let first_sheet = code_of(&listed[1]);
    let (rekha_code, sita_code) = (code_of(&listed[0]), code_of(&listed[1]));
    let asked = |code: &str, device| EnrollRequest::new(code, &certificate(), laptop_of_bakraur(device, "x"));
    let said =
        block.enroll(&asked(&first_sheet, sita.caller.device), &certificate(), t0()).unwrap_err().to_string();
    assert!(said.contains("replaced by a later one"), "{said}");
    let said =
        block.enroll(&asked(&rekha_code, sita.caller.device), &certificate(), t0()).unwrap_err().to_string();
    assert!(said.contains("and no other"), "{said}");
    let again = block.enroll(&asked(&sita_code, sita.caller.device), &certificate(), t0()).unwrap();
    assert!(block.session(&session_of(sita.caller.device, &again.secret), 60, t0()).is_ok());
    assert!(block.session(&session_of(sita.caller.device, &sita.secret), 60, t0()).is_err());
}

/// A block sends the code in its start command at every start until it is enrolled: the seed
/// of the secret it sends is the same for that code (a late copy of an earlier start's request
/// gives the district the secret sent again), another for another code, and no other block's.
fn a_block_enrolls_with_one_secret_for_its_code_at_every_start(b: Backend) {
    let Some(mut block) = open(b, Role::Block) else { return };
    let Some(mut other) = open(b, Role::Block) else { return };
    let seed = block.enrollment_seed("K7PM-3XQ9-TA4D").unwrap();
    assert_eq!(block.enrollment_seed("k7pm 3xq9 ta4d").unwrap(), seed, "the code as typed");
    assert_ne!(block.enrollment_seed("K7PM-3XQ9-TA4E").unwrap(), seed);
    assert_ne!(other.enrollment_seed("K7PM-3XQ9-TA4D").unwrap(), seed);
    assert!(seed.len() == 64 && seed.bytes().all(|c| c.is_ascii_hexdigit()));
}

fn the_same_change_forwarded_by_two_blocks_is_stored_once_at_the_district(b: Backend) {
    let Some(mut district) = open(b, Role::District) else { return };
    let mut blocks = Vec::new();
    for name in ["Bodh Gaya", "Bodh Gaya after re-assignment"] {
        let code = district.new_code(DeviceKind::Block, name, t0()).unwrap();
        let device = Uuid::now_v7();
        let block = Applicant { device, kind: DeviceKind::Block, name: name.into(), villages: vec![] };
        district.enroll(&EnrollRequest::new(&code, &certificate(), block), &certificate(), t0()).unwrap();
        blocks.push(Caller { device, kind: DeviceKind::Block });
    }
    let laptop = Uuid::now_v7();
    let h = HouseholdId(Uuid::now_v7());
    let made = Change {
        seq: 0,
        origin: Origin { device: laptop, seq: 1 },
        recorded_at: t0(),
        change: Typed::new(
            Hlc { wall_ms: t0().timestamp_millis(), counter: 0, node: laptop },
            household(h, VILLAGE),
        ),
        seen_at_sender: Default::default(),
    };
    // Each block numbers what it forwards in its own order.
    let first = district
        .push(
            &blocks[0],
            &PushBatch {
                after: None,
                protocol: PROTOCOL_VERSION,
                pulled_through: 0,
                changes: vec![Change { seq: 17, ..made.clone() }],
            },
            t0(),
        )
        .unwrap();
    let second = district
        .push(
            &blocks[1],
            &PushBatch {
                after: None,
                protocol: PROTOCOL_VERSION,
                pulled_through: 0,
                changes: vec![Change { seq: 4, ..made }],
            },
            t0(),
        )
        .unwrap();
    assert_eq!(outcomes(&first), vec![Outcome::Applied]);
    assert_eq!(outcomes(&second), vec![Outcome::Duplicate]);
    assert_eq!((first.acked_through, second.acked_through), (17, 4));
    assert_eq!(district.changes_stored().unwrap(), 1);
}

/// Someone between the laptop and the block presents their own certificate: the laptop binds
/// its code to that certificate, and the request they relay to the block is refused. The code
/// was not used up, so the laptop can enroll once the link is safe.
fn an_enrollment_bound_to_another_certificate_is_refused_and_leaves_the_code_usable(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let code = server.new_code(DeviceKind::Laptop, "Bakraur", t0()).unwrap();
    let device = Uuid::now_v7();
    let intercepted =
        EnrollRequest::new(&code, &"e9".repeat(32), laptop_of_bakraur(device, "Bakraur laptop"));
    let err = server.enroll(&intercepted, &certificate(), t0()).unwrap_err();
    assert_eq!(err.refusal().code, RefusalCode::Certificate);
    assert!(err.refusal().message.contains("intercepting"), "{}", err.refusal().message);
    assert!(server.devices().unwrap().is_empty(), "nothing was enrolled");
    let safe = EnrollRequest::new(&code, &certificate(), laptop_of_bakraur(device, "Bakraur laptop"));
    server.enroll(&safe, &certificate(), t0()).expect("the code still enrolls over the real certificate");
}

/// A code read aloud is typed in any case, with or without its dashes; it enrolls one device,
/// a mistyped or used one is refused, and so is one past its seven days.
fn an_enrollment_code_enrolls_one_device_as_typed_and_never_a_wrong_or_late_one(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let code = server.new_code(DeviceKind::Laptop, "Bakraur", t0()).unwrap();
    let typed = code.to_lowercase().replace('-', " ");
    let first = EnrollRequest::new(&typed, &certificate(), laptop_of_bakraur(Uuid::now_v7(), "first"));
    server.enroll(&first, &certificate(), t0()).expect("the code as typed enrolls");
    let second = EnrollRequest::new(&code, &certificate(), laptop_of_bakraur(Uuid::now_v7(), "second"));
    let used = server.enroll(&second, &certificate(), t0()).unwrap_err();
    assert!(used.refusal().message.contains("used already"), "{}", used.refusal().message);
    let mut wrong = code.clone();
    wrong.replace_range(0..1, if code.starts_with('A') { "B" } else { "A" });
    let mistyped = EnrollRequest::new(&wrong, &certificate(), laptop_of_bakraur(Uuid::now_v7(), "third"));
    let unknown = server.enroll(&mistyped, &certificate(), t0()).unwrap_err();
    assert!(unknown.refusal().message.contains("letter by letter"), "{}", unknown.refusal().message);
    let late_code = server.new_code(DeviceKind::Laptop, "Bakraur", t0()).unwrap();
    let late = EnrollRequest::new(&late_code, &certificate(), laptop_of_bakraur(Uuid::now_v7(), "late"));
    let expired = server.enroll(&late, &certificate(), t0() + Duration::days(8)).unwrap_err();
    assert!(expired.refusal().message.contains("expired"), "{}", expired.refusal().message);
    assert_eq!(server.devices().unwrap().len(), 1);
}

/// A code for one village enrolls a laptop for that village only, as the block knows it: not
/// for another village's id under the code's name, nor for a village the block has not given it
/// (whose name it would take for good), nor as a device that already syncs here (whose villages
/// and numbering the holder of any code would take over, its id being in every change it made).
/// A device whose first enrollment's answer was lost enrolls again with a new code. (Found by a
/// security review: each was taken before.)
fn an_enrollment_gives_a_laptop_only_the_codes_village_and_never_a_working_device(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut working = enroll(&mut server, "Bakraur laptop");
    enroll_elsewhere(&mut server, "Sherghati laptop");
    let refusal = |server: &mut Store, applicant: Applicant| {
        let code = server.new_code(DeviceKind::Laptop, "Bakraur", t0()).unwrap();
        let req = EnrollRequest::new(&code, &certificate(), applicant);
        server.enroll(&req, &certificate(), t0()).unwrap_err().refusal().message
    };
    // Sherghati's id under the name Bakraur.
    let mut applicant = laptop_of_bakraur(Uuid::now_v7(), "stranger");
    applicant.villages[0].id = Uuid::from_u128(OTHER_VILLAGE);
    let said = refusal(&mut server, applicant);
    assert!(said.contains("not the one this block knows"), "{said}");
    // Bakraur, and a village the block has not given it.
    let mut applicant = laptop_of_bakraur(Uuid::now_v7(), "greedy");
    applicant.villages.push(Village {
        id: Uuid::now_v7(),
        name_en: "Dobhi".into(),
        name_hi: "डोभी".into(),
        above: vec![],
    });
    let said = refusal(&mut server, applicant);
    assert!(said.contains("Dobhi, which this block has not given it"), "{said}");
    // A device that syncs here, enrolled again with another code.
    let h = HouseholdId(Uuid::now_v7());
    let sent = vec![working.change(household(h, VILLAGE), 0)];
    server.push(&working.caller, &working.batch(sent), t0()).unwrap();
    let said = refusal(&mut server, laptop_of_bakraur(working.caller.device, "taken over"));
    assert!(said.contains("enrolled here already and has synced"), "{said}");
    assert!(server.session(&working.session_knowing(1), 60, t0()).is_ok(), "the device keeps working");
    // A device enrolled whose answer was lost, before it did anything: a new code enrolls it.
    let lost = Uuid::now_v7();
    let first = server.new_code(DeviceKind::Laptop, "Bakraur", t0()).unwrap();
    server
        .enroll(
            &EnrollRequest::new(&first, &certificate(), laptop_of_bakraur(lost, "lost")),
            &certificate(),
            t0(),
        )
        .unwrap();
    let again = server.new_code(DeviceKind::Laptop, "Bakraur", t0()).unwrap();
    let req = EnrollRequest::new(&again, &certificate(), laptop_of_bakraur(lost, "lost"));
    assert!(server.enroll(&req, &certificate(), t0()).is_ok(), "enrolled again");
}

fn a_store_made_for_one_role_refuses_to_open_as_the_other(b: Backend) {
    let Some(block) = open(b, Role::Block) else { return };
    let Opened { store, _dir: dir, _postgres: postgres } = block;
    drop(store);
    let again = match (&postgres, b) {
        (Some(scratch), Backend::Postgres) => Store::postgres(&scratch.url, Role::District, t0()),
        _ => Store::sqlite(dir.path(), Role::District, t0()),
    };
    let message = again.err().expect("a block's store does not open as a district's").to_string();
    assert!(message.contains("holds a block server's data"), "{message}");
    let reopened = match (&postgres, b) {
        (Some(scratch), Backend::Postgres) => Store::postgres(&scratch.url, Role::Block, t0()),
        _ => Store::sqlite(dir.path(), Role::Block, t0()),
    };
    assert_eq!(reopened.unwrap().role(), Role::Block, "and it opens again as what it is");
}

/// A laptop's audit log of `n` entries, chained as the laptop chains it.
fn audit_log(n: i64) -> Vec<samanvaya_sync_protocol::AuditEntry> {
    chained(0, &[], n, "2026-12-01T05:00", "household")
}

/// `n` entries chained on from entry `prev_seq` whose hash is `prev`, written at minute `minute`
/// (each entry's second its number), each detail `what` and its number.
fn chained(
    prev_seq: i64,
    prev: &[u8],
    n: i64,
    minute: &str,
    what: &str,
) -> Vec<samanvaya_sync_protocol::AuditEntry> {
    let mut prev = prev.to_vec();
    (prev_seq + 1..=prev_seq + n)
        .map(|seq| {
            let (at, who, action, detail) =
                (format!("{minute}:{seq:02}+00:00"), "Asha", "change:household", format!("{what} {seq}"));
            let hash = samanvaya_domain::audit::link(&prev, seq, &at, who, action, &detail);
            prev.clone_from(&hash);
            samanvaya_sync_protocol::AuditEntry {
                seq,
                at,
                who: who.into(),
                action: action.into(),
                detail,
                hash,
            }
        })
        .collect()
}

fn a_laptops_audit_log_is_kept_link_by_link_and_an_edited_one_is_refused_whole(b: Backend) {
    use samanvaya_sync_protocol::AuditBatch;
    let Some(mut server) = open(b, Role::Block) else { return };
    let laptop = enroll(&mut server, "Bakraur laptop");
    let log = audit_log(8);
    let batch = |entries: &[samanvaya_sync_protocol::AuditEntry]| AuditBatch {
        protocol: PROTOCOL_VERSION,
        device: None,
        entries: entries.to_vec(),
        branch: None,
    };
    assert_eq!(server.push_audit(&laptop.caller, &batch(&log[..5]), t0()).unwrap().through, 5);
    // Sent again after a lost answer, with the next entries: the held ones are skipped.
    assert_eq!(server.push_audit(&laptop.caller, &batch(&log[3..6]), t0()).unwrap().through, 6);
    // An entry edited on the laptop after it was written: the batch is refused whole.
    let mut edited = log[6..].to_vec();
    edited[1].detail = "household 99".into();
    let refused = server.push_audit(&laptop.caller, &batch(&edited), t0()).unwrap_err();
    assert_eq!(refused.refusal().code, RefusalCode::AuditBroken);
    assert!(refused.refusal().message.contains("entry 8"), "{}", refused.refusal().message);
    // A gap (entry 7 missing) is refused too, and nothing of either batch was kept.
    let gap = server.push_audit(&laptop.caller, &batch(&log[7..]), t0()).unwrap_err();
    assert_eq!(gap.refusal().code, RefusalCode::AuditBroken);
    assert_eq!(server.audit_log(laptop.caller.device).unwrap(), log[..6].to_vec());
    let session = SessionRequest { acked_here: None, ..laptop.session_knowing(0) };
    assert_eq!(
        server.session(&session, 60, t0()).unwrap().audit_through,
        6,
        "a session says where to resume"
    );
    // As a sync sends them, without the hashes but the last: an edit shows only at the last
    // hash, so the refusal names the entries since the last hash that matched.
    let mut edited = log[6..].to_vec();
    edited[0].detail = "household 99".into();
    let refused = server.push_audit(&laptop.caller, &AuditBatch::of(None, edited), t0()).unwrap_err();
    assert_eq!(refused.refusal().code, RefusalCode::AuditBroken);
    assert!(refused.refusal().message.contains("between entries 7 and 8"), "{}", refused.refusal().message);
    // A batch whose last entry carries no hash vouches for nothing: refused.
    let mut unvouched = AuditBatch::of(None, log[6..].to_vec());
    unvouched.entries[1].hash.clear();
    let refused = server.push_audit(&laptop.caller, &unvouched, t0()).unwrap_err();
    assert_eq!(refused.refusal().code, RefusalCode::AuditBroken);
    let thinned = AuditBatch::of(None, log[6..].to_vec());
    assert!(thinned.entries[0].hash.is_empty() && !thinned.entries[1].hash.is_empty());
    assert_eq!(server.push_audit(&laptop.caller, &thinned, t0()).unwrap().through, 8);
    assert_eq!(server.audit_log(laptop.caller.device).unwrap(), log, "each hash computed and kept");
    let logs = server.audit_logs().unwrap();
    assert_eq!(logs.iter().find(|l| l.device == laptop.caller.device).unwrap().entries, 8);
}

/// A sync file's audit entries that start past what the block holds: entries a restored block
/// lost where they start right after the laptop's word of what it held (nothing kept, said as
/// such), a log changed on the laptop where they start further on than that word.
fn a_sticks_audit_entries_past_what_a_restored_block_lost_are_not_kept_and_an_edited_log_is_refused(
    b: Backend,
) {
    use samanvaya_server::import::AuditShort;
    use samanvaya_sync_protocol::AuditBatch;
    let Some(mut server) = open(b, Role::Block) else { return };
    let laptop = enroll(&mut server, "Bakraur laptop");
    let log = audit_log(8);
    // The block holds the log through entry 3; its answer before a restore had said 5.
    server.push_audit(&laptop.caller, &AuditBatch::of(None, log[..3].to_vec()), t0()).unwrap();
    let file = |after: i64| {
        let audit = AuditBatch::of(None, log[5..].to_vec()).entries;
        laptop.seal(&Parcel { audit, audit_after: Some(after), ..laptop.parcel() })
    };
    let lost = server.import(&file(5), t0()).unwrap();
    assert_eq!(lost.audit_short, Some(AuditShort { held: 3, first: 6 }));
    assert_eq!((lost.audit_through, lost.audit_refused), (None, None));
    // Entries 4 and 5 taken out of the laptop's log: its word is 3, its file starts at 6.
    let edited = server.import(&file(3), t0()).unwrap();
    assert_eq!(edited.audit_short, None);
    let refused = edited.audit_refused.unwrap_or_default();
    assert!(refused.contains("changed after it was written"), "{refused}");
    assert_eq!(server.audit_log(laptop.caller.device).unwrap(), log[..3].to_vec(), "nothing of either kept");
}

/// A block enrolled with `district`: the caller its sessions give, and its secret.
fn enroll_block(district: &mut Store, name: &str) -> (Caller, String) {
    let code = district.new_code(DeviceKind::Block, name, t0()).unwrap();
    let device = Uuid::now_v7();
    let block = Applicant { device, kind: DeviceKind::Block, name: name.into(), villages: vec![] };
    let reply =
        district.enroll(&EnrollRequest::new(&code, &certificate(), block), &certificate(), t0()).unwrap();
    (Caller { device, kind: DeviceKind::Block }, reply.secret)
}

/// A session request of device `device` with its `secret` that says nothing more: no numbers
/// held, no readings, no restores.
fn session_of(device: Uuid, secret: &str) -> SessionRequest {
    SessionRequest {
        protocol: PROTOCOL_VERSION,
        device,
        secret: secret.to_owned(),
        numbers_left: vec![],
        leases_through: vec![],
        next_certificate: None,
        recovery_code: None,
        acked_here: None,
        server_own_through: None,
        feed_epoch_read: None,
        restores: vec![],
        run_end: None,
        certificates: vec![],
    }
}

/// The answer to a session of `block` at its district.
fn block_session(
    district: &mut Store,
    block: &Caller,
    secret: &str,
) -> samanvaya_sync_protocol::SessionReply {
    district.session(&session_of(block.device, secret), 60, t0()).unwrap()
}

/// A laptop's first change, a household of `village`, as `block` forwards it to its district.
fn forward_a_change_of(district: &mut Store, block: &Caller, laptop: Uuid, village: u128) {
    let made = Change {
        seq: 1,
        origin: Origin { device: laptop, seq: 1 },
        recorded_at: t0(),
        change: Typed::new(
            Hlc { wall_ms: t0().timestamp_millis(), counter: 0, node: laptop },
            household(HouseholdId(Uuid::now_v7()), village),
        ),
        seen_at_sender: Default::default(),
    };
    let batch = PushBatch { after: None, protocol: PROTOCOL_VERSION, pulled_through: 0, changes: vec![made] };
    district.push(block, &batch, t0()).unwrap();
}

fn a_laptops_log_forwarded_by_its_block_is_kept_at_the_district_and_no_other_block_may_add_to_it(b: Backend) {
    use samanvaya_sync_protocol::{AuditBatch, AuditEntry, AuditHeld};
    let Some(mut district) = open(b, Role::District) else { return };
    let (bodh_gaya, bodh_gaya_secret) = enroll_block(&mut district, "Bodh Gaya");
    let (other_block, other_secret) = enroll_block(&mut district, "Manpur");
    let (laptop, quiet_laptop) = (Uuid::now_v7(), Uuid::now_v7());
    let log = audit_log(8);
    let of = |device: Uuid, entries: &[AuditEntry]| AuditBatch {
        protocol: PROTOCOL_VERSION,
        device: Some(device),
        entries: entries.to_vec(),
        branch: None,
    };
    let code = |e: samanvaya_server::ServerError| e.refusal().code;

    // A laptop's log follows its changes: before any of them reached the district through this
    // block, its log is not taken from it.
    let early = district.push_audit(&bodh_gaya, &of(laptop, &log[..5]), t0()).unwrap_err();
    assert_eq!(code(early), RefusalCode::AuditForeign);
    forward_a_change_of(&mut district, &bodh_gaya, laptop, VILLAGE);
    forward_a_change_of(&mut district, &other_block, quiet_laptop, OTHER_VILLAGE);
    // A block that sends the log of a laptop whose changes came through another block is refused.
    let stolen = district.push_audit(&bodh_gaya, &of(quiet_laptop, &log[..5]), t0()).unwrap_err();
    assert_eq!(code(stolen), RefusalCode::AuditForeign);

    assert_eq!(district.push_audit(&bodh_gaya, &of(laptop, &log[..5]), t0()).unwrap().through, 5);
    assert_eq!(
        district.audit_log(laptop).unwrap(),
        log[..5].to_vec(),
        "kept under the laptop's id, not the block's"
    );
    assert_eq!(district.audit_log(bodh_gaya.device).unwrap(), vec![], "the block's own log is untouched");
    // Another block may not add to it, even entries that follow on.
    let other = district.push_audit(&other_block, &of(laptop, &log[5..]), t0()).unwrap_err();
    assert_eq!(code(other), RefusalCode::AuditForeign);
    // Sent again after a lost answer, with the next entry: the held ones are skipped.
    assert_eq!(district.push_audit(&bodh_gaya, &of(laptop, &log[3..6]), t0()).unwrap().through, 6);
    // Checked link by link as at the block: an edited entry or a gap refuses the batch whole.
    let mut edited = log[6..].to_vec();
    edited[1].detail = "household 99".into();
    let refused = district.push_audit(&bodh_gaya, &of(laptop, &edited), t0()).unwrap_err();
    assert_eq!(code(refused), RefusalCode::AuditBroken);
    let gap = district.push_audit(&bodh_gaya, &of(laptop, &log[7..]), t0()).unwrap_err();
    assert_eq!(code(gap), RefusalCode::AuditBroken);
    assert_eq!(district.audit_log(laptop).unwrap(), log[..6].to_vec());

    // Each block's session says how far the district holds the logs it forwards, and only those.
    let session = |district: &mut Store, block: &Caller, secret: &str| {
        block_session(district, block, secret).audit_forwarded
    };
    assert_eq!(
        session(&mut district, &bodh_gaya, &bodh_gaya_secret),
        vec![AuditHeld { device: laptop, through: 6 }]
    );
    assert_eq!(session(&mut district, &other_block, &other_secret), vec![]);

    // A laptop enrolled with the district itself sends only its own log, and no block sends it.
    let own = enroll(&mut district, "district office laptop");
    let forged = district.push_audit(&own.caller, &of(laptop, &log[6..]), t0()).unwrap_err();
    assert_eq!(code(forged), RefusalCode::AuditForeign);
    let over = district.push_audit(&bodh_gaya, &of(own.caller.device, &log[..1]), t0()).unwrap_err();
    assert_eq!(code(over), RefusalCode::AuditForeign);
    // A version-4 block, which cannot say whose log it sends, is told to update.
    let old = AuditBatch { protocol: 4, ..of(laptop, &log[6..]) };
    assert_eq!(code(district.push_audit(&bodh_gaya, &old, t0()).unwrap_err()), RefusalCode::Protocol);

    assert_eq!(district.push_audit(&bodh_gaya, &of(laptop, &log[6..]), t0()).unwrap().through, 8);
    assert_eq!(district.audit_log(laptop).unwrap(), log, "the whole log, entry by entry");
    let listed = district.audit_logs().unwrap();
    let held = listed.iter().find(|l| l.device == laptop).expect("the operator's list shows it");
    assert_eq!((held.entries, held.forwarded_by.as_deref()), (8, Some("Bodh Gaya")));
    assert!(listed.iter().all(|l| l.device != quiet_laptop), "nothing was kept of a refused log");

    // The block office is reinstalled as a new device: its logs are refused from it until the
    // district's operator hands them over; then they come from it alone.
    let (reinstalled, _) = enroll_block(&mut district, "Bodh Gaya (reinstalled)");
    let refused = district.push_audit(&reinstalled, &of(laptop, &log), t0()).unwrap_err();
    assert_eq!(code(refused), RefusalCode::AuditForeign);
    assert_eq!(district.hand_over_audit(laptop, reinstalled.device).unwrap(), "Bodh Gaya (reinstalled)");
    let mut more = audit_log(9);
    assert_eq!(more[..8], log[..], "the same log, one entry longer");
    let next = more.split_off(8);
    assert_eq!(district.push_audit(&reinstalled, &of(laptop, &next), t0()).unwrap().through, 9);
    let old = district.push_audit(&bodh_gaya, &of(laptop, &next), t0()).unwrap_err();
    assert_eq!(code(old), RefusalCode::AuditForeign);
    // Handed over only to a block enrolled here, and only a log some block forwards.
    assert!(district.hand_over_audit(laptop, own.caller.device).is_err(), "a laptop is not a block");
    assert!(district.hand_over_audit(quiet_laptop, reinstalled.device).is_err(), "no block forwards it");
    assert_eq!(district.audit_log(laptop).unwrap().len(), 9);
}

/// `n` entries that follow `from` (the last entry a backup had), as a laptop restored from it
/// writes them: other work than the old laptop's after the same entry.
fn audit_after_restore(
    from: &samanvaya_sync_protocol::AuditEntry,
    n: i64,
) -> Vec<samanvaya_sync_protocol::AuditEntry> {
    chained(from.seq, &from.hash, n, "2026-12-02T06:00", "restored")
}

fn fork_at(
    from: &samanvaya_sync_protocol::AuditEntry,
    parent: Option<Uuid>,
) -> samanvaya_sync_protocol::AuditFork {
    samanvaya_sync_protocol::AuditFork {
        id: Uuid::now_v7(),
        parent,
        from_seq: from.seq,
        from_hash: samanvaya_sync_protocol::parcel::hex(&from.hash),
    }
}

/// A laptop restored from a backup of five audit entries, after the old laptop had sent eight:
/// the restored laptop's entries 6 and 7 are other entries than the old laptop's 6 and 7, and
/// arrive as a branch growing from entry 5. The block keeps them beside the old laptop's,
/// checked from entry 5's hash as held; a branch from a changed backup, from entries not held,
/// or of another laptop is refused with nothing kept; a laptop restored a second time branches
/// from the branch. The district keeps the branch its block forwards the same way.
fn a_restored_laptops_log_is_kept_as_a_branch_beside_the_old_laptops_and_forwarded_as_one(b: Backend) {
    use samanvaya_sync_protocol::{AuditBatch, AuditHeld};
    let Some(mut server) = open(b, Role::Block) else { return };
    let laptop = enroll(&mut server, "Bakraur laptop");
    let other = enroll(&mut server, "Manpur laptop");
    let code = |e: samanvaya_server::ServerError| e.refusal().code;
    let log = audit_log(8);
    assert_eq!(
        server.push_audit(&laptop.caller, &AuditBatch::of(None, log.clone()), t0()).unwrap().through,
        8
    );

    let restored = audit_after_restore(&log[4], 2);
    let fork = fork_at(&log[4], None);
    let on = |entries: &[samanvaya_sync_protocol::AuditEntry], fork: &samanvaya_sync_protocol::AuditFork| {
        AuditBatch::of(None, entries.to_vec()).on(Some(fork.clone()))
    };
    // Sent as the device's own log, the restored entries would be taken for the old laptop's
    // entries 6 and 7, held already, and none of them kept: why they travel as a branch.
    let plain = server.push_audit(&laptop.caller, &AuditBatch::of(None, restored.clone()), t0()).unwrap();
    assert_eq!(plain.through, 8);
    assert_eq!(server.audit_log(laptop.caller.device).unwrap(), log);
    // As a branch they are kept, and the old laptop's entries stay as they were.
    assert_eq!(server.push_audit(&laptop.caller, &on(&restored[..1], &fork), t0()).unwrap().through, 6);
    assert_eq!(server.push_audit(&laptop.caller, &on(&restored, &fork), t0()).unwrap().through, 7, "resumed");
    assert_eq!(server.audit_log(laptop.caller.device).unwrap(), log);
    assert_eq!(server.audit_log(fork.id).unwrap(), restored);
    let session = |server: &mut Store, who: &Laptop| {
        let req = SessionRequest { acked_here: None, ..who.session_knowing(0) };
        server.session(&req, 60, t0()).unwrap()
    };
    let reply = session(&mut server, &laptop);
    assert_eq!(reply.audit_through, 8, "the device's own log as the old laptop left it");
    assert_eq!(reply.audit_branches, vec![AuditHeld { device: fork.id, through: 7 }]);
    assert_eq!(session(&mut server, &other).audit_branches, vec![], "another laptop has none");

    // A backup changed before it was restored: entry 5's hash is not the one held. Refused,
    // and no branch recorded.
    let mut changed = log[4].clone();
    changed.detail = "household 55".into();
    changed.hash = samanvaya_domain::audit::link(
        &log[3].hash,
        5,
        &changed.at,
        &changed.who,
        &changed.action,
        &changed.detail,
    );
    let forged = fork_at(&changed, None);
    let refused =
        server.push_audit(&laptop.caller, &on(&audit_after_restore(&changed, 1), &forged), t0()).unwrap_err();
    assert!(refused.refusal().message.contains("another hash"), "{}", refused.refusal().message);
    assert_eq!(code(refused), RefusalCode::AuditBroken);
    // A branch from an entry the block does not hold, or the same branch claiming another
    // starting point, is refused too.
    // A branch from the last entry held goes around nothing here, and is taken: a laptop
    // restored from a backup branches whatever its block holds (the district may hold more).
    // Its entries are checked from the shared entry on; the device's own log stays as it was.
    let at_the_end = fork_at(&log[7], None);
    let after_the_end = audit_after_restore(&log[7], 1);
    let taken = server.push_audit(&laptop.caller, &on(&after_the_end, &at_the_end), t0()).unwrap();
    assert_eq!(taken.through, after_the_end.last().unwrap().seq);
    assert_eq!(server.audit_log(at_the_end.id).unwrap(), after_the_end);
    assert_eq!(server.audit_log(laptop.caller.device).unwrap(), log);
    let mut unlinked = audit_after_restore(&log[7], 1);
    unlinked[0].hash[0] ^= 1;
    let refused =
        server.push_audit(&laptop.caller, &on(&unlinked, &fork_at(&log[7], None)), t0()).unwrap_err();
    assert_eq!(code(refused), RefusalCode::AuditBroken, "its entries must follow the shared one");
    let beyond = samanvaya_sync_protocol::AuditFork { from_seq: 20, ..fork_at(&log[7], None) };
    assert_eq!(
        code(server.push_audit(&laptop.caller, &on(&restored, &beyond), t0()).unwrap_err()),
        RefusalCode::AuditBroken
    );
    let moved = samanvaya_sync_protocol::AuditFork { from_seq: 4, ..fork.clone() };
    assert_eq!(
        code(server.push_audit(&laptop.caller, &on(&restored, &moved), t0()).unwrap_err()),
        RefusalCode::AuditBroken
    );
    // A new branch may not take the id of another log: the block's own, another laptop's (which
    // has no entries yet, so a forged start would have become its log's), or any held already.
    let block_device = server.pull(&laptop.caller, 0).unwrap().server;
    for taken in [block_device, other.caller.device, laptop.caller.device] {
        let forged = samanvaya_sync_protocol::AuditFork { id: taken, ..fork_at(&log[4], None) };
        let refused = server.push_audit(&laptop.caller, &on(&restored, &forged), t0()).unwrap_err();
        assert!(matches!(code(refused), RefusalCode::AuditForeign | RefusalCode::AuditBroken), "{taken}");
    }
    assert_eq!(server.audit_log(other.caller.device).unwrap(), vec![], "nothing written into another log");
    // Nor does a device enroll under a branch's id.
    let enroll_code = server.new_code(DeviceKind::Laptop, "Bakraur", t0()).unwrap();
    let req = EnrollRequest::new(
        &enroll_code,
        &certificate(),
        laptop_of_bakraur(fork.id, "a laptop named like the branch"),
    );
    let refused = server.enroll(&req, &certificate(), t0()).unwrap_err();
    assert!(refused.to_string().contains("id is taken here"), "{refused}");
    // Another laptop may not write into this laptop's branch.
    let foreign =
        server.push_audit(&other.caller, &on(&audit_after_restore(&log[7], 1), &fork), t0()).unwrap_err();
    assert_eq!(code(foreign), RefusalCode::AuditForeign);
    // The branch and the one from the last entry held; nothing refused was recorded.
    assert_eq!(session(&mut server, &laptop).audit_branches.len(), 2, "nothing refused was recorded");

    // Restored a second time, from a backup made on the branch after its entry 6.
    let again = audit_after_restore(&restored[0], 3);
    let second = fork_at(&restored[0], Some(fork.id));
    assert_eq!(server.push_audit(&laptop.caller, &on(&again, &second), t0()).unwrap().through, 9);
    // And from a backup made before the first restore: the branch's parent leads back to the log.
    let early = audit_after_restore(&log[2], 1);
    let third = fork_at(&log[2], Some(fork.id));
    assert_eq!(server.push_audit(&laptop.caller, &on(&early, &third), t0()).unwrap().through, 4);
    let listed = server.audit_logs().unwrap();
    let at = listed.iter().position(|l| l.device == laptop.caller.device).unwrap();
    assert_eq!(listed[at + 1].device, fork.id, "each branch follows its laptop's log");
    assert_eq!((listed[at + 1].branch_of, listed[at + 1].entries), (Some((laptop.caller.device, 5)), 2));
    assert_eq!(listed.iter().filter(|l| l.branch_of.is_some()).count(), 4);

    // The district keeps a branch its block forwards under the laptop's id, from that block only.
    let Some(mut district) = open(b, Role::District) else { return };
    let (bodh_gaya, bodh_gaya_secret) = enroll_block(&mut district, "Bodh Gaya");
    let (manpur, _) = enroll_block(&mut district, "Manpur");
    forward_a_change_of(&mut district, &bodh_gaya, laptop.caller.device, VILLAGE);
    let forwarded = |entries: &[samanvaya_sync_protocol::AuditEntry],
                     fork: &samanvaya_sync_protocol::AuditFork| {
        AuditBatch::of(Some(laptop.caller.device), entries.to_vec()).on(Some(fork.clone()))
    };
    // Before the entry it grows from is held there, a branch is refused; the next sync sends
    // the log first.
    let early = district.push_audit(&bodh_gaya, &forwarded(&restored, &fork), t0()).unwrap_err();
    assert!(early.refusal().message.contains("not held here that far"), "{}", early.refusal().message);
    let whole = AuditBatch::of(Some(laptop.caller.device), log.clone());
    assert_eq!(district.push_audit(&bodh_gaya, &whole, t0()).unwrap().through, 8);
    let stolen = district.push_audit(&manpur, &forwarded(&restored, &fork), t0()).unwrap_err();
    assert_eq!(code(stolen), RefusalCode::AuditForeign);
    assert_eq!(district.push_audit(&bodh_gaya, &forwarded(&restored, &fork), t0()).unwrap().through, 7);
    assert_eq!(district.audit_log(fork.id).unwrap(), restored);
    let mut expected = vec![
        AuditHeld { device: laptop.caller.device, through: 8 },
        AuditHeld { device: fork.id, through: 7 },
    ];
    expected.sort_by_key(|h| h.device);
    assert_eq!(block_session(&mut district, &bodh_gaya, &bodh_gaya_secret).audit_forwarded, expected);
}

/// The tables a push writes, row by row, as text: two stores that received the same changes the
/// same way hold the same rows in them.
fn stored_rows(server: &Opened) -> Vec<String> {
    let tables = ["change", "household", "member", "fact", "receiving", "submission", "review", "erased"];
    let mut rows: Vec<String> = server
        .rows()
        .into_iter()
        .filter(|r| tables.iter().any(|t| r.starts_with(&format!("{t}: "))))
        .collect();
    rows.sort();
    rows
}

/// Two blocks, each with the same two laptops enrolled (A and B), so that one may receive a
/// batch at once and the other its changes one by one.
fn two_blocks_of_two_laptops(b: Backend) -> Option<(Opened, Opened, Laptop, Laptop)> {
    let (mut at_once, mut one_by_one) = (open(b, Role::Block)?, open(b, Role::Block)?);
    let (device_a, device_b) = (Uuid::now_v7(), Uuid::now_v7());
    let a = enroll_as(&mut at_once, "laptop A", device_a);
    let other_b = enroll_as(&mut at_once, "laptop B", device_b);
    enroll_as(&mut one_by_one, "laptop A", device_a);
    enroll_as(&mut one_by_one, "laptop B", device_b);
    Some((at_once, one_by_one, a, other_b))
}

fn a_batch_stored_at_once_ends_as_its_changes_stored_one_by_one(b: Backend) {
    let Some((mut at_once, mut one_by_one, mut a, mut other_b)) = two_blocks_of_two_laptops(b) else {
        return;
    };
    // Laptop B records a household first; A has not pulled it.
    let (h0, p0) = (HouseholdId(Uuid::now_v7()), PersonId(Uuid::now_v7()));
    let recorded = vec![other_b.change(household(h0, VILLAGE), 0), other_b.change(member(h0, p0, "गीता"), 1)];
    let from_b = other_b.batch(recorded);
    for server in [&mut at_once, &mut one_by_one] {
        server.push(&other_b.caller, &from_b, t0()).unwrap();
    }
    let (h1, h2, h9) =
        (HouseholdId(Uuid::now_v7()), HouseholdId(Uuid::now_v7()), HouseholdId(Uuid::now_v7()));
    let (p1, p2) = (PersonId(Uuid::now_v7()), PersonId(Uuid::now_v7()));
    let older_fact = ChangeBody::Fact(FactChange {
        household_id: h1,
        subject_id: p1.to_string(),
        name: "person.marital_status".into(),
        value: Some(serde_json::json!("married")),
        source: Source::Survey,
    });
    let changes = vec![
        a.change(household(h1, VILLAGE), 10),
        a.change(member(h1, p1, "कमला"), 11),
        a.change(member(h1, p2, "रीता"), 12),
        a.change(fact_of(h1, p1), 50),
        // Arrives later with an older clock: stored, changes nothing.
        a.change(older_fact, 20),
        a.change(rename(h1, p1, "older name"), 5),
        // A member of a household the server does not know: stored, not applied.
        a.change(member(h9, PersonId(Uuid::now_v7()), "x"), 13),
        // A household in a village the laptop does not serve, and a member of it.
        a.change(household(h2, OTHER_VILLAGE), 14),
        a.change(member(h2, PersonId(Uuid::now_v7()), "y"), 15),
        // B's member renamed without having seen B's record: to review.
        a.change(rename(h0, p0, "गीता देवी"), 16),
        a.change(survey_of(h1, &[(p1, "कमला"), (p2, "रीता")]), 17),
        // A withdrawal between the runs, then a late fact about her, erased on arrival.
        a.change(withdrawal(h1, Some(p2)), 18),
        a.change(fact_of(h1, p2), 19),
        a.change(rename(h1, p1, "कमला देवी"), 60),
    ];
    let ack = at_once.push(&a.caller, &a.batch(changes.clone()), t0()).unwrap();
    let mut one_at_a_time = Vec::new();
    for c in &changes {
        let ack = one_by_one.push(&a.caller, &a.batch(vec![c.clone()]), t0()).unwrap();
        one_at_a_time.extend(outcomes(&ack));
    }
    assert_eq!(outcomes(&ack), one_at_a_time);
    let said = outcomes(&ack);
    assert!(said.contains(&Outcome::Conflict { field: "name".into() }), "{said:?}");
    assert!(said.iter().filter(|o| matches!(o, Outcome::Rejected { .. })).count() >= 3, "{said:?}");
    assert_eq!(stored_rows(&at_once), stored_rows(&one_by_one));
    assert_eq!(name_of(&mut at_once, p1), "कमला देवी");
    assert_eq!(at_once.open_reviews().unwrap().len(), 1);
}

/// After a block's restore, laptop B's member of a household the block lost waits for its
/// record. Laptop A's next push brings the record, edits the household again naming another
/// village (a household keeps the village it was made in), then removes that member.
/// Stored at once, the batch ends as its changes stored one by one: the member is released
/// when the record is applied, so the removal removes her (released at the end of the batch,
/// she stood again at the block while the district, which got them one by one, had her
/// removed); and the second record is judged by the village the batch made the household in,
/// not the one it names (judged so, it was refused and its address lost).
fn a_batch_bringing_a_household_others_waited_for_ends_as_its_changes_stored_one_by_one(b: Backend) {
    let Some((mut at_once, mut one_by_one, mut a, mut other_b)) = two_blocks_of_two_laptops(b) else {
        return;
    };
    let (h, p) = (HouseholdId(Uuid::now_v7()), PersonId(Uuid::now_v7()));
    let sent = vec![other_b.change(member(h, p, "सीता"), 5)];
    let early = other_b.batch(sent);
    for server in [&mut at_once, &mut one_by_one] {
        let ack = server.push(&other_b.caller, &early, t0()).unwrap();
        assert_eq!(outcomes(&ack), vec![Outcome::Applied], "taken, to wait for the household");
    }
    let moved = ChangeBody::Household(HouseholdChange {
        id: h,
        village_id: LocationId(Uuid::from_u128(OTHER_VILLAGE)),
        created_at: t0(),
        fields: vec![HouseholdField::Address("वार्ड 5".into())],
    });
    let removal = ChangeBody::MemberRemoved(MemberRemoved {
        id: p,
        household_id: h,
        merged_into: None,
        departure_seen: None,
    });
    let changes = vec![a.change(household(h, VILLAGE), 10), a.change(moved, 20), a.change(removal, 30)];
    let ack = at_once.push(&a.caller, &a.batch(changes.clone()), t0()).unwrap();
    let mut one_at_a_time = Vec::new();
    for c in &changes {
        let ack = one_by_one.push(&a.caller, &a.batch(vec![c.clone()]), t0()).unwrap();
        one_at_a_time.extend(outcomes(&ack));
    }
    assert_eq!(outcomes(&ack), vec![Outcome::Applied; 3], "the record, the edit, the removal");
    assert_eq!(outcomes(&ack), one_at_a_time);
    assert_eq!(stored_rows(&at_once), stored_rows(&one_by_one));
    for server in [&at_once, &one_by_one] {
        let removed = server.texts("SELECT CAST(removed AS TEXT) FROM member WHERE id = ?1", &p.to_string());
        assert_eq!(removed, vec!["1"], "the member released before the removal is removed");
        let address = server.texts("SELECT address FROM household WHERE id = ?1", &h.to_string());
        assert_eq!(address, vec!["वार्ड 5"], "the second record's address is applied");
    }
}

/// After a block's restore, one laptop's removal of a member can arrive before her creation,
/// which the block lost and the laptop that made her sends again later. The removal stands, as
/// at a store that got them the other way round: her creation, arriving after it, is refused as
/// made before her removal was seen, and no reader is handed it. Before, the removal of a member
/// not held removed nothing and her creation then stood at the block, while the district had
/// her removed (the simulation's seed 99 with a block restored).
fn a_removal_arriving_before_the_members_creation_keeps_her_removed(b: Backend) {
    let (Some(mut in_order), Some(mut reversed)) = (open(b, Role::Block), open(b, Role::Block)) else {
        return;
    };
    let (device_a, device_b, device_r) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let mut a = enroll_as(&mut in_order, "laptop A", device_a);
    let mut other_b = enroll_as(&mut in_order, "laptop B", device_b);
    let reader = enroll_as(&mut in_order, "reader", device_r);
    for (name, device) in [("laptop A", device_a), ("laptop B", device_b), ("reader", device_r)] {
        enroll_as(&mut reversed, name, device);
    }
    let (h, p) = (HouseholdId(Uuid::now_v7()), PersonId(Uuid::now_v7()));
    let (record, creation) = (a.change(household(h, VILLAGE), 0), a.change(member(h, p, "सीता"), 10));
    let (recorded, created) = (a.batch(vec![record]), a.batch(vec![creation]));
    let removal = ChangeBody::MemberRemoved(MemberRemoved {
        id: p,
        household_id: h,
        merged_into: None,
        departure_seen: None,
    });
    let removal = other_b.change(removal, 20);
    let removed = other_b.batch(vec![removal]);
    for server in [&mut in_order, &mut reversed] {
        server.push(&a.caller, &recorded, t0()).unwrap();
    }
    in_order.push(&a.caller, &created, t0()).unwrap();
    in_order.push(&other_b.caller, &removed, t0()).unwrap();
    let first = reversed.push(&other_b.caller, &removed, t0()).unwrap();
    assert_eq!(outcomes(&first), vec![Outcome::Applied]);
    let late = reversed.push(&a.caller, &created, t0()).unwrap();
    let said = outcomes(&late);
    assert!(matches!(&said[0], Outcome::Rejected { reason } if reason.contains("was removed")), "{said:?}");
    for server in [&in_order, &reversed] {
        let removed = server.texts("SELECT CAST(removed AS TEXT) FROM member WHERE id = ?1", &p.to_string());
        assert_eq!(removed, vec!["1"], "she stays removed whichever came first");
    }
    let feed = reversed.pull(&reader.caller, 0).unwrap();
    let kinds: Vec<&str> = feed
        .changes
        .iter()
        .filter(|c| matches!(&c.change.body, ChangeBody::Member(m) if m.id == p))
        .map(|c| c.change.body.kind())
        .collect();
    assert!(kinds.is_empty(), "no reader is handed her creation after her removal: {kinds:?}");
}

/// A survey that asked the family's consent (one finished before consent travelled with the
/// household) puts it on record at the server where none is; a consent given at a visit, the
/// household's own field, replaces it, and a later survey does not take it back.
fn a_consenting_survey_puts_the_familys_consent_on_record_and_one_given_at_a_visit_replaces_it(b: Backend) {
    let Some(mut server) = open(b, Role::Block) else { return };
    let mut laptop = enroll(&mut server, "Bakraur laptop");
    let h = HouseholdId(Uuid::now_v7());
    let kamla = PersonId(Uuid::now_v7());
    let consent_row = |server: &Opened| -> String {
        let rows = server.rows();
        let row = rows.iter().find(|r| r.starts_with("household: ")).expect("the household is stored");
        row.clone()
    };
    let first = vec![
        laptop.change(household(h, VILLAGE), 0),
        laptop.change(member(h, kamla, "कमला देवी"), 1),
        laptop.change(survey_of(h, &[(kamla, "कमला देवी")]), 2),
    ];
    server.push(&laptop.caller, &laptop.batch(first), t0()).unwrap();
    let row = consent_row(&server);
    assert!(row.contains("Asha") && row.contains("taken_at"), "the survey's consent: {row}");

    let given = ChangeBody::Household(HouseholdChange {
        id: h,
        village_id: LocationId(Uuid::from_u128(VILLAGE)),
        created_at: t0(),
        fields: vec![HouseholdField::Consent(ConsentGiven {
            respondent: Some(kamla),
            taken_by: "Rekha".into(),
            taken_at: t0(),
        })],
    });
    let later = vec![laptop.change(given, 3), laptop.change(survey_of(h, &[(kamla, "कमला देवी")]), 4)];
    server.push(&laptop.caller, &laptop.batch(later), t0()).unwrap();
    let row = consent_row(&server);
    assert!(row.contains("Rekha") && row.contains(&kamla.to_string()) && !row.contains("Asha"), "{row}");
}

/// PostgreSQL closed the server's connection (restarted for an upgrade, or stopped by a disk
/// too full for its log): the next transaction finds it closed before anything of it ran, and
/// connects again, so the district goes on without being restarted. (A transaction already
/// under way when the connection goes fails, nothing of it kept, and its device sends it again.)
#[test]
fn a_server_connects_again_when_postgresql_closed_its_connection() {
    let Some(scratch) = scratch_postgres() else { return };
    let mut server = Store::postgres(&scratch.url, Role::Block, t0()).unwrap();
    let mut laptop = enroll(&mut server, "Rampur laptop");
    let h = HouseholdId(Uuid::now_v7());
    let first = laptop.change(household(h, VILLAGE), 0);
    server.push(&laptop.caller, &laptop.batch(vec![first]), t0()).unwrap();
    let mut admin = postgres::Client::connect(&scratch.url, postgres::NoTls).unwrap();
    let mut close_the_servers_connection = || {
        let ended: i64 = admin
            .query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()) AS t",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(ended, 1, "the server's one connection was closed");
        // The server's client learns it at its next read of the socket.
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    close_the_servers_connection();
    let p = PersonId(Uuid::now_v7());
    let next = laptop.change(member(h, p, "कमला देवी"), 1);
    let ack = server.push(&laptop.caller, &laptop.batch(vec![next]), t0()).unwrap();
    assert_eq!(outcomes(&ack), vec![Outcome::Applied]);
    assert_eq!(name_of(&mut server, p), "कमला देवी");
    // A statement outside any transaction (as a session token's check, which every request
    // starts with) connects again too.
    close_the_servers_connection();
    assert_eq!(server.changes_stored().unwrap(), 2);
}

/// A laptop restored from a backup numbers its new work far past the old laptop's run
/// (`core/src/restored.rs`) and asks the feed for its own changes in that run only: online
/// (`own_through`) and in the block's answer on a USB stick (`Parcel::own_through`). Its new
/// work, which it holds, does not come back to it.
fn a_restored_laptop_reads_back_only_the_old_laptops_run_of_its_own_changes(b: Backend) {
    let Some(mut opened) = open(b, Role::Block) else { return };
    let server = &mut opened.store;
    let mut laptop = enroll(server, "Bakraur laptop");
    // The old laptop's household and two records: its changes 1 to 3; the backup held the first.
    let (_, _, made) = laptop.head_and_three_records(["सुनीता", "सुनिता", "सुनीता देवी"]);
    let old_run: Vec<Change> = made.into_iter().take(3).collect();
    server.push(&laptop.caller, &laptop.batch(old_run), t0()).unwrap();
    // The restored copy's first new change, past the run.
    laptop.seq = 1_000_000;
    let h = HouseholdId(Uuid::now_v7());
    let new = laptop.change(household(h, VILLAGE), 10);
    server.push(&laptop.caller, &PushBatch { after: Some(3), ..laptop.batch(vec![new]) }, t0()).unwrap();
    let own = |reply: &PullReply| -> Vec<i64> {
        reply
            .changes
            .iter()
            .filter(|c| c.origin.device == laptop.caller.device)
            .map(|c| c.origin.seq)
            .collect()
    };
    let asked = |through| Asked { after: 0, own_after: Some(1), own_through: through, ..Asked::default() };
    let run = server.pull_under(&laptop.caller, asked(Some(999_999))).unwrap();
    assert_eq!(own(&run), vec![2, 3], "the old laptop's run after the backup, and nothing past it");
    let all = server.pull_under(&laptop.caller, asked(None)).unwrap();
    assert_eq!(own(&all), vec![2, 3, 1_000_001], "with no end, everything after");
    // By stick: the file says the run, and the block's answer carries that alone.
    let file = Parcel {
        own_after: Some(1),
        own_through: Some(999_999),
        acked_here: Some(1_000_001),
        ..laptop.parcel()
    };
    server.import(&laptop.seal(&file), t0()).unwrap();
    let written = server.export_feed(laptop.caller.device, t0()).unwrap();
    let key = parcel::secret_digest(&laptop.secret);
    let answer =
        samanvaya_sync_protocol::feed_file::open(&written.bytes, laptop.caller.device, &key).unwrap();
    let carried: Vec<i64> = answer
        .changes
        .iter()
        .filter(|c| c.origin.device == laptop.caller.device)
        .map(|c| c.origin.seq)
        .collect();
    assert_eq!(carried, vec![2, 3], "the answer on the stick carries the run alone");
    // The laptop's next file, read to the answer's end and asking for the same run, moves the
    // answer on; an older file brought late after it does not move it back.
    server.import(&laptop.seal(&Parcel { pulled_through: answer.cursor, ..file.clone() }), t0()).unwrap();
    server.import(&laptop.seal(&file), t0()).unwrap();
    let written = server.export_feed(laptop.caller.device, t0()).unwrap();
    let next = samanvaya_sync_protocol::feed_file::open(&written.bytes, laptop.caller.device, &key).unwrap();
    assert_eq!(next.starts_after, Some(answer.cursor), "not moved back by the older file");
    assert!(next.changes.is_empty(), "nothing carried again: {:?}", next.changes.len());
}

/// A district says back to a block, at its sessions, the block's change it took last in a
/// push, by the block's number and its origin (`SessionReply::pushed_last`): a block restored
/// from a backup after forwarding it holds another change under that number, or none, and
/// reads back what it forwarded (seed 30 of the simulation with both restores: the old
/// laptop's work, held at the district alone). Every push names it, also one that forwards
/// again under lower numbers, so that a block restored a second time is found too.
fn a_district_names_the_blocks_change_pushed_last_by_its_number_and_origin(b: Backend) {
    let Some(mut opened) = open(b, Role::District) else { return };
    let district = &mut opened.store;
    let (block, secret) = enroll_block(district, "Bodh Gaya");
    assert_eq!(block_session(district, &block, &secret).pushed_last, None, "nothing forwarded yet");
    let laptop = Uuid::now_v7();
    let h = HouseholdId(Uuid::now_v7());
    let forwarded = |seq: i64, n: i64, body: ChangeBody| Change {
        seq,
        origin: Origin { device: laptop, seq: n },
        recorded_at: t0(),
        change: Typed::new(Hlc { wall_ms: t0().timestamp_millis() + n, counter: 0, node: laptop }, body),
        seen_at_sender: Default::default(),
    };
    let push = |district: &mut Store, changes: Vec<Change>| {
        let batch = PushBatch { after: None, protocol: PROTOCOL_VERSION, pulled_through: 0, changes };
        district.push(&block, &batch, t0()).unwrap()
    };
    let pushed = |seq: i64, n: i64| Some(Pushed { seq, origin: Origin { device: laptop, seq: n } });
    let p = PersonId(Uuid::now_v7());
    push(district, vec![forwarded(5, 1, household(h, VILLAGE)), forwarded(6, 2, member(h, p, "कमला"))]);
    let said = block_session(district, &block, &secret);
    assert_eq!((said.acked_through, said.pushed_last), (6, pushed(6, 2)));
    // Restored from a backup, the block forwards again under its backup's numbers: named, so
    // that the block's second restore, from a backup taken now, shows too.
    push(district, vec![forwarded(3, 3, rename(h, p, "कमला देवी"))]);
    let said = block_session(district, &block, &secret);
    assert_eq!((said.acked_through, said.pushed_last), (6, pushed(3, 3)));
    // The same push sent again after its answer was lost names the same.
    push(district, vec![forwarded(3, 3, rename(h, p, "कमला देवी"))]);
    assert_eq!(block_session(district, &block, &secret).pushed_last, pushed(3, 3));
    // A laptop is told none.
    let mut l = enroll(district, "Bakraur laptop");
    l.opens_r1(district);
    assert_eq!(
        district.session(&session_of(l.caller.device, &l.secret), 60, t0()).unwrap().pushed_last,
        None
    );
}

/// A laptop restored from a backup says where the old laptop's run ends (`run_end`); a block
/// that lacks changes of that run, handed to another laptop of the village before the block
/// itself was restored, asks that laptop back what it lacks (`others_wanted`), and takes back
/// only changes numbered in the run: none past it (the restored laptop's own numbers), none of
/// a laptop not restored, none of the giver's own (seeds 43, 58 and 167 of the simulation with
/// both restores).
fn a_block_takes_back_from_another_laptop_only_a_restored_laptops_old_run(b: Backend) {
    use samanvaya_sync_protocol::{GiveBack, GivenBack, OthersWanted};
    let Some(mut opened) = open(b, Role::Block) else { return };
    let server = &mut opened.store;
    let mut old = enroll(server, "the laptop that broke");
    let mut peer = enroll(server, "another laptop of Bakraur");
    let (h, people, made) = old.head_and_three_records(["सुनीता", "सुनिता", "सुनीता देवी"]);
    // The block, restored from a backup, holds the old laptop's household and head alone; the
    // peer read its two records before that restore.
    server.push(&old.caller, &old.batch(made[..2].to_vec()), t0()).unwrap();
    let lost: Vec<Change> = made[2..4].to_vec();
    assert_eq!(
        server.session(&session_of(peer.caller.device, &peer.secret), 60, t0()).unwrap().others_wanted,
        vec![]
    );
    // The restored copy, whose backup held the household alone, says where the old run ends.
    let end = 1_000_000;
    let restore = Restore { id: Uuid::now_v7(), after: 1 };
    let said = SessionRequest {
        run_end: Some(end),
        restores: vec![restore],
        ..session_of(old.caller.device, &old.secret)
    };
    assert_eq!(server.session(&said, 60, t0()).unwrap().others_wanted, vec![], "its own are not asked of it");
    let wanted =
        server.session(&session_of(peer.caller.device, &peer.secret), 60, t0()).unwrap().others_wanted;
    assert_eq!(
        wanted,
        vec![OthersWanted { device: old.caller.device, after: 2, through: end, held: vec![] }]
    );
    let back = |c: &Change| GivenBack { origin: c.origin, change: c.change.clone(), seal: String::new() };
    // Past the run, within the backup (the restored copy holds those numbers), the peer's own,
    // and a laptop not restored: refused, and kept nowhere.
    old.seq = end;
    let past = old.change(rename(h, people[1], "रानी"), 20);
    let in_backup = Change { origin: Origin { device: old.caller.device, seq: 1 }, ..past.clone() };
    let own = peer.change(rename(h, people[1], "रानी"), 21);
    let mut theirs = enroll(server, "a third laptop");
    let not_restored = theirs.change(rename(h, people[1], "रानी"), 22);
    let given: Vec<GivenBack> =
        [&lost[0], &lost[1], &past, &in_backup, &own, &not_restored].into_iter().map(back).collect();
    let ack = server
        .take_back(&peer.caller, &GiveBack { protocol: PROTOCOL_VERSION, changes: given }, t0())
        .unwrap();
    assert_eq!((ack.taken, ack.held, ack.refused), (2, 0, 4));
    assert_eq!(name_of(server, people[2]), "सुनिता");
    let stored = |server: &mut Store| -> Vec<i64> {
        let read = server.pull_under(&peer.caller, Asked::default()).unwrap();
        read.changes.iter().filter(|c| c.origin.device == old.caller.device).map(|c| c.origin.seq).collect()
    };
    assert_eq!(stored(server), vec![1, 2, 3, 4], "the old run whole, and nothing past it");
    // Asked again from past what came back; the same given again is held already.
    let wanted =
        server.session(&session_of(peer.caller.device, &peer.secret), 60, t0()).unwrap().others_wanted;
    assert_eq!(wanted[0].after, 4);
    let again = GiveBack { protocol: PROTOCOL_VERSION, changes: lost.iter().map(back).collect() };
    let ack = server.take_back(&peer.caller, &again, t0()).unwrap();
    assert_eq!((ack.taken, ack.held, ack.refused), (0, 2, 0));
}

/// The same by USB stick: the restored laptop's file says where its old run ends
/// (`Parcel::own_through`), the block's answer to another laptop of the village asks back what
/// of the run it lacks (`FeedFile::others_wanted`), and that laptop's next file gives it back.
fn a_block_asks_another_laptop_back_a_restored_laptops_old_run_by_stick_too(b: Backend) {
    use samanvaya_sync_protocol::{GivenBack, OthersWanted};
    let Some(mut opened) = open(b, Role::Block) else { return };
    let server = &mut opened.store;
    let mut old = enroll(server, "the laptop that broke");
    let peer = enroll(server, "another laptop of Bakraur");
    let (_, _, made) = old.head_and_three_records(["सुनीता", "सुनिता", "सुनीता देवी"]);
    server.push(&old.caller, &old.batch(made[..2].to_vec()), t0()).unwrap();
    let file_of =
        |laptop: &Laptop, own: Option<(i64, i64)>, given_back: Vec<GivenBack>, restores: Vec<Restore>| {
            let (own_after, own_through) = (own.map(|o| o.0), own.map(|o| o.1));
            laptop.seal(&Parcel { own_after, own_through, given_back, restores, ..laptop.parcel() })
        };
    let file = |laptop: &Laptop, own, given_back| file_of(laptop, own, given_back, Vec::new());
    let answer = |server: &mut Store, laptop: &Laptop| {
        let written = server.export_feed(laptop.caller.device, t0()).unwrap();
        let key = parcel::secret_digest(&laptop.secret);
        samanvaya_sync_protocol::feed_file::open(&written.bytes, laptop.caller.device, &key).unwrap()
    };
    server.import(&file(&peer, None, Vec::new()), t0()).unwrap();
    assert_eq!(answer(server, &peer).others_wanted, vec![], "no laptop restored yet");
    server.import(&file(&old, Some((1, 1_000_000)), Vec::new()), t0()).unwrap();
    assert_eq!(answer(server, &peer).others_wanted, vec![], "no restore said yet");
    let restore = Restore { id: Uuid::now_v7(), after: 1 };
    server.import(&file_of(&old, Some((1, 1_000_000)), Vec::new(), vec![restore]), t0()).unwrap();
    let asked = answer(server, &peer).others_wanted;
    assert_eq!(
        asked,
        vec![OthersWanted { device: old.caller.device, after: 2, through: 1_000_000, held: vec![] }]
    );
    let back: Vec<GivenBack> = made[2..]
        .iter()
        .map(|c| GivenBack { origin: c.origin, change: c.change.clone(), seal: String::new() })
        .collect();
    let done = server.import(&file(&peer, None, back), t0()).unwrap();
    assert_eq!((done.taken_back, done.refused_back), (3, 0));
    // Asked on from past what came back: nothing says where the old run ends, and a laptop
    // that holds nothing more gives nothing.
    assert_eq!(answer(server, &peer).others_wanted[0].after, 5);
}
