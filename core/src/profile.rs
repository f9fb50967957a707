//! The `term` and `profile` tables: each household's current facts in a few hundred bytes (the
//! encoding is `samanvaya_eligibility::profile`), so that the village view reads a whole store in
//! one pass instead of its fact rows. `profile` is derived: `refresh` rewrites a household's
//! profile from its record and its `fact` and `receiving` rows, in the caller's transaction,
//! after every change.

use rusqlite::{Connection, OptionalExtension, params};
use samanvaya_domain::{Household, LocationId, LocationLevel};
use samanvaya_eligibility::population::PopulationReader;
use samanvaya_eligibility::profile::encode;
use samanvaya_eligibility::record::{self, Entry};
use samanvaya_rules::Catalogue;
use samanvaya_rules::bulk::Population;

use crate::error::StoreError;
use crate::{fact, location};

/// The code of `text` in the term table, adding it when new.
fn term(conn: &Connection, text: &str) -> rusqlite::Result<u64> {
    if let Some(code) = conn
        .prepare_cached("SELECT code FROM term WHERE text = ?1")?
        .query_row([text], |r| r.get::<_, i64>(0))
        .optional()?
    {
        return Ok(code as u64);
    }
    conn.prepare_cached("INSERT INTO term (text) VALUES (?1)")?.execute([text])?;
    Ok(conn.last_insert_rowid() as u64)
}

/// The vocabulary's `household.state` value of the state a village lies in.
pub fn state_of(conn: &Connection, village: LocationId) -> rusqlite::Result<&'static str> {
    let path = location::path(conn, village)?;
    Ok(record::state_value(path.iter().find(|l| l.level == LocationLevel::State).map(|l| l.name_en.as_str())))
}

/// Everything known of `h` as it is stored: its record, its village's state, its fact and
/// receiving rows, mapped once by `samanvaya_eligibility::record`.
/// Only the members who live in the household are read: one who died or moved away is neither
/// screened nor counted.
pub fn entries(conn: &Connection, h: &Household) -> rusqlite::Result<Vec<Entry>> {
    let h = &h.present();
    let hid = h.id.to_string();
    let facts = fact::for_household(conn, &hid)?;
    let receiving = fact::receiving_for_household(conn, &hid)?;
    Ok(record::entries(h, state_of(conn, h.village_id)?, &facts, &receiving))
}

/// Rewrites the profile of `h` (as just written) from its record and its stored facts.
pub fn refresh(conn: &Connection, h: &Household) -> rusqlite::Result<()> {
    let doc = encode(&entries(conn, h)?, |text| term(conn, text))?;
    conn.prepare_cached(
        "INSERT INTO profile (household_id, members, doc) VALUES (?1, ?2, ?3)
         ON CONFLICT (household_id) DO UPDATE SET members = excluded.members, doc = excluded.doc",
    )?
    .execute(params![h.id.to_string(), h.present().members.len() as i64, doc])?;
    Ok(())
}

/// Every household and person of the store as columns of the catalogue's vocabulary, read from
/// the profiles in one pass, calling `progress(done, total)` every thousand households.
pub fn population(
    conn: &Connection,
    cat: &Catalogue,
    progress: impl FnMut(usize, usize),
) -> Result<Population, StoreError> {
    population_between(conn, cat, (0, i64::MAX), progress)
}

/// As [`population`], for the households whose profile row numbers lie in `rows` (both ends
/// included): one slice of the tally kept in `core/src/tally.rs`.
pub fn population_between(
    conn: &Connection,
    cat: &Catalogue,
    rows: (i64, i64),
    mut progress: impl FnMut(usize, usize),
) -> Result<Population, StoreError> {
    let (households, persons): (i64, Option<i64>) = conn.query_row(
        "SELECT count(*), sum(members) FROM profile WHERE rowid BETWEEN ?1 AND ?2",
        [rows.0, rows.1],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (households, persons) = (households as usize, persons.unwrap_or(0) as usize);
    let mut terms: Vec<String> = vec![String::new()];
    for row in conn
        .prepare("SELECT code, text FROM term")?
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)))?
    {
        let (code, text) = row?;
        if terms.len() <= code as usize {
            terms.resize(code as usize + 1, String::new());
        }
        terms[code as usize] = text;
    }
    let mut reader = PopulationReader::new(cat, terms, households, persons);
    let mut stmt = conn.prepare_cached("SELECT members, doc FROM profile WHERE rowid BETWEEN ?1 AND ?2")?;
    let mut rows = stmt.query([rows.0, rows.1])?;
    let mut done = 0;
    while let Some(r) = rows.next()? {
        let members: i64 = r.get(0)?;
        let doc = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
        reader.add(members as usize, doc).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        done += 1;
        if done % 1000 == 0 {
            progress(done, households);
        }
    }
    progress(done, households);
    Ok(reader.finish())
}
