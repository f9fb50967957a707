//! Changes about a household not known here yet, kept until its record arrives.
//!
//! In the normal course a laptop changes only households it read from its block's feed, so
//! the block holds each of them. A block restored from a backup does not: a household one
//! laptop made after the backup is lost to it until that laptop sends its work again, and
//! another laptop's change about it (a fact, a member, a referral) may arrive first. Refused,
//! that change was lost for good (the laptop that made it was told so and never sent it again).
//! Now it is stored as received, with the outcome `waiting: …`, and listed in `waiting_change`;
//! the sender is told it was taken, since nothing it could do would change what becomes of it.
//! When the household's record arrives (or its withdrawal of consent, which erases what waits),
//! each change that waited for it is stored again under a new number, so that every reader of
//! the feed and the district get it after the household, and applied as any arriving change.
//! Until then it is in no feed (the feed reads only changes about households held here) and is
//! not forwarded: a laptop's change about a household of a village it was never given waits
//! too (its village is not known here), and forwarded, the district, which takes a block's
//! word for its villages, would apply it. Stored again, it is checked as its sender's and
//! forwarded under its new number.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use samanvaya_domain::change::ChangeBody;
use samanvaya_sync_protocol::{Origin, Outcome};
use uuid::Uuid;

use crate::batch::{Incoming, Sender};
use crate::block_village::BlockScope;
use crate::error::ServerError;
use crate::single::outcome_word;
use crate::sql::{Db, args};

/// The first word of a waiting change's outcome, as its row keeps it.
const WORD: &str = "waiting";

/// The outcome `state.rs` and `merge.rs` give a change about household `hid`, not known here,
/// of kind `kind`; [`held`] turns it into a wait.
pub(crate) fn not_known(hid: &str, kind: &str) -> Outcome {
    Outcome::Rejected { reason: reason(hid, kind) }
}

fn reason(hid: &str, kind: &str) -> String {
    format!("household {hid} is not known here yet; the {kind} is applied when its record arrives")
}

/// What the store keeps and the sender is told for the change numbered `seq`, given what
/// applying it gave: a change about a household not known here is listed to wait for it, and
/// its sender told it was taken. Returns the outcome for the sender and the word for the row.
pub(crate) fn held(
    db: &mut dyn Db,
    seq: i64,
    origin: Origin,
    body: &ChangeBody,
    outcome: Outcome,
) -> Result<(Outcome, String), ServerError> {
    let hid = body.household_id().to_string();
    match outcome {
        Outcome::Rejected { reason: why } if why == reason(&hid, body.kind()) => {
            db.execute(
                "INSERT INTO waiting_change (seq, household_id, origin_device, origin_seq) VALUES (?1, ?2, ?3, ?4)",
                args![seq, &hid, origin.device, origin.seq],
            )?;
            Ok((Outcome::Applied, format!("{WORD}: {why}")))
        }
        outcome => {
            let word = outcome_word(&outcome);
            Ok((outcome, word))
        }
    }
}

/// Lists the change numbered `seq`, applied though household `hid` is not known here (a
/// withdrawal of consent, or what is left of an erased change), to be stored again under a new
/// number when the household's record arrives, as a change that waited is ([`release`]). The
/// feed reads only changes about households held here: under its first number it reached no
/// laptop, and once the record arrived every reader's place was past it (seed 633 of the
/// simulation with restores: a block restored from a backup took another laptop's withdrawal
/// of a woman before the record of her household came again from the laptop that made it,
/// which never learned of the withdrawal and kept her). Its outcome stays `applied`: it is
/// forwarded at once, and a district that holds the household applies it.
///
/// A household withdrawn as a whole lists nothing, and takes off the list what was listed of it:
/// its record, arriving, is erased on arrival and never held here (a household recorded and
/// withdrawn on a laptop before its first sync is the common case). Listed for good, they would
/// keep [`any`] true, and every later batch would look for what waits at each household's
/// record, one at a time, where it merges them set-wise.
pub(crate) fn until_recorded(db: &mut dyn Db, seq: i64, hid: &str) -> Result<(), ServerError> {
    if db.query_opt("SELECT 1 FROM household WHERE id = ?1", args![hid])?.is_some() {
        return Ok(());
    }
    if db.query_opt("SELECT 1 FROM erased WHERE id = ?1 AND what = 'household'", args![hid])?.is_some() {
        db.execute(
            "DELETE FROM waiting_change WHERE household_id = ?1 AND applied_as IS NULL
               AND seq IN (SELECT seq FROM change WHERE household_id = ?1 AND outcome NOT LIKE 'waiting%')",
            args![hid],
        )?;
        return Ok(());
    }
    db.execute(
        "INSERT INTO waiting_change (seq, household_id, origin_device, origin_seq)
         SELECT seq, household_id, origin_device, origin_seq FROM change WHERE seq = ?1",
        args![seq],
    )?;
    Ok(())
}

/// Whether a change of this kind, stored, brings what changes waiting for its household wait
/// for: the household's record, or its withdrawal of consent (which erases what waits).
pub(crate) fn brings(body: &ChangeBody) -> bool {
    matches!(body, ChangeBody::Household(_) | ChangeBody::ConsentWithdrawn(_))
}

/// Whether a change that [`brings`] was stored with this outcome: one refused, or stored
/// before, brought nothing.
pub(crate) fn arrives(outcome: &Outcome) -> bool {
    !matches!(outcome, Outcome::Duplicate | Outcome::Rejected { .. })
}

/// Whether any change waits here (none but after a block's restore).
pub(crate) fn any(db: &mut dyn Db) -> Result<bool, ServerError> {
    Ok(db.query_opt("SELECT 1 FROM waiting_change WHERE applied_as IS NULL LIMIT 1", &[])?.is_some())
}

/// Stores again, each under a new number, and applies every change that waited for one of
/// `households`, in the order they arrived; the caller owns the transaction. Those applied
/// already ([`until_recorded`]) go only when the household's `record` arrived, not its
/// withdrawal: a withdrawal brought again for a household still not known would be listed
/// again, and brought again without end. Each is applied as its sender's: a laptop's still only
/// about the villages it serves (its household's village was not known when it arrived, so
/// this is its only judgement by them). A block's about a village that is not its own at this
/// district waits on, until the village is given to it (`block_village.rs`, `assign-village`):
/// the block was told it was taken, and refused now, it would be lost to the district for good.
pub(crate) fn release(
    db: &mut dyn Db,
    server: Uuid,
    households: &BTreeSet<String>,
    record: bool,
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    if households.is_empty() || !any(db)? {
        return Ok(());
    }
    let mut rows = Vec::new();
    for hid in households {
        rows.extend(db.query(
            "SELECT c.seq, c.origin_device, c.origin_seq, c.via, c.recorded_at, c.version, c.hlc, c.kind, c.change
             FROM waiting_change w JOIN change c ON c.seq = w.seq
             WHERE w.household_id = ?1 AND w.applied_as IS NULL AND (?2 OR c.outcome LIKE 'waiting%')",
            args![hid, record],
        )?);
    }
    // In the order they arrived, across households (a merge may name two).
    let mut numbered =
        rows.into_iter().map(|r| Ok((r.int(0)?, r))).collect::<Result<Vec<_>, ServerError>>()?;
    numbered.sort_by_key(|(seq, _)| *seq);
    for (_, row) in numbered {
        let seq = row.int(0)?;
        let origin = Origin { device: row.uuid(1)?, seq: row.int(2)? };
        let via = row.text(3)?;
        let change = crate::stored_change::read(row.int(5)?, &row.text(6)?, &row.text(7)?, &row.text(8)?)?;
        // Its sender's kind, asked once: a laptop is held to the villages it serves, a block
        // forwarding to its district to its own.
        let kind = db
            .query_opt("SELECT kind FROM device WHERE id = ?1", args![&via])?
            .map(|r| r.text(0))
            .transpose()?;
        let served = match kind.as_deref() {
            Some("laptop") => Some(villages_of(db, &via)?),
            _ => None,
        };
        let block = if kind.as_deref() == Some("block") {
            let block = BlockScope::load(db, &via)?;
            let hid = change.body.household_id().to_string();
            // Its household, and another it names a record of (`named.rs`), must be of the
            // block's villages; judged here, before it is moved, so that neither refuses the
            // push that brought the household.
            let other = crate::named::elsewhere_any(db, &change.body, &hid)?;
            let mut foreign = false;
            for h in std::iter::once(hid).chain(other) {
                let village = db
                    .query_opt("SELECT village_id FROM household WHERE id = ?1", args![&h])?
                    .map(|r| r.text(0))
                    .transpose()?;
                foreign |= village.is_some_and(|v| !block.serves(&v));
            }
            if foreign {
                continue;
            }
            Some(block)
        } else {
            None
        };
        db.execute("DELETE FROM change WHERE seq = ?1", args![seq])?;
        let item = Incoming {
            origin,
            recorded_at: row.time(4)?,
            change: &change,
            known: false,
            seen_at_sender: None,
        };
        // What its maker had read of the feed is not known any more: it had read the
        // household, as every change about it made since, so its writes merge by their clocks.
        let sender = Sender { via: &via, pulled_through: i64::MAX, served, block };
        crate::batch::store_all(db, server, &sender, std::slice::from_ref(&item), now)?;
        db.execute(
                "UPDATE waiting_change SET applied_as = (SELECT seq FROM change WHERE origin_device = ?1 AND origin_seq = ?2)
                 WHERE seq = ?3",
                args![origin.device, origin.seq, seq],
            )?;
    }
    Ok(())
}

/// The villages laptop `via` serves.
fn villages_of(db: &mut dyn Db, via: &str) -> Result<std::collections::HashSet<String>, ServerError> {
    db.query("SELECT village_id FROM device_village WHERE device_id = ?1", args![via])?
        .iter()
        .map(|r| r.text(0))
        .collect()
}

/// The origin of the change that waited under number `seq` and was applied under another.
pub(crate) fn origin_was(db: &mut dyn Db, seq: i64) -> Result<Option<Origin>, ServerError> {
    db.query_opt(
        "SELECT origin_device, origin_seq FROM waiting_change WHERE seq = ?1 AND applied_as IS NOT NULL",
        args![seq],
    )?
    .map(|r| Ok(Origin { device: r.uuid(0)?, seq: r.int(1)? }))
    .transpose()
}
