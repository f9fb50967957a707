//! One arriving change stored and applied on its own: the kinds that are not merged set-wise (a
//! withdrawal of consent, a member removed, referrals and their steps), and what every kind
//! shares with the set-wise path in `batch.rs`: how an outcome is written.

use chrono::{DateTime, Utc};
use samanvaya_domain::change::Change as Typed;
use samanvaya_sync_protocol::{Origin, Outcome};
use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Db, args};
use crate::state::{self, Delivery};
use crate::store;

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
/// and has checked it is new. The kinds merged set-wise go through `batch.rs` instead. A change
/// its sender may not send (`refusal`, why) is stored as what is left of it, not applied.
pub(crate) fn store_one(
    db: &mut dyn Db,
    device: Uuid,
    arrival: Arrival<'_>,
    mut change: Typed,
    refusal: Option<String>,
    now: DateTime<Utc>,
) -> Result<Outcome, ServerError> {
    let Arrival { origin, via, pulled_through, recorded_at } = arrival;
    // A change about a person or household erased here is stored only as what is left of it.
    let mut not_applied = None;
    if let Some(reason) = refusal {
        change = remains(&change);
        not_applied = Some(reason);
    } else if let Some((kept, redacted)) = crate::consent::on_arrival(db, &change)? {
        change = kept;
        not_applied = redacted.then(|| crate::consent::ERASED_ON_ARRIVAL.to_owned());
    }
    change.hlc = crate::clock_cap::capped(change.hlc, now, store::clock(db, device)?);
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
                crate::stored_change::hlc_text(&change.hlc)?,
                change.body.household_id().to_string(),
                crate::stored_change::body_text(&change)?,
                recorded_at,
                now,
            ],
        )?
        .int(0)?;
    let outcome = if let Some(reason) = not_applied {
        Outcome::Rejected { reason }
    } else if change.is_supported() {
        state::apply(
            db,
            &change.body,
            change.hlc,
            Delivery { seq, sender: via, pulled_through, now, seen: None },
        )?
    } else {
        unsupported(&change)
    };
    let (outcome, word) = crate::waiting::held(db, seq, origin, &change.body, outcome)?;
    if word != "applied" {
        db.execute("UPDATE change SET outcome = ?1 WHERE seq = ?2", args![word, seq])?;
    }
    Ok(outcome)
}

/// What is kept of a change refused before it is applied (its household is in a village its
/// laptop does not serve): its household and kind under its origin, like a change erased on
/// arrival, and nothing of what it says. Its origin is then held here, so a push sent again is
/// told the refusal (`ingest::decided_before`) instead of "duplicate", and nothing is kept
/// about a family of a village the laptop was never given.
pub(crate) fn remains(change: &Typed) -> Typed {
    let body = samanvaya_domain::consent::redacted(&change.body);
    Typed { version: body.current_version(), hlc: change.hlc, body }
}

/// The outcome of a change of a kind or version newer than this server: stored, not applied.
/// None arrives from a peer of this protocol version (a kind's version rises only with the
/// protocol's, as `golden.rs` holds, and a session of another protocol is refused); were one to
/// come, it is kept as this build read it, without the fields it does not know, so it is not
/// read again after an upgrade, and the reason does not promise that.
pub(crate) fn unsupported(change: &Typed) -> Outcome {
    Outcome::Rejected {
        reason: format!(
            "{} version {} is newer than this server, which keeps it refused, not applied; update the server so that later changes of this kind are applied",
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

/// The outcome kept in a change's row as [`outcome_word`] wrote it; `None` for one applied.
pub(crate) fn outcome_of_word(word: &str) -> Option<Outcome> {
    match word.split_once(": ") {
        Some(("conflict", field)) => Some(Outcome::Conflict { field: field.to_owned() }),
        Some(("rejected", reason)) => Some(Outcome::Rejected { reason: reason.to_owned() }),
        _ => None,
    }
}
