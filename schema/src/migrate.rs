//! Applies the embedded, append-only migrations of a SQLite database (the laptop's store or a
//! server's) and guards against edited or newer ones. Behind the `sqlite` feature, so that the
//! pure crates that read the catalogue from here never link SQLite.

use rusqlite::{Connection, params};

use crate::Migration;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
    #[error("the database was written by a newer version (schema {found}, this build knows {known})")]
    Newer { found: u32, known: u32 },
    #[error("shipped migration {version} ({name}) was edited")]
    Edited { version: u32, name: &'static str },
}

/// Brings the database to the latest embedded version, one transaction per migration.
///
/// The text of each applied migration is recorded; if an embedded migration's text differs from
/// the record, someone edited a shipped migration and the store refuses to open rather than
/// guess. A database from a newer app version is refused too, so an old app never damages it.
pub fn run(conn: &mut Connection, migrations: &[Migration]) -> Result<(), MigrateError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migration (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             sql        TEXT NOT NULL,
             applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         ) STRICT;",
    )?;
    let applied: Vec<(u32, String)> = {
        let mut stmt = conn.prepare("SELECT version, sql FROM schema_migration ORDER BY version")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?
    };
    if let Some((newest, _)) = applied.last()
        && *newest as usize > migrations.len()
    {
        return Err(MigrateError::Newer { found: *newest, known: migrations.len() as u32 });
    }
    for (version, sql) in &applied {
        let embedded = &migrations[*version as usize - 1];
        if embedded.sql != sql {
            return Err(MigrateError::Edited { version: *version, name: embedded.name });
        }
    }
    for m in &migrations[applied.len()..] {
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql)?;
        tx.execute(
            "INSERT INTO schema_migration (version, name, sql) VALUES (?1, ?2, ?3)",
            params![m.version, m.name, m.sql],
        )?;
        tx.pragma_update(None, "user_version", m.version)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: Migration = Migration { version: 1, name: "one", sql: "CREATE TABLE a (x INTEGER);" };
    const V2: Migration = Migration { version: 2, name: "two", sql: "CREATE TABLE b (y INTEGER);" };

    #[test]
    fn applies_new_migrations_in_order_and_only_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, &[V1]).unwrap();
        run(&mut conn, &[V1, V2]).unwrap();
        run(&mut conn, &[V1, V2]).unwrap();
        let v: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, 2);
    }

    #[test]
    fn refuses_an_edited_migration_and_a_newer_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, &[V1, V2]).unwrap();
        let edited = Migration { sql: "CREATE TABLE a (x TEXT);", ..V1 };
        assert!(matches!(run(&mut conn, &[edited, V2]), Err(MigrateError::Edited { version: 1, .. })));
        assert!(matches!(run(&mut conn, &[V1]), Err(MigrateError::Newer { found: 2, known: 1 })));
    }

    #[test]
    fn a_failing_migration_leaves_nothing_half_applied() {
        let mut conn = Connection::open_in_memory().unwrap();
        let bad = Migration { version: 2, name: "bad", sql: "CREATE TABLE c (z); SELECT nonsense;" };
        assert!(run(&mut conn, &[V1, bad]).is_err());
        let tables: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'c'", [], |r| r.get(0)).unwrap();
        assert_eq!(tables, 0);
        run(&mut conn, &[V1, V2]).unwrap();
    }
}
