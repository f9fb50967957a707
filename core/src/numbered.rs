//! A text repeated in many rows of a compact table (a device, a field's name, an account, an
//! action, a fact's name), kept once in a small table of its own and referred to by its number
//! (local migrations 0024, 0025 and 0030).

use rusqlite::{Connection, OptionalExtension};

/// The number `table` keeps for `key` in its `column`, added when new. Looked up first, since
/// nearly every write finds it there.
pub fn number(
    conn: &Connection,
    table: &str,
    column: &str,
    key: &dyn rusqlite::ToSql,
) -> rusqlite::Result<i64> {
    let held = conn
        .prepare_cached(&format!("SELECT id FROM {table} WHERE {column} = ?1"))?
        .query_row([key], |r| r.get(0))
        .optional()?;
    match held {
        Some(id) => Ok(id),
        None => {
            conn.prepare_cached(&format!("INSERT INTO {table} ({column}) VALUES (?1)"))?.execute([key])?;
            Ok(conn.last_insert_rowid())
        }
    }
}
