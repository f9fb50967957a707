//! The branches of a device's audit log (protocol version 8). A laptop restored from a backup
//! goes on writing its log from the backup's last entry; when the old laptop had synced entries
//! after that backup, the server holds those under the same numbers, and the restored laptop's
//! entries cannot follow them (each hash covers the entry before). They arrive as a branch
//! (`AuditFork`): its own id, the log it grew from (the device's own, or an earlier branch of
//! the same device when a laptop was restored twice) and the last entry the two share. The
//! server takes a branch only from the device it belongs to (or, at a district, from the block
//! that forwards that laptop's log), checks that the log it grew from holds the shared entry with
//! the same hash, and keeps its entries in `device_audit` under the branch's id, checked link by
//! link like any log's (`audit.rs`). So nothing the old laptop sent is overwritten, and nothing
//! the restored one does goes unlogged at the block.

use chrono::{DateTime, Utc};
use samanvaya_sync_protocol::parcel::{hex, unhex};
use samanvaya_sync_protocol::{AuditFork, AuditHeld, RefusalCode};
use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Db, args};

/// A branch as the server keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Branch {
    /// The device whose log this is a branch of.
    pub device: Uuid,
    pub fork: AuditFork,
}

/// The branch `id`, if this server keeps one by that id.
pub(crate) fn get(db: &mut dyn Db, id: Uuid) -> Result<Option<Branch>, ServerError> {
    let Some(r) = db.query_opt(
        "SELECT device_id, parent, from_seq, from_hash FROM audit_branch WHERE id = ?1",
        args![id],
    )?
    else {
        return Ok(None);
    };
    let parent = r.opt_text(1)?.map(|p| p.parse::<Uuid>()).transpose().map_err(|_| damaged(id))?;
    Ok(Some(Branch {
        device: r.uuid(0)?,
        fork: AuditFork { id, parent, from_seq: r.int(2)?, from_hash: r.text(3)? },
    }))
}

/// The hash of entry `seq` of `log` (a device's own log, or a branch of it), following a branch
/// back to the log it grew from for the entries they share. None when the log is not held that
/// far here.
fn hash_of(db: &mut dyn Db, log: Uuid, seq: i64) -> Result<Option<Vec<u8>>, ServerError> {
    let mut log = log;
    // A branch grows from an earlier one only when a laptop is restored again; a chain of them
    // longer than this is not a laptop's history but a loop.
    for _ in 0..64 {
        if let Some(b) = get(db, log)? {
            if seq == b.fork.from_seq {
                return unhex(&b.fork.from_hash).map(Some).ok_or_else(|| damaged(log));
            }
            if seq < b.fork.from_seq {
                log = b.fork.parent.unwrap_or(b.device);
                continue;
            }
        }
        if seq == 0 {
            return Ok(Some(Vec::new()));
        }
        let row =
            db.query_opt("SELECT hash FROM device_audit WHERE device_id = ?1 AND seq = ?2", args![log, seq])?;
        return row.map(|r| unhex(&r.text(0)?).ok_or_else(|| damaged(log))).transpose();
    }
    Err(damaged(log))
}

/// The log a batch of `owner`'s entries on `fork` adds to: the branch's id, once the branch is
/// known to be `owner`'s and to grow from an entry this server holds with the same hash. A new
/// branch is recorded in the caller's transaction, so a refused batch records nothing. `here` is
/// this server's own device id.
pub(crate) fn take(
    db: &mut dyn Db,
    here: Uuid,
    owner: Uuid,
    fork: &AuditFork,
    now: DateTime<Utc>,
) -> Result<Uuid, ServerError> {
    if fork.id == owner || fork.parent == Some(fork.id) {
        return Err(broken(fork, "it names itself as the log it grew from"));
    }
    if fork.from_seq < 0 {
        return Err(broken(fork, "it grows from an entry before the first"));
    }
    if let Some(kept) = get(db, fork.id)? {
        if kept.device != owner {
            return Err(ServerError::refused(
                RefusalCode::AuditForeign,
                format!("the audit log branch {} is another laptop's", fork.id),
            ));
        }
        if kept.fork != *fork {
            return Err(broken(fork, "it grew from another entry when it first arrived"));
        }
        return Ok(fork.id);
    }
    // A new branch's id must name no other log: not this server, a device enrolled here, a
    // laptop whose log a block forwards, nor any log held already. Else a laptop could write
    // entries into another device's log under the name of a branch.
    let named = fork.id == here
        || db.query_opt("SELECT 1 FROM device WHERE id = ?1", args![fork.id])?.is_some()
        || db.query_opt("SELECT 1 FROM forwarded_audit WHERE device_id = ?1", args![fork.id])?.is_some()
        || db.query_opt("SELECT 1 FROM device_audit WHERE device_id = ?1 LIMIT 1", args![fork.id])?.is_some();
    if named {
        return Err(ServerError::refused(
            RefusalCode::AuditForeign,
            format!("the audit log branch {} names another device's log", fork.id),
        ));
    }
    let grew_from = match fork.parent {
        None => owner,
        Some(parent) => match get(db, parent)? {
            Some(b) if b.device == owner => parent,
            _ => return Err(broken(fork, "the branch it grew from is not this laptop's, or not held here")),
        },
    };
    match hash_of(db, grew_from, fork.from_seq)? {
        None => {
            return Err(broken(
                fork,
                "the log it grew from is not held here that far yet; the next sync sends the rest of it first",
            ));
        }
        Some(hash) if hex(&hash) != fork.from_hash => {
            return Err(broken(
                fork,
                "that entry is held here with another hash: the backup the laptop was restored from was changed",
            ));
        }
        Some(_) => {}
    }
    // A branch from the last entry held goes around nothing here, and is taken all the same: a
    // laptop restored from a backup branches whatever its block holds, since a block restored
    // from a backup of its own may hold less of the old laptop's log than the district does.
    // Its entries are checked link by link from the shared entry, as the log's own would be.
    db.execute(
        "INSERT INTO audit_branch (id, device_id, parent, from_seq, from_hash, first_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![fork.id, owner, fork.parent, fork.from_seq, &fork.from_hash, now],
    )?;
    Ok(fork.id)
}

/// How far this server holds each branch of `device`'s log, by the branch's id: its last entry,
/// or where it grew from when it holds none of its own yet.
pub(crate) fn held_of(db: &mut dyn Db, device: Uuid) -> Result<Vec<AuditHeld>, ServerError> {
    db.query(
        "SELECT b.id, coalesce((SELECT max(a.seq) FROM device_audit a WHERE a.device_id = b.id), b.from_seq)
         FROM audit_branch b WHERE b.device_id = ?1 ORDER BY b.id",
        args![device],
    )?
    .iter()
    .map(|r| Ok(AuditHeld { device: r.uuid(0)?, through: r.int(1)? }))
    .collect()
}

fn broken(fork: &AuditFork, why: &str) -> ServerError {
    ServerError::refused(
        RefusalCode::AuditBroken,
        format!(
            "the laptop's audit log since its restore (branch {}, from entry {}) was not kept: {why}",
            fork.id, fork.from_seq
        ),
    )
}

fn damaged(log: Uuid) -> ServerError {
    ServerError::Invalid(format!("the stored audit log branch {log} is damaged"))
}
