//! The district vouching for a block's new TLS certificate, so that its laptops follow it
//! without a code.
//!
//! A laptop pins its block's certificate at enrollment and talks to no other. When the block's
//! key is stolen (its computer broken into, its `tls` folder copied), its operator makes a new
//! certificate, and every laptop met it as an impostor until its facilitator typed a code made
//! for it. With this statement the district, whose catalogue key the laptops already trust (they
//! installed a bundle signed with it over the pinned link), says which certificate the block now
//! presents and which it presented before; a laptop pinned to one of those before meets the new
//! one, fetches the statement from it, checks it, and pins the new one.
//!
//! The statement is short text, signed with the same Ed25519 key as the catalogue, in the same
//! envelope (`signed.rs`), under its own first line so that no statement can ever be read as a
//! bundle nor a bundle as one:
//!
//! ```text
//! SAMANVAYA-VOUCH 1
//! key <the district's Ed25519 public key, hex>
//! signature <the Ed25519 signature, hex>
//!
//! block <a digest of the block's server id>
//! by <the new certificate's SHA-256, hex>
//! replaces <a certificate the block presented before>
//! made <when the district made the statement, RFC 3339>
//! ```
//!
//! The block is named by a digest of its id, not its id: the statement is served to anyone who
//! asks (a laptop meeting the new certificate has no session yet), and a block's id tells whoever
//! holds it the identity to take at a district that lost it, which is why no open answer of a
//! block names it. Its laptops know the id and compute the digest.
//!
//! A statement moves a laptop only from a certificate it names as replaced to the one it names
//! as new: what the thief of an old key can replay (an older statement) names the certificates
//! of its own time, never one pinned later, so it moves no laptop back to the stolen key; and the
//! district never vouches for a certificate a statement of it replaced. Statements do not expire
//! (a village laptop's clock can be years off): a laptop still pinned to a certificate older than
//! a key stolen later can be moved onto that key by its holder replaying the statement that
//! vouched for it, until the laptop meets the block's newest certificate.

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use chrono::{DateTime, SecondsFormat, Utc};
use ring::signature::Ed25519KeyPair;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::parcel::hex;
use crate::signed;

/// The first line of every statement.
pub const MAGIC: &str = "SAMANVAYA-VOUCH 1";

/// The most statements a block serves, and a laptop reads, at once: one a certificate the block
/// had, of which a real block has a handful in its life.
pub const MAX_STATEMENTS: usize = 64;

/// The most certificates a server says it presented, and a statement names as replaced: the
/// newest are kept.
pub const MAX_CERTIFICATES: usize = 64;

/// The largest answer of `GET /v1/vouch` a device reads: the statements at their largest, with
/// room to spare. The answer comes over a connection that trusts any certificate, so anyone in
/// the middle could otherwise send without end.
pub const MAX_REPLY_BYTES: usize = 1 << 20;

/// A district's word on a block's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vouch {
    /// [`block_digest`] of the block's server id.
    pub block: String,
    /// The certificate the block presents now.
    pub by: String,
    /// The certificates the block presented before, which a laptop may be pinned to.
    pub replaces: Vec<String>,
    pub made_at: DateTime<Utc>,
}

/// A statement read back, with the key that signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub vouch: Vouch,
    pub key: String,
}

/// `GET /v1/vouch`: the district's statements about the block's certificates, as text, newest
/// last; empty when the district made none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VouchReply {
    pub statements: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VouchError {
    #[error("this is not a district's statement about a block's certificate")]
    NotAStatement,
    #[error("the statement's signature does not match its text: it was changed or damaged on the way")]
    BadSignature,
    #[error(
        "the statement is signed by another key ({found}) than the district's this device trusts ({trusted})"
    )]
    OtherSigner { trusted: String, found: String },
    #[error(
        "a statement must name a new certificate and at least one it replaces, each a SHA-256 fingerprint in hex, the new one not among them"
    )]
    BadCertificates,
    #[error("the district's signing key could not be used: {0}")]
    Key(String),
}

/// The digest that names block `server` in a statement.
pub fn block_digest(server: Uuid) -> String {
    let mut hash = Blake2b::<U32>::new();
    hash.update(b"samanvaya vouch block\n");
    hash.update(server.to_string().as_bytes());
    hex(&hash.finalize())
}

/// Whether `text` is a certificate's fingerprint as servers print it: SHA-256, 64 digits of
/// lowercase hex.
pub fn is_fingerprint(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn body(vouch: &Vouch) -> Result<String, VouchError> {
    if !is_fingerprint(&vouch.by)
        || vouch.replaces.is_empty()
        || vouch.replaces.len() > MAX_CERTIFICATES
        || vouch.replaces.iter().any(|r| !is_fingerprint(r) || *r == vouch.by)
    {
        return Err(VouchError::BadCertificates);
    }
    let mut text = format!("block {}\nby {}\n", vouch.block, vouch.by);
    for replaced in &vouch.replaces {
        text.push_str(&format!("replaces {replaced}\n"));
    }
    text.push_str(&format!("made {}\n", vouch.made_at.to_rfc3339_opts(SecondsFormat::Millis, true)));
    Ok(text)
}

/// `vouch` as the text of a statement, signed with the district's PKCS#8 key (the catalogue's).
pub fn seal(vouch: &Vouch, pkcs8: &[u8]) -> Result<String, VouchError> {
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|e| VouchError::Key(e.to_string()))?;
    let sealed = signed::seal(MAGIC, &pair, body(vouch)?.as_bytes());
    // Every part of it is text: the first line, hex and the body.
    Ok(String::from_utf8(sealed).expect("a statement is text"))
}

/// Reads a statement and checks its signature; with `trusted`, the signer must be that key.
pub fn open(text: &str, trusted: Option<&str>) -> Result<Signed, VouchError> {
    let signed::Opened { key, body } =
        signed::open(MAGIC, text.as_bytes(), trusted).map_err(|refusal| match refusal {
            signed::Refusal::OtherKind => VouchError::NotAStatement,
            signed::Refusal::BadSignature => VouchError::BadSignature,
            signed::Refusal::OtherSigner { trusted, found } => VouchError::OtherSigner { trusted, found },
        })?;
    // The body is what follows the first blank line of `text`, so it is text too.
    let body = std::str::from_utf8(body).map_err(|_| VouchError::NotAStatement)?;
    let vouch = read_body(body).ok_or(VouchError::NotAStatement)?;
    // The text is read back as it was written: a statement whose lines say more or otherwise
    // than its fields (a line twice, in another order) is not one the district made.
    if self::body(&vouch)? != body {
        return Err(VouchError::NotAStatement);
    }
    Ok(Signed { vouch, key: key.to_owned() })
}

fn read_body(body: &str) -> Option<Vouch> {
    let mut lines = body.lines();
    let block = lines.next()?.strip_prefix("block ")?.to_owned();
    let by = lines.next()?.strip_prefix("by ")?.to_owned();
    let mut replaces = Vec::new();
    for line in lines {
        if let Some(replaced) = line.strip_prefix("replaces ") {
            replaces.push(replaced.to_owned());
        } else {
            let made_at = DateTime::parse_from_rfc3339(line.strip_prefix("made ")?).ok()?.with_timezone(&Utc);
            return Some(Vouch { block, by, replaces, made_at });
        }
    }
    None
}

/// Of `statements` (read with [`open`], each already checked against the district's key), the
/// one that moves a device of block `server` pinned to `pinned` to `presented`, the certificate
/// the block presents now: it names the block, `presented` as new and `pinned` as replaced.
pub fn follows<'a>(
    statements: &'a [Vouch],
    server: Uuid,
    pinned: &str,
    presented: &str,
) -> Option<&'a Vouch> {
    let block = block_digest(server);
    statements
        .iter()
        .filter(|v| v.block == block && v.by == presented && v.replaces.iter().any(|r| r == pinned))
        .max_by_key(|v| v.made_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::{new_signing_key, public_key};

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    fn vouch(server: Uuid, by: &str, replaces: &[&str]) -> Vouch {
        Vouch {
            block: block_digest(server),
            by: by.to_owned(),
            replaces: replaces.iter().map(|r| r.to_string()).collect(),
            made_at: "2026-12-07T10:00:00.125Z".parse().unwrap(),
        }
    }

    #[test]
    fn a_statement_reads_back_with_its_signer_and_any_change_to_it_is_refused() {
        let key = new_signing_key().unwrap();
        let public = public_key(&key).unwrap();
        let block = Uuid::now_v7();
        let made = vouch(block, B, &[A]);
        let text = seal(&made, &key).unwrap();
        assert_eq!(open(&text, Some(&public)).unwrap(), Signed { vouch: made.clone(), key: public.clone() });
        for i in 0..text.len() {
            let mut bad = text.clone().into_bytes();
            bad[i] ^= 0x01;
            let Ok(bad) = String::from_utf8(bad) else { continue };
            assert!(open(&bad, None).is_err(), "a flipped bit at byte {i} went unnoticed");
        }
        assert!(open(&text[..text.len() - 1], None).is_err(), "a cut statement is refused");
        let other = new_signing_key().unwrap();
        assert!(matches!(
            open(&seal(&made, &other).unwrap(), Some(&public)),
            Err(VouchError::OtherSigner { .. })
        ));
        // A catalogue bundle, signed with the same key, is not a statement.
        let bundle = crate::bundle::CatalogueBundle {
            label: "x".into(),
            made_at: made.made_at,
            schemes: vec![],
            groups: vec![],
            forms: vec![],
        };
        let bundle = String::from_utf8_lossy(&crate::bundle::seal(&bundle, &key).unwrap()).into_owned();
        assert_eq!(open(&bundle, Some(&public)), Err(VouchError::NotAStatement));
    }

    #[test]
    fn a_statement_names_a_new_certificate_and_others_it_replaces() {
        let key = new_signing_key().unwrap();
        let block = Uuid::now_v7();
        for bad in
            [vouch(block, B, &[]), vouch(block, B, &[B]), vouch(block, "B", &[A]), vouch(block, B, &["a"])]
        {
            assert_eq!(seal(&bad, &key), Err(VouchError::BadCertificates), "{bad:?}");
        }
    }

    #[test]
    fn a_device_follows_only_from_a_replaced_certificate_of_its_own_block_to_the_new_one() {
        let block = Uuid::now_v7();
        let first = vouch(block, B, &[A]);
        let mut second = vouch(block, C, &[A, B]);
        second.made_at += chrono::Duration::days(30);
        let statements = [first.clone(), second.clone()];
        assert_eq!(follows(&statements, block, A, B), Some(&first));
        assert_eq!(
            follows(&statements, block, A, C),
            Some(&second),
            "from the first certificate to the third at once"
        );
        assert_eq!(follows(&statements, block, B, C), Some(&second));
        // The thief of the first key replays the first statement to a device pinned since to
        // the second or the third: nothing moves it back.
        assert_eq!(follows(&statements, block, B, A), None);
        assert_eq!(follows(&statements, block, C, B), None);
        assert_eq!(follows(&statements, block, C, A), None);
        // Another block's statement moves no device of this block.
        assert_eq!(follows(&statements, Uuid::now_v7(), A, B), None);
    }
}
