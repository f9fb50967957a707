//! The pure policy of a sync: which changes go in which batch, how big a batch is on this link,
//! and how long to wait before trying again.

use std::ops::Range;
use std::time::Duration;

use samanvaya_sync_protocol::{Change, MAX_BATCH_BYTES, MIN_BATCH_BYTES};

/// The batch size for the next push: halved when a push times out (a weak link gets smaller
/// requests that can finish), grown by half again after a success, between the protocol's
/// bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub batch_bytes: usize,
}

impl Default for Pace {
    fn default() -> Pace {
        Pace { batch_bytes: MAX_BATCH_BYTES }
    }
}

impl Pace {
    pub fn after_timeout(self) -> Pace {
        Pace { batch_bytes: (self.batch_bytes / 2).max(MIN_BATCH_BYTES) }
    }

    pub fn after_success(self) -> Pace {
        Pace { batch_bytes: (self.batch_bytes + self.batch_bytes / 2).min(MAX_BATCH_BYTES) }
    }
}

/// The wait before retry number `attempt` (0 for the first retry): exponential from `first`,
/// capped at `cap`, with "full jitter" (a uniform share of it, from `random`) so that many
/// laptops that lost the link together do not come back together.
pub fn backoff(attempt: u32, first: Duration, cap: Duration, random: u32) -> Duration {
    let grown = first.saturating_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX)).min(cap);
    let share = f64::from(random) / f64::from(u32::MAX);
    grown.mul_f64(0.5 + share / 2.0)
}

/// Cuts `changes` (in seq order) into consecutive batches of at most `max_bytes` on the wire.
/// A single change larger than the limit travels alone rather than never.
pub fn batches(changes: &[Change], max_bytes: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, c) in changes.iter().enumerate() {
        let s = c.wire_size();
        if i > start && size + s > max_bytes {
            out.push(start..i);
            start = i;
            size = 0;
        }
        size += s;
    }
    if start < changes.len() {
        out.push(start..changes.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use samanvaya_domain::change::{self, ChangeBody, FactChange, Source};
    use samanvaya_domain::{Hlc, HouseholdId};
    use uuid::Uuid;

    /// A change whose wire size grows by exactly `payload_len` bytes over the empty one's.
    fn change(seq: i64, payload_len: usize) -> Change {
        let body = ChangeBody::Fact(FactChange {
            household_id: HouseholdId(Uuid::nil()),
            subject_id: "x".into(),
            name: "household.note".into(),
            value: Some(serde_json::Value::String("a".repeat(payload_len))),
            source: Source::Screening,
        });
        Change {
            seq: seq % 10,
            origin: samanvaya_sync_protocol::Origin { device: Uuid::nil(), seq },
            recorded_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            change: change::Change::new(Hlc::zero(Uuid::nil()), body),
        }
    }

    #[test]
    fn the_batch_shrinks_on_timeouts_and_grows_back_within_bounds() {
        let mut pace = Pace::default();
        for _ in 0..10 {
            pace = pace.after_timeout();
        }
        assert_eq!(pace.batch_bytes, MIN_BATCH_BYTES);
        // From the smallest to the largest batch in twelve successes (2 KB times 1.5 to the 12th).
        let mut sizes = vec![];
        for _ in 0..12 {
            pace = pace.after_success();
            sizes.push(pace.batch_bytes);
        }
        assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
        assert_eq!(pace.batch_bytes, MAX_BATCH_BYTES);
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let first = Duration::from_millis(500);
        let cap = Duration::from_secs(30);
        assert_eq!(backoff(0, first, cap, u32::MAX), first);
        assert_eq!(backoff(0, first, cap, 0), first / 2);
        assert_eq!(backoff(3, first, cap, u32::MAX), Duration::from_secs(4));
        assert_eq!(backoff(40, first, cap, u32::MAX), cap);
        assert_ne!(backoff(5, first, cap, 1 << 30), backoff(5, first, cap, 3 << 30));
    }

    #[test]
    // A one-batch plan is a one-range list; clippy's hint about vec![0..3] does not apply here.
    #[allow(clippy::single_range_in_vec_init)]
    fn batches_are_consecutive_bounded_and_cover_everything() {
        let overhead = change(0, 0).wire_size();
        let cases: Vec<(Vec<usize>, usize, Vec<Range<usize>>)> = vec![
            (vec![], 1000, vec![]),
            (vec![10, 10, 10], 3 * (overhead + 10), vec![0..3]),
            (vec![10, 10, 10], 2 * (overhead + 10), vec![0..2, 2..3]),
            (vec![5000, 10], 1000, vec![0..1, 1..2]),
            (vec![10, 5000, 10], 1000, vec![0..1, 1..2, 2..3]),
        ];
        for (sizes, max, want) in cases {
            let changes: Vec<Change> =
                sizes.iter().enumerate().map(|(i, s)| change(i as i64 + 1, *s)).collect();
            assert_eq!(batches(&changes, max), want, "sizes {sizes:?}, max {max}");
        }
    }
}
