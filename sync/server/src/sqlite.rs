//! The storage interface on SQLite: the block's default, one file in the data folder.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::types::{ToSqlOutput, ValueRef};

use crate::error::ServerError;
use crate::sql::{Db, Mode, Row, Value};

/// The database file inside the data folder.
pub const FILE: &str = "server.sqlite3";

pub struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    /// Opens (or creates) the store in `dir` and brings its schema up to date.
    pub fn open(dir: &Path) -> Result<Sqlite, ServerError> {
        std::fs::create_dir_all(dir)
            .map_err(|source| ServerError::DataDir { path: dir.display().to_string(), source })?;
        let mut conn = Connection::open(dir.join(FILE))?;
        // The operator's commands (enrollment codes, steps) open the file while the server runs.
        conn.busy_timeout(Duration::from_secs(10))?;
        // A batch's statements over many rows take one of nine shapes per table (`many.rs`):
        // room to keep them all prepared, beside the server's single-row statements.
        conn.set_prepared_statement_cache_capacity(256);
        let _: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        // A block acks a batch only after its commit is on disk.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // What is deleted or overwritten (a person who withdrew consent) is overwritten with
        // zeros in the file, not left readable in free pages.
        conn.pragma_update(None, "secure_delete", "ON")?;
        samanvaya_schema::migrate::run(&mut conn, samanvaya_schema::SERVER_MIGRATIONS)?;
        Ok(Sqlite { conn })
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(rusqlite::types::Value::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
        })
    }
}

fn value(v: ValueRef<'_>) -> Result<Value, ServerError> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Text(t) => Value::Text(
            String::from_utf8(t.to_vec())
                .map_err(|e| ServerError::Invalid(format!("a stored text is not UTF-8: {e}")))?,
        ),
        ValueRef::Real(_) | ValueRef::Blob(_) => {
            return Err(ServerError::Invalid("a stored value is neither a number nor a text".into()));
        }
    })
}

impl Db for Sqlite {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, ServerError> {
        let n = self.conn.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, ServerError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let width = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(Row((0..width).map(|i| value(r.get_ref(i)?)).collect::<Result<_, ServerError>>()?));
        }
        Ok(out)
    }

    fn begin(&mut self, mode: Mode) -> Result<(), ServerError> {
        // IMMEDIATE takes the write lock now: a deferred transaction that reads first and
        // writes later can fail halfway when another connection wrote meanwhile.
        self.conn.execute_batch(match mode {
            Mode::Read => "BEGIN DEFERRED",
            Mode::Write => "BEGIN IMMEDIATE",
        })?;
        Ok(())
    }

    fn commit(&mut self) -> Result<(), ServerError> {
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    fn rollback(&mut self) -> Result<(), ServerError> {
        self.conn.execute_batch("ROLLBACK")?;
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "SQLite"
    }

    fn forget_old_versions(&mut self) -> Result<(), ServerError> {
        // The write-ahead log holds the pages as they were before the erasure until a checkpoint
        // copies the new ones into the file (where `secure_delete` zeroed what was freed) and
        // the log is truncated.
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_that_fails_is_rolled_back_and_the_next_transaction_begins() {
        let dir = tempfile::tempdir().unwrap();
        let mut sqlite = Sqlite::open(dir.path()).unwrap();
        let db: &mut dyn Db = &mut sqlite;
        db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)", &[]).unwrap();
        db.execute(
            "CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)",
            &[],
        )
        .unwrap();
        // A deferred foreign key is checked at COMMIT, which fails and leaves the transaction
        // open in SQLite.
        let mut tx = db.transaction(Mode::Write).unwrap();
        tx.execute("INSERT INTO child (parent) VALUES (7)", &[]).unwrap();
        assert!(tx.commit().is_err());
        let mut tx = db.transaction(Mode::Write).expect("a new transaction begins after the failed one");
        let n = tx.query_one("SELECT count(*) FROM child", &[]).unwrap();
        assert_eq!(n.0[0], Value::Int(0), "nothing of the failed transaction is kept");
        tx.commit().unwrap();
    }
}
