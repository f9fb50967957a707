//! The `audit` table: who did what, each row chained to the one before by a hash, so that a
//! row edited or removed afterwards is found. Rows are written in the same transaction as what
//! they record. Who is the account that unlocked the store, kept for the connection's lifetime
//! in a temporary table so that every writer finds it without passing it around.
//!
//! Rows are kept compactly (local migration 0025): the account and the action as numbers of
//! `audit_name`, the detail as an id's 16 bytes, the moment as nanoseconds. Every row reads back
//! as the text its hash covers (`row`), so the chain is checked and sent as it was written.

use chrono::{DateTime, Utc};
use rusqlite::types::{FromSqlError, Type, Value};
use rusqlite::{Connection, OptionalExtension, params};
use samanvaya_domain::audit::{AuditEntry, link as hash};

/// Remembers, for this connection only, who unlocked the store.
pub fn begin_session(conn: &Connection, who: &str) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS audit_session (who TEXT NOT NULL); DELETE FROM temp.audit_session;",
    )?;
    conn.execute("INSERT INTO temp.audit_session (who) VALUES (?1)", [who])?;
    Ok(())
}

/// The number `audit_name` keeps for an account or an action, added when new.
fn name_number(conn: &Connection, text: &str) -> rusqlite::Result<i64> {
    let held = conn
        .prepare_cached("SELECT id FROM audit_name WHERE text = ?1")?
        .query_row([text], |r| r.get(0))
        .optional()?;
    match held {
        Some(id) => Ok(id),
        None => {
            conn.prepare_cached("INSERT INTO audit_name (text) VALUES (?1)")?.execute([text])?;
            Ok(conn.last_insert_rowid())
        }
    }
}

/// A moment as the log keeps it: its nanoseconds, from which chrono gives back exactly the text
/// hashed (`to_rfc3339` is a function of the moment alone); its text only past the year 2262,
/// beyond what nanoseconds count.
fn moment_key(at: DateTime<Utc>) -> Value {
    at.timestamp_nanos_opt().map_or_else(|| Value::Text(at.to_rfc3339()), Value::Integer)
}

/// The text of a moment kept by [`moment_key`] or by migration 0025.
fn moment_text(value: Value) -> Result<String, FromSqlError> {
    match value {
        Value::Integer(n) => Ok(DateTime::<Utc>::from_timestamp_nanos(n).to_rfc3339()),
        Value::Text(text) => Ok(text),
        _ => Err(FromSqlError::InvalidType),
    }
}

/// The columns that read a row back as its text. A name removed from `audit_name` reads as
/// empty, so that the row's hash no longer matches and `verify` finds it, rather than the row
/// dropping out of the chain unseen.
const ROW: &str =
    "SELECT a.seq, a.at, coalesce(w.text, ''), coalesce(x.text, ''), a.detail, a.hash FROM audit a
     LEFT JOIN audit_name w ON w.id = a.who LEFT JOIN audit_name x ON x.id = a.action";

/// One row as its text.
fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    let kept = |i: usize, read: fn(Value) -> Result<String, FromSqlError>| -> rusqlite::Result<String> {
        read(r.get(i)?).map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, Type::Blob, Box::new(e)))
    };
    Ok(AuditEntry {
        seq: r.get(0)?,
        at: kept(1, moment_text)?,
        who: r.get(2)?,
        action: r.get(3)?,
        detail: kept(4, crate::stored_id::text)?,
        hash: r.get(5)?,
    })
}

/// Appends one row: `action` (e.g. `change:household`, `backup`, `export:worklist`) and its
/// `detail` (ids and codes only).
pub fn append(conn: &Connection, action: &str, detail: &str, at: DateTime<Utc>) -> rusqlite::Result<()> {
    let who: String = conn
        .query_row("SELECT who FROM temp.audit_session", [], |r| r.get(0))
        .optional()
        .unwrap_or(None)
        .unwrap_or_else(|| "(system)".to_owned());
    let last: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev) = last.map_or((1, Vec::new()), |(s, h)| (s + 1, h));
    let text = at.to_rfc3339();
    let h = hash(&prev, seq, &text, &who, action, detail);
    conn.prepare_cached(
        "INSERT INTO audit (seq, at, who, action, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        seq,
        moment_key(at),
        name_number(conn, &who)?,
        name_number(conn, action)?,
        crate::stored_id::key(detail),
        h
    ])?;
    Ok(())
}

/// Up to `limit` entries after `after`, in order: what travels to the block with the sync.
pub fn after(conn: &Connection, after: i64, limit: usize) -> rusqlite::Result<Vec<AuditEntry>> {
    conn.prepare_cached(&format!("{ROW} WHERE a.seq > ?1 ORDER BY a.seq LIMIT ?2"))?
        .query_map(params![after, limit as i64], row)?
        .collect()
}

/// What checking the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every row follows from the one before: this many rows.
    Intact(i64),
    /// The first row that does not follow from the one before it (edited, inserted, or the row
    /// before it removed).
    BrokenAt(i64),
}

/// Walks the chain from the first row.
pub fn verify(conn: &Connection) -> rusqlite::Result<Verdict> {
    let mut stmt = conn.prepare(&format!("{ROW} ORDER BY a.seq"))?;
    let mut rows = stmt.query([])?;
    let (mut prev, mut expected, mut count) = (Vec::new(), 1i64, 0i64);
    while let Some(r) = rows.next()? {
        let e = row(r)?;
        if e.seq != expected || hash(&prev, e.seq, &e.at, &e.who, &e.action, &e.detail) != e.hash {
            return Ok(Verdict::BrokenAt(e.seq));
        }
        prev = e.hash;
        expected += 1;
        count += 1;
    }
    Ok(Verdict::Intact(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Migration 0025 turns these texts into these numbers (`schema/src/migrate.rs` checks that
    /// half); here the numbers give back the same texts, as chrono writes each moment.
    #[test]
    fn a_moment_kept_as_nanoseconds_reads_back_as_the_text_hashed() {
        for (text, nanos) in [
            ("2026-12-01T05:00:00+00:00", 1_796_101_200_000_000_000i64),
            ("2026-12-01T05:00:00.120+00:00", 1_796_101_200_120_000_000),
            ("2026-12-01T05:00:00.123456+00:00", 1_796_101_200_123_456_000),
            ("2026-12-01T05:00:00.123456789+00:00", 1_796_101_200_123_456_789),
        ] {
            assert_eq!(moment_text(Value::Integer(nanos)).unwrap(), text);
            let at = DateTime::<Utc>::from_timestamp_nanos(nanos);
            assert_eq!(at.to_rfc3339(), text);
            assert_eq!(moment_key(at), Value::Integer(nanos));
        }
        // Past what nanoseconds count, the text itself, read back as it is.
        let far = DateTime::parse_from_rfc3339("2300-01-01T00:00:00.5+00:00").unwrap().to_utc();
        assert_eq!(moment_key(far), Value::Text("2300-01-01T00:00:00.500+00:00".into()));
        assert_eq!(moment_text(moment_key(far)).unwrap(), far.to_rfc3339());
    }
}
