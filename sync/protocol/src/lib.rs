//! The wire contract between a village laptop, its block server and the district server.
//!
//! Types, limits and the sealed body (`body.rs`: JSON, zstd-compressed, with a digest): both
//! ends depend on this crate and on nothing of each other. A change keeps its origin
//! `(device, seq)` all the way to the district, which is how every level dedupes replays and
//! how the district never counts a household twice, whichever block forwarded it.

pub mod body;
pub mod bundle;
pub mod code;
mod envelope;
pub mod feed_file;
pub mod parcel;
mod signed;
pub mod vouch;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use samanvaya_domain::Hlc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Bumped on any incompatible change; a server answers a version it does not speak with an error
/// that tells the facilitator to update the app. Version 3 added the change kinds
/// `consent_withdrawn` and `redacted`, which a version-2 peer cannot read; version 4 the audit
/// log's endpoint and its refusal, and the catalogue bundles a session offers; version 5 a
/// block's forwarding of its laptops' audit logs (`AuditBatch::device`,
/// `SessionReply::audit_forwarded` and the refusal `audit_foreign`). A version-4 district would
/// read a forwarded batch without its `device` and keep the laptop's entries as the block's own
/// log; version 6 an audit batch's entries without their hashes but the last's (`AuditBatch::of`),
/// which a version-5 server would refuse as broken; version 7 the household's `consent` field
/// (version 2 of the household kind), which a version-6 peer fails to read at all rather than
/// refusing that one change; version 8 the branches of an audit log (`AuditBatch::branch`,
/// `SessionReply::audit_branches`), whose entries a version-7 server would take for entries of
/// the device's own log that it holds already, and keep none of; version 9 the enrollment
/// reply's proof that the server holds the code (`EnrollReply::proof`), without which a device
/// takes no reply. Versions must match exactly, so laptops, blocks and the district
/// are updated together.
pub const PROTOCOL_VERSION: u32 = 9;

/// The target size of one push batch before compression: small enough to get through a weak 2G
/// connection before it drops, so that each acknowledged batch is progress that is never repeated,
/// and large enough that the day goes in few requests, each of which costs a round trip and may
/// be lost. 384 KB of changes (about 75 surveyed households) seal to about 16 KB with the
/// protocol's dictionary (`body`), under three seconds at 50 kbit/s, within 1.18 times the bytes
/// of a whole day's work compressed at once at zstd's level 19 (`sync-bench --day`,
/// docs/benchmarks.md). A weak link shrinks it (`plan::Pace`): a batch that times out is halved.
pub const MAX_BATCH_BYTES: usize = 384 * 1024;

/// The smallest batch the client shrinks to on a bad link; one change always travels.
pub const MIN_BATCH_BYTES: usize = 2 * 1024;

/// The largest body a server accepts, compressed or not; a bigger one is refused unread.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The header that carries the digest of the (compressed) body.
pub const DIGEST_HEADER: &str = "x-samanvaya-digest";

/// Which level a server serves; the block and district run the same binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Block,
    District,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Block => "block",
            Role::District => "district",
        }
    }
}

/// What `GET /v1/health` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub protocol: u32,
    pub role: Role,
    /// A district's identity, as its enrollment replies name it: a block enrolling again with
    /// its district asks it first, so that a code for another district registers nothing there.
    /// None from a block, and from a server of an earlier version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<Uuid>,
}

/// Where a change was first made: the device (laptop or server) and that device's number for it.
/// The pair is the change's identity forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Origin {
    pub device: Uuid,
    pub seq: i64,
}

/// A block's change as its district took it in a push: the block's own number for it, and its
/// origin (`SessionReply::pushed_last`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pushed {
    pub seq: i64,
    pub origin: Origin,
}

/// A device's own changes it asks a server's feed for, which otherwise never sends a device its
/// own: those numbered after `after`, up to `through` where it is set. A laptop restored from a
/// backup asks for the old laptop's run after the backup (`core/src/restored.rs`), and a block
/// restored from a backup for what it forwarded (no end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnAsked {
    pub after: i64,
    pub through: Option<i64>,
}

/// One change as it travels: the sender's own number for it (`seq`, what acks count), where it
/// was first made, and the typed change itself (`samanvaya_domain::change`), with its kind,
/// schema version and clock. For a laptop `seq` and `origin.seq` are the same number; a block
/// forwarding to the district numbers what it sends in its own order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub seq: i64,
    pub origin: Origin,
    pub recorded_at: DateTime<Utc>,
    pub change: samanvaya_domain::change::Change,
    /// Set by a server forwarding a change it merged: for each identity field (name, relation,
    /// sex, birth date) the change writes over another device's write that the change's maker
    /// had seen, the reading of that write. The receiver holding that same write does not put the
    /// change up for review against it, though the sender had not pulled it from the receiver (a
    /// block forwarding two laptops' edits made one after the other, in one push). Empty from a
    /// laptop, whose word is not taken, and from a server older than the field.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub seen_at_sender: BTreeMap<String, Hlc>,
}

impl Change {
    /// The change's size on the wire before compression, used to cut batches.
    pub fn wire_size(&self) -> usize {
        serde_json::to_vec(self).map_or(usize::MAX, |v| v.len())
    }
}

/// A batch of changes pushed by one sender, in its seq order, starting right after what the
/// server last acknowledged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushBatch {
    pub protocol: u32,
    /// The sender's number its push follows: how far it was told the server holds its work (by
    /// the session, or the last push's answer). A server that holds less, restored from a
    /// backup since, keeps nothing of a laptop's push that starts past what it holds: it is a
    /// push sent before the restore and delivered after it (a replay), and taken, it would hide
    /// the changes in between for good. `None` from older apps and from a sync file's import;
    /// a block's is not looked at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
    /// How far the sender has applied this server's pull feed: a change of the server newer than
    /// this, to a field the batch also changes, is one the sender had not seen (a conflict).
    pub pulled_through: i64,
    pub changes: Vec<Change>,
}

/// What became of one pushed change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Applied,
    /// The server had it already (a retry, a replay, or the same change through another block).
    Duplicate,
    /// Stored, and an identity field changed on two devices without either seeing the other: both
    /// values wait in the server's review queue.
    Conflict {
        field: String,
    },
    /// Stored as received but not applied to the current state, with the reason.
    Rejected {
        reason: String,
    },
}

/// One change's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeResult {
    pub seq: i64,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The clock reading the server keeps for the change, where it is not the one sent: the
    /// sender's clock ran past the server's, and the reading was capped. The laptop keeps the
    /// same reading for what it wrote, or it would keep its own write against later ones that
    /// every server takes. Absent from older servers, and ignored by older laptops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capped: Option<samanvaya_domain::Hlc>,
}

/// A clock reading a server keeps for a laptop's change `seq`, in place of the one sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    pub seq: i64,
    pub hlc: samanvaya_domain::Hlc,
}

/// The server's answer once the batch is durably committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAck {
    pub protocol: u32,
    /// Every change of this sender up to and including this seq is stored on the server.
    pub acked_through: i64,
    pub results: Vec<ChangeResult>,
}

/// A device's audit log entries after those the server holds (`SessionReply::audit_through`),
/// in order: the log travels to the block so that what was done on a lost or tampered laptop is
/// still known there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditBatch {
    pub protocol: u32,
    /// Whose log this is when a block forwards one of its laptops' logs to its district (the
    /// laptop's device id, so that the district keeps it under that laptop as the block does);
    /// none for the sender's own log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Uuid>,
    /// Every entry but the last travels without its hash: the receiver computes each from the
    /// one before, and the last entry's hash, which covers all of them, must be the sender's.
    pub entries: Vec<AuditEntry>,
    /// The branch of the log these entries belong to; none for the device's log itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<AuditFork>,
}

impl AuditBatch {
    /// The batch of `entries` (in order, with their hashes) of `device`'s log, or the sender's
    /// own when none, each hash left out but the last's.
    pub fn of(device: Option<Uuid>, mut entries: Vec<AuditEntry>) -> AuditBatch {
        let last = entries.len().saturating_sub(1);
        for e in &mut entries[..last] {
            e.hash.clear();
        }
        AuditBatch { protocol: PROTOCOL_VERSION, device, entries, branch: None }
    }

    /// The same entries as entries of `branch` (none: the device's log itself).
    pub fn on(self, branch: Option<AuditFork>) -> AuditBatch {
        AuditBatch { branch, ..self }
    }
}

/// How far a server holds the log of one device whose log a block forwards to it (its last
/// entry's seq): where the block's forwarding of that log resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHeld {
    pub device: Uuid,
    pub through: i64,
}

pub use samanvaya_domain::audit::{AuditEntry, AuditFork};
pub use samanvaya_domain::restore::Restore;

/// The server's answer once the entries are stored: it holds the device's log through here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditAck {
    pub through: i64,
}

/// The most audit entries sent in one request: about 440 KB of JSON, which seals to about 7 KB
/// since only the last entry carries its hash (`AuditBatch::of`).
pub const AUDIT_BATCH: usize = 2000;

/// A range of numbers a device may give out on its own ("household" or "referral").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub kind: String,
    pub first: i64,
    pub last: i64,
}

/// What enrols: a village laptop, or a block server enrolling with its district.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    Laptop,
    Block,
}

/// A village the laptop serves, as its store knows it, with the places above it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Village {
    pub id: Uuid,
    pub name_en: String,
    pub name_hi: String,
    /// The places above the village, from the state down to its parent.
    #[serde(default)]
    pub above: Vec<Place>,
}

/// A place above a village (state, district, block, gram panchayat).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub id: Uuid,
    /// `state`, `district`, `block`, `gram_panchayat`, as `samanvaya_domain::LocationLevel` says.
    pub level: String,
    pub parent: Option<Uuid>,
    pub name_en: String,
    pub name_hi: String,
}

/// Who asks to enroll: the device and what it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    pub device: Uuid,
    pub kind: DeviceKind,
    /// A name the server's operator recognises ("Rampur centre laptop").
    pub name: String,
    /// The villages a laptop serves; empty for a block.
    pub villages: Vec<Village>,
}

/// `POST /v1/enroll`: proof of a one-time code from the server's operator, bound to the
/// certificate the device saw (`code.rs` says why the code itself never travels), and who is
/// enrolling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub protocol: u32,
    /// The code's id ([`code::id_of`]).
    pub code_id: String,
    /// The code bound to the server's certificate fingerprint ([`code::binding`]).
    pub binding: String,
    #[serde(flatten)]
    pub applicant: Applicant,
    /// The secret the device chose for itself (64 hex digits), sent with every sending of this
    /// enrollment: a request sent again after its answer was lost on the way is answered with
    /// the same secret, whichever sending the server took last. Without it (an older device)
    /// the server chooses one at each answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl EnrollRequest {
    /// The request for `code`, over a connection to the server whose certificate has
    /// `fingerprint` ([`code::PLAIN`] without TLS).
    pub fn new(code: &str, fingerprint: &str, applicant: Applicant) -> EnrollRequest {
        EnrollRequest {
            protocol: PROTOCOL_VERSION,
            code_id: code::id_of(&code::key(code)),
            binding: code::binding(code, fingerprint),
            applicant,
            secret: None,
        }
    }
}

/// The answer to a successful enrollment. `secret` is shown once and stored on the device; the
/// server keeps only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollReply {
    pub protocol: u32,
    pub server: Uuid,
    pub role: Role,
    pub secret: String,
    /// The server's proof that it holds the code the device typed ([`code::reply_proof`]):
    /// a reply without it came from someone in the middle, not from the server.
    pub proof: String,
    pub leases: Vec<Lease>,
    /// The village a laptop that served none was enrolled for: it serves it from now on.
    #[serde(default)]
    pub village: Option<Village>,
}

/// `POST /v1/session`: the device proves it is enrolled and gets a short-lived token. It says
/// how many numbers it has left of each kind, so the server can grant a new lease in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRequest {
    pub protocol: u32,
    pub device: Uuid,
    pub secret: String,
    pub numbers_left: Vec<(String, i64)>,
    /// The server's new certificate (its fingerprint) that this device was told of and accepts
    /// already: the server's operator switches to it once every device knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_certificate: Option<String>,
    /// A laptop's second recovery code, for the block to keep and read out to a facilitator who
    /// forgot her PIN and lost the code shown at set-up; sent at each session until the block
    /// says it keeps one (`SessionReply::recovery_code_kept`), then never again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
    /// How far this laptop knows its changes are held (its own acknowledged number, which lags
    /// the server's when a push's answer was lost): the server says back the readings it capped
    /// after it (`SessionReply::capped`). Absent from older laptops and devices that keep no
    /// readings of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acked_here: Option<i64>,
    /// The highest number among the changes the server made itself (an officer's step, a
    /// review decided) that this laptop holds. A server restored from a backup numbers its own
    /// next changes after it: numbered again from where the backup stood, they were taken here
    /// for changes held, and skipped. Absent when the laptop holds none, and from older laptops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_own_through: Option<i64>,
    /// The feed epoch this device read the server's feed under (`PullReply::feed_epoch`),
    /// empty when it read under none. A device under an epoch the server made before its current
    /// one reads the feed again from its start anyway, so what it says that shows a restore is
    /// that restore, already known: the server makes no new epoch for it, where one was made at
    /// each run of the server such a device first came to (the other devices read the whole
    /// feed again each time). One under an epoch the server's store never made shows a new
    /// restore. Absent from older devices; the pull says it as `&epoch=`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_epoch_read: Option<String>,
    /// For each kind of number, the last number of the newest lease from this server the laptop
    /// holds (0 when it holds none). A lease granted after it never reached the laptop (the
    /// session's answer was lost, or a session sent twice on a stalling link was answered by
    /// the other copy): the server grants that lease again instead of a new one, so no range of
    /// numbers is wasted and a session may be sent twice. Absent from older laptops, which get
    /// a new lease each time as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leases_through: Vec<(String, i64)>,
    /// The restores of the laptop's store from its backups that this copy descends from, oldest
    /// first (`samanvaya_domain::restore`): the block keeps those of the live copy and refuses a
    /// copy from before them (`RefusalCode::RestoredElsewhere`). Empty for a laptop never
    /// restored, and from older laptops.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restores: Vec<Restore>,
    /// On a laptop restored from a backup: the end of the old laptop's run, past which the
    /// restored copy numbers its own work (`core/src/restored.rs`). The block asks the other
    /// laptops of the village back the old laptop's changes in that run that it lacks
    /// ([`SessionReply::others_wanted`]). Absent otherwise, and from older laptops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_end: Option<i64>,
    /// From a block to its district: the certificates the block has presented to its laptops
    /// (their fingerprints), oldest first, the last the one it presents now, for the district's
    /// operator to vouch for a new one (`vouch`). Empty from a laptop, and from older blocks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionReply {
    pub protocol: u32,
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// Where the device's pushes resume: everything up to here is stored on the server.
    pub acked_through: i64,
    pub leases: Vec<Lease>,
    /// How far the device's changes have reached the district (its seq): what a block has
    /// forwarded and the district stored, or, at the district, what it stored. None from a
    /// block that forwards to no district.
    #[serde(default)]
    pub reached_district: Option<i64>,
    /// The newest catalogue bundle the server holds, signed by the district; none until the
    /// district has published one.
    #[serde(default)]
    pub catalogue: Option<bundle::CatalogueOffer>,
    /// How far the server holds the device's audit log (its last entry's seq).
    #[serde(default)]
    pub audit_through: i64,
    /// At the district, for a block: how far it holds each laptop's log that this block
    /// forwards, and each branch of them, by the branch's id (empty for a laptop, and for a
    /// block that has forwarded none yet).
    #[serde(default)]
    pub audit_forwarded: Vec<AuditHeld>,
    /// How far the server holds each branch of the device's audit log, by the branch's id
    /// (`AuditFork`); a branch it does not list holds nothing beyond where it grew from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit_branches: Vec<AuditHeld>,
    /// The laptop's changes after its `acked_here` whose clock reading this server capped, with
    /// the reading it keeps: what the lost answers of its pushes would have said
    /// (`ChangeResult::capped`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capped: Vec<Kept>,
    /// What became of the laptop's changes after its `acked_here` where they were not plainly
    /// applied (put up for review, or refused), the newest 200 of its newest 5,000: what the
    /// lost answers of its pushes would have said, for its panel to count them once. Absent
    /// from older servers, and ignored by older laptops.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decided: Vec<ChangeResult>,
    /// To a block: the highest number among the changes it made itself (an officer's step, a
    /// review decided) that this server holds. A block restored from a backup numbers its own
    /// changes after it; numbered again from where the backup stood, they were taken here for
    /// changes held. `None` to a laptop, and from a server older than the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_through: Option<i64>,
    /// To a block: its change this server took last in a push, by the block's number and its
    /// origin ([`Pushed`]). A block whose change under that number has another origin, or that
    /// holds none, was restored from a backup after forwarding it, and reads back what it
    /// forwarded: it may have lost a laptop's work that only this server holds now. `None` to a
    /// laptop, and from a server older than the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_last: Option<Pushed>,
    /// To a laptop: the changes of another laptop of its villages, restored from a backup,
    /// that this server asks back ([`OthersWanted`]); each is given back as the laptop read it
    /// ([`GiveBack`], with no seal). Empty otherwise, and from older servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub others_wanted: Vec<OthersWanted>,
    /// To a device that said it holds a change this server made (`server_own_through`) that
    /// this server lacks: it was restored from a backup, and asks back its own changes the
    /// device holds numbered after this one ([`GiveBack`]): a laptop its block's, a block its
    /// district's. Absent otherwise; older servers asked laptops alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_wanted_after: Option<i64>,
    /// To a block: the district's last word to read its feed again from the start, given when
    /// a village was given to the block (`assign-village`), so that it reads the households
    /// the district holds of it. A block that has not read under this word yet starts again;
    /// the district says it at every session from then on. Absent otherwise, and from older
    /// servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_again: Option<String>,
    /// The fingerprint of the certificate the server will present once its operator switches
    /// to it (`samanvaya-server new-certificate`): the device accepts it from now on beside the
    /// pinned one, and pins it the first time the server presents it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_certificate: Option<String>,
    /// The server keeps the recovery code the laptop sent in this session's request (a server
    /// from before says nothing, and the laptop sends one again next time).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovery_code_kept: bool,
    /// The feed's epoch, as the pull answers name it (`PullReply::feed_epoch`): a device that
    /// sees a new one reads the feed again from its start before it pushes, so that its push
    /// does not say it read changes the restored server numbered again. `None` until a restore
    /// is found, and from a server older than the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_epoch: Option<String>,
    /// To a block: the district's signed statements about the block's certificates
    /// ([`vouch`]), which the block serves to laptops that meet its new one. Empty otherwise,
    /// and from older servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vouched: Vec<String>,
}

/// One change of the server's pull feed: its number on the server (the cursor), where it was
/// made, and the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pulled {
    pub server_seq: i64,
    pub origin: Origin,
    pub recorded_at: DateTime<Utc>,
    pub change: samanvaya_domain::change::Change,
    /// For a change the serving server made itself (an officer's step): its seal, a keyed
    /// digest only that server can make. The laptop keeps it, and gives the change back to a
    /// server restored from a backup that lost it ([`GiveBack`]); the server takes back only
    /// what its own seal shows it made. Absent from older servers and for other changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
}

/// The changes of laptop `device` numbered after `after` and up to `through`, the old laptop's
/// run of a laptop restored from a backup, which a block restored from a backup of its own lost
/// after handing them to other laptops of the village: it holds them no more, its district
/// never got them, and the other laptops are the only place left (seeds 43, 58 and 167 of the
/// simulation with both restores).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OthersWanted {
    pub device: Uuid,
    pub after: i64,
    pub through: i64,
    /// The numbers in that range the server holds already, which the laptop does not send.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<i64>,
}

/// `POST /v1/give-back`: the server's own changes a laptop (or a block) holds, which the
/// server, restored from a backup, asked back (`SessionReply::own_wanted_after`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GiveBack {
    pub protocol: u32,
    pub changes: Vec<GivenBack>,
}

/// One of the server's own changes given back, as the laptop (or block) read it, with its
/// seal; or, from a laptop, one of another laptop's ([`OthersWanted`]), with an empty seal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GivenBack {
    pub origin: Origin,
    pub change: samanvaya_domain::change::Change,
    pub seal: String,
}

/// The answer to a [`GiveBack`]: how many changes the server took back (held again, as every
/// arriving change is held: one not applied to the current state, such as a step about a person
/// erased since, is held all the same with its reason), how many it held already, and how many
/// it refused (a seal that is not its own).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiveBackAck {
    pub protocol: u32,
    pub taken: usize,
    pub held: usize,
    pub refused: usize,
}

/// `GET /v1/pull?after=N`: the next changes for the device, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullReply {
    pub protocol: u32,
    pub server: Uuid,
    pub changes: Vec<Pulled>,
    /// The cursor to ask from next time: the last change sent, or the newest one the feed
    /// skipped for this device.
    pub cursor: i64,
    /// Whether more changes wait after `cursor`.
    pub more: bool,
    /// The feed's epoch: a new one each time the server found it was restored from a backup,
    /// its feed numbered again from where the backup stood. A device that sees a new one reads
    /// the feed again from its start. None until a restore is found, and from an older server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed_epoch: Option<String>,
    /// The origin of the server's change numbered `cursor` (none at 0). The device says it back
    /// at its next pull (`&at_device=…&at_seq=…`): a server restored from a backup that has
    /// numbered other changes past the device's cursor since holds another change there, which
    /// shows the restore where the cursor alone cannot (it is no longer past the newest
    /// change). Absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_origin: Option<Origin>,
}

/// Why a server refused a request; every refusal carries a sentence a person can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    /// The client speaks another protocol version: update the app.
    Protocol,
    /// The enrollment code is unknown, used or expired.
    Code,
    /// The device was never enrolled here, or its secret is wrong.
    NotEnrolled,
    /// The device was revoked by the server's operator.
    Revoked,
    /// The session token expired: get a new one and retry.
    Expired,
    /// The body's digest does not match: it was damaged on the way; send it again.
    Digest,
    /// The body is not what the endpoint reads.
    BadBody,
    /// The body is bigger than the server accepts.
    TooLarge,
    /// The server could not store the batch; nothing of it was kept.
    Unavailable,
    /// The server's disk is full: nothing of the request was kept, and the device keeps its
    /// changes until the server's operator frees space. A device that does not know this code
    /// still sees HTTP 507 and tries again later.
    DiskFull,
    /// An enrollment was bound to another certificate than the server's own: something in the
    /// middle of the connection.
    Certificate,
    /// The device's audit log does not follow on from what the server holds: it was changed
    /// after it was written.
    AuditBroken,
    /// The audit log is another device's than the sender may send: a laptop sends only its own,
    /// and a block only the logs of laptops whose changes reach the district through it.
    AuditForeign,
    /// A block forwarded a change about a village the district has from another block: the
    /// district's operator gives the village to this block (`assign-village`), and the block's
    /// next round forwards it.
    VillageForeign,
    /// The laptop's store was restored from a backup onto another copy, which has synced since:
    /// this copy is from before that restore, and its numbers now mean the restored copy's work.
    /// Nothing of it is taken; the restored copy goes on as the laptop.
    RestoredElsewhere,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub code: RefusalCode,
    pub message: String,
}
