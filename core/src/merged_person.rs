//! The records made one with another, and their referrals moved to the record kept.
//!
//! A supervisor makes two records of one woman one (`member_merge.rs`); the merge refuses a
//! record that has referrals here. Another laptop, which had not seen the merge, may still open a
//! referral of the record that goes. Its referral arrives before the merge at some stores and
//! after it at others: each store moves it to the record kept when both have arrived, so every
//! store ends with the referral on the woman who is still in the household. Left on the removed
//! record, the case showed under the head's name.

use rusqlite::{Connection, OptionalExtension, params};
use samanvaya_domain::{Hlc, PersonId};

/// What a merge noted here made of its records (`note`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Noted {
    /// The record kept, as it stands now.
    pub kept: String,
    /// Records two crossing merges had left with no record kept (each made one into the other),
    /// one of them `gone`: they follow it to `kept`, and their facts set aside go there too.
    pub left: Vec<Left>,
}

/// A record a crossing had left, now made one with the record kept (`Noted::left`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    pub id: PersonId,
    /// What the merges of it said their makers saw of its departure: a departure of it no later
    /// than this is not the record kept's.
    pub departure_seen: Option<Hlc>,
}

/// Notes that `gone` was made one with `kept` (with the reading of `gone`'s departure the merge
/// says its maker saw), and moves every referral of `gone` to `kept`. Returns the record kept as
/// it stands now, or `None` when the merge names `gone` itself.
pub fn note(
    conn: &Connection,
    gone: PersonId,
    kept: PersonId,
    departure_seen: Option<Hlc>,
) -> rusqlite::Result<Option<Noted>> {
    let gone = gone.to_string();
    // The record kept, as it stands now: two merges made at once on two laptops (the first
    // record into the second, the second into a third) arrive in either order, and each record
    // merged away points at the one record left.
    let named = kept.to_string();
    let kept = self::kept(conn, &named)?.unwrap_or_else(|| named.clone());
    // Every merge's record named, a crossing one's too, as the servers read them from the
    // merges they keep (`sync/server/src/own_departure.rs`), with what its maker saw of the
    // departure of the record it removed (the latest of the merges naming that record), which
    // a crossing keeps nowhere else.
    conn.prepare_cached("INSERT OR IGNORE INTO merge_named (id, named_id) VALUES (?1, ?2)")?
        .execute(params![gone, named])?;
    if let Some(seen) = departure_seen {
        let held: Option<String> = conn
            .prepare_cached("SELECT departure_seen FROM merge_named WHERE id = ?1 AND named_id = ?2")?
            .query_row(params![gone, named], |r| r.get(0))?;
        let held: Option<Hlc> = held.map(|t| serde_json::from_str(&t)).transpose().map_err(json_error)?;
        if held.is_none_or(|h| h < seen) {
            conn.prepare_cached(
                "UPDATE merge_named SET departure_seen = ?3 WHERE id = ?1 AND named_id = ?2",
            )?
            .execute(params![gone, named, serde_json::to_string(&seen).map_err(json_error)?])?;
        }
    }
    // Two supervisors who each made one record into the other: the second merge names a record
    // already made one with the first, and no record points at itself.
    if kept == gone {
        return Ok(None);
    }
    // What the merges naming `gone` saw of its departure, the latest (a reading only grows,
    // whatever order they arrive in); where the record named was made one with another
    // already, what that merge saw of it too, as a departure of `gone` reaches the record kept
    // through it (as at every server, `sync/server/src/state.rs`).
    let mut seen = departure_seen.max(self::departure_seen(conn, &gone)?);
    if named != kept {
        seen = seen.max(self::departure_seen(conn, &named)?);
    }
    conn.execute(
        "INSERT INTO merged_person (id, kept_id, departure_seen) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET kept_id = excluded.kept_id, departure_seen = excluded.departure_seen",
        params![gone, kept, seen.map(|h| serde_json::to_string(&h)).transpose().map_err(json_error)?],
    )?;
    // A record made one with `gone` before now goes to `kept` too, and a departure of it
    // reaches `kept` through `gone` past what this merge saw: every record a merge made one
    // with `gone`, or with one of those, whichever record each points at now (a merge of
    // `gone` unseen of this one may have taken them on already).
    if let Some(seen) = seen {
        for id in made_one_with(conn, &gone)? {
            if self::departure_seen(conn, &id)?.is_none_or(|held| held < seen) {
                let text = serde_json::to_string(&seen).map_err(json_error)?;
                conn.execute(
                    "UPDATE merged_person SET departure_seen = ?2 WHERE id = ?1",
                    params![id, text],
                )?;
            }
        }
    }
    conn.execute("UPDATE merged_person SET kept_id = ?2 WHERE kept_id = ?1", params![gone, kept])?;
    conn.execute("UPDATE referral SET subject_id = ?2 WHERE subject_id = ?1", params![gone, kept])?;
    // Two crossing merges (this laptop made A into B, another B into A) leave both removed here
    // and point neither anywhere: the server that gets the second from its laptop brings A back
    // as a new record, and every store takes that. A server that got a merge of B into C first
    // (made after the other crossing merge, on the same laptop) sees no crossing: A follows B
    // to C there, and no new record comes. So a record a merge made one with `gone` that points
    // nowhere and is no member goes where `gone` goes, with its referrals (seed 865 of the
    // simulation with a laptop restored: this laptop kept them on A, removed, for good).
    // What the crossing merge's maker saw of its departure stays seen, and so does what this
    // merge's saw (a server raises it on every record made one with the record going); the
    // records made one with it since go on with it.
    let mut left = Vec::new();
    for id in made_one_with(conn, &gone)? {
        if id == kept || self::kept(conn, &id)?.is_some() || crate::person::is_member(conn, &id)? {
            continue;
        }
        let left_seen = seen.max(crossing_seen(conn, &id)?);
        conn.execute(
            "INSERT INTO merged_person (id, kept_id, departure_seen) VALUES (?1, ?2, ?3)",
            params![id, kept, left_seen.map(|h| serde_json::to_string(&h)).transpose().map_err(json_error)?],
        )?;
        conn.execute("UPDATE merged_person SET kept_id = ?2 WHERE kept_id = ?1", params![id, kept])?;
        conn.execute("UPDATE referral SET subject_id = ?2 WHERE subject_id = ?1", params![id, kept])?;
        left.push(Left {
            id: id.parse().map(PersonId).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
            departure_seen: left_seen,
        });
    }
    Ok(Some(Noted { kept, left }))
}

/// The latest reading of `record`'s departure that a merge of it said its maker saw.
fn crossing_seen(conn: &Connection, record: &str) -> rusqlite::Result<Option<Hlc>> {
    let texts: Vec<Option<String>> = conn
        .prepare_cached("SELECT departure_seen FROM merge_named WHERE id = ?1")?
        .query_map([record], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut latest = None;
    for text in texts.into_iter().flatten() {
        latest = latest.max(Some(serde_json::from_str::<Hlc>(&text).map_err(json_error)?));
    }
    Ok(latest)
}

/// Every record a merge made one with `record`, or with one of those, as the merges named them.
fn made_one_with(conn: &Connection, record: &str) -> rusqlite::Result<Vec<String>> {
    reached(
        conn,
        record,
        "SELECT id FROM merge_named WHERE named_id = ?1 UNION SELECT id FROM merged_person WHERE kept_id = ?1",
    )
}

/// Every record a merge this store holds made one with `record`, either way and through
/// others, `record` not among them, in the order found. Two supervisors who each made one record
/// of a woman one with a different record (A with K1 on one laptop, A with K2 on another) said
/// she is all three; the servers join K1 and K2 (`sync/server/src/crossing_merge.rs`), but where
/// K1 was erased first, a server erases K2 on the arrival of the second merge and joins nothing,
/// and the laptop that made that merge pulls neither. Here, where the other merge moved A to K1,
/// only the merge that named K2 still says K2 is hers.
pub fn one_woman(conn: &Connection, record: PersonId) -> rusqlite::Result<Vec<PersonId>> {
    let found = reached(
        conn,
        &record.to_string(),
        "SELECT named_id FROM merge_named WHERE id = ?1
         UNION SELECT id FROM merge_named WHERE named_id = ?1
         UNION SELECT kept_id FROM merged_person WHERE id = ?1
         UNION SELECT id FROM merged_person WHERE kept_id = ?1",
    )?;
    found
        .iter()
        .map(|id| id.parse().map(PersonId).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e))))
        .collect()
}

/// The records reached from `record` by following `links` (a statement of one parameter, the
/// record at hand, listing the records linked to it) again from each one found, `record` not
/// among them, in the order found. Two merges each into the other name each other: each record
/// is visited once.
fn reached(conn: &Connection, record: &str, links: &str) -> rusqlite::Result<Vec<String>> {
    let mut found: Vec<String> = Vec::new();
    let mut next = vec![record.to_owned()];
    while let Some(at) = next.pop() {
        let linked: Vec<String> =
            conn.prepare_cached(links)?.query_map([&at], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        for id in linked {
            if id != record && !found.contains(&id) {
                found.push(id.clone());
                next.push(id);
            }
        }
    }
    Ok(found)
}

/// The record `subject` was made one with, if it was.
pub fn kept(conn: &Connection, subject: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT kept_id FROM merged_person WHERE id = ?1")?
        .query_row([subject], |r| r.get(0))
        .optional()
}

/// The reading of `subject`'s departure the merge of it said its maker saw: a departure of it
/// written no later than this is not the record kept's (`MemberRemoved::departure_seen`).
pub fn departure_seen(conn: &Connection, subject: &str) -> rusqlite::Result<Option<Hlc>> {
    let text: Option<Option<String>> = conn
        .prepare_cached("SELECT departure_seen FROM merged_person WHERE id = ?1")?
        .query_row([subject], |r| r.get(0))
        .optional()?;
    text.flatten().map(|t| serde_json::from_str(&t)).transpose().map_err(json_error)
}

fn json_error(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}
