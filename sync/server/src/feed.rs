//! The pull feed: what a device gets back from its server. A laptop gets every change of its
//! villages made elsewhere (another laptop, the block, the district); a block gets every change
//! the district holds for the households it brought, made anywhere but on the block. A device's
//! own changes never come back to it, and a rejected change goes nowhere.

use chrono::{DateTime, Utc};
use rusqlite::params;
use samanvaya_sync_protocol::{DeviceKind, Origin, PROTOCOL_VERSION, PullReply, Pulled};
use uuid::Uuid;

use crate::enroll::Caller;
use crate::error::ServerError;
use crate::store::Sqlite;

/// Rows read per pull, and the uncompressed size a reply stops growing at: small replies get
/// through a weak link, and the cursor makes each one progress.
const ROWS: i64 = 500;
const REPLY_BYTES: usize = 48 * 1024;

impl Sqlite {
    pub fn pull(&self, caller: &Caller, after: i64) -> Result<PullReply, ServerError> {
        let me = caller.device.to_string();
        let sql = match caller.kind {
            DeviceKind::Laptop => {
                "SELECT c.seq, c.origin_device, c.origin_seq, c.recorded_at, c.change FROM change c
                 JOIN household h ON h.id = c.household_id
                 JOIN device_village v ON v.village_id = h.village_id AND v.device_id = ?1
                 WHERE c.seq > ?2 AND c.origin_device != ?1 AND c.outcome NOT LIKE 'rejected%'
                 ORDER BY c.seq LIMIT ?3"
            }
            DeviceKind::Block => {
                "SELECT c.seq, c.origin_device, c.origin_seq, c.recorded_at, c.change FROM change c
                 JOIN household h ON h.id = c.household_id AND h.home = ?1
                 WHERE c.seq > ?2 AND c.via != ?1 AND c.outcome NOT LIKE 'rejected%'
                 ORDER BY c.seq LIMIT ?3"
            }
        };
        // One read transaction: the newest seq below is read from the same snapshot as the rows,
        // so a change committed meanwhile by another connection is never skipped.
        let tx = self.conn.unchecked_transaction()?;
        let mut stmt = tx.prepare_cached(sql)?;
        let rows: Vec<(i64, String, i64, DateTime<Utc>, String)> = stmt
            .query_map(params![me, after, ROWS], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<_, _>>()?;
        let full = rows.len() as i64 == ROWS;
        let mut changes = Vec::new();
        let mut bytes = 0;
        let mut cut = false;
        for (seq, device, origin_seq, recorded_at, text) in rows {
            if bytes > REPLY_BYTES {
                cut = true;
                break;
            }
            bytes += text.len();
            let device = Uuid::parse_str(&device).map_err(|e| ServerError::Invalid(e.to_string()))?;
            changes.push(Pulled {
                server_seq: seq,
                origin: Origin { device, seq: origin_seq },
                recorded_at,
                change: serde_json::from_str(&text)?,
            });
        }
        drop(stmt);
        let (cursor, more) = if full || cut {
            (changes.last().map_or(after, |c| c.server_seq), true)
        } else {
            // Everything after `after` was scanned: the device can skip to the newest change.
            let newest: i64 = tx.query_row("SELECT coalesce(max(seq), 0) FROM change", [], |r| r.get(0))?;
            (newest.max(after), false)
        };
        Ok(PullReply { protocol: PROTOCOL_VERSION, server: self.device, changes, cursor, more })
    }
}
