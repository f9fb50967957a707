//! `samanvaya consent withdraw`: records that a household, or one of its members, withdrew
//! consent, which erases what was recorded of them and queues the withdrawal for the block.

use anyhow::{Result, bail};
use samanvaya_core::{HouseholdQuery, Store};
use samanvaya_domain::name_key::name_key;

/// Withdraws consent for household number `number`, or for its member `member` (a name in
/// either script, as the household's list shows it). Says what was erased, without a name.
pub fn withdraw(store: &mut Store, number: i64, member: Option<&str>) -> Result<String> {
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
    let household = store.household(summary.id)?;
    let person = match member {
        None => None,
        Some(name) => {
            let key = name_key(name);
            let matching: Vec<_> = household
                .members
                .iter()
                .enumerate()
                .filter(|(_, m)| {
                    m.name.trim() == name.trim() || (!key.is_empty() && name_key(&m.name) == key)
                })
                .collect();
            match matching.as_slice() {
                [(_, m)] => Some(m.id),
                [] => {
                    bail!("household {number} has no member of that name; give the name as the list shows it")
                }
                _ => {
                    bail!("household {number} has several members of that name; the app can tell them apart")
                }
            }
        }
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
