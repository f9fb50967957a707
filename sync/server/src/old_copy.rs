//! The work in a late sync file from a copy of a laptop from before its restore.
//!
//! A laptop restored from a backup becomes the laptop at its first word to the block; a copy
//! from before it is refused from then on (`device_restore.rs`). That copy's file may still hold
//! work nothing else holds: the old laptop wrote it to a USB stick and then broke, and the stick
//! reached the block office after the restored laptop's own file. Refused whole, that work was
//! lost. The restored laptop numbers its own work past the old laptop's run, whose end it says
//! (`device.run_end`), and never uses a number in that run; the block already takes back changes
//! of the run from other laptops that read them (`given_back.rs`). So the file's changes
//! numbered in the run, after the backup's last and up to the run's end, are taken: each is the
//! old copy's own, authenticated by the laptop's key as every file is, and the restored laptop
//! reads it back with the rest of its old run. What the backup held is the restored laptop's to
//! send, and a number past the run's end is another copy's: neither is taken. Nothing of the
//! file moves what the block holds of the laptop's own numbers (`acked_through`), which is the
//! restored laptop's, and the old copy gets no answer: its audit entries and what it gives back
//! are not taken, as a copy that syncs as the laptop no more.

use chrono::{DateTime, Utc};
use samanvaya_sync_protocol::Outcome;
use samanvaya_sync_protocol::parcel::Parcel;
use uuid::Uuid;

use crate::batch::{self, Incoming, Sender};
use crate::error::ServerError;
use crate::sql::Mode;
use crate::store::Store;

/// What was taken of a copy's late file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OldCopy {
    /// The backup's last change: the old laptop's run is the numbers after it.
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
            .filter(|c| c.seq > run.after && c.seq <= run.end && c.origin.device == device)
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
        let mut done =
            OldCopy { after: run.after, not_taken: parcel.changes.len() - items.len(), ..OldCopy::default() };
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
