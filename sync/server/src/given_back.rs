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
//!
//! A laptop restored from a backup numbers its new work past the old laptop's run, whose end
//! it says at its sessions (`SessionRequest::run_end`, kept as `device.run_end`). Changes of
//! that run the block handed to other laptops of the village and then lost to a restore of
//! its own, before forwarding them, are held by those laptops alone. The block asks each of
//! them back what of the run it lacks (`SessionReply::others_wanted`), and takes back what
//! they give: of a laptop of the giver's villages, about a household of them, numbered in
//! that run and nowhere past it, so a giver can never take a number the restored laptop will
//! use. These carry no seal (a seal on every change would weigh more than the changes), so
//! the block trusts the giver for what is in the old run; see docs/security.md.

use chrono::{DateTime, Utc};
use samanvaya_domain::change::ChangeBody;
use samanvaya_sync_protocol::{
    DeviceKind, GiveBack, GiveBackAck, GivenBack, OthersWanted, Outcome, PROTOCOL_VERSION, RefusalCode,
};
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
        let (mut others, mut runs) = (Vec::new(), std::collections::HashMap::new());
        for g in &given.changes {
            if g.origin.device != self.device {
                if in_old_run(&mut *tx, caller.device, g, &mut runs)? {
                    others.push(Incoming {
                        origin: g.origin,
                        recorded_at: DateTime::from_timestamp_millis(g.change.hlc.wall_ms).unwrap_or(now),
                        change: &g.change,
                        known: false,
                        seen_at_sender: None,
                    });
                }
                continue;
            }
            if crate::seal::verifies(&key, g.origin, &g.change, &g.seal)? {
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
        let refused = given.changes.len() - items.len() - others.len();
        // Another laptop's changes come as the giver's: held to its villages, and forwarded.
        let giver = caller.device.to_string();
        let served = tx
            .query("SELECT village_id FROM device_village WHERE device_id = ?1", args![&giver])?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<_, _>>()?;
        let from_giver = Sender { via: &giver, pulled_through: i64::MAX, served: Some(served), block: None };
        let theirs = batch::store_all(&mut *tx, self.device, &from_giver, &others, now)?;
        let from = Sender::any("self");
        let outcomes = batch::store_all(&mut *tx, self.device, &from, &items, now)?;
        let held = outcomes.iter().chain(&theirs).filter(|o| matches!(o, Outcome::Duplicate)).count();
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
            taken: items.len() + others.len() - held,
            held,
            refused,
        })
    }
}

/// Whether `g`, given back by laptop `giver`, is a change of another laptop's old run that this
/// server may take back: that laptop is enrolled here, restored (its run's end known), and the
/// change is numbered in the run. `runs` keeps each laptop's end once read.
fn in_old_run(
    db: &mut dyn Db,
    giver: Uuid,
    g: &GivenBack,
    runs: &mut std::collections::HashMap<Uuid, Option<i64>>,
) -> Result<bool, ServerError> {
    if g.origin.device == giver {
        return Ok(false);
    }
    let end = match runs.get(&g.origin.device) {
        Some(end) => *end,
        None => {
            let end = db
                .query_opt(
                    "SELECT run_end FROM device WHERE id = ?1 AND kind = 'laptop'",
                    args![g.origin.device],
                )?
                .map(|r| r.opt_int(0))
                .transpose()?
                .flatten();
            runs.insert(g.origin.device, end);
            end
        }
    };
    Ok(end.is_some_and(|end| g.origin.seq > 0 && g.origin.seq <= end))
}

/// What of other laptops' old runs this server asks laptop `asker` back: for each laptop
/// restored from a backup that shares a village with it, the numbers of its run after the last
/// one held here without a gap, and those held past that one, which the asker skips.
pub(crate) fn others_wanted(db: &mut dyn Db, asker: Uuid) -> Result<Vec<OthersWanted>, ServerError> {
    let restored = db.query(
        "SELECT d.id, d.run_end FROM device d
         WHERE d.kind = 'laptop' AND d.id <> ?1 AND d.run_end IS NOT NULL AND d.revoked_at IS NULL
           AND EXISTS (SELECT 1 FROM device_village a JOIN device_village b ON b.village_id = a.village_id
                       WHERE a.device_id = d.id AND b.device_id = ?1)
         ORDER BY d.id",
        args![asker],
    )?;
    let mut wanted = Vec::new();
    for row in restored {
        let (device, through) = (row.uuid(0)?, row.int(1)?);
        // The end of the first unbroken run held here (the old laptop's numbers start at 1).
        let after = db
            .query_one(
                "SELECT coalesce(min(c.origin_seq), 0) FROM change c
                 WHERE c.origin_device = ?1 AND c.origin_seq <= ?2
                   AND NOT EXISTS (SELECT 1 FROM change n WHERE n.origin_device = ?1 AND n.origin_seq = c.origin_seq + 1)",
                args![device, through],
            )?
            .int(0)?;
        if after >= through {
            continue;
        }
        let held = db
            .query(
                "SELECT origin_seq FROM change WHERE origin_device = ?1 AND origin_seq > ?2 AND origin_seq <= ?3
                 ORDER BY origin_seq",
                args![device, after, through],
            )?
            .iter()
            .map(|r| r.int(0))
            .collect::<Result<Vec<_>, _>>()?;
        wanted.push(OthersWanted { device, after, through, held });
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
