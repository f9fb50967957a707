//! The engine's tally of the whole store, kept per slice of 1,024 households in the
//! `tally_slice` table (migration 0015), so that drawing the referral funnel again decides only
//! the slices whose households changed since it was last drawn on that day.
//!
//! A slice is the households whose profile row numbers share all but their last ten bits. The
//! table's triggers drop a slice whenever one of its profiles is written or removed, by any
//! connection, so a slice found for the day and catalogue asked for is never stale: the sum of
//! the slices is exactly what [`samanvaya_rules::bulk::tally`] says over the whole population,
//! which `demo/tests/tally.rs` holds it to. The first drawing of a day decides every slice (ages move
//! overnight); each later one reads the kept counts and decides the few slices that changed.

use chrono::NaiveDate;
use rusqlite::Connection;
use samanvaya_rules::Catalogue;
use samanvaya_rules::bulk::{self, Tally};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::profile;

/// How many bits of a profile's row number are its place within its slice.
const SLICE_BITS: u32 = 10;

/// One scheme's outcomes in a slice, as kept: its code, then eligible, eligible under another
/// scheme of its exclusive group, already receiving, undetermined and not eligible.
#[derive(Serialize, Deserialize)]
struct Kept(String, u64, u64, u64, u64, u64);

/// Every scheme's tally over every household of the store on `as_of`, indexed like
/// `cat.schemes` (a scheme not in force that day counts nothing). `version` names the
/// catalogue, so that counts decided by another catalogue are never read.
pub fn whole(
    conn: &Connection,
    cat: &Catalogue,
    version: &str,
    as_of: NaiveDate,
) -> Result<Vec<Tally>, StoreError> {
    let mut total: Vec<Tally> = (0..cat.schemes.len())
        .map(|scheme| Tally {
            scheme,
            eligible: 0,
            alternative: 0,
            already_receiving: 0,
            undetermined: 0,
            not_eligible: 0,
        })
        .collect();
    // One read snapshot for the kept counts and the profiles, so that a slice decided here is
    // the slice its trigger would drop if another connection changed it meanwhile; the writes
    // then commit only if nothing changed since (see `keep`).
    let tx = conn.unchecked_transaction()?;
    let last: Option<i64> = tx.query_row("SELECT max(rowid) FROM profile", [], |r| r.get(0))?;
    let Some(last) = last else { return Ok(total) };
    let day = as_of.to_string();
    let mut kept: std::collections::HashMap<i64, String> = tx
        .prepare_cached("SELECT slice, counts FROM tally_slice WHERE as_of = ?1 AND catalogue = ?2")?
        .query_map([&day, version], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let index: std::collections::HashMap<&str, usize> =
        cat.schemes.iter().enumerate().map(|(i, s)| (s.code.as_str(), i)).collect();
    let mut decided = Vec::new();
    for slice in 0..=(last >> SLICE_BITS) {
        let counts = match kept.remove(&slice) {
            Some(json) => serde_json::from_str::<Vec<Kept>>(&json)
                .map_err(|e| StoreError::Corrupt(format!("tally slice {slice}: {e}")))?,
            None => {
                let first = slice << SLICE_BITS;
                let pop =
                    profile::population_between(&tx, cat, (first, first + (1 << SLICE_BITS) - 1), |_, _| {})?;
                let counts: Vec<Kept> = bulk::tally(cat, &pop, as_of)
                    .into_iter()
                    .map(|t| {
                        let code = cat.schemes[t.scheme].code.clone();
                        Kept(
                            code,
                            t.eligible,
                            t.alternative,
                            t.already_receiving,
                            t.undetermined,
                            t.not_eligible,
                        )
                    })
                    .collect();
                let json = serde_json::to_string(&counts).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                decided.push((slice, json));
                counts
            }
        };
        for Kept(code, eligible, alternative, receiving, undetermined, not_eligible) in counts {
            // A code the catalogue no longer has cannot be under this version; skip it rather
            // than fail a screen over a derived row.
            let Some(&i) = index.get(code.as_str()) else { continue };
            let t = &mut total[i];
            t.eligible += eligible;
            t.alternative += alternative;
            t.already_receiving += receiving;
            t.undetermined += undetermined;
            t.not_eligible += not_eligible;
        }
    }
    keep(tx, &decided, &day, version, last >> SLICE_BITS)?;
    Ok(total)
}

/// Keeps the slices just decided, in the transaction that read them. Nothing is lost when this
/// cannot commit because another connection wrote meanwhile (SQLite refuses to turn a read
/// snapshot that is no longer the latest into a write): the counts were right for what was read,
/// and the next drawing decides those slices again.
fn keep(
    tx: rusqlite::Transaction<'_>,
    decided: &[(i64, String)],
    day: &str,
    version: &str,
    last_slice: i64,
) -> Result<(), StoreError> {
    if decided.is_empty() {
        return Ok(tx.commit()?);
    }
    let written = (|| {
        let mut put = tx.prepare_cached(
            "INSERT INTO tally_slice (slice, as_of, catalogue, counts) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (slice) DO UPDATE SET as_of = excluded.as_of, catalogue = excluded.catalogue,
                                               counts = excluded.counts",
        )?;
        for (slice, json) in decided {
            put.execute(rusqlite::params![slice, day, version, json])?;
        }
        tx.execute("DELETE FROM tally_slice WHERE slice > ?1", [last_slice])?;
        Ok::<_, rusqlite::Error>(())
    })();
    match written.and_then(|()| tx.commit()) {
        Ok(()) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy => Ok(()),
        Err(e) => Err(e.into()),
    }
}
