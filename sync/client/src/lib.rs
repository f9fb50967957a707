//! The laptop side of sync. The decisions are pure functions ([`plan`]); the IO around them is
//! thin. For now this reads the outbox into push batches; sending them over HTTP (reqwest) and
//! pulling decisions back arrive with the sync issue.

pub mod plan;

use samanvaya_core::{Store, StoreError, outbox};
use samanvaya_sync_protocol::{Change, MAX_BATCH_BYTES, PROTOCOL_VERSION, PushBatch};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reading the outbox failed: {0}")]
    Outbox(String),
}

/// How many outbox rows are read at a time to fill one batch.
const READ_AHEAD: u32 = 256;

/// The next batch to push after everything up to `acked_through`, or `None` when all is pushed.
pub fn next_batch(store: &Store, acked_through: i64) -> Result<Option<PushBatch>, SyncError> {
    let rows = outbox::after(store.connection(), acked_through, READ_AHEAD)
        .map_err(|e| SyncError::Outbox(e.to_string()))?;
    let changes: Vec<Change> = rows
        .into_iter()
        .map(|r| Change {
            seq: r.seq,
            entity: r.entity,
            entity_id: r.entity_id,
            op: r.op,
            payload: r.payload,
            created_at: r.created_at,
        })
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
    use chrono::Utc;
    use samanvaya_domain::{Birth, HouseholdInput, PersonInput, Relation, Sex};

    #[test]
    fn the_outbox_is_pushed_in_order_in_bounded_batches() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.fill_demo(3).unwrap();
        let village = store.villages().unwrap()[0].id;
        store
            .save_household(
                HouseholdInput {
                    id: None,
                    village_id: village,
                    hamlet_id: None,
                    address: String::new(),
                    members: vec![PersonInput {
                        id: None,
                        name: "कमला देवी".into(),
                        relation: Relation::Head,
                        sex: Sex::Female,
                        birth: Birth::Age { years: 64 },
                    }],
                },
                Utc::now(),
            )
            .unwrap();
        let mut acked = 0;
        let mut pushed = 0;
        while let Some(batch) = next_batch(&store, acked).unwrap() {
            let size: usize = batch.changes.iter().map(Change::wire_size).sum();
            assert!(size <= MAX_BATCH_BYTES || batch.changes.len() == 1);
            assert_eq!(batch.changes[0].seq, acked + 1, "batches follow each other without gaps");
            acked = batch.changes.last().unwrap().seq;
            pushed += batch.changes.len();
        }
        let queued: i64 =
            store.connection().query_row("SELECT count(*) FROM outbox", [], |r| r.get(0)).unwrap();
        assert_eq!(pushed as i64, queued, "every queued change is pushed exactly once");
        assert_eq!(pushed, 601, "300 demo households, their 300 fact seeds, and the one added");
    }
}
