//! The work in a late sync file from a copy of a laptop from before its restore.
//!
//! A laptop restored from a backup becomes the laptop at its first word to the block; a copy
//! from before it is refused from then on (`device_restore.rs`). That copy's file may still hold
//! work nothing else holds: the old laptop wrote it to a USB stick and then broke, and the stick
//! reached the block office after the restored laptop's own file. Refused whole, that work was
//! lost. The restored laptop numbers its own work past the old laptop's run, whose end it says
//! (`device.run_end`), and never uses a number in that run; the block already takes back changes
//! of the run from other laptops that read them (`given_back.rs`). So the file's changes
//! numbered in the run, after the backup's last (for a live copy restored twice, the first
//! backup the file's copy missed) and up to the run's end, are taken: each is the
//! old copy's own, authenticated by the laptop's key as every file is, and the restored laptop
//! reads it back with the rest of its old run. What the backup held is the restored laptop's to
//! send, and a number past the run's end is another copy's: neither is taken. Nothing of the
//! file moves what the block holds of the laptop's own numbers (`acked_through`), which is the
//! restored laptop's, and the old copy gets no answer: other laptops' runs it gives back are
//! not taken, as a copy that syncs as the laptop no more. This server's own steps it gives back
//! are (`import.rs`): their seal shows they are this server's. So are its audit entries on the
//! device's own log, which record its work: a copy restored from a backup of that log writes a
//! branch of its own (`audit_branch.rs`), so no other copy adds to it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use samanvaya_domain::restore::Standing;
use samanvaya_sync_protocol::parcel::Parcel;
use samanvaya_sync_protocol::{Change, Outcome};
use uuid::Uuid;

use crate::batch::{self, Incoming, Sender};
use crate::error::ServerError;
use crate::sql::{Db, Mode};
use crate::store::Store;

/// What was taken of a copy's late file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OldCopy {
    /// The last change of the first backup the file's copy missed: the numbers after it are
    /// that copy's.
    pub after: i64,
    /// The changes of the run stored for the first time, here already, and stored but not
    /// applied (as a push's would be).
    pub taken: usize,
    pub held: usize,
    pub rejected: usize,
    /// The file's changes outside the run: the backup's, or another copy's past the run's end.
    pub not_taken: usize,
}

impl Store {
    /// Takes the changes of laptop `device`'s old run from a file its copy from before the
    /// restore wrote (`parcel`), or `None` where no run is known: the restored copy did not say
    /// where it ends (an older app), and the file is refused whole as before.
    pub(crate) fn take_old_copy(
        &mut self,
        device: Uuid,
        parcel: &Parcel,
        now: DateTime<Utc>,
    ) -> Result<Option<OldCopy>, ServerError> {
        let mut tx = self.db.transaction(Mode::Write)?;
        let Some(run) = crate::given_back::old_run(&mut *tx, device, None)? else { return Ok(None) };
        // The copy's own numbers start after the last change of the first backup it missed:
        // for a live copy restored twice, the old laptop's work before the second backup too,
        // which the first restored copy never numbered (it numbered far past it).
        let after = match crate::device_restore::standing_of(&mut *tx, device, &parcel.restores)? {
            Standing::Superseded { after } => after.min(run.after),
            Standing::Live | Standing::Later => return Ok(None),
        };
        // A number held here under another change (recorded at another moment) is another
        // copy's: two copies restored from one backup may each number in the other's run.
        // Taken, it would pass for the one held.
        let within = |c: &&Change| c.seq > after && c.seq <= run.end && c.origin.device == device;
        let theirs = written_by_another(&mut *tx, device, parcel.changes.iter().filter(within))?;
        // Merged as made having read the feed that far, where the file read the feed this server
        // holds; having read nothing otherwise, so that a concurrent edit of a name goes to review.
        let read = crate::feed_epoch::read_here(
            &mut *tx,
            parcel.feed_epoch.as_deref(),
            parcel.pulled_through,
            parcel.pulled_origin,
        )?;
        let items: Vec<Incoming<'_>> = parcel
            .changes
            .iter()
            .filter(within)
            .filter(|c| !theirs.contains(&c.seq))
            .map(|c| Incoming {
                origin: c.origin,
                recorded_at: c.recorded_at,
                change: &c.change,
                // Numbers in the run are below what is acknowledged of the laptop, which are the
                // restored copy's: each is looked up.
                known: false,
                seen_at_sender: Some(&c.seen_at_sender),
            })
            .collect();
        let via = device.to_string();
        let sender = Sender {
            via: &via,
            pulled_through: if read { parcel.pulled_through } else { 0 },
            served: Some(run.villages),
            block: None,
        };
        let outcomes = batch::store_all(&mut *tx, self.device, &sender, &items, now)?;
        tx.commit()?;
        let mut done = OldCopy { after, not_taken: parcel.changes.len() - items.len(), ..OldCopy::default() };
        for outcome in &outcomes {
            match outcome {
                Outcome::Applied | Outcome::Conflict { .. } => done.taken += 1,
                Outcome::Duplicate => done.held += 1,
                Outcome::Rejected { .. } => done.rejected += 1,
            }
        }
        self.after_erasure(items.iter().map(|i| &i.change.body));
        Ok(Some(done))
    }
}

/// The numbers among `changes` of laptop `device` held here under a change first recorded at
/// another moment than the one under that number in the file.
fn written_by_another<'a>(
    db: &mut dyn Db,
    device: Uuid,
    changes: impl Iterator<Item = &'a Change>,
) -> Result<HashSet<i64>, ServerError> {
    let file: Vec<(i64, i64)> = changes.map(|c| (c.seq, c.recorded_at.timestamp_micros())).collect();
    let (Some(first), Some(last)) = (file.iter().map(|f| f.0).min(), file.iter().map(|f| f.0).max()) else {
        return Ok(HashSet::new());
    };
    let stored = crate::device_restore::recorded_at_held(db, device, first, last)?;
    Ok(file
        .iter()
        .filter(|(seq, at)| stored.get(seq).is_some_and(|held| held != at))
        .map(|(seq, _)| *seq)
        .collect())
}
