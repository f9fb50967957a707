//! Enrollment codes on the wire. A laptop never sends its code: it sends the code's id (a digest
//! of a digest, by which the server finds it) and a binding, a keyed BLAKE2b code over the
//! fingerprint of the TLS certificate it saw, keyed with the digest of the code that only the
//! server keeps. A server presenting another certificate (someone in the middle) cannot use what
//! the laptop sent, and the laptop's request fails at the real server if it was relayed: the
//! binding names a certificate that is not the server's. So the certificate a laptop pins at
//! enrollment is the block's own, without anyone reading a fingerprint aloud.
//!
//! The server proves the same to the laptop: its reply carries a keyed code, with the same key,
//! over the certificate the laptop saw, the server's id and the secret it gives
//! ([`reply_proof`]). Someone in the middle, who never sees the code nor its key, could
//! otherwise answer the enrollment itself, be pinned, and take every later sync of the laptop.

use blake2::Blake2bMac;
use blake2::digest::consts::U32;
use blake2::digest::{KeyInit, Mac};

use crate::parcel::{hex, secret_digest};

/// What a server without TLS (on the same computer as its caller, in tests) binds to.
pub const PLAIN: &str = "plain-http";

const LABEL: &[u8] = b"samanvaya enrollment binding 1\n";
const REPLY_LABEL: &[u8] = b"samanvaya enrollment reply 1\n";
const SECRET_LABEL: &[u8] = b"samanvaya enrollment secret 1\n";

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
    keyed(key, LABEL, &[fingerprint])
}

/// A keyed code over `parts` under `label`, a newline between parts so that no two lists of
/// parts read the same (none holds one: fingerprints, ids and secrets are hex or a UUID).
fn keyed(key: &[u8; 32], label: &[u8], parts: &[&str]) -> Blake2bMac<U32> {
    let mut mac = <Blake2bMac<U32> as KeyInit>::new_from_slice(key).expect("a 32-byte key suits BLAKE2b");
    mac.update(label);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            mac.update(b"\n");
        }
        mac.update(part.as_bytes());
    }
    mac
}

/// The server's proof that it holds the code of `key`, for its reply to a device that saw
/// `fingerprint`: over the server's id and the `secret` the reply gives the device.
pub fn reply_proof(key: &[u8; 32], fingerprint: &str, server: &str, secret: &str) -> String {
    hex(&keyed(key, REPLY_LABEL, &[fingerprint, server, secret]).finalize().into_bytes())
}

/// Whether `proof` was made with `code` for this reply, over the certificate the device saw.
/// The comparison takes the same time whatever the proof.
pub fn proves(code: &str, fingerprint: &str, server: &str, secret: &str, proof: &str) -> bool {
    let Some(bytes) = crate::parcel::unhex(proof) else { return false };
    keyed(&key(code), REPLY_LABEL, &[fingerprint, server, secret]).verify_slice(&bytes).is_ok()
}

/// The secret a device sends to enroll with the server whose certificate has `fingerprint`,
/// from the `seed` it keeps (never sent): the same for every sending to one certificate, so
/// that the server's answer to any of them is the one the device keeps, and another for any
/// other certificate, so that a machine in the middle, which sees what is sent to it, learns
/// nothing the real server will take.
pub fn device_secret(seed: &str, fingerprint: &str) -> String {
    hex(&keyed(&secret_digest(seed), SECRET_LABEL, &[fingerprint]).finalize().into_bytes())
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

    #[test]
    fn a_seed_gives_each_certificate_its_own_secret_and_the_same_at_every_sending() {
        let seed = "5e".repeat(32);
        let (real, impostor) = ("c3".repeat(32), "e9".repeat(32));
        let sent = device_secret(&seed, &real);
        assert_eq!(sent, device_secret(&seed, &real), "the same at every sending");
        assert_ne!(sent, device_secret(&seed, &impostor), "what an impostor saw is not the real one's");
        assert_ne!(sent, device_secret(&"5f".repeat(32), &real));
        assert!(sent.len() == 64 && sent.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }

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
    fn a_reply_proves_the_code_only_for_what_it_gives() {
        let code = "ABCD-EFGH-JKMN";
        let (seen, server, secret) =
            ("a1".repeat(32), "01935f2a-7c00-7000-8000-000000000001", "c3".repeat(32));
        let proof = reply_proof(&key(code), &seen, server, &secret);
        assert!(proves(" abcd efgh jkmn", &seen, server, &secret, &proof), "the code however typed");
        assert!(!proves("ABCD-EFGH-JKMP", &seen, server, &secret, &proof), "another code");
        assert!(!proves(code, &"b2".repeat(32), server, &secret, &proof), "another certificate");
        assert!(
            !proves(code, &seen, "01935f2a-7c00-7000-8000-000000000002", &secret, &proof),
            "another server"
        );
        assert!(!proves(code, &seen, server, &"d4".repeat(32), &proof), "another secret");
        assert!(
            !proves(code, &seen, server, &secret, &binding(code, &seen)),
            "the laptop's binding is no proof"
        );
        assert!(!proves(code, &seen, server, &secret, ""), "none");
    }

    #[test]
    fn the_id_does_not_give_away_the_key() {
        let k = key("ABCD-EFGH-JKMN");
        let id = id_of(&k);
        assert_eq!(id.len(), 64);
        assert_ne!(id, hex(&k));
    }
}
