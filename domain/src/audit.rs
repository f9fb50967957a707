//! The audit log's chain: each entry's hash covers the hash of the entry before it and its own
//! fields, so an entry edited, inserted or removed afterwards breaks the chain at that point.
//! The laptop writes the chain; the block checks it when the log travels there with the sync,
//! with this same function, so that both ends agree on what "intact" means.

use blake2::{Blake2s256, Digest};
use serde::{Deserialize, Serialize};

/// One entry of a device's audit log as it travels: who did what, when, and the chain's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// The moment as the device wrote it (RFC 3339), hashed as text.
    pub at: String,
    /// The account that did it.
    pub who: String,
    /// What was done (`change:household`, `backup`, `reveal:household` …).
    pub action: String,
    /// Ids and codes only, never a person's name.
    pub detail: String,
    /// Hex on the wire: 64 characters rather than a list of 32 numbers. Empty (and left out of
    /// the JSON) for an entry of a batch whose hash the receiver computes from the entry before
    /// (`AuditBatch::of` in the sync protocol): a hash is the one part of an entry that does
    /// not compress, so sending each would double the log's bytes on a 2G link.
    #[serde(with = "hex_bytes", default, skip_serializing_if = "Vec::is_empty")]
    pub hash: Vec<u8>,
}

/// Where a branch of a device's audit log leaves the log it grew from. A laptop restored from
/// a backup goes on from the backup's last entry, while its block may hold entries the old
/// laptop wrote after that backup: the restored laptop's entries cannot follow those (each hash
/// covers the entry before it), so they travel as a branch of their own. The server keeps a
/// branch under its `id`, checks that the log it grew from holds entry `from_seq` with hash
/// `from_hash`, and checks the branch's entries from there as any log's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFork {
    /// The branch's own id: the server keeps its entries under it.
    pub id: uuid::Uuid,
    /// The branch it grew from (a laptop restored twice), or none for the device's own log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<uuid::Uuid>,
    /// The last entry the branch shares with the log it grew from: the backup's last.
    pub from_seq: i64,
    /// That entry's hash, in hex (empty when the backup had no entry).
    pub from_hash: String,
}

impl AuditFork {
    /// The log the entries after `held` (how far the server holds the log the branch is on)
    /// travel on next, and the last of them that goes on it. A server restored from a backup
    /// older than the branch's start holds the device's own log short of it, and must hold that
    /// entry before the branch can grow from it: the entries up to it go on the device's own
    /// log first. A branch of a branch goes on whole: the store knows its parent's id, not its
    /// start.
    pub fn next_leg(&self, held: i64) -> (Option<&AuditFork>, Option<i64>) {
        if self.parent.is_none() && held < self.from_seq {
            (None, Some(self.from_seq))
        } else {
            (Some(self), None)
        }
    }
}

/// Bytes as lowercase hexadecimal in JSON.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        (0..text.len())
            .step_by(2)
            .map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| D::Error::custom("an audit hash is not hex"))
    }
}

/// The hash of an entry whose predecessor's hash is `prev` (empty for the first).
pub fn link(prev: &[u8], seq: i64, at: &str, who: &str, action: &str, detail: &str) -> Vec<u8> {
    let mut h = Blake2s256::new();
    h.update(prev);
    // Lengths before each field, so that moving text from one field to the next changes the hash.
    for field in [seq.to_string().as_str(), at, who, action, detail] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().to_vec()
}

impl AuditEntry {
    /// This entry's hash when it follows from the entry numbered `prev_seq` whose hash is
    /// `prev`: its number is the next one, and the hash it carries, if any, is the one its
    /// fields give. None when it does not follow.
    pub fn chained(&self, prev_seq: i64, prev: &[u8]) -> Option<Vec<u8>> {
        let hash = link(prev, self.seq, &self.at, &self.who, &self.action, &self.detail);
        (self.seq == prev_seq + 1 && (self.hash.is_empty() || self.hash == hash)).then_some(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(prev: &[u8], seq: i64, detail: &str) -> AuditEntry {
        let (at, who, action) = ("2026-12-01T05:00:00+00:00", "Sunita", "change:household");
        AuditEntry {
            seq,
            at: at.into(),
            who: who.into(),
            action: action.into(),
            detail: detail.into(),
            hash: link(prev, seq, at, who, action, detail),
        }
    }

    #[test]
    fn an_entry_follows_only_its_own_predecessor_unchanged() {
        let first = entry(&[], 1, "household 1");
        let second = entry(&first.hash, 2, "household 2");
        assert_eq!(first.chained(0, &[]), Some(first.hash.clone()));
        assert_eq!(second.chained(1, &first.hash), Some(second.hash.clone()));
        assert_eq!(second.chained(0, &[]), None, "a gap is not followed");
        let edited = AuditEntry { detail: "household 3".into(), ..second.clone() };
        assert_eq!(edited.chained(1, &first.hash), None, "an edited entry does not follow");
        let shifted =
            AuditEntry { who: "Sunitac".into(), action: "hange:household".into(), ..second.clone() };
        assert_eq!(shifted.chained(1, &first.hash), None, "text moved between fields changes the hash");
        // Without its hash an entry follows by its number, and its hash is computed; an edit
        // then shows only in the hashes after it.
        let bare = AuditEntry { hash: Vec::new(), ..second.clone() };
        assert_eq!(bare.chained(1, &first.hash), Some(second.hash.clone()));
        assert_eq!(bare.chained(2, &first.hash), None);
        let wire = serde_json::to_string(&first).unwrap();
        assert!(
            wire.contains(&format!(
                "\"hash\":\"{}\"",
                first.hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
            )),
            "{wire}"
        );
        assert_eq!(serde_json::from_str::<AuditEntry>(&wire).unwrap(), first);
        let wire = serde_json::to_string(&bare).unwrap();
        assert!(!wire.contains("hash"), "{wire}");
        assert_eq!(serde_json::from_str::<AuditEntry>(&wire).unwrap(), bare);
    }
}
