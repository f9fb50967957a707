//! The server's SQLite store: opening it, its identity as a device of its own, and its clock.
//! PostgreSQL at district scale implements the same [`crate::storage::Storage`] interface.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use samanvaya_domain::Hlc;
use samanvaya_sync_protocol::Role;
use uuid::Uuid;

use crate::error::ServerError;

/// The database file inside the data folder.
pub const FILE: &str = "server.sqlite3";

/// The block or district server's store.
pub struct Sqlite {
    pub(crate) conn: Connection,
    pub(crate) device: Uuid,
    pub(crate) role: Role,
}

impl Sqlite {
    /// Opens the store in `dir`, creating it for `role` on first start. A folder made for the
    /// other role is refused: a block's store is not a district's.
    pub fn open(dir: &Path, role: Role, now: DateTime<Utc>) -> Result<Sqlite, ServerError> {
        std::fs::create_dir_all(dir)
            .map_err(|source| ServerError::DataDir { path: dir.display().to_string(), source })?;
        let mut conn = Connection::open(dir.join(FILE))?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        // A block acks a batch only after its commit is on disk.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        samanvaya_schema::migrate::run(&mut conn, samanvaya_schema::SERVER_MIGRATIONS)?;
        let found: Option<(String, String)> = conn
            .query_row("SELECT device_id, role FROM identity WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let device = match found {
            Some((id, stored)) => {
                if stored != role.as_str() {
                    return Err(ServerError::Invalid(format!(
                        "{} holds a {stored} server's data; start it with --role {stored}, or give the {} server its own --data-dir",
                        dir.display(),
                        role.as_str()
                    )));
                }
                Uuid::parse_str(&id)
                    .map_err(|e| ServerError::Invalid(format!("the identity is damaged: {e}")))?
            }
            None => {
                let id = Uuid::now_v7();
                conn.execute(
                    "INSERT INTO identity (id, device_id, role, created_at) VALUES (1, ?1, ?2, ?3)",
                    params![id.to_string(), role.as_str(), now],
                )?;
                id
            }
        };
        Ok(Sqlite { conn, device, role })
    }

    pub fn device(&self) -> Uuid {
        self.device
    }

    pub fn role(&self) -> Role {
        self.role
    }
}

/// The server's last clock reading.
fn clock(conn: &Connection, device: Uuid) -> Result<Hlc, ServerError> {
    let text: Option<String> = conn.query_row("SELECT clock FROM identity WHERE id = 1", [], |r| r.get(0))?;
    Ok(match text {
        Some(t) => serde_json::from_str(&t)?,
        None => Hlc::zero(device),
    })
}

/// The server's next clock reading for a change made here, and its number for that change.
pub(crate) fn tick(conn: &Connection, device: Uuid, now: DateTime<Utc>) -> Result<(Hlc, i64), ServerError> {
    let seq: i64 = conn.query_row("SELECT next_seq FROM identity WHERE id = 1", [], |r| r.get(0))?;
    let hlc = clock(conn, device)?.tick(now.timestamp_millis());
    conn.execute(
        "UPDATE identity SET clock = ?1, next_seq = next_seq + 1 WHERE id = 1",
        [serde_json::to_string(&hlc)?],
    )?;
    Ok((hlc, seq))
}

/// Moves the server's clock past a reading it received, so that a change made here next is
/// ordered after it.
pub(crate) fn observe(
    conn: &Connection,
    device: Uuid,
    seen: Hlc,
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    let next = clock(conn, device)?.observe(seen, now.timestamp_millis());
    conn.execute("UPDATE identity SET clock = ?1 WHERE id = 1", [serde_json::to_string(&next)?])?;
    Ok(())
}
