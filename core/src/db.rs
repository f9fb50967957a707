//! Opening the SQLite database: the one place where the connection's pragmas are set.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use serde::Serialize;
use ts_rs::TS;

use crate::error::StoreError;
use crate::keyring::DbKey;

/// How long a writer waits for another connection's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How many prepared statements a connection keeps: more than the store has distinct ones.
const STATEMENT_CACHE: usize = 256;

/// The first bytes of every SQLite file that is not encrypted.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Opens a connection to the file at `path`, SQLite having been set up fully first.
///
/// SQLite marks itself initialised before it runs SQLCipher's part of the set-up (its
/// `SQLITE_EXTRA_INIT`, which registers `sqlcipher_export` and the codec for every connection), and
/// releases its lock in between: a second thread opening its first connection at that moment gets
/// one without them. The first open therefore happens once, with every other waiting for it.
pub(crate) fn connection(path: &Path) -> rusqlite::Result<Connection> {
    static SET_UP: std::sync::Once = std::sync::Once::new();
    SET_UP.call_once(|| {
        // An in-memory connection runs the whole set-up; if it fails, the real open below
        // reports why.
        let _ = Connection::open_in_memory();
    });
    Connection::open(path)
}

/// Whether the file at `path` is an SQLite database in the clear (written before encryption).
pub fn is_plain(path: &Path) -> bool {
    let mut head = [0u8; 16];
    std::fs::File::open(path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head)).is_ok()
        && &head == PLAIN_HEADER
}

/// How far opening the store has got, when opening takes more than a moment: the first unlock
/// after the app was updated brings the store to the new version's layout (a few seconds for a
/// village of thousands of households), and a store from before encryption is encrypted once.
/// A facilitator who sees nothing move for that long thinks the app has hung and closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "step", rename_all = "snake_case")]
#[ts(export)]
pub enum OpenProgress {
    /// The store from before encryption is being copied into an encrypted one.
    Encrypting,
    /// The store is being brought to this version: `done` steps of `total`.
    Upgrading { done: u32, total: u32 },
}

/// Opens (creating if needed) the database at `path`, encrypted with `key`, and brings its
/// schema up to date. A key that does not open the file is refused before anything is written.
///
/// `synchronous=FULL` rather than NORMAL: in WAL mode NORMAL may lose the last transactions on a
/// power cut, and a village laptop's battery does run out in the middle of a survey.
pub fn open(path: &Path, key: &DbKey) -> Result<Connection, StoreError> {
    open_reporting(path, key, &mut |_| {})
}

/// As [`open`], telling `progress` how an upgrade of the store's layout goes.
pub fn open_reporting(
    path: &Path,
    key: &DbKey,
    progress: &mut dyn FnMut(OpenProgress),
) -> Result<Connection, StoreError> {
    let mut conn = connection(path)?;
    // The key must be the first statement on the connection; a raw key skips SQLCipher's own KDF.
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.sqlcipher_literal().as_str()))?;
    let readable: rusqlite::Result<i64> =
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0));
    if readable.is_err() {
        return Err(StoreError::WrongKey);
    }
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Saving one household goes through a few dozen distinct statements; with rusqlite's
    // default of 16 cached ones each was parsed again for every household.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Pragma(format!("journal_mode is {mode}, expected wal")));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // What is deleted or overwritten (a person who withdrew consent) is overwritten in the file
    // rather than left in free pages, where the key would still read it.
    conn.pragma_update(None, "secure_delete", "ON")?;
    let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    if fk != 1 {
        return Err(StoreError::Pragma("foreign keys could not be enabled".into()));
    }
    samanvaya_schema::migrate::run_reporting(
        &mut conn,
        samanvaya_schema::LOCAL_MIGRATIONS,
        &mut |done, total| progress(OpenProgress::Upgrading { done, total }),
    )?;
    Ok(conn)
}

/// Encrypts the plain store at `path` with `key`, in place and keeping every row: the rows are
/// exported into a new encrypted file beside it, that copy is checked table by table and for
/// integrity, and only then does it replace the plain file in one rename. A stop at any point
/// leaves either the plain file or the verified encrypted one, never half of each.
pub fn encrypt_plain(path: &Path, key: &DbKey) -> Result<(), StoreError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("store");
    let copy = path.with_file_name(format!("{name}.encrypting"));
    let _ = std::fs::remove_file(&copy);
    let literal = key.sqlcipher_literal();
    let (tables, counts) = {
        let plain = connection(path)?;
        // Everything in the write-ahead log goes into the main file before it is copied.
        plain.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let version: i64 = plain.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        plain.execute(
            "ATTACH DATABASE ?1 AS encrypted KEY ?2",
            rusqlite::params![copy.to_string_lossy(), literal.as_str()],
        )?;
        plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        plain.execute_batch(&format!(
            "PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"
        ))?;
        let tables = table_names(&plain)?;
        let counts = row_counts(&plain, &tables)?;
        (tables, counts)
    };
    {
        let enc = connection(&copy)?;
        enc.execute_batch(&format!("PRAGMA key = \"{}\";", literal.as_str()))?;
        let check: String =
            enc.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|_| StoreError::WrongKey)?;
        if check != "ok" || row_counts(&enc, &tables)? != counts {
            let _ = std::fs::remove_file(&copy);
            return Err(StoreError::Corrupt(format!(
                "the encrypted copy of {} did not match it ({check}); the plain store was left as it was",
                path.display()
            )));
        }
    }
    let failed = |source| StoreError::DataDir { path: path.display().to_string(), source };
    std::fs::File::open(&copy).and_then(|f| f.sync_all()).map_err(failed)?;
    // The plain file's log is empty after the checkpoint; a stale one must not meet the new file.
    for ext in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(path.with_file_name(format!("{name}{ext}")));
    }
    std::fs::rename(&copy, path).map_err(failed)?;
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

fn table_names(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect()
}

fn row_counts(conn: &Connection, tables: &[String]) -> rusqlite::Result<Vec<i64>> {
    tables
        .iter()
        .map(|t| {
            conn.query_row(&format!("SELECT count(*) FROM \"{}\"", t.replace('"', "\"\"")), [], |r| r.get(0))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_sets_the_pragmas_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite3");
        let key = DbKey::random();
        drop(open(&path, &key).unwrap());
        let conn = open(&path, &key).unwrap();
        let cipher: String = conn.query_row("PRAGMA cipher_version", [], |r| r.get(0)).unwrap();
        assert!(!cipher.is_empty(), "built with SQLCipher");
        assert!(!is_plain(&path), "the file is encrypted");
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
        drop(conn);
        assert!(matches!(open(&path, &DbKey::random()), Err(StoreError::WrongKey)));
    }
}
