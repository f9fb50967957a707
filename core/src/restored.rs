//! A store restored from a backup on an enrolled laptop, catching up with what its block holds.
//!
//! The laptop may have gone on working and syncing after the backup was made, then broken. Its
//! block, its district or another laptop of the village then hold changes of this device that
//! the restored store never had, numbered after the backup's last one. So the restore writes
//! down the last number the backup gave (`sync_link.restored_through`, local migration 0022), and
//! numbers the changes made from then on far past it (`sync_link.numbered_after`, local migration
//! 0051; `Restore::numbered_after`): numbered after what the block holds, as before, they took
//! the numbers the old laptop had given to changes its block had lost to a restore of its own,
//! which its district or another laptop still held, and were dropped there as duplicates (seeds
//! 30, 43, 58 and 167 of the simulation with both restores). The numbers in between are the old
//! laptop's: the first word from the block (a session, or an answer brought on a USB stick)
//! settles the restore, and from then on the block's feed is asked for this device's changes in
//! that run (`own_pull_after` up to `numbered_after`), which otherwise never sends a device its
//! own changes, whenever they come: at once from the block, or later, once the block has read
//! them back from its district.
//!
//! A store restored by an older app has no `numbered_after`: its new work is numbered again
//! after what the block holds at the settling, as then.

use chrono::{DateTime, Utc};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, params};
use samanvaya_domain::audit::AuditFork;
use samanvaya_domain::restore::Restore;
use uuid::Uuid;

/// Writes down, on an enrolled store just restored, the last number its device had given, and
/// gives up what is left of the household and referral numbers its block had leased to it: the old
/// laptop may have handed them out after the backup, and two households of one village must never
/// share a number. Until the next sync brings fresh leases, a new household has no number and a
/// referral a local one, as on a laptop whose leases ran out.
pub fn mark(conn: &Connection) -> rusqlite::Result<()> {
    let enrolled =
        conn.query_row("SELECT count(*) FROM sync_link WHERE id = 1", [], |r| r.get::<_, i64>(0))? > 0;
    if !enrolled {
        return Ok(());
    }
    conn.execute("UPDATE number_lease SET next = last + 1 WHERE granted_by NOT IN ('local', 'demo')", [])?;
    // A backup of a store restored and not yet settled keeps the first restore's numbers: what
    // that store made since is numbered in the old laptop's run, and is renumbered at the
    // settling with everything made here. Taken as the backup's last number instead, it stayed
    // below what the block acknowledges, and was never sent. Otherwise the backup's last is the
    // device's highest number it holds, made here or read back from the block (a store restored
    // before, which took back the old laptop's work): new work is numbered after that one, and
    // a restore said to end below it had its new work moved up too far at the settling.
    conn.execute(
        "UPDATE sync_link SET
             restored_through = coalesce(restored_through,
                 (SELECT coalesce(max(c.device_seq), 0) FROM change_log c, centre
                  WHERE c.device_id = centre.device_id)),
             audit_restored_through = coalesce(audit_restored_through, (SELECT coalesce(max(seq), 0) FROM audit))
         WHERE id = 1",
        [],
    )?;
    // The restore gets an id of its own, after those the backup descends from, so that the
    // block refuses the old laptop's copy (a sync file found late) once this one has spoken.
    let mut all = restores(conn)?;
    let after: i64 =
        conn.query_row("SELECT restored_through FROM sync_link WHERE id = 1", [], |r| r.get(0))?;
    let restore = Restore { id: Uuid::now_v7(), after };
    all.push(restore);
    let text = serde_json::to_string(&all).expect("restores are plain data");
    // New work goes past every number the backup's device could give next, as `change_log::
    // record` reckons it: the old laptop went on from there.
    let held: i64 = conn.query_row(
        "SELECT max(coalesce((SELECT max(c.device_seq) FROM change_log c, centre WHERE c.device_id = centre.device_id), 0),
                    acked_through, coalesce(numbered_after, 0), restored_through)
         FROM sync_link WHERE id = 1",
        [],
        |r| r.get(0),
    )?;
    conn.execute(
        "UPDATE sync_link SET restores = ?1, numbered_after = ?2 WHERE id = 1",
        params![text, restore.numbered_after(held)],
    )?;
    Ok(())
}

/// The number after which this store numbers its own new changes, where a restore from a backup
/// set one: the end of the old laptop's run, whose changes the block's feed is asked for.
pub fn numbered_after(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    Ok(conn
        .query_row("SELECT numbered_after FROM sync_link WHERE id = 1", [], |r| r.get(0))
        .optional()?
        .flatten())
}

/// The restores of this store from its backups that it descends from, oldest first; none for
/// a laptop never restored (local migration 0050).
pub fn restores(conn: &Connection) -> rusqlite::Result<Vec<Restore>> {
    let text: Option<String> =
        conn.query_row("SELECT restores FROM sync_link WHERE id = 1", [], |r| r.get(0)).optional()?.flatten();
    text.map_or(Ok(Vec::new()), |t| {
        serde_json::from_str(&t)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, Type::Text, Box::new(e)))
    })
}

/// After which of the device's numbers the block's answer on a USB stick should carry its own
/// changes: as [`own_pull_after`] once settled, and on a restored store that has not yet heard
/// from its block, the last number the backup gave (the block's answer settles the restore and
/// brings the old laptop's work in one trip, where a network sync takes a session and a pull).
pub fn own_after_by_stick(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    Ok(conn
        .query_row("SELECT coalesce(own_pull_after, restored_through) FROM sync_link WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?
        .flatten())
}

/// Whether this store was restored from a backup and has not yet heard from its block how many
/// of the device's changes the block holds. Until it does, its sync files hold back the changes
/// made since the restore: on a store restored by an older app they have numbers the old laptop
/// may have given to other changes, and the block's answer numbers them again.
pub fn unsettled(conn: &Connection) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row("SELECT restored_through FROM sync_link WHERE id = 1", [], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten()
        .is_some())
}

/// Settles a restore once the block says it holds this device's changes `through` that number:
/// the changes made after the restore are numbered after it when the block holds more than the
/// backup had. Returns how many were numbered again. The caller owns the transaction.
pub fn settle(conn: &Connection, through: i64, at: DateTime<Utc>) -> rusqlite::Result<usize> {
    let restored: Option<i64> = conn
        .query_row("SELECT restored_through FROM sync_link WHERE id = 1", [], |r| r.get(0))
        .optional()?
        .flatten();
    let Some(restored) = restored else { return Ok(0) };
    let numbered_after = numbered_after(conn)?;
    let mut moved = 0;
    // Numbered past the old laptop's run already, new work stays where it is.
    if through > restored && numbered_after.is_none() {
        let shift = through - restored;
        let device: String = conn.query_row("SELECT device_id FROM centre WHERE id = 1", [], |r| r.get(0))?;
        // Two steps, through negative numbers, so that no row ever takes a number another still
        // holds (the log keeps each device's numbers unique).
        moved = conn.execute(
            "UPDATE change_log SET device_seq = -(device_seq + ?1)
             WHERE origin = 'local' AND device_id = ?2 AND device_seq > ?3",
            params![shift, device, restored],
        )?;
        conn.execute(
            "UPDATE change_log SET device_seq = -device_seq
             WHERE origin = 'local' AND device_id = ?1 AND device_seq < 0",
            [&device],
        )?;
        crate::audit::append(
            conn,
            "renumber:restored",
            &format!("{moved} changes made after the restore moved from {} to {}", restored + 1, through + 1),
            at,
        )?;
    }
    // The block holds work of this device the backup did not have: the feed is asked for it
    // (`own_pull_after`). Numbered past the old laptop's run, this store asks for that run
    // whatever the block holds now: the block may read back more of it from its district later.
    // A backup written while an earlier restore's old run was still being read back goes on
    // asking from where that stood: the rest of that run comes too (the work made between the
    // two restores, which the backup holds, comes back once each and is skipped).
    conn.execute(
        "UPDATE sync_link SET restored_through = NULL,
                              own_pull_after = CASE WHEN ?1 > ?2 OR ?3 IS NOT NULL
                                                    THEN min(coalesce(own_pull_after, ?2), ?2) END
         WHERE id = 1",
        params![through, restored, numbered_after],
    )?;
    Ok(moved)
}

/// After which number the block's feed is asked for this device's own changes: set while a
/// restored store has not yet read back what the device sent after its backup.
pub fn own_pull_after(conn: &Connection) -> rusqlite::Result<Option<i64>> {
    Ok(conn
        .query_row("SELECT own_pull_after FROM sync_link WHERE id = 1", [], |r| r.get(0))
        .optional()?
        .flatten())
}

/// The feed was read to its end with the device's own changes in it. On a store numbered past
/// the old laptop's run, the run goes on being asked for, from the last number held without a
/// gap, for good (below). On one restored by an older app, nothing more is asked for once it
/// holds every change of its device the block acknowledges. One it lacks is
/// still at the block but in no feed yet: a change about a household the block, restored from
/// a backup of its own, does not hold, which waits for the household's record and is handed out
/// under a new number when it comes (`sync/server/src/waiting.rs`). The feed goes on being asked
/// for the device's changes after the last number held without a gap (seed 290 of the
/// simulation with both restores: cleared here, the restored laptop never got three of them).
/// The cost is rare and bounded: one the block refused is never handed out, and while such a
/// gap stands on a store restored by an older app, the laptop's own later changes come back
/// once each in the feed and are skipped (on one numbered past the run, the feed sends nothing
/// past the run's end).
pub fn own_pulled(conn: &Connection) -> rusqlite::Result<()> {
    let Some(after) = own_pull_after(conn)? else { return Ok(()) };
    // Numbered past the old laptop's run, this store asks for that run to its end, for good:
    // what its block reads back from its district comes whenever it does, and the feed sends
    // nothing of this device's outside the run (`own_pull_through`), so the asking costs
    // nothing once it is all held.
    let end: i64 = match numbered_after(conn)? {
        Some(end) => end,
        None => conn.query_row("SELECT acked_through FROM sync_link WHERE id = 1", [], |r| r.get(0))?,
    };
    let held: Vec<i64> = conn
        .prepare(
            "SELECT device_seq FROM change_log
             WHERE device_id = (SELECT device_id FROM centre WHERE id = 1) AND device_seq > ?1 AND device_seq <= ?2
             ORDER BY device_seq",
        )?
        .query_map(params![after, end], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    // The last number held with every one before it, from where the feed was asked.
    let whole = held.iter().zip(after + 1..).take_while(|(seq, expected)| **seq == *expected).count() as i64;
    let through = after + whole;
    let next = (through < end).then_some(through);
    conn.execute("UPDATE sync_link SET own_pull_after = ?1 WHERE id = 1", [next])?;
    Ok(())
}

/// Whether this store was restored from a backup and its block has not yet said how much of
/// the device's audit log it holds: its log does not travel until it branches.
pub fn audit_unsettled(conn: &Connection) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row("SELECT audit_restored_through FROM sync_link WHERE id = 1", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()?
        .flatten()
        .is_some())
}

/// The branch of the device's audit log this store writes on, none while it writes the log
/// itself (local migration 0037).
pub fn audit_fork(conn: &Connection) -> rusqlite::Result<Option<AuditFork>> {
    let text: Option<String> = conn
        .query_row("SELECT audit_fork FROM sync_link WHERE id = 1", [], |r| r.get(0))
        .optional()?
        .flatten();
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, Type::Text, Box::new(e)))
    })
    .transpose()
}

/// Settles, on a store restored from a backup, where its audit log goes on, at the block's
/// first word. The old laptop may have gone on logging after the backup, and sent the entries:
/// this store's entries after the backup's last no longer follow those, since each hash covers
/// the entry before and its number. So they become a branch of the log the backup was writing
/// on, with an id of its own, growing from the backup's last entry (`AuditFork`), which the
/// servers keep beside the old laptop's entries.
///
/// A store writing the device's own log branches whatever the block says it holds of it
/// (`holds`): a
/// block restored from a backup of its own may hold less than the old laptop sent it, while its
/// district holds it all, and entries under the old laptop's numbers would be refused there as a
/// changed log (seed 5 of the simulation with both restores). A branch nobody needed costs one
/// id. Where the block holds less than the backup had, the log the branch grows from travels
/// there first (`Store::audit_to_send`). A store writing on a branch already (restored twice)
/// branches only where the block holds that branch past the backup (below). Returns the branch this store writes on, new or not;
/// the caller owns the transaction.
pub fn settle_audit(
    conn: &Connection,
    holds: impl Fn(Option<&AuditFork>) -> i64,
    at: DateTime<Utc>,
) -> rusqlite::Result<Option<AuditFork>> {
    let current = audit_fork(conn)?;
    let restored: Option<i64> = conn
        .query_row("SELECT audit_restored_through FROM sync_link WHERE id = 1", [], |r| r.get(0))
        .optional()?
        .flatten();
    let Some(backup_had) = restored else { return Ok(current) };
    let held = holds(current.as_ref());
    // A backup written on a branch already (a laptop restored twice): this store knows that
    // branch's id, not where it grew from, so it could not send the branch to the backup's last
    // entry before a new one grew from it, and the new branch would be refused for good. It
    // branches again only where the block holds that branch past the backup, as every restore
    // did before, and otherwise writes on.
    if current.is_some() && held <= backup_had {
        conn.execute("UPDATE sync_link SET audit_restored_through = NULL WHERE id = 1", [])?;
        return Ok(current);
    }
    let held = held.min(backup_had);
    let fork = AuditFork {
        id: Uuid::now_v7(),
        parent: current.map(|f| f.id),
        from_seq: backup_had,
        from_hash: crate::audit::hash_through(conn, backup_had)?.iter().map(|b| format!("{b:02x}")).collect(),
    };
    let text = serde_json::to_string(&fork).expect("a fork is plain data");
    conn.execute(
        "UPDATE sync_link SET audit_fork = ?1, audit_restored_through = NULL, audit_held = ?2 WHERE id = 1",
        params![text, held],
    )?;
    crate::audit::append(
        conn,
        "audit:branch",
        &format!("the log goes on as branch {} after entry {backup_had}, which the backup had last", fork.id),
        at,
    )?;
    Ok(Some(fork))
}
