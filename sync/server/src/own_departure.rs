//! The record kept by merges goes back from a departure a later merge says was seen.
//!
//! A merge's maker names the reading of the removed record's departure she saw
//! (`MemberRemoved::departure_seen`); the record kept takes only a later one, and every server
//! keeps the latest reading seen across the merges naming the record (`state.rs`). Two
//! supervisors may merge one record unseen of each other, one having seen her departure and the
//! other not. A server that got the departure between the two merges had given it to the record
//! kept already: when the merge that saw it arrives, the record kept goes back to the latest of
//! its own departure and of the other records' that no merge saw, as a server that got them in
//! another order holds (the simulation's seed 13). What each record had written of itself is
//! read from the changes the server keeps: the rows hold only what they show. The laptops do
//! the same from a table of their own (`core/src/own_departure.rs`).

use std::collections::HashMap;

use samanvaya_domain::change::{ChangeBody, MemberField};
use samanvaya_domain::{Departure, Hlc};

use crate::error::ServerError;
use crate::field_clocks::{FieldClocks, Written};
use crate::sql::{Db, Value, args};
use crate::state::{DEPARTURE, DEPARTURE_SEEN};

/// After a merge that named a record made one with `kept` of household `hid`: where `kept`
/// shows the departure of a record made one with it that a merge now says its maker saw, it
/// goes back to the latest of its own and of the others' that no merge saw.
pub(crate) fn settle(db: &mut dyn Db, hid: &str, kept: &str) -> Result<(), ServerError> {
    let Some(row) = db.query_opt("SELECT clocks FROM member WHERE id = ?1 AND removed = 0", args![kept])?
    else {
        return Ok(());
    };
    let mut clocks = FieldClocks::from_text(&row.text(0)?)?;
    let Some(shown) = clocks.get(DEPARTURE).map(|w| w.hlc) else { return Ok(()) };
    let merged: Vec<(String, Option<Hlc>)> = db
        .query("SELECT id, clocks FROM member WHERE merged_into = ?1", args![kept])?
        .iter()
        .map(|r| Ok((r.text(0)?, FieldClocks::from_text(&r.text(1)?)?.get(DEPARTURE_SEEN).map(|w| w.hlc))))
        .collect::<Result<_, ServerError>>()?;
    let seen_since = |own: &HashMap<String, Own>| {
        merged.iter().any(|(id, seen)| {
            own.get(id).is_some_and(|o| o.written.hlc == shown && seen.is_some_and(|s| o.written.hlc <= s))
        })
    };
    // Cheap first: the departure shown must be one of the removed records' to be taken back.
    if merged.iter().all(|(_, seen)| seen.is_none_or(|s| shown > s)) {
        return Ok(());
    }
    let own = written_of_themselves(db, hid)?;
    if !seen_since(&own) {
        return Ok(());
    }
    let mut latest = own.get(kept);
    for (id, seen) in &merged {
        if let Some(o) = own.get(id)
            && seen.is_none_or(|s| o.written.hlc > s)
            && latest.is_none_or(|l| o.written.hlc > l.written.hlc)
        {
            latest = Some(o);
        }
    }
    let left: Value = match latest.and_then(|o| o.left) {
        Some(l) => serde_json::to_string(&l)?.into(),
        None => Value::Null,
    };
    match latest {
        Some(o) => clocks.insert(DEPARTURE.to_owned(), o.written),
        None => clocks.remove(DEPARTURE),
    }
    db.execute(
        "UPDATE member SET left_household = ?2, clocks = ?3 WHERE id = ?1",
        &[Value::from(kept), left, Value::from(clocks.to_text()?)],
    )?;
    Ok(())
}

/// Every record of household `hid` a merge made one with `record`, or with one of those, as
/// the merges named them (the changes kept here; `member.merged_into` points each at the
/// record left now, which a later merge of a record in between cannot reach through), and
/// those pointing at `record` now.
pub(crate) fn made_one_with(db: &mut dyn Db, hid: &str, record: &str) -> Result<Vec<String>, ServerError> {
    let mut named: HashMap<String, Vec<String>> = HashMap::new();
    let rows = db.query(
        "SELECT version, hlc, kind, change FROM change
         WHERE household_id = ?1 AND kind = 'member_removed' AND outcome = 'applied'",
        args![hid],
    )?;
    for r in &rows {
        let change = crate::stored_change::read(r.int(0)?, &r.text(1)?, &r.text(2)?, &r.text(3)?)?;
        if let ChangeBody::MemberRemoved(c) = &change.body
            && let Some(kept) = c.merged_into
        {
            named.entry(kept.0.to_string()).or_default().push(c.id.0.to_string());
        }
    }
    let pointing: Vec<String> = db
        .query("SELECT id FROM member WHERE merged_into = ?1", args![record])?
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<_, _>>()?;
    let mut found: Vec<String> = Vec::new();
    let mut next: Vec<String> = pointing;
    next.extend(named.get(record).into_iter().flatten().cloned());
    while let Some(id) = next.pop() {
        // Two merges each into the other name each other: each record is visited once.
        if id == record || found.contains(&id) {
            continue;
        }
        next.extend(named.get(&id).into_iter().flatten().cloned());
        found.push(id);
    }
    Ok(found)
}

/// The latest departure a change kept here wrote of a member itself.
struct Own {
    left: Option<Departure>,
    written: Written,
}

/// The latest departure written of each member of household `hid` itself, as named by the
/// changes applied here, a name of one put up for review included (one refused was older than
/// what a merge saw, so never the record kept's).
fn written_of_themselves(db: &mut dyn Db, hid: &str) -> Result<HashMap<String, Own>, ServerError> {
    let rows = db.query(
        "SELECT seq, version, hlc, kind, change FROM change
         WHERE household_id = ?1 AND kind = 'member' AND (outcome = 'applied' OR outcome LIKE 'conflict:%')",
        args![hid],
    )?;
    let mut own: HashMap<String, Own> = HashMap::new();
    for r in &rows {
        let change = crate::stored_change::read(r.int(1)?, &r.text(2)?, &r.text(3)?, &r.text(4)?)?;
        let ChangeBody::Member(c) = &change.body else { continue };
        let Some(left) = c.fields.iter().find_map(|f| match f {
            MemberField::Left(l) => Some(*l),
            _ => None,
        }) else {
            continue;
        };
        let written = Written { hlc: change.hlc, seq: r.int(0)? };
        let id = c.id.0.to_string();
        if own.get(&id).is_none_or(|o| o.written.hlc < written.hlc) {
            own.insert(id, Own { left, written });
        }
    }
    Ok(own)
}
