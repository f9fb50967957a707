//! `samanvaya consent record` and `samanvaya consent withdraw`: a family's consent given (by a
//! grown-up member, before its first screening answer), or withdrawn by a household or one of
//! its members, which erases what was recorded of them and queues the withdrawal for the block.

use anyhow::{Result, bail};
use samanvaya_core::{HouseholdQuery, Store, StoreError};
use samanvaya_domain::name_key::name_key;
use samanvaya_domain::{Household, PersonId};

/// Records that the member named `member` of household number `number` agreed, for the
/// family, to what is recorded of it. Says so without a name.
pub fn record(store: &mut Store, number: i64, member: &str) -> Result<String> {
    let household = numbered(store, number)?;
    let (i, person) = named(&household, number, member)?;
    match store.record_consent(household.id, person, store.now()?) {
        Err(StoreError::Invalid(_)) => bail!(
            "member {} of household {number} cannot agree for the family: choose a grown-up (18 or older) who lives there",
            i + 1
        ),
        other => other?,
    };
    Ok(format!(
        "Consent recorded for household {number}, given by member {}; its questions can be asked now.\n",
        i + 1
    ))
}

/// The household numbered `number` on this laptop.
pub(crate) fn numbered(store: &Store, number: i64) -> Result<Household> {
    let query = HouseholdQuery {
        village_id: None,
        search: number.to_string(),
        limit: u32::MAX,
        offset: 0,
        hamlet_id: None,
        filter: None,
    };
    let found: Vec<_> =
        store.households(&query)?.items.into_iter().filter(|h| h.number == Some(number)).collect();
    let summary = match found.as_slice() {
        [one] => one,
        [] => bail!("no household number {number} on this laptop; `samanvaya households list` shows them"),
        _ => bail!("several villages have a household number {number}; this laptop cannot tell which"),
    };
    Ok(store.household(summary.id)?)
}

/// The member of `household` (number `number`) called `name` in either script, with her place.
fn named(household: &Household, number: i64, name: &str) -> Result<(usize, PersonId)> {
    let key = name_key(name);
    let matching: Vec<_> = household
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| m.name.trim() == name.trim() || (!key.is_empty() && name_key(&m.name) == key))
        .collect();
    match matching.as_slice() {
        [(i, m)] => Ok((*i, m.id)),
        [] => bail!("household {number} has no member of that name; give the name as the list shows it"),
        _ => bail!("household {number} has several members of that name; the app can tell them apart"),
    }
}

/// Withdraws consent for household number `number`, or for its member `member` (a name in
/// either script, as the household's list shows it). Says what was erased, without a name.
pub fn withdraw(store: &mut Store, number: i64, member: Option<&str>) -> Result<String> {
    let household = numbered(store, number)?;
    let person = match member {
        None => None,
        Some(name) => Some(named(&household, number, name)?.1),
    };
    let position = person.and_then(|p| household.members.iter().position(|m| m.id == p));
    let done = store.withdraw_consent(household.id, person, store.now()?)?;
    let who = match (done.person_id, position) {
        (Some(_), Some(i)) => format!("member {} of household {number}", i + 1),
        _ => format!("household {number} and all its members"),
    };
    Ok(format!(
        "Consent withdrawn: what was recorded of {who} is erased on this laptop ({} change(s) erased or rewritten); \
         only a record of the withdrawal is kept, and it goes to the block with the next sync.\n",
        done.changes_scrubbed
    ))
}
