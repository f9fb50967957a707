//! The `field_clock` table: the clock reading of the latest write of each mutable field, made on
//! this laptop or pulled, so that a pulled write applies only where it is later than what the
//! laptop holds. This is the laptop's half of the field-by-field merge: the servers keep the later
//! write of each field (`sync/server/src/state.rs`), and with this every laptop keeps the same
//! one, so two laptops editing one household end equal with their block, whichever syncs first.
//!
//! A reading is kept compactly (local migration 0024): its wall time and counter as integers,
//! its device as a number of `clock_node`, the record as its id's 16 bytes and the field as a
//! number of `clock_field`. Readings still compare as `Hlc` does, the device's id breaking ties.
//! A fact's reading is kept in the fact's own row (local migration 0031).

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

use crate::numbered::number;
use samanvaya_domain::Hlc;
use samanvaya_domain::change::{Change, ChangeBody, HouseholdField, MemberField};
use uuid::Uuid;

/// The reading held for the field numbered `field` of `record`, if any.
fn held(conn: &Connection, record: &Value, field: i64) -> rusqlite::Result<Option<Hlc>> {
    conn.prepare_cached(
        "SELECT f.wall, f.counter, n.node FROM field_clock f JOIN clock_node n ON n.id = f.node
         WHERE f.record = ?1 AND f.field = ?2",
    )?
    .query_row(params![record, field], |r| {
        let node: Vec<u8> = r.get(2)?;
        Ok(Hlc { wall_ms: r.get(0)?, counter: r.get(1)?, node: Uuid::from_slice(&node).unwrap_or_default() })
    })
    .optional()
}

fn household_field(f: &HouseholdField) -> &'static str {
    match f {
        HouseholdField::Number(_) => "number",
        HouseholdField::HamletId(_) => "hamlet_id",
        HouseholdField::Address(_) => "address",
        HouseholdField::Phone(_) => "phone",
        HouseholdField::Consent(_) => "consent",
    }
}

fn member_field(f: &MemberField) -> &'static str {
    match f {
        MemberField::Position(_) => "position",
        MemberField::Name(_) => "name",
        MemberField::Relation(_) => "relation",
        MemberField::Sex(_) => "sex",
        MemberField::BirthDate(_) => "birth_date",
        MemberField::BirthDateEstimated(_) => "birth_date_estimated",
        MemberField::Left(_) => "left",
    }
}

/// The (record, field) pairs a change writes; empty for the changes that do not merge by field
/// (a removal, a submission, a referral and its events).
fn fields(body: &ChangeBody) -> Vec<(String, String)> {
    match body {
        ChangeBody::Household(c) => {
            c.fields.iter().map(|f| (c.id.to_string(), household_field(f).to_owned())).collect()
        }
        ChangeBody::Member(c) => {
            c.fields.iter().map(|f| (c.id.to_string(), member_field(f).to_owned())).collect()
        }
        ChangeBody::Fact(c) => vec![(c.subject_id.clone(), format!("fact:{}", c.name))],
        ChangeBody::Receiving(c) => vec![(c.subject_id.clone(), format!("receiving:{}", c.scheme))],
        _ => Vec::new(),
    }
}

/// A fact's row, if the laptop holds one, with its reading (local migration 0031 keeps a fact's
/// reading in its row): `None` when there is no row, `Some(None)` for a row never stamped (a
/// demo's, or one from before the field clocks).
fn fact_row_reading(conn: &Connection, subject: &Value, name: &str) -> rusqlite::Result<Option<Option<Hlc>>> {
    conn.prepare_cached(
        "SELECT f.wall, f.counter, n.node FROM fact_row f LEFT JOIN clock_node n ON n.id = f.node
         WHERE f.subject = ?1 AND f.name = (SELECT id FROM fact_name WHERE name = ?2)",
    )?
    .query_row(params![subject, name], |r| {
        let (wall, counter, node): (Option<i64>, Option<u32>, Option<Vec<u8>>) =
            (r.get(0)?, r.get(1)?, r.get(2)?);
        Ok(wall.map(|wall_ms| Hlc {
            wall_ms,
            counter: counter.unwrap_or(0),
            node: node.and_then(|n| Uuid::from_slice(&n).ok()).unwrap_or_default(),
        }))
    })
    .optional()
}

/// The reading of fact `name` of `subject`: its row's, or else the one `field_clock` keeps
/// (of a member removed after it was recorded, or from before migration 0031).
fn fact_reading(conn: &Connection, subject: &Value, name: &str) -> rusqlite::Result<Option<Hlc>> {
    if let Some(Some(hlc)) = fact_row_reading(conn, subject, name)? {
        return Ok(Some(hlc));
    }
    reading(conn, subject, &format!("fact:{name}"))
}

/// Keeps the readings of `subject`'s facts in `field_clock` before her fact rows go (a member
/// removed from her household): an older write of one of them pulled later then does not bring
/// it back. An erasure forgets them instead (`forget`).
pub fn keep_fact_readings(conn: &Connection, subject: &str) -> rusqlite::Result<()> {
    let subject = crate::stored_id::key(subject);
    conn.prepare_cached(
        "INSERT OR IGNORE INTO clock_field (name)
         SELECT 'fact:' || n.name FROM fact_row f JOIN fact_name n ON n.id = f.name
         WHERE f.subject = ?1 AND f.wall IS NOT NULL",
    )?
    .execute([&subject])?;
    conn.prepare_cached(
        "INSERT INTO field_clock (record, field, wall, counter, node)
         SELECT f.subject, c.id, f.wall, f.counter, f.node
         FROM fact_row f JOIN fact_name n ON n.id = f.name JOIN clock_field c ON c.name = 'fact:' || n.name
         WHERE f.subject = ?1 AND f.wall IS NOT NULL
         ON CONFLICT (record, field) DO UPDATE
         SET wall = excluded.wall, counter = excluded.counter, node = excluded.node",
    )?
    .execute([&subject])?;
    Ok(())
}

/// Notes that `body` was written at `hlc`, keeping for each field the later reading. A fact's
/// reading goes into its row when the laptop holds one (the caller writes the fact first).
pub fn note(conn: &Connection, body: &ChangeBody, hlc: Hlc) -> rusqlite::Result<()> {
    if let ChangeBody::Fact(c) = body {
        let subject = crate::stored_id::key(&c.subject_id);
        if let Some(held) = fact_row_reading(conn, &subject, &c.name)? {
            if held.is_none_or(|held| hlc > held) {
                let node = number(conn, "clock_node", "node", &hlc.node.as_bytes().as_slice())?;
                conn.prepare_cached(
                    "UPDATE fact_row SET wall = ?3, counter = ?4, node = ?5
                     WHERE subject = ?1 AND name = (SELECT id FROM fact_name WHERE name = ?2)",
                )?
                .execute(params![subject, c.name, hlc.wall_ms, hlc.counter, node])?;
            }
            return Ok(());
        }
    }
    let fields = fields(body);
    if fields.is_empty() {
        return Ok(());
    }
    let node = number(conn, "clock_node", "node", &hlc.node.as_bytes().as_slice())?;
    let mut put = conn.prepare_cached(
        "INSERT INTO field_clock (record, field, wall, counter, node) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (record, field) DO UPDATE
         SET wall = excluded.wall, counter = excluded.counter, node = excluded.node",
    )?;
    for (record, field) in fields {
        let record = crate::stored_id::key(&record);
        let field = number(conn, "clock_field", "name", &field)?;
        if held(conn, &record, field)?.is_none_or(|held| hlc > held) {
            put.execute(params![record, field, hlc.wall_ms, hlc.counter, node])?;
        }
    }
    Ok(())
}

/// Puts `kept` in place of `sent` wherever a field of `body` holds `sent`: the server capped the
/// reading of this laptop's change (its clock ran ahead), and a field keeping the reading sent
/// would win here against later writes that every server takes. A field written again since
/// holds another reading and is left alone.
pub fn restamp(conn: &Connection, body: &ChangeBody, sent: Hlc, kept: Hlc) -> rusqlite::Result<()> {
    let node = number(conn, "clock_node", "node", &kept.node.as_bytes().as_slice())?;
    if let ChangeBody::Fact(c) = body {
        let subject = crate::stored_id::key(&c.subject_id);
        if let Some(held) = fact_row_reading(conn, &subject, &c.name)? {
            if held == Some(sent) {
                conn.prepare_cached(
                    "UPDATE fact_row SET wall = ?3, counter = ?4, node = ?5
                     WHERE subject = ?1 AND name = (SELECT id FROM fact_name WHERE name = ?2)",
                )?
                .execute(params![subject, c.name, kept.wall_ms, kept.counter, node])?;
            }
            return Ok(());
        }
    }
    for (record, field) in fields(body) {
        let record = crate::stored_id::key(&record);
        let Some(field) = conn
            .prepare_cached("SELECT id FROM clock_field WHERE name = ?1")?
            .query_row([&field], |r| r.get::<_, i64>(0))
            .optional()?
        else {
            continue;
        };
        if held(conn, &record, field)? == Some(sent) {
            conn.prepare_cached(
                "UPDATE field_clock SET wall = ?3, counter = ?4, node = ?5 WHERE record = ?1 AND field = ?2",
            )?
            .execute(params![record, field, kept.wall_ms, kept.counter, node])?;
        }
    }
    Ok(())
}

/// Whether any field of `record` was written here: a member the laptop holds no row of but a
/// reading of was removed here (a removal keeps her readings; only an erasure forgets them).
pub fn holds_record(conn: &Connection, record: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM field_clock WHERE record = ?1 LIMIT 1")?
        .query_row([crate::stored_id::key(record)], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Forgets every reading of `record` (a person or household erased at her withdrawal).
pub fn forget(conn: &Connection, record: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM field_clock WHERE record = ?1")?
        .execute([crate::stored_id::key(record)])?;
    Ok(())
}

/// The reading `field_clock` holds for the field named `field` of `record`, if any.
fn reading(conn: &Connection, record: &Value, field: &str) -> rusqlite::Result<Option<Hlc>> {
    let Some(field) = conn
        .prepare_cached("SELECT id FROM clock_field WHERE name = ?1")?
        .query_row([field], |r| r.get(0))
        .optional()?
    else {
        // A field never written here holds no reading.
        return Ok(None);
    };
    held(conn, record, field)
}

/// The reading of the latest write of `member`'s departure (a death, a move, or a return),
/// kept after her removal too; `None` for a member recorded as living in the household and
/// never written otherwise, since a member added so sends no departure.
pub fn departure_reading(conn: &Connection, member: &str) -> rusqlite::Result<Option<Hlc>> {
    reading(conn, &crate::stored_id::key(member), member_field(&MemberField::Left(None)))
}

/// Puts `reading` as the reading of `member`'s departure, later or earlier than the one held, or
/// none: the record kept by a merge goes back to an earlier departure when a later merge says
/// the one it showed was seen (`own_departure::settle`).
pub fn put_departure_reading(conn: &Connection, member: &str, reading: Option<Hlc>) -> rusqlite::Result<()> {
    let record = crate::stored_id::key(member);
    let field = number(conn, "clock_field", "name", &member_field(&MemberField::Left(None)))?;
    match reading {
        Some(hlc) => {
            let node = number(conn, "clock_node", "node", &hlc.node.as_bytes().as_slice())?;
            conn.prepare_cached(
                "INSERT INTO field_clock (record, field, wall, counter, node) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (record, field) DO UPDATE
                 SET wall = excluded.wall, counter = excluded.counter, node = excluded.node",
            )?
            .execute(params![record, field, hlc.wall_ms, hlc.counter, node])?;
        }
        None => {
            conn.prepare_cached("DELETE FROM field_clock WHERE record = ?1 AND field = ?2")?
                .execute(params![record, field])?;
        }
    }
    Ok(())
}

/// The reading of the fact or benefit a change writes, as this laptop holds it: `None` for
/// another kind of change, or a fact never stamped (a demo's).
pub fn reading_of(conn: &Connection, body: &ChangeBody) -> rusqlite::Result<Option<Hlc>> {
    match body {
        ChangeBody::Fact(c) => fact_reading(conn, &crate::stored_id::key(&c.subject_id), &c.name),
        ChangeBody::Receiving(c) => {
            reading(conn, &crate::stored_id::key(&c.subject_id), &format!("receiving:{}", c.scheme))
        }
        _ => Ok(None),
    }
}

/// The schemes `subject` was written as receiving or not, with their readings: the laptop keeps
/// no row of a benefit stopped, only its reading.
pub fn receiving_readings(conn: &Connection, subject: &str) -> rusqlite::Result<Vec<(String, Hlc)>> {
    conn.prepare_cached(
        "SELECT substr(c.name, 11), f.wall, f.counter, n.node FROM field_clock f
         JOIN clock_field c ON c.id = f.field JOIN clock_node n ON n.id = f.node
         WHERE f.record = ?1 AND c.name LIKE 'receiving:%'",
    )?
    .query_map([crate::stored_id::key(subject)], |r| {
        let node: Vec<u8> = r.get(3)?;
        Ok((
            r.get(0)?,
            Hlc { wall_ms: r.get(1)?, counter: r.get(2)?, node: Uuid::from_slice(&node).unwrap_or_default() },
        ))
    })?
    .collect()
}

/// Whether a write of `field` of `record` at `hlc` is later than the one the laptop holds.
fn later(conn: &Connection, record: &str, field: &str, hlc: Hlc) -> rusqlite::Result<bool> {
    Ok(reading(conn, &crate::stored_id::key(record), field)?.is_none_or(|held| hlc > held))
}

/// What of a pulled change made at `hlc` is still to apply: the fields the laptop holds an older
/// write of (or none), or `None` when every field it writes holds a later write here. A change
/// that does not merge by field is returned whole.
pub fn newer_part(conn: &Connection, body: &ChangeBody, hlc: Hlc) -> rusqlite::Result<Option<ChangeBody>> {
    let out = match body {
        ChangeBody::Household(c) => {
            let id = c.id.to_string();
            let mut kept = c.clone();
            kept.fields.clear();
            for f in &c.fields {
                if later(conn, &id, household_field(f), hlc)? {
                    kept.fields.push(f.clone());
                }
            }
            // The household's record itself (its village) always applies: a change with no
            // field left still creates a household the laptop has not seen.
            Some(ChangeBody::Household(kept))
        }
        ChangeBody::Member(c) => {
            let id = c.id.to_string();
            let mut kept = c.clone();
            kept.fields.clear();
            for f in &c.fields {
                if later(conn, &id, member_field(f), hlc)? {
                    kept.fields.push(f.clone());
                }
            }
            (!kept.fields.is_empty()).then_some(ChangeBody::Member(kept))
        }
        ChangeBody::Fact(c) => fact_reading(conn, &crate::stored_id::key(&c.subject_id), &c.name)?
            .is_none_or(|held| hlc > held)
            .then(|| body.clone()),
        ChangeBody::Receiving(c) => {
            later(conn, &c.subject_id, &format!("receiving:{}", c.scheme), hlc)?.then(|| body.clone())
        }
        _ => Some(body.clone()),
    };
    Ok(out)
}

/// Fills the table from the change log, once, for a store from before it existed: every change
/// still in the log, made here or pulled, in the order it was applied.
pub fn fill_once(conn: &mut Connection) -> rusqlite::Result<()> {
    let filled: bool = conn
        .query_row("SELECT field_clocks_filled FROM centre WHERE id = 1", [], |r| r.get(0))
        .optional()?
        .unwrap_or(true);
    if filled {
        return Ok(());
    }
    let tx = conn.transaction()?;
    let changes: Vec<String> = tx
        .prepare("SELECT change FROM change_log ORDER BY seq")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for text in changes {
        // A change of a kind this version cannot read is skipped: it was not applied either.
        if let Ok(change) = serde_json::from_str::<Change>(&text) {
            note(&tx, &change.body, change.hlc)?;
        }
    }
    tx.execute("UPDATE centre SET field_clocks_filled = 1 WHERE id = 1", [])?;
    tx.commit()
}
