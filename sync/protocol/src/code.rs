//! Enrollment codes on the wire. A laptop never sends its code: it sends the code's id (a digest
//! of a digest, by which the server finds it) and a binding, a keyed BLAKE2b code over the
//! fingerprint of the TLS certificate it saw, keyed with the digest of the code that only the
//! server keeps. A server presenting another certificate (someone in the middle) cannot use what
//! the laptop sent, and the laptop's request fails at the real server if it was relayed: the
//! binding names a certificate that is not the server's. So the certificate a laptop pins at
//! enrollment is the block's own, without anyone reading a fingerprint aloud.

use blake2::Blake2bMac;
use blake2::digest::consts::U32;
use blake2::digest::{KeyInit, Mac};

use crate::parcel::{hex, secret_digest};

/// What a server without TLS (on the same computer as its caller, in tests) binds to.
pub const PLAIN: &str = "plain-http";

const LABEL: &[u8] = b"samanvaya enrollment binding 1\n";

/// A code as typed, in the one form its digest is taken of: letters and digits, upper case
/// (dashes, spaces and case are how people read codes aloud, not part of them).
pub fn normal(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// The key a code stands for: the digest the server keeps of it.
pub fn key(code: &str) -> [u8; 32] {
    secret_digest(&normal(code))
}

/// The id the server finds a code by, from its key.
pub fn id_of(key: &[u8; 32]) -> String {
    hex(&secret_digest(&hex(key)))
}

fn mac(key: &[u8; 32], fingerprint: &str) -> Blake2bMac<U32> {
    let mut mac = <Blake2bMac<U32> as KeyInit>::new_from_slice(key).expect("a 32-byte key suits BLAKE2b");
    mac.update(LABEL);
    mac.update(fingerprint.as_bytes());
    mac
}

/// The binding of `code` to the certificate whose fingerprint the laptop saw.
pub fn binding(code: &str, fingerprint: &str) -> String {
    hex(&mac(&key(code), fingerprint).finalize().into_bytes())
}

/// Whether `binding` was made with the code of `key` for this server's own certificate.
/// The comparison takes the same time whatever the binding.
pub fn binds(key: &[u8; 32], fingerprint: &str, binding: &str) -> bool {
    let Some(bytes) = crate::parcel::unhex(binding) else { return false };
    mac(key, fingerprint).verify_slice(&bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_the_same_however_it_is_typed() {
        assert_eq!(key("abcd-efgh-jkmn"), key(" ABCD EFGH JKMN "));
        assert_ne!(key("ABCD-EFGH-JKMN"), key("ABCD-EFGH-JKMP"));
    }

    #[test]
    fn a_binding_holds_only_for_the_certificate_the_laptop_saw() {
        let code = "ABCD-EFGH-JKMN";
        let seen = "a1".repeat(32);
        let b = binding(code, &seen);
        assert!(binds(&key(code), &seen, &b));
        assert!(!binds(&key(code), &"b2".repeat(32), &b), "another certificate");
        assert!(!binds(&key("ABCD-EFGH-JKMP"), &seen, &b), "another code");
        assert!(!binds(&key(code), &seen, "not hex"));
        assert!(!binds(&key(code), &seen, &b[..62]), "a cut binding");
    }

    #[test]
    fn the_id_does_not_give_away_the_key() {
        let k = key("ABCD-EFGH-JKMN");
        let id = id_of(&k);
        assert_eq!(id.len(), 64);
        assert_ne!(id, hex(&k));
    }
}
