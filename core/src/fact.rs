//! The `fact` and `receiving` tables: what is known of a household and its members beyond the
//! person record, and which schemes they already receive.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

/// One stored fact: whose it is, its full name, and its value as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactRow {
    pub subject_id: String,
    pub name: String,
    pub value: String,
}

pub fn for_household(conn: &Connection, household: &str) -> rusqlite::Result<Vec<FactRow>> {
    let mut stmt = conn.prepare_cached("SELECT subject_id, name, value FROM fact WHERE household_id = ?1")?;
    stmt.query_map([household], |r| Ok(FactRow { subject_id: r.get(0)?, name: r.get(1)?, value: r.get(2)? }))?
        .collect()
}

/// Every fact of the store, ordered by household, for whole-village evaluation.
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<(String, FactRow)>> {
    let mut stmt =
        conn.prepare("SELECT household_id, subject_id, name, value FROM fact ORDER BY household_id")?;
    stmt.query_map([], |r| {
        Ok((r.get(0)?, FactRow { subject_id: r.get(1)?, name: r.get(2)?, value: r.get(3)? }))
    })?
    .collect()
}

pub fn set(
    conn: &Connection,
    household: &str,
    subject: &str,
    name: &str,
    value_json: &str,
    source: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO fact (subject_id, household_id, name, value, source, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (subject_id, name) DO UPDATE SET
             value = excluded.value, source = excluded.source, recorded_at = excluded.recorded_at",
    )?
    .execute(params![subject, household, name, value_json, source, now])?;
    Ok(())
}

pub fn clear(conn: &Connection, subject: &str, name: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM fact WHERE subject_id = ?1 AND name = ?2", [subject, name])?;
    Ok(())
}

/// Forgets everything recorded about a person who is no longer a member.
pub fn forget_subject(conn: &Connection, subject: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM fact WHERE subject_id = ?1", [subject])?;
    conn.execute("DELETE FROM receiving WHERE subject_id = ?1", [subject])?;
    Ok(())
}

pub fn receiving_for_household(
    conn: &Connection,
    household: &str,
) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt =
        conn.prepare_cached("SELECT subject_id, scheme_code FROM receiving WHERE household_id = ?1")?;
    stmt.query_map([household], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
}

pub fn all_receiving(conn: &Connection) -> rusqlite::Result<Vec<(String, String, String)>> {
    let mut stmt =
        conn.prepare("SELECT household_id, subject_id, scheme_code FROM receiving ORDER BY household_id")?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect()
}

pub fn add_receiving(
    conn: &Connection,
    household: &str,
    subject: &str,
    scheme: &str,
    source: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO receiving (subject_id, household_id, scheme_code, source, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![subject, household, scheme, source, now])?;
    Ok(())
}
