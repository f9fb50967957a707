//! The register's name search, over a copy of every member's name key held in memory.
//!
//! On a block-sized store (50,000 households, 250,000 persons) the search as one SQL statement
//! took 46 to 84 ms, most of it reading and decrypting pages of the store, against a target of
//! 30 ms (docs/benchmarks.md, "The name search"). A facilitator searches as she types, letter by
//! letter, while the register hardly changes between two letters; so the keys are read once, in
//! the register's order, and each search scans a few megabytes of memory. Every write that could
//! change what a search finds adds the household it touched to `register_touch` (local migration
//! 0021, by triggers, from any connection); before each search the copy reads again the
//! households touched since it last looked, or everything when it is older than the touches kept.
//! The copy is shared by every connection of one store (the window's and those beside it), and
//! the app reads it at unlock on a connection beside the window, so that even the first search
//! finds it ready.
//!
//! Only a plain name search takes this path; a number, or a search combined with one of the
//! register's fact filters, goes to the SQL statement in `household::list`, which stays the
//! definition of what a search finds. The store's tests check the two agree.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension};
use samanvaya_domain::LocationId;

use crate::household::{self, HouseholdPage, HouseholdQuery};

/// Above this many households touched since the copy was read, reading everything again is
/// cheaper than reading each one.
const READ_WHOLE_ABOVE: usize = 2_000;

/// Every household's members' name keys, in the register's order.
#[derive(Debug, Default)]
pub struct NameIndex {
    /// The newest `register_touch` this copy has taken in.
    seen: i64,
    /// Households in the register's order: by number, unnumbered last, the newest first.
    households: Vec<Entry>,
    /// The villages and hamlets of the households, each numbered once; entries hold the numbers.
    place_of: HashMap<String, u32>,
}

#[derive(Debug)]
struct Entry {
    id: String,
    number: Option<i64>,
    created_at: String,
    village: u32,
    hamlet: Option<u32>,
    /// The name keys of every member ever recorded in the household (one who left included, as
    /// the SQL search finds them), each followed by a unit separator, which no key contains, so
    /// that a search never matches across two members' names.
    keys: String,
}

impl Entry {
    /// The register's order, as `household::list` sorts: by number with the unnumbered last,
    /// then the newest first, then by id so that the order is one and the same everywhere.
    fn order(&self) -> (bool, Option<i64>, Reverse<&str>, &str) {
        (self.number.is_none(), self.number, Reverse(self.created_at.as_str()), self.id.as_str())
    }
}

/// The separator between two members' keys in [`Entry::keys`].
const SEPARATOR: char = '\u{1f}';

/// The page of households whose members' names contain `key`, when the query is a plain name
/// search; `None` when it is anything else (no search, a number, a fact filter), which the caller
/// answers with the SQL statement.
pub fn page(
    conn: &Connection,
    index: &mut Option<NameIndex>,
    q: &HouseholdQuery,
    key: &str,
) -> rusqlite::Result<Option<HouseholdPage>> {
    if key.is_empty() || q.filter.is_some() || q.search.trim().parse::<i64>().is_ok() {
        return Ok(None);
    }
    let (total, ids) = ready(conn, index)?.matches(q, key);
    Ok(Some(HouseholdPage { total, items: household::summaries(conn, &ids)? }))
}

/// The copy, read whole the first time and caught up with the register's writes after.
pub fn ready<'a>(conn: &Connection, index: &'a mut Option<NameIndex>) -> rusqlite::Result<&'a NameIndex> {
    Ok(match index {
        Some(index) => {
            index.catch_up(conn)?;
            index
        }
        None => index.insert(NameIndex::read(conn)?),
    })
}

/// The oldest and the newest touch kept, 0 for none.
fn touches(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.prepare_cached("SELECT coalesce(min(n), 0), coalesce(max(n), 0) FROM register_touch")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
}

impl NameIndex {
    /// Reads every household and member key. The newest touch is read first, so a write landing
    /// during the read is read again at the next search rather than missed.
    fn read(conn: &Connection) -> rusqlite::Result<NameIndex> {
        let mut index = NameIndex { seen: touches(conn)?.1, ..NameIndex::default() };
        let mut position: HashMap<String, usize> = HashMap::new();
        let mut stmt = conn.prepare(
            "SELECT id, number, created_at, village_id, hamlet_id FROM household
             ORDER BY number IS NULL, number, created_at DESC, id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let entry = index.entry(r)?;
            position.insert(entry.id.clone(), index.households.len());
            index.households.push(entry);
        }
        // The index of name keys (local migration 0018) holds both columns, so this reads it
        // alone rather than every person row.
        let mut stmt = conn.prepare("SELECT household_id, name_key FROM person")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if let Some(&at) = position.get(r.get_ref(0)?.as_str()?) {
                let keys = &mut index.households[at].keys;
                keys.push_str(r.get_ref(1)?.as_str()?);
                keys.push(SEPARATOR);
            }
        }
        Ok(index)
    }

    /// An entry, without its keys, from a row of `id, number, created_at, village_id, hamlet_id`.
    fn entry(&mut self, r: &rusqlite::Row) -> rusqlite::Result<Entry> {
        let village = self.place(r.get(3)?);
        let hamlet = r.get::<_, Option<String>>(4)?.map(|h| self.place(h));
        Ok(Entry {
            id: r.get(0)?,
            number: r.get(1)?,
            created_at: r.get(2)?,
            village,
            hamlet,
            keys: String::new(),
        })
    }

    fn place(&mut self, name: String) -> u32 {
        let next = self.place_of.len() as u32;
        *self.place_of.entry(name).or_insert(next)
    }

    /// Reads again the households touched since this copy last looked: each is taken out, and put
    /// back where the register's order puts it if it is still stored.
    fn catch_up(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let (oldest, newest) = touches(conn)?;
        if newest == self.seen {
            return Ok(());
        }
        // Touches this copy never saw were dropped from the log (or the log is younger than the
        // copy, which a restored store could make): only a whole read is sure.
        if oldest > self.seen + 1 || newest < self.seen {
            *self = NameIndex::read(conn)?;
            return Ok(());
        }
        let mut stmt =
            conn.prepare_cached("SELECT DISTINCT household_id FROM register_touch WHERE n > ?1")?;
        let touched: HashSet<String> =
            stmt.query_map([self.seen], |r| r.get(0))?.collect::<Result<_, _>>()?;
        if touched.len() > READ_WHOLE_ABOVE {
            *self = NameIndex::read(conn)?;
            return Ok(());
        }
        self.households.retain(|e| !touched.contains(&e.id));
        let mut household = conn.prepare_cached(
            "SELECT id, number, created_at, village_id, hamlet_id FROM household WHERE id = ?1",
        )?;
        let mut members = conn.prepare_cached("SELECT name_key FROM person WHERE household_id = ?1")?;
        for id in &touched {
            let Some(mut entry) = household.query_row([id], |r| self.entry(r)).optional()? else {
                continue;
            };
            let mut rows = members.query([id])?;
            while let Some(r) = rows.next()? {
                entry.keys.push_str(r.get_ref(0)?.as_str()?);
                entry.keys.push(SEPARATOR);
            }
            let at = self.households.partition_point(|e| e.order() < entry.order());
            self.households.insert(at, entry);
        }
        self.seen = newest;
        Ok(())
    }

    /// How many households pass `q` with a member's key containing `key`, and the ids of the
    /// page `q` asks for.
    fn matches<'a>(&'a self, q: &HouseholdQuery, key: &str) -> (u32, Vec<&'a str>) {
        // A place no household is in matches nothing: `Some(None)`.
        let wanted = |place: Option<LocationId>| place.map(|p| self.place_of.get(&p.to_string()).copied());
        let village = wanted(q.village_id);
        let hamlet = wanted(q.hamlet_id);
        let from = q.offset as usize;
        let to = from.saturating_add(q.limit as usize);
        let mut total = 0usize;
        let mut ids = Vec::new();
        for e in &self.households {
            let passes = village.is_none_or(|v| v == Some(e.village))
                && hamlet.is_none_or(|h| h.is_some() && h == e.hamlet)
                && e.keys.contains(key);
            if passes {
                if (from..to).contains(&total) {
                    ids.push(e.id.as_str());
                }
                total += 1;
            }
        }
        (total as u32, ids)
    }
}
