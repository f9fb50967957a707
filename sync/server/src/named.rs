//! The records a change names beside its household (a member, the record a merge keeps, a
//! fact's subject, a referral, the person whose consent is withdrawn), and the other household
//! that holds one here, if any: a laptop's change naming one is refused, a block's only when
//! that household is in a village not the block's (`batch::Sender::naming`). A laptop is judged by the village of the household a change names
//! (`batch.rs`); without this, a laptop that knew the id of another village's member (from a
//! village it once served, say) could remove, merge, rename, step or erase her through a
//! household of its own, and read what the server then wrote of her under it. A record not held
//! here yet is no one else's, and is taken as the change's.

use samanvaya_domain::change::ChangeBody;

use crate::error::ServerError;
use crate::sql::{Db, args};

/// Why a laptop's change is refused when a record it names is another household's.
pub(crate) fn reason(kind: &str) -> String {
    format!("the {kind} names a record of another household than its own; it is not applied")
}

/// The subject a fact or benefit names beside its household (a member, or the household
/// itself); `None` for any other kind.
pub(crate) fn subject(body: &ChangeBody) -> Option<&str> {
    match body {
        ChangeBody::Fact(c) => Some(c.subject_id.as_str()),
        ChangeBody::Receiving(c) => Some(c.subject_id.as_str()),
        _ => None,
    }
}

/// The other household, if any, in which a member, referral or person that `body` (a change
/// applied on its own, about household `hid`) names is held here.
pub(crate) fn elsewhere(
    db: &mut dyn Db,
    body: &ChangeBody,
    hid: &str,
) -> Result<Option<String>, ServerError> {
    let mut members: Vec<String> = Vec::new();
    let mut referrals: Vec<String> = Vec::new();
    match body {
        ChangeBody::MemberRemoved(c) => {
            members.push(c.id.0.to_string());
            members.extend(c.merged_into.map(|k| k.0.to_string()));
        }
        ChangeBody::Referral(c) => {
            members.push(c.subject_id.clone());
            referrals.push(c.id.to_string());
        }
        ChangeBody::ReferralEvent(c) => referrals.push(c.referral_id.to_string()),
        ChangeBody::ConsentWithdrawn(c) => members.extend(c.person_id.map(|p| p.0.to_string())),
        _ => {}
    }
    for id in members.iter().filter(|id| id.as_str() != hid) {
        if let Some(other) = of_another(db, "SELECT household_id FROM member WHERE id = ?1", id, hid)? {
            return Ok(Some(other));
        }
    }
    for id in &referrals {
        if let Some(other) = of_another(db, "SELECT household_id FROM referral WHERE id = ?1", id, hid)? {
            return Ok(Some(other));
        }
    }
    Ok(None)
}

/// The other household, if any, that a change of any kind names beside `hid`, read from the
/// database: [`elsewhere`] for the kinds applied on their own, and for the rest the household
/// holding the member it changes or its fact's subject, or that subject itself (the set-wise
/// path reads those from the rows it loads, `batch.rs`).
pub(crate) fn elsewhere_any(
    db: &mut dyn Db,
    body: &ChangeBody,
    hid: &str,
) -> Result<Option<String>, ServerError> {
    if let Some(other) = elsewhere(db, body, hid)? {
        return Ok(Some(other));
    }
    let id = match body {
        ChangeBody::Member(c) => c.id.0.to_string(),
        other => match subject(other) {
            Some(s) if s != hid => s.to_owned(),
            _ => return Ok(None),
        },
    };
    if let Some(other) = of_another(db, "SELECT household_id FROM member WHERE id = ?1", &id, hid)? {
        return Ok(Some(other));
    }
    Ok((subject(body).is_some() && another_household(db, &id, hid)?).then_some(id))
}

/// The household other than `hid` in which `sql` finds record `id` held, if any.
fn of_another(db: &mut dyn Db, sql: &str, id: &str, hid: &str) -> Result<Option<String>, ServerError> {
    Ok(db.query_opt(sql, args![id])?.map(|r| r.text(0)).transpose()?.filter(|h| h != hid))
}

/// Whether `id`, named as the subject of a fact or benefit of household `hid` and no member
/// held here, is another household.
pub(crate) fn another_household(db: &mut dyn Db, id: &str, hid: &str) -> Result<bool, ServerError> {
    Ok(id != hid && db.query_opt("SELECT 1 FROM household WHERE id = ?1", args![id])?.is_some())
}
