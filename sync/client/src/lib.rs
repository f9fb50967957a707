//! The laptop side of sync. The decisions are pure functions ([`plan`]); the IO around them is
//! thin. For now this reads the change log into push batches; sending them over HTTP (reqwest) and
//! pulling decisions back arrive with the sync issue.

pub mod plan;

use samanvaya_core::{Store, StoreError};
use samanvaya_sync_protocol::{Change, MAX_BATCH_BYTES, PROTOCOL_VERSION, PushBatch};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many changes are read at a time to fill one batch.
const READ_AHEAD: u32 = 256;

/// The next batch to push after everything up to `acked_through`, or `None` when all is pushed.
pub fn next_batch(store: &Store, acked_through: i64) -> Result<Option<PushBatch>, SyncError> {
    let changes: Vec<Change> = store
        .queued_after(acked_through, READ_AHEAD)?
        .into_iter()
        .map(|q| Change { seq: q.device_seq, recorded_at: q.recorded_at, change: q.change })
        .collect();
    let Some(first) = plan::batches(&changes, MAX_BATCH_BYTES).into_iter().next() else {
        return Ok(None);
    };
    Ok(Some(PushBatch {
        protocol: PROTOCOL_VERSION,
        device_id: store.device_id()?,
        changes: changes[first].to_vec(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use samanvaya_domain::{Birth, HouseholdInput, PersonInput, Relation, Sex};

    #[test]
    fn the_change_log_is_pushed_in_order_in_bounded_batches() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            Store::open_or_create(dir.path(), "Test", &samanvaya_core::Secret::new("482916")).unwrap().0;
        let village = samanvaya_domain::Location {
            id: samanvaya_domain::LocationId(uuid::Uuid::now_v7()),
            level: samanvaya_domain::LocationLevel::State,
            parent_id: None,
            lgd_code: None,
            name_en: "Bihar".into(),
            name_hi: "बिहार".into(),
        };
        store.add_places(std::slice::from_ref(&village), &[village.id]).unwrap();
        // Enough households, each with a long address, to need several batches.
        for i in 0..120 {
            let input = HouseholdInput {
                id: None,
                village_id: village.id,
                hamlet_id: None,
                address: format!("{i} {}", "वार्ड नं. ".repeat(15)),
                phone: String::new(),
                members: vec![PersonInput {
                    id: None,
                    name: "कमला देवी".into(),
                    relation: Relation::Head,
                    sex: Sex::Female,
                    birth: Birth::Age { years: 64 },
                    left: None,
                }],
            };
            store.save_household(input, store.now().unwrap()).unwrap();
        }
        let (mut acked, mut pushed, mut batches) = (0, 0, 0);
        while let Some(batch) = next_batch(&store, acked).unwrap() {
            let size: usize = batch.changes.iter().map(Change::wire_size).sum();
            assert!(size <= MAX_BATCH_BYTES || batch.changes.len() == 1);
            assert_eq!(batch.changes[0].seq, acked + 1, "batches follow each other without gaps");
            acked = batch.changes.last().unwrap().seq;
            pushed += batch.changes.len();
            batches += 1;
        }
        assert!(batches > 1, "the test needs more than one batch");
        assert_eq!(
            pushed as i64,
            store.queued_changes().unwrap(),
            "every queued change is pushed exactly once"
        );
        assert_eq!(pushed, 240, "each new household travels as its record and its one member");
    }
}
