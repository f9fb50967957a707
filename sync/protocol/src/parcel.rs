//! A sync file: a laptop's waiting changes written to one file, for a USB stick carried to the
//! block office when there is no network at all. The block imports it through the same path as a
//! push, so importing a file twice, or a file and then the same changes online, stores each
//! change once.
//!
//! The file is encrypted and authenticated with a key derived from the laptop's device secret
//! (`envelope.rs`): its header names the device, in the clear, so that the block can find the
//! key; the rest is readable only by the laptop and its block, and only the laptop holding that
//! secret can have written it. The key comes from the digest of the secret, which is also what
//! the block keeps of it, so the block can open a file without ever having stored the secret
//! itself.

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope;
use crate::{AuditEntry, Change};

/// The first line of every sync file: the format's name and version. Version 1 carried the
/// changes in the clear (authenticated only); it is refused, with what to do.
pub const MAGIC: &str = "SAMANVAYA-SYNC 2";
const NAME: &str = "SAMANVAYA-SYNC";
const VERSION: u32 = 2;

/// The largest file the block reads, and the most its changes may take once decompressed: a
/// month of a busy village's work is a few megabytes.
pub const MAX_FILE_BYTES: usize = 64 << 20;
const MAX_JSON_BYTES: usize = 512 << 20;

/// zstd level for files: a file is written once and carried, so it is worth packing tighter than
/// a request.
const LEVEL: i32 = 19;

/// What a sync file carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parcel {
    pub protocol: u32,
    pub device: Uuid,
    pub made_at: DateTime<Utc>,
    /// How far the laptop had pulled when it wrote the file (as in a push).
    pub pulled_through: i64,
    /// The laptop's changes the block had not acknowledged, in order.
    pub changes: Vec<Change>,
    /// For a laptop restored from an older backup: after which of its own numbers the block
    /// should hand back what the device sent before (the old laptop's work after the backup),
    /// as an online pull's `own_after` does. Absent otherwise, and in files from before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_after: Option<i64>,
    /// Up to which number those own changes go: the end of the old laptop's run, past which the
    /// restored laptop numbers its own new work (`core/src/restored.rs`). Absent for no end, and
    /// in files from before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_through: Option<i64>,
    /// The laptop's audit log after what the block last said it holds, each entry without its
    /// hash but the last (`AuditBatch::of`): the block checks it link by link as it does online.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit: Vec<AuditEntry>,
    /// The branch of the log those entries belong to (`AuditBatch::branch`): a laptop restored
    /// from a backup its block had outrun. None for the device's log itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_fork: Option<crate::AuditFork>,
    /// Where the block last said it holds that log, after which `audit` starts: entries that
    /// start past what the block holds right after that word were lost by a block restored from
    /// a backup, and entries that start further on than the word were taken out of the
    /// laptop's log. Absent with no entries, and in files from before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_after: Option<i64>,
    /// How far the laptop knows its changes are held (as a session's `acked_here`): the block's
    /// answer lists the clock readings it capped after it. Absent in files from before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acked_here: Option<i64>,
    /// The epoch of the block's feed the laptop read under (`PullReply::feed_epoch`): under
    /// another than the block's, the laptop reads the feed again from its start, and a laptop
    /// under the block's own that read past its newest change shows the block was restored.
    /// Absent before the block ever named one, and in files from before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_epoch: Option<String>,
    /// The origin of the block's change numbered `pulled_through`, as the block said it
    /// (`PullReply::cursor_origin`, `FeedFile::cursor_origin`): a block restored from a backup
    /// that has numbered other changes past it since holds another there. Absent in files from
    /// before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulled_origin: Option<crate::Origin>,
    /// The newest of the block's own changes the laptop holds (as a session's
    /// `server_own_through`): a block restored from a backup that lacks it asks the rest back in
    /// its answer (`FeedFile::own_wanted_after`). Absent in files from before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_own_through: Option<i64>,
    /// The block's own changes it asked back in its last answer, with the seals its feed gave
    /// them (as online `POST /v1/give-back`). Absent in files from before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub given_back: Vec<crate::GivenBack>,
    /// The restores of the laptop's store this copy descends from (as a session's `restores`):
    /// a file written before a restore the block knows of is refused whole. Empty for a laptop
    /// never restored, and in files from before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restores: Vec<crate::Restore>,
}

#[derive(Debug, thiserror::Error)]
pub enum ParcelError {
    #[error(
        "this is not a Samanvaya sync file (it does not start with {MAGIC:?}); choose the file `samanvaya export-sync` wrote"
    )]
    NotAFile,
    #[error(
        "the file was changed or damaged after the laptop wrote it, or another laptop wrote it; write it again on the laptop with `samanvaya export-sync`"
    )]
    Forged,
    #[error(
        "this sync file was written by {} version of Samanvaya (its format is {found}, this one reads {VERSION}); update the laptop and the block's server to the same version and write the file again on the laptop",
        if *found < VERSION { "an older" } else { "a newer" }
    )]
    Version { found: u32 },
    #[error(
        "this sync file was written by a laptop of sync protocol {found}, and this server speaks {}; update the laptop and the block's server to the same version and write the file again on the laptop",
        crate::PROTOCOL_VERSION
    )]
    Protocol { found: u32 },
    #[error("the file is larger than {} MB; write the laptop's changes in a new file and check the stick", MAX_FILE_BYTES >> 20)]
    TooLarge,
    #[error("the file's changes could not be unpacked: {0}")]
    Compression(#[from] std::io::Error),
    #[error("the file's changes could not be read: {0}")]
    Json(#[from] serde_json::Error),
}

/// The digest of a device secret: what a server keeps of the secret, and the key that
/// authenticates the device's sync files.
pub fn secret_digest(secret: &str) -> [u8; 32] {
    Blake2b::<U32>::digest(secret.as_bytes()).into()
}

/// Bytes as lowercase hexadecimal, as digests and codes are kept and sent.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hexadecimal text as bytes; `None` when it is not hex.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// The key of a device's sync files from the secret's digest as a server keeps it (hex).
pub fn key_from_hex(digest: &str) -> Option<[u8; 32]> {
    unhex(digest).and_then(|b| <[u8; 32]>::try_from(b).ok())
}

/// `parcel` as the bytes of a sync file, encrypted and authenticated with `key` (see
/// [`secret_digest`]).
pub fn seal(parcel: &Parcel, key: &[u8; 32]) -> Result<Vec<u8>, ParcelError> {
    seal_json(&serde_json::to_vec(parcel)?, parcel.device, key)
}

/// The JSON of a parcel from `device` as the bytes of a sync file (as [`seal`]).
fn seal_json(json: &[u8], device: Uuid, key: &[u8; 32]) -> Result<Vec<u8>, ParcelError> {
    let packed = zstd::bulk::compress(json, LEVEL)?;
    let nonce = envelope::nonce_line();
    let head = format!("{MAGIC}\ndevice {device}\n{nonce}");
    let nonce = envelope::nonce_of(Some(&nonce)).expect("the line just written");
    let mut out = format!("{head}\n\n").into_bytes();
    out.extend(envelope::lock(key, &head, nonce, packed));
    Ok(out)
}

/// A sync file taken apart, not yet checked.
struct Parts<'a> {
    device: Uuid,
    split: envelope::Split<'a>,
}

/// The header of a sync file and its encrypted changes.
fn split(bytes: &[u8]) -> Result<Parts<'_>, ParcelError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ParcelError::TooLarge);
    }
    let split = envelope::split(bytes, NAME, VERSION).map_err(|e| match e {
        envelope::SplitError::NotAFile => ParcelError::NotAFile,
        envelope::SplitError::Version(found) => ParcelError::Version { found },
    })?;
    let device = split
        .lines
        .first()
        .and_then(|l| l.strip_prefix("device "))
        .and_then(|d| Uuid::parse_str(d).ok())
        .ok_or(ParcelError::Forged)?;
    Ok(Parts { device, split })
}

/// The device a sync file says it is from, read before anything is checked, so that the block can
/// find the key to open it with.
pub fn device_of(bytes: &[u8]) -> Result<Uuid, ParcelError> {
    Ok(split(bytes)?.device)
}

/// Reads a sync file, refusing it unless `key` opens it and authenticates every byte of it.
pub fn open(bytes: &[u8], key: &[u8; 32]) -> Result<Parcel, ParcelError> {
    let Parts { device, split } = split(bytes)?;
    let nonce = envelope::nonce_of(split.lines.get(1).copied()).ok_or(ParcelError::Forged)?;
    let packed = envelope::unlock(key, split.head, nonce, split.body).ok_or(ParcelError::Forged)?;
    let json = zstd::bulk::decompress(&packed, MAX_JSON_BYTES)?;
    let found = envelope::protocol_of(&json)?;
    if found != crate::PROTOCOL_VERSION {
        return Err(ParcelError::Protocol { found });
    }
    let parcel: Parcel = serde_json::from_slice(&json)?;
    if parcel.device != device {
        return Err(ParcelError::Forged);
    }
    Ok(parcel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Origin, PROTOCOL_VERSION};
    use samanvaya_domain::Hlc;
    use samanvaya_domain::change::{Change as Typed, ChangeBody, MemberRemoved};
    use samanvaya_domain::{HouseholdId, PersonId};

    fn parcel() -> Parcel {
        let device = Uuid::from_u128(7);
        let at: DateTime<Utc> = "2026-12-01T05:00:00Z".parse().unwrap();
        let changes = (1..=3)
            .map(|seq| Change {
                seq,
                origin: Origin { device, seq },
                recorded_at: at,
                change: Typed::new(
                    Hlc { wall_ms: at.timestamp_millis() + seq, counter: 0, node: device },
                    ChangeBody::MemberRemoved(MemberRemoved {
                        id: PersonId(Uuid::from_u128(seq as u128)),
                        household_id: HouseholdId(Uuid::from_u128(9)),
                        merged_into: None,
                        departure_seen: None,
                    }),
                ),
                seen_at_sender: Default::default(),
            })
            .collect();
        Parcel {
            protocol: PROTOCOL_VERSION,
            device,
            made_at: at,
            pulled_through: 4,
            feed_epoch: None,
            pulled_origin: Some(crate::Origin { device, seq: 4 }),
            changes,
            own_after: None,
            own_through: None,
            acked_here: None,
            audit: Vec::new(),
            audit_fork: None,
            audit_after: None,
            server_own_through: None,
            given_back: Vec::new(),
            restores: Vec::new(),
        }
    }

    #[test]
    fn a_file_reads_back_with_its_key_and_any_change_to_it_is_refused() {
        let key = secret_digest("the laptop's secret");
        assert_eq!(key_from_hex(&hex(&key)), Some(key), "the server's stored digest is the key");
        let bytes = seal(&parcel(), &key).unwrap();
        assert_eq!(device_of(&bytes).unwrap(), Uuid::from_u128(7));
        assert_eq!(open(&bytes, &key).unwrap(), parcel());
        assert!(matches!(open(&bytes, &secret_digest("another laptop's secret")), Err(ParcelError::Forged)));
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(open(&bad, &key).is_err(), "a flipped bit at byte {i} went unnoticed");
        }
        assert!(open(&bytes[..bytes.len() - 1], &key).is_err(), "a cut file is refused");
        assert!(matches!(open(b"name,age\nKamla,64\n\n", &key), Err(ParcelError::NotAFile)));
    }

    #[test]
    fn nothing_of_the_changes_can_be_read_from_the_file_and_two_files_differ() {
        let key = secret_digest("the laptop's secret");
        let (bytes, again) = (seal(&parcel(), &key).unwrap(), seal(&parcel(), &key).unwrap());
        let found = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        // Packed but not encrypted, the body would unpack with zstd alone, as version 1's did.
        let body = &bytes[bytes.windows(2).position(|w| w == b"\n\n").unwrap() + 2..];
        assert!(zstd::bulk::decompress(body, MAX_JSON_BYTES).is_err(), "the body unpacks without the key");
        assert!(!found(b"member_removed"), "the kind of a change is readable");
        assert!(!found(Uuid::from_u128(9).to_string().as_bytes()), "a household's id is readable");
        assert!(
            found(Uuid::from_u128(7).to_string().as_bytes()),
            "the device stays readable, to find its key"
        );
        assert_ne!(bytes, again, "each file has its own nonce");
        assert_eq!(open(&again, &key).unwrap(), parcel());
    }

    #[test]
    fn a_file_of_another_version_is_refused_with_what_to_do() {
        let key = secret_digest("the laptop's secret");
        let old = b"SAMANVAYA-SYNC 1\ndevice 00000000-0000-0000-0000-000000000007\nmac 00\n\nxx";
        let err = open(old, &key).unwrap_err();
        assert!(matches!(err, ParcelError::Version { found: 1 }), "{err}");
        assert!(err.to_string().contains("an older version"), "{err}");
        let newer = b"SAMANVAYA-SYNC 3\ndevice 00000000-0000-0000-0000-000000000007\n\nxx";
        assert!(open(newer, &key).unwrap_err().to_string().contains("a newer version"));
    }

    #[test]
    fn a_file_of_another_protocol_says_to_update_even_when_its_changes_cannot_be_read() {
        let key = secret_digest("the laptop's secret");
        let p = parcel();
        // A change of a kind this version does not know, as a newer laptop may write.
        let mut json = serde_json::to_value(&p).unwrap();
        json["changes"][0]["change"] = serde_json::json!({ "kind": "from_a_later_version" });
        json["protocol"] = serde_json::json!(PROTOCOL_VERSION + 1);
        let bytes = seal_json(&serde_json::to_vec(&json).unwrap(), p.device, &key).unwrap();
        let err = open(&bytes, &key).unwrap_err();
        assert!(matches!(err, ParcelError::Protocol { found } if found == PROTOCOL_VERSION + 1), "{err}");
        assert!(err.to_string().contains("update the laptop and the block's server"), "{err}");
        // The same file of this protocol is unreadable, and says so.
        json["protocol"] = serde_json::json!(PROTOCOL_VERSION);
        let bytes = seal_json(&serde_json::to_vec(&json).unwrap(), p.device, &key).unwrap();
        assert!(matches!(open(&bytes, &key), Err(ParcelError::Json(_))));
    }
}
