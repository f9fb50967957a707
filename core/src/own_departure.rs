//! The latest departure (a death, a move, or a return) written of each member record itself
//! (local migration 0054), apart from what the record shows.
//!
//! A record kept by a supervisor's merge shows another record's departure where the merge's
//! maker had not seen it (`MemberRemoved::departure_seen`, `pulled::take_facts`). Two
//! supervisors may merge one record unseen of each other, one having seen her departure and
//! the other not: every store keeps the latest reading seen across the merges naming her
//! (`merged_person::note`), so the departure is not the record kept's. A laptop that got the
//! departure between the two merges had already given it to the record kept; when the second
//! merge arrives, the record kept goes back to the latest of its own departure and of the other
//! records' not seen, which only this table still holds (the simulation's seed 13). Every
//! server does the same from the changes it keeps (`sync/server/src/own_departure.rs`).

use rusqlite::{Connection, OptionalExtension, params};
use samanvaya_domain::change::{ChangeBody, MemberField};
use samanvaya_domain::{Departure, Hlc};

/// Keeps the departure a change writes of the member it names, where it is later than the one
/// kept: a change made here or pulled, as it names her, not as moved to a record kept.
pub fn note(conn: &Connection, body: &ChangeBody, hlc: Hlc) -> rusqlite::Result<()> {
    let ChangeBody::Member(c) = body else { return Ok(()) };
    let Some(left) = c.fields.iter().find_map(|f| match f {
        MemberField::Left(l) => Some(*l),
        _ => None,
    }) else {
        return Ok(());
    };
    let id = c.id.to_string();
    if own(conn, &id)?.is_some_and(|(_, held)| held >= hlc) {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO own_departure (id, left, hlc) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET left = excluded.left, hlc = excluded.hlc",
    )?
    .execute(params![id, to_json(&left)?, to_json(&hlc)?])?;
    Ok(())
}

/// After a merge naming a record made one with `kept` (and what its merges saw of her
/// departure, `merged_person::note`): where `kept` shows the departure of a record made one
/// with it that a merge now says its maker saw, it goes back to the latest of its own and of
/// the others' that no merge saw. A record kept that was removed here since is left as it is.
/// Returns whether it went back: the caller counts and screens her household again
/// (`profile::refresh`).
pub fn settle(conn: &Connection, kept: &str) -> rusqlite::Result<bool> {
    let Some(shown) = crate::field_clock::departure_reading(conn, kept)? else { return Ok(false) };
    if !crate::person::is_member(conn, kept)? {
        return Ok(false);
    }
    let merged: Vec<String> = conn
        .prepare_cached("SELECT id FROM merged_person WHERE kept_id = ?1")?
        .query_map([kept], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut others = Vec::with_capacity(merged.len());
    for id in merged {
        if let Some(written) = own(conn, &id)? {
            others.push((written, crate::merged_person::departure_seen(conn, &id)?));
        }
    }
    let seen_since = others.iter().any(|((_, hlc), seen)| *hlc == shown && seen.is_some_and(|s| *hlc <= s));
    if !seen_since {
        return Ok(false);
    }
    let mut latest = own(conn, kept)?;
    for (written, seen) in others {
        let unseen = seen.is_none_or(|s| written.1 > s);
        if unseen && latest.is_none_or(|(_, held)| written.1 > held) {
            latest = Some(written);
        }
    }
    let left = latest.and_then(|(left, _)| left);
    conn.prepare_cached("UPDATE person SET left_reason = ?2, left_on = ?3 WHERE id = ?1")?
        .execute(params![kept, left.map(|l| l.reason.as_str()), left.map(|l| l.on)])?;
    crate::field_clock::put_departure_reading(conn, kept, latest.map(|(_, hlc)| hlc))?;
    Ok(true)
}

/// Puts `kept` in place of `sent` as the reading of the departure `body` writes of its member,
/// where it holds `sent`: the server capped the reading of this laptop's change (its clock ran
/// ahead), and every store compares the departure by the reading kept (`field_clock::restamp`).
///
/// A record kept that took the departure before the server's word shows it under `sent` too,
/// and takes `kept` with it: a reading is one write's, wherever it shows.
pub fn restamp(conn: &Connection, body: &ChangeBody, sent: Hlc, kept: Hlc) -> rusqlite::Result<()> {
    let ChangeBody::Member(c) = body else { return Ok(()) };
    if !c.fields.iter().any(|f| matches!(f, MemberField::Left(_))) {
        return Ok(());
    }
    let id = c.id.to_string();
    if own(conn, &id)?.is_some_and(|(_, held)| held == sent) {
        conn.prepare_cached("UPDATE own_departure SET hlc = ?2 WHERE id = ?1")?
            .execute(params![id, to_json(&kept)?])?;
    }
    let taken: Vec<String> = conn
        .prepare_cached("SELECT kept_id FROM merged_person WHERE id = ?1")?
        .query_map([&id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for record in taken {
        if crate::field_clock::departure_reading(conn, &record)? == Some(sent) {
            crate::field_clock::put_departure_reading(conn, &record, Some(kept))?;
        }
    }
    Ok(())
}

/// Forgets what was written of `id` (her consent withdrawn).
pub fn forget(conn: &Connection, id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM own_departure WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// The latest departure written of `id` itself, with its reading.
fn own(conn: &Connection, id: &str) -> rusqlite::Result<Option<(Option<Departure>, Hlc)>> {
    let row: Option<(String, String)> = conn
        .prepare_cached("SELECT left, hlc FROM own_departure WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(left, hlc)| Ok((from_json(&left)?, from_json(&hlc)?))).transpose()
}

fn to_json<T: serde::Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}
