//! The `audit` table: who did what, each row chained to the one before by a hash, so that a
//! row edited or removed afterwards is found. Rows are written in the same transaction as what
//! they record. Who is the account that unlocked the store, kept for the connection's lifetime
//! in a temporary table so that every writer finds it without passing it around.
//!
//! Rows are kept compactly (local migration 0025): the account and the action as numbers of
//! `audit_name`, the detail as an id's 16 bytes, the moment as nanoseconds. Every row reads back
//! as the text its hash covers (`row`), so the chain is checked and sent as it was written.
//! Only every 64th row keeps its hash, and the newest one's is kept apart (`audit_head`, local
//! migration 0028): the others are computed again from the rows whenever they are needed. A row
//! that would repeat the one just before it (one command's changes of one kind to one household,
//! made one after another) is written once.

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
    crate::numbered::number(conn, "audit_name", "text", &text)
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

/// Every how many entries the log keeps its hash (local migration 0028, whose CHECK on `audit`
/// holds the same number); the hashes in between are computed again from the rows, from the
/// checkpoint before them.
pub const CHECKPOINT: i64 = 64;

/// The columns that read a row back as its text. A name removed from `audit_name` reads as
/// empty, so that the row's hash no longer matches and `verify` finds it, rather than the row
/// dropping out of the chain unseen.
const ROW: &str =
    "SELECT a.seq, a.at, coalesce(w.text, ''), coalesce(x.text, ''), a.detail, a.hash FROM audit a
     LEFT JOIN audit_name w ON w.id = a.who LEFT JOIN audit_name x ON x.id = a.action";

/// One row as its text, with its hash if the row keeps one (a checkpoint), or empty.
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
        hash: r.get::<_, Option<Vec<u8>>>(5)?.unwrap_or_default(),
    })
}

/// The newest entry's number and hash, as the log's head keeps them.
fn head(conn: &Connection) -> rusqlite::Result<Option<(i64, Vec<u8>)>> {
    conn.prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// The hash of entry `through` (empty for 0), computed from the nearest entry at or before it
/// that keeps its hash.
pub(crate) fn hash_through(conn: &Connection, through: i64) -> rusqlite::Result<Vec<u8>> {
    let base: Option<(i64, Vec<u8>)> = conn
        .prepare_cached(
            "SELECT seq, hash FROM audit WHERE seq <= ?1 AND hash IS NOT NULL ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([through], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (from, mut prev) = base.unwrap_or((0, Vec::new()));
    let mut stmt = conn.prepare_cached(&format!("{ROW} WHERE a.seq > ?1 AND a.seq <= ?2 ORDER BY a.seq"))?;
    let mut rows = stmt.query(params![from, through])?;
    while let Some(r) = rows.next()? {
        let e = row(r)?;
        prev = hash(&prev, e.seq, &e.at, &e.who, &e.action, &e.detail);
    }
    Ok(prev)
}

/// Appends one row: `action` (e.g. `change:household`, `backup`, `export:worklist`) and its
/// `detail` (ids and codes only). A row the same as the one just before it in every part but its
/// number (the same moment, account, action and detail) is not written again: that row already
/// says it. One command's changes of one kind to one household made one after another are thus
/// one row (a survey finished writes a member's facts in a run); the change log keeps each change
/// and each travels, but once it is pruned the log no longer says how many there were.
pub fn append(conn: &Connection, action: &str, detail: &str, at: DateTime<Utc>) -> rusqlite::Result<()> {
    let who: String = conn
        .query_row("SELECT who FROM temp.audit_session", [], |r| r.get(0))
        .optional()
        .unwrap_or(None)
        .unwrap_or_else(|| "(system)".to_owned());
    let (moment, who_number, action_number, detail_key) =
        (moment_key(at), name_number(conn, &who)?, name_number(conn, action)?, crate::stored_id::key(detail));
    let newest: Option<(i64, Value, i64, i64, Value)> = conn
        .prepare_cached("SELECT seq, at, who, action, detail FROM audit ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?;
    if let Some((_, ref a, w, x, ref d)) = newest
        && (a, w, x, d) == (&moment, who_number, action_number, &detail_key)
    {
        return Ok(());
    }
    let last = newest.map_or(0, |n| n.0);
    // The chain goes on from the head alone, never from the rows: a row added past the head, or
    // rows edited after a head was removed, would otherwise be chained in as if genuine. When the
    // rows and the head disagree (rows added, the newest removed, the head removed) the new row
    // follows the head's number and hash, or an empty hash without a head, so that `verify` keeps
    // reporting the break and the app keeps working.
    let (seq, prev) = match head(conn)? {
        Some((seq, hash)) => (seq.max(last) + 1, hash),
        None => (last + 1, Vec::new()),
    };
    let text = at.to_rfc3339();
    let h = hash(&prev, seq, &text, &who, action, detail);
    conn.prepare_cached(
        "INSERT INTO audit (seq, at, who, action, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        seq,
        moment,
        who_number,
        action_number,
        detail_key,
        (seq % CHECKPOINT == 0).then_some(&h)
    ])?;
    conn.prepare_cached(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?
    .execute(params![seq, h])?;
    Ok(())
}

/// Up to `limit` entries after `after`, in order, each with its hash: what travels to the block
/// with the sync. A list cut short by `limit` (of at least `CHECKPOINT` entries, as the sync's
/// batches are) ends at the last checkpoint in it, so that the hash
/// the sync sends with it (only the last one's) is one the log kept rather than one computed
/// from rows that may have been edited; the block then finds an edit in the batch that holds it.
pub fn after(conn: &Connection, after: i64, limit: usize) -> rusqlite::Result<Vec<AuditEntry>> {
    // Nothing past the head is sent: the app writes no row there (`append`), so such a row was
    // added by hand and would reach the block with a hash computed from itself.
    let Some(head) = head(conn)? else { return Ok(Vec::new()) };
    let mut prev = hash_through(conn, after)?;
    let mut entries: Vec<AuditEntry> = conn
        .prepare_cached(&format!("{ROW} WHERE a.seq > ?1 AND a.seq <= ?2 ORDER BY a.seq LIMIT ?3"))?
        .query_map(params![after, head.0, limit as i64], row)?
        .collect::<rusqlite::Result<_>>()?;
    for e in &mut entries {
        if e.hash.is_empty() {
            e.hash = if head.0 == e.seq {
                head.1.clone()
            } else {
                hash(&prev, e.seq, &e.at, &e.who, &e.action, &e.detail)
            };
        }
        prev.clone_from(&e.hash);
    }
    if entries.len() == limit
        && let Some(cut) = entries.iter().rposition(|e| e.seq % CHECKPOINT == 0)
    {
        entries.truncate(cut + 1);
    }
    Ok(entries)
}

/// What checking the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every row follows from the one before: this many rows.
    Intact(i64),
    /// An entry numbered from `from` to `to` was edited or inserted, or one before it removed.
    /// Where the numbers have a gap the two are next to each other; an edit is found between the
    /// checkpoints (or the head) around it, at most `CHECKPOINT` entries apart.
    Broken { from: i64, to: i64 },
}

/// Walks the chain from the first row to the head.
pub fn verify(conn: &Connection) -> rusqlite::Result<Verdict> {
    let mut stmt = conn.prepare(&format!("{ROW} ORDER BY a.seq"))?;
    let mut rows = stmt.query([])?;
    // `sure` is the last entry whose hash the log kept and the rows gave again.
    let (mut prev, mut last, mut sure) = (Vec::new(), 0i64, 0i64);
    while let Some(r) = rows.next()? {
        let e = row(r)?;
        if e.seq != last + 1 {
            return Ok(Verdict::Broken { from: last + 1, to: e.seq });
        }
        let h = hash(&prev, e.seq, &e.at, &e.who, &e.action, &e.detail);
        let checkpoint = e.seq % CHECKPOINT == 0;
        if (checkpoint || !e.hash.is_empty()) && e.hash != h {
            return Ok(Verdict::Broken { from: sure + 1, to: e.seq });
        }
        if checkpoint {
            sure = e.seq;
        }
        prev = h;
        last = e.seq;
    }
    Ok(match head(conn)? {
        None if last == 0 => Verdict::Intact(0),
        Some((seq, hash)) if seq == last && hash == prev => Verdict::Intact(last),
        // The newest entries were removed.
        Some((seq, _)) if seq > last => Verdict::Broken { from: last + 1, to: seq },
        // Entries added past the head, or the head itself changed or removed.
        Some((seq, _)) if seq < last => Verdict::Broken { from: seq.max(sure) + 1, to: last },
        _ => Verdict::Broken { from: sure + 1, to: last },
    })
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
