//! A request or reply body as it crosses the link: JSON, compressed with zstd, with a digest of
//! the compressed bytes in a header. The digest lets the receiver refuse a damaged body before it
//! decompresses or parses anything, so a flipped byte on a bad link is a retry, never a wrong
//! record.
//!
//! Since protocol 6 both ends compress with a zstd dictionary of what every day's changes and
//! audit entries repeat (field names, fact names, codes), so that a batch small enough for a 2G
//! link compresses nearly as well as a whole day at once. It was trained by `sync-bench
//! --train-dictionary` on generated families other than the benchmark's (docs/benchmarks.md),
//! and it changes only with the protocol version: a body compressed with another dictionary
//! does not read back.

use std::sync::OnceLock;

use blake2::{Blake2b, Digest, digest::consts::U32};
use serde::Serialize;
use serde::de::DeserializeOwned;
use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

use crate::MAX_BODY_BYTES;

/// The zstd level for bodies: fast enough for an old laptop, most of the gain of higher levels
/// on small JSON batches.
const LEVEL: i32 = 9;

/// The dictionary of protocols 6 to 9 (`dictionary/README.md` says how it was made).
pub const DICTIONARY: &[u8] = include_bytes!("../dictionary/body-6.zdict");

fn encoder() -> &'static EncoderDictionary<'static> {
    static PREPARED: OnceLock<EncoderDictionary<'static>> = OnceLock::new();
    PREPARED.get_or_init(|| EncoderDictionary::copy(DICTIONARY, LEVEL))
}

fn decoder() -> &'static DecoderDictionary<'static> {
    static PREPARED: OnceLock<DecoderDictionary<'static>> = OnceLock::new();
    PREPARED.get_or_init(|| DecoderDictionary::copy(DICTIONARY))
}

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the body was damaged on the way (its digest does not match); it will be sent again")]
    Digest,
    #[error("the body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("the body is not valid compressed data: {0}")]
    Compression(#[from] std::io::Error),
    #[error("the body is not what was expected: {0}")]
    Json(#[from] serde_json::Error),
}

/// The digest of `bytes`, as lower-case hex.
pub fn digest(bytes: &[u8]) -> String {
    let sum = Blake2b::<U32>::digest(bytes);
    sum.iter().map(|b| format!("{b:02x}")).collect()
}

/// `value` as a compressed body and its digest.
pub fn seal<T: Serialize>(value: &T) -> Result<(Vec<u8>, String), BodyError> {
    let json = serde_json::to_vec(value)?;
    let packed = Compressor::with_prepared_dictionary(encoder())?.compress(&json)?;
    let sum = digest(&packed);
    Ok((packed, sum))
}

/// A request's body sealed once, kept with the value it was sealed from: the link sends the
/// bytes, a server in the same process (the simulation) takes the value, and the sync's pace
/// counts the bytes to set the request's wait. Packing a batch of 384 KB of JSON at the
/// protocol's level takes an old laptop some milliseconds, so it is done once a request.
/// Its parts are read-only, so the bytes sent are always those of the value.
#[derive(Debug)]
pub struct Sealed<'a, T> {
    value: &'a T,
    packed: Vec<u8>,
    digest: String,
}

impl<'a, T: Serialize> Sealed<'a, T> {
    pub fn new(value: &'a T) -> Result<Sealed<'a, T>, BodyError> {
        let (packed, digest) = seal(value)?;
        Ok(Sealed { value, packed, digest })
    }
}

impl<'a, T> Sealed<'a, T> {
    /// What was sealed.
    pub fn value(&self) -> &'a T {
        self.value
    }

    /// The compressed body, as sent.
    pub fn packed(&self) -> &[u8] {
        &self.packed
    }

    /// The digest of [`Sealed::packed`], sent in its header.
    pub fn digest(&self) -> &str {
        &self.digest
    }
}

/// Reads a sealed body back, refusing it if `claimed` is not its digest.
pub fn open<T: DeserializeOwned>(packed: &[u8], claimed: &str) -> Result<T, BodyError> {
    if packed.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge);
    }
    if digest(packed) != claimed.trim().to_ascii_lowercase() {
        return Err(BodyError::Digest);
    }
    let json = Decompressor::with_prepared_dictionary(decoder())?.decompress(packed, MAX_BODY_BYTES)?;
    Ok(serde_json::from_slice(&json)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_body_reads_back_and_any_damage_is_refused() {
        let value = serde_json::json!({"name": "कमला देवी", "n": [1, 2, 3]});
        let (packed, sum) = seal(&value).unwrap();
        assert_eq!(open::<serde_json::Value>(&packed, &sum).unwrap(), value);
        for i in 0..packed.len() {
            let mut bad = packed.clone();
            bad[i] ^= 0x20;
            assert!(matches!(open::<serde_json::Value>(&bad, &sum), Err(BodyError::Digest)), "byte {i}");
        }
        assert!(matches!(
            open::<serde_json::Value>(&packed[..packed.len() - 1], &sum),
            Err(BodyError::Digest)
        ));
    }

    /// Both ends must compress with the same dictionary, so it is tied to the protocol version:
    /// a new dictionary fails this until the version is bumped with it (`dictionary/README.md`).
    /// Protocols 7 (the household's consent field), 8 (the audit log's branches) and 9 (the
    /// enrollment reply's proof) kept protocol 6's dictionary.
    #[test]
    fn the_dictionary_is_the_one_of_this_protocol_version() {
        assert_eq!(crate::PROTOCOL_VERSION, 9);
        assert_eq!(digest(DICTIONARY), "7947b5ad4b941c4e6ddb9c5cd3b6cdb584158f4e2bc23d0f45c3e9a79a4c63fa");
    }

    /// A body sealed here does not read back without the dictionary (as a version-5 peer
    /// would read it), and the dictionary makes a change's body smaller.
    #[test]
    fn a_body_needs_the_dictionary_it_was_sealed_with() {
        let value = serde_json::json!({"kind": "fact", "name": "person.caste_category", "value": "obc"});
        let (packed, _) = seal(&value).unwrap();
        assert!(zstd::bulk::decompress(&packed, MAX_BODY_BYTES).is_err(), "needs the dictionary");
        let plain = zstd::bulk::compress(&serde_json::to_vec(&value).unwrap(), LEVEL).unwrap();
        assert!(packed.len() < plain.len(), "{} bytes with it, {} without", packed.len(), plain.len());
    }
}
