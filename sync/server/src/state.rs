//! The current state the server derives from the changes it stores: households, members, facts,
//! benefits received, survey submissions and referrals. Mutable fields merge one by one: the
//! write with the later clock reading wins, whatever order the changes arrive in, so every
//! server ends with the same state from the same changes. An identity field (name, relation,
//! sex, birth) written on two devices that had not seen each other's write goes to the review
//! queue with both values. That merge is done set-wise over a run of changes, in memory
//! (`merge.rs`); this module applies the other kinds one at a time: a withdrawal of consent, a
//! member removed, and referrals, replayed from their events with the laptop's own state machine
//! (`samanvaya_domain::referral::replay`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use samanvaya_domain::Hlc;
use samanvaya_domain::change::{ChangeBody, ReferralChange, ReferralEventChange};
use samanvaya_domain::referral::{Case, Entry, Event, replay};
use samanvaya_sync_protocol::Outcome;
use serde::Serialize;
use uuid::Uuid;

use crate::error::ServerError;
use crate::field_clocks::{FieldClocks, Written};
use crate::sql::{Db, Value, args};

/// Who delivered a change and what they had seen: a write already on the server that is newer
/// than `pulled_through`, from another device, was not seen by the sender.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub seq: i64,
    pub sender: &'a str,
    pub pulled_through: i64,
    pub now: DateTime<Utc>,
    /// For a change a server forwards: the identity fields' writes its maker had seen, by field
    /// (`Change::seen_at_sender`); `None` from a laptop.
    pub seen: Option<&'a BTreeMap<String, Hlc>>,
}

fn to_json<T: Serialize>(v: &T) -> Result<String, ServerError> {
    Ok(serde_json::to_string(v)?)
}

/// Applies one stored change of a kind not merged set-wise (`merge::merged_here`) to the
/// current state.
pub fn apply(db: &mut dyn Db, body: &ChangeBody, hlc: Hlc, d: Delivery<'_>) -> Result<Outcome, ServerError> {
    match body {
        // A withdrawal is applied even for a household the server never received (recorded and
        // withdrawn before any sync): its tombstone erases whatever of it arrives later.
        ChangeBody::ConsentWithdrawn(w) => {
            crate::consent::erase(db, w, d.seq)?;
            crate::waiting::until_recorded(db, d.seq, &w.household_id.to_string())?;
            return Ok(Outcome::Applied);
        }
        // What is left of an erased change applies nothing; what is left of a referral erases
        // its later steps here too.
        ChangeBody::Redacted(r) => {
            if let Some(referral) = r.referral {
                crate::consent::erased_referral(db, &r.household_id.to_string(), referral, d.seq)?;
            }
            crate::waiting::until_recorded(db, d.seq, &r.household_id.to_string())?;
            return Ok(Outcome::Applied);
        }
        _ => {}
    }
    let hid = body.household_id().to_string();
    let known = db.query_opt("SELECT 1 FROM household WHERE id = ?1", args![&hid])?.is_some();
    if !known {
        // It waits for its household's record (`waiting.rs`): a block restored from a backup
        // gets the record again from the laptop that made it, after another's change about it.
        return Ok(crate::waiting::not_known(&hid, body.kind()));
    }
    match body {
        ChangeBody::MemberRemoved(c) => {
            // The record this one was made one with already, if a merge made elsewhere did.
            let before = db
                .query_opt(
                    "SELECT merged_into FROM member WHERE id = ?1 AND merged_into IS NOT NULL",
                    args![c.id.0],
                )?
                .map(|r| r.text(0))
                .transpose()?;
            // The record kept, as it stands now: two merges made at once on two laptops (the
            // first record into the second, the second into a third) arrive in either order,
            // and each record merged away points at the one record left.
            let kept = match c.merged_into {
                Some(k) => {
                    let k = k.0.to_string();
                    let further = db
                        .query_opt(
                            "SELECT merged_into FROM member WHERE id = ?1 AND merged_into IS NOT NULL",
                            args![&k],
                        )?
                        .map(|r| r.text(0))
                        .transpose()?;
                    Some(further.unwrap_or(k))
                }
                None => None,
            };
            // Two supervisors who each made one record into the other: no record points at itself.
            let crossing = kept.as_ref().is_some_and(|k| *k == c.id.0.to_string());
            let kept = kept.filter(|k| *k != c.id.0.to_string());
            let kept_now = kept.clone();
            // A member not held here: a block restored from a backup lost her creation, which
            // the laptop that made her sends again, maybe after another laptop's removal of her.
            // Her row is kept as removed, so that her creation, arriving later, is refused as a
            // change made before her removal was seen (`merge.rs`), as at a store that got them
            // the other way round; the removal of a row not there removed nothing, and her
            // creation then stood.
            db.execute(
                "INSERT INTO member (id, household_id, removed) VALUES (?1, ?2, 1) ON CONFLICT (id) DO NOTHING",
                args![c.id.0, &hid],
            )?;
            // A plain removal arriving after the merge keeps what the merge said.
            db.execute(
                "UPDATE member SET removed = 1, merged_into = COALESCE(?2, merged_into) WHERE id = ?1",
                args![c.id.0, kept.clone()],
            )?;
            if let Some(kept) = kept {
                // A record made one with this one before goes to the record kept too, and so do
                // the referrals of this one (opened on a laptop that had not seen the merge).
                let gone = c.id.0.to_string();
                // The departure of this record its maker saw, with what was seen of it before
                // (a reading only grows, whatever order the merges naming it arrive in), and,
                // where the record named was made one with another already, what that merge
                // saw of the record named: a departure of this one reaches the record kept
                // through it, as it would have had the merges arrived the other way round.
                let mut seen = c.departure_seen.max(departure_seen_of(db, &gone)?);
                let named = c.merged_into.map(|k| k.0.to_string());
                if let Some(named) = named.filter(|n| *n != kept) {
                    seen = seen.max(departure_seen_of(db, &named)?);
                }
                // So with the records made one with this one before: a departure of theirs
                // reaches the record kept through this one, past what this merge saw of it.
                // Every record a merge made one with this one, or with one of those, whichever
                // record each points at now (a merge of this one unseen of this merge may have
                // taken them on already: `own_departure.rs`).
                if let Some(seen) = seen {
                    for id in crate::own_departure::made_one_with(db, &hid, &gone)? {
                        raise_departure_seen(db, &id, seen, d.seq)?;
                    }
                }
                db.execute("UPDATE member SET merged_into = ?2 WHERE merged_into = ?1", args![&gone, &kept])?;
                db.execute("UPDATE referral SET subject_id = ?2 WHERE subject_id = ?1", args![&gone, &kept])?;
                crate::consent::erase_merged_after(db, c.household_id, c.id, &kept)?;
                take_facts(db, &gone, &kept)?;
                take_departure(db, &gone, &kept, seen, d.seq)?;
                // What this merge saw of a departure may take back one the record kept took.
                crate::own_departure::settle(db, &hid, &kept)?;
            }
            // Both records are removed now: the record the first merge kept comes back as a new
            // one, settled where the laptop delivered the second merge (`crossing_merge.rs`).
            if crossing && crate::crossing_merge::from_laptop(db, d.sender)? {
                crate::crossing_merge::settle(db, c.household_id, c.id, d.now)?;
            }
            // Made one with two different records by two supervisors: she is all three. Where
            // the laptop delivered the second merge, the record it kept is made one with the
            // record the first kept (`crossing_merge::join`); the other way round when the
            // first's was removed since and the second's stands, so that she and her facts and
            // referrals end on a record her household shows.
            if let (Some(first), Some(second)) = (before, kept_now)
                && first != second
                && crate::crossing_merge::from_laptop(db, d.sender)?
            {
                let removed = |db: &mut dyn Db, id: &str| -> Result<bool, ServerError> {
                    Ok(db.query_one("SELECT removed FROM member WHERE id = ?1", args![id])?.int(0)? != 0)
                };
                let (gone, kept) = if removed(db, &first)? && !removed(db, &second)? {
                    (first, second)
                } else {
                    (second, first)
                };
                crate::crossing_merge::join(db, c.household_id, &gone, &kept, d.now)?;
            }
            Ok(Outcome::Applied)
        }
        ChangeBody::Referral(c) => {
            db.execute(
                "INSERT INTO referral (id, number, household_id, subject_id, need, level, stage, due_on, opened)
                 VALUES (?1, ?2, ?3, COALESCE((SELECT merged_into FROM member WHERE id = ?4), ?4), ?5, ?6,
                         'identified', ?7, ?8)
                 ON CONFLICT DO NOTHING",
                args![
                    c.id,
                    &c.number,
                    &hid,
                    &c.subject_id,
                    to_json(&c.need)?,
                    c.level.as_str(),
                    c.due_on,
                    to_json(c)?
                ],
            )?;
            refresh_referral(db, c.id)?;
            Ok(Outcome::Applied)
        }
        ChangeBody::ReferralEvent(c) => {
            db.execute(
                "INSERT INTO referral_event (id, referral_id, hlc, device, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO NOTHING",
                args![c.id, c.referral_id, crate::stored_change::hlc_text(&hlc)?, hlc.node, to_json(c)?],
            )?;
            refresh_referral(db, c.referral_id)
        }
        ChangeBody::ConsentWithdrawn(_) | ChangeBody::Redacted(_) => Ok(Outcome::Applied),
        other => Err(ServerError::Invalid(format!(
            "a {} change is merged set-wise (merge.rs), not applied on its own",
            other.kind()
        ))),
    }
}

/// Gives `kept`, the record `gone` was made one with, `gone`'s departure (a death, a move, or a
/// return) where it is the later write: a departure recorded elsewhere without seeing the merge
/// ends on the record kept at every store, whichever arrives first (one arriving after the merge
/// is moved to the record kept by `merge.rs`). A member added as living in the household writes
/// no departure, so only a departure or a return recorded of her is taken. A departure the
/// merge's maker saw (`seen`, `MemberRemoved::departure_seen`) is not taken: the record kept's
/// own stands against it. `seen` is kept among `gone`'s clocks for a departure arriving later.
fn take_departure(
    db: &mut dyn Db,
    gone: &str,
    kept: &str,
    seen: Option<Hlc>,
    seq: i64,
) -> Result<(), ServerError> {
    let read = |db: &mut dyn Db, id: &str| -> Result<Option<(Value, FieldClocks)>, ServerError> {
        match db.query_opt("SELECT left_household, clocks FROM member WHERE id = ?1", args![id])? {
            Some(row) => Ok(Some((row.value(0), FieldClocks::from_text(&row.text(1)?)?))),
            None => Ok(None),
        }
    };
    let (Some((left, gone_clocks)), Some((_, mut kept_clocks))) = (read(db, gone)?, read(db, kept)?) else {
        return Ok(());
    };
    if let Some(seen) = seen {
        raise_departure_seen(db, gone, seen, seq)?;
    }
    let Some(&theirs) = gone_clocks.get(DEPARTURE) else { return Ok(()) };
    if seen.is_some_and(|s| theirs.hlc <= s)
        || kept_clocks.get(DEPARTURE).is_some_and(|ours| ours.hlc >= theirs.hlc)
    {
        return Ok(());
    }
    kept_clocks.insert(DEPARTURE.to_owned(), theirs);
    db.execute(
        "UPDATE member SET left_household = ?2, clocks = ?3 WHERE id = ?1",
        &[Value::from(kept), left, Value::from(kept_clocks.to_text()?)],
    )?;
    Ok(())
}

/// The reading of `id`'s departure that the merges naming it saw, the latest of them.
fn departure_seen_of(db: &mut dyn Db, id: &str) -> Result<Option<Hlc>, ServerError> {
    let Some(row) = db.query_opt("SELECT clocks FROM member WHERE id = ?1", args![id])? else {
        return Ok(None);
    };
    Ok(FieldClocks::from_text(&row.text(0)?)?.get(DEPARTURE_SEEN).map(|w| w.hlc))
}

/// Keeps `seen` as the reading of `id`'s departure seen by a merge, where it is later than the
/// one kept: two merges of one record arriving in either order leave the later.
fn raise_departure_seen(db: &mut dyn Db, id: &str, seen: Hlc, seq: i64) -> Result<(), ServerError> {
    let Some(row) = db.query_opt("SELECT clocks FROM member WHERE id = ?1", args![id])? else {
        return Ok(());
    };
    let mut clocks = FieldClocks::from_text(&row.text(0)?)?;
    if clocks.get(DEPARTURE_SEEN).is_some_and(|held| held.hlc >= seen) {
        return Ok(());
    }
    clocks.insert(DEPARTURE_SEEN.to_owned(), Written { hlc: seen, seq });
    db.execute(
        "UPDATE member SET clocks = ?2 WHERE id = ?1",
        &[Value::from(id), Value::from(clocks.to_text()?)],
    )?;
    Ok(())
}

/// The name a member's departure is kept under among her fields' clocks (`merge.rs`).
pub(crate) const DEPARTURE: &str = "left_household";

/// The name the reading of a merged record's departure its merge's maker saw is kept under among
/// the record's clocks (`MemberRemoved::departure_seen`); no field is named so.
pub(crate) const DEPARTURE_SEEN: &str = "departure_seen";

/// Merges the facts and benefits of `gone`, made one with `kept`, into `kept`'s, the later clock
/// winning, and drops `gone`'s: whatever order a merge and a fact recorded elsewhere without
/// seeing it arrive in, the record kept ends with the same facts (a fact arriving after the
/// merge is merged the same way, `merge.rs`, unless the record kept was removed since). The laptop that made the merge wrote again, with
/// its merge's clock, each answer of the record kept that the other record answered otherwise,
/// so an older answer of the record that went does not win here.
fn take_facts(db: &mut dyn Db, gone: &str, kept: &str) -> Result<(), ServerError> {
    let later = |db: &mut dyn Db, sql: &str, key: &str, hlc: &str| -> Result<bool, ServerError> {
        let incoming: Hlc = serde_json::from_str(hlc)?;
        Ok(match db.query_opt(sql, args![kept, key])? {
            Some(row) => serde_json::from_str::<Hlc>(&row.text(0)?)? < incoming,
            None => true,
        })
    };
    for row in db.query("SELECT name, hlc FROM fact WHERE subject_id = ?1", args![gone])? {
        let (name, hlc) = (row.text(0)?, row.text(1)?);
        if later(&mut *db, "SELECT hlc FROM fact WHERE subject_id = ?1 AND name = ?2", &name, &hlc)? {
            db.execute(
                "INSERT INTO fact (household_id, subject_id, name, value, source, hlc)
                 SELECT household_id, CAST(?2 AS TEXT), name, value, source, hlc FROM fact WHERE subject_id = ?1 AND name = ?3
                 ON CONFLICT (subject_id, name) DO UPDATE SET value = excluded.value,
                     source = excluded.source, hlc = excluded.hlc",
                args![gone, kept, &name],
            )?;
        }
    }
    for row in db.query("SELECT scheme, hlc FROM receiving WHERE subject_id = ?1", args![gone])? {
        let (scheme, hlc) = (row.text(0)?, row.text(1)?);
        if later(&mut *db, "SELECT hlc FROM receiving WHERE subject_id = ?1 AND scheme = ?2", &scheme, &hlc)?
        {
            db.execute(
                "INSERT INTO receiving (household_id, subject_id, scheme, receiving, hlc)
                 SELECT household_id, CAST(?2 AS TEXT), scheme, receiving, hlc FROM receiving
                 WHERE subject_id = ?1 AND scheme = ?3
                 ON CONFLICT (subject_id, scheme) DO UPDATE SET receiving = excluded.receiving,
                     hlc = excluded.hlc",
                args![gone, kept, &scheme],
            )?;
        }
    }
    db.execute("DELETE FROM fact WHERE subject_id = ?1", args![gone])?;
    db.execute("DELETE FROM receiving WHERE subject_id = ?1", args![gone])?;
    Ok(())
}

/// A referral's opening and its events replayed, by id; `None` while only events have arrived.
fn replayed(db: &mut dyn Db, id: &str) -> Result<Option<(ReferralChange, Case, Vec<Entry>)>, ServerError> {
    let Some(opened) = db.query_opt("SELECT opened FROM referral WHERE id = ?1", args![id])? else {
        return Ok(None);
    };
    let opened: ReferralChange = serde_json::from_str(&opened.text(0)?)?;
    let start = Case::new(
        opened.level,
        opened.due_on,
        opened.documents.iter().map(|d| d.status).collect(),
        opened.created_at,
    );
    let events: Vec<Event> = db
        .query("SELECT hlc, body FROM referral_event WHERE referral_id = ?1", args![id])?
        .iter()
        .map(|row| {
            let hlc: Hlc = serde_json::from_str(&row.text(0)?)?;
            let e: ReferralEventChange = serde_json::from_str(&row.text(1)?)?;
            Ok(Event {
                id: e.id,
                hlc,
                at: e.at,
                by: e.by,
                device: hlc.node,
                catalogue: e.catalogue,
                action: e.action,
            })
        })
        .collect::<Result<_, ServerError>>()?;
    let (case, entries) = replay(&start, events);
    Ok(Some((opened, case, entries)))
}

/// Replays a referral and writes its state. An event that no longer fits is kept, marked not
/// applied, exactly as the laptop shows it; an event that arrives before its referral waits for
/// the opening to replay it.
fn refresh_referral(db: &mut dyn Db, id: Uuid) -> Result<Outcome, ServerError> {
    let Some((_, case, entries)) = replayed(db, &id.to_string())? else { return Ok(Outcome::Applied) };
    for entry in &entries {
        db.execute(
            "UPDATE referral_event SET applied = ?1 WHERE id = ?2",
            args![entry.refused.is_none(), entry.event.id],
        )?;
    }
    db.execute(
        "UPDATE referral SET stage = ?1, level = ?2, due_on = ?3 WHERE id = ?4",
        args![case.stage.as_str(), case.level.as_str(), case.due_on, id],
    )?;
    Ok(Outcome::Applied)
}

/// A referral's opening and current state by its number, for the server's own steps and for
/// the console.
pub fn referral_case(db: &mut dyn Db, number: &str) -> Result<Option<(ReferralChange, Case)>, ServerError> {
    let Some(id) = db.query_opt("SELECT id FROM referral WHERE number = ?1", args![number])? else {
        return Ok(None);
    };
    Ok(replayed(db, &id.text(0)?)?.map(|(opened, case, _)| (opened, case)))
}
