//! The `fact` and `receiving` tables: what is known of a household and its members beyond the
//! person record, and which schemes they already receive.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use samanvaya_domain::change::{ChangeBody, FactChange, ReceivingChange, Source};
use samanvaya_domain::{Household, HouseholdId};
use samanvaya_eligibility::record::{RecordedFact, RecordedReceiving};

/// The rows of `table` (`fact_row` or `receiving_row`, by its alias) whose subject is the id (as
/// text) in `column`: its 16 bytes, or its text where it is not an id in the app's form (local
/// migrations 0030 and 0032 keep such a one as text).
pub(crate) fn of_subject(table: &str, column: &str) -> String {
    format!("{table}.subject IN (unhex(replace({column}, '-', '')), {column})")
}

/// The subjects of household `?1`: the household itself and every member recorded in it, whose
/// facts are then read through the table's primary key (local migration 0023 dropped the index of
/// facts by household). Facts come out by subject and name.
fn of_household() -> String {
    of_subjects(HOUSEHOLD_SUBJECTS)
}

/// The subjects of household `?1`, as [`of_household`] reads them.
const HOUSEHOLD_SUBJECTS: &str = "SELECT ?1 UNION ALL SELECT id FROM person WHERE household_id = ?1";

/// One subject, `?1`, whether or not she is a member recorded here.
const ONE_SUBJECT: &str = "SELECT ?1";

/// The facts of the subjects `subjects` lists (a query binding `?1`), by subject and name.
fn of_subjects(subjects: &str) -> String {
    format!(
        "WITH subject(id) AS ({subjects})
         SELECT s.id, n.name, f.value, f.source FROM subject s JOIN fact_row f ON {}
         JOIN fact_name n ON n.id = f.name",
        of_subject("f", "s.id")
    )
}

pub fn for_household(conn: &Connection, household: &str) -> rusqlite::Result<Vec<RecordedFact>> {
    let mut stmt = conn.prepare_cached(&format!("{} ORDER BY s.id, n.name", of_household()))?;
    stmt.query_map([household], |r| {
        Ok(RecordedFact { subject_id: r.get(0)?, name: r.get(1)?, value: r.get(2)? })
    })?
    .collect()
}

/// Records fact `name` of `subject` (a member's or the household's id).
pub fn set(
    conn: &Connection,
    subject: &str,
    name: &str,
    value_json: &str,
    source: Source,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let name = crate::numbered::number(conn, "fact_name", "name", &name)?;
    conn.prepare_cached(
        "INSERT INTO fact_row (subject, name, value, source, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (subject, name) DO UPDATE SET
             value = excluded.value, source = excluded.source, recorded_at = excluded.recorded_at",
    )?
    .execute(params![
        crate::stored_id::key(subject),
        name,
        value_json,
        source_code(source),
        now.timestamp_millis()
    ])?;
    Ok(())
}

/// The facts of a household that were asked and not known, as (subject id, fact name).
pub fn asked_unknown(conn: &Connection, household: &str) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt =
        conn.prepare_cached(&format!("{} WHERE f.value = 'null' ORDER BY s.id, n.name", of_household()))?;
    stmt.query_map([household], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
}

/// Forgets everything recorded about a person who is no longer a member.
pub fn forget_subject(conn: &Connection, subject: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM fact_row WHERE subject = ?1", [crate::stored_id::key(subject)])?;
    conn.execute("DELETE FROM receiving_row WHERE subject = ?1", [crate::stored_id::key(subject)])?;
    Ok(())
}

/// The benefits the household `?1` and its members receive, as (subject id, scheme, source),
/// read through its subjects as the facts are (local migration 0032).
fn receiving_of_household() -> String {
    receiving_of_subjects(HOUSEHOLD_SUBJECTS)
}

/// The benefits the subjects `subjects` lists receive, as [`receiving_of_household`].
fn receiving_of_subjects(subjects: &str) -> String {
    format!(
        "WITH subject(id) AS ({subjects})
         SELECT s.id, r.scheme_code, r.source FROM subject s JOIN receiving_row r ON {}
         ORDER BY s.id, r.scheme_code",
        of_subject("r", "s.id")
    )
}

pub fn receiving_for_household(
    conn: &Connection,
    household: &str,
) -> rusqlite::Result<Vec<RecordedReceiving>> {
    let mut stmt = conn.prepare_cached(&receiving_of_household())?;
    stmt.query_map([household], |r| Ok(RecordedReceiving { subject_id: r.get(0)?, scheme: r.get(1)? }))?
        .collect()
}

/// Records that `subject` (a member's id) receives `scheme`; kept as it was if already known.
pub fn add_receiving(
    conn: &Connection,
    subject: &str,
    scheme: &str,
    source: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO receiving_row (subject, scheme_code, source, recorded_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![crate::stored_id::key(subject), scheme, source, now.timestamp_millis()])?;
    Ok(())
}

/// Everything recorded of `h` beyond its record, as changes with the source each was learnt
/// from: what a store upgraded from the outbox queues again.
pub fn snapshot(conn: &Connection, h: &Household) -> rusqlite::Result<Vec<ChangeBody>> {
    snapshot_of(conn, h.id)
}

/// As [`snapshot`], by the household's id.
pub fn snapshot_of(conn: &Connection, household: HouseholdId) -> rusqlite::Result<Vec<ChangeBody>> {
    snapshot_through(conn, household, HOUSEHOLD_SUBJECTS, &household.to_string())
}

/// As [`snapshot_of`], of one subject of `household`: a member, or one whose answers were
/// pulled before her record (which a restored block may never send).
pub fn snapshot_of_subject(
    conn: &Connection,
    household: HouseholdId,
    subject: &str,
) -> rusqlite::Result<Vec<ChangeBody>> {
    snapshot_through(conn, household, ONE_SUBJECT, subject)
}

/// What is recorded of the subjects `subjects` lists, bound to `param`, all of `household`.
fn snapshot_through(
    conn: &Connection,
    household: HouseholdId,
    subjects: &str,
    param: &str,
) -> rusqlite::Result<Vec<ChangeBody>> {
    let mut out = Vec::new();
    let mut facts = conn.prepare(&format!("{} ORDER BY s.id, n.name", of_subjects(subjects)))?;
    let rows = facts.query_map([param], |r| {
        let (value, source): (String, i64) = (r.get(2)?, r.get(3)?);
        Ok(ChangeBody::Fact(FactChange {
            household_id: household,
            subject_id: r.get(0)?,
            name: r.get(1)?,
            value: serde_json::from_str(&value).ok(),
            source: source_of_code(source),
        }))
    })?;
    for row in rows {
        out.push(row?);
    }
    let mut receiving = conn.prepare(&receiving_of_subjects(subjects))?;
    let rows = receiving.query_map([param], |r| {
        let source: String = r.get(2)?;
        Ok(ChangeBody::Receiving(ReceivingChange {
            household_id: household,
            subject_id: r.get(0)?,
            scheme: r.get(1)?,
            receiving: true,
            source: source_of(&source),
        }))
    })?;
    for row in rows {
        out.push(row?);
    }
    Ok(out)
}

/// A fact's source as `fact_row` keeps it (local migration 0033): 0 and 1, the commonest, take
/// no byte of the row.
fn source_code(source: Source) -> i64 {
    match source {
        Source::Screening => 0,
        Source::Survey => 1,
        Source::Document => 2,
        Source::Demo => 3,
    }
}

fn source_of_code(code: i64) -> Source {
    match code {
        1 => Source::Survey,
        2 => Source::Document,
        3 => Source::Demo,
        _ => Source::Screening,
    }
}

fn source_of(text: &str) -> Source {
    match text {
        "survey" => Source::Survey,
        "document" => Source::Document,
        "demo" => Source::Demo,
        _ => Source::Screening,
    }
}

pub fn remove_receiving(conn: &Connection, subject: &str, scheme: &str) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM receiving_row WHERE subject = ?1 AND scheme_code = ?2",
        params![crate::stored_id::key(subject), scheme],
    )?;
    Ok(())
}
