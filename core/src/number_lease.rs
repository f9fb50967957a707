//! The `number_lease` table: blocks of human-readable numbers this laptop may hand out.
//!
//! A household number is never `max()+1`: two laptops of one village would hand out the same
//! number while offline. Numbers come from a block the block server leased to this laptop
//! (the sync issue), or for the demo village from a local lease marked as such.

use rusqlite::{Connection, OptionalExtension, params};

pub const HOUSEHOLD: &str = "household";
pub const REFERRAL: &str = "referral";

/// Takes the next free number of `kind`, or `None` when every lease is used up.
pub fn take(conn: &Connection, kind: &str) -> rusqlite::Result<Option<i64>> {
    Ok(take_with_grantor(conn, kind)?.map(|(n, _)| n))
}

/// Takes the next free number of `kind` with who granted its lease (`demo`, `local`, or the
/// block server), or `None` when every lease is used up. A block's lease is used before a local
/// one, so that once the laptop is enrolled its numbers are the block's.
pub fn take_with_grantor(conn: &Connection, kind: &str) -> rusqlite::Result<Option<(i64, String)>> {
    let lease: Option<(i64, i64, String)> = conn
        .query_row(
            "SELECT id, next, granted_by FROM number_lease WHERE kind = ?1 AND next <= last
             ORDER BY granted_by IN ('local', 'demo'), first LIMIT 1",
            [kind],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((id, next, by)) = lease else {
        return Ok(None);
    };
    conn.execute("UPDATE number_lease SET next = next + 1 WHERE id = ?1", [id])?;
    Ok(Some((next, by)))
}

/// Records a lease of `kind` from `granted_by`. A range held already is kept as it is, with the
/// numbers taken from it: a block answers an enrollment again with the leases of its first
/// answer (the answer lost, or the code typed twice), and the same range twice would hand out
/// each of its numbers twice.
pub fn grant(conn: &Connection, kind: &str, first: i64, last: i64, granted_by: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO number_lease (kind, first, last, next, granted_by)
         SELECT ?1, ?2, ?3, ?2, ?4 WHERE NOT EXISTS (
             SELECT 1 FROM number_lease WHERE kind = ?1 AND first = ?2 AND last = ?3 AND granted_by = ?4)",
        params![kind, first, last, granted_by],
    )?;
    Ok(())
}

/// How many numbers of `kind` are left in leases granted by a server (not local or demo ones).
pub fn left_from_server(conn: &Connection, kind: &str) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT coalesce(sum(last - next + 1), 0) FROM number_lease
         WHERE kind = ?1 AND next <= last AND granted_by NOT IN ('local', 'demo')",
        [kind],
        |r| r.get(0),
    )
}

/// The last number of the newest lease of `kind` that `granted_by` granted, 0 when none.
pub fn newest_last(conn: &Connection, kind: &str, granted_by: &str) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT coalesce(max(last), 0) FROM number_lease WHERE kind = ?1 AND granted_by = ?2",
        [kind, granted_by],
        |r| r.get(0),
    )
}
