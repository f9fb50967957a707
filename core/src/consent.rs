//! A family's consent on the laptop, given and withdrawn. Given, it is recorded with the
//! household (`Store::record_consent`, the household form's save, or a survey that asked it).
//! A household is saved by the form only with it; a household taken from a list has none until
//! its first visit, and no screening answer, referral or survey without a consent question is
//! taken for it before then.
//!
//! Withdrawal of consent on the laptop: a member, or a whole household, withdrew consent, and
//! what was recorded of them is erased from the store, keeping only a tombstone in `erased`
//! (ids, the day, who recorded it; nothing personal).
//!
//! The erasure covers the current rows (the person or the household, their facts, benefits,
//! referrals with their events, the survey draft, and her entry in the household's survey
//! answers, with every mention of her names in the household's free text) and the change log:
//! changes about her are replaced by a `redacted` body and changes that mention her are
//! rewritten, whether they were made here, pulled, or still wait to be sent, so that what is sent
//! later carries nothing of her. The withdrawal itself is a change (`consent_withdrawn`) that
//! travels like any other, and a pulled one erases the same way here. A change that arrives
//! after the erasure is matched against the ids in `erased` and erased on arrival
//! (`samanvaya_domain::consent`), so nothing brings her data back.
//!
//! A facilitator or a supervisor records a withdrawal; a Samiti viewer may not.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use samanvaya_domain::change::{Change, ChangeBody, ConsentWithdrawn, Redacted};
use samanvaya_domain::consent::{self, Erasure, Scrubbed};
use samanvaya_domain::household::{CONSENT_MIN_AGE, FieldErrorCode};
use samanvaya_domain::{Consent, FieldError, Household, HouseholdId, Moment, PersonId, ValidationError};
use serde::Serialize;
use ts_rs::TS;

use crate::error::StoreError;
use crate::store::Store;
use crate::{change_log, household};

/// What a withdrawal erased, as the screen and the CLI report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Withdrawal {
    pub household_id: HouseholdId,
    /// The member who withdrew; `None`: the whole household.
    pub person_id: Option<PersonId>,
    /// Changes of the change log erased or rewritten.
    pub changes_scrubbed: u32,
}

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

impl Store {
    /// Records that member `person` of household `household` (or, with `None`, the whole
    /// household) withdrew consent, erases what was recorded of them, and queues the withdrawal
    /// for the block, in one transaction. The only member of a household withdrawing is the
    /// household withdrawing: nothing of it would be left but its address.
    pub fn withdraw_consent(
        &mut self,
        household: HouseholdId,
        person: Option<PersonId>,
        at: Moment,
    ) -> Result<Withdrawal, StoreError> {
        self.require_write("record a withdrawal of consent")?;
        let recorded_by = self.who().name.clone();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let h = household::get(&tx, household)?
            .ok_or_else(|| StoreError::NotFound { what: "household", id: household.to_string() })?;
        let person = match person {
            Some(p) if !h.members.iter().any(|m| m.id == p) => {
                return Err(StoreError::NotFound { what: "member of this household", id: p.to_string() });
            }
            Some(_) if h.members.len() == 1 => None,
            other => other,
        };
        let w = ConsentWithdrawn {
            household_id: household,
            person_id: person,
            withdrawn_on: at.today,
            recorded_by,
        };
        let changes_scrubbed = erase(&tx, &w, at)?;
        change_log::record(&tx, ChangeBody::ConsentWithdrawn(w), at)?;
        tx.commit()?;
        forget_old_versions(&self.conn);
        // The withdrawal stands once committed, whatever happens to the snapshots: the old ones
        // are removed as far as the disk allows, and a new one that cannot be written now is
        // taken by the next day's turn.
        let _ = self.replace_snapshots(at.today);
        Ok(Withdrawal { household_id: household, person_id: person, changes_scrubbed })
    }

    /// Records that member `respondent` of household `household` agreed, for the family, to
    /// what is recorded of it, asked by this account now: for a household taken from a list,
    /// before its first screening answer. A consent on record is replaced by the new one.
    pub fn record_consent(
        &mut self,
        household: HouseholdId,
        respondent: PersonId,
        at: Moment,
    ) -> Result<Household, StoreError> {
        self.require_write("record a family's consent")?;
        let taken_by = self.who().name.clone();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = household::get(&tx, household)?
            .ok_or_else(|| StoreError::NotFound { what: "household", id: household.to_string() })?;
        let member = before.members.iter().find(|m| m.id == respondent).ok_or_else(|| {
            StoreError::NotFound { what: "member of this household", id: respondent.to_string() }
        })?;
        // An unknown age is taken on the facilitator's word, as the form does.
        if member.left.is_some() || member.age_on(at.today).is_some_and(|a| a < CONSENT_MIN_AGE) {
            return Err(StoreError::Invalid(ValidationError(vec![FieldError {
                field: "consent".into(),
                code: FieldErrorCode::ConsentRespondent,
            }])));
        }
        let mut after = before.clone();
        after.consent = Some(Consent { respondent: Some(respondent), taken_by, taken_at: at.utc });
        after.updated_at = at.utc;
        household::write(&tx, Some(&before), &after, at)?;
        tx.commit()?;
        Ok(after)
    }

    /// How many households and members of this store withdrew consent: their tombstones.
    pub fn withdrawals(&self) -> Result<(i64, i64), StoreError> {
        let count = |what: &str| -> rusqlite::Result<i64> {
            self.conn.query_row("SELECT count(*) FROM erased WHERE what = ?1", [what], |r| r.get(0))
        };
        Ok((count("household")?, count("member")?))
    }
}

/// Once an erasure is committed, the write-ahead log's older versions of its pages go too: a
/// checkpoint copies the new pages into the file (where `secure_delete` zeroed what was freed)
/// and truncates the log. Best effort: the erasure is committed either way, and a reader holding
/// the log (the sync's second connection) only delays this to SQLite's next checkpoint.
pub(crate) fn forget_old_versions(conn: &Connection) {
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
}

/// Erases what this store holds of `w`'s person or household, made here or pulled, and keeps
/// the tombstones; the caller owns the transaction and records the withdrawal's change. Returns
/// how many changes of the change log were erased or rewritten.
pub(crate) fn erase(conn: &Connection, w: &ConsentWithdrawn, at: Moment) -> rusqlite::Result<u32> {
    // A withdrawal recorded on a laptop that had not seen her record made one with another
    // names the record that went: it is hers all the same, and so is the record kept, which is
    // erased with every record made one with it.
    if let Some(p) = w.person_id
        && let Some(kept) = crate::merged_person::kept(conn, &p.to_string())?
        && let Ok(kept) = kept.parse()
    {
        return erase_record(conn, &ConsentWithdrawn { person_id: Some(PersonId(kept)), ..w.clone() }, at);
    }
    erase_record(conn, w, at)
}

/// [`erase`] of the record `w` names and of every record made one with it
/// (`merged_person::one_woman`), found before anything of her goes.
fn erase_record(conn: &Connection, w: &ConsentWithdrawn, at: Moment) -> rusqlite::Result<u32> {
    let others = match w.person_id {
        Some(p) => crate::merged_person::one_woman(conn, p)?,
        None => Vec::new(),
    };
    let mut scrubbed = erase_one(conn, w, at)?;
    // Her other records, made one with hers by a supervisor: what they hold (another spelling
    // of her name, the changes that made them, a referral opened of them elsewhere) is hers.
    for other in others {
        scrubbed += erase_one(conn, &ConsentWithdrawn { person_id: Some(other), ..w.clone() }, at)?;
    }
    Ok(scrubbed)
}

/// What this store holds of the one record (or household) `w` names.
fn erase_one(conn: &Connection, w: &ConsentWithdrawn, at: Moment) -> rusqlite::Result<u32> {
    let hid = w.household_id.to_string();
    let pid = w.person_id.map(|p| p.to_string());
    let stored = household::get(conn, w.household_id)?;
    let names: Vec<String> = stored
        .iter()
        .flat_map(|h| &h.members)
        .filter(|m| w.person_id.is_none_or(|p| p == m.id))
        .map(|m| m.name.clone())
        .collect();
    let referrals: Vec<uuid::Uuid> = conn
        .prepare("SELECT id FROM referral WHERE household_id = ?1 AND (?2 IS NULL OR subject_id = ?2)")?
        .query_map(params![hid, pid], |r| r.get::<_, String>(0))?
        .filter_map(|r| r.map(|s| s.parse().ok()).transpose())
        .collect::<rusqlite::Result<_>>()?;
    let logged: Vec<(i64, Change)> = conn
        .prepare("SELECT seq, change FROM change_log WHERE household_id = ?1 ORDER BY seq")?
        .query_map([&hid], |r| {
            let text: String = r.get(1)?;
            let change = serde_json::from_str(&text).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
            })?;
            Ok((r.get(0)?, change))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let erasure = Erasure::new(w, logged.iter().map(|(_, c)| &c.body), &names, &referrals);

    // The tombstones first: the triggers that keep submissions and referral events unedited
    // allow the erasure only for a household that has one.
    let mut tombstone = conn.prepare(
        "INSERT INTO erased (id, household_id, what, withdrawn_on, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
    )?;
    let (id, what) = match &pid {
        Some(p) => (p.clone(), "member"),
        None => (hid.clone(), "household"),
    };
    tombstone.execute(params![id, hid, what, w.withdrawn_on, w.recorded_by, at.utc])?;
    for r in erasure.referrals() {
        tombstone.execute(params![r.to_string(), hid, "referral", w.withdrawn_on, w.recorded_by, at.utc])?;
    }

    let mut scrubbed = 0;
    for (seq, change) in &logged {
        if let Some(body) = erasure.scrub(&change.body).apply(&change.body) {
            let version = if matches!(body, ChangeBody::Redacted(_)) { 1 } else { change.version };
            let after = Change { version, hlc: change.hlc, body };
            conn.execute(
                "UPDATE change_log SET kind = ?1, version = ?2, change = ?3, seal = NULL WHERE seq = ?4",
                params![after.body.kind(), version, serde_json::to_string(&after).map_err(json_err)?, seq],
            )?;
            scrubbed += 1;
        }
    }
    forget_refused(conn, &hid, pid.as_deref(), erasure.names())?;
    // Everyone the household's change log names: its members, and the subjects of its facts and
    // benefits. A member removed earlier keeps the clock readings of her facts, and a change pulled
    // about her after she was removed leaves a row, with no member row to find either by.
    let named: std::collections::BTreeSet<String> = logged
        .iter()
        .filter_map(|(_, c)| match &c.body {
            ChangeBody::Member(m) => Some(m.id.to_string()),
            ChangeBody::Fact(f) => Some(f.subject_id.clone()),
            ChangeBody::Receiving(r) => Some(r.subject_id.clone()),
            _ => None,
        })
        .collect();
    // The clock readings of the merge name no one, but say which facts were asked of her: they go
    // with her (`field_clock.rs`).
    let records: Vec<String> = match &pid {
        Some(p) => vec![p.clone()],
        None => std::iter::once(hid.clone())
            .chain(stored.iter().flat_map(|h| &h.members).map(|m| m.id.to_string()))
            .chain(named.iter().cloned())
            .collect(),
    };
    for record in records {
        crate::field_clock::forget(conn, &record)?;
        // What was set aside of a member removed here (`removed_member.rs`) is hers too.
        crate::removed_member::forget(conn, &record)?;
        crate::own_departure::forget(conn, &record)?;
    }

    match (stored, w.person_id) {
        (None, _) => {}
        (Some(_), None) => {
            // Everything of the household goes with its row: the foreign keys cascade, and the
            // triggers of local migrations 0030, 0032 and 0033 take the facts and benefits of the
            // household and its members. A fact or a benefit pulled about a member removed
            // before it arrived has neither for subject: the household's change log names it.
            for subject in &named {
                crate::fact::forget_subject(conn, subject)?;
            }
            conn.execute("DELETE FROM household WHERE id = ?1", [&hid])?;
        }
        (Some(mut h), Some(person)) => {
            for r in erasure.referrals() {
                conn.execute("DELETE FROM referral WHERE id = ?1", [r.to_string()])?;
            }
            // A survey in progress holds her answers as typed; it is started again.
            conn.execute("DELETE FROM survey_draft WHERE household_id = ?1", [&hid])?;
            crate::fact::forget_subject(conn, &person.to_string())?;
            h.members.retain(|m| m.id != person);
            if let Some(address) = consent::scrub_text(&h.address, erasure.names()) {
                h.address = address;
            }
            household::put(conn, &h)?;
            // Her removal just set aside an empty record of her: nothing of her stays.
            crate::removed_member::forget(conn, &person.to_string())?;
            scrub_rows(conn, &hid, &person.to_string(), erasure.names())?;
        }
    }
    Ok(scrubbed)
}

/// After record `gone` of household `household` was made one with record `kept` here: when her
/// consent was withdrawn before (the merge arriving after the withdrawal), through either
/// record, both are erased as hers, as the withdrawal would have erased them had the merge come
/// first.
pub(crate) fn erase_merged_after(
    conn: &Connection,
    household: HouseholdId,
    gone: PersonId,
    kept: &str,
    at: Moment,
) -> rusqlite::Result<()> {
    let withdrawn: Option<(chrono::NaiveDate, String)> = conn
        .query_row(
            "SELECT withdrawn_on, recorded_by FROM erased WHERE id IN (?1, ?2) AND what = 'member'
             ORDER BY recorded_at LIMIT 1",
            params![kept, gone.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let (Some((withdrawn_on, recorded_by)), Ok(kept)) = (withdrawn, kept.parse()) {
        // The record kept and every record made one with it, `gone` among them (its merge is
        // noted before this is called).
        let w = ConsentWithdrawn {
            household_id: household,
            person_id: Some(PersonId(kept)),
            withdrawn_on,
            recorded_by,
        };
        erase_record(conn, &w, at)?;
    }
    Ok(())
}

/// Her survey answers and every mention of her names in the household's referrals.
fn scrub_rows(conn: &Connection, hid: &str, person: &str, names: &[String]) -> rusqlite::Result<()> {
    let rows: Vec<(String, String, Option<Vec<u8>>)> = conn
        .prepare("SELECT id, answers, packed FROM submission WHERE household_id = ?1")?
        .query_map([hid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, text, packed) in rows {
        // A damaged row is left as it is: it cannot be read to find her in it.
        let Some(answers) = crate::packed_answers::read(&text, packed.as_deref()) else { continue };
        let after = consent::scrub_answers(&answers, &|m| m == person, names);
        if after != answers {
            let packed = crate::packed_answers::pack(&after)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            conn.execute(
                "UPDATE submission SET answers = '', packed = ?1 WHERE id = ?2",
                params![packed, id],
            )?;
        }
    }
    let rows: Vec<(String, String, String)> = conn
        .prepare("SELECT id, notes, state FROM referral WHERE household_id = ?1")?
        .query_map([hid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, notes, state) in rows {
        let notes = consent::scrub_text(&notes, names).unwrap_or(notes);
        let state = scrub_json_text(&state, names).unwrap_or(state);
        conn.execute("UPDATE referral SET notes = ?1, state = ?2 WHERE id = ?3", params![notes, state, id])?;
        let events: Vec<(String, String)> = conn
            .prepare("SELECT id, action FROM referral_event WHERE referral_id = ?1")?
            .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (event, action) in events {
            if let Some(action) = scrub_json_text(&action, names) {
                conn.execute("UPDATE referral_event SET action = ?1 WHERE id = ?2", params![action, event])?;
            }
        }
    }
    Ok(())
}

/// JSON text with every mention of `names` in its strings replaced, or `None` when none.
fn scrub_json_text(text: &str, names: &[String]) -> Option<String> {
    let mut v: serde_json::Value = serde_json::from_str(text).ok()?;
    consent::scrub_strings(&mut v, names).then(|| v.to_string())
}

/// Pulled changes kept aside because they could not be applied are dropped when they are about
/// the erased household or person or mention her: they would otherwise keep her data for good.
fn forget_refused(
    conn: &Connection,
    hid: &str,
    person: Option<&str>,
    names: &[String],
) -> rusqlite::Result<()> {
    let rows: Vec<(String, i64, String)> = conn
        .prepare("SELECT server, server_seq, change FROM pulled_refused")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (server, seq, text) in rows {
        let about = text.contains(hid)
            && (person.is_none_or(|p| text.contains(p)) || names.iter().any(|n| text.contains(n.as_str())));
        if about {
            conn.execute(
                "DELETE FROM pulled_refused WHERE server = ?1 AND server_seq = ?2",
                params![server, seq],
            )?;
        }
    }
    Ok(())
}

/// A change arriving from a server after an erasure, as this store keeps it: `None` when nothing
/// of it was erased, else the change with its body erased or rewritten.
pub(crate) fn on_arrival(conn: &Connection, change: &Change) -> rusqlite::Result<Option<Change>> {
    let hid = change.body.household_id().to_string();
    // What is left of a referral erased elsewhere names it: its later steps are erased on arrival
    // here too, though this store never held it (a block restored from a backup took what was
    // left of it from the laptop that erased it, and handed it out: seed 349 of the simulation
    // with restores). As the household's withdrawal here says, or, before it arrives, at the
    // referral's own time.
    if let ChangeBody::Redacted(Redacted { referral: Some(referral), .. }) = &change.body {
        let at = chrono::DateTime::from_timestamp_millis(change.hlc.wall_ms).unwrap_or_default();
        conn.execute(
            "INSERT OR IGNORE INTO erased (id, household_id, what, withdrawn_on, recorded_by, recorded_at)
             SELECT ?1, ?2, 'referral',
                    coalesce((SELECT withdrawn_on FROM erased WHERE household_id = ?2 LIMIT 1), ?3),
                    coalesce((SELECT recorded_by FROM erased WHERE household_id = ?2 LIMIT 1), ''),
                    coalesce((SELECT recorded_at FROM erased WHERE household_id = ?2 LIMIT 1), ?4)",
            params![referral.to_string(), hid, at.date_naive().to_string(), at],
        )?;
    }
    let any: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM erased WHERE household_id = ?1 LIMIT 1")?
        .query_row([&hid], |r| r.get(0))
        .optional()?;
    if any.is_none() {
        return Ok(None);
    }
    let ids: Vec<String> = conn
        .prepare_cached("SELECT id FROM erased WHERE household_id = ?1")?
        .query_map([&hid], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let scrubbed = consent::late(&change.body, &|id| ids.iter().any(|e| e == id));
    if let (Scrubbed::Redact, ChangeBody::Referral(r)) = (&scrubbed, &change.body) {
        // Her referral opened elsewhere: its later events are erased on arrival too.
        conn.execute(
            "INSERT OR IGNORE INTO erased (id, household_id, what, withdrawn_on, recorded_by, recorded_at)
             SELECT ?1, household_id, 'referral', withdrawn_on, recorded_by, recorded_at FROM erased
             WHERE household_id = ?2 LIMIT 1",
            params![r.id.to_string(), hid],
        )?;
    }
    Ok(scrubbed.apply(&change.body).map(|body| {
        let version = if matches!(body, ChangeBody::Redacted(_)) { 1 } else { change.version };
        Change { version, hlc: change.hlc, body }
    }))
}

#[cfg(test)]
mod tests {
    use samanvaya_domain::change::{MemberChange, MemberField};
    use samanvaya_domain::referral::Need;
    use samanvaya_domain::{
        Birth, HouseholdInput, Location, LocationId, LocationLevel, PersonInput, Relation, Sex,
    };

    use super::*;
    use crate::referral::NewReferral;
    use crate::{PulledFrom, Role, Secret};

    const PIN: &str = "482916";

    /// A new store serving one village, for the account `name`.
    fn store(dir: &std::path::Path) -> (Store, Secret, LocationId) {
        let (mut store, code) = Store::create(dir, "Asha", &Secret::new(PIN)).unwrap();
        let mut parent = None;
        let mut places = Vec::new();
        for (i, level) in [
            LocationLevel::State,
            LocationLevel::District,
            LocationLevel::Block,
            LocationLevel::GramPanchayat,
            LocationLevel::Village,
        ]
        .into_iter()
        .enumerate()
        {
            let id = LocationId(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + i as u128));
            places.push(Location {
                id,
                level,
                parent_id: parent,
                lgd_code: None,
                name_en: format!("Place {i}"),
                name_hi: format!("स्थान {i}"),
            });
            parent = Some(id);
        }
        let village = parent.unwrap();
        store.add_places(&places, &[village]).unwrap();
        (store, code, village)
    }

    fn person(name: &str, relation: Relation, sex: Sex) -> PersonInput {
        PersonInput {
            id: None,
            name: name.into(),
            relation,
            sex,
            birth: Birth::Age { years: 60 },
            left: None,
        }
    }

    /// Kamla (who will withdraw) and her daughter-in-law Sita, each referred, Sita's referral
    /// mentioning Kamla by name.
    fn family(store: &mut Store, village: LocationId) -> samanvaya_domain::Household {
        let input = HouseholdInput {
            id: None,
            village_id: village,
            hamlet_id: None,
            consent: Some(samanvaya_domain::ConsentInput { respondent: 0 }),
            address: "कमला देवी का घर".into(),
            phone: String::new(),
            members: vec![
                person("कमला देवी", Relation::Head, Sex::Female),
                person("सीता कुमारी", Relation::DaughterInLaw, Sex::Female),
            ],
        };
        let h = store.save_household(input, store.now().unwrap()).unwrap();
        for (member, notes) in [(0, "widow since 2019"), (1, "lives with her mother-in-law कमला देवी")]
        {
            let new = NewReferral {
                household_id: h.id,
                member_id: Some(h.members[member].id),
                need: Need::Scheme { code: "NSAP_IGNWPS".into() },
                documents: vec![],
                notes: notes.into(),
            };
            store.open_referral(&new, store.now().unwrap()).unwrap();
        }
        h
    }

    /// Every row of every table as text.
    fn everything(conn: &Connection) -> String {
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut out = String::new();
        for t in tables {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
            let n = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(r) = rows.next().unwrap() {
                for i in 0..n {
                    // Texts and blobs as text: a name's Devanagari bytes shown as numbers would
                    // never match.
                    let cell = match r.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => {
                            String::from_utf8_lossy(b).into_owned()
                        }
                        other => format!("{other:?}"),
                    };
                    out.push_str(&format!("{t}: {cell}\n"));
                }
            }
        }
        out
    }

    #[test]
    fn a_member_withdrawal_erases_her_everywhere_and_keeps_a_tombstone_and_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _, village) = store(dir.path());
        let h = family(&mut store, village);
        let before = everything(store.connection());
        assert!(before.contains("कमला देवी"), "the scan finds her name before the withdrawal");
        let queued = store.queued_changes().unwrap();

        let done = store.withdraw_consent(h.id, Some(h.members[0].id), store.now().unwrap()).unwrap();
        assert_eq!(done.person_id, Some(h.members[0].id));
        assert!(done.changes_scrubbed >= 3, "her member change, her referral, Sita's notes: {done:?}");

        let after = everything(store.connection());
        assert!(!after.contains("कमला"), "no row of any table holds her name:\n{after}");
        assert!(after.contains("सीता कुमारी"), "the rest of the household stays");
        let kept = store.household(h.id).unwrap();
        assert_eq!(kept.members.len(), 1);
        assert_eq!(kept.address, "— का घर");
        assert_eq!(store.withdrawals().unwrap(), (0, 1), "her tombstone");
        // Every change keeps its number; the withdrawal is one more, and it waits to be sent.
        assert_eq!(store.queued_changes().unwrap(), queued + 1);
        let waiting = store.queued_after(0, 1000).unwrap();
        assert!(waiting.iter().any(|q| q.change.body.kind() == "redacted"));
        let last = &waiting.last().unwrap().change.body;
        assert!(matches!(last, ChangeBody::ConsentWithdrawn(w) if w.recorded_by == "Asha"), "{last:?}");
        assert_eq!(
            store.verify_audit().unwrap(),
            crate::Verdict::Intact(
                store.connection().query_row("SELECT count(*) FROM audit", [], |r| r.get(0)).unwrap()
            )
        );
    }

    #[test]
    fn a_samiti_viewer_may_not_record_a_withdrawal_and_a_supervisor_may() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, code, village) = store(dir.path());
        let h = family(&mut store, village);
        store.add_account(&code, "Samiti", Role::SamitiViewer, &Secret::new("739151")).unwrap();
        store.add_account(&code, "Supervisor", Role::Supervisor, &Secret::new("739152")).unwrap();
        drop(store);

        let mut viewer = Store::unlock(dir.path(), Some("Samiti"), &Secret::new("739151")).unwrap();
        let refused = viewer.withdraw_consent(h.id, None, viewer.now().unwrap());
        assert!(matches!(refused, Err(StoreError::NotAllowed { role: "samiti_viewer", .. })), "{refused:?}");
        assert_eq!(viewer.household(h.id).unwrap().members.len(), 2, "nothing was erased");
        drop(viewer);

        let mut supervisor = Store::unlock(dir.path(), Some("Supervisor"), &Secret::new("739152")).unwrap();
        supervisor.withdraw_consent(h.id, None, supervisor.now().unwrap()).unwrap();
        assert!(matches!(supervisor.household(h.id), Err(StoreError::NotFound { .. })));
        assert_eq!(supervisor.withdrawals().unwrap(), (1, 0));
    }

    #[test]
    fn a_late_pulled_change_about_a_withdrawn_household_does_not_bring_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _, village) = store(dir.path());
        let h = family(&mut store, village);
        assert!(everything(store.connection()).contains("सीता"), "the scan finds her before");
        store.withdraw_consent(h.id, None, store.now().unwrap()).unwrap();
        assert!(!everything(store.connection()).contains("सीता"));

        // Another laptop, which had not heard, renamed Sita; its change comes down from the block.
        let other = uuid::Uuid::now_v7();
        let late = Change::new(
            samanvaya_domain::Hlc { wall_ms: 1, counter: 0, node: other },
            ChangeBody::Member(MemberChange {
                id: h.members[1].id,
                household_id: h.id,
                fields: vec![MemberField::Name("सीता देवी".into())],
            }),
        );
        let from = PulledFrom { server: "block", server_seq: 7, device: other, device_seq: 3 };
        assert!(store.apply_pulled(from, &late, store.now().unwrap()).unwrap());
        let after = everything(store.connection());
        assert!(!after.contains("सीता"), "the late change is kept only as what is left of it:\n{after}");
        assert!(matches!(store.household(h.id), Err(StoreError::NotFound { .. })));
        let kind: String = store
            .connection()
            .query_row("SELECT kind FROM change_log WHERE origin = 'pulled'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kind, "redacted");
    }

    /// A fact and a benefit pulled about a member removed before they arrived have no member row
    /// to go with: the household's withdrawal still erases them and their clock readings, found
    /// through the household's change log.
    #[test]
    fn a_household_withdrawal_erases_a_fact_about_a_member_no_longer_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _, village) = store(dir.path());
        let h = family(&mut store, village);
        let gone = uuid::Uuid::now_v7().to_string();
        let other = uuid::Uuid::now_v7();
        let fact = Change::new(
            samanvaya_domain::Hlc { wall_ms: 1, counter: 0, node: other },
            ChangeBody::Fact(samanvaya_domain::change::FactChange {
                household_id: h.id,
                subject_id: gone.clone(),
                name: "person.is_pregnant".into(),
                value: Some(serde_json::json!(true)),
                source: samanvaya_domain::change::Source::Survey,
            }),
        );
        let from = PulledFrom { server: "block", server_seq: 7, device: other, device_seq: 3 };
        assert!(store.apply_pulled(from, &fact, store.now().unwrap()).unwrap());
        let benefit = Change::new(
            samanvaya_domain::Hlc { wall_ms: 2, counter: 0, node: other },
            ChangeBody::Receiving(samanvaya_domain::change::ReceivingChange {
                household_id: h.id,
                subject_id: gone.clone(),
                scheme: "nsap_widow".into(),
                receiving: true,
                source: samanvaya_domain::change::Source::Survey,
            }),
        );
        let from = PulledFrom { server: "block", server_seq: 8, device: other, device_seq: 4 };
        assert!(store.apply_pulled(from, &benefit, store.now().unwrap()).unwrap());
        // Her fact, her benefit and the clock reading of the benefit (the fact's is in its row).
        let held = |store: &Store| -> [i64; 3] {
            let count =
                |sql: &str| -> i64 { store.connection().query_row(sql, [&gone], |r| r.get(0)).unwrap() };
            [
                count("SELECT count(*) FROM fact WHERE subject_id = ?1"),
                count("SELECT count(*) FROM receiving WHERE subject_id = ?1"),
                count("SELECT count(*) FROM field_clock WHERE record = unhex(replace(?1, '-', ''))"),
            ]
        };
        assert_eq!(held(&store), [1, 1, 1], "kept as they came, about no recorded member");
        store.withdraw_consent(h.id, None, store.now().unwrap()).unwrap();
        assert_eq!(held(&store), [0, 0, 0]);
    }
}
