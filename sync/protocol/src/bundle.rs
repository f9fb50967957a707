//! A catalogue bundle: the scheme files and exclusive groups a district publishes, signed with the
//! district's key, so that a block or a laptop installs new rules without a new release of the
//! app, and no one between the district and the laptop (a block's operator, a USB stick passed
//! from hand to hand) can change a threshold on the way.
//!
//! The file is a short text header and the packed files:
//!
//! ```text
//! SAMANVAYA-CATALOGUE 1
//! key <the district's Ed25519 public key, hex>
//! signature <the Ed25519 signature, hex>
//!
//! <zstd of the bundle's JSON>
//! ```
//!
//! A bundle may also carry the district's versions of the survey form (XLSForm `.xlsx`, or its
//! markdown twin), so that a changed question reaches every laptop signed the same way.
//!
//! The signature covers the first line, the key line and the packed bytes (`signed.rs`). The fact vocabulary
//! is not in a bundle: it is the contract between the survey, the store and the engine, built
//! into the app, and a bundle is checked against the app's own (`samanvaya_eligibility::bundle`).

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use chrono::{DateTime, Utc};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};

use crate::parcel::{hex, unhex};
use crate::signed;

/// The first line of every bundle.
pub const MAGIC: &str = "SAMANVAYA-CATALOGUE 1";

/// The largest bundle read: the whole catalogue packs to about 64 KB today.
pub const MAX_BUNDLE_BYTES: usize = 8 << 20;
const MAX_JSON_BYTES: usize = 64 << 20;

/// How much of a bundle one request carries: a piece that gets through a weak 2G link before it
/// drops, so that a lost connection costs one piece, not the bundle.
pub const PIECE_BYTES: usize = 16 * 1024;

/// A bundle is written once and carried everywhere, so it is packed tightly.
const LEVEL: i32 = 19;

/// One file of a bundle, by its path as under `schema/` (`schemes/pm-kisan.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFile {
    pub path: String,
    pub text: String,
}

/// What a bundle carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueBundle {
    /// The district's name for this version of the rules ("Bihar rules of December 2026"),
    /// shown to the facilitator beside the day it was made.
    pub label: String,
    pub made_at: DateTime<Utc>,
    pub schemes: Vec<BundleFile>,
    pub groups: Vec<BundleFile>,
    /// The district's versions of the survey; none in a bundle of rules alone.
    #[serde(default)]
    pub forms: Vec<BundleForm>,
}

/// A survey form in a bundle: its file name (which says `.xlsx` or `.md`) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleForm {
    pub file_name: String,
    /// The file's bytes, hex: an `.xlsx` is binary, and the bundle is compressed whole.
    pub hex: String,
}

impl BundleForm {
    pub fn new(file_name: &str, bytes: &[u8]) -> BundleForm {
        BundleForm { file_name: file_name.to_owned(), hex: hex(bytes) }
    }

    /// The form file's bytes; `None` when the hex is damaged (which the signature rules out).
    pub fn bytes(&self) -> Option<Vec<u8>> {
        unhex(&self.hex)
    }
}

/// A bundle that was read and whose signature holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub bundle: CatalogueBundle,
    /// The signer's public key, hex.
    pub key: String,
    /// The digest of the whole file, hex: a bundle's identity on every device.
    pub digest: String,
}

/// What a server offers in a session: the newest bundle it holds, so that a device that has
/// another fetches it in pieces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueOffer {
    pub digest: String,
    pub label: String,
    pub made_at: DateTime<Utc>,
    /// The bundle's size in bytes, so that a device can show how much is left to fetch.
    pub bytes: u64,
    /// The key that signed it, hex: a device that trusts no district key yet learns it here,
    /// over the connection pinned at enrollment.
    pub key: String,
}

/// One piece of a bundle, as a server sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CataloguePiece {
    pub digest: String,
    pub offset: u64,
    pub total: u64,
    /// The piece's bytes, hex (the sealed body is compressed, so hex costs little on the wire).
    pub bytes: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(
        "this is not a Samanvaya catalogue bundle (it does not start with {MAGIC:?}); choose the file `samanvaya-server publish-catalogue` wrote"
    )]
    NotABundle,
    #[error(
        "the bundle's signature does not hold: it was changed or damaged after the district signed it; ask the district for the file again"
    )]
    BadSignature,
    #[error(
        "the bundle was signed by another district key ({found}) than the one this device trusts ({trusted}); it is not installed. If your district really changed its key, enroll this device again"
    )]
    OtherSigner { trusted: String, found: String },
    #[error("the bundle is larger than {} MB", MAX_BUNDLE_BYTES >> 20)]
    TooLarge,
    #[error("the bundle's files could not be unpacked: {0}")]
    Compression(#[from] std::io::Error),
    #[error("the bundle's files could not be read: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the district's signing key could not be used: {0}")]
    Key(String),
}

/// The digest that names a bundle file.
pub fn digest(bytes: &[u8]) -> String {
    hex(&Blake2b::<U32>::digest(bytes))
}

/// A new Ed25519 signing key as PKCS#8 bytes, for a district to keep.
pub fn new_signing_key() -> Result<Vec<u8>, BundleError> {
    Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .map(|doc| doc.as_ref().to_vec())
        .map_err(|e| BundleError::Key(e.to_string()))
}

/// The public key of a PKCS#8 signing key, hex.
pub fn public_key(pkcs8: &[u8]) -> Result<String, BundleError> {
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| BundleError::Key(e.to_string()))?;
    Ok(hex(pair.public_key().as_ref()))
}

/// `bundle` as the bytes of a file, signed with the district's PKCS#8 key.
pub fn seal(bundle: &CatalogueBundle, pkcs8: &[u8]) -> Result<Vec<u8>, BundleError> {
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| BundleError::Key(e.to_string()))?;
    let packed = zstd::bulk::compress(&serde_json::to_vec(bundle)?, LEVEL)?;
    Ok(signed::seal(MAGIC, &pair, &packed))
}

/// Reads a bundle file and checks its signature; with `trusted`, the signer must be that key.
pub fn open(bytes: &[u8], trusted: Option<&str>) -> Result<Signed, BundleError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(BundleError::TooLarge);
    }
    let signed::Opened { key, body: packed } =
        signed::open(MAGIC, bytes, trusted).map_err(|refusal| match refusal {
            signed::Refusal::OtherKind => BundleError::NotABundle,
            signed::Refusal::BadSignature => BundleError::BadSignature,
            signed::Refusal::OtherSigner { trusted, found } => BundleError::OtherSigner { trusted, found },
        })?;
    let json = zstd::bulk::decompress(packed, MAX_JSON_BYTES)?;
    Ok(Signed { bundle: serde_json::from_slice(&json)?, key: key.to_owned(), digest: digest(bytes) })
}

/// The piece of `bytes` that starts at `offset`, as a server sends it.
pub fn piece(bytes: &[u8], digest: &str, offset: u64) -> CataloguePiece {
    let start = (offset as usize).min(bytes.len());
    let end = (start + PIECE_BYTES).min(bytes.len());
    CataloguePiece {
        digest: digest.to_owned(),
        offset: start as u64,
        total: bytes.len() as u64,
        bytes: hex(&bytes[start..end]),
    }
}

/// The bytes a piece carries; `None` when they are not hex.
pub fn piece_bytes(piece: &CataloguePiece) -> Option<Vec<u8>> {
    unhex(&piece.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle() -> CatalogueBundle {
        CatalogueBundle {
            label: "Bihar, December 2026".into(),
            made_at: "2026-12-01T05:00:00Z".parse().unwrap(),
            schemes: vec![BundleFile { path: "schemes/a.toml".into(), text: "code = \"a\"\n".into() }],
            groups: vec![],
            forms: vec![BundleForm::new("district.xlsx", &[0x50, 0x4b, 0x03, 0x04])],
        }
    }

    #[test]
    fn a_bundle_reads_back_with_its_signer_and_any_change_to_it_is_refused() {
        let key = new_signing_key().unwrap();
        let bytes = seal(&bundle(), &key).unwrap();
        let public = public_key(&key).unwrap();
        let signed = open(&bytes, Some(&public)).unwrap();
        assert_eq!(signed.bundle, bundle());
        assert_eq!(signed.bundle.forms[0].bytes().unwrap(), vec![0x50, 0x4b, 0x03, 0x04]);
        assert_eq!(signed.key, public);
        assert_eq!(signed.digest, digest(&bytes));
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(open(&bad, None).is_err(), "a flipped bit at byte {i} went unnoticed");
        }
        assert!(open(&bytes[..bytes.len() - 1], None).is_err(), "a cut bundle is refused");
        assert!(matches!(open(b"code = 1\n\n", None), Err(BundleError::NotABundle)));
    }

    #[test]
    fn a_bundle_signed_by_another_district_is_refused_where_one_key_is_trusted() {
        let (ours, theirs) = (new_signing_key().unwrap(), new_signing_key().unwrap());
        let bytes = seal(&bundle(), &theirs).unwrap();
        let err = open(&bytes, Some(&public_key(&ours).unwrap())).unwrap_err();
        assert!(matches!(err, BundleError::OtherSigner { .. }), "{err}");
        // A bundle re-signed by someone else under the trusted key's name does not verify.
        let end = bytes.windows(2).position(|w| w == b"\n\n").unwrap();
        let head = std::str::from_utf8(&bytes[..end]).unwrap();
        let mut forged =
            head.replacen(&public_key(&theirs).unwrap(), &public_key(&ours).unwrap(), 1).into_bytes();
        forged.extend_from_slice(&bytes[end..]);
        assert!(matches!(open(&forged, None), Err(BundleError::BadSignature)));
    }

    #[test]
    fn pieces_put_together_give_the_bundle_back() {
        let bytes: Vec<u8> = (0..(PIECE_BYTES * 2 + 17)).map(|i| (i % 251) as u8).collect();
        let mut got = Vec::new();
        while got.len() < bytes.len() {
            let p = piece(&bytes, "d", got.len() as u64);
            assert_eq!(p.total, bytes.len() as u64);
            got.extend(piece_bytes(&p).unwrap());
        }
        assert_eq!(got, bytes);
        assert!(piece_bytes(&piece(&bytes, "d", u64::MAX)).unwrap().is_empty(), "past the end is empty");
    }
}
