//! Storing changes: a pushed batch in one transaction (acknowledged only after its commit), a
//! change pulled from the district, and a change made on the server itself. Every change is
//! stored once, on its origin, forever: a retry, a replay or the same change forwarded by
//! another block is a duplicate and changes nothing.

use chrono::{DateTime, Utc};
use samanvaya_domain::Hlc;
use samanvaya_domain::change::{Change as Typed, ChangeBody};
use samanvaya_sync_protocol::{
    ChangeResult, DeviceKind, Origin, Outcome, PROTOCOL_VERSION, Pulled, PushAck, PushBatch, RefusalCode,
};
use uuid::Uuid;

use crate::batch::{self, Incoming, Sender};
use crate::block_village::BlockScope;
use crate::clock_cap::KeptScan;
use crate::enroll::{Caller, check_protocol};
use crate::error::ServerError;
use crate::sql::{Mode, args};
use crate::store::{self, Store};

/// The highest number a change may carry. A device numbers its changes from 1, and a laptop
/// restored from a backup numbers its new work at most 2^44 and a little past its old run
/// (`Restore::numbered_after`), so this leaves room for a quarter of a million restores. A
/// higher number comes only from a broken or hostile sender, and the server adds one to the
/// numbers it holds: near `i64::MAX` that overflowed.
const MOST_SEQ: i64 = 1 << 62;

impl Store {
    /// Stores a pushed batch in one transaction and answers once it is committed.
    pub fn push(
        &mut self,
        caller: &Caller,
        batch: &PushBatch,
        now: DateTime<Utc>,
    ) -> Result<PushAck, ServerError> {
        self.push_answered(caller, batch, now, Answered::ToTheDevice)
    }

    /// As [`Store::push`]; `answered` says whether the answer reaches the device (online) or
    /// only counts for the operator (a sync file imported, whose answer carries no outcomes).
    pub(crate) fn push_answered(
        &mut self,
        caller: &Caller,
        batch: &PushBatch,
        now: DateTime<Utc>,
        answered: Answered,
    ) -> Result<PushAck, ServerError> {
        check_protocol(batch.protocol)?;
        let sender = caller.device.to_string();
        let mut tx = self.db.transaction(Mode::Write)?;
        let mut acked =
            tx.query_one("SELECT acked_through FROM device WHERE id = ?1", args![&sender])?.int(0)?;
        let mut last = 0;
        for c in &batch.changes {
            if c.seq <= last {
                return Err(ServerError::refused(
                    RefusalCode::BadBody,
                    format!("the batch is out of order at seq {}; the app must send changes in order", c.seq),
                ));
            }
            last = c.seq;
            if c.seq > MOST_SEQ || c.origin.seq > MOST_SEQ {
                return Err(ServerError::refused(
                    RefusalCode::BadBody,
                    format!(
                        "a change numbered {} (made as number {}) is past any number a device gives; the app must send its changes as it numbered them",
                        c.seq, c.origin.seq
                    ),
                ));
            }
            if caller.kind == DeviceKind::Laptop && c.origin.device != caller.device {
                return Err(ServerError::refused(
                    RefusalCode::BadBody,
                    "a laptop may only push its own changes",
                ));
            }
            // A laptop's change travels under the number it made it with. Under another, a
            // change stored before under its origin made this one a "duplicate", and the laptop
            // dropped it for good (found by a review).
            if caller.kind == DeviceKind::Laptop && c.origin.seq != c.seq {
                return Err(ServerError::refused(
                    RefusalCode::BadBody,
                    format!(
                        "a laptop's change numbered {} says it was made as number {}; the app must send each change under its own number",
                        c.seq, c.origin.seq
                    ),
                ));
            }
        }
        // A push that starts past what is held here of the laptop's work, though the laptop
        // pushed after more: sent before this server was restored from a backup and delivered
        // after it (a replay, or a push in flight at the restore). Taken, it would move the
        // laptop past the changes in between, which it would then never send again. Nothing
        // is kept; the answer says how far the work is held, and the laptop sends from there.
        // So for a block forwarding to its district restored from a backup: its push in flight
        // at the restore arrives before its next session says what the district holds (found
        // by a review; it was taken for a laptop's only).
        if batch.after.is_some_and(|after| after > acked)
            && batch.changes.first().is_some_and(|c| c.seq > acked + 1)
        {
            return Ok(PushAck { protocol: PROTOCOL_VERSION, acked_through: acked, results: Vec::new() });
        }
        // A laptop may push only about the households of its villages; a block forwards any
        // at a district, but for a village the district has from another block.
        let (served, block) = if caller.kind == DeviceKind::Block {
            (None, Some(BlockScope::load(&mut *tx, &sender)?))
        } else {
            let served = Some(
                tx.query("SELECT village_id FROM device_village WHERE device_id = ?1", args![&sender])?
                    .iter()
                    .map(|r| r.text(0))
                    .collect::<Result<_, _>>()?,
            );
            (served, None)
        };
        let from = Sender { via: &sender, pulled_through: batch.pulled_through, served, block };
        let items: Vec<Incoming<'_>> = batch
            .changes
            .iter()
            .map(|c| Incoming {
                origin: c.origin,
                recorded_at: c.recorded_at,
                change: &c.change,
                // A block's numbers are not taken for its changes: restored from a backup, it
                // numbers new ones again from where the backup stood, below what is held here.
                known: caller.kind == DeviceKind::Laptop && c.seq <= acked,
                seen_at_sender: Some(&c.seen_at_sender),
            })
            .collect();
        let outcomes = batch::store_all(&mut *tx, self.device, &from, &items, now)?;
        // A block's own change to a member is its operator's decision of a review there: the
        // same conflict queued here is decided with it.
        if caller.kind == DeviceKind::Block {
            for (c, outcome) in batch.changes.iter().zip(&outcomes) {
                if let (ChangeBody::Member(m), true) = (
                    &c.change.body,
                    c.origin.device == caller.device && !matches!(outcome, Outcome::Duplicate),
                ) {
                    crate::review::settled_by_server(&mut *tx, &sender, "block", m, now)?;
                }
            }
        }
        let mut results = Vec::with_capacity(outcomes.len());
        for (c, outcome) in batch.changes.iter().zip(outcomes) {
            // A block keeps its own readings (it forwards changes it capped already), so only a
            // laptop is told.
            let capped = if caller.kind == DeviceKind::Laptop {
                let again = matches!(outcome, Outcome::Duplicate);
                crate::clock_cap::kept_reading(&mut *tx, c.origin, c.change.hlc, again, now)?
            } else {
                None
            };
            results.push(ChangeResult { seq: c.seq, outcome, capped });
        }
        // A push sent again after its answer was lost, smaller (the batch halves after a
        // timeout): the answer moves the laptop past changes this push did not carry, so it says
        // their kept readings too.
        if caller.kind == DeviceKind::Laptop && acked > last {
            let rest =
                crate::clock_cap::capped_between(&mut *tx, caller.device, last, acked, KeptScan::ONLINE)?;
            results.extend(rest.into_iter().map(|k| ChangeResult {
                seq: k.seq,
                outcome: Outcome::Duplicate,
                capped: Some(k.hlc),
            }));
        }
        if caller.kind == DeviceKind::Laptop && answered == Answered::ToTheDevice {
            decided_before(&mut *tx, caller.device, &mut results, last, acked)?;
        }
        // A block's change pushed last is named by its number and its origin: the block
        // checks it holds that change under that number (`SessionReply::pushed_last`). Every
        // push names it, so that a block restored twice finds the second restore too.
        if caller.kind == DeviceKind::Block
            && let Some(c) = batch.changes.last()
        {
            tx.execute(
                "UPDATE device SET pushed_last_seq = ?1, pushed_last_device = ?2, pushed_last_origin_seq = ?3
                 WHERE id = ?4",
                args![c.seq, c.origin.device, c.origin.seq, &sender],
            )?;
        }
        acked = acked.max(last);
        tx.execute("UPDATE device SET acked_through = ?1 WHERE id = ?2", args![acked, sender])?;
        tx.commit()?;
        self.after_erasure(batch.changes.iter().map(|c| &c.change.body));
        Ok(PushAck { protocol: PROTOCOL_VERSION, acked_through: acked, results })
    }

    /// Stores changes pulled from the district (a block's upstream), and moves the cursor in the
    /// same transaction, so a crash never skips nor repeats any of them.
    pub fn store_pulled(
        &mut self,
        upstream: Uuid,
        changes: &[Pulled],
        cursor: i64,
        cursor_origin: Option<Origin>,
        now: DateTime<Utc>,
    ) -> Result<usize, ServerError> {
        let mut tx = self.db.transaction(Mode::Write)?;
        let via = upstream.to_string();
        let from = Sender::any(&via);
        // The block's own changes come back only to a block restored from a backup, which asked
        // back what it forwarded (`upstream::own_shown_held`): looked up by origin, the ones it
        // lost are stored again. Their numbers say nothing of which: numbered from the time, a
        // step taken after the restore is numbered past them.
        let asked_own = match tx.query_opt("SELECT own_pull_after FROM upstream WHERE id = 1", &[])? {
            Some(row) => row.opt_int(0)?,
            None => None,
        };
        let items: Vec<Incoming<'_>> = changes
            .iter()
            .map(|p| Incoming {
                origin: p.origin,
                recorded_at: p.recorded_at,
                change: &p.change,
                known: p.origin.device == self.device && asked_own.is_none(),
                seen_at_sender: None,
            })
            .collect();
        let outcomes = batch::store_all(&mut *tx, self.device, &from, &items, now)?;
        crate::upstream_seal::keep(&mut *tx, upstream, changes)?;
        // The district's own change to a member is its operator's decision of a review there:
        // the same conflict queued at this block is decided with it.
        for (p, outcome) in changes.iter().zip(&outcomes) {
            if let (ChangeBody::Member(m), true) =
                (&p.change.body, p.origin.device == upstream && !matches!(outcome, Outcome::Duplicate))
            {
                crate::review::settled_by_server(&mut *tx, &via, "district", m, now)?;
            }
            // Its own, read back after a restore: a review decided here after the backup.
            if let (ChangeBody::Member(m), true) =
                (&p.change.body, p.origin.device == self.device && !matches!(outcome, Outcome::Duplicate))
            {
                let decided_at = DateTime::from_timestamp_millis(p.change.hlc.wall_ms).unwrap_or(now);
                crate::review::settled_before_restore(&mut *tx, m, decided_at)?;
            }
        }
        let new = outcomes.iter().filter(|o| !matches!(o, Outcome::Duplicate)).count();
        // The origin moves with the cursor, and only forward, as the cursor does.
        let (device, seq) = cursor_origin.map(|o| (o.device, o.seq)).unzip();
        tx.execute(
            "UPDATE upstream SET
                pulled_origin_device = CASE WHEN ?1 >= pulled_through THEN ?2 ELSE pulled_origin_device END,
                pulled_origin_seq = CASE WHEN ?1 >= pulled_through THEN ?3 ELSE pulled_origin_seq END,
                pulled_through = CASE WHEN pulled_through > ?1 THEN pulled_through ELSE ?1 END
             WHERE id = 1",
            args![cursor, device, seq],
        )?;
        tx.commit()?;
        self.after_erasure(changes.iter().map(|p| &p.change.body));
        Ok(new)
    }

    /// Once a withdrawal of consent is committed, the older versions of what it erased go from
    /// the disk too. The changes are stored either way, so a failure here (a long read holding
    /// the log) fails nothing: the next withdrawal's checkpoint, or SQLite's own, completes it.
    pub(crate) fn after_erasure<'a>(&mut self, mut bodies: impl Iterator<Item = &'a ChangeBody>) {
        if bodies.any(|b| matches!(b, ChangeBody::ConsentWithdrawn(_))) {
            let _ = self.db.forget_old_versions();
        }
    }

    /// Records a change made on this server (a block officer's step on a referral), with the
    /// server as its origin; it travels down to the laptop and up to the district like any other.
    pub fn record_here(&mut self, body: ChangeBody, now: DateTime<Utc>) -> Result<Outcome, ServerError> {
        let mut tx = self.db.transaction(Mode::Write)?;
        let outcome = record_in(&mut *tx, self.device, body, now)?;
        tx.commit()?;
        Ok(outcome)
    }
}

/// Records a change made on server `device` in the caller's transaction, so that it and what the
/// caller writes beside it (a review's decision) are stored together or not at all.
pub(crate) fn record_in(
    db: &mut dyn crate::sql::Db,
    device: Uuid,
    body: ChangeBody,
    now: DateTime<Utc>,
) -> Result<Outcome, ServerError> {
    record_in_at(db, device, body, None, now)
}

/// As [`record_in`], the change carrying `reading` as its clock reading where one is given (a
/// copy of a change made earlier, merged by the reading of what it copies), this server's
/// next one otherwise.
pub(crate) fn record_in_at(
    db: &mut dyn crate::sql::Db,
    device: Uuid,
    body: ChangeBody,
    reading: Option<Hlc>,
    now: DateTime<Utc>,
) -> Result<Outcome, ServerError> {
    let (hlc, seq) = store::tick(db, device, now)?;
    let change = Typed::new(reading.unwrap_or(hlc), body);
    let item = Incoming {
        origin: Origin { device, seq },
        recorded_at: now,
        change: &change,
        known: false,
        seen_at_sender: None,
    };
    let from = Sender::any("self");
    let outcome = batch::store_all(db, device, &from, &[item], now)?
        .pop()
        .ok_or_else(|| ServerError::Invalid("the change made here was left without an outcome".into()))?;
    if let Outcome::Rejected { reason } = &outcome {
        return Err(ServerError::Invalid(reason.clone()));
    }
    Ok(outcome)
}

/// Who reads a push's answer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answered {
    /// The device that sent it, which learns from it what became of each change.
    ToTheDevice,
    /// The block's operator, importing a sync file: a change held already is counted as such.
    ByTheOperator,
}

/// Answers a laptop's change it sent before with what was decided for it then, where that was
/// not plainly applied: a push whose answer was lost (or beaten by its own second sending, which
/// the laptop takes when the first stalls) is the laptop's only word of a change refused or put
/// up for review, and "duplicate" would hide it. That holds too for the changes after `last`
/// through `acked` that a smaller push sent again no longer carries, which the answer moves
/// the laptop past. The changes are the laptop's own, numbered in one run, so one range of the
/// origin index holds them all.
fn decided_before(
    db: &mut dyn crate::sql::Db,
    device: Uuid,
    results: &mut Vec<ChangeResult>,
    last: i64,
    acked: i64,
) -> Result<(), ServerError> {
    let again = results.iter().filter(|r| matches!(r.outcome, Outcome::Duplicate)).map(|r| r.seq);
    let (low, high) = (again.clone().min().unwrap_or(last + 1), again.max().unwrap_or(0).max(acked));
    for decided in decided_between(db, device, low, high, crate::clock_cap::KeptScan::ONLINE)? {
        match results.iter_mut().find(|r| r.seq == decided.seq) {
            Some(r) if matches!(r.outcome, Outcome::Duplicate) => r.outcome = decided.outcome,
            Some(_) => {}
            None if decided.seq > last => results.push(decided),
            None => {}
        }
    }
    results.sort_by_key(|r| r.seq);
    Ok(())
}

/// What was decided for laptop `device`'s changes `low` to `high` where it was not plainly
/// applied, in order, as a push's answer says it. An old push arriving long after (replayed by
/// the network) would scan the laptop's whole history under the write lock; the newest changes
/// are the ones whose answer can have been lost, as with the capped readings, so only the
/// newest `scan.rows` changes of the range are read: 5,000 online (`KeptScan::ONLINE`), 50,000
/// for the answer on a stick, whose file can carry a whole survey round (found by a review:
/// the answer on a stick read the newest 5,000 too, and the laptop never counted a change
/// refused or put up for review before them). Counted in changes, not in numbers: a laptop
/// restored from a backup numbers its new work far past its old.
pub(crate) fn decided_between(
    db: &mut dyn crate::sql::Db,
    device: Uuid,
    low: i64,
    high: i64,
    scan: crate::clock_cap::KeptScan,
) -> Result<Vec<ChangeResult>, ServerError> {
    if high < low {
        return Ok(Vec::new());
    }
    let rows = db.query(
        "SELECT origin_seq, outcome FROM (
             SELECT origin_seq, outcome FROM change
             WHERE origin_device = ?1 AND origin_seq >= ?2 AND origin_seq <= ?3
             ORDER BY origin_seq DESC LIMIT ?4
         ) AS newest WHERE outcome <> 'applied' ORDER BY origin_seq",
        args![device, low, high, scan.rows],
    )?;
    let mut decided = Vec::new();
    for row in rows {
        if let Some(outcome) = crate::single::outcome_of_word(&row.text(1)?) {
            decided.push(ChangeResult { seq: row.int(0)?, outcome, capped: None });
        }
    }
    Ok(decided)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock_cap::KeptScan;
    use crate::sql::{Mode, args};
    use crate::store::Store;
    use samanvaya_sync_protocol::Role;

    /// A laptop's changes `seqs` as the block stored them, each applied but those in `decided`.
    fn stored(store: &mut Store, device: Uuid, seqs: impl Iterator<Item = i64>, decided: &[(i64, &str)]) {
        let mut tx = store.db.transaction(Mode::Write).unwrap();
        for seq in seqs {
            let outcome = decided.iter().find(|(s, _)| *s == seq).map_or("applied", |(_, o)| *o);
            tx.execute(
                "INSERT INTO change (origin_device, origin_seq, via, kind, version, hlc, household_id,
                     change, recorded_at, received_at, outcome)
                 VALUES (?1, ?2, ?1, 'fact', 1, '{}', 'h', '{}', '2026-12-07T08:00:00Z',
                     '2026-12-07T08:00:00Z', ?3)",
                args![device, seq, outcome],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }

    fn seqs(found: Vec<ChangeResult>) -> Vec<i64> {
        found.into_iter().map(|r| r.seq).collect()
    }

    /// The block's answer on a stick carries what became of a whole survey round's changes, far more
    /// than the 5,000 changes a session's answer looks at; and a restored laptop's numbers jump,
    /// so the changes looked at are counted as rows, not as numbers.
    #[test]
    fn what_was_decided_is_read_over_the_newest_changes_counted_as_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::sqlite(dir.path(), Role::Block, chrono::Utc::now()).unwrap();
        let (baseline, restored) = (Uuid::from_u128(7), Uuid::from_u128(8));
        stored(&mut store, baseline, 1..=6_000, &[(10, "rejected: not a fact"), (5_990, "conflict: name")]);
        let between = |store: &mut Store, device, low, high, scan| {
            seqs(decided_between(&mut *store.db, device, low, high, scan).unwrap())
        };
        assert_eq!(between(&mut store, baseline, 1, 6_000, KeptScan::ONLINE), vec![5_990]);
        assert_eq!(between(&mut store, baseline, 1, 6_000, KeptScan::STICK), vec![10, 5_990]);
        assert_eq!(between(&mut store, baseline, 11, 6_000, KeptScan::STICK), vec![5_990]);

        // Restored from a backup, the laptop numbers its new work 2^28 further on.
        let jump = 1 << 28;
        stored(&mut store, restored, (1..=100).chain(jump + 1..=jump + 100), &[(50, "conflict: name")]);
        assert_eq!(between(&mut store, restored, 1, jump + 100, KeptScan::ONLINE), vec![50]);
        assert_eq!(between(&mut store, restored, 51, jump + 100, KeptScan::ONLINE), Vec::<i64>::new());
    }
}
