//! The pure policy of a sync: which changes go in which batch, how big a batch is on this link,
//! and how long to wait before trying again.

use std::ops::Range;
use std::time::Duration;

use samanvaya_sync_protocol::{Change, MAX_BATCH_BYTES, MIN_BATCH_BYTES};

/// How big the next push is and how long the next request may take, learnt from the link.
///
/// The batch is halved when a request times out (a weak link gets smaller requests that can
/// finish) and grown by half again after a pushed batch is acknowledged, between the protocol's
/// bounds. A connection cut or refused says nothing about the size the link can carry, so it
/// leaves the batch alone.
///
/// The timeout follows what the link has shown: on 2G a request that stalls (its connection
/// stuck under loss) never answers, and waiting the whole 30 seconds for a push that takes two
/// made the day's push five times too slow. An exchange is modelled as a round trip plus a time
/// per kilobyte on the wire (the sealed body sent, or for a pull the sealed answer): what the link
/// carries. The JSON before compression said too little: an audit batch compresses about three
/// times better than a push of the same JSON, and waiting for it as for a push made each of its
/// stalls cost 15 to 30 seconds (`samanvaya sync --verbose` showed it). The round trip is the
/// quickest exchange seen; the time per kilobyte rises at once with a slow exchange and comes
/// down slowly, so one quick exchange does not make the next wait too short. A request may take
/// three times what the model expects, never under `FLOOR`; each timeout in a row doubles that,
/// up to the tuning's timeout, so a link slower than it looked still gets through. Before the
/// link has answered anything, a small request (a session) waits `FIRST_SMALL` and a large one
/// the tuning's timeout; once the round trip is known and before a large exchange has shown the
/// rate, a large one is expected at `FIRST_SECONDS_PER_KB`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    pub batch_bytes: usize,
    quickest: Option<Duration>,
    seconds_per_kb: Option<f64>,
    timeouts: u32,
}

/// The shortest wait a request is given once the link's pace is known.
pub const FLOOR: Duration = Duration::from_secs(4);

/// The first wait of a small request, before the link has answered anything: a connection, the
/// TLS handshake and a few hundred bytes each way are a few round trips, under 5 seconds on a
/// poor 2G link. Waiting the tuning's 30 seconds made a first session that stalled cost a sixth
/// of a day's push.
pub const FIRST_SMALL: Duration = Duration::from_secs(10);

/// The time per kilobyte on the wire a large request is expected to take before one has shown
/// the link's: 32 kbit/s, a poor 2G upload. With the margin of three, a first push of 16 KB
/// still gets through at about 11 kbit/s; on a slower link it times out once and goes again
/// half as large with twice the wait. Waiting the tuning's 30 seconds instead, a first push that
/// stalled cost 30 seconds in three of eight measured days (docs/benchmarks.md).
const FIRST_SECONDS_PER_KB: f64 = 0.25;

/// Below this many bytes on the wire an exchange's time is mostly the round trip, so it says
/// little per byte.
const RATE_SAMPLE_BYTES: usize = 2 * 1024;

impl Default for Pace {
    fn default() -> Pace {
        Pace { batch_bytes: MAX_BATCH_BYTES, quickest: None, seconds_per_kb: None, timeouts: 0 }
    }
}

impl Pace {
    /// A request timed out: a smaller batch, and a longer wait for the next request.
    pub fn after_timeout(self) -> Pace {
        Pace {
            batch_bytes: (self.batch_bytes / 2).max(MIN_BATCH_BYTES),
            timeouts: self.timeouts.saturating_add(1),
            ..self
        }
    }

    /// A pushed batch was acknowledged: a larger one next.
    pub fn after_success(self) -> Pace {
        Pace { batch_bytes: (self.batch_bytes + self.batch_bytes / 2).min(MAX_BATCH_BYTES), ..self }
    }

    /// An exchange of `payload` bytes on the wire was answered after `took`.
    pub fn observed(self, payload: usize, took: Duration) -> Pace {
        let quickest = self.quickest.map_or(took, |q| q.min(took));
        let mut seconds_per_kb = self.seconds_per_kb;
        if payload >= RATE_SAMPLE_BYTES {
            let beyond = took.saturating_sub(quickest).as_secs_f64();
            let sample = beyond / (payload as f64 / 1024.0);
            seconds_per_kb = Some(match seconds_per_kb {
                Some(held) if held > sample => 0.75 * held + 0.25 * sample,
                _ => sample,
            });
        }
        Pace { quickest: Some(quickest), seconds_per_kb, timeouts: 0, ..self }
    }

    /// How long a request of `payload` bytes on the wire may take, at most `cap`.
    pub fn timeout(&self, payload: usize, cap: Duration) -> Duration {
        let stretch = f64::from(1u32 << self.timeouts.min(16));
        let Some(quickest) = self.quickest else {
            return if payload < RATE_SAMPLE_BYTES { FIRST_SMALL.mul_f64(stretch).min(cap) } else { cap };
        };
        let per_byte = match self.seconds_per_kb {
            Some(s) => s,
            // The round trip is known but not yet the rate: a small request can rely on the
            // first, a large one is expected at a poor 2G link's rate.
            None if payload < RATE_SAMPLE_BYTES => 0.0,
            None => FIRST_SECONDS_PER_KB,
        };
        let expected = quickest.as_secs_f64() + per_byte * payload as f64 / 1024.0;
        Duration::from_secs_f64((3.0 * expected).max(FLOOR.as_secs_f64()) * stretch).min(cap)
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
            seen_at_sender: Default::default(),
        }
    }

    #[test]
    fn the_batch_shrinks_on_timeouts_and_grows_back_within_bounds() {
        let mut pace = Pace::default();
        for _ in 0..10 {
            pace = pace.after_timeout();
        }
        assert_eq!(pace.batch_bytes, MIN_BATCH_BYTES);
        // From the smallest to the largest batch in thirteen successes (2 KB times 1.5 to the
        // 13th is over 384 KB).
        let mut sizes = vec![];
        for _ in 0..13 {
            pace = pace.after_success();
            sizes.push(pace.batch_bytes);
        }
        assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
        assert_eq!(pace.batch_bytes, MAX_BATCH_BYTES);
    }

    #[test]
    fn the_timeout_follows_the_link_and_stretches_after_each_timeout() {
        let cap = Duration::from_secs(30);
        let secs = Duration::from_secs_f64;
        let pace = Pace::default();
        // Nothing seen yet: a small request waits a while, doubled by each timeout up to the
        // cap; a large one the cap.
        assert_eq!(pace.timeout(100, cap), FIRST_SMALL);
        assert_eq!(pace.after_timeout().timeout(100, cap), 2 * FIRST_SMALL);
        assert_eq!(pace.after_timeout().after_timeout().timeout(100, cap), cap);
        assert_eq!(pace.timeout(100, secs(4.0)), secs(4.0), "never over the tuning's timeout");
        assert_eq!(pace.timeout(16 * 1024, cap), cap);
        // A session of 300 bytes in 0.8 s: small requests now wait the floor, a large one what
        // a poor 2G link would take, within the cap.
        let pace = pace.observed(300, secs(0.8));
        assert_eq!(pace.timeout(300, cap), FLOOR);
        assert!((pace.timeout(16 * 1024, cap).as_secs_f64() - 3.0 * (0.8 + 0.25 * 16.0)).abs() < 1e-6);
        assert_eq!(pace.timeout(64 * 1024, cap), cap);
        // A push of 64 KB in 2.4 s: 0.025 s a kilobyte beyond the round trip.
        let pace = pace.observed(64 * 1024, secs(2.4));
        let want = 3.0 * (0.8 + 0.025 * 64.0);
        assert!((pace.timeout(64 * 1024, cap).as_secs_f64() - want).abs() < 1e-6);
        assert!(pace.timeout(128 * 1024, cap) > pace.timeout(64 * 1024, cap));
        // A quicker exchange lowers the rate only by a quarter of the way.
        let quick = pace.observed(64 * 1024, secs(0.8 + 0.005 * 64.0));
        let rate = 0.75 * 0.025 + 0.25 * 0.005;
        let want = 3.0 * (0.8 + rate * 64.0);
        assert!((quick.timeout(64 * 1024, cap).as_secs_f64() - want).abs() < 1e-6);
        // A slower one raises it at once.
        let slow = pace.observed(64 * 1024, secs(0.8 + 0.1 * 64.0));
        assert!((slow.timeout(64 * 1024, cap).as_secs_f64() - 3.0 * (0.8 + 6.4)).abs() < 1e-6);
        // Each timeout doubles the wait, up to the cap; an answer ends the stretch.
        let t = pace.timeout(64 * 1024, cap);
        let once = pace.after_timeout();
        assert!((once.timeout(64 * 1024, cap).as_secs_f64() - 2.0 * t.as_secs_f64()).abs() < 1e-6);
        assert_eq!(once.after_timeout().after_timeout().timeout(64 * 1024, cap), cap);
        assert_eq!(once.observed(300, secs(0.9)).timeout(64 * 1024, cap), t);
        // The tuning's timeout is never exceeded, even on a slow link.
        let crawl = Pace::default().observed(300, secs(20.0));
        assert_eq!(crawl.timeout(300, cap), cap);
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
