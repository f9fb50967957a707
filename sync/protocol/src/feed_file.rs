//! A feed file: what the block decided for one laptop (referral steps taken at the block or the
//! district, changes made by the village's other laptops), written to a USB stick for a village
//! with no network at all, the way down that a sync file (`parcel.rs`) is the way up. The laptop
//! applies it through the same path as a pull, with the cursor moved in the same transaction, so
//! a file applied twice, or applied and then also pulled online, changes nothing the second time.
//!
//! It is encrypted and authenticated with the same key as the laptop's own sync files (derived
//! from the digest of its device secret, which the block keeps; `envelope.rs`): only its block
//! can write it, only that laptop can read it, and any changed byte is refused.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Pulled;
use crate::envelope;

/// The first line of every feed file: the format's name and version. Version 1 carried the
/// changes in the clear (authenticated only); it is refused, with what to do.
pub const MAGIC: &str = "SAMANVAYA-FEED 2";
const NAME: &str = "SAMANVAYA-FEED";
const VERSION: u32 = 2;

pub const MAX_FILE_BYTES: usize = 64 << 20;
const MAX_JSON_BYTES: usize = 512 << 20;
const LEVEL: i32 = 19;

/// What a feed file carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedFile {
    pub protocol: u32,
    /// The block that wrote it.
    pub server: Uuid,
    /// The laptop it is for.
    pub device: Uuid,
    pub made_at: DateTime<Utc>,
    pub changes: Vec<Pulled>,
    /// Where the laptop's pull cursor stands once it has applied the file.
    pub cursor: i64,
    /// The origin of the block's change numbered `cursor` (as `PullReply::cursor_origin`).
    /// Absent in files from before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_origin: Option<crate::Origin>,
    /// How far the laptop's sync file this answers said its changes were held
    /// (`Parcel::acked_here`). A laptop that still knows its changes held that far, told by
    /// this answer that the block holds fewer (`acked_through`), is told by the block as it
    /// stands now, not by an old answer left on the stick: the block was restored from a backup,
    /// and the laptop sends the rest again. Absent in files from before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers_acked_here: Option<i64>,
    /// The laptop's own changes the block holds, through this seq: a laptop that only ever
    /// syncs by stick learns from it what it need not send again.
    #[serde(default)]
    pub acked_through: i64,
    /// The laptop's own changes after this number are in `changes` too: the `own_after` of its
    /// last sync file, said back so that a restored laptop knows it has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_after: Option<i64>,
    /// How far the block holds the laptop's audit log (its last entry's seq): the next sync
    /// file carries the entries after it.
    #[serde(default)]
    pub audit_through: i64,
    /// How far the block holds each branch of the laptop's audit log, by the branch's id (as
    /// `SessionReply::audit_branches`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit_branches: Vec<crate::AuditHeld>,
    /// The laptop's changes after the `acked_here` of its last sync file whose clock reading the
    /// block capped, with the reading it keeps (as `SessionReply::capped`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capped: Vec<crate::Kept>,
    /// What became of the laptop's changes after the same `acked_here` where they were not
    /// plainly applied (as `SessionReply::decided`, without its limit of 200 listed: a file has
    /// room; the block reads the newest 50,000 changes of the range, where a session's 5,000). A
    /// laptop counts only those past what it had heard acknowledged, so an old answer applied
    /// again counts nothing. Absent in files from before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decided: Vec<crate::ChangeResult>,
    /// The epoch of the block's feed (`PullReply::feed_epoch`): a laptop that read under an
    /// older one forgets the block's old numbers before it applies the file, which then starts
    /// from the feed's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_epoch: Option<String>,
    /// Where in the feed the file starts (the cursor its changes were read after): a laptop
    /// takes a new epoch only from a file that starts at the feed's start, the whole feed read
    /// again; one that starts further on under another epoch is refused. None from a block
    /// older than the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_after: Option<i64>,
    /// To a laptop whose last sync file said it holds a change the block made that the block
    /// lacks (restored from a backup): the block's own changes after this number, which the
    /// laptop's next file gives back (as `SessionReply::own_wanted_after`). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_wanted_after: Option<i64>,
    /// Changes of another laptop's old run, restored from a backup, that the block asks back
    /// (as `SessionReply::others_wanted`): the laptop's next file gives them back. Empty
    /// otherwise, and from older blocks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub others_wanted: Vec<crate::OthersWanted>,
    /// The restores of the laptop's store that the block knows of for its live copy
    /// (`SessionRequest::restores`), none for a laptop never restored: a laptop restored since,
    /// or restored again, holds other restores and refuses the file, written for another copy
    /// of itself. None from a block older than the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restores: Option<Vec<crate::Restore>>,
    /// How far the laptop's changes have reached the district, as the block knows when it
    /// writes the file (as `SessionReply::reached_district`). A laptop's sync file carries its
    /// changes after this again, held at the block or not: a block restored from an older
    /// backup may have lost them, and the laptop may break before it hears so. None from a
    /// block that forwards to no district, or older than the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reached_district: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum FeedFileError {
    #[error(
        "this is not a Samanvaya file from the block (it does not start with {MAGIC:?}); choose the file `samanvaya-server export-feed` wrote"
    )]
    NotAFile,
    #[error("the file was written for another laptop; take the file made for this one")]
    OtherLaptop,
    #[error(
        "the file was changed or damaged after the block wrote it, or another server wrote it; ask the block office to write it again"
    )]
    Forged,
    #[error(
        "this file was written by {} version of the block's server (its format is {found}, this app reads {VERSION}); the laptop and the block's server must be updated to the same version, then the block office writes the file again",
        if *found < VERSION { "an older" } else { "a newer" }
    )]
    Version { found: u32 },
    #[error(
        "this answer was written by a block server of protocol version {found}, and this app speaks {}; the laptop and the block's server must be updated to the same version, then the block office writes the answer again",
        crate::PROTOCOL_VERSION
    )]
    Protocol { found: u32 },
    #[error("the file is larger than {} MB; ask the block office for a newer one", MAX_FILE_BYTES >> 20)]
    TooLarge,
    #[error("the file's changes could not be unpacked: {0}")]
    Compression(#[from] std::io::Error),
    #[error("the file's changes could not be read: {0}")]
    Json(#[from] serde_json::Error),
}

/// `file` as bytes, encrypted and authenticated with `key` (the laptop's secret digest, as the
/// block keeps it).
pub fn seal(file: &FeedFile, key: &[u8; 32]) -> Result<Vec<u8>, FeedFileError> {
    seal_json(&serde_json::to_vec(file)?, file.server, file.device, key)
}

/// The JSON of a feed file from `server` for `device` as bytes (as [`seal`]).
fn seal_json(json: &[u8], server: Uuid, device: Uuid, key: &[u8; 32]) -> Result<Vec<u8>, FeedFileError> {
    let packed = zstd::bulk::compress(json, LEVEL)?;
    let nonce = envelope::nonce_line();
    let head = format!("{MAGIC}\nserver {server}\ndevice {device}\n{nonce}");
    let nonce = envelope::nonce_of(Some(&nonce)).expect("the line just written");
    let mut out = format!("{head}\n\n").into_bytes();
    out.extend(envelope::lock(key, &head, nonce, packed));
    Ok(out)
}

/// Reads a feed file for the laptop `device`, refusing it unless `key` opens it and
/// authenticates every byte.
pub fn open(bytes: &[u8], device: Uuid, key: &[u8; 32]) -> Result<FeedFile, FeedFileError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FeedFileError::TooLarge);
    }
    let split = envelope::split(bytes, NAME, VERSION).map_err(|e| match e {
        envelope::SplitError::NotAFile => FeedFileError::NotAFile,
        envelope::SplitError::Version(found) => FeedFileError::Version { found },
    })?;
    let server = split.lines.first().and_then(|l| l.strip_prefix("server ")).ok_or(FeedFileError::Forged)?;
    let for_device = split
        .lines
        .get(1)
        .and_then(|l| l.strip_prefix("device "))
        .and_then(|d| Uuid::parse_str(d).ok())
        .ok_or(FeedFileError::Forged)?;
    if for_device != device {
        return Err(FeedFileError::OtherLaptop);
    }
    let nonce = envelope::nonce_of(split.lines.get(2).copied()).ok_or(FeedFileError::Forged)?;
    let packed = envelope::unlock(key, split.head, nonce, split.body).ok_or(FeedFileError::Forged)?;
    let json = zstd::bulk::decompress(&packed, MAX_JSON_BYTES)?;
    let found = envelope::protocol_of(&json)?;
    if found != crate::PROTOCOL_VERSION {
        return Err(FeedFileError::Protocol { found });
    }
    let file: FeedFile = serde_json::from_slice(&json)?;
    if file.device != device || file.server.to_string() != server {
        return Err(FeedFileError::Forged);
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parcel::secret_digest;
    use crate::{Origin, PROTOCOL_VERSION};
    use samanvaya_domain::Hlc;
    use samanvaya_domain::change::{Change as Typed, ChangeBody, MemberRemoved};
    use samanvaya_domain::{HouseholdId, PersonId};

    fn file() -> FeedFile {
        let (server, device, other) = (Uuid::from_u128(1), Uuid::from_u128(7), Uuid::from_u128(8));
        let at: DateTime<Utc> = "2026-12-01T05:00:00Z".parse().unwrap();
        let changes = (1..=3)
            .map(|seq| Pulled {
                server_seq: seq + 10,
                origin: Origin { device: other, seq },
                recorded_at: at,
                change: Typed::new(
                    Hlc { wall_ms: at.timestamp_millis() + seq, counter: 0, node: other },
                    ChangeBody::MemberRemoved(MemberRemoved {
                        id: PersonId(Uuid::from_u128(seq as u128)),
                        household_id: HouseholdId(Uuid::from_u128(9)),
                        merged_into: None,
                        departure_seen: None,
                    }),
                ),
                seal: None,
            })
            .collect();
        FeedFile {
            protocol: PROTOCOL_VERSION,
            server,
            device,
            made_at: at,
            changes,
            cursor: 13,
            cursor_origin: Some(crate::Origin { device: server, seq: 2 }),
            answers_acked_here: Some(4),
            acked_through: 4,
            own_after: None,
            audit_through: 0,
            audit_branches: Vec::new(),
            capped: Vec::new(),
            decided: vec![crate::ChangeResult {
                seq: 3,
                outcome: crate::Outcome::Conflict { field: "name".into() },
                capped: None,
            }],
            restores: None,
            feed_epoch: None,
            starts_after: None,
            own_wanted_after: None,
            others_wanted: Vec::new(),
            reached_district: Some(2),
        }
    }

    #[test]
    fn an_answer_of_another_protocol_says_to_update_even_when_its_changes_cannot_be_read() {
        let key = secret_digest("the laptop's secret");
        let f = file();
        // A change of a kind this version does not know, as a block updated first may send.
        let mut json = serde_json::to_value(&f).unwrap();
        json["changes"][0]["change"] = serde_json::json!({ "kind": "from_a_later_version" });
        json["protocol"] = serde_json::json!(PROTOCOL_VERSION + 1);
        let bytes = seal_json(&serde_json::to_vec(&json).unwrap(), f.server, f.device, &key).unwrap();
        let err = open(&bytes, f.device, &key).unwrap_err();
        assert!(matches!(err, FeedFileError::Protocol { found } if found == PROTOCOL_VERSION + 1), "{err}");
        assert!(err.to_string().contains("must be updated to the same version"), "{err}");
        // The same answer of this protocol is unreadable, and says so.
        json["protocol"] = serde_json::json!(PROTOCOL_VERSION);
        let bytes = seal_json(&serde_json::to_vec(&json).unwrap(), f.server, f.device, &key).unwrap();
        assert!(matches!(open(&bytes, f.device, &key), Err(FeedFileError::Json(_))));
    }

    #[test]
    fn a_feed_file_opens_for_its_laptop_only_and_any_change_is_refused() {
        let key = secret_digest("the laptop's secret");
        let bytes = seal(&file(), &key).unwrap();
        assert_eq!(open(&bytes, Uuid::from_u128(7), &key).unwrap(), file());
        assert!(matches!(open(&bytes, Uuid::from_u128(8), &key), Err(FeedFileError::OtherLaptop)));
        assert!(matches!(
            open(&bytes, Uuid::from_u128(7), &secret_digest("another laptop's secret")),
            Err(FeedFileError::Forged)
        ));
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(
                open(&bad, Uuid::from_u128(7), &key).is_err(),
                "a flipped bit at byte {i} went unnoticed"
            );
        }
        assert!(matches!(
            open(b"SAMANVAYA-SYNC 2\n\n", Uuid::from_u128(7), &key),
            Err(FeedFileError::NotAFile)
        ));
        assert!(!bytes.windows(14).any(|w| w == b"member_removed"), "the changes cannot be read");
        let old = b"SAMANVAYA-FEED 1\nserver x\ndevice y\nmac 00\n\nxx";
        let err = open(old, Uuid::from_u128(7), &key).unwrap_err();
        assert!(matches!(err, FeedFileError::Version { found: 1 }), "{err}");
    }
}
