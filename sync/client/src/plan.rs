//! Pure planning of a push: which changes go in which batch.

use std::ops::Range;

use samanvaya_sync_protocol::Change;

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
            recorded_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            change: change::Change::new(Hlc::zero(Uuid::nil()), body),
        }
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
