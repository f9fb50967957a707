//! Time as the rest of the code receives it: a [`Moment`] (one instant and the centre's calendar
//! day at that instant), and the hybrid logical clock ([`Hlc`]) that orders changes made on
//! different laptops and servers. Nothing here reads the system clock; the caller passes the
//! instant in, so every command of one action uses the same one.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// India Standard Time, the default time zone of a centre (India keeps no summer time).
pub const IST_OFFSET_SECONDS: i32 = 5 * 3600 + 30 * 60;

/// One instant of an action, with the centre's calendar day at that instant. Decisions are made
/// "as of" `today`, and records are stamped with `utc`, so the two can never disagree the way the
/// UTC date and the Indian date do between midnight and 05:30 IST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    pub utc: DateTime<Utc>,
    pub today: NaiveDate,
}

impl Moment {
    /// The instant `utc` in a centre whose clocks are `offset_seconds` ahead of UTC.
    pub fn at(utc: DateTime<Utc>, offset_seconds: i32) -> Moment {
        let offset =
            FixedOffset::east_opt(offset_seconds).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero"));
        Moment { utc, today: utc.with_timezone(&offset).date_naive() }
    }

    /// The instant `utc` in India.
    pub fn in_india(utc: DateTime<Utc>) -> Moment {
        Moment::at(utc, IST_OFFSET_SECONDS)
    }
}

/// A hybrid logical clock reading: wall time in milliseconds, a counter for changes within the
/// same millisecond (or behind a clock that ran ahead), and the device that made it, which breaks
/// the last ties. Readings compare in that order, so "later" means the same on every machine
/// even when their clocks disagree by minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hlc {
    pub wall_ms: i64,
    pub counter: u32,
    pub node: Uuid,
}

impl Hlc {
    /// The first reading of device `node`.
    pub fn zero(node: Uuid) -> Hlc {
        Hlc { wall_ms: 0, counter: 0, node }
    }

    /// The reading for a new local change at wall time `now_ms`: never behind the last reading,
    /// even when the laptop's clock was set back.
    pub fn tick(self, now_ms: i64) -> Hlc {
        if now_ms > self.wall_ms {
            Hlc { wall_ms: now_ms, counter: 0, node: self.node }
        } else {
            let (wall_ms, counter) = after(self.wall_ms, self.counter);
            Hlc { wall_ms, counter, node: self.node }
        }
    }

    /// The local clock after seeing `remote` (a pulled change) at wall time `now_ms`: ahead of
    /// both, so that a local change made next is ordered after what was pulled.
    pub fn observe(self, remote: Hlc, now_ms: i64) -> Hlc {
        let wall_ms = now_ms.max(self.wall_ms).max(remote.wall_ms);
        let (wall_ms, counter) = match (wall_ms == self.wall_ms, wall_ms == remote.wall_ms) {
            (true, true) => after(wall_ms, self.counter.max(remote.counter)),
            (true, false) => after(wall_ms, self.counter),
            (false, true) => after(wall_ms, remote.counter),
            (false, false) => (wall_ms, 0),
        };
        Hlc { wall_ms, counter, node: self.node }
    }
}

/// The reading next after `(wall_ms, counter)`: the counter's next value, or past its last the
/// next millisecond's first, which orders after it all the same. A reading from the wire may
/// carry the counter's last value, and adding one to it overflowed: a panic in a debug build,
/// in the middle of a server's store, and in a release build a clock that went back.
fn after(wall_ms: i64, counter: u32) -> (i64, u32) {
    match counter.checked_add(1) {
        Some(counter) => (wall_ms, counter),
        None => (wall_ms.saturating_add(1), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_indian_date_turns_at_midnight_ist_not_utc() {
        // 19:00 UTC on the 23rd is 00:30 IST on the 24th.
        let utc = Utc.with_ymd_and_hms(2026, 11, 23, 19, 0, 0).unwrap();
        assert_eq!(Moment::in_india(utc).today, NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        assert_eq!(Moment::at(utc, 0).today, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
    }

    #[test]
    fn a_counter_at_its_last_value_carries_into_the_next_millisecond() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let full = Hlc { wall_ms: 5_000, counter: u32::MAX, node: b };
        for seen in [Hlc::zero(a).observe(full, 1_000), Hlc::zero(a).observe(full, 5_000)] {
            assert!(seen > full, "{seen:?} after {full:?}");
            assert_eq!((seen.wall_ms, seen.counter), (5_001, 0));
        }
        let own = Hlc { wall_ms: 5_000, counter: u32::MAX, node: a };
        assert_eq!((own.tick(4_000).wall_ms, own.tick(4_000).counter), (5_001, 0));
        assert!(own.observe(full, 5_000) > own);
    }

    #[test]
    fn the_clock_never_runs_backwards() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let t0 = Hlc::zero(a).tick(1_000);
        assert_eq!((t0.wall_ms, t0.counter), (1_000, 0));
        // The laptop's clock is set back by a minute: readings still move forward.
        let t1 = t0.tick(-59_000 + 1_000);
        assert!(t1 > t0);
        // A server ahead by an hour: the next local change comes after what was seen.
        let remote = Hlc { wall_ms: 3_601_000, counter: 4, node: b };
        let seen = t1.observe(remote, 2_000);
        assert!(seen > remote && seen.tick(2_000) > remote);
        assert_eq!(seen.node, a);
        // Ties on time and counter are broken by the device.
        assert!(Hlc { wall_ms: 5, counter: 0, node: a } < Hlc { wall_ms: 5, counter: 0, node: b });
    }
}
