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

use crate::enroll::{Caller, check_protocol};
use crate::error::ServerError;
use crate::sql::{Db, Mode, args};
use crate::state::{self, Delivery};
use crate::store::{self, Store};

/// How far ahead of the server's clock a change's clock may be. A laptop whose clock is set
/// years ahead would otherwise win every merge; its readings count as made when they arrived.
const CLOCK_TOLERANCE_MS: i64 = 10 * 60 * 1000;

/// `hlc` no later than the server's clock allows.
fn capped(hlc: Hlc, now: DateTime<Utc>) -> Hlc {
    let limit = now.timestamp_millis() + CLOCK_TOLERANCE_MS;
    if hlc.wall_ms > limit { Hlc { wall_ms: limit, ..hlc } } else { hlc }
}

fn stored(db: &mut dyn Db, origin: Origin) -> Result<bool, ServerError> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM change WHERE origin_device = ?1 AND origin_seq = ?2",
            args![origin.device, origin.seq],
        )?
        .is_some())
}

/// How a change reached this server: where it was made, who delivered it (a device, the
/// district, or `self`), how far the deliverer had pulled, and when it was first recorded.
#[derive(Clone, Copy)]
struct Arrival<'a> {
    origin: Origin,
    via: &'a str,
    pulled_through: i64,
    recorded_at: DateTime<Utc>,
}

/// Stores one new change and applies it to the current state; the caller owns the transaction
/// and has checked it is new.
fn store_one(
    db: &mut dyn Db,
    device: Uuid,
    arrival: Arrival<'_>,
    mut change: Typed,
    now: DateTime<Utc>,
) -> Result<Outcome, ServerError> {
    let Arrival { origin, via, pulled_through, recorded_at } = arrival;
    // A change about a person or household erased here is stored only as what is left of it.
    let mut erased_on_arrival = false;
    if let Some((kept, redacted)) = crate::consent::on_arrival(db, &change)? {
        change = kept;
        erased_on_arrival = redacted;
    }
    change.hlc = capped(change.hlc, now);
    store::observe(db, device, change.hlc, now)?;
    let seq = db
        .query_one(
            "INSERT INTO change (origin_device, origin_seq, via, kind, version, hlc, household_id, change,
                                 recorded_at, received_at, outcome)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'applied') RETURNING seq",
            args![
                origin.device,
                origin.seq,
                via,
                change.body.kind(),
                i64::from(change.version),
                serde_json::to_string(&change.hlc)?,
                change.body.household_id().to_string(),
                serde_json::to_string(&change)?,
                recorded_at,
                now,
            ],
        )?
        .int(0)?;
    let outcome = if erased_on_arrival {
        Outcome::Rejected { reason: crate::consent::ERASED_ON_ARRIVAL.to_owned() }
    } else if change.is_supported() {
        state::apply(db, &change.body, change.hlc, Delivery { seq, sender: via, pulled_through, now })?
    } else {
        Outcome::Rejected {
            reason: format!(
                "{} version {} is newer than this server; update the server and the change will be read again",
                change.body.kind(),
                change.version
            ),
        }
    };
    let word = match &outcome {
        Outcome::Applied | Outcome::Duplicate => "applied".to_owned(),
        Outcome::Conflict { field } => format!("conflict: {field}"),
        Outcome::Rejected { reason } => format!("rejected: {reason}"),
    };
    if word != "applied" {
        db.execute("UPDATE change SET outcome = ?1 WHERE seq = ?2", args![word, seq])?;
    }
    Ok(outcome)
}

/// Why a laptop may not push a change about this household (it is not in one of its villages),
/// or `None` when it may.
fn out_of_scope(db: &mut dyn Db, caller: &Caller, body: &ChangeBody) -> Result<Option<String>, ServerError> {
    if caller.kind == DeviceKind::Block {
        return Ok(None);
    }
    let village = match body {
        ChangeBody::Household(c) => Some(c.village_id.0.to_string()),
        other => db
            .query_opt(
                "SELECT village_id FROM household WHERE id = ?1",
                args![other.household_id().to_string()],
            )?
            .map(|r| r.text(0))
            .transpose()?,
    };
    let Some(village) = village else { return Ok(None) };
    let served = db
        .query_opt(
            "SELECT 1 FROM device_village WHERE device_id = ?1 AND village_id = ?2",
            args![caller.device, village],
        )?
        .is_some();
    Ok((!served).then(|| "the household is in a village this laptop was not enrolled for".to_owned()))
}

impl Store {
    /// Stores a pushed batch in one transaction and answers once it is committed.
    pub fn push(
        &mut self,
        caller: &Caller,
        batch: &PushBatch,
        now: DateTime<Utc>,
    ) -> Result<PushAck, ServerError> {
        check_protocol(batch.protocol)?;
        let sender = caller.device.to_string();
        let mut tx = self.db.transaction(Mode::Write)?;
        let mut acked =
            tx.query_one("SELECT acked_through FROM device WHERE id = ?1", args![&sender])?.int(0)?;
        let mut results = Vec::with_capacity(batch.changes.len());
        let mut last = 0;
        for c in &batch.changes {
            if c.seq <= last {
                return Err(ServerError::refused(
                    RefusalCode::BadBody,
                    format!("the batch is out of order at seq {}; the app must send changes in order", c.seq),
                ));
            }
            last = c.seq;
            if caller.kind == DeviceKind::Laptop && c.origin.device != caller.device {
                return Err(ServerError::refused(
                    RefusalCode::BadBody,
                    "a laptop may only push its own changes",
                ));
            }
            let outcome = if c.seq <= acked || stored(&mut *tx, c.origin)? {
                Outcome::Duplicate
            } else if let Some(reason) = out_of_scope(&mut *tx, caller, &c.change.body)? {
                Outcome::Rejected { reason }
            } else {
                let arrival = Arrival {
                    origin: c.origin,
                    via: &sender,
                    pulled_through: batch.pulled_through,
                    recorded_at: c.recorded_at,
                };
                store_one(&mut *tx, self.device, arrival, c.change.clone(), now)?
            };
            results.push(ChangeResult { seq: c.seq, outcome });
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
        now: DateTime<Utc>,
    ) -> Result<usize, ServerError> {
        let mut tx = self.db.transaction(Mode::Write)?;
        let via = upstream.to_string();
        let mut new = 0;
        for p in changes {
            if p.origin.device == self.device || stored(&mut *tx, p.origin)? {
                continue;
            }
            let arrival =
                Arrival { origin: p.origin, via: &via, pulled_through: i64::MAX, recorded_at: p.recorded_at };
            store_one(&mut *tx, self.device, arrival, p.change.clone(), now)?;
            new += 1;
        }
        tx.execute(
            "UPDATE upstream SET pulled_through = CASE WHEN pulled_through > ?1 THEN pulled_through ELSE ?1 END
             WHERE id = 1",
            args![cursor],
        )?;
        tx.commit()?;
        self.after_erasure(changes.iter().map(|p| &p.change.body));
        Ok(new)
    }

    /// Once a withdrawal of consent is committed, the older versions of what it erased go from
    /// the disk too. The changes are stored either way, so a failure here (a long read holding
    /// the log) fails nothing: the next withdrawal's checkpoint, or SQLite's own, completes it.
    fn after_erasure<'a>(&mut self, mut bodies: impl Iterator<Item = &'a ChangeBody>) {
        if bodies.any(|b| matches!(b, ChangeBody::ConsentWithdrawn(_))) {
            let _ = self.db.forget_old_versions();
        }
    }

    /// Records a change made on this server (a block officer's step on a referral), with the
    /// server as its origin; it travels down to the laptop and up to the district like any other.
    pub fn record_here(&mut self, body: ChangeBody, now: DateTime<Utc>) -> Result<Outcome, ServerError> {
        let mut tx = self.db.transaction(Mode::Write)?;
        let (hlc, seq) = store::tick(&mut *tx, self.device, now)?;
        let origin = Origin { device: self.device, seq };
        let arrival = Arrival { origin, via: "self", pulled_through: i64::MAX, recorded_at: now };
        let outcome = store_one(&mut *tx, self.device, arrival, Typed::new(hlc, body), now)?;
        if let Outcome::Rejected { reason } = &outcome {
            return Err(ServerError::Invalid(reason.clone()));
        }
        tx.commit()?;
        Ok(outcome)
    }
}
