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
use crate::enroll::{Caller, check_protocol};
use crate::error::ServerError;
use crate::sql::{Db, Mode, args};
use crate::state::{self, Delivery};
use crate::store::{self, Store};

/// How far ahead of the server's clock a change's clock may be. A laptop whose clock is set
/// years ahead would otherwise win every merge; its readings count as made when they arrived.
const CLOCK_TOLERANCE_MS: i64 = 10 * 60 * 1000;

/// `hlc` no later than the server's clock allows.
pub(crate) fn capped(hlc: Hlc, now: DateTime<Utc>) -> Hlc {
    let limit = now.timestamp_millis() + CLOCK_TOLERANCE_MS;
    if hlc.wall_ms > limit { Hlc { wall_ms: limit, ..hlc } } else { hlc }
}

/// How a change reached this server: where it was made, who delivered it (a device, the
/// district, or `self`), how far the deliverer had pulled, and when it was first recorded.
#[derive(Clone, Copy)]
pub(crate) struct Arrival<'a> {
    pub origin: Origin,
    pub via: &'a str,
    pub pulled_through: i64,
    pub recorded_at: DateTime<Utc>,
}

/// Stores one new change and applies it to the current state; the caller owns the transaction
/// and has checked it is new. The kinds merged set-wise go through `batch.rs` instead.
pub(crate) fn store_one(
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
        unsupported(&change)
    };
    let word = outcome_word(&outcome);
    if word != "applied" {
        db.execute("UPDATE change SET outcome = ?1 WHERE seq = ?2", args![word, seq])?;
    }
    Ok(outcome)
}

/// The outcome of a change of a kind or version newer than this server: stored, not applied.
pub(crate) fn unsupported(change: &Typed) -> Outcome {
    Outcome::Rejected {
        reason: format!(
            "{} version {} is newer than this server; update the server and the change will be read again",
            change.body.kind(),
            change.version
        ),
    }
}

/// How an outcome is kept in the change's row.
pub(crate) fn outcome_word(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Applied | Outcome::Duplicate => "applied".to_owned(),
        Outcome::Conflict { field } => format!("conflict: {field}"),
        Outcome::Rejected { reason } => format!("rejected: {reason}"),
    }
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
        }
        // A laptop may push only about the households of its villages; a block forwards any.
        let served = if caller.kind == DeviceKind::Block {
            None
        } else {
            Some(
                tx.query("SELECT village_id FROM device_village WHERE device_id = ?1", args![&sender])?
                    .iter()
                    .map(|r| r.text(0))
                    .collect::<Result<_, _>>()?,
            )
        };
        let from = Sender { via: &sender, pulled_through: batch.pulled_through, served };
        let items: Vec<Incoming<'_>> = batch
            .changes
            .iter()
            .map(|c| Incoming {
                origin: c.origin,
                recorded_at: c.recorded_at,
                change: &c.change,
                known: c.seq <= acked,
            })
            .collect();
        let outcomes = batch::store_all(&mut *tx, self.device, &from, &items, now)?;
        let results = batch
            .changes
            .iter()
            .zip(outcomes)
            .map(|(c, outcome)| ChangeResult { seq: c.seq, outcome })
            .collect();
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
        let from = Sender { via: &via, pulled_through: i64::MAX, served: None };
        let items: Vec<Incoming<'_>> = changes
            .iter()
            .map(|p| Incoming {
                origin: p.origin,
                recorded_at: p.recorded_at,
                change: &p.change,
                known: p.origin.device == self.device,
            })
            .collect();
        let new = batch::store_all(&mut *tx, self.device, &from, &items, now)?
            .iter()
            .filter(|o| !matches!(o, Outcome::Duplicate))
            .count();
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
        let change = Typed::new(hlc, body);
        let item = Incoming {
            origin: Origin { device: self.device, seq },
            recorded_at: now,
            change: &change,
            known: false,
        };
        let from = Sender { via: "self", pulled_through: i64::MAX, served: None };
        let outcome = batch::store_all(&mut *tx, self.device, &from, &[item], now)?
            .pop()
            .ok_or_else(|| ServerError::Invalid("the change made here was left without an outcome".into()))?;
        if let Outcome::Rejected { reason } = &outcome {
            return Err(ServerError::Invalid(reason.clone()));
        }
        tx.commit()?;
        Ok(outcome)
    }
}
