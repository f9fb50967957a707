//! The `person` table: the members of each household, in household order.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use samanvaya_domain::name_key::name_key;
use samanvaya_domain::{Departure, HouseholdId, LeftReason, Person, PersonId, Relation, Sex};

use crate::sql;

pub fn for_household(conn: &Connection, household: HouseholdId) -> rusqlite::Result<Vec<Person>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, relation, sex, birth_date, birth_date_estimated, left_reason, left_on
         FROM person WHERE household_id = ?1 ORDER BY position",
    )?;
    stmt.query_map([household.to_string()], |r| {
        Ok(Person {
            id: sql::id(r, 0)?,
            name: r.get(1)?,
            relation: sql::name(r, 2, Relation::parse)?,
            sex: sql::name(r, 3, Sex::parse)?,
            birth_date: r.get(4)?,
            birth_date_estimated: r.get(5)?,
            left: match (r.get::<_, Option<String>>(6)?, r.get::<_, Option<chrono::NaiveDate>>(7)?) {
                (Some(reason), Some(on)) => Some(Departure {
                    reason: LeftReason::parse(&reason).ok_or_else(|| {
                        rusqlite::Error::FromSqlConversionFailure(
                            6,
                            rusqlite::types::Type::Text,
                            format!("unknown left_reason {reason:?}").into(),
                        )
                    })?,
                    on,
                }),
                _ => None,
            },
        })
    })?
    .collect()
}

/// Makes the stored members of `household` exactly `members`, in that order.
///
/// Members are updated in place rather than deleted and re-inserted, because later records
/// (referrals, survey answers) will point at a person's id. A member's shared position is kept
/// as it was; a new member's is her place here, until the caller says otherwise.
pub fn replace_all(conn: &Connection, household: HouseholdId, members: &[Person]) -> rusqlite::Result<()> {
    let hid = household.to_string();
    let keep: Vec<String> = members.iter().map(|m| m.id.to_string()).collect();
    let mut existing = conn.prepare_cached("SELECT id FROM person WHERE household_id = ?1")?;
    let stored: Vec<String> = existing.query_map([&hid], |r| r.get(0))?.collect::<Result<_, _>>()?;
    // A member removed leaves her readings and, set aside, her answers: a merge made elsewhere
    // may still name her (`removed_member.rs`).
    let gone: Vec<&String> = stored.iter().filter(|id| !keep.contains(id)).collect();
    let before = if gone.is_empty() { Vec::new() } else { for_household(conn, household)? };
    for id in gone {
        if let Some(p) = before.iter().find(|p| p.id.to_string() == *id) {
            crate::removed_member::set_aside(conn, household, p.id, p.left)?;
        }
        crate::field_clock::keep_fact_readings(conn, id)?;
        crate::fact::forget_subject(conn, id)?;
        conn.execute("DELETE FROM person WHERE id = ?1", [id])?;
    }
    // Move surviving rows out of the way first, so reordering never trips UNIQUE(household, position).
    conn.execute("UPDATE person SET position = -1 - position WHERE household_id = ?1", [&hid])?;
    let mut upsert = conn.prepare_cached(
        "INSERT INTO person (id, household_id, position, name, name_key, relation, sex,
                             birth_date, birth_date_estimated, left_reason, left_on, shared_position)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?3)
         ON CONFLICT (id) DO UPDATE SET
             position = excluded.position, name = excluded.name, name_key = excluded.name_key,
             relation = excluded.relation, sex = excluded.sex, birth_date = excluded.birth_date,
             birth_date_estimated = excluded.birth_date_estimated,
             left_reason = excluded.left_reason, left_on = excluded.left_on
         WHERE household_id = excluded.household_id",
    )?;
    for (position, m) in members.iter().enumerate() {
        let changed = upsert.execute(params![
            m.id.to_string(),
            hid,
            position as i64,
            m.name,
            name_key(&m.name),
            m.relation.as_str(),
            m.sex.as_str(),
            m.birth_date,
            m.birth_date_estimated,
            m.left.map(|l| l.reason.as_str()),
            m.left.map(|l| l.on),
        ])?;
        if changed == 0 {
            // The id belongs to a member of another household; the caller checked, so this is damage.
            return Err(rusqlite::Error::StatementChangedRows(0));
        }
    }
    Ok(())
}

/// The shared position of each member of `household` that has one (see local migration 0038).
/// Whether `id` is the record of a member of some household here.
pub fn is_member(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM person WHERE id = ?1")?.exists([id])
}

pub fn shared_positions(
    conn: &Connection,
    household: HouseholdId,
) -> rusqlite::Result<HashMap<PersonId, i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, shared_position FROM person WHERE household_id = ?1 AND shared_position IS NOT NULL",
    )?;
    stmt.query_map([household.to_string()], |r| Ok((sql::id(r, 0)?, r.get(1)?)))?.collect()
}

/// Makes each member's shared position her place in the household: after a change made here,
/// which sent a position for every member whose shared position was not her place.
pub fn share_order(conn: &Connection, household: HouseholdId) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE person SET shared_position = position WHERE household_id = ?1",
        [household.to_string()],
    )?;
    Ok(())
}

/// Keeps a member's position as a server sent it.
pub fn set_shared_position(conn: &Connection, member: PersonId, position: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE person SET shared_position = ?2 WHERE id = ?1",
        params![member.to_string(), position],
    )?;
    Ok(())
}
