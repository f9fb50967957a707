//! The facts of members removed from their household, set aside for a merge that names them
//! later.
//!
//! Two supervisors may act on one woman's second record without seeing each other's work: one
//! removes it, the other makes it one with her first record. Every server keeps a removed
//! member's rows and, when the merge arrives, merges them into the record kept, the later clock
//! winning (`sync/server/src/state.rs`). A laptop that had applied the removal first had
//! forgotten her answers, so its record kept lacked one the block and the district held. It
//! sets them aside instead (local migration 0043), where nothing reads them but a merge
//! (`pulled::take_facts`), and they go with her household or her withdrawal.

use rusqlite::{Connection, OptionalExtension, params};
use samanvaya_domain::change::{ChangeBody, MemberChange, MemberField};
use samanvaya_domain::{Departure, HouseholdId, PersonId};

/// Sets aside the facts and benefits of `subject`, a member of `household` about to be removed:
/// none, too, so that an answer about her pulled later is set aside with her. `left` is her
/// departure as recorded here.
pub fn set_aside(
    conn: &Connection,
    household: HouseholdId,
    subject: PersonId,
    left: Option<Departure>,
) -> rusqlite::Result<()> {
    let id = subject.to_string();
    // Hers by her id, whether or not she is a member recorded here: answers pulled before her
    // record (a block restored from a backup hands them out, then her removal, and never the
    // record it refused) are hers too, and a server keeps them on her removed rows.
    let mut facts: Vec<ChangeBody> = crate::fact::snapshot_of_subject(conn, household, &id)?;
    // Her departure, where one was written of her (a member added as living in the household
    // writes none): a merge takes it to the record kept where it is the later write.
    if crate::field_clock::departure_reading(conn, &id)?.is_some() {
        facts.push(ChangeBody::Member(MemberChange {
            id: subject,
            household_id: household,
            fields: vec![MemberField::Left(left)],
        }));
    }
    conn.execute(
        "INSERT INTO removed_member (id, household_id, facts) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET facts = excluded.facts",
        params![id, household.to_string(), to_json(&facts)?],
    )?;
    Ok(())
}

/// What was set aside of `subject`, if she was removed here.
pub fn facts(conn: &Connection, subject: &str) -> rusqlite::Result<Option<Vec<ChangeBody>>> {
    let Some(text) = conn
        .prepare_cached("SELECT facts FROM removed_member WHERE id = ?1")?
        .query_row([subject], |r| r.get::<_, String>(0))
        .optional()?
    else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

/// Writes a fact or a benefit pulled about a member removed here into what was set aside of
/// her, as a server writes it into her kept rows; `false` when nothing of its subject is set
/// aside. The caller has checked that it is later than what the laptop holds.
pub fn put(conn: &Connection, body: &ChangeBody) -> rusqlite::Result<bool> {
    // Of a change to her record, only her departure is set aside: a merge takes nothing else.
    let departure = match body {
        ChangeBody::Member(c) => match c.departure_for(c.id) {
            Some(d) => Some(ChangeBody::Member(d)),
            None => return Ok(false),
        },
        _ => None,
    };
    let body = departure.as_ref().unwrap_or(body);
    let Some(subject) = subject_of(body) else { return Ok(false) };
    let Some(mut facts) = facts(conn, &subject)? else { return Ok(false) };
    facts.retain(|held| !same_field(held, body));
    // A benefit stopped keeps no row, as everywhere on the laptop: only its reading.
    if !matches!(body, ChangeBody::Receiving(r) if !r.receiving) {
        facts.push(body.clone());
    }
    conn.execute("UPDATE removed_member SET facts = ?2 WHERE id = ?1", params![subject, to_json(&facts)?])?;
    Ok(true)
}

/// Forgets what was set aside of `subject` (taken by a merge, or erased at her withdrawal).
pub fn forget(conn: &Connection, subject: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM removed_member WHERE id = ?1")?.execute([subject])?;
    Ok(())
}

fn subject_of(body: &ChangeBody) -> Option<String> {
    match body {
        ChangeBody::Fact(f) => Some(f.subject_id.clone()),
        ChangeBody::Receiving(r) => Some(r.subject_id.clone()),
        ChangeBody::Member(m) => Some(m.id.to_string()),
        _ => None,
    }
}

/// Whether two changes write the same fact, or the same benefit, of one subject.
fn same_field(a: &ChangeBody, b: &ChangeBody) -> bool {
    match (a, b) {
        (ChangeBody::Fact(a), ChangeBody::Fact(b)) => a.name == b.name,
        (ChangeBody::Receiving(a), ChangeBody::Receiving(b)) => a.scheme == b.scheme,
        // Only her departure is set aside of her record's fields.
        (ChangeBody::Member(_), ChangeBody::Member(_)) => true,
        _ => false,
    }
}

fn to_json(facts: &[ChangeBody]) -> rusqlite::Result<String> {
    serde_json::to_string(facts).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}
