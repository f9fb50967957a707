//! The server's store: its database (SQLite or PostgreSQL, behind [`crate::sql::Db`]), its
//! identity as a device of its own, and its clock.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use samanvaya_domain::Hlc;
use samanvaya_sync_protocol::Role;
use uuid::Uuid;

use crate::error::ServerError;
use crate::postgresql::Postgres;
use crate::sql::{Db, Mode, args};
use crate::sqlite::Sqlite;

/// The store shared by the server's requests and its forwarding, taken for one call. A call
/// that panicked left the lock poisoned, and every request after it was refused until the
/// server was started again (found by a review); its transaction was rolled back as the panic
/// unwound (`sql::Tx` rolls back when dropped), so the store is whole, and is taken as it is.
pub fn take(store: &std::sync::Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The block or district server's store.
pub struct Store {
    pub(crate) db: Box<dyn Db>,
    pub(crate) device: Uuid,
    pub(crate) role: Role,
    /// This run of the server process: a feed epoch is made once per run (`feed_epoch.rs`).
    pub(crate) run: Uuid,
    /// The catalogue bundle last handed out in pieces, by its digest (`catalogue.rs`).
    pub(crate) bundle_in_pieces: Option<(String, Arc<[u8]>)>,
}

impl Store {
    /// The SQLite store in `dir`, created on first start.
    pub fn sqlite(dir: &Path, role: Role, now: DateTime<Utc>) -> Result<Store, ServerError> {
        Store::open(Box::new(Sqlite::open(dir)?), role, now)
    }

    /// The PostgreSQL store at `url`, its tables created on first start.
    pub fn postgres(url: &str, role: Role, now: DateTime<Utc>) -> Result<Store, ServerError> {
        Store::open(Box::new(Postgres::open(url)?), role, now)
    }

    /// The store on `db`, made for `role` on first start. A database made for the other role is
    /// refused: a block's store is not a district's.
    pub fn open(mut db: Box<dyn Db>, role: Role, now: DateTime<Utc>) -> Result<Store, ServerError> {
        let mut tx = db.transaction(Mode::Write)?;
        let found = tx.query_opt("SELECT device_id, role FROM identity WHERE id = 1", &[])?;
        let device = match found {
            Some(row) => {
                let stored = row.text(1)?;
                if stored != role.as_str() {
                    return Err(ServerError::Invalid(format!(
                        "this {} store holds a {stored} server's data; start it with --role {stored}, or give the {} server a store of its own",
                        tx.kind(),
                        role.as_str()
                    )));
                }
                row.uuid(0)?
            }
            None => {
                let id = Uuid::now_v7();
                tx.execute(
                    "INSERT INTO identity (id, device_id, role, created_at) VALUES (1, ?1, ?2, ?3)",
                    args![id, role.as_str(), now],
                )?;
                id
            }
        };
        crate::seal::ensure_key(&mut *tx)?;
        tx.commit()?;
        Ok(Store { db, device, role, run: Uuid::now_v7(), bundle_in_pieces: None })
    }

    pub fn device(&self) -> Uuid {
        self.device
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// Which database holds the store.
    pub fn kind(&self) -> &'static str {
        self.db.kind()
    }
}

/// The server's last clock reading.
pub(crate) fn clock(db: &mut dyn Db, device: Uuid) -> Result<Hlc, ServerError> {
    let row = db.query_one("SELECT clock FROM identity WHERE id = 1", &[])?;
    Ok(match row.opt_text(0)? {
        Some(t) => serde_json::from_str(&t)?,
        None => Hlc::zero(device),
    })
}

/// The server's next clock reading for a change made here, and its number for that change.
///
/// The number is never below the time in thousandths of a millisecond (`TIME_NUMBERED`): a
/// server restored from a backup numbers its changes again from where the backup stood, and one
/// it made before the restore, which its district and laptops hold, had that number. They took
/// the new change for it and skipped it (a step an officer took before any device's word
/// showed the restore). With the time as the floor, a change made after the restore is
/// numbered past every one made before it, as long as the server's clock moves forward; where
/// it does not, the stored number still counts up, as before.
pub(crate) fn tick(db: &mut dyn Db, device: Uuid, now: DateTime<Utc>) -> Result<(Hlc, i64), ServerError> {
    let stored = db.query_one("SELECT next_seq FROM identity WHERE id = 1", &[])?.int(0)?;
    let seq = stored.max(now.timestamp_millis().saturating_mul(TIME_NUMBERED));
    let hlc = clock(db, device)?.tick(now.timestamp_millis());
    db.execute(
        "UPDATE identity SET clock = ?1, next_seq = ?2 WHERE id = 1",
        args![serde_json::to_string(&hlc)?, seq + 1],
    )?;
    Ok((hlc, seq))
}

/// How many numbers of its own changes a server has in each millisecond before its numbers run
/// ahead of its clock (they then count up from there, still never twice).
const TIME_NUMBERED: i64 = 1_000;

/// Moves the server's clock past a reading it received, so that a change made here next is
/// ordered after it.
pub(crate) fn observe(
    db: &mut dyn Db,
    device: Uuid,
    seen: Hlc,
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    let next = clock(db, device)?.observe(seen, now.timestamp_millis());
    db.execute("UPDATE identity SET clock = ?1 WHERE id = 1", args![serde_json::to_string(&next)?])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn a_call_that_panicked_in_the_middle_of_a_write_leaves_the_store_to_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Mutex::new(Store::sqlite(dir.path(), Role::Block, Utc::now()).unwrap()));
        let next = |s: &mut Store| {
            s.db.query_one("SELECT next_seq FROM identity WHERE id = 1", &[]).unwrap().int(0).unwrap()
        };
        let before = next(&mut take(&store));
        let shared = store.clone();
        let panicked = std::thread::spawn(move || {
            let mut s = take(&shared);
            let mut tx = s.db.transaction(Mode::Write).unwrap();
            tx.execute("UPDATE identity SET next_seq = next_seq + 1000 WHERE id = 1", &[]).unwrap();
            panic!("a store call fails in the middle of its write");
        })
        .join();
        assert!(panicked.is_err() && store.is_poisoned());
        let mut s = take(&store);
        assert_eq!(next(&mut s), before, "the panicked write was rolled back");
        let tx = s.db.transaction(Mode::Write).unwrap();
        tx.commit().unwrap();
    }
}
