//! The village overview: the first screen of the app, and what the Samiti sees on the projector.

use rusqlite::Connection;
use samanvaya_domain::{Location, LocationId};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::location;

/// A village with the places above and below it and its headcounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VillageOverview {
    pub village: Location,
    /// From the state down to the gram panchayat.
    pub above: Vec<Location>,
    pub hamlets: Vec<Location>,
    pub households: u32,
    pub persons: u32,
    pub women: u32,
}

pub fn overview(conn: &Connection, village: Location) -> rusqlite::Result<VillageOverview> {
    let mut above = location::path(conn, village.id)?;
    above.pop();
    let hamlets = location::children(conn, village.id)?;
    let (households, persons, women) = counts(conn, village.id)?;
    Ok(VillageOverview { village, above, hamlets, households, persons, women })
}

fn counts(conn: &Connection, village: LocationId) -> rusqlite::Result<(u32, u32, u32)> {
    conn.query_row(
        "SELECT (SELECT count(*) FROM household WHERE village_id = ?1),
                count(p.id),
                coalesce(sum(p.sex = 'female'), 0)
         FROM person p JOIN household h ON h.id = p.household_id
         WHERE h.village_id = ?1 AND p.left_reason IS NULL",
        [village.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}
