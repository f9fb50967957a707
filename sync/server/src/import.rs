//! Importing a sync file from a USB stick (`samanvaya-server import FILE`): the changes of a
//! laptop that had no network at all, checked with the laptop's key and stored through the same
//! path as a push, so that a file imported twice, or imported and then also pushed online, stores
//! each change once.

use chrono::{DateTime, Utc};
use samanvaya_sync_protocol::parcel::{self, ParcelError};
use samanvaya_sync_protocol::{AuditBatch, DeviceKind, GiveBack, GivenBack, Outcome, PushBatch, RefusalCode};
use uuid::Uuid;

use crate::audit::AuditTaken;
use crate::enroll::Caller;
use crate::error::ServerError;
use crate::sql::{Db, Mode, args};
use crate::store::Store;

/// How many changes are stored per transaction: a big file is stored in steps, each acknowledged
/// before the next, so an import cut short resumes where it stopped.
const STEP: usize = 500;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// The laptop that wrote the file.
    pub device: Option<uuid::Uuid>,
    pub device_name: String,
    /// Changes stored for the first time.
    pub new: usize,
    /// Changes that were here already (from an earlier import or an online sync).
    pub already: usize,
    /// Changes stored but not applied, or applied with a review to make.
    pub rejected: usize,
    pub conflicts: usize,
    /// How far this server holds the laptop's audit log after the file's entries; `None` when
    /// the file carried none.
    pub audit_through: Option<i64>,
    /// Why the file's audit entries were refused (a log changed on the laptop) or not taken (an
    /// old copy's, `Store::take_old_copy_audit`): the changes are kept all the same, as a push's
    /// are when its audit batch is refused online.
    pub audit_refused: Option<String>,
    /// The file's audit entries start past the entry after the last one this server holds:
    /// this server was restored from a backup since its last answer to the laptop. None of
    /// them kept (`audit_through` is none); the laptop's next file sends the log from where
    /// this server's answer says it holds it.
    pub audit_short: Option<AuditShort>,
    /// Changes not kept, the file starting past what this server holds of the laptop's work
    /// (`gap_unknown_to`): the laptop sends them again with what is missing, in its next file.
    pub not_kept: usize,
    /// This server's own changes the file gave back (a block restored from a backup had asked
    /// them back in its last answer): taken back, and refused (a seal not its own).
    pub taken_back: usize,
    pub refused_back: usize,
    /// A file from a copy of the laptop from before its restore, the restored copy live here:
    /// what of the old laptop's run was taken from it (`old_copy.rs`). Nothing else of the file
    /// is kept but its audit entries and this server's own sealed steps it gives back, and no
    /// answer is written for that copy.
    pub old_copy: Option<crate::old_copy::OldCopy>,
    /// Why changes of the file were not applied, each reason (each distinct sentence: one that
    /// names a record is its own) once with how many changes it held back, in the order first
    /// met; at most [`REASONS_TOLD`] reasons (the count in `rejected`
    /// is all of them). The operator is told these, not only
    /// how many: "12 not applied" leaves him nothing to do, "a member of a household this
    /// server does not know" sends him to the laptop that has its record.
    pub not_applied: Vec<NotApplied>,
}

/// Where a file's audit entries start, past the last entry this server holds of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditShort {
    /// The last entry this server holds of the log the entries go on.
    pub held: i64,
    /// The file's first entry past it.
    pub first: i64,
}

/// One reason changes of a file were not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotApplied {
    pub reason: String,
    pub count: usize,
}

/// How many distinct reasons a file's import keeps to tell: a file of a laptop whose every
/// change is refused for a reason of its own would otherwise list thousands.
pub const REASONS_TOLD: usize = 20;

fn note_not_applied(told: &mut Vec<NotApplied>, reason: &str) {
    if let Some(known) = told.iter_mut().find(|n| n.reason == reason) {
        known.count += 1;
    } else if told.len() < REASONS_TOLD {
        told.push(NotApplied { reason: reason.to_owned(), count: 1 });
    }
}

/// Whether a laptop's file starts past the next change this server holds of its work while the
/// laptop believed it held more (`Parcel::acked_here` above `held`): this server was restored
/// from a backup after its answers said so. Nothing of the file is kept; the answer says how
/// far this server holds the laptop's work and what the file said
/// (`FeedFile::answers_acked_here`), and the laptop sends everything after it again. Before, the
/// file was taken past the gap, the changes in the gap never came again, and a change after
/// it about a household whose record was in the gap was refused for good. A laptop that knew
/// (its file says no more than is held) and still starts past it no longer has the changes
/// (a laptop prunes what was held a month), and its file is taken as before; so is a file from
/// a laptop too old to say. Online a session says first how far the block holds the work.
/// A gap this server holds every change of is none: a block restored from a backup older than
/// what it forwarded reads that back from the district, and a laptop's file starts after what
/// the district holds (`export_file` in the laptop's sync crate). Kept out, such a file waited
/// for the laptop to hear the answer, and its changes were lost with a laptop that broke first.
fn gap_unknown_to(
    db: &mut dyn Db,
    device: Uuid,
    parcel: &parcel::Parcel,
    held: i64,
) -> Result<bool, ServerError> {
    let Some(first) = parcel.changes.first().map(|c| c.seq) else { return Ok(false) };
    if parcel.acked_here.is_none_or(|said| said <= held) || first <= held + 1 {
        return Ok(false);
    }
    let within = db
        .query_one(
            "SELECT count(*) FROM change WHERE origin_device = ?1 AND origin_seq > ?2 AND origin_seq < ?3",
            args![device, held, first],
        )?
        .int(0)?;
    Ok(within < first - held - 1)
}

/// The first change of a laptop's file numbered at or below `held` that is not the change
/// this server holds under that number but one recorded before it, if any: the file was written
/// on the laptop before it was restored from its backup and lost (a stick found late), and the
/// laptop restored has numbered its own work again after the backup and sent it. Taken, the
/// file's changes would pass for the ones held ("duplicate") and its later ones would take
/// numbers the restored laptop uses next: two changes under one number, one lost on each side.
/// A file sent again holds the same changes, first recorded at the same moments. One whose
/// change was recorded after the one held is the restored laptop's, the old file taken first:
/// refused, every file of that laptop would be, so it is taken as before (its changes pass
/// for the ones held). A file from before a restore the block has heard of is refused before
/// this, by the restores it names (`device_restore.rs`); this catches one from a laptop too old
/// to name them.
fn written_before_a_restore(
    db: &mut dyn Db,
    device: Uuid,
    changes: &[samanvaya_sync_protocol::Change],
    held: i64,
) -> Result<Option<i64>, ServerError> {
    let asked: Vec<&samanvaya_sync_protocol::Change> = changes.iter().filter(|c| c.seq <= held).collect();
    let (Some(first), Some(last)) = (asked.first(), asked.last()) else { return Ok(None) };
    let stored = crate::device_restore::recorded_at_held(db, device, first.seq, last.seq)?;
    Ok(asked
        .iter()
        .find(|c| stored.get(&c.seq).is_some_and(|at| c.recorded_at.timestamp_micros() < *at))
        .map(|c| c.seq))
}

fn refused(e: &ParcelError) -> ServerError {
    ServerError::refused(RefusalCode::BadBody, e.to_string())
}

impl Store {
    /// Imports the bytes of a sync file.
    pub fn import(&mut self, bytes: &[u8], now: DateTime<Utc>) -> Result<Imported, ServerError> {
        let device = parcel::device_of(bytes).map_err(|e| refused(&e))?;
        let Some(row) = self.db.query_opt(
            "SELECT kind, name, secret_hash, revoked_at FROM device WHERE id = ?1",
            args![device],
        )?
        else {
            return Err(ServerError::refused(
                RefusalCode::NotEnrolled,
                format!(
                    "the laptop that wrote this file ({device}) is not enrolled with this server; import it at the block it is enrolled with"
                ),
            ));
        };
        if row.text(0)? != "laptop" {
            return Err(ServerError::Invalid("this file was not written by a laptop".into()));
        }
        if row.opt_text(3)?.is_some() {
            return Err(ServerError::refused(
                RefusalCode::Revoked,
                "the laptop that wrote this file was revoked; its changes are not taken",
            ));
        }
        let key = parcel::key_from_hex(&row.text(2)?)
            .ok_or_else(|| ServerError::Invalid("the device's stored secret is damaged".into()))?;
        // A file of another protocol is refused before anything of it is kept (an old copy's file
        // is stored part by part, each part committed, and a refusal of a later part must not
        // leave the earlier ones unreported), and before its changes are read: a change of a
        // newer kind is no damage, and the operator is told to update (found by a review).
        let parcel = parcel::open(bytes, &key).map_err(|e| match e {
            ParcelError::Protocol { found } => {
                crate::enroll::check_protocol(found).err().unwrap_or_else(|| refused(&e))
            }
            e => refused(&e),
        })?;
        let caller = Caller { device, kind: DeviceKind::Laptop };
        let mut done = Imported { device_name: row.text(1)?, ..Imported::default() };
        // A file from a copy of the laptop from before a restore the block knows of is refused
        // whole, and one from a copy restored since makes it the live one, before anything of
        // the file is kept (`device_restore.rs`).
        let mut tx = self.db.transaction(Mode::Write)?;
        if let Err(refusal) = crate::device_restore::judge(
            &mut *tx,
            device,
            &parcel.restores,
            crate::device_restore::Through::File,
        ) {
            drop(tx);
            if matches!(refusal, ServerError::Refused { code: RefusalCode::RestoredElsewhere, .. }) {
                self.note_refused_copy(device, &parcel.restores)?;
                if let Some(taken) = self.take_old_copy(device, &parcel, now)? {
                    // This server's own steps the file gives back (a restore of this server lost
                    // them, and its last answer to the old laptop asked for them) are taken back
                    // as from any laptop, only what its own key sealed: the old laptop may have
                    // been the only one to read them.
                    let own: Vec<GivenBack> = parcel
                        .given_back
                        .iter()
                        .filter(|g| g.origin.device == self.device)
                        .cloned()
                        .collect();
                    if !own.is_empty() {
                        let ack = self.take_back(
                            &caller,
                            &GiveBack { protocol: parcel.protocol, changes: own },
                            now,
                        )?;
                        (done.taken_back, done.refused_back) = (ack.taken, ack.refused);
                    }
                    self.take_old_copy_audit(&caller, &parcel, now, &mut done)?;
                    return Ok(Imported { device: Some(device), old_copy: Some(taken), ..done });
                }
            }
            return Err(refusal);
        }
        tx.commit()?;
        // Before anything of the file is kept, what it says of the laptop included.
        let held =
            self.db.query_one("SELECT acked_through FROM device WHERE id = ?1", args![device])?.int(0)?;
        if let Some(seq) = written_before_a_restore(&mut *self.db, device, &parcel.changes, held)? {
            return Err(ServerError::refused(
                RefusalCode::BadBody,
                format!(
                    "this file was written on the laptop before it was restored from its backup: its change {seq} is not the one this server holds under that number, which the restored laptop sent. Nothing of the file was taken; the old laptop's changes in it cannot be taken under numbers the restored laptop uses, and are lost with that laptop"
                ),
            ));
        }
        // First, as a session does: the newest of this server's own changes the laptop holds,
        // which shows a restore from a backup before anything of the file is stored (a step
        // given back, numbered past what the backup held, would hide it), and what the server
        // held then, written whole in one transaction (`upstream::own_shown_held`). With how far
        // the laptop knew its work held, for the answer's capped readings (a file from an older
        // laptop says nothing, and the answer then lists none).
        let mut tx = self.db.transaction(Mode::Write)?;
        // The file opened under the laptop's secret: its enrollment's code is not answered again.
        // Only here, once the file is taken: one refused whole leaves nothing of it kept.
        crate::enroll::secret_used(&mut *tx, device, now)?;
        tx.execute(
            "UPDATE device SET usb_acked_here = ?1, usb_server_own_through = ?2 WHERE id = ?3",
            args![parcel.acked_here, parcel.server_own_through, device],
        )?;
        if let Some(through) = parcel.server_own_through {
            crate::upstream::own_shown_held(&mut *tx, self.device, through)?;
        }
        tx.commit()?;
        // Before the changes are stored, which add to the feed: a laptop that read this
        // server's feed before it was restored from a backup reads it again from its start, and
        // its changes say they were made having read none of it.
        let from_start = crate::feed_epoch::stick_reads_again(
            &mut *self.db,
            parcel.feed_epoch.as_deref(),
            parcel.pulled_through,
            parcel.pulled_origin,
        )?;
        let pulled_through = if from_start { 0 } else { parcel.pulled_through };
        let held =
            self.db.query_one("SELECT acked_through FROM device WHERE id = ?1", args![device])?.int(0)?;
        // The file shows this server restored from a backup since its last answer to the
        // laptop: the laptop read further, or was told more of its work held, than this
        // server holds. A file too old to say where its audit entries start may then have them
        // start past what is held (`take_audit`).
        let restore_shown = from_start || parcel.acked_here.is_some_and(|said| said > held);
        let kept: &[samanvaya_sync_protocol::Change] =
            if gap_unknown_to(&mut *self.db, device, &parcel, held)? {
                done.not_kept = parcel.changes.len();
                &[]
            } else {
                &parcel.changes
            };
        for step in kept.chunks(STEP) {
            let batch =
                PushBatch { after: None, protocol: parcel.protocol, pulled_through, changes: step.to_vec() };
            let ack = self.push_answered(&caller, &batch, now, crate::ingest::Answered::ByTheOperator)?;
            for r in &ack.results {
                match r.outcome {
                    Outcome::Applied => done.new += 1,
                    Outcome::Duplicate => done.already += 1,
                    Outcome::Rejected { ref reason } => {
                        done.rejected += 1;
                        note_not_applied(&mut done.not_applied, reason);
                    }
                    Outcome::Conflict { .. } => done.conflicts += 1,
                }
            }
        }
        // This server's own changes it asked back in its last answer, after the laptop's work:
        // a step of a case the laptop's work carries waits for it otherwise (`waiting.rs`).
        // The laptop gave back all it held after what was asked, so what was not taken is not
        // asked again while it holds no newer change of this server's (`export_feed`).
        // Another laptop's old run it asked back is taken back the same way (`given_back.rs`).
        if !parcel.given_back.is_empty() {
            let given = GiveBack { protocol: parcel.protocol, changes: parcel.given_back.clone() };
            let ack = self.take_back(&caller, &given, now)?;
            done.taken_back = ack.taken;
            done.refused_back = ack.refused;
            if parcel.given_back.iter().any(|g| g.origin.device == self.device) {
                self.db.execute(
                    "UPDATE device SET usb_given_back_through = ?1 WHERE id = ?2",
                    args![parcel.server_own_through, device],
                )?;
            }
        }
        // A laptop restored from a backup says where the old laptop's run ends, as at a
        // session (`SessionRequest::run_end`).
        if let Some(end) = parcel.own_through {
            self.db.execute("UPDATE device SET run_end = ?1 WHERE id = ?2", args![end, device])?;
        }
        // The audit log last, as online: it records the work above.
        self.take_audit(&caller, &parcel, now, &mut done, restore_shown)?;
        // The answer written back on the stick starts where the laptop stood when it wrote this:
        // never further back for an older file brought late, but for a laptop restored from a
        // backup exactly where the backup stood, with its own changes after `own_after` (up to
        // `own_through`, the end of the old laptop's run). A restored laptop asks for its old
        // run in every file from then on: the answer goes back to where the file stood only
        // when the file asks from another number than the last one did (its first after the
        // restore, or as the run comes back), so an older file brought late does not move it.
        let asked_before =
            self.db.query_one("SELECT usb_own_after FROM device WHERE id = ?1", args![device])?.opt_int(0)?;
        let own_after = parcel.own_after.filter(|after| from_start || asked_before != Some(*after));
        let own_through = parcel.own_through.filter(|_| parcel.own_after.is_some());
        match (from_start, own_after) {
            (false, None) if parcel.own_after.is_some() => self.db.execute(
                "UPDATE device SET usb_pulled_through = CASE WHEN usb_pulled_through > ?1 THEN usb_pulled_through ELSE ?1 END,
                                   usb_own_through = ?2
                 WHERE id = ?3",
                args![parcel.pulled_through, own_through, device],
            )?,
            (false, None) => self.db.execute(
                "UPDATE device SET usb_pulled_through = CASE WHEN usb_pulled_through > ?1 THEN usb_pulled_through ELSE ?1 END,
                                   usb_own_after = NULL, usb_own_through = NULL
                 WHERE id = ?2",
                args![parcel.pulled_through, device],
            )?,
            // Read again from the start (a restored server's feed), or as the backup stood.
            (_, own_after) => self.db.execute(
                "UPDATE device SET usb_pulled_through = ?1, usb_own_after = ?2, usb_own_through = ?3 WHERE id = ?4",
                args![pulled_through, own_after, own_through, device],
            )?,
        };
        done.device = Some(device);
        Ok(done)
    }

    /// The audit entries of a file from a copy of the laptop from before its restore, which
    /// record the work taken from it. They are taken where the live copy was restored from a
    /// backup of that copy and the entries are on the device's own log: the live copy then
    /// writes a branch of its own from the backup's last entry (`restored::settle_audit` in the
    /// laptop's core), so nothing but the file's copy adds to that log. Otherwise another copy
    /// may write the same numbers of the log: one restored before, on a branch a copy restored
    /// from its backup may go on writing, or, between the file's copy and the live one, a copy
    /// restored by an app from before every restore branched, on the device's own log, which
    /// the live copy then sends on before its branch. Taken, the file's entries would make that
    /// copy's look changed, and the live copy's log would be refused for good.
    fn take_old_copy_audit(
        &mut self,
        caller: &Caller,
        parcel: &parcel::Parcel,
        now: DateTime<Utc>,
        done: &mut Imported,
    ) -> Result<(), ServerError> {
        if parcel.audit.is_empty() {
            return Ok(());
        }
        let live = crate::device_restore::live(&mut *self.db, caller.device)?;
        let from_its_backup = live.len() == parcel.restores.len() + 1 && live.starts_with(&parcel.restores);
        let why = match (&parcel.audit_fork, from_its_backup) {
            (None, true) => {
                // Entries past what this server holds of the log are not taken either way, and
                // this copy gets no answer that would have it send the rest: said as it is.
                self.take_audit(caller, parcel, now, done, true)?;
                let Some(AuditShort { held, first }) = done.audit_short.take() else { return Ok(()) };
                format!(
                    "its {} entries start at entry {first}, past entry {held}, the last this server holds of the laptop's log; they are not taken, and a copy from before the restore gets no answer that would have it send the entries between",
                    parcel.audit.len()
                )
            }
            (Some(fork), _) => format!(
                "its {} entries are on the branch {} its copy wrote after an earlier restore, which a copy restored from its backup may write on too; they are not taken",
                parcel.audit.len(),
                fork.id
            ),
            (None, false) => format!(
                "its {} entries are not taken: the live copy was not restored from a backup of the copy that wrote this file, and a copy between them may have written the same entries' numbers",
                parcel.audit.len()
            ),
        };
        done.audit_refused = Some(why);
        Ok(())
    }

    /// Stores the file's audit entries, on the log or branch they travel on, as an online push
    /// of them would. A refused log (changed on the laptop, or naming a log not its own) fails
    /// nothing of the changes stored before, committed already: the import says why, and goes
    /// on. Entries that start past what this server holds of the log are entries it lost where
    /// they start right after the laptop's word of what this server held (`audit_after`), or,
    /// in a file too old to say it, where the file showed this server restored from a backup
    /// (`restore_shown`): not kept, and said so (`Store::take_stick_audit`). Elsewhere they are
    /// entries taken out of the laptop's log, refused as a change: a laptop whose log lost
    /// entries would otherwise send the rest, never kept, file after file, and nobody would be
    /// told (found by a review). A restore that lost only audit entries shows in nothing else
    /// (a file of audit entries alone is common: every export and every pulled change logs).
    fn take_audit(
        &mut self,
        caller: &Caller,
        parcel: &parcel::Parcel,
        now: DateTime<Utc>,
        done: &mut Imported,
        restore_shown: bool,
    ) -> Result<(), ServerError> {
        if parcel.audit.is_empty() {
            return Ok(());
        }
        let batch = AuditBatch {
            protocol: parcel.protocol,
            device: None,
            entries: parcel.audit.clone(),
            branch: parcel.audit_fork.clone(),
        };
        match self.take_stick_audit(caller, &batch, now, parcel.audit_after, restore_shown) {
            Ok(AuditTaken::Through(through)) => done.audit_through = Some(through),
            Ok(AuditTaken::ShortOf { first, held }) => done.audit_short = Some(AuditShort { held, first }),
            Err(ServerError::Refused {
                code: RefusalCode::AuditBroken | RefusalCode::AuditForeign,
                message,
            }) => done.audit_refused = Some(message),
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Past the reasons kept, a reason already kept is still counted and a new one is not
    /// listed: what is listed and what is not add up to every change held back.
    #[test]
    fn reasons_past_the_ones_kept_are_counted_not_listed() {
        let mut told = Vec::new();
        for n in 1..=REASONS_TOLD + 1 {
            note_not_applied(&mut told, &format!("reason {n}"));
        }
        note_not_applied(&mut told, "reason 1");
        note_not_applied(&mut told, "reason 21");
        assert_eq!(told.len(), REASONS_TOLD);
        assert_eq!(told[0], NotApplied { reason: "reason 1".into(), count: 2 });
        assert!(told.iter().all(|n| n.reason != "reason 21"));
        assert_eq!(told.iter().map(|n| n.count).sum::<usize>(), REASONS_TOLD + 1, "two of 23 untold");
    }
}
