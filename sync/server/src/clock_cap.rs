//! The cap on a clock that runs ahead of the server's, and what the laptop is told of it. A
//! laptop whose clock is set ahead (a wrong year typed, a clock never corrected) would otherwise
//! win every merge. Its readings count as made when they arrived, in the order it made them; and
//! since the laptop compares what it pulls against its own readings, it is told which readings
//! were kept (in a push's answer, a session's, or the block's answer on a USB stick), or it would
//! keep its own write against every later one the servers take.

use chrono::{DateTime, Utc};
use samanvaya_domain::Hlc;
use samanvaya_sync_protocol::{Kept, Origin};
use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Db, args};

/// How far ahead of the server's clock a change's clock may be. A laptop whose clock is set
/// years ahead would otherwise win every merge; its readings count as made when they arrived.
const CLOCK_TOLERANCE_MS: i64 = 10 * 60 * 1000;

/// `hlc` no later than the server's clock allows. A reading past the limit is put at the limit,
/// after `clock` (the server's clock, which has seen every reading capped before it): a fast
/// laptop's correction must stay later than what it corrects. Putting both at the limit alone made
/// them equal, and the merge, which keeps the first of two equal readings, dropped the correction.
pub(crate) fn capped(hlc: Hlc, now: DateTime<Utc>, clock: Hlc) -> Hlc {
    let limit = now.timestamp_millis() + CLOCK_TOLERANCE_MS;
    if hlc.wall_ms <= limit {
        hlc
    } else if clock.wall_ms >= limit {
        Hlc { wall_ms: clock.wall_ms, counter: clock.counter + 1, node: hlc.node }
    } else {
        Hlc { wall_ms: limit, counter: 0, node: hlc.node }
    }
}

/// The reading kept here for the change from `origin` sent with `sent`, where it is not `sent`:
/// it was capped now, or, for a change stored before (a push sent again after its answer was
/// lost), when it first arrived. The store is read only for a reading past the cap, or one ahead
/// of the server's clock that was stored before: a laptop a few minutes fast costs no lookup for
/// each of its changes.
pub(crate) fn kept_reading(
    db: &mut dyn Db,
    origin: Origin,
    sent: Hlc,
    stored_before: bool,
    now: DateTime<Utc>,
) -> Result<Option<Hlc>, ServerError> {
    let now_ms = now.timestamp_millis();
    let past_cap = sent.wall_ms > now_ms + CLOCK_TOLERANCE_MS;
    let may_differ = past_cap || (stored_before && sent.wall_ms > now_ms);
    if !may_differ {
        return Ok(None);
    }
    let Some(row) = db.query_opt(
        "SELECT hlc FROM change WHERE origin_device = ?1 AND origin_seq = ?2",
        args![origin.device, origin.seq],
    )?
    else {
        return Ok(None);
    };
    let kept: Hlc = serde_json::from_str(&row.text(0)?)?;
    Ok((kept != sent).then_some(kept))
}

/// How much of a laptop's changes is looked at for capped readings, and how many are listed.
#[derive(Clone, Copy)]
pub(crate) struct KeptScan {
    /// The most changes looked at, the newest of the range.
    pub rows: i64,
    /// The most readings listed, the newest.
    pub listed: usize,
}

impl KeptScan {
    /// For a session's answer or a push's, which travel as plain JSON on 2G under a short
    /// timeout: 200 readings are about 19 KB. A laptop further behind (a fast clock and an old
    /// backup restored) learns of its newest changes only; the older ones are the likeliest to
    /// have been written over since, and a scan of them would cost the write lock each session.
    pub const ONLINE: KeptScan = KeptScan { rows: 5_000, listed: 200 };
    /// For the block's answer on a USB stick, a file of any size: a stick's day of work is a few
    /// thousand changes.
    pub const STICK: KeptScan = KeptScan { rows: 50_000, listed: usize::MAX };
}

/// The readings capped of the changes `after` (exclusive) to `through` of laptop `device`. A
/// reading was capped when it stands at least the tolerance past when it arrived: the cap puts
/// it there or after, and a reading within the tolerance stays below it.
pub(crate) fn capped_between(
    db: &mut dyn Db,
    device: Uuid,
    after: i64,
    through: i64,
    scan: KeptScan,
) -> Result<Vec<Kept>, ServerError> {
    if through <= after {
        return Ok(Vec::new());
    }
    let rows = db.query(
        "SELECT origin_seq, hlc, received_at FROM change
         WHERE origin_device = ?1 AND origin_seq > ?2 AND origin_seq <= ?3 ORDER BY origin_seq DESC LIMIT ?4",
        args![device, after, through, scan.rows],
    )?;
    let mut kept = Vec::new();
    for row in rows {
        let hlc: Hlc = serde_json::from_str(&row.text(1)?)?;
        if hlc.wall_ms >= row.time(2)?.timestamp_millis() + CLOCK_TOLERANCE_MS {
            kept.push(Kept { seq: row.int(0)?, hlc });
            if kept.len() >= scan.listed {
                break;
            }
        }
    }
    kept.reverse();
    Ok(kept)
}
