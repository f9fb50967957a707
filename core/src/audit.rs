//! The `audit` table: who did what, each row chained to the one before by a hash, so that a
//! row edited or removed afterwards is found. Rows are written in the same transaction as what
//! they record. Who is the account that unlocked the store, kept for the connection's lifetime
//! in a temporary table so that every writer finds it without passing it around.

use chrono::{DateTime, Utc};
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
    let at = at.to_rfc3339();
    let h = hash(&prev, seq, &at, &who, action, detail);
    conn.prepare_cached(
        "INSERT INTO audit (seq, at, who, action, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![seq, at, who, action, detail, h])?;
    Ok(())
}

/// Up to `limit` entries after `after`, in order: what travels to the block with the sync.
pub fn after(conn: &Connection, after: i64, limit: usize) -> rusqlite::Result<Vec<AuditEntry>> {
    conn.prepare_cached(
        "SELECT seq, at, who, action, detail, hash FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?
    .query_map(params![after, limit as i64], |r| {
        Ok(AuditEntry {
            seq: r.get(0)?,
            at: r.get(1)?,
            who: r.get(2)?,
            action: r.get(3)?,
            detail: r.get(4)?,
            hash: r.get(5)?,
        })
    })?
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
    let mut stmt = conn.prepare("SELECT seq, at, who, action, detail, hash FROM audit ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    let (mut prev, mut expected, mut count) = (Vec::new(), 1i64, 0i64);
    while let Some(r) = rows.next()? {
        let (seq, at, who, action, detail, stored): (i64, String, String, String, String, Vec<u8>) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
        if seq != expected || hash(&prev, seq, &at, &who, &action, &detail) != stored {
            return Ok(Verdict::BrokenAt(seq));
        }
        prev = stored;
        expected += 1;
        count += 1;
    }
    Ok(Verdict::Intact(count))
}
