//! The envelope of every file a district signs with its Ed25519 key (a catalogue bundle, a
//! statement vouching for a block's certificate): a first line that says what the file is, the
//! signer's public key, the signature, a blank line and the body.
//!
//! ```text
//! <first line>
//! key <the public key, hex>
//! signature <the signature, hex>
//!
//! <body>
//! ```
//!
//! The signature covers the first line, the key line and the body, so that a file of one kind
//! is never taken for another signed with the same key, and a file re-signed by someone else
//! under the trusted key's name does not verify.

use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

use crate::parcel::{hex, unhex};

/// Why a signed file was not opened; each kind of file says it in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The file does not start with the first line asked for.
    OtherKind,
    /// The header is cut short or the signature does not hold over the file.
    BadSignature,
    /// The signature holds, made with another key than the trusted one.
    OtherSigner { trusted: String, found: String },
}

/// A file whose signature holds: its signer and its body.
pub(crate) struct Opened<'a> {
    pub key: &'a str,
    pub body: &'a [u8],
}

fn signed_message(first_line: &str, key: &str, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{first_line}\nkey {key}\n").into_bytes();
    message.extend_from_slice(body);
    message
}

/// `body` under `first_line`, signed with `pair`.
pub(crate) fn seal(first_line: &str, pair: &Ed25519KeyPair, body: &[u8]) -> Vec<u8> {
    let key = hex(pair.public_key().as_ref());
    let signature = pair.sign(&signed_message(first_line, &key, body));
    let mut out = format!("{first_line}\nkey {key}\nsignature {}\n\n", hex(signature.as_ref())).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Reads a file that must start with `first_line` and checks its signature; with `trusted`, the
/// signer must be that key.
pub(crate) fn open<'a>(
    first_line: &str,
    bytes: &'a [u8],
    trusted: Option<&str>,
) -> Result<Opened<'a>, Refusal> {
    let end = bytes.windows(2).position(|w| w == b"\n\n").ok_or(Refusal::OtherKind)?;
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| Refusal::OtherKind)?;
    let mut lines = head.lines();
    if lines.next() != Some(first_line) {
        return Err(Refusal::OtherKind);
    }
    let key = lines.next().and_then(|l| l.strip_prefix("key ")).ok_or(Refusal::BadSignature)?;
    let signature = lines
        .next()
        .and_then(|l| l.strip_prefix("signature "))
        .and_then(unhex)
        .ok_or(Refusal::BadSignature)?;
    let public = unhex(key).ok_or(Refusal::BadSignature)?;
    let body = &bytes[end + 2..];
    UnparsedPublicKey::new(&ED25519, &public)
        .verify(&signed_message(first_line, key, body), &signature)
        .map_err(|_| Refusal::BadSignature)?;
    // The signature is checked before the signer, so that a damaged file is called damaged.
    if let Some(trusted) = trusted
        && trusted != key
    {
        return Err(Refusal::OtherSigner { trusted: trusted.to_owned(), found: key.to_owned() });
    }
    Ok(Opened { key, body })
}
