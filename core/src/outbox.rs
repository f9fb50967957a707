//! The `outbox` table: every change that must travel to the block server, in device order.
//!
//! A row is always written in the same transaction as the change it describes, so a change is
//! never saved without being queued for sync, nor queued without being saved.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::Serialize;

/// One queued change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub seq: i64,
    pub entity: String,
    pub entity_id: String,
    pub op: String,
    pub payload: String,
    pub created_at: DateTime<Utc>,
}

pub(crate) fn append<T: Serialize>(
    conn: &Connection,
    entity: &str,
    entity_id: &str,
    op: &str,
    payload: &T,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let json =
        serde_json::to_string(payload).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    conn.execute(
        "INSERT INTO outbox (entity, entity_id, op, payload, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![entity, entity_id, op, json, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Up to `limit` rows after `after_seq`, oldest first.
pub fn after(conn: &Connection, after_seq: i64, limit: u32) -> rusqlite::Result<Vec<OutboxRow>> {
    let mut stmt = conn.prepare(
        "SELECT seq, entity, entity_id, op, payload, created_at FROM outbox
         WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    stmt.query_map(params![after_seq, limit], |r| {
        Ok(OutboxRow {
            seq: r.get(0)?,
            entity: r.get(1)?,
            entity_id: r.get(2)?,
            op: r.get(3)?,
            payload: r.get(4)?,
            created_at: r.get(5)?,
        })
    })?
    .collect()
}
