//! The pull feed: what a device gets back from its server. A laptop gets every change of its
//! villages made elsewhere (another laptop, the block, the district); a block gets every change
//! the district holds for the households it brought, made anywhere but on the block. A device's
//! own changes never come back to it (save for a laptop restored from an older backup, which asks
//! for what it did after the backup, and a block so restored, which asks for what it forwarded),
//! and a rejected change goes nowhere.

use samanvaya_sync_protocol::{DeviceKind, Origin, PROTOCOL_VERSION, PullReply, Pulled};

use crate::enroll::Caller;
use crate::error::ServerError;
use crate::sql::{Mode, args};
use crate::store::Store;

/// Rows read per pull, and the uncompressed size a reply stops growing at: small replies get
/// through a weak link, and the cursor makes each one progress.
const ROWS: i64 = 500;
const REPLY_BYTES: usize = 48 * 1024;

/// What a device asks of the feed: the changes after `after`, its own after `own_after` too (a
/// laptop restored from an older backup), up to `own_through` where set, said under the epoch it read the feed under
/// (`read_under`, empty for none; `SessionRequest::feed_epoch_read`), with the origin of the
/// change its cursor stands on as this server said it (`at`, `PullReply::cursor_origin`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Asked<'a> {
    pub after: i64,
    pub own_after: Option<i64>,
    pub own_through: Option<i64>,
    pub read_under: Option<&'a str>,
    pub at: Option<Origin>,
}

/// A restored laptop's own changes of the old laptop's run that this server applied about a
/// household it holds no row of, which the feed's reading by village leaves out: a household
/// recorded and withdrawn on the old laptop before it ever reached here, whose withdrawal and
/// what is left of its changes came on its last USB file. The restored laptop, whose backup
/// holds the household, is the one device that needs the withdrawal, and its only way to learn
/// of it (seed 2002 of the simulation with both restores: the family stayed on it for good).
/// Its parameters are the laptop query's; asked only while a laptop reads its run back. A change
/// still waiting for its household (`waiting.rs`) is left out: it is handed out under a new
/// number once the record comes, after it, where a laptop can apply it.
const OWN_UNHELD: &str =
    "SELECT c.seq, c.origin_device, c.origin_seq, c.recorded_at, c.change, c.version, c.hlc, c.kind
     FROM change c
     WHERE c.origin_device = ?1 AND c.origin_seq > ?4 AND c.origin_seq <= ?5 AND c.seq > ?2
       AND c.outcome = 'applied'
       AND NOT EXISTS (SELECT 1 FROM household h WHERE h.id = c.household_id)
     ORDER BY c.seq LIMIT ?3";

impl Store {
    pub fn pull(&mut self, caller: &Caller, after: i64) -> Result<PullReply, ServerError> {
        self.pull_own_after(caller, after, None)
    }

    /// The feed as [`Store::pull`], with a laptop's own changes numbered after `own_after` as well:
    /// a laptop restored from a backup asks for what it did after the backup was made and sent
    /// here before it broke (`core/src/restored.rs` on the laptop).
    pub fn pull_own_after(
        &mut self,
        caller: &Caller,
        after: i64,
        own_after: Option<i64>,
    ) -> Result<PullReply, ServerError> {
        self.feed(caller, Asked { after, own_after, ..Asked::default() }, true)
    }

    /// The feed as [`Store::pull_own_after`], for a device that says the epoch it read the feed
    /// under and where its cursor stands ([`Asked`]).
    pub fn pull_under(&mut self, caller: &Caller, asked: Asked<'_>) -> Result<PullReply, ServerError> {
        self.feed(caller, asked, true)
    }

    /// The feed as [`Store::pull_own_after`]; a device that read past its newest change, or
    /// whose cursor stands on another change here than the one this server said, shows the
    /// server was restored only where `find_restore` says so, and names a new epoch only where
    /// that is news (`feed_epoch::read_under`).
    pub(crate) fn feed(
        &mut self,
        caller: &Caller,
        asked: Asked<'_>,
        find_restore: bool,
    ) -> Result<PullReply, ServerError> {
        let Asked { after, own_after, own_through, read_under, at } = asked;
        let me = caller.device.to_string();
        let sql = match caller.kind {
            DeviceKind::Laptop => {
                "SELECT c.seq, c.origin_device, c.origin_seq, c.recorded_at, c.change, c.version, c.hlc, c.kind
                 FROM change c
                 JOIN household h ON h.id = c.household_id
                 JOIN device_village v ON v.village_id = h.village_id AND v.device_id = ?1
                 WHERE c.seq > ?2 AND (c.origin_device != ?1 OR (c.origin_seq > ?4 AND c.origin_seq <= ?5))
                   AND c.outcome NOT LIKE 'rejected%'
                 ORDER BY c.seq LIMIT ?3"
            }
            // A block reads what the district holds of its villages (`block_village.rs`): a block
            // given a village that moved to it, or a block office reinstalled as a new device,
            // reads the village's households and the decisions about them from the start.
            DeviceKind::Block if own_after.is_none() => {
                "SELECT c.seq, c.origin_device, c.origin_seq, c.recorded_at, c.change, c.version, c.hlc, c.kind
                 FROM change c
                 JOIN household h ON h.id = c.household_id
                 JOIN block_village v ON v.village_id = h.village_id AND v.block_id = ?1
                 WHERE c.seq > ?2 AND c.via != ?1 AND c.outcome NOT LIKE 'rejected%'
                 ORDER BY c.seq LIMIT ?3"
            }
            // A block restored from a backup reads back what it forwarded too: its own steps
            // taken after the backup, which nothing else brings back (`upstream::own_shown_held`),
            // and the laptops' work they are about, before them, in the order the district
            // stored them. What it still holds is known by its origin and skipped.
            DeviceKind::Block => {
                "SELECT c.seq, c.origin_device, c.origin_seq, c.recorded_at, c.change, c.version, c.hlc, c.kind
                 FROM change c
                 JOIN household h ON h.id = c.household_id
                 JOIN block_village v ON v.village_id = h.village_id AND v.block_id = ?1
                 WHERE c.seq > ?2 AND c.outcome NOT LIKE 'rejected%'
                 ORDER BY c.seq LIMIT ?3"
            }
        };
        // One read transaction: the newest seq below is read from the same snapshot as the rows,
        // so a change committed meanwhile by another connection is never skipped.
        let mut tx = self.db.transaction(Mode::Read)?;
        let rows = match caller.kind {
            DeviceKind::Laptop => {
                let params =
                    args![me, after, ROWS, own_after.unwrap_or(i64::MAX), own_through.unwrap_or(i64::MAX)];
                let mut rows = tx.query(sql, params)?;
                if own_after.is_some() {
                    let unheld = tx.query(OWN_UNHELD, params)?;
                    if !unheld.is_empty() {
                        rows.extend(unheld);
                        let mut keyed =
                            rows.into_iter()
                                .map(|r| Ok((r.int(0)?, r)))
                                .collect::<Result<Vec<_>, ServerError>>()?;
                        keyed.sort_by_key(|(seq, _)| *seq);
                        rows = keyed.into_iter().map(|(_, r)| r).take(ROWS as usize).collect();
                    }
                }
                rows
            }
            DeviceKind::Block => tx.query(sql, args![me, after, ROWS])?,
        };
        // The change numbered `after` here is not the one the device read there: this server
        // was restored and numbered other changes past where the backup stood.
        let moved = match at {
            Some(at) if after > 0 => origin_at(&mut *tx, after)? != Some(at),
            _ => false,
        };
        let full = rows.len() as i64 == ROWS;
        // The seal of each change made here, which a laptop gives back to this server restored
        // from a backup that lost it (`given_back.rs`); the key is read once, where needed.
        let mut key = None;
        let mut changes = Vec::new();
        let mut bytes = 0;
        let mut cut = false;
        for row in rows {
            if bytes > REPLY_BYTES {
                cut = true;
                break;
            }
            let (text, hlc, kind) = (row.text(4)?, row.text(6)?, row.text(7)?);
            // The change as it travels: its body, and its reading, kind and version around it,
            // which the row keeps in columns of their own.
            bytes += text.len() + hlc.len() + kind.len() + 40;
            let origin = Origin { device: row.uuid(1)?, seq: row.int(2)? };
            let change = crate::stored_change::read(row.int(5)?, &hlc, &kind, &text)?;
            let seal = if origin.device == self.device {
                if key.is_none() {
                    key = Some(crate::seal::key(&mut *tx)?);
                }
                let sealed = key.as_ref().map(|k| crate::seal::seal(k, origin, &change)).transpose()?;
                bytes += sealed.as_ref().map_or(0, |s| s.len() + 10);
                sealed
            } else {
                None
            };
            changes.push(Pulled { server_seq: row.int(0)?, origin, recorded_at: row.time(3)?, change, seal });
        }
        let (cursor, more, past_newest) = if full || cut {
            (changes.last().map_or(after, |c| c.server_seq), true, false)
        } else {
            // Everything after `after` was scanned: the device can skip to the newest change.
            let newest = tx.query_one("SELECT coalesce(max(seq), 0) FROM change", &[])?.int(0)?;
            // A device that read further than the newest change here read a feed this server
            // no longer holds: it was restored from a backup.
            (newest.max(after), false, after > newest)
        };
        use crate::feed_epoch::ReadUnder;
        let restored = find_restore
            && match crate::feed_epoch::read_under(&mut *tx, read_under)? {
                ReadUnder::Current => past_newest || moved,
                ReadUnder::Older => false,
                ReadUnder::Lost => true,
            };
        let cursor_origin = match changes.last() {
            Some(last) if last.server_seq == cursor => Some(last.origin),
            _ if cursor > 0 => origin_at(&mut *tx, cursor)?,
            _ => None,
        };
        tx.commit()?;
        if restored {
            let mut tx = self.db.transaction(Mode::Write)?;
            crate::feed_epoch::restored(&mut *tx, self.run)?;
            tx.commit()?;
        }
        let feed_epoch = crate::feed_epoch::current(&mut *self.db)?;
        Ok(PullReply {
            protocol: PROTOCOL_VERSION,
            server: self.device,
            changes,
            cursor,
            more,
            feed_epoch,
            cursor_origin,
        })
    }
}

/// The origin of the change numbered `seq` here, if there is one.
/// A change that waited for its household under that number and was applied under another
/// (`waiting.rs`) is still found there: a reader's place may be its old number.
pub(crate) fn origin_at(db: &mut dyn crate::sql::Db, seq: i64) -> Result<Option<Origin>, ServerError> {
    match db
        .query_opt("SELECT origin_device, origin_seq FROM change WHERE seq = ?1", args![seq])?
        .map(|r| Ok::<_, ServerError>(Origin { device: r.uuid(0)?, seq: r.int(1)? }))
        .transpose()?
    {
        Some(origin) => Ok(Some(origin)),
        None => crate::waiting::origin_was(db, seq),
    }
}
