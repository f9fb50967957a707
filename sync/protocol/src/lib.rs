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

/// One change from a device's outbox, identified forever by `(device_id, seq)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub seq: i64,
    pub entity: String,
    pub entity_id: String,
    pub op: String,
    /// The entity's JSON snapshot after the change, kept as text so it passes through unparsed.
    pub payload: String,
    pub created_at: DateTime<Utc>,
}

impl Change {
    /// An upper bound of the change's size on the wire, used to cut batches.
    pub fn wire_size(&self) -> usize {
        // The fixed part covers the field names, punctuation, a 20-digit seq and the longest
        // timestamp chrono writes; text fields count with their JSON escaping, since the payload
        // is itself JSON and every quote in it travels as \".
        128 + [&self.entity, &self.entity_id, &self.op, &self.payload]
            .into_iter()
            .map(|t| escaped_len(t))
            .sum::<usize>()
    }
}

/// The length of `text` as a JSON string body.
fn escaped_len(text: &str) -> usize {
    text.bytes()
        .map(|b| match b {
            b'"' | b'\\' => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum()
}

/// A batch of changes pushed by one device, in seq order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_size_bounds_the_serialized_size() {
        let change = Change {
            seq: i64::MAX,
            entity: "household".into(),
            entity_id: Uuid::nil().to_string(),
            op: "upsert".into(),
            payload: "{\"name\":\"सुनीता\",\"note\":\"line\\nbreak \\\"quoted\\\"\",\"ctl\":\"\u{1}\"}".into(),
            created_at: DateTime::<Utc>::MAX_UTC,
        };
        let json = serde_json::to_string(&change).unwrap();
        assert!(json.len() <= change.wire_size(), "{} > {}", json.len(), change.wire_size());
    }
}
