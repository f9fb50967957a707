//! The centre's own configuration: this laptop's device id and the villages it serves.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use samanvaya_domain::{Location, LocationId};
use uuid::Uuid;

use crate::{location, sql};

/// This laptop's device id, created the first time the store is opened.
pub fn device_id(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Uuid> {
    let existing: Option<String> = conn
        .prepare_cached("SELECT device_id FROM centre WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    if let Some(text) = existing {
        return text.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        });
    }
    let id = Uuid::now_v7();
    conn.execute(
        "INSERT INTO centre (id, device_id, created_at) VALUES (1, ?1, ?2)",
        params![id.to_string(), now],
    )?;
    Ok(id)
}

pub fn add_village(conn: &Connection, village: LocationId) -> rusqlite::Result<()> {
    conn.execute("INSERT OR IGNORE INTO centre_village (village_id) VALUES (?1)", [village.to_string()])?;
    Ok(())
}

pub fn villages(conn: &Connection) -> rusqlite::Result<Vec<Location>> {
    let mut stmt = conn.prepare("SELECT village_id FROM centre_village ORDER BY village_id")?;
    let ids: Vec<LocationId> = stmt.query_map([], |r| sql::id(r, 0))?.collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.extend(location::get(conn, id)?);
    }
    Ok(out)
}

/// Whether this is a demo store, whose changes never travel.
pub fn is_demo(conn: &Connection) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("SELECT demo FROM centre WHERE id = 1")?
        .query_row([], |r| r.get::<_, bool>(0))
        .optional()?
        .unwrap_or(false))
}

/// Marks the store as a demo store; only ever done to an empty store.
pub fn mark_demo(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("UPDATE centre SET demo = 1 WHERE id = 1", [])?;
    Ok(())
}

/// Whether the store's households must be queued again after the upgrade to the change log.
pub fn requeue_due(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row("SELECT requeue FROM centre WHERE id = 1", [], |r| r.get(0))
}

/// Whether the store's households must be queued again after the upgrade to the change log,
/// and clearing that flag.
pub fn take_requeue(conn: &Connection) -> rusqlite::Result<bool> {
    let due: bool = conn.query_row("SELECT requeue FROM centre WHERE id = 1", [], |r| r.get(0))?;
    if due {
        conn.execute("UPDATE centre SET requeue = 0 WHERE id = 1", [])?;
    }
    Ok(due)
}
