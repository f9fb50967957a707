//! A server restored from a backup takes back its own changes that a laptop holds.
//!
//! A step an officer took at the block after its backup, read by a laptop and not yet
//! forwarded to the district, is held by that laptop alone once the block is restored: the
//! district cannot give it back, and nothing else brings it. The laptop says at each session
//! the newest of the block's own changes it holds (`SessionRequest::server_own_through`); a
//! block that lacks it asks back those numbered after the newest it holds below it
//! (`SessionReply::own_wanted_after`), and the laptop gives them back with the seals the feed
//! gave it (`POST /v1/give-back`). The block takes back only what its own key sealed
//! (`seal.rs`), stores it as made here, through the same path as every arriving change, and
//! forwards it to the district as its own.

use chrono::{DateTime, Utc};
use samanvaya_domain::change::ChangeBody;
use samanvaya_sync_protocol::{DeviceKind, GiveBack, GiveBackAck, Outcome, PROTOCOL_VERSION, RefusalCode};
use uuid::Uuid;

use crate::batch::{self, Incoming, Sender};
use crate::enroll::{Caller, check_protocol};
use crate::error::ServerError;
use crate::sql::{Db, Mode, args};
use crate::store::Store;

impl Store {
    /// Takes back the changes laptop `caller` gives back, those this server sealed; the others
    /// are counted as refused and kept nowhere.
    pub fn take_back(
        &mut self,
        caller: &Caller,
        given: &GiveBack,
        now: DateTime<Utc>,
    ) -> Result<GiveBackAck, ServerError> {
        check_protocol(given.protocol)?;
        if caller.kind != DeviceKind::Laptop {
            return Err(ServerError::refused(
                RefusalCode::BadBody,
                "only a laptop gives back a server's own changes; a server forwards with a push",
            ));
        }
        let mut tx = self.db.transaction(Mode::Write)?;
        let key = crate::seal::key(&mut *tx)?;
        let mut items = Vec::new();
        for g in &given.changes {
            if g.origin.device == self.device && crate::seal::verifies(&key, g.origin, &g.change, &g.seal)? {
                // The time is the sealed reading's: what the laptop says is not the block's word.
                let recorded_at = DateTime::from_timestamp_millis(g.change.hlc.wall_ms).unwrap_or(now);
                items.push(Incoming {
                    origin: g.origin,
                    recorded_at,
                    change: &g.change,
                    known: false,
                    seen_at_sender: None,
                });
            }
        }
        let refused = given.changes.len() - items.len();
        let from = Sender::any("self");
        let outcomes = batch::store_all(&mut *tx, self.device, &from, &items, now)?;
        let held = outcomes.iter().filter(|o| matches!(o, Outcome::Duplicate)).count();
        // A change of a member made here is a review decided here, which the backup holds open.
        for (item, outcome) in items.iter().zip(&outcomes) {
            if let (ChangeBody::Member(m), false) = (&item.change.body, matches!(outcome, Outcome::Duplicate))
            {
                crate::review::settled_before_restore(&mut *tx, m, item.recorded_at)?;
            }
        }
        // The next change made here is numbered past what was taken back.
        if let Some(newest) = items.iter().map(|i| i.origin.seq).max() {
            tx.execute(
                "UPDATE identity SET next_seq = ?1 WHERE id = 1 AND next_seq <= ?2",
                args![newest + 1, newest],
            )?;
        }
        tx.commit()?;
        Ok(GiveBackAck { protocol: PROTOCOL_VERSION, taken: items.len() - held, held, refused })
    }
}

/// What is asked back of a laptop that holds this server's own change numbered `through`, where
/// `through` itself is not held here (`None` where it is: nothing was lost that the laptop could
/// give): the ones numbered after the newest held here below it, or after the newest held when
/// the restore was found, the lower. Each laptop reads only its villages' steps: after another
/// laptop gave back the lost steps it held, the newest held below this laptop's newest may be
/// past an older lost step only this laptop holds.
pub(crate) fn wanted_after(db: &mut dyn Db, me: Uuid, through: i64) -> Result<Option<i64>, ServerError> {
    if through <= 0
        || db
            .query_opt(
                "SELECT 1 FROM change WHERE origin_device = ?1 AND origin_seq = ?2",
                args![me, through],
            )?
            .is_some()
    {
        return Ok(None);
    }
    let below = db
        .query_one(
            "SELECT max(origin_seq) FROM change WHERE origin_device = ?1 AND origin_seq < ?2",
            args![me, through],
        )?
        .opt_int(0)?;
    let lost_after = db.query_one("SELECT own_lost_after FROM identity WHERE id = 1", &[])?.opt_int(0)?;
    let below = below.unwrap_or(0);
    Ok(Some(lost_after.map_or(below, |lost| lost.min(below))))
}
