//! The `location` table: the state → hamlet hierarchy.

use rusqlite::{Connection, OptionalExtension, params};
use samanvaya_domain::{Location, LocationId, LocationLevel};

use crate::sql;

const COLUMNS: &str = "id, level, parent_id, lgd_code, name_en, name_hi";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Location> {
    Ok(Location {
        id: sql::id(row, 0)?,
        level: sql::name(row, 1, LocationLevel::parse)?,
        parent_id: sql::opt_id(row, 2)?,
        lgd_code: row.get(3)?,
        name_en: row.get(4)?,
        name_hi: row.get(5)?,
    })
}

pub fn insert(conn: &Connection, l: &Location) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO location (id, level, parent_id, lgd_code, name_en, name_hi)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            l.id.to_string(),
            l.level.as_str(),
            l.parent_id.map(|p| p.to_string()),
            l.lgd_code,
            l.name_en,
            l.name_hi
        ],
    )?;
    Ok(())
}

pub fn get(conn: &Connection, id: LocationId) -> rusqlite::Result<Option<Location>> {
    conn.query_row(&format!("SELECT {COLUMNS} FROM location WHERE id = ?1"), [id.to_string()], from_row)
        .optional()
}

pub fn children(conn: &Connection, parent: LocationId) -> rusqlite::Result<Vec<Location>> {
    let mut stmt =
        conn.prepare(&format!("SELECT {COLUMNS} FROM location WHERE parent_id = ?1 ORDER BY name_en"))?;
    stmt.query_map([parent.to_string()], from_row)?.collect()
}

/// The chain from the state down to `id` itself.
pub fn path(conn: &Connection, id: LocationId) -> rusqlite::Result<Vec<Location>> {
    let mut chain = Vec::new();
    let mut next = Some(id);
    while let Some(id) = next {
        let Some(l) = get(conn, id)? else { break };
        next = l.parent_id;
        chain.push(l);
    }
    chain.reverse();
    Ok(chain)
}
