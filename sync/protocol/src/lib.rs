//! The wire contract between a village laptop, its block server and the district server.
//!
//! Types only, with serde: both ends depend on this crate and on nothing of each other.
//! A change keeps its origin `(device_id, seq)` all the way to the district, which is how every
//! level dedupes replays and how the district never counts a household twice.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Bumped on any incompatible change; a server answers a version it does not speak with an error
/// that tells the facilitator to update the app.
pub const PROTOCOL_VERSION: u32 = 1;

/// The target size of one push batch: small enough to get through a weak 2G connection before it
/// drops, so that each acknowledged batch is progress that is never repeated.
pub const MAX_BATCH_BYTES: usize = 16 * 1024;

/// Which level a server serves; the block and district run the same binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Block,
    District,
}

/// What `GET /v1/health` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub protocol: u32,
    pub role: Role,
}

/// One change of a device's change log, identified forever by `(device_id, seq)`. The change
/// itself is typed (`samanvaya_domain::change`), with its kind, schema version and clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub seq: i64,
    pub recorded_at: DateTime<Utc>,
    pub change: samanvaya_domain::change::Change,
}

impl Change {
    /// The change's size on the wire, used to cut batches.
    pub fn wire_size(&self) -> usize {
        serde_json::to_vec(self).map_or(usize::MAX, |v| v.len())
    }
}

/// A batch of changes pushed by one device, in seq order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushBatch {
    pub protocol: u32,
    pub device_id: Uuid,
    pub changes: Vec<Change>,
}

/// The server's answer once the batch is durably committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAck {
    pub protocol: u32,
    /// Every change of this device up to and including this seq is stored on the server.
    pub acked_through: i64,
}
