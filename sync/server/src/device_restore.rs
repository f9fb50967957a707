//! Which copy of a laptop restored from a backup is the laptop (`samanvaya_domain::restore`).
//!
//! The block keeps the restores its live copy descends from (`device.restores`, server
//! migration 0036, PostgreSQL 0034), learnt from the laptop's sessions and sync files. A copy
//! restored since becomes the live one. A copy from before (the old laptop found working, or its
//! sync file found late on a USB stick) is refused whole: the restored copy numbered its own work
//! after the backup's last change, where the old copy's numbers mean other changes, and taken,
//! those passed for the restored copy's work or the restored copy's for them, and one side was
//! lost. A block restored from a backup of its own that lost the record learns it again from the
//! laptop's next word.
//!
//! Two copies restored from one backup are ordered by the laptops' clocks at the restores, and a
//! laptop whose clock had gone back made the copy restored later look like the earlier one, and
//! refused for good, perhaps the only copy left. The block keeps the restores of the copy refused
//! last (server migration 0037, PostgreSQL 0035), and its operator takes that copy for the laptop
//! with `samanvaya-server keep-copy --device ID`; the copy it replaces is put aside, refused from
//! then on with any copy restored from its backups, whatever its clock says.

use samanvaya_domain::restore::{RUN_GAP, Standing, standing};
use samanvaya_sync_protocol::{RefusalCode, Restore};
use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Db, Mode, args};
use crate::store::Store;

/// What a copy of a laptop from before its restore speaks through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Through {
    Session,
    File,
}

/// Judges the copy of laptop `device` that says `restores` against the live copy this server
/// knows of, and records it as the live copy when it was restored since. The caller owns the
/// transaction; a copy from before is refused, and nothing of its request should be kept
/// (the caller then keeps its restores with [`Store::note_refused_copy`]).
pub fn judge(
    db: &mut dyn Db,
    device: Uuid,
    restores: &[Restore],
    through: Through,
) -> Result<(), ServerError> {
    match standing_of(db, device, restores)? {
        Standing::Live => Ok(()),
        Standing::Later => {
            db.execute(
                "UPDATE device SET restores = ?1 WHERE id = ?2",
                args![serde_json::to_string(restores)?, device],
            )?;
            end_sessions(db, device)?;
            // Every range of numbers granted until now reached a copy from before: the old
            // laptop may have numbered families from one whose answer a session it sent
            // nothing after still seems to have lost (`enroll.rs`, `not_received`), and its
            // work in a file found late is taken (`old_copy.rs`). Granted again to this copy,
            // two families would share a number.
            db.execute("UPDATE lease SET acked_at_grant = NULL WHERE device_id = ?1", args![device])?;
            // What this server holds of the laptop's numbers may be the copy live until now's:
            // two copies restored from one backup number their work at places chosen by their
            // restore's id, and the one live until now may have numbered above this one. Left
            // so, this copy's work numbered below would pass for held and never be sent, then be
            // pruned. It is held through no more than the old laptop's run, below its newest
            // restore's gap.
            held_below_restore(db, device, restores)?;
            forget_stick_reading(db, device)?;
            Ok(())
        }
        Standing::Superseded { after } => Err(ServerError::refused(
            RefusalCode::RestoredElsewhere,
            match through {
                Through::Session => format!(
                    "this copy of the laptop is from before the laptop was restored from a backup on another copy, which syncs as this laptop now: after its change {after}, the numbers are that copy's. Nothing of this copy was taken; go on with the restored copy, and tell the block office. The work this copy made after the backup reaches the block in a sync file written on it (`samanvaya export-sync`), which the block office imports. If this copy is the one left, the block office takes it for the laptop with `samanvaya-server keep-copy --device {device}`"
                ),
                Through::File => format!(
                    "this file was written on the laptop before it was restored from its backup, and the restored laptop has synced since: after its change {after}, the numbers are the restored laptop's. Nothing of the file was taken; the old laptop's changes in it after that number cannot be taken, and are lost with that laptop. If the copy that wrote this file is the one left, `samanvaya-server keep-copy --device {device}` takes it for the laptop, and the file can be imported again"
                ),
            },
        )),
    }
}

/// How the copy of laptop `device` that says `restores` stands against the live copy this
/// server knows of, and the copy the operator put aside.
pub(crate) fn standing_of(
    db: &mut dyn Db,
    device: Uuid,
    restores: &[Restore],
) -> Result<Standing, ServerError> {
    let row = db.query_one("SELECT restores, restores_set_aside FROM device WHERE id = ?1", args![device])?;
    let (live, aside) = (parse(row.opt_text(0)?)?, parse(row.opt_text(1)?)?);
    Ok(match aside.last() {
        // The copy the operator put aside, or one restored from its backups.
        Some(last) if restores.starts_with(&aside) => Standing::Superseded { after: last.after },
        _ => standing(&live, restores),
    })
}

/// Holds laptop `device`, a copy restored since the live one, through no more than the newest of
/// its numbers this server holds below the gap after the last of `restores`: the numbers of the
/// copy it was restored from, never those of another copy restored from the same backup. Only
/// ever lowered: a number missing below (lost with a restore of this server) is still asked for,
/// where `keep_copy` holds the kept copy through the newest number below the gap.
fn held_below_restore(db: &mut dyn Db, device: Uuid, restores: &[Restore]) -> Result<(), ServerError> {
    let below = restores.last().map_or(i64::MAX, |last| last.after + RUN_GAP);
    db.execute(
        "UPDATE device SET acked_through = CASE WHEN acked_through < held THEN acked_through ELSE held END
         FROM (SELECT coalesce(max(origin_seq), 0) AS held FROM change
               WHERE origin_device = ?1 AND origin_seq < ?2) below_gap
         WHERE id = ?1",
        args![device, below],
    )?;
    Ok(())
}

/// Forgets where the sync files of laptop `device` said it had read the feed, and which of its
/// own changes they asked back: that was the copy live until now, and an answer started there
/// would skip, on the copy live from now, what lies between its own reading and the other's.
/// Its next file says where it stands.
fn forget_stick_reading(db: &mut dyn Db, device: Uuid) -> Result<(), ServerError> {
    db.execute(
        "UPDATE device SET usb_pulled_through = 0, usb_own_after = NULL, usb_own_through = NULL,
                           usb_acked_here = NULL
         WHERE id = ?1",
        args![device],
    )?;
    Ok(())
}

/// Ends every session of laptop `device`: they were opened by a copy that is live no more, and
/// its requests under them (a push of its own numbers, a late one on a slow link) would be taken
/// as the live copy's. Its next session is judged, and refused.
fn end_sessions(db: &mut dyn Db, device: Uuid) -> Result<(), ServerError> {
    db.execute("DELETE FROM session WHERE device_id = ?1", args![device])?;
    Ok(())
}

fn parse(text: Option<String>) -> Result<Vec<Restore>, ServerError> {
    Ok(match text {
        Some(t) => serde_json::from_str(&t)?,
        None => Vec::new(),
    })
}

/// The restores of the live copy of laptop `device` this server knows of, for an answer written
/// to it on a USB stick (`FeedFile::restores`).
pub fn live(db: &mut dyn Db, device: Uuid) -> Result<Vec<Restore>, ServerError> {
    parse(db.query_one("SELECT restores FROM device WHERE id = ?1", args![device])?.opt_text(0)?)
}

impl Store {
    /// Keeps the restores of a copy of laptop `device` just refused, in a transaction of its
    /// own after the refused request's was dropped, for [`Store::keep_copy`].
    pub(crate) fn note_refused_copy(
        &mut self,
        device: Uuid,
        restores: &[Restore],
    ) -> Result<(), ServerError> {
        let mut tx = self.db.transaction(Mode::Write)?;
        tx.execute(
            "UPDATE device SET restores_refused = ?1 WHERE id = ?2",
            args![serde_json::to_string(restores)?, device],
        )?;
        tx.commit()
    }

    /// Takes the copy of laptop `device` refused last for the laptop (`keep-copy`): its
    /// restores become the live copy's, and the copy live until now is put aside. Returns the
    /// restores of the copy kept.
    pub fn keep_copy(&mut self, device: Uuid) -> Result<Vec<Restore>, ServerError> {
        let mut tx = self.db.transaction(Mode::Write)?;
        let Some(row) =
            tx.query_opt("SELECT kind, restores, restores_refused FROM device WHERE id = ?1", args![device])?
        else {
            return Err(ServerError::Invalid(format!(
                "no laptop {device} is enrolled here; `samanvaya-server devices` lists them"
            )));
        };
        if row.text(0)? != "laptop" {
            return Err(ServerError::Invalid(format!("{device} is a block, not a laptop")));
        }
        let (live, refused) = (row.opt_text(1)?, row.opt_text(2)?);
        let Some(refused) = refused else {
            return Err(ServerError::Invalid(format!(
                "no copy of laptop {device} was refused here as one from before its restore; there is nothing to keep"
            )));
        };
        tx.execute(
            "UPDATE device SET restores = ?1, restores_set_aside = ?2, restores_refused = NULL WHERE id = ?3",
            args![&refused, live.clone(), device],
        )?;
        // What this server holds of the laptop's numbers was the copy put aside's, which, where
        // it was restored from a backup, numbered its work far past the copy kept (at least
        // `RUN_GAP` past its backup's last). Left so, the kept copy's next changes, numbered
        // below, would pass for held and be lost: it is held through its numbers below those.
        // A copy put aside that was never restored numbered below every restored copy: the
        // kept one is held through the newest number held.
        let below = parse(live)?.last().map_or(i64::MAX, |aside| aside.after + RUN_GAP);
        tx.execute(
            "UPDATE device SET acked_through =
                 (SELECT coalesce(max(origin_seq), 0) FROM change WHERE origin_device = ?1 AND origin_seq < ?2)
             WHERE id = ?1",
            args![device, below],
        )?;
        forget_stick_reading(&mut *tx, device)?;
        end_sessions(&mut *tx, device)?;
        tx.commit()?;
        parse(Some(refused))
    }
}

/// When each of laptop `device`'s changes numbered `first` to `last` held here was recorded on
/// the laptop, in microseconds, by number. Two copies of a laptop may number different changes
/// alike; the moment each was recorded tells them apart.
pub(crate) fn recorded_at_held(
    db: &mut dyn Db,
    device: Uuid,
    first: i64,
    last: i64,
) -> Result<std::collections::HashMap<i64, i64>, ServerError> {
    db.query(
        "SELECT origin_seq, recorded_at FROM change WHERE origin_device = ?1 AND origin_seq BETWEEN ?2 AND ?3",
        args![device, first, last],
    )?
    .iter()
    .map(|r| Ok((r.int(0)?, r.time(1)?.timestamp_micros())))
    .collect()
}
