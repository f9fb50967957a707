//! The `change_log` table: every change this store applied, typed (`samanvaya_domain::change`),
//! with its origin. A change made here is `local` and travels; a change pulled from a server is
//! recorded with the server's sequence number and never queued again. A demo store records no
//! changes at all, so nothing of it can ever travel.
//!
//! A change is always recorded in the same transaction as the write it describes, so a change is
//! never saved without being queued for sync, nor queued without being saved.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use samanvaya_domain::change::{Change, ChangeBody};
use samanvaya_domain::{Hlc, Moment};
use uuid::Uuid;

use crate::centre;

/// One local change as the sync client reads it: the device's sequence number and the change.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    pub device_seq: i64,
    pub change: Change,
    pub recorded_at: DateTime<Utc>,
}

fn to_sql_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

fn from_sql_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

/// The clock after the last change this store made or saw.
fn clock(conn: &Connection, device: Uuid) -> rusqlite::Result<Hlc> {
    let text: Option<String> = conn
        .prepare_cached("SELECT clock FROM centre WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .flatten();
    clock_from(text, device)
}

/// The clock as the centre row keeps it: none before the store's first change.
fn clock_from(text: Option<String>, device: Uuid) -> rusqlite::Result<Hlc> {
    match text {
        Some(t) => serde_json::from_str(&t).map_err(from_sql_err),
        None => Ok(Hlc::zero(device)),
    }
}

/// The device's id, its clock and whether the store is a demo, read in one statement: `record`
/// runs for every change a user makes, and `record_each` for each group of an import's changes
/// (the 20,000-household demo village filled in 0.94 times the time it took with three
/// statements).
fn centre_now(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<(Uuid, Hlc, bool)> {
    let row: Option<(String, Option<String>, bool)> = conn
        .prepare_cached("SELECT device_id, clock, demo FROM centre WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match row {
        Some((id, text, demo)) => {
            let device: Uuid = id.parse().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
            })?;
            Ok((device, clock_from(text, device)?, demo))
        }
        // The store's first change: the device's id is made now.
        None => {
            let device = centre::device_id(conn, now)?;
            Ok((device, clock(conn, device)?, centre::is_demo(conn)?))
        }
    }
}

fn set_clock(conn: &Connection, hlc: Hlc) -> rusqlite::Result<()> {
    let text = serde_json::to_string(&hlc).map_err(to_sql_err)?;
    conn.prepare_cached("UPDATE centre SET clock = ?1 WHERE id = 1")?.execute([text])?;
    Ok(())
}

fn insert(
    conn: &Connection,
    origin: &str,
    device: Uuid,
    device_seq: i64,
    server: Option<(&str, i64)>,
    change: &Change,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO change_log (origin, device_id, device_seq, server, server_seq, kind, version, hlc,
                                 household_id, change, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        origin,
        device.to_string(),
        device_seq,
        server.map(|s| s.0),
        server.map(|s| s.1),
        change.body.kind(),
        change.version,
        serde_json::to_string(&change.hlc).map_err(to_sql_err)?,
        change.body.household_id().to_string(),
        serde_json::to_string(change).map_err(to_sql_err)?,
        at,
    ])?;
    Ok(())
}

/// Records a change made on this laptop, stamped with the next clock reading, and returns that
/// reading; the caller owns the transaction. A demo store records nothing, but its clock still
/// moves, since a referral's events are ordered by it.
pub fn record(conn: &Connection, body: ChangeBody, at: Moment) -> rusqlite::Result<Hlc> {
    let (device, last, demo) = centre_now(conn, at.utc)?;
    let hlc = last.tick(at.utc.timestamp_millis());
    if !demo {
        record_one(conn, device, hlc, body, at)?;
    }
    set_clock(conn, hlc)?;
    Ok(hlc)
}

/// Records `bodies` in their order, each as `record` does. The centre's clock is read once and
/// written back once: an import records a few dozen changes a household, and reading and writing
/// the clock for each was a third of the time the 20,000-household demo village took to fill
/// (`perf`, docs/ci-time.md).
pub fn record_each(conn: &Connection, bodies: Vec<ChangeBody>, at: Moment) -> rusqlite::Result<()> {
    if bodies.is_empty() {
        return Ok(());
    }
    let (device, mut hlc, demo) = centre_now(conn, at.utc)?;
    for body in bodies {
        hlc = hlc.tick(at.utc.timestamp_millis());
        if !demo {
            record_one(conn, device, hlc, body, at)?;
        }
    }
    set_clock(conn, hlc)
}

/// What `record` writes of one change beyond the clock, on a store that is not a demo.
fn record_one(
    conn: &Connection,
    device: Uuid,
    hlc: Hlc,
    body: ChangeBody,
    at: Moment,
) -> rusqlite::Result<()> {
    crate::field_clock::note(conn, &body, hlc)?;
    crate::own_departure::note(conn, &body, hlc)?;
    // After everything held of this device, whatever brought it, and after what the block
    // acknowledged: a store restored from a backup reads back the old laptop's work sent after
    // the backup under the device's own numbers, and a number among them would be refused by
    // the log's one-number-one-change rule (or, were the change made before it came back, taken
    // by the block for that work and dropped). On a store restored from a backup, after the
    // end of the old laptop's run too (`restored::numbered_after`).
    let next: i64 = conn
        .prepare_cached(
            "SELECT max(coalesce((SELECT max(device_seq) FROM change_log WHERE device_id = ?1), 0),
                        coalesce((SELECT acked_through FROM sync_link WHERE id = 1), 0),
                        coalesce((SELECT numbered_after FROM sync_link WHERE id = 1), 0)) + 1",
        )?
        .query_row([device.to_string()], |r| r.get(0))?;
    crate::audit::append(conn, &format!("change:{}", body.kind()), &body.household_id().to_string(), at.utc)?;
    insert(conn, "local", device, next, None, &Change::new(hlc, body), at.utc)
}

/// The origin (device, number) of the change applied here as number `server_seq` of
/// `server`'s feed, or kept aside under it (`pulled_refused`; one kept aside by an app too old
/// to note its origin is none), if any.
pub fn pulled_at(
    conn: &Connection,
    server: &str,
    server_seq: i64,
) -> rusqlite::Result<Option<(String, i64)>> {
    conn.prepare_cached(
        "SELECT device_id, device_seq FROM change_log WHERE origin = 'pulled' AND server = ?1 AND server_seq = ?2
         UNION ALL
         SELECT device_id, device_seq FROM pulled_refused
         WHERE server = ?1 AND server_seq = ?2 AND device_id IS NOT NULL AND device_seq IS NOT NULL
         LIMIT 1",
    )?
    .query_row(params![server, server_seq], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()
}

/// Whether the change `server_seq` of `server` was applied already.
pub fn was_pulled(conn: &Connection, server: &str, server_seq: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT 1 FROM change_log WHERE origin = 'pulled' AND server = ?1 AND server_seq = ?2",
    )?
    .query_row(params![server, server_seq], |_| Ok(()))
    .optional()
    .map(|r| r.is_some())
}

/// Whether the change `device_seq` of `device` is in the log already, made here or pulled
/// through any server.
pub fn has_origin(conn: &Connection, device: Uuid, device_seq: i64) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM change_log WHERE device_id = ?1 AND device_seq = ?2")?
        .query_row(params![device.to_string(), device_seq], |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
}

/// Records a change pulled from `server`, made by `device` as its `device_seq`, and moves the
/// local clock past it; the caller owns the transaction and has applied the change.
pub fn record_pulled(
    conn: &Connection,
    server: &str,
    server_seq: i64,
    device: Uuid,
    device_seq: i64,
    change: &Change,
    at: Moment,
) -> rusqlite::Result<()> {
    let local = centre::device_id(conn, at.utc)?;
    set_clock(conn, clock(conn, local)?.observe(change.hlc, at.utc.timestamp_millis()))?;
    crate::audit::append(
        conn,
        &format!("pulled:{}", change.body.kind()),
        &format!("{} from {server} #{server_seq}", change.body.household_id()),
        at.utc,
    )?;
    insert(conn, "pulled", device, device_seq, Some((server, server_seq)), change, at.utc)
}

/// The place in the log the next change recorded takes (the table counts on from the highest
/// place it ever gave).
pub fn next_place(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'change_log'), 0),
                    coalesce((SELECT max(seq) FROM change_log), 0)) + 1",
        [],
        |r| r.get(0),
    )
}

/// Keeps the seal the server put on a change it made itself and this laptop pulled (`seal`).
pub fn keep_seal(conn: &Connection, device: Uuid, device_seq: i64, seal: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE change_log SET seal = ?3 WHERE device_id = ?1 AND device_seq = ?2")?
        .execute(params![device.to_string(), device_seq, seal])?;
    Ok(())
}

/// Up to `limit` changes of this laptop's device after `after_seq`, oldest first: what sync
/// pushes. Those made here, and those a store restored from a backup read back from its block
/// (made by the old laptop after the backup): a block restored from a backup of its own since
/// may have lost them, and this laptop is then the only one to send them again.
pub fn queued_after(conn: &Connection, after_seq: i64, limit: u32) -> rusqlite::Result<Vec<Queued>> {
    let mut stmt = conn.prepare_cached(
        "SELECT device_seq, change, recorded_at FROM change_log
         WHERE device_id = (SELECT device_id FROM centre WHERE id = 1) AND device_seq > ?1
         ORDER BY device_seq LIMIT ?2",
    )?;
    stmt.query_map(params![after_seq, limit], queued)?.collect()
}

fn queued(r: &rusqlite::Row<'_>) -> rusqlite::Result<Queued> {
    let text: String = r.get(1)?;
    Ok(Queued {
        device_seq: r.get(0)?,
        change: serde_json::from_str(&text).map_err(from_sql_err)?,
        recorded_at: r.get(2)?,
    })
}

/// Up to `limit` changes of this laptop's device numbered after `after` and up to `through`,
/// oldest first, that a sync file carries again of the work the block holds: those made here
/// after the last one read back from the block (a store restored from a backup reads back the
/// old laptop's run). A change read back carries the moment it was read, not the one the block
/// keeps, which the block would take for another change under that number; and a file must not
/// leave one out between changes it carries, or the block, taking the file, would count it held
/// and never ask for it (this laptop may be the only one to hold it). So the carried run starts
/// after it.
pub fn carried_again(
    conn: &Connection,
    after: i64,
    through: i64,
    limit: u32,
) -> rusqlite::Result<Vec<Queued>> {
    let mut stmt = conn.prepare_cached(
        "SELECT device_seq, change, recorded_at FROM change_log
         WHERE device_id = (SELECT device_id FROM centre WHERE id = 1)
           AND device_seq > max(?1, coalesce((
                   SELECT max(device_seq) FROM change_log
                   WHERE device_id = (SELECT device_id FROM centre WHERE id = 1) AND origin <> 'local'
                     AND device_seq <= ?2), 0))
           AND device_seq <= ?2
         ORDER BY device_seq LIMIT ?3",
    )?;
    stmt.query_map(params![after, through, limit], queued)?.collect()
}

/// How many changes of this laptop's device wait to travel (as [`queued_after`]): those the
/// server has not stored yet.
pub fn queued_count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(*) FROM change_log WHERE device_id = (SELECT device_id FROM centre WHERE id = 1)
           AND device_seq > coalesce((SELECT acked_through FROM sync_link WHERE id = 1), 0)",
        [],
        |r| r.get(0),
    )
}
