//! One-file backups: the store, encrypted with its own key, and the keyring that unwraps that
//! key, so that the backup opens with the same PIN (or the recovery code) on any laptop and
//! with nothing else. A backup is written to a temporary file and renamed over the previous
//! one only once it has been read back and checked, so a stop in the middle (a pulled USB
//! stick, a flat battery) leaves the previous backup as it was.
//!
//! The file is: the line `SAMANVAYA-BACKUP 1`, the keyring's length as eight bytes (big
//! endian), the keyring (JSON: names, roles and wrapped keys, no secret in the clear), then the
//! SQLCipher database.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use crate::error::StoreError;
use crate::keyring::{DbKey, Keyring, Secret};
use crate::store::Store;
use crate::{db, paths};

const MAGIC: &[u8] = b"SAMANVAYA-BACKUP 1\n";

/// What a written backup holds, as checked after writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    pub path: PathBuf,
    pub bytes: u64,
    pub households: i64,
}

/// How far a backup has got, for a progress bar: writing to a USB stick takes a while, and a
/// facilitator who sees nothing move pulls the stick out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "step", rename_all = "snake_case")]
#[ts(export)]
pub enum BackupProgress {
    /// A consistent copy of the store is being made on the laptop.
    Copying,
    /// The backup is being written to its place: `done` bytes of `total`, each counted once it
    /// has reached the drive, not the system's memory.
    Writing {
        #[ts(type = "number")]
        done: u64,
        #[ts(type = "number")]
        total: u64,
    },
    /// What was written is being read back from the drive and checked.
    Checking,
}

/// How much is written between two flushes to the drive (and two progress reports).
const FLUSH_EVERY: u64 = 4 << 20;

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Export { path: path.display().to_string(), source }
}

impl Store {
    /// Writes a backup of this store to `dest`, checks it, and returns what it holds.
    pub fn backup(&self, dest: &Path) -> Result<BackupInfo, StoreError> {
        self.backup_with_progress(dest, &mut |_| {})
    }

    /// Bytes a backup of this store will take at most, about: what the panel compares with a
    /// stick's free space before offering it. It counts the store's pages in use, wherever they
    /// are now (the database file or its write-ahead log), and none of its free ones; the copy is
    /// written afresh, its pages fuller, so the backup is often smaller (less than half, in the
    /// window just after the demo village was filled). The exact size is checked against the
    /// stick before writing.
    pub fn backup_size_estimate(&self) -> Result<u64, StoreError> {
        // SQLCipher answers `page_size` itself, as text; SQLite answers the others as numbers.
        let pragma = |name: &str| -> Result<u64, StoreError> {
            let v: rusqlite::types::Value =
                self.conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))?;
            Ok(match v {
                rusqlite::types::Value::Integer(n) => u64::try_from(n).unwrap_or(0),
                rusqlite::types::Value::Text(t) => t.trim().parse().unwrap_or(0),
                _ => 0,
            })
        };
        let used = pragma("page_count")?.saturating_sub(pragma("freelist_count")?) * pragma("page_size")?;
        let ring = Keyring::read(self.data_dir())?.ok_or(StoreError::NotSetUp)?.to_bytes()?;
        Ok(MAGIC.len() as u64 + 8 + ring.len() as u64 + used)
    }

    /// [`Store::backup`], telling `progress` how far it has got. The store is first copied inside
    /// the data folder (the laptop's own disk), so that the destination, often a slow stick,
    /// receives the backup file once and nothing else; a destination without room for it is
    /// refused before anything is written there.
    pub fn backup_with_progress(
        &self,
        dest: &Path,
        progress: &mut dyn FnMut(BackupProgress),
    ) -> Result<BackupInfo, StoreError> {
        self.require_write("make a backup")?;
        let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("backup");
        let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        let copy = self.data_dir().join(format!(".{name}.copy.part"));
        let part = dir.join(format!(".{name}.part"));
        // Versions before this one made their copy beside the backup; a stopped one may have
        // left it there.
        let _ = std::fs::remove_file(dir.join(format!(".{name}.db.part")));
        let _ = std::fs::remove_file(&copy);
        progress(BackupProgress::Copying);
        let literal = self.key.sqlcipher_literal();
        // A consistent copy of the whole store, encrypted with the same key.
        self.conn.execute(
            "ATTACH DATABASE ?1 AS backup KEY ?2",
            rusqlite::params![copy.to_string_lossy(), literal.as_str()],
        )?;
        let exported =
            self.conn.query_row("SELECT sqlcipher_export('backup')", [], |_| Ok(())).and_then(|()| {
                let version: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                self.conn.execute_batch(&format!("PRAGMA backup.user_version = {version};"))
            });
        self.conn.execute_batch("DETACH DATABASE backup;")?;
        if let Err(e) = exported {
            let _ = std::fs::remove_file(&copy);
            return Err(e.into());
        }
        let ring = Keyring::read(self.data_dir())?.ok_or(StoreError::NotSetUp)?.to_bytes()?;
        let written = std::fs::metadata(&copy).map_err(io_error(&copy)).and_then(|m| {
            let total = MAGIC.len() as u64 + 8 + ring.len() as u64 + m.len();
            has_room(dir, &part, total)?;
            write_file(&part, &ring, &copy, total, progress).map_err(io_error(&part))
        });
        let _ = std::fs::remove_file(&copy);
        if let Err(e) = written {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
        progress(BackupProgress::Checking);
        let households = self.household_count()?;
        if let Err(e) = check(&part, &self.key, households, self.data_dir()) {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
        std::fs::rename(&part, dest).map_err(io_error(dest))?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        let bytes = std::fs::metadata(dest).map_err(io_error(dest))?.len();
        self.audit("backup", &format!("{households} households"))?;
        Ok(BackupInfo { path: dest.to_owned(), bytes, households })
    }

    /// Restores the backup at `file` into the empty data folder `data_dir`, after checking that
    /// `secret`, the PIN of the backup's account `name`, opens it. (A forgotten PIN is replaced
    /// afterwards with the recovery code, which the backup's keyring carries too.)
    pub fn restore(
        file: &Path,
        data_dir: &Path,
        name: Option<&str>,
        secret: &Secret,
    ) -> Result<Store, StoreError> {
        Store::restore_reporting(file, data_dir, name, secret, &mut |_| {})
    }

    /// As [`Store::restore`], telling `progress` how the upgrade of a backup made by an older
    /// version goes.
    pub fn restore_reporting(
        file: &Path,
        data_dir: &Path,
        name: Option<&str>,
        secret: &Secret,
        progress: &mut dyn FnMut(crate::OpenProgress),
    ) -> Result<Store, StoreError> {
        if !matches!(Store::folder(data_dir)?, crate::store::Folder::New) {
            return Err(StoreError::RestoreNotEmpty { path: data_dir.display().to_string() });
        }
        let (mut ring, db_at) = read_header(file)?;
        ring.reset_attempts();
        // The secret must open the backup before anything is written into the folder.
        let i = ring.find(name)?;
        let key = ring.try_secret(i, secret).ok_or(StoreError::WrongSecret { attempts_left: u32::MAX })?;
        std::fs::create_dir_all(data_dir).map_err(io_error(data_dir))?;
        let db_path = data_dir.join(paths::DB_FILE_NAME);
        let part = data_dir.join(format!("{}.restoring", paths::DB_FILE_NAME));
        extract_db(file, db_at, &part)?;
        let leave = || {
            for ext in ["", "-wal", "-shm"] {
                let _ =
                    std::fs::remove_file(data_dir.join(format!("{}.restoring{ext}", paths::DB_FILE_NAME)));
            }
        };
        // Every page's code is checked before anything is kept: opening reads only the first
        // pages, and a page changed anywhere else would show only the day it is read.
        if let Err(e) = whole(&part, &key) {
            leave();
            let _ = std::fs::remove_dir(data_dir);
            return Err(e);
        }
        drop(db::open_reporting(&part, &key, progress).inspect_err(|_| {
            leave();
            let _ = std::fs::remove_dir(data_dir);
        })?);
        for ext in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(data_dir.join(format!("{}.restoring{ext}", paths::DB_FILE_NAME)));
        }
        std::fs::rename(&part, &db_path).map_err(io_error(&db_path))?;
        ring.write(data_dir)?;
        let store = Store::unlock(data_dir, name, secret)?;
        // The block may hold more of this device than the backup did: see `restored`.
        crate::restored::mark(&store.conn)?;
        Ok(store)
    }
}

/// Whether every page of the database at `path` carries its right code under `key`
/// (SQLCipher's `cipher_integrity_check` reads them all), and SQLite finds it whole.
fn whole(path: &Path, key: &DbKey) -> Result<(), StoreError> {
    let changed = || {
        StoreError::Corrupt(format!(
            "the backup's data was changed or damaged after it was written ({}): restore another backup, or copy this one again from where it was made",
            path.display()
        ))
    };
    let conn = crate::db::connection(path)?;
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.sqlcipher_literal().as_str()))?;
    let mut stmt = conn.prepare("PRAGMA cipher_integrity_check").map_err(|_| changed())?;
    let failures = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(|_| changed())?.count();
    drop(stmt);
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|_| changed())?;
    if failures > 0 || ok != "ok" {
        return Err(changed());
    }
    Ok(())
}

/// The keyring of the backup at `file`, and where its database starts.
pub(crate) fn read_header(file: &Path) -> Result<(Keyring, u64), StoreError> {
    let not_a_backup = || StoreError::Corrupt(format!("{} is not a Samanvaya backup", file.display()));
    let mut f = std::fs::File::open(file).map_err(io_error(file))?;
    let mut magic = vec![0u8; MAGIC.len()];
    f.read_exact(&mut magic).map_err(|_| not_a_backup())?;
    if magic != MAGIC {
        return Err(not_a_backup());
    }
    let mut len = [0u8; 8];
    f.read_exact(&mut len).map_err(|_| not_a_backup())?;
    let len = u64::from_be_bytes(len);
    if len > 1 << 20 {
        return Err(not_a_backup());
    }
    let mut ring = vec![0u8; len as usize];
    f.read_exact(&mut ring).map_err(|_| not_a_backup())?;
    Ok((Keyring::from_bytes(&ring)?, MAGIC.len() as u64 + 8 + len))
}

/// Copies the database part of the backup at `file` (from byte `db_at`) into `to`, synced.
fn extract_db(file: &Path, db_at: u64, to: &Path) -> Result<(), StoreError> {
    let copy = || -> std::io::Result<()> {
        let mut from = std::fs::File::open(file)?;
        std::io::copy(&mut Read::by_ref(&mut from).take(db_at), &mut std::io::sink())?;
        let mut out = std::fs::File::create(to)?;
        std::io::copy(&mut from, &mut out)?;
        out.sync_all()
    };
    copy().map_err(io_error(to))
}

/// Refuses a backup of `total` bytes into `dir` when the drive has less room than that; a
/// partial file `part` left by a stopped backup is counted as room, since it is replaced.
fn has_room(dir: &Path, part: &Path, total: u64) -> Result<(), StoreError> {
    let Some(free) = crate::removable::free_bytes(dir) else { return Ok(()) };
    let reclaimed = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    if free.saturating_add(reclaimed) < total {
        return Err(StoreError::NoSpace { path: dir.display().to_string(), needed: total, free });
    }
    Ok(())
}

/// Writes the backup file `part`: the header, the keyring `ring` and the database copy `copy`,
/// `total` bytes in all, flushed to the drive every few megabytes so that the progress reported
/// is what the drive holds.
fn write_file(
    part: &Path,
    ring: &[u8],
    copy: &Path,
    total: u64,
    progress: &mut dyn FnMut(BackupProgress),
) -> std::io::Result<()> {
    let mut out = std::fs::File::create(part)?;
    out.write_all(MAGIC)?;
    out.write_all(&(ring.len() as u64).to_be_bytes())?;
    out.write_all(ring)?;
    let mut done = MAGIC.len() as u64 + 8 + ring.len() as u64;
    progress(BackupProgress::Writing { done: 0, total });
    let mut from = std::fs::File::open(copy)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut since_flush = 0;
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n])?;
        done += n as u64;
        since_flush += n as u64;
        if since_flush >= FLUSH_EVERY {
            out.sync_data()?;
            since_flush = 0;
            progress(BackupProgress::Writing { done, total });
        }
    }
    out.sync_all()?;
    forget_cached(&out);
    progress(BackupProgress::Writing { done: total, total });
    Ok(())
}

/// Asks the system to drop the written file from its memory, so that the check reads it back
/// from the drive itself and a stick that lost what it was given is found out. Only advice: a
/// system that ignores it leaves the check reading from memory, as before.
#[cfg(unix)]
fn forget_cached(file: &std::fs::File) {
    let _ = rustix::fs::fadvise(file, 0, None, rustix::fs::Advice::DontNeed);
}

#[cfg(not(unix))]
fn forget_cached(_file: &std::fs::File) {}

/// Reads the backup at `file` back: its database opens with `key`, passes SQLite's integrity
/// check and holds `households` households. The database is taken out into the folder `work`
/// (the data folder, on the laptop's own disk) to be opened there.
fn check(file: &Path, key: &DbKey, households: i64, work: &Path) -> Result<(), StoreError> {
    let (_, db_at) = read_header(file)?;
    let probe =
        work.join(format!(".{}.check", file.file_name().and_then(|n| n.to_str()).unwrap_or("backup")));
    extract_db(file, db_at, &probe)?;
    let result = (|| {
        let conn = crate::db::connection(&probe)?;
        conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.sqlcipher_literal().as_str()))?;
        let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        let count: i64 = conn.query_row("SELECT count(*) FROM household", [], |r| r.get(0))?;
        Ok::<_, rusqlite::Error>(ok == "ok" && count == households)
    })();
    let _ = std::fs::remove_file(&probe);
    match result {
        Ok(true) => Ok(()),
        _ => Err(StoreError::Corrupt(format!(
            "the backup {} did not read back whole; the previous backup was kept",
            file.display()
        ))),
    }
}

/// The folder inside the data folder where the daily snapshots are kept.
pub const SNAPSHOT_DIR: &str = "snapshots";
/// How many daily snapshots are kept; older ones are removed.
pub const SNAPSHOTS_KEPT: usize = 7;

impl Store {
    /// Takes today's snapshot (a backup inside the data folder) unless one was taken today, and
    /// removes all but the newest [`SNAPSHOTS_KEPT`]. A snapshot guards against a damaged
    /// database file, not against a lost laptop: that needs a backup on a USB stick.
    pub fn snapshot_if_due(&self, today: chrono::NaiveDate) -> Result<Option<BackupInfo>, StoreError> {
        self.forget_snapshots_before_withdrawals()?;
        let file = self.snapshot_file(today);
        if file.exists() || !self.who().role.may_write() {
            return Ok(None);
        }
        let info = self.backup(&file)?;
        let old = self.snapshots()?;
        let excess = old.len().saturating_sub(SNAPSHOTS_KEPT);
        remove_all(&old[..excess])?;
        Ok(Some(info))
    }

    /// The file of the snapshot of `day`.
    fn snapshot_file(&self, day: chrono::NaiveDate) -> PathBuf {
        self.data_dir().join(SNAPSHOT_DIR).join(format!("snapshot-{day}.backup"))
    }

    /// The snapshots in the data folder, oldest first (their names sort by date).
    fn snapshots(&self) -> Result<Vec<PathBuf>, StoreError> {
        let dir = self.data_dir().join(SNAPSHOT_DIR);
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(io_error(&dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("snapshot-") && n.ends_with(".backup"))
            })
            .collect();
        found.sort();
        Ok(found)
    }

    /// Removes the snapshots written before the newest withdrawal of consent this store holds: a
    /// laptop that stopped between a withdrawal's commit and [`Store::replace_snapshots`] still
    /// had them. A snapshot's time is its file's; a withdrawal's, its tombstone's.
    fn forget_snapshots_before_withdrawals(&self) -> Result<(), StoreError> {
        let newest: Option<chrono::DateTime<chrono::Utc>> =
            self.conn.query_row("SELECT max(recorded_at) FROM erased", [], |r| r.get(0))?;
        let Some(newest) = newest else { return Ok(()) };
        let mut before = Vec::new();
        for p in self.snapshots()? {
            let written = std::fs::metadata(&p).and_then(|m| m.modified()).map_err(io_error(&p))?;
            if chrono::DateTime::<chrono::Utc>::from(written) < newest {
                before.push(p);
            }
        }
        remove_all(&before)
    }

    /// After a withdrawal of consent is committed, the snapshots taken before it still hold what
    /// was erased: they are removed, every one that can be even when one cannot, because her data
    /// must go, and then one is taken now, after the erasure. When that one cannot be written (a
    /// full disk) the store is left without a snapshot until the next day's. A store without
    /// snapshots gets none. A backup on a USB stick is out of reach: restored, it erases her again
    /// at its next sync, when the withdrawal comes back from the block (docs/security.md).
    pub(crate) fn replace_snapshots(&self, today: chrono::NaiveDate) -> Result<(), StoreError> {
        let old = self.snapshots()?;
        if old.is_empty() {
            return Ok(());
        }
        let removed = remove_all(&old);
        let written = self.backup(&self.snapshot_file(today));
        removed.and(written.map(|_| ()))
    }
}

/// Removes every one of `paths` that can be, one that cannot (or is gone already) not stopping
/// the rest; says the first failure.
fn remove_all(paths: &[PathBuf]) -> Result<(), StoreError> {
    let mut failed = None;
    for p in paths {
        if let Err(e) = std::fs::remove_file(p)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            failed.get_or_insert(io_error(p)(e));
        }
    }
    failed.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drive_without_room_is_refused_before_anything_is_written() {
        let usb = tempfile::tempdir().unwrap();
        let part = usb.path().join(".b.backup.part");
        let free = crate::removable::free_bytes(usb.path()).unwrap();
        assert!(has_room(usb.path(), &part, free / 2).is_ok());
        let refused = has_room(usb.path(), &part, free + (1 << 30));
        assert!(matches!(refused, Err(StoreError::NoSpace { needed, .. }) if needed == free + (1 << 30)));
        let reply = crate::ErrorReply::from(refused.unwrap_err());
        assert_eq!(reply.code, crate::ErrorCode::NoSpace);
        assert!(reply.count.is_some_and(|mb| mb > 0), "the megabytes needed, for the sentence");
        assert_eq!(std::fs::read_dir(usb.path()).unwrap().count(), 0);
    }
}
