//! The seal on a change a server made itself: a keyed digest (HMAC-SHA256) of its origin and
//! its content, under a key that never leaves the server's store.
//!
//! A laptop keeps the seal of each change of its block's own that it reads from the feed. A
//! block restored from a backup lost the steps its officers took after the backup and had not
//! forwarded; a laptop that read them is the only place they are left. It gives them back with
//! their seals (`given_back.rs`), and the block takes back only what its own key sealed: a
//! laptop cannot make up a step in the block's name. The key is made when the store is first
//! opened by a server of this version, so every backup taken after holds it; a block restored
//! from a backup older than that cannot take back what was sealed before (the seals do not
//! verify, and the changes stay with the laptops, as before the seal).

use ring::hmac;
use samanvaya_domain::change::Change as Typed;
use samanvaya_sync_protocol::Origin;
use samanvaya_sync_protocol::parcel::{hex, unhex};

use crate::error::ServerError;
use crate::sql::{Db, args};

/// Makes the store's key where it has none; the caller owns the transaction.
pub(crate) fn ensure_key(db: &mut dyn Db) -> Result<(), ServerError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)
        .map_err(|e| ServerError::Invalid(format!("no randomness for the seal key: {e}")))?;
    db.execute("UPDATE identity SET seal_key = ?1 WHERE id = 1 AND seal_key IS NULL", args![hex(&key)])?;
    Ok(())
}

/// The store's key.
pub(crate) fn key(db: &mut dyn Db) -> Result<hmac::Key, ServerError> {
    let text =
        db.query_one("SELECT seal_key FROM identity WHERE id = 1", &[])?.opt_text(0)?.ok_or_else(|| {
            ServerError::Invalid("the store has no seal key; start the server once to make it".into())
        })?;
    let bytes =
        unhex(&text).ok_or_else(|| ServerError::Invalid("the store's seal key is not hexadecimal".into()))?;
    Ok(hmac::Key::new(hmac::HMAC_SHA256, &bytes))
}

/// The seal of change `change` made here as `origin`.
pub(crate) fn seal(key: &hmac::Key, origin: Origin, change: &Typed) -> Result<String, ServerError> {
    Ok(hex(hmac::sign(key, &message(origin, change)?).as_ref()))
}

/// Whether `seal` is this server's seal of `change` as `origin`.
pub(crate) fn verifies(
    key: &hmac::Key,
    origin: Origin,
    change: &Typed,
    seal: &str,
) -> Result<bool, ServerError> {
    let Some(tag) = unhex(seal) else { return Ok(false) };
    Ok(hmac::verify(key, &message(origin, change)?, &tag).is_ok())
}

/// What is sealed: the origin, then the change as it travels (its JSON is the same after a
/// laptop read it and wrote it again: every field is written, in the order the type names).
fn message(origin: Origin, change: &Typed) -> Result<Vec<u8>, ServerError> {
    let mut text = format!("samanvaya seal 1\n{}\n{}\n", origin.device, origin.seq).into_bytes();
    text.extend(serde_json::to_vec(change)?);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use samanvaya_domain::change::{ChangeBody, FactChange, Source};
    use samanvaya_domain::{Hlc, HouseholdId};
    use uuid::Uuid;

    fn step() -> (Origin, Typed) {
        let device = Uuid::now_v7();
        let h = HouseholdId(Uuid::now_v7());
        let body = ChangeBody::Fact(FactChange {
            household_id: h,
            subject_id: h.0.to_string(),
            name: "household.bpl_status".into(),
            value: Some(serde_json::json!("bpl")),
            source: Source::Survey,
        });
        (Origin { device, seq: 7 }, Typed::new(Hlc { wall_ms: 1, counter: 0, node: device }, body))
    }

    /// A seal verifies for what it sealed, after the change went through JSON and back as a
    /// laptop keeps it, and for nothing else: another key, another number, another value.
    #[test]
    fn a_seal_verifies_only_what_its_key_sealed() {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &[7; 32]);
        let (origin, change) = step();
        let sealed = seal(&key, origin, &change).unwrap();
        let kept: Typed = serde_json::from_str(&serde_json::to_string(&change).unwrap()).unwrap();
        assert!(verifies(&key, origin, &kept, &sealed).unwrap());
        let other = hmac::Key::new(hmac::HMAC_SHA256, &[8; 32]);
        assert!(!verifies(&other, origin, &change, &sealed).unwrap());
        assert!(!verifies(&key, Origin { seq: 8, ..origin }, &change, &sealed).unwrap());
        let mut edited = change.clone();
        if let ChangeBody::Fact(f) = &mut edited.body {
            f.value = Some(serde_json::json!("apl"));
        }
        assert!(!verifies(&key, origin, &edited, &sealed).unwrap());
        assert!(!verifies(&key, origin, &change, "not hex").unwrap());
    }
}
