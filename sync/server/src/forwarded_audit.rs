//! The district's side of a block forwarding its laptops' audit logs: whose log a batch adds to,
//! and how far the district holds each log a block forwards. A laptop's log is kept under the
//! laptop's own device id, in the same table and checked with the same chain as a log that
//! arrived first-hand (`audit.rs`). Only one block may add to it: the first block through which
//! the laptop's changes reached the district and that forwards its log claims it
//! (`forwarded_audit`, server migration 0008), so that no other block can write entries into a
//! laptop's log, nor take over one.

use chrono::{DateTime, Utc};
use samanvaya_sync_protocol::{AuditHeld, DeviceKind, RefusalCode};
use uuid::Uuid;

use crate::enroll::Caller;
use crate::error::ServerError;
use crate::sql::{Db, Mode, args};
use crate::store::Store;

/// Whose log a batch from `caller` adds to: the caller's own when it names no device, or the
/// laptop a block forwards, once this block may add to that laptop's log. The first batch a
/// block forwards of a laptop's log claims the log for that block, in the caller's transaction,
/// so a refused batch claims nothing. `here` is this server's own device id.
pub(crate) fn whose_log(
    db: &mut dyn Db,
    here: Uuid,
    caller: &Caller,
    device: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Uuid, ServerError> {
    let device = match device {
        None => return Ok(caller.device),
        Some(d) if d == caller.device => return Ok(d),
        Some(d) => d,
    };
    if caller.kind == DeviceKind::Laptop {
        return Err(foreign("a laptop sends only its own audit log".into()));
    }
    let enrolled_here =
        device == here || db.query_opt("SELECT 1 FROM device WHERE id = ?1", args![device])?.is_some();
    if enrolled_here {
        return Err(foreign(format!(
            "device {device} is enrolled with this server itself: its audit log comes from it alone"
        )));
    }
    let block = caller.device.to_string();
    if let Some(r) = db.query_opt("SELECT via FROM forwarded_audit WHERE device_id = ?1", args![device])? {
        let via = r.text(0)?;
        if via != block {
            return Err(foreign(format!(
                "the audit log of laptop {device} reaches this district through block {via}, not this one"
            )));
        }
        return Ok(device);
    }
    // The first batch of this laptop's log: the block claims it only if the laptop's changes
    // reached the district through it, and through no other block.
    let elsewhere = db.query_opt(
        "SELECT via FROM change WHERE origin_device = ?1 AND via != ?2 LIMIT 1",
        args![device, &block],
    )?;
    if let Some(r) = elsewhere {
        return Err(foreign(format!(
            "the changes of laptop {device} reach this district through {}, not this block; its audit log comes that way too",
            r.text(0)?
        )));
    }
    let through_this = db.query_opt(
        "SELECT 1 FROM change WHERE origin_device = ?1 AND via = ?2 LIMIT 1",
        args![device, &block],
    )?;
    if through_this.is_none() {
        return Err(foreign(format!(
            "no change of laptop {device} has reached this district through this block yet; its audit log follows its changes"
        )));
    }
    db.execute(
        "INSERT INTO forwarded_audit (device_id, via, first_at) VALUES (?1, ?2, ?3)",
        args![device, &block, now],
    )?;
    Ok(device)
}

/// How far this server holds each laptop's log that `block` forwards, and each branch of one
/// (by the branch's id), for the block's session.
pub(crate) fn held_for(db: &mut dyn Db, block: Uuid) -> Result<Vec<AuditHeld>, ServerError> {
    // One lookup per laptop in the log's index, rather than counting through every entry held:
    // every session of the block asks this.
    let logs = db.query(
        "SELECT f.device_id, coalesce((SELECT max(a.seq) FROM device_audit a WHERE a.device_id = f.device_id), 0)
         FROM forwarded_audit f WHERE f.via = ?1
         UNION ALL
         SELECT b.id, coalesce((SELECT max(a.seq) FROM device_audit a WHERE a.device_id = b.id), b.from_seq)
         FROM audit_branch b JOIN forwarded_audit f ON f.device_id = b.device_id WHERE f.via = ?1
         ORDER BY 1",
        args![block],
    )?;
    logs.iter().map(|r| Ok(AuditHeld { device: r.uuid(0)?, through: r.int(1)? })).collect()
}

impl Store {
    /// Hands the audit log of `laptop`, claimed by the block that forwarded it first, over to the
    /// block `to`: the district operator's word when a block office is reinstalled with a new
    /// device (its logs would otherwise be refused from it for ever), or when a village moves to
    /// another block. The entries held stay; `to` forwards the rest from where they end. Returns
    /// the new block's name.
    pub fn hand_over_audit(&mut self, laptop: Uuid, to: Uuid) -> Result<String, ServerError> {
        let mut tx = self.db.transaction(Mode::Write)?;
        let block = crate::enroll::block_named(&mut *tx, to)?;
        let moved = tx.execute(
            "UPDATE forwarded_audit SET via = ?1 WHERE device_id = ?2",
            args![to.to_string(), laptop],
        )?;
        if moved == 0 {
            return Err(ServerError::Invalid(format!(
                "no block forwards the audit log of laptop {laptop} yet: the first block through which its changes come takes it; `samanvaya-server audit` lists the logs held"
            )));
        }
        tx.commit()?;
        Ok(block)
    }
}

fn foreign(message: String) -> ServerError {
    ServerError::refused(RefusalCode::AuditForeign, message)
}
