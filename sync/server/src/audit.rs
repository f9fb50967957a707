//! The devices' audit logs, as they arrive with the sync: each entry is checked to follow from
//! the one before it (the chain of `samanvaya_domain::audit`) before it is stored, so the block
//! holds every laptop's log as the laptop wrote it, and a log edited on the laptop is refused at
//! the first entry that does not follow, with nothing of the batch kept. A district keeps the
//! logs its blocks forward the same way, under each laptop's own id (`forwarded_audit.rs` says
//! which block may add to which log).

use chrono::{DateTime, Utc};
use samanvaya_domain::audit::AuditEntry;
use samanvaya_sync_protocol::parcel::{hex, unhex};
use samanvaya_sync_protocol::{AuditAck, AuditBatch, RefusalCode};
use uuid::Uuid;

use crate::enroll::Caller;
use crate::error::ServerError;
use crate::sql::{Db, Mode, args};
use crate::store::Store;

/// The last entry the server holds of `device`'s log, or of a branch by its id: its seq and
/// hash (0 and empty for none; where a branch grew from, for a branch with none of its own).
pub(crate) fn last(db: &mut dyn Db, device: Uuid) -> Result<(i64, Vec<u8>), ServerError> {
    let row = db.query_opt(
        "SELECT seq, hash FROM device_audit WHERE device_id = ?1 ORDER BY seq DESC LIMIT 1",
        args![device],
    )?;
    match row {
        None => match crate::audit_branch::get(db, device)? {
            None => Ok((0, Vec::new())),
            Some(b) => {
                let hash = unhex(&b.fork.from_hash).ok_or_else(|| {
                    ServerError::Invalid(format!("the stored audit log branch {device} is damaged"))
                })?;
                Ok((b.fork.from_seq, hash))
            }
        },
        Some(r) => {
            let hash = unhex(&r.text(1)?).ok_or_else(|| {
                ServerError::Invalid(format!("the stored audit log of {device} is damaged"))
            })?;
            Ok((r.int(0)?, hash))
        }
    }
}

/// Up to `limit` entries of `device`'s stored log after `after`, in order.
pub(crate) fn entries_after(
    db: &mut dyn Db,
    device: Uuid,
    after: i64,
    limit: usize,
) -> Result<Vec<AuditEntry>, ServerError> {
    db.query(
        "SELECT seq, at, who, action, detail, hash FROM device_audit
         WHERE device_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        args![device, after, limit as i64],
    )?
    .iter()
    .map(|r| {
        Ok(AuditEntry {
            seq: r.int(0)?,
            at: r.text(1)?,
            who: r.text(2)?,
            action: r.text(3)?,
            detail: r.text(4)?,
            hash: unhex(&r.text(5)?).ok_or_else(|| {
                ServerError::Invalid(format!("the stored audit log of {device} is damaged"))
            })?,
        })
    })
    .collect()
}

/// What a batch of a log starting past the entry after the last one held means.
#[derive(Debug, Clone, Copy)]
enum Gap {
    /// Entries were taken out of the log: refused as a change.
    Broken,
    /// This server may have lost entries it held (`Store::take_stick_audit`): where the batch
    /// starts right after the sender's word of what this server held (`said`), or, with no
    /// word, where the file showed this server restored (`shown`).
    Lost { said: Option<i64>, shown: bool },
}

impl Gap {
    /// Whether a batch starting at entry `first`, past the entry after the last one held, is
    /// entries this server lost.
    fn lost(self, first: i64) -> bool {
        match self {
            Gap::Broken => false,
            Gap::Lost { said: Some(said), .. } => first == said + 1,
            Gap::Lost { said: None, shown } => shown,
        }
    }
}

/// What became of a batch of a device's audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuditTaken {
    /// The log is held through this entry, the batch's new entries stored.
    Through(i64),
    /// Nothing stored: the batch starts at entry `first`, past the entry after `held`, the
    /// last one this server holds.
    ShortOf { first: i64, held: i64 },
}

/// What a device's stored log looks like, for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLog {
    pub device: Uuid,
    /// The device's name as enrolled here; empty for a laptop whose log a block forwarded.
    pub name: String,
    pub entries: i64,
    pub last_at: Option<String>,
    /// At a district, the name of the block that forwarded this laptop's log.
    pub forwarded_by: Option<String>,
    /// For a branch of a log (a laptop restored from a backup), the device whose log it is and
    /// the last entry it shares with the log it grew from.
    pub branch_of: Option<(Uuid, i64)>,
}

impl Store {
    /// Stores the entries of a device's audit log that follow those already held: the caller's
    /// own, or the laptop's a block forwards (`batch.device`), on the log itself or on a branch
    /// of it (`batch.branch`, `audit_branch.rs`). Entries held already are skipped (a batch sent
    /// again after a lost answer); an entry that does not follow from the one before refuses the
    /// whole batch. Online, a session says first how far the log is held, so a batch that
    /// starts past the next entry had entries taken out of the log: refused too.
    pub fn push_audit(
        &mut self,
        caller: &Caller,
        batch: &AuditBatch,
        now: DateTime<Utc>,
    ) -> Result<AuditAck, ServerError> {
        match self.store_audit(caller, batch, now, Gap::Broken)? {
            AuditTaken::Through(through) => Ok(AuditAck { through }),
            // Never returned for `Gap::Broken`.
            AuditTaken::ShortOf { first, held } => Err(broken(held + 1, first)),
        }
    }

    /// As [`Store::push_audit`], for the entries of a sync file from a USB stick. The file
    /// carries the log from where this server's last answer said it held it (`said`, the
    /// file's `audit_after`); a server that holds less now was restored from a backup since,
    /// and the entries between are not lost but on the laptop, which sends them in its next
    /// file once this server's answer says how far it holds the log. Such a file's entries are
    /// not kept, and it is said so: before, it was refused as a log changed after it was
    /// written, which sent the operator and the facilitator after an edit nobody made (found
    /// by a review). Entries that start past the laptop's own word were taken out of its log:
    /// refused as a change, and so are those of a file too old to say its word, unless the
    /// file showed the restore otherwise (`shown`).
    pub(crate) fn take_stick_audit(
        &mut self,
        caller: &Caller,
        batch: &AuditBatch,
        now: DateTime<Utc>,
        said: Option<i64>,
        shown: bool,
    ) -> Result<AuditTaken, ServerError> {
        self.store_audit(caller, batch, now, Gap::Lost { said, shown })
    }

    fn store_audit(
        &mut self,
        caller: &Caller,
        batch: &AuditBatch,
        now: DateTime<Utc>,
        gap: Gap,
    ) -> Result<AuditTaken, ServerError> {
        crate::enroll::check_protocol(batch.protocol)?;
        let mut tx = self.db.transaction(Mode::Write)?;
        let owner = crate::forwarded_audit::whose_log(&mut *tx, self.device, caller, batch.device, now)?;
        let device = match &batch.branch {
            None => owner,
            Some(fork) => crate::audit_branch::take(&mut *tx, self.device, owner, fork, now)?,
        };
        let (held, mut prev) = last(&mut *tx, device)?;
        let mut seq = held;
        let new: Vec<&AuditEntry> = batch.entries.iter().filter(|e| e.seq > held).collect();
        if let Some(first) = new.first().map(|e| e.seq).filter(|s| *s > held + 1)
            && gap.lost(first)
        {
            // Nothing written: the transaction (and any branch it named) is dropped.
            return Ok(AuditTaken::ShortOf { first, held });
        }
        // Entries travel without their hashes but the last (`AuditBatch::of`): each is computed
        // here, and a hash the sender sent, the last one's at least, must be the one computed.
        // An edit shows at the first carried hash after it, so the refusal names the entries
        // since the last hash that matched.
        let mut unchecked_from = None;
        for (i, e) in new.iter().enumerate() {
            let from = *unchecked_from.get_or_insert(e.seq);
            let hash = e.chained(seq, &prev).ok_or_else(|| broken(from, e.seq))?;
            if i + 1 == new.len() && e.hash.is_empty() {
                return Err(broken(from, e.seq));
            }
            if !e.hash.is_empty() {
                unchecked_from = None;
            }
            tx.execute(
                "INSERT INTO device_audit (device_id, seq, at, who, action, detail, hash, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                args![device, e.seq, &e.at, &e.who, &e.action, &e.detail, hex(&hash), now],
            )?;
            (seq, prev) = (e.seq, hash);
        }
        tx.commit()?;
        Ok(AuditTaken::Through(seq))
    }

    /// Every device with the audit entries held of it: the devices enrolled here, then (at a
    /// district) the laptops whose logs the blocks forwarded, each with the block's name.
    pub fn audit_logs(&mut self) -> Result<Vec<DeviceLog>, ServerError> {
        let enrolled = self.db.query(
            "SELECT d.id, d.name, count(a.seq), max(a.at), CAST(NULL AS TEXT) FROM device d
             LEFT JOIN device_audit a ON a.device_id = d.id
             GROUP BY d.id, d.name, d.enrolled_at ORDER BY d.enrolled_at",
            &[],
        )?;
        let forwarded = self.db.query(
            "SELECT f.device_id, CAST('' AS TEXT), count(a.seq), max(a.at), b.name FROM forwarded_audit f
             JOIN device b ON b.id = f.via
             LEFT JOIN device_audit a ON a.device_id = f.device_id
             GROUP BY f.device_id, b.name, f.first_at ORDER BY f.first_at",
            &[],
        )?;
        let mut logs: Vec<DeviceLog> = enrolled
            .iter()
            .chain(&forwarded)
            .map(|r| {
                Ok(DeviceLog {
                    device: r.uuid(0)?,
                    name: r.text(1)?,
                    entries: r.int(2)?,
                    last_at: r.opt_text(3)?,
                    forwarded_by: r.opt_text(4)?,
                    branch_of: None,
                })
            })
            .collect::<Result<_, ServerError>>()?;
        // Each branch after the log of its device, named as that log is.
        let branches = self.db.query(
            "SELECT b.id, b.device_id, b.from_seq, count(a.seq), max(a.at) FROM audit_branch b
             LEFT JOIN device_audit a ON a.device_id = b.id
             GROUP BY b.id, b.device_id, b.from_seq ORDER BY b.id",
            &[],
        )?;
        for r in branches.iter().rev() {
            let (id, device) = (r.uuid(0)?, r.uuid(1)?);
            let Some(at) = logs.iter().position(|l| l.device == device) else { continue };
            let log = DeviceLog {
                device: id,
                name: logs[at].name.clone(),
                entries: r.int(3)?,
                last_at: r.opt_text(4)?,
                forwarded_by: logs[at].forwarded_by.clone(),
                branch_of: Some((device, r.int(2)?)),
            };
            logs.insert(at + 1, log);
        }
        Ok(logs)
    }

    /// One device's stored log, in order: a laptop's own at its block, or the one its block
    /// forwarded at the district.
    pub fn audit_log(&mut self, device: Uuid) -> Result<Vec<AuditEntry>, ServerError> {
        entries_after(&mut *self.db, device, 0, usize::MAX >> 1)
    }
}

/// The refusal of a batch whose log does not follow on somewhere in the entries `from` to `to`.
fn broken(from: i64, to: i64) -> ServerError {
    let place =
        if from == to { format!("at entry {to}") } else { format!("between entries {from} and {to}") };
    ServerError::refused(
        RefusalCode::AuditBroken,
        format!(
            "the laptop's audit log does not follow on {place}: it was changed after it was written. Nothing of this log was kept; run `samanvaya audit verify` on the laptop and call the block office"
        ),
    )
}
