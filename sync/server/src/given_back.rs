//! A server restored from a backup takes back its own changes that a laptop, or a block, holds.
//!
//! A step an officer took at the block after its backup, read by a laptop and not yet
//! forwarded to the district, is held by that laptop alone once the block is restored: the
//! district cannot give it back, and nothing else brings it. The laptop says at each session
//! the newest of the block's own changes it holds (`SessionRequest::server_own_through`); a
//! block that lacks it asks back those numbered after the newest it holds below it
//! (`SessionReply::own_wanted_after`), and the laptop gives them back with the seals the feed
//! gave it (`POST /v1/give-back`). The block takes back only what its own key sealed
//! (`seal.rs`), stores it as made here, through the same path as every arriving change, and
//! forwards it to the district as its own. A district restored from a backup takes back the
//! same way, from its blocks, the steps and decisions made there after the backup; a block
//! keeps the district's seals as it reads them (`upstream_seal.rs`).
//!
//! A laptop restored from a backup numbers its new work past the old laptop's run, whose end
//! it says at its sessions (`SessionRequest::run_end`, kept as `device.run_end`). Changes of
//! that run the block handed to other laptops of the village and then lost to a restore of
//! its own, before forwarding them, are held by those laptops alone. The block asks each of
//! them back what of the run it lacks (`SessionReply::others_wanted`), and takes back what
//! they give: numbered after the last change the restored laptop's backup held and up to the
//! run's end, so a giver can never take a number the restored laptop holds or will use, and
//! about a household of a village both laptops serve. These carry no seal (a seal on every
//! change would weigh more than the changes), so the block trusts the giver for what is in
//! the old run; see docs/security.md.

use chrono::{DateTime, Utc};
use samanvaya_domain::change::ChangeBody;
use samanvaya_sync_protocol::{
    DeviceKind, GiveBack, GiveBackAck, GivenBack, OthersWanted, Outcome, PROTOCOL_VERSION,
};
use uuid::Uuid;

use crate::batch::{self, Incoming, Sender};
use crate::enroll::{Caller, check_protocol};
use crate::error::ServerError;
use crate::sql::{Db, Mode, args};
use crate::store::Store;

impl Store {
    /// Takes back the changes device `caller` (a laptop, or a block at its district) gives back,
    /// those this server sealed; the others are counted as refused and kept nowhere.
    pub fn take_back(
        &mut self,
        caller: &Caller,
        given: &GiveBack,
        now: DateTime<Utc>,
    ) -> Result<GiveBackAck, ServerError> {
        check_protocol(given.protocol)?;
        let mut tx = self.db.transaction(Mode::Write)?;
        let key = crate::seal::key(&mut *tx)?;
        let mut items = Vec::new();
        let mut theirs = Vec::new();
        for g in &given.changes {
            if g.origin.device != self.device {
                theirs.push(g);
                continue;
            }
            if crate::seal::verifies(&key, g.origin, &g.change, &g.seal)? {
                // The time is the sealed reading's: what the giver says is not this server's word.
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
        let refused = given.changes.len() - items.len() - theirs.len();
        // Only a laptop gives back another laptop's old run: a block gives back its district's
        // own changes alone (`upstream_seal.rs`).
        let (their_taken, their_held, their_refused) = match caller.kind {
            DeviceKind::Laptop => take_back_theirs(&mut *tx, self.device, caller.device, &theirs, now)?,
            DeviceKind::Block => (0, 0, theirs.len()),
        };
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
        Ok(GiveBackAck {
            protocol: PROTOCOL_VERSION,
            taken: items.len() - held + their_taken,
            held: held + their_held,
            refused: refused + their_refused,
        })
    }
}

/// Takes back, in the caller's transaction, changes of other laptops' old runs that laptop
/// `giver` gives back: only those numbered in the run of a laptop restored from a backup
/// ([`old_run`]), about a household of a village both laptops serve, stored as the giver's
/// and forwarded. One refused is kept nowhere, so that it never stands in for the real change
/// under its number, which may still come from the district. Returns how many were taken,
/// held already, and refused.
fn take_back_theirs(
    db: &mut dyn Db,
    me: Uuid,
    giver: Uuid,
    given: &[&GivenBack],
    now: DateTime<Utc>,
) -> Result<(usize, usize, usize), ServerError> {
    let mut by_device: std::collections::BTreeMap<Uuid, Vec<&GivenBack>> = Default::default();
    for g in given {
        by_device.entry(g.origin.device).or_default().push(g);
    }
    let via = giver.to_string();
    let (mut taken, mut held, mut refused) = (0, 0, 0);
    for (device, gs) in by_device {
        let Some(run) = old_run(db, device, Some(giver))? else {
            refused += gs.len();
            continue;
        };
        let items: Vec<Incoming<'_>> = gs
            .iter()
            .filter(|g| g.origin.seq > run.after && g.origin.seq <= run.end)
            .map(|g| Incoming {
                origin: g.origin,
                recorded_at: DateTime::from_timestamp_millis(g.change.hlc.wall_ms).unwrap_or(now),
                change: &g.change,
                known: false,
                seen_at_sender: None,
            })
            .collect();
        refused += gs.len() - items.len();
        let sender = Sender { via: &via, pulled_through: i64::MAX, served: Some(run.villages), block: None };
        let outcomes = batch::store_all(db, me, &sender, &items, now)?;
        for (item, outcome) in items.iter().zip(outcomes) {
            match outcome {
                Outcome::Duplicate => held += 1,
                Outcome::Rejected { .. } => {
                    refused += 1;
                    db.execute(
                        "DELETE FROM change WHERE origin_device = ?1 AND origin_seq = ?2",
                        args![item.origin.device, item.origin.seq],
                    )?;
                }
                Outcome::Applied | Outcome::Conflict { .. } => taken += 1,
            }
        }
    }
    Ok((taken, held, refused))
}

/// The old laptop's run of a laptop restored from a backup, as this server knows it.
pub(crate) struct OldRun {
    /// The last number its backup held: the run is the numbers after it.
    pub after: i64,
    /// Where the run ends, as the restored laptop says (`device.run_end`).
    pub end: i64,
    /// The villages its changes may be about: the laptop's, and the giver's too where one is
    /// named.
    pub villages: std::collections::HashSet<String>,
}

/// The old run of laptop `device`, where it was restored from a backup and said where the run
/// ends; none otherwise. With a `giver`, its villages are those both laptops serve.
pub(crate) fn old_run(
    db: &mut dyn Db,
    device: Uuid,
    giver: Option<Uuid>,
) -> Result<Option<OldRun>, ServerError> {
    let Some(row) = db.query_opt(
        "SELECT run_end FROM device WHERE id = ?1 AND kind = 'laptop' AND revoked_at IS NULL",
        args![device],
    )?
    else {
        return Ok(None);
    };
    let Some(end) = row.opt_int(0)? else { return Ok(None) };
    let Some(after) = crate::device_restore::live(db, device)?.last().map(|r| r.after) else {
        return Ok(None);
    };
    let rows = match giver {
        None => db.query("SELECT village_id FROM device_village WHERE device_id = ?1", args![device])?,
        Some(giver) => db.query(
            "SELECT a.village_id FROM device_village a JOIN device_village b ON b.village_id = a.village_id
             WHERE a.device_id = ?1 AND b.device_id = ?2",
            args![device, giver],
        )?,
    };
    let villages = rows.iter().map(|r| r.text(0)).collect::<Result<_, _>>()?;
    Ok((after < end).then_some(OldRun { after, end, villages }))
}

/// What of other laptops' old runs this server asks laptop `asker` back: for each laptop
/// restored from a backup that shares a village with it, the numbers of its old run after the
/// last one held here without a gap, and those held past that one, which the asker skips. The
/// old run is the old laptop's work after its backup, so the numbers listed are few.
pub(crate) fn others_wanted(db: &mut dyn Db, asker: Uuid) -> Result<Vec<OthersWanted>, ServerError> {
    let restored = db.query(
        "SELECT d.id FROM device d
         WHERE d.kind = 'laptop' AND d.id <> ?1 AND d.run_end IS NOT NULL AND d.revoked_at IS NULL
           AND EXISTS (SELECT 1 FROM device_village a JOIN device_village b ON b.village_id = a.village_id
                       WHERE a.device_id = d.id AND b.device_id = ?1)
         ORDER BY d.id",
        args![asker],
    )?;
    let mut wanted = Vec::new();
    for row in restored {
        let device = row.uuid(0)?;
        let Some(run) = old_run(db, device, None)? else { continue };
        let mut held = db
            .query(
                "SELECT origin_seq FROM change WHERE origin_device = ?1 AND origin_seq > ?2 AND origin_seq <= ?3
                 ORDER BY origin_seq",
                args![device, run.after, run.end],
            )?
            .iter()
            .map(|r| r.int(0))
            .collect::<Result<Vec<_>, _>>()?;
        // The run held here without a gap from its start.
        let whole = held.iter().zip(run.after + 1..).take_while(|(seq, expected)| **seq == *expected).count();
        let after = run.after + whole as i64;
        held.drain(..whole);
        wanted.push(OthersWanted { device, after, through: run.end, held });
    }
    Ok(wanted)
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
