//! Applying a change pulled from a server: written to the tables like a local edit, recorded in
//! the change log as pulled (with the server's sequence number), and never queued again. Applying
//! the same pulled change twice is harmless: the second time it is recognised and skipped.
//!
//! Two edits of one field merge by their clock readings, as on the servers: a pulled write
//! applies only where it is later than the write the laptop holds (`field_clock.rs`), so a
//! laptop that edited a field after the pulled edit keeps its own value, and one that edited it
//! before takes the pulled one; every copy ends with the later write. Conflicting identity
//! fields are put in the review queue by the server, which sees both.

use std::collections::HashMap;

use rusqlite::{Connection, TransactionBehavior};
use samanvaya_domain::change::{
    Change, ChangeBody, FactChange, HouseholdField, MemberChange, MemberField, ReceivingChange,
    ReferralChange,
};
use samanvaya_domain::{Consent, Hlc, Household, Moment, Person, PersonId};
use uuid::Uuid;

use crate::error::StoreError;
use crate::store::Store;
use crate::{change_log, fact, field_clock, household, person};

/// Where a pulled change came from: the server and its sequence number for the change, and the
/// device that made it with that device's own number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PulledFrom<'a> {
    pub server: &'a str,
    pub server_seq: i64,
    pub device: Uuid,
    pub device_seq: i64,
}

impl Store {
    /// Applies one pulled change; `false` when it had been applied already.
    pub fn apply_pulled(
        &mut self,
        from: PulledFrom<'_>,
        change: &Change,
        at: Moment,
    ) -> Result<bool, StoreError> {
        if !change.is_supported() {
            return Err(StoreError::NewerChange { kind: change.body.kind(), version: change.version });
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if change_log::was_pulled(&tx, from.server, from.server_seq)? {
            return Ok(false);
        }
        let erased = crate::consent::on_arrival(&tx, change)?;
        let change = erased.as_ref().unwrap_or(change);
        apply(&tx, &change.body, change.hlc, at)?;
        change_log::record_pulled(
            &tx,
            from.server,
            from.server_seq,
            from.device,
            from.device_seq,
            change,
            at,
        )?;
        tx.commit()?;
        Ok(true)
    }
}

/// Applies what of a pulled change is later than what the laptop holds, and notes its fields'
/// clock readings; the caller owns the transaction and records the change.
pub(crate) fn apply(
    conn: &Connection,
    body: &ChangeBody,
    change_hlc: Hlc,
    at: Moment,
) -> Result<(), StoreError> {
    // The departure it writes of the member it names is hers, wherever it goes here.
    crate::own_departure::note(conn, body, change_hlc)?;
    merge_in(conn, body, change_hlc, at)
}

/// As [`apply`], of a change as it names its subject or as moved to a record kept.
fn merge_in(conn: &Connection, body: &ChangeBody, change_hlc: Hlc, at: Moment) -> Result<(), StoreError> {
    // A fact or a benefit of a record made one with another, recorded elsewhere without seeing
    // the merge, is the record kept's, as at every server (`sync/server/src/merge.rs`).
    // So does her departure (a death, a move): of a member's fields, only it.
    let subject = match body {
        ChangeBody::Fact(c) => Some(c.subject_id.clone()),
        ChangeBody::Receiving(c) => Some(c.subject_id.clone()),
        ChangeBody::Member(c) => Some(c.id.to_string()),
        _ => None,
    };
    let kept = match subject {
        Some(subject) => crate::merged_person::kept(conn, &subject)?,
        None => None,
    };
    // A record kept that was removed here since takes it where her answers were set aside
    // (`write` sets it aside with them), as a server writes it on her removed rows; with none
    // set aside (removed before local migration 0043), nothing here would take it.
    if let Some(kept) = &kept
        && !person::is_member(conn, kept)?
        && crate::removed_member::facts(conn, kept)?.is_none()
    {
        return Ok(());
    }
    let moved = match kept {
        Some(kept) => match body {
            ChangeBody::Fact(c) => Some(ChangeBody::Fact(FactChange { subject_id: kept, ..c.clone() })),
            ChangeBody::Receiving(c) => {
                Some(ChangeBody::Receiving(ReceivingChange { subject_id: kept, ..c.clone() }))
            }
            ChangeBody::Member(c) => {
                let kept = kept.parse::<PersonId>().map_err(|e| {
                    StoreError::Corrupt(format!("a merged record's kept id {kept:?} is damaged: {e}"))
                })?;
                // A departure the supervisor saw when making the merge is not the record
                // kept's: her own stands against it (`MemberRemoved::departure_seen`).
                let seen = crate::merged_person::departure_seen(conn, &c.id.to_string())?;
                if seen.is_some_and(|s| change_hlc <= s) {
                    return Ok(());
                }
                match c.departure_for(kept) {
                    Some(departure) => Some(ChangeBody::Member(departure)),
                    // Nothing of it goes to the record kept; the record it names was removed
                    // here, which stands.
                    None => return Ok(()),
                }
            }
            _ => None,
        },
        None => None,
    };
    let body = moved.as_ref().unwrap_or(body);
    let Some(newer) = field_clock::newer_part(conn, body, change_hlc)? else {
        return Ok(());
    };
    write(conn, &newer, change_hlc, at)?;
    field_clock::note(conn, &newer, change_hlc)?;
    Ok(())
}

fn write(conn: &Connection, body: &ChangeBody, change_hlc: Hlc, at: Moment) -> Result<(), StoreError> {
    let hid = body.household_id();
    let stored = household::get(conn, hid)?;
    let missing = || StoreError::NotFound { what: "household", id: hid.to_string() };
    match body {
        ChangeBody::Household(c) => {
            let mut h = stored.unwrap_or_else(|| Household {
                id: c.id,
                number: None,
                village_id: c.village_id,
                hamlet_id: None,
                address: String::new(),
                phone: String::new(),
                members: Vec::new(),
                created_at: c.created_at,
                updated_at: at.utc,
                consent: None,
            });
            h.village_id = c.village_id;
            for f in &c.fields {
                match f {
                    HouseholdField::Number(n) => h.number = *n,
                    HouseholdField::HamletId(x) => h.hamlet_id = *x,
                    HouseholdField::Address(a) => h.address.clone_from(a),
                    HouseholdField::Phone(p) => h.phone.clone_from(p),
                    HouseholdField::Consent(c) => {
                        h.consent = Some(Consent {
                            respondent: c.respondent,
                            taken_by: c.taken_by.clone(),
                            taken_at: c.taken_at,
                        })
                    }
                }
            }
            h.updated_at = at.utc;
            household::put(conn, &h)?;
        }
        ChangeBody::Member(c) => {
            let mut h = stored.ok_or_else(missing)?;
            let at_index = h.members.iter().position(|p| p.id == c.id);
            // So was one whose record never came, set aside at her removal (`removed_member.rs`):
            // taken for a new member, the change was refused for want of a name, and kept aside
            // as damaged.
            let mid = c.id.to_string();
            if at_index.is_none()
                && (field_clock::holds_record(conn, &mid)?
                    || crate::removed_member::facts(conn, &mid)?.is_some())
            {
                // She was removed here (a record of her made one with another, or taken out)
                // after the pulled change was made elsewhere: the removal stands, as at every
                // server, which refuses such a change once it holds the removal. Applied, the
                // change brought her back here alone, for good. Her departure in it is set aside
                // with her answers, for a merge of her record that arrives later.
                crate::removed_member::put(conn, body)?;
                return Ok(());
            }
            // Each member's place: her shared position, or, with none yet (kept from before
            // local migration 0040, until the household's next edit here), her place here.
            let shared = person::shared_positions(conn, hid)?;
            let mut place: HashMap<PersonId, i64> = h
                .members
                .iter()
                .enumerate()
                .map(|(i, m)| (m.id, shared.get(&m.id).copied().unwrap_or(i as i64)))
                .collect();
            // A member new here without a position has the servers' default, the first place.
            let mut position = at_index.is_none().then_some(0);
            let at_index = at_index.unwrap_or_else(|| {
                h.members.push(Person::unnamed(c.id));
                h.members.len() - 1
            });
            let p = &mut h.members[at_index];
            for f in &c.fields {
                match f {
                    MemberField::Position(i) => position = Some(i64::from(*i)),
                    MemberField::Name(n) => p.name.clone_from(n),
                    MemberField::Relation(r) => p.relation = *r,
                    MemberField::Sex(s) => p.sex = *s,
                    MemberField::BirthDate(d) => p.birth_date = *d,
                    MemberField::BirthDateEstimated(e) => p.birth_date_estimated = *e,
                    MemberField::Left(l) => p.left = *l,
                }
            }
            if p.name.is_empty() {
                return Err(StoreError::Corrupt(format!(
                    "the pulled change adds member {} without a name; the server sent an incomplete change",
                    c.id
                )));
            }
            if let Some(i) = position {
                place.insert(c.id, i);
            }
            // Every store orders a household by the members' shared positions and, between equal
            // ones, by id: two members that two laptops each put in one place offline then stand
            // in the same order on both, as at the servers. Inserting at the position instead
            // put the member pulled before the laptop's own on each laptop: opposite orders.
            h.members.sort_by_key(|m| (place[&m.id], m.id));
            h.updated_at = at.utc;
            household::put(conn, &h)?;
            if let Some(i) = position {
                person::set_shared_position(conn, c.id, i)?;
            }
        }
        ChangeBody::MemberRemoved(c) => {
            let mut h = stored.ok_or_else(missing)?;
            // The record kept, as it stands now (`merged_person::note`), takes her facts before
            // her row and facts go.
            let noted = match c.merged_into {
                Some(kept) => crate::merged_person::note(conn, c.id, kept, c.departure_seen)?,
                None => None,
            };
            let kept = noted.as_ref().map(|n| n.kept.clone());
            // Her facts go to the record kept whether she is still a member here or was removed
            // here before the merge arrived (set aside, `removed_member.rs`), as at every
            // server; to a record kept that was removed here too, they go where its own were
            // set aside, as a server keeps them on its removed rows for a later merge of it.
            if let Some(kept) = &kept
                && (person::is_member(conn, kept)? || crate::removed_member::facts(conn, kept)?.is_some())
            {
                // What the merges naming her saw of her departure, as `note` kept it.
                let seen = crate::merged_person::departure_seen(conn, &c.id.to_string())?;
                take_facts(conn, &h, c.id, kept, seen, at)?;
                // So with the records a crossing had left removed with her: what was set aside
                // of each goes to the record kept.
                for left in noted.iter().flat_map(|n| &n.left) {
                    take_facts(conn, &h, left.id, kept, left.departure_seen, at)?;
                    crate::removed_member::forget(conn, &left.id.to_string())?;
                }
                h = household::get(conn, hid)?.ok_or_else(missing)?;
            }
            // A plain removal of a member not held here (a block restored from a backup hands
            // it out before her record, which it then refuses): she is set aside as removed, with
            // nothing yet, so that an answer about her pulled later is set aside with her, as the
            // servers write it on her removed row, not taken for a living member's.
            // Her answers pulled before her record go aside with her, out of the facts: left
            // there, they read as a living member's (seed 757 of the simulation with restores).
            if kept.is_none()
                && !h.members.iter().any(|p| p.id == c.id)
                && crate::removed_member::facts(conn, &c.id.to_string())?.is_none()
            {
                crate::removed_member::set_aside(conn, c.household_id, c.id, None)?;
                crate::field_clock::keep_fact_readings(conn, &c.id.to_string())?;
                crate::fact::forget_subject(conn, &c.id.to_string())?;
            }
            h.members.retain(|p| p.id != c.id);
            h.updated_at = at.utc;
            household::put(conn, &h)?;
            if let Some(kept) = kept {
                // Taken by the record kept, or not to be taken by any.
                crate::removed_member::forget(conn, &c.id.to_string())?;
                crate::consent::erase_merged_after(conn, c.household_id, c.id, &kept, at)?;
                // What this merge saw of a departure may take back one the record kept took:
                // she is counted and screened as living or gone again.
                if crate::own_departure::settle(conn, &kept)?
                    && let Some(h) = household::get(conn, hid)?
                {
                    crate::profile::refresh(conn, &h)?;
                }
            }
        }
        ChangeBody::Fact(c) => {
            let h = stored.ok_or_else(missing)?;
            // Of a member removed here: what a merge made elsewhere may take to her record kept.
            if crate::removed_member::put(conn, body)? {
                return Ok(());
            }
            // "Not known" is kept as asked-and-unknown, as on the laptop that answered it.
            let value = c.value.as_ref().map_or_else(|| "null".to_owned(), ToString::to_string);
            fact::set(conn, &c.subject_id, &c.name, &value, c.source, at.utc)?;
            crate::profile::refresh(conn, &h)?;
        }
        ChangeBody::Referral(c) => {
            stored.ok_or_else(missing)?;
            match crate::merged_person::kept(conn, &c.subject_id)? {
                // Opened elsewhere of a record made one with another before it arrived here.
                Some(kept) => crate::referral::put(conn, &ReferralChange { subject_id: kept, ..c.clone() })?,
                None => crate::referral::put(conn, c)?,
            }
        }
        ChangeBody::ReferralEvent(c) => {
            stored.ok_or_else(missing)?;
            crate::referral::put_event(conn, c, change_hlc)?;
        }
        ChangeBody::Submission(c) => {
            let mut h = stored.ok_or_else(missing)?;
            crate::survey::put_submission(conn, c)?;
            // A survey that asked the family's consent puts it on record where none is, as the
            // survey does on the laptop that took it (and the servers do): a survey finished
            // before consent travelled with the household still counts here.
            if c.consent == Some(true) && h.consent.is_none() {
                h.consent = Some(Consent {
                    respondent: None,
                    taken_by: c.submitted_by.clone(),
                    taken_at: c.submitted_at,
                });
                household::put(conn, &h)?;
            }
        }
        ChangeBody::ConsentWithdrawn(w) => {
            crate::consent::erase(conn, w, at)?;
        }
        // An erased change applies nothing; it is recorded so that its origin is known here.
        ChangeBody::Redacted(_) => {}
        ChangeBody::Receiving(c) => {
            let h = stored.ok_or_else(missing)?;
            if crate::removed_member::put(conn, body)? {
                return Ok(());
            }
            if c.receiving {
                fact::add_receiving(conn, &c.subject_id, &c.scheme, c.source.as_str(), at.utc)?;
            } else {
                fact::remove_receiving(conn, &c.subject_id, &c.scheme)?;
            }
            crate::profile::refresh(conn, &h)?;
        }
    }
    Ok(())
}

/// Merges the facts and benefits of `gone`, a member of `household` (or one removed from it
/// here, whose facts were set aside) made one with `kept`, into `kept`'s, the later clock
/// winning, before `gone`'s row and facts go: as every server does
/// when the merge arrives (`sync/server/src/state.rs`), so that a fact recorded elsewhere
/// without seeing the merge ends on the record kept at every store, whichever came first. The
/// laptop that made the merge wrote again, with its merge's clock, each answer of the record
/// kept that the other record answered otherwise, so an older answer of the record that went
/// does not win; of her departure, the merge says which reading its maker saw
/// (`departure_seen`), and only a later one is taken. A fact never stamped (a demo's) has no
/// clock to compare and stays behind.
pub(crate) fn take_facts(
    conn: &Connection,
    household: &Household,
    gone: PersonId,
    kept: &str,
    departure_seen: Option<Hlc>,
    at: Moment,
) -> Result<(), StoreError> {
    let gone_id = gone;
    let gone = gone.to_string();
    let mut bodies: Vec<ChangeBody> = if household.members.iter().any(|p| p.id == gone_id) {
        crate::fact::snapshot(conn, household)?
            .into_iter()
            .filter(|b| match b {
                ChangeBody::Fact(f) => f.subject_id == gone,
                ChangeBody::Receiving(r) => r.subject_id == gone,
                _ => false,
            })
            .collect()
    } else {
        // Removed here before the merge arrived: what was set aside of her.
        crate::removed_member::facts(conn, &gone)?.unwrap_or_default()
    };
    // A benefit stopped leaves no row, only its reading.
    for (scheme, _) in field_clock::receiving_readings(conn, &gone)? {
        let stopped = !bodies.iter().any(|b| matches!(b, ChangeBody::Receiving(r) if r.scheme == scheme));
        if stopped {
            bodies.push(ChangeBody::Receiving(ReceivingChange {
                household_id: household.id,
                subject_id: gone.clone(),
                scheme,
                receiving: false,
                source: samanvaya_domain::change::Source::Survey,
            }));
        }
    }
    // Her departure (a death, a move, or a return), where one was written of her: the record
    // kept takes it where it is the later write, as every server does (`state.rs`). A member
    // added as living in the household writes none, so nothing of hers is taken then.
    let departure = match household.members.iter().find(|p| p.id == gone_id) {
        Some(p) => Some(p.left),
        None => bodies.iter().find_map(|b| match b {
            ChangeBody::Member(m) => m.fields.iter().find_map(|f| match f {
                MemberField::Left(l) => Some(*l),
                _ => None,
            }),
            _ => None,
        }),
    };
    // One the merge's maker saw is not taken: the record kept's own stands against it.
    let unseen = |hlc: &Hlc| departure_seen.is_none_or(|s| *hlc > s);
    if let (Some(left), Some(hlc)) = (departure, field_clock::departure_reading(conn, &gone)?.filter(unseen))
    {
        let kept = kept.parse::<PersonId>().map_err(|e| {
            StoreError::Corrupt(format!("a merged record's kept id {kept:?} is damaged: {e}"))
        })?;
        let body = ChangeBody::Member(MemberChange {
            id: kept,
            household_id: household.id,
            fields: vec![MemberField::Left(left)],
        });
        merge_in(conn, &body, hlc, at)?;
    }
    for body in bodies {
        let Some(hlc) = field_clock::reading_of(conn, &body)? else { continue };
        let body = match body {
            ChangeBody::Fact(f) => ChangeBody::Fact(FactChange { subject_id: kept.to_owned(), ..f }),
            ChangeBody::Receiving(r) => {
                ChangeBody::Receiving(ReceivingChange { subject_id: kept.to_owned(), ..r })
            }
            other => other,
        };
        merge_in(conn, &body, hlc, at)?;
    }
    Ok(())
}
