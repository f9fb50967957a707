//! `samanvaya households …`: listing the store's households as JSON or a table.

use anyhow::Result;
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
