//! Two records of one person in a household made one: a supervisor's correction of the roster.
//! The same woman is entered twice more often than anything else goes wrong in a register: once
//! from a government list and again at the survey, or under two spellings of her name by two
//! facilitators. The record kept takes from the other what it does not know yet (each fact,
//! each scheme she receives, a date of birth where it has none, the family's consent if she gave
//! it), and the other record is removed, as a supervisor removes a member.
//!
//! Everything travels as the changes it is made of (the kept record's facts and benefits, the
//! member removed), so the block, the district and the village's other laptops end with the same
//! one record without a change kind of their own. What would not travel that way is refused: a
//! referral of the record removed (its person would be gone at the block; the record with the
//! referrals is the one to keep), and a survey in progress, whose roster still holds both
//! records.

use std::collections::{HashMap, HashSet};

use rusqlite::{OptionalExtension, TransactionBehavior};
use samanvaya_domain::change::{ChangeBody, FactChange, ReceivingChange};
use samanvaya_domain::{Household, HouseholdId, Moment, PersonId, Relation};
use serde::Serialize;
use ts_rs::TS;

use crate::error::{MergeRefusal, StoreError};
use crate::store::Store;
use crate::{change_log, fact, household};

/// What a merge of two records of a member did.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct MemberMerged {
    /// The household as it is now, with the one record.
    pub household: Household,
    /// Facts the kept record took from the other (it did not know them, or knew them only as
    /// "not known").
    pub facts: u32,
    /// Schemes received that the kept record took from the other.
    pub benefits: u32,
}

impl Store {
    /// Makes `duplicate`, a second record of the member `keep` of `household`, one with it: the
    /// kept record takes what it does not know from the other, which is then removed. Only a
    /// supervisor may, since it deletes a record.
    pub fn merge_member(
        &mut self,
        household: HouseholdId,
        keep: PersonId,
        duplicate: PersonId,
        at: Moment,
    ) -> Result<MemberMerged, StoreError> {
        if !self.who().role.may_delete() {
            return Err(StoreError::NotAllowed {
                role: self.who().role.as_str(),
                action: "merge two records of a person",
            });
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = household::get(&tx, household)?
            .ok_or_else(|| StoreError::NotFound { what: "household", id: household.to_string() })?;
        let member =
            |id: PersonId| {
                before.members.iter().find(|p| p.id == id).cloned().ok_or_else(|| StoreError::NotFound {
                    what: "member of this household",
                    id: id.to_string(),
                })
            };
        let (kept, other) = (member(keep)?, member(duplicate)?);
        if keep == duplicate {
            return Err(StoreError::MergeRefused(MergeRefusal::SameRecord));
        }
        let referrals: Vec<String> = tx
            .prepare("SELECT number FROM referral WHERE subject_id = ?1 ORDER BY number")?
            .query_map([duplicate.to_string()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if !referrals.is_empty() {
            return Err(StoreError::MergeRefused(MergeRefusal::Referrals(referrals)));
        }
        let surveying = tx
            .query_row("SELECT 1 FROM survey_draft WHERE household_id = ?1", [household.to_string()], |_| {
                Ok(())
            })
            .optional()?
            .is_some();
        if surveying {
            return Err(StoreError::MergeRefused(MergeRefusal::SurveyInProgress));
        }
        // The head's record going, the kept record becomes the head's: not of someone who left.
        if other.relation == Relation::Head && kept.left.is_some() {
            return Err(StoreError::MergeRefused(MergeRefusal::HeadLeft));
        }

        // What the kept record holds already: each fact (whether its value is known, or it was
        // asked and not known), and each scheme received.
        let recorded = fact::snapshot(&tx, &before)?;
        let (keep_id, other_id) = (keep.to_string(), duplicate.to_string());
        let mut kept_facts: HashMap<&str, &FactChange> = HashMap::new();
        let mut kept_schemes: HashSet<&str> = HashSet::new();
        for body in &recorded {
            match body {
                ChangeBody::Fact(f) if f.subject_id == keep_id => {
                    kept_facts.insert(f.name.as_str(), f);
                }
                ChangeBody::Receiving(r) if r.subject_id == keep_id => {
                    kept_schemes.insert(r.scheme.as_str());
                }
                _ => {}
            }
        }
        let (mut facts, mut benefits) = (0, 0);
        for body in &recorded {
            match body {
                // A fact the kept record lacks, or knows only as "not known" while the other
                // record knows it; the kept record's own answers stay.
                ChangeBody::Fact(f)
                    if f.subject_id == other_id
                        && kept_facts.get(f.name.as_str()).is_none_or(|k| unknown(k) && !unknown(f)) =>
                {
                    let value = f.value.as_ref().map_or_else(|| "null".to_owned(), ToString::to_string);
                    fact::set(&tx, &keep_id, &f.name, &value, f.source, at.utc)?;
                    let change = FactChange { subject_id: keep_id.clone(), ..f.clone() };
                    change_log::record(&tx, ChangeBody::Fact(change), at)?;
                    facts += 1;
                }
                ChangeBody::Receiving(r)
                    if r.subject_id == other_id && !kept_schemes.contains(r.scheme.as_str()) =>
                {
                    fact::add_receiving(&tx, &keep_id, &r.scheme, r.source.as_str(), at.utc)?;
                    let change = ReceivingChange { subject_id: keep_id.clone(), ..r.clone() };
                    change_log::record(&tx, ChangeBody::Receiving(change), at)?;
                    benefits += 1;
                }
                // The kept record's own answer stays where the other record answered otherwise.
                // It is written again with the merge's clock: every other store merges the
                // other record's facts into the kept record's when the merge arrives, the later
                // clock winning (`pulled::take_facts` on a laptop, `state.rs` at a server), and the
                // other's answer may be the later one.
                ChangeBody::Fact(f) if f.subject_id == other_id => {
                    if let Some(k) = kept_facts.get(f.name.as_str())
                        && k.value != f.value
                    {
                        change_log::record(&tx, ChangeBody::Fact((*k).clone()), at)?;
                    }
                }
                _ => {}
            }
        }
        // So with a scheme the kept record receives that the other record was written as no
        // longer receiving (the laptop keeps only that write's reading).
        for (scheme, _) in crate::field_clock::receiving_readings(&tx, &other_id)? {
            let stopped = !recorded.iter().any(
                |b| matches!(b, ChangeBody::Receiving(r) if r.subject_id == other_id && r.scheme == scheme),
            );
            if stopped && kept_schemes.contains(scheme.as_str()) {
                let again = recorded.iter().find_map(|b| match b {
                    ChangeBody::Receiving(r) if r.subject_id == keep_id && r.scheme == scheme => {
                        Some(r.clone())
                    }
                    _ => None,
                });
                if let Some(r) = again {
                    change_log::record(&tx, ChangeBody::Receiving(r), at)?;
                }
            }
        }
        // Her departure is not written again: the merge says which of the other record's this
        // laptop saw (`MemberRemoved::departure_seen`), and every store takes only a later one
        // into the record kept. Written again with the merge's clock, the kept record's
        // departure undid a death of hers recorded elsewhere before the merge.
        let departure_seen = crate::field_clock::departure_reading(&tx, &other_id)?;
        // What is left of the other record's facts is merged into the kept record's as every
        // other store merges it, so that this laptop holds the same readings as they do.
        crate::pulled::take_facts(&tx, &before, duplicate, &keep_id, departure_seen, at)?;

        let mut after = before.clone();
        if let Some(p) = after.members.iter_mut().find(|p| p.id == keep) {
            // A date of birth where the kept record has none, or has only one worked out from a
            // stated age while the other has the date itself.
            let better = match (kept.birth_date, other.birth_date) {
                (None, Some(_)) => true,
                (Some(_), Some(_)) => kept.birth_date_estimated && !other.birth_date_estimated,
                _ => false,
            };
            if better {
                p.birth_date = other.birth_date;
                p.birth_date_estimated = other.birth_date_estimated;
            }
        }
        // One person: if the record that goes was the head's, the record kept is the head's, and
        // takes the head's place, first in the household.
        if other.relation == Relation::Head && kept.relation != Relation::Head {
            let place = after.members.iter().position(|p| p.id == keep).expect("the kept record is a member");
            let mut head = after.members.remove(place);
            head.relation = Relation::Head;
            after.members.insert(0, head);
        }
        // The family's consent given through the record removed was given by the person kept.
        if let Some(c) = after.consent.as_mut()
            && c.respondent == Some(duplicate)
        {
            c.respondent = Some(keep);
        }
        after.members.retain(|p| p.id != duplicate);
        after.updated_at = at.utc;
        household::write_merging(&tx, Some(&before), &after, at, Some((duplicate, keep, departure_seen)))?;
        // A referral of the record removed, opened on a laptop that has not seen the merge, goes
        // to the record kept when it arrives here.
        crate::merged_person::note(&tx, duplicate, keep, departure_seen)?;
        // What this merge saw of a departure may take back one the record kept took before:
        // she is counted and screened as living or gone again.
        let after = match crate::own_departure::settle(&tx, &keep.to_string())? {
            true => {
                let now = household::get(&tx, household)?.unwrap_or(after);
                crate::profile::refresh(&tx, &now)?;
                now
            }
            false => after,
        };
        // The kept record took her facts above: nothing of her is set aside for a later merge.
        crate::removed_member::forget(&tx, &duplicate.to_string())?;
        // The log says it was a merge, not a removal alone (ids only, as every entry).
        crate::audit::append(
            &tx,
            "merge:member",
            &format!("member {duplicate} made one with member {keep} of household {household}"),
            at.utc,
        )?;
        tx.commit()?;
        Ok(MemberMerged { household: after, facts, benefits })
    }
}

/// Whether a recorded fact was asked and not known (kept as JSON `null`).
fn unknown(f: &FactChange) -> bool {
    f.value.as_ref().is_none_or(serde_json::Value::is_null)
}
