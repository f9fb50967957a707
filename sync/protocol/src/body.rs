//! A request or reply body as it crosses the link: JSON, compressed with zstd, with a digest of
//! the compressed bytes in a header. The digest lets the receiver refuse a damaged body before it
//! decompresses or parses anything, so a flipped byte on a bad link is a retry, never a wrong
//! record.

use blake2::{Blake2b, Digest, digest::consts::U32};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::MAX_BODY_BYTES;

/// The zstd level for bodies: fast enough for an old laptop, most of the gain of higher levels
/// on small JSON batches.
const LEVEL: i32 = 9;

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
    let packed = zstd::bulk::compress(&json, LEVEL)?;
    let sum = digest(&packed);
    Ok((packed, sum))
}

/// Reads a sealed body back, refusing it if `claimed` is not its digest.
pub fn open<T: DeserializeOwned>(packed: &[u8], claimed: &str) -> Result<T, BodyError> {
    if packed.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge);
    }
    if digest(packed) != claimed.trim().to_ascii_lowercase() {
        return Err(BodyError::Digest);
    }
    let json = zstd::bulk::decompress(packed, MAX_BODY_BYTES)?;
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
}
