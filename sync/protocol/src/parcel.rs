//! A sync file: a laptop's waiting changes written to one file, for a USB stick carried to the
//! block office when there is no network at all. The block imports it through the same path as a
//! push, so importing a file twice, or a file and then the same changes online, stores each
//! change once.
//!
//! The file is authenticated with the laptop's device secret: its header names the device, and a
//! keyed BLAKE2b code over the header and the compressed changes proves that the laptop holding
//! that secret wrote it and that no byte changed since. The key is the digest of the secret,
//! which is also what the block keeps of it, so the block can check a file without ever having
//! stored the secret itself.

use blake2::digest::consts::U32;
use blake2::digest::{KeyInit, Mac};
use blake2::{Blake2b, Blake2bMac, Digest};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Change;

/// The first line of every sync file.
pub const MAGIC: &str = "SAMANVAYA-SYNC 1";

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
    #[error("the file is larger than {} MB; write the laptop's changes in a new file and check the stick", MAX_FILE_BYTES >> 20)]
    TooLarge,
    #[error("the file's changes could not be unpacked: {0}")]
    Compression(#[from] std::io::Error),
    #[error("the file's changes could not be read: {0}")]
    Json(#[from] serde_json::Error),
}

pub(crate) type Mac256 = Blake2bMac<U32>;

/// The digest of a device secret: what a server keeps of the secret, and the key that
/// authenticates the device's sync files.
pub fn secret_digest(secret: &str) -> [u8; 32] {
    Blake2b::<U32>::digest(secret.as_bytes()).into()
}

pub(crate) fn code(key: &[u8; 32], device_line: &str, packed: &[u8]) -> Mac256 {
    let mut mac = <Mac256 as KeyInit>::new_from_slice(key).expect("a 32-byte key suits BLAKE2b");
    mac.update(device_line.as_bytes());
    mac.update(packed);
    mac
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

/// `parcel` as the bytes of a sync file, authenticated with `key` (see [`secret_digest`]).
pub fn seal(parcel: &Parcel, key: &[u8; 32]) -> Result<Vec<u8>, ParcelError> {
    let json = serde_json::to_vec(parcel)?;
    let packed = zstd::bulk::compress(&json, LEVEL)?;
    let device_line = format!("device {}\n", parcel.device);
    let tag = code(key, &device_line, &packed).finalize().into_bytes();
    let mut out = format!("{MAGIC}\n{device_line}mac {}\n\n", hex(&tag)).into_bytes();
    out.extend_from_slice(&packed);
    Ok(out)
}

/// A sync file taken apart, not yet checked.
struct Parts<'a> {
    device_line: String,
    device: Uuid,
    tag: Vec<u8>,
    packed: &'a [u8],
}

/// The header of a sync file and its packed changes.
fn split(bytes: &[u8]) -> Result<Parts<'_>, ParcelError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ParcelError::TooLarge);
    }
    let end = bytes.windows(2).position(|w| w == b"\n\n").ok_or(ParcelError::NotAFile)?;
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| ParcelError::NotAFile)?;
    let mut lines = head.lines();
    if lines.next() != Some(MAGIC) {
        return Err(ParcelError::NotAFile);
    }
    let device = lines
        .next()
        .and_then(|l| l.strip_prefix("device "))
        .and_then(|d| Uuid::parse_str(d).ok())
        .ok_or(ParcelError::Forged)?;
    let tag = lines.next().and_then(|l| l.strip_prefix("mac ")).ok_or(ParcelError::Forged)?;
    let tag = unhex(tag).ok_or(ParcelError::Forged)?;
    Ok(Parts { device_line: format!("device {device}\n"), device, tag, packed: &bytes[end + 2..] })
}

/// The device a sync file says it is from, read before anything is checked, so that the block can
/// find the key to check it with.
pub fn device_of(bytes: &[u8]) -> Result<Uuid, ParcelError> {
    Ok(split(bytes)?.device)
}

/// Reads a sync file, refusing it unless `key` authenticates every byte of it.
pub fn open(bytes: &[u8], key: &[u8; 32]) -> Result<Parcel, ParcelError> {
    let Parts { device_line, device, tag, packed } = split(bytes)?;
    code(key, &device_line, packed).verify_slice(&tag).map_err(|_| ParcelError::Forged)?;
    let json = zstd::bulk::decompress(packed, MAX_JSON_BYTES)?;
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
                    }),
                ),
            })
            .collect();
        Parcel {
            protocol: PROTOCOL_VERSION,
            device,
            made_at: at,
            pulled_through: 4,
            changes,
            own_after: None,
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
}
