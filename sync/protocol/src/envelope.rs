//! The envelope of the files that travel on a USB stick between a laptop and its block (sync
//! files up, `parcel.rs`; the block's answers down, `feed_file.rs`): a few header lines in the
//! clear, then the compressed JSON encrypted with ChaCha20-Poly1305.
//!
//! A stick is passed from hand to hand, left in a bag, plugged into the cybercafé's computer;
//! what it carries holds names, castes, disabilities and pregnancies. The key is derived from
//! the digest of the laptop's device secret, which only the laptop and its block know (the block
//! keeps the digest, never the secret), so whoever finds the stick reads nothing but which
//! device and which block the file is for, and a changed byte anywhere, the header included
//! (it is the cipher's associated data), refuses the file.

use blake2::Blake2bMac;
use blake2::digest::consts::U32;
use blake2::digest::{KeyInit, Mac};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::parcel::{hex, unhex};

/// A file taken apart at the blank line after its header, not yet checked.
pub(crate) struct Split<'a> {
    /// The header's lines after the first (`name version`).
    pub lines: Vec<&'a str>,
    /// The whole header as written, which the cipher authenticates.
    pub head: &'a str,
    pub body: &'a [u8],
}

/// Why a file could not be taken apart.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// It is not a file of this kind at all.
    NotAFile,
    /// It is one, written in another version of the format (the number found).
    Version(u32),
}

/// Takes a file apart and checks that its first line is `name version`.
pub(crate) fn split<'a>(bytes: &'a [u8], name: &str, version: u32) -> Result<Split<'a>, SplitError> {
    let end = bytes.windows(2).position(|w| w == b"\n\n").ok_or(SplitError::NotAFile)?;
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| SplitError::NotAFile)?;
    let mut lines = head.lines();
    let first = lines.next().unwrap_or_default();
    let found = first
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix(' '))
        .and_then(|v| v.parse::<u32>().ok())
        .ok_or(SplitError::NotAFile)?;
    if found != version {
        return Err(SplitError::Version(found));
    }
    Ok(Split { lines: lines.collect(), head, body: &bytes[end + 2..] })
}

/// A fresh nonce for one file, as written in its header (`nonce …`): random, since two files
/// of one laptop are written with the same key.
pub(crate) fn nonce_line() -> String {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new().fill(&mut nonce).expect("the system's random source works");
    format!("nonce {}", hex(&nonce))
}

/// The nonce of a header's `nonce …` line.
pub(crate) fn nonce_of(line: Option<&str>) -> Option<[u8; NONCE_LEN]> {
    line.and_then(|l| l.strip_prefix("nonce ")).and_then(unhex).and_then(|b| b.try_into().ok())
}

/// The file key for a device's secret digest: derived, not the digest itself, which also
/// authenticates the device at the block.
fn key(digest: &[u8; 32]) -> LessSafeKey {
    let mut mac = <Blake2bMac<U32> as KeyInit>::new_from_slice(digest).expect("a 32-byte key suits BLAKE2b");
    mac.update(b"samanvaya: the key of the files on a USB stick");
    let derived = mac.finalize().into_bytes();
    LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &derived).expect("a 32-byte key suits ChaCha20"))
}

/// `packed` encrypted under the file key of `digest`, with `head` (which holds the nonce line)
/// authenticated beside it.
pub(crate) fn lock(digest: &[u8; 32], head: &str, nonce: [u8; NONCE_LEN], mut packed: Vec<u8>) -> Vec<u8> {
    key(digest)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(head.as_bytes()),
            &mut packed,
        )
        .expect("a file is far below the cipher's limit");
    packed
}

/// The packed bytes of a body locked by [`lock`]; `None` unless the key is this device's and
/// neither the header nor the body changed.
pub(crate) fn unlock(digest: &[u8; 32], head: &str, nonce: [u8; NONCE_LEN], body: &[u8]) -> Option<Vec<u8>> {
    let mut bytes = body.to_vec();
    let plain = key(digest)
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(head.as_bytes()), &mut bytes)
        .ok()?;
    let len = plain.len();
    bytes.truncate(len);
    Some(bytes)
}

/// The sync protocol a file's opened JSON says it speaks, read alone before its changes: a file
/// of another version may hold changes of a kind or shape this one cannot read, and the reader
/// must then be told to update, not that the file is damaged (found by a review: an answer from
/// a block updated first was refused as damaged, and writing it again failed the same way).
pub(crate) fn protocol_of(json: &[u8]) -> Result<u32, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Spoken {
        protocol: u32,
    }
    Ok(serde_json::from_slice::<Spoken>(json)?.protocol)
}
