//! `samanvaya households …`: listing the store's households as JSON or a table, and making two
//! records of one member one.

use anyhow::{Result, bail};
use samanvaya_core::{HouseholdPage, HouseholdQuery, Store};

pub fn list(store: &Store, search: &str, limit: Option<u32>) -> Result<HouseholdPage> {
    let query = HouseholdQuery {
        village_id: None,
        search: search.to_owned(),
        limit: limit.unwrap_or(u32::MAX),
        offset: 0,
        hamlet_id: None,
        filter: None,
    };
    Ok(store.households(&query)?)
}

/// Makes the members at places `keep` and `remove` (from 1) of household number `number` one
/// record, the first kept. Says what the kept record took, without a name.
pub fn merge_members(store: &mut Store, number: i64, keep: usize, remove: usize) -> Result<String> {
    let household = crate::consent::numbered(store, number)?;
    let place = |p: usize| match household.members.get(p.wrapping_sub(1)) {
        Some(m) => Ok(m.id),
        None => bail!(
            "household {number} has {} members; give each member's place from 1 to {}",
            household.members.len(),
            household.members.len()
        ),
    };
    let (kept, gone) = (place(keep)?, place(remove)?);
    let done = store.merge_member(household.id, kept, gone, store.now()?)?;
    let now = done.household.members.iter().position(|m| m.id == kept).map_or(keep, |i| i + 1);
    Ok(format!(
        "Members {keep} and {remove} of household {number} are one record now, member {now}: it took {} fact(s) and {} scheme(s) received from the other. The change goes to the block with the next sync.\n",
        done.facts, done.benefits
    ))
}

/// A plain table that reads well in a terminal and pastes into a spreadsheet (tab-separated).
pub fn table(page: &HouseholdPage) -> String {
    let mut out = String::from("no.\thead\tmembers\twomen\n");
    for h in &page.items {
        let number = h.number.map_or_else(|| "-".to_owned(), |n| n.to_string());
        out.push_str(&format!("{number}\t{}\t{}\t{}\n", h.head_name, h.member_count, h.women_count));
    }
    out.push_str(&format!("{} of {} households\n", page.items.len(), page.total));
    out
}
