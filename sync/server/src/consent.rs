//! Withdrawal of consent at a block or district: a `consent_withdrawn` change erases what the
//! server derived of the member or household (members, facts, benefits, referrals and their
//! events, review entries, her survey answers, mentions of her names) and redacts the bodies of
//! the changes it stored about them. The server keeps every change it accepted forever, for
//! deduplication: an erased change keeps its origin `(device, seq)` and its number, so a retry
//! is still a duplicate, and only its body is replaced (`samanvaya_domain::consent`).
//!
//! `erased` keeps the tombstones (ids, the day, who recorded it). A change arriving later about
//! an erased id, from a laptop that had not heard of the withdrawal, is erased on arrival
//! ([`on_arrival`]) and is not applied, so it cannot bring the data back.

use samanvaya_domain::change::{
    Change, ChangeBody, ConsentWithdrawn, HouseholdChange, HouseholdField, SubmissionChange,
};
use samanvaya_domain::consent::{self, Erasure, Scrubbed};
use samanvaya_domain::{HouseholdId, PersonId};
use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Db, args};

/// Why a change erased on arrival was not applied, as the pushing laptop is told.
pub const ERASED_ON_ARRIVAL: &str =
    "consent was withdrawn for this person or household; the change was erased on arrival and not applied";

/// Erases what this server holds of `w`'s member or household; `seq` is the server's number for
/// the withdrawal's own change, which is kept. The caller owns the transaction.
pub fn erase(db: &mut dyn Db, w: &ConsentWithdrawn, seq: i64) -> Result<(), ServerError> {
    // A withdrawal recorded on a laptop that had not seen her record made one with another
    // names the record that went: it is hers all the same, and so is the record kept, which is
    // erased with every record made one with it.
    if let Some(p) = w.person_id
        && let Some(kept) = db
            .query_opt(
                "SELECT merged_into FROM member WHERE id = ?1 AND merged_into IS NOT NULL AND merged_into <> ?1",
                args![p.to_string()],
            )?
            .map(|r| r.uuid(0))
            .transpose()?
    {
        return erase_record(db, &ConsentWithdrawn { person_id: Some(PersonId(kept)), ..w.clone() }, seq);
    }
    erase_record(db, w, seq)
}

/// [`erase`] of the record `w` names and of the records made one with it.
fn erase_record(db: &mut dyn Db, w: &ConsentWithdrawn, seq: i64) -> Result<(), ServerError> {
    let hid = w.household_id.to_string();
    let pid = w.person_id.map(|p| p.to_string());
    let (names, referrals) = match &pid {
        Some(p) => (
            db.query("SELECT name FROM member WHERE id = ?1", args![p])?,
            db.query("SELECT id FROM referral WHERE household_id = ?1 AND subject_id = ?2", args![&hid, p])?,
        ),
        None => (
            db.query("SELECT name FROM member WHERE household_id = ?1", args![&hid])?,
            db.query("SELECT id FROM referral WHERE household_id = ?1", args![&hid])?,
        ),
    };
    let names: Vec<String> = names.iter().map(|r| r.text(0)).collect::<Result<_, _>>()?;
    let referrals: Vec<Uuid> = referrals.iter().map(|r| r.uuid(0)).collect::<Result<_, _>>()?;
    let stored: Vec<(i64, Change)> = db
        .query(
            "SELECT seq, version, hlc, kind, change FROM change WHERE household_id = ?1 AND seq <> ?2 ORDER BY seq",
            args![&hid, seq],
        )?
        .iter()
        .map(|r| Ok((r.int(0)?, crate::stored_change::read(r.int(1)?, &r.text(2)?, &r.text(3)?, &r.text(4)?)?)))
        .collect::<Result<_, ServerError>>()?;
    let erasure = Erasure::new(w, stored.iter().map(|(_, c)| &c.body), &names, &referrals);

    let tombstone = |db: &mut dyn Db, id: String, what: &str| -> Result<(), ServerError> {
        db.execute(
            "INSERT INTO erased (id, household_id, what, withdrawn_on, recorded_by, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
            args![id, &hid, what, w.withdrawn_on, &w.recorded_by, seq],
        )?;
        Ok(())
    };
    match &pid {
        Some(p) => tombstone(&mut *db, p.clone(), "member")?,
        None => tombstone(&mut *db, hid.clone(), "household")?,
    }
    for r in erasure.referrals() {
        tombstone(&mut *db, r.to_string(), "referral")?;
    }

    for (at, change) in &stored {
        if let Some(body) = erasure.scrub(&change.body).apply(&change.body) {
            let version = if matches!(body, ChangeBody::Redacted(_)) { 1 } else { change.version };
            let after = Change { version, hlc: change.hlc, body };
            crate::upstream_seal::forget(&mut *db, *at)?;
            db.execute(
                "UPDATE change SET kind = ?1, version = ?2, change = ?3 WHERE seq = ?4",
                args![after.body.kind(), i64::from(version), crate::stored_change::body_text(&after)?, *at],
            )?;
        }
    }

    for r in erasure.referrals() {
        db.execute("DELETE FROM referral_event WHERE referral_id = ?1", args![r])?;
        db.execute("DELETE FROM referral WHERE id = ?1", args![r])?;
    }
    match &pid {
        None => {
            for table in ["member", "fact", "receiving", "submission", "review"] {
                db.execute(&format!("DELETE FROM {table} WHERE household_id = ?1"), args![&hid])?;
            }
            // The row stays as the household's tombstone: its village routes the withdrawal to
            // the village's other laptops, and down from the district to the blocks of that
            // village (`block_village.rs`).
            db.execute(
                "UPDATE household SET address = '', phone = '', hamlet_id = NULL, consent = NULL WHERE id = ?1",
                args![&hid],
            )?;
        }
        Some(p) => {
            db.execute("DELETE FROM member WHERE id = ?1", args![p])?;
            db.execute("DELETE FROM fact WHERE subject_id = ?1", args![p])?;
            db.execute("DELETE FROM receiving WHERE subject_id = ?1", args![p])?;
            db.execute("DELETE FROM review WHERE member_id = ?1", args![p])?;
            scrub_rows(db, &hid, p, erasure.names())?;
        }
    }
    // Her other records, made one with hers by a supervisor: what they hold (another spelling
    // of her name, the changes that made them, a referral opened of them elsewhere) is hers.
    if let Some(p) = &pid {
        let others: Vec<Uuid> = db
            .query("SELECT id FROM member WHERE merged_into = ?1 AND id <> ?1 ORDER BY id", args![p])?
            .iter()
            .map(|r| r.uuid(0))
            .collect::<Result<_, _>>()?;
        for other in others {
            erase_record(db, &ConsentWithdrawn { person_id: Some(PersonId(other)), ..w.clone() }, seq)?;
        }
    }
    Ok(())
}

/// The record `c` of a household withdrawn whole here, erased on arrival, where no row of the
/// household is held: a block restored from a backup that lost the household took its
/// withdrawal before the laptop that made it sent the record again. The feed reads only changes
/// about households held here, by their village, so the withdrawal reached no laptop, and the
/// laptops that held the family kept it. The household's row is kept now as the tombstone a
/// withdrawal leaves of a household held (its village, home and number, nothing of the
/// family), and the withdrawal is stored again under a new number (`waiting::release`), so
/// that every laptop of the village gets it after the row. `home` is who delivered the record
/// (the column is kept as any household's; the feed routes by village alone).
pub fn withdrawn_household_arrived(
    db: &mut dyn Db,
    server: Uuid,
    c: &HouseholdChange,
    home: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ServerError> {
    let hid = c.id.to_string();
    if db.query_opt("SELECT 1 FROM household WHERE id = ?1", args![&hid])?.is_some()
        || db.query_opt("SELECT 1 FROM erased WHERE id = ?1 AND what = 'household'", args![&hid])?.is_none()
    {
        return Ok(());
    }
    let number = c.fields.iter().find_map(|f| match f {
        HouseholdField::Number(n) => Some(*n),
        _ => None,
    });
    db.execute(
        "INSERT INTO household (id, village_id, home, number, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        args![&hid, c.village_id.0.to_string(), home, number.flatten(), c.created_at],
    )?;
    db.execute(
        "INSERT INTO waiting_change (seq, household_id, origin_device, origin_seq)
         SELECT seq, household_id, origin_device, origin_seq FROM change
         WHERE household_id = ?1 AND kind = 'consent_withdrawn' AND outcome = 'applied'
         ON CONFLICT (seq) DO NOTHING",
        args![&hid],
    )?;
    crate::waiting::release(db, server, &std::collections::BTreeSet::from([hid]), true, now)
}

/// After record `gone` of household `household` was made one with record `kept` here: when her
/// consent was withdrawn before (the merge arriving after the withdrawal), through either
/// record, both are erased as hers, as the withdrawal would have erased them had the merge come
/// first.
pub fn erase_merged_after(
    db: &mut dyn Db,
    household: HouseholdId,
    gone: PersonId,
    kept: &str,
) -> Result<(), ServerError> {
    let Some(row) = db.query_opt(
        "SELECT withdrawn_on, recorded_by, seq FROM erased WHERE id IN (?1, ?2) AND what = 'member'
         ORDER BY seq LIMIT 1",
        args![kept, gone.to_string()],
    )?
    else {
        return Ok(());
    };
    let withdrawn_on = row.text(0)?.parse().map_err(|e| {
        ServerError::Invalid(format!("a stored withdrawal's day {:?} is damaged: {e}", row.text(0)))
    })?;
    let kept = kept
        .parse()
        .map_err(|e| ServerError::Invalid(format!("a stored member id {kept:?} is damaged: {e}")))?;
    let w = ConsentWithdrawn {
        household_id: household,
        person_id: Some(PersonId(kept)),
        withdrawn_on,
        recorded_by: row.text(1)?,
    };
    // The record kept and every record made one with it, `gone` among them (its merge is
    // noted before this is called).
    erase_record(db, &w, row.int(2)?)
}

/// Her survey answers, and mentions of her names in the household's address and referrals.
fn scrub_rows(db: &mut dyn Db, hid: &str, person: &str, names: &[String]) -> Result<(), ServerError> {
    for row in db.query("SELECT id, body FROM submission WHERE household_id = ?1", args![hid])? {
        let mut s: SubmissionChange = serde_json::from_str(&row.text(1)?)?;
        let answers = consent::scrub_answers(&s.answers, &|m| m == person, names);
        if answers != s.answers {
            s.answers = answers;
            db.execute(
                "UPDATE submission SET body = ?1 WHERE id = ?2",
                args![serde_json::to_string(&s)?, row.text(0)?],
            )?;
        }
    }
    if let Some(row) = db.query_opt("SELECT address FROM household WHERE id = ?1", args![hid])?
        && let Some(address) = consent::scrub_text(&row.text(0)?, names)
    {
        db.execute("UPDATE household SET address = ?1 WHERE id = ?2", args![address, hid])?;
    }
    for row in db.query("SELECT id, opened FROM referral WHERE household_id = ?1", args![hid])? {
        let id = row.text(0)?;
        if let Some(opened) = scrub_json(&row.text(1)?, names)? {
            db.execute("UPDATE referral SET opened = ?1 WHERE id = ?2", args![opened, &id])?;
        }
        for event in db.query("SELECT id, body FROM referral_event WHERE referral_id = ?1", args![&id])? {
            if let Some(body) = scrub_json(&event.text(1)?, names)? {
                db.execute("UPDATE referral_event SET body = ?1 WHERE id = ?2", args![body, event.text(0)?])?;
            }
        }
    }
    Ok(())
}

/// JSON text with every mention of `names` in its strings replaced, or `None` when none.
fn scrub_json(text: &str, names: &[String]) -> Result<Option<String>, ServerError> {
    let mut v: serde_json::Value = serde_json::from_str(text)?;
    Ok(if consent::scrub_strings(&mut v, names) { Some(serde_json::to_string(&v)?) } else { None })
}

/// A change arriving after an erasure, as the server keeps it: `None` when nothing of it was
/// erased, else the change with its body erased (`true`: nothing of it may be applied) or with
/// her survey entry blanked (`false`: the rest applies).
pub fn on_arrival(db: &mut dyn Db, change: &Change) -> Result<Option<(Change, bool)>, ServerError> {
    let hid = change.body.household_id().to_string();
    let ids: Vec<String> = db
        .query("SELECT id FROM erased WHERE household_id = ?1", args![&hid])?
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<_, _>>()?;
    let Some((kept, redacted)) = arriving(&ids, change) else { return Ok(None) };
    if let (true, ChangeBody::Referral(r)) = (redacted, &change.body) {
        // Her referral opened elsewhere: its later events are erased on arrival too.
        erased_referral(db, &hid, r.id, 0)?;
    }
    Ok(Some((kept, redacted)))
}

/// Notes referral `referral` of household `hid` as erased, so that its later events are erased
/// on arrival: as the household's first withdrawal here says, or, where none has arrived yet
/// (what is left of the referral came first, numbered `seq`), with nothing known of it.
pub fn erased_referral(
    db: &mut dyn Db,
    hid: &str,
    referral: uuid::Uuid,
    seq: i64,
) -> Result<(), ServerError> {
    let first = db.query_opt(
        "SELECT withdrawn_on, recorded_by, seq FROM erased WHERE household_id = ?1 ORDER BY seq LIMIT 1",
        args![hid],
    )?;
    let (on, by, seq) = match first {
        Some(row) => (row.text(0)?, row.text(1)?, row.int(2)?),
        None => (String::new(), String::new(), seq),
    };
    db.execute(
        "INSERT INTO erased (id, household_id, what, withdrawn_on, recorded_by, seq)
         VALUES (?1, ?2, 'referral', ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING",
        args![referral, hid, on, by, seq],
    )?;
    Ok(())
}

/// [`on_arrival`] for a change whose household's erased ids (`erased`) are already read: the
/// changes merged set-wise (`merge.rs`) read them for a whole run at once.
pub fn arriving(erased: &[String], change: &Change) -> Option<(Change, bool)> {
    if erased.is_empty() {
        return None;
    }
    let scrubbed = consent::late(&change.body, &|id| erased.iter().any(|e| e == id));
    let redacted = scrubbed == Scrubbed::Redact;
    scrubbed.apply(&change.body).map(|body| {
        let version = if redacted { 1 } else { change.version };
        (Change { version, hlc: change.hlc, body }, redacted)
    })
}
