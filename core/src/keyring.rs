//! Who may open the store. The database key is 32 random bytes that never leave memory in the
//! clear; the keyring file beside the database holds it wrapped (ChaCha20-Poly1305) once for each
//! account, under a key derived from that account's PIN or passphrase with argon2id, and once
//! under the recovery code shown at set-up. Changing a PIN re-wraps the key and never
//! re-encrypts the data, and a forgotten PIN is recovered with the code, without the internet.
//!
//! The file also keeps each account's failed attempts, so that guessing slows down and then
//! stops for a while. Someone who copies the file can reset those counters; what protects the
//! data then is argon2id's cost per guess and the length of the secret.

use std::io::Write;
use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::StoreError;

/// The keyring file inside the data folder.
pub const KEYRING_FILE: &str = "samanvaya.keys";

/// Failed attempts allowed before each further attempt must wait.
const FREE_ATTEMPTS: u32 = 3;
/// The wait after each failure beyond the free ones, until the lock.
const SLOW_DOWN: Duration = Duration::seconds(30);
/// Failed attempts after which the account is locked for [`LOCK_FOR`].
const LOCK_AFTER: u32 = 6;
const LOCK_FOR: Duration = Duration::minutes(15);

/// A PIN, passphrase or recovery code, wiped from memory when dropped.
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Devanagari digits are read as the same digits, so that a PIN typed with a Hindi keyboard
    /// opens what the same PIN typed with an English one set up.
    pub fn new(text: impl Into<String>) -> Secret {
        let text = Zeroizing::new(text.into());
        Secret(Zeroizing::new(
            text.chars()
                .map(|c| match c {
                    '\u{0966}'..='\u{096F}' => char::from_digit(c as u32 - 0x0966, 10).unwrap_or(c),
                    _ => c,
                })
                .collect(),
        ))
    }

    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The text, for the one moment it must be shown: a recovery code at set-up.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Refuses a secret that is too short or too easy to guess: a PIN of at least six digits
    /// (not one digit repeated, nor a run such as 123456), or a passphrase of at least eight
    /// characters.
    pub fn check_strength(&self) -> Result<(), StoreError> {
        let s = self.0.trim();
        let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
        let weak = |reason: &'static str| Err(StoreError::WeakSecret { reason });
        if !s.is_empty() && digits.len() == s.chars().count() {
            if digits.len() < 6 {
                return weak("a PIN needs at least 6 digits");
            }
            let steps: Vec<i64> = digits.windows(2).map(|w| w[1] as i64 - w[0] as i64).collect();
            if steps.iter().all(|&d| d == 0)
                || steps.iter().all(|&d| d == 1)
                || steps.iter().all(|&d| d == -1)
            {
                return weak("this PIN is too easy to guess (one digit repeated, or digits in a row)");
            }
            return Ok(());
        }
        if s.chars().count() < 8 {
            return weak("a passphrase needs at least 8 characters (or use a PIN of 6 digits or more)");
        }
        Ok(())
    }
}

/// The random key the database is encrypted with.
pub struct DbKey(Zeroizing<[u8; 32]>);

/// Never prints the key: a debug log or a panic message must not carry it.
impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(…)")
    }
}

impl DbKey {
    pub fn random() -> DbKey {
        let key = ChaCha20Poly1305::generate_key(&mut OsRng);
        let mut out = Zeroizing::new([0u8; 32]);
        out.copy_from_slice(&key);
        DbKey(out)
    }

    /// A second copy, for the store to keep while it is open (its backups are encrypted with it).
    pub(crate) fn copy(&self) -> DbKey {
        DbKey(Zeroizing::new(*self.0))
    }

    /// The key as SQLCipher's raw-key literal, `x'…'`, so that SQLCipher runs no KDF of its own.
    pub fn sqlcipher_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex(&self.0[..])))
    }
}

/// What an account may do on the laptop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Role {
    /// All village work.
    Facilitator,
    /// Village work, and corrections, deletions and merges.
    Supervisor,
    /// Reads, for the Samiti's meeting; changes nothing.
    SamitiViewer,
}

impl Role {
    /// Records village work: households, answers, referrals.
    pub fn may_write(self) -> bool {
        matches!(self, Role::Facilitator | Role::Supervisor)
    }

    /// Deletes what was recorded (a member removed from a household): a facilitator marks a
    /// member as died or moved away instead, which keeps the history.
    pub fn may_delete(self) -> bool {
        self == Role::Supervisor
    }

    /// Takes the sensitive facts of the vocabulary (caste, religion, disability, income, HIV)
    /// off the laptop in an export: the supervisor answers for it, and each time is audited.
    pub fn may_export_sensitive(self) -> bool {
        self == Role::Supervisor
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Facilitator => "facilitator",
            Role::Supervisor => "supervisor",
            Role::SamitiViewer => "samiti_viewer",
        }
    }
}

/// The key wrapped under one secret, with what is needed to derive the wrapping key again.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Slot {
    salt: String,
    nonce: String,
    wrapped: String,
    /// argon2id's memory (KiB), passes and lanes, kept so that stronger settings can come later
    /// without locking anyone out.
    m_kib: u32,
    t: u32,
    p: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    slot: Slot,
    failed: u32,
    locked_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Keyring {
    version: u32,
    pub accounts: Vec<Account>,
    recovery: Slot,
    /// The key wrapped once more under a second recovery code that only the laptop's block
    /// keeps (sent at a sync), for a facilitator who has forgotten her PIN and lost the code
    /// shown at set-up: the block office reads it to her. None until the block keeps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    block_recovery: Option<Slot>,
    /// The language last chosen, so that the lock screen speaks it before the store is open.
    #[serde(default)]
    pub language: Option<crate::setting::Language>,
}

/// A recovery code, shown once at set-up: 20 characters from an alphabet without look-alikes,
/// in groups of four (about 100 bits).
pub fn new_recovery_code() -> Secret {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut raw = Zeroizing::new([0u8; 20]);
    let key = ChaCha20Poly1305::generate_key(&mut OsRng);
    raw.copy_from_slice(&key[..20]);
    let mut code = String::with_capacity(24);
    for (i, b) in raw.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(ALPHABET[*b as usize % ALPHABET.len()] as char);
    }
    Secret::new(code)
}

/// A recovery code as typed: upper case, without spaces or dashes.
fn normalise_code(code: &Secret) -> Secret {
    Secret::new(
        code.0
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect::<String>(),
    )
}

impl Keyring {
    /// A keyring for `key` with one account and the recovery code.
    pub fn new(
        key: &DbKey,
        name: &str,
        role: Role,
        secret: &Secret,
        code: &Secret,
    ) -> Result<Keyring, StoreError> {
        Ok(Keyring {
            version: 1,
            accounts: vec![Account {
                id: Uuid::now_v7(),
                name: name.trim().to_owned(),
                role,
                slot: wrap(key, secret)?,
                failed: 0,
                locked_until: None,
            }],
            recovery: wrap(key, &normalise_code(code))?,
            block_recovery: None,
            language: None,
        })
    }

    /// The keyring as the bytes a backup carries.
    pub fn to_bytes(&self) -> Result<Vec<u8>, StoreError> {
        serde_json::to_vec(self).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Keyring, StoreError> {
        serde_json::from_slice(bytes)
            .map_err(|e| StoreError::Corrupt(format!("the keyring cannot be read: {e}")))
    }

    pub fn read(dir: &Path) -> Result<Option<Keyring>, StoreError> {
        let path = dir.join(KEYRING_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                StoreError::Corrupt(format!("the keyring {} cannot be read: {e}", path.display()))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StoreError::DataDir { path: path.display().to_string(), source }),
        }
    }

    /// Writes the keyring whole or not at all: a temporary file, synced, renamed into place.
    pub fn write(&self, dir: &Path) -> Result<(), StoreError> {
        let path = dir.join(KEYRING_FILE);
        let tmp = dir.join(format!("{KEYRING_FILE}.part"));
        let failed = |source| StoreError::DataDir { path: path.display().to_string(), source };
        let text = serde_json::to_vec_pretty(self).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut f = std::fs::File::create(&tmp).map_err(failed)?;
        f.write_all(&text).map_err(failed)?;
        f.sync_all().map_err(failed)?;
        std::fs::rename(&tmp, &path).map_err(failed)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// The account called `name` (any case), or the only one when `name` is `None`.
    pub fn find(&self, name: Option<&str>) -> Result<usize, StoreError> {
        match name {
            Some(n) => self
                .accounts
                .iter()
                .position(|a| a.name.to_lowercase() == n.trim().to_lowercase())
                .ok_or_else(|| StoreError::NoAccount { name: n.to_owned() }),
            None if self.accounts.len() == 1 => Ok(0),
            None => Err(StoreError::WhichAccount {
                names: self.accounts.iter().map(|a| a.name.clone()).collect(),
            }),
        }
    }

    /// Unwraps the database key with account `i`'s secret, counting a failure against it. The
    /// caller writes the keyring back either way, so that the count survives a restart.
    pub fn unlock(&mut self, i: usize, secret: &Secret, now: DateTime<Utc>) -> Result<DbKey, StoreError> {
        let a = &mut self.accounts[i];
        if let Some(until) = a.locked_until.filter(|u| *u > now) {
            return Err(StoreError::LockedOut { seconds: (until - now).num_seconds().max(1) as u64 });
        }
        match unwrap(&a.slot, secret) {
            Some(key) => {
                a.failed = 0;
                a.locked_until = None;
                Ok(key)
            }
            None => {
                a.failed += 1;
                a.locked_until = match a.failed {
                    n if n >= LOCK_AFTER => Some(now + LOCK_FOR),
                    n if n > FREE_ATTEMPTS => Some(now + SLOW_DOWN),
                    _ => None,
                };
                Err(StoreError::WrongSecret { attempts_left: LOCK_AFTER.saturating_sub(a.failed) })
            }
        }
    }

    /// Adds an account called `name` with `role` and its own secret, wrapping `key` for it.
    pub fn add_account(
        &mut self,
        key: &DbKey,
        name: &str,
        role: Role,
        secret: &Secret,
    ) -> Result<(), StoreError> {
        secret.check_strength()?;
        let name = name.trim();
        if name.is_empty() || self.find(Some(name)).is_ok() {
            return Err(StoreError::AccountName { name: name.to_owned() });
        }
        self.accounts.push(Account {
            id: Uuid::now_v7(),
            name: name.to_owned(),
            role,
            slot: wrap(key, secret)?,
            failed: 0,
            locked_until: None,
        });
        Ok(())
    }

    /// Forgets every account's failed attempts: a restored keyring starts afresh on its laptop.
    pub fn reset_attempts(&mut self) {
        for a in &mut self.accounts {
            a.failed = 0;
            a.locked_until = None;
        }
    }

    /// The database key from account `i`'s secret, without counting or checking attempts: for a
    /// backup file, whose copy of the counters is not the laptop's.
    pub fn try_secret(&self, i: usize, secret: &Secret) -> Option<DbKey> {
        unwrap(&self.accounts[i].slot, secret)
    }

    /// The database key from the recovery code shown at set-up, or from the one the block keeps;
    /// a wrong code counts against no account but is as slow to try as a PIN.
    /// The block's code is used once: read out over the phone, it is no longer secret, so it is
    /// dropped from the keyring (the caller writes it) and the next sync gives the block a new one.
    pub fn recover(&mut self, code: &Secret) -> Result<DbKey, StoreError> {
        let code = normalise_code(code);
        if let Some(key) = unwrap(&self.recovery, &code) {
            return Ok(key);
        }
        match self.block_recovery.as_ref().and_then(|slot| unwrap(slot, &code)) {
            Some(key) => {
                self.block_recovery = None;
                Ok(key)
            }
            None => Err(StoreError::WrongSecret { attempts_left: u32::MAX }),
        }
    }

    /// The database key from the recovery code shown at set-up only: what proves that a new
    /// account may be added. The block's code, once read out over the phone, must not let
    /// whoever heard it add a supervisor.
    pub fn setup_code(&self, code: &Secret) -> Result<DbKey, StoreError> {
        unwrap(&self.recovery, &normalise_code(code))
            .ok_or(StoreError::WrongSecret { attempts_left: u32::MAX })
    }

    /// Whether the block keeps a recovery code for this keyring.
    pub fn has_block_recovery(&self) -> bool {
        self.block_recovery.is_some()
    }

    /// Wraps `key` under `code`, the recovery code the block now keeps, in place of any before.
    pub fn set_block_recovery(&mut self, key: &DbKey, code: &Secret) -> Result<(), StoreError> {
        self.block_recovery = Some(wrap(key, &normalise_code(code))?);
        Ok(())
    }

    /// Puts in the block recovery slot made beforehand by [`Keyring::set_block_recovery`] on
    /// another copy: the slow key derivation then happens before the keyring is read again, so
    /// the read, change and write that follow leave almost no time for another writer.
    pub fn take_block_recovery(&mut self, from: Keyring) {
        self.block_recovery = from.block_recovery;
    }

    /// Wraps `key` under account `i`'s new secret and clears its failed attempts.
    pub fn set_secret(&mut self, i: usize, key: &DbKey, secret: &Secret) -> Result<(), StoreError> {
        secret.check_strength()?;
        let a = &mut self.accounts[i];
        a.slot = wrap(key, secret)?;
        a.failed = 0;
        a.locked_until = None;
        Ok(())
    }
}

/// argon2id with the OWASP minimum (19 MiB, 2 passes, 1 lane): about a tenth of a second here.
const M_KIB: u32 = 19 * 1024;
const T: u32 = 2;
const P: u32 = 1;

fn derive(
    secret: &Secret,
    salt: &[u8],
    m_kib: u32,
    t: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 32]>, StoreError> {
    let params = Params::new(m_kib, t, p, Some(32))
        .map_err(|e| StoreError::Corrupt(format!("argon2 settings: {e}")))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(secret.bytes(), salt, &mut out[..])
        .map_err(|e| StoreError::Corrupt(format!("argon2: {e}")))?;
    Ok(out)
}

fn wrap(key: &DbKey, secret: &Secret) -> Result<Slot, StoreError> {
    let salt = ChaCha20Poly1305::generate_key(&mut OsRng);
    let kek = derive(secret, &salt[..16], M_KIB, T, P)?;
    let cipher =
        ChaCha20Poly1305::new_from_slice(&kek[..]).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let wrapped = cipher.encrypt(&nonce, &key.0[..]).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Slot { salt: hex(&salt[..16]), nonce: hex(&nonce), wrapped: hex(&wrapped), m_kib: M_KIB, t: T, p: P })
}

fn unwrap(slot: &Slot, secret: &Secret) -> Option<DbKey> {
    let salt = unhex(&slot.salt)?;
    let kek = derive(secret, &salt, slot.m_kib, slot.t, slot.p).ok()?;
    let cipher = ChaCha20Poly1305::new_from_slice(&kek[..]).ok()?;
    let nonce = unhex(&slot.nonce)?;
    let plain =
        Zeroizing::new(cipher.decrypt(Nonce::from_slice(&nonce), unhex(&slot.wrapped)?.as_slice()).ok()?);
    let mut out = Zeroizing::new([0u8; 32]);
    (plain.len() == 32).then(|| {
        out.copy_from_slice(&plain);
        DbKey(out)
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    text.len()
        .is_multiple_of(2)
        .then(|| (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_secrets_are_refused_with_the_reason() {
        for (s, ok) in [
            ("12345", false),
            ("123456", false),
            ("654321", false),
            ("000000", false),
            ("482916", true),
            ("२४६८१०", true),
            ("short", false),
            ("mera gaon sahpur", true),
        ] {
            assert_eq!(Secret::new(s).check_strength().is_ok(), ok, "{s}");
        }
    }

    #[test]
    fn the_blocks_recovery_code_opens_the_key_beside_the_one_from_set_up() {
        let key = DbKey::random();
        let (code, blocks) = (new_recovery_code(), new_recovery_code());
        let mut ring =
            Keyring::new(&key, "Sunita", Role::Facilitator, &Secret::new("482916"), &code).unwrap();
        assert!(!ring.has_block_recovery());
        assert!(ring.recover(&blocks).is_err(), "not before the block keeps it");
        ring.set_block_recovery(&key, &blocks).unwrap();
        let mut ring = Keyring::from_bytes(&ring.to_bytes().unwrap()).unwrap();
        assert!(ring.has_block_recovery());
        assert_eq!(&ring.recover(&code).unwrap().0[..], &key.0[..], "the set-up code works");
        assert!(ring.has_block_recovery(), "and leaves the block's in place");
        assert!(ring.recover(&new_recovery_code()).is_err());
        let read_out = Secret::new(blocks.0.to_lowercase().replace('-', " "));
        assert_eq!(&ring.recover(&read_out).unwrap().0[..], &key.0[..], "as read out over the phone");
        assert!(!ring.has_block_recovery(), "once read out, it is used up");
        assert!(ring.recover(&read_out).is_err());
        ring.set_block_recovery(&key, &blocks).unwrap();
        assert!(ring.setup_code(&blocks).is_err(), "the block's code adds no account");
        assert_eq!(&ring.setup_code(&code).unwrap().0[..], &key.0[..]);
    }

    #[test]
    fn the_key_unwraps_with_the_pin_or_the_code_only_and_failures_slow_down_then_lock() {
        let key = DbKey::random();
        let code = new_recovery_code();
        assert_eq!(code.0.len(), 24);
        let mut ring =
            Keyring::new(&key, "Sunita", Role::Facilitator, &Secret::new("482916"), &code).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z").unwrap().with_timezone(&Utc);
        let got = ring.unlock(0, &Secret::new("482916"), now).unwrap();
        assert_eq!(&got.0[..], &key.0[..]);
        let hindi = ring.unlock(0, &Secret::new("४८२९१६"), now).unwrap();
        assert_eq!(&hindi.0[..], &key.0[..], "the same PIN in Devanagari digits");
        // The code works typed in lower case with spaces.
        let typed = Secret::new(code.0.to_lowercase().replace('-', " "));
        assert_eq!(&ring.recover(&typed).unwrap().0[..], &key.0[..]);

        for attempt in 1..=FREE_ATTEMPTS {
            let e = ring.unlock(0, &Secret::new("000111"), now).unwrap_err();
            assert!(
                matches!(e, StoreError::WrongSecret { attempts_left } if attempts_left == LOCK_AFTER - attempt)
            );
        }
        // Beyond the free attempts each one must wait, even with the right PIN.
        assert!(ring.unlock(0, &Secret::new("000111"), now).is_err());
        assert!(matches!(ring.unlock(0, &Secret::new("482916"), now), Err(StoreError::LockedOut { .. })));
        let later = now + SLOW_DOWN + Duration::seconds(1);
        assert!(ring.unlock(0, &Secret::new("482916"), later).is_ok(), "the right PIN after the wait");
        // Six wrong in a row lock the account for a quarter of an hour.
        let mut t = later;
        for _ in 0..LOCK_AFTER {
            let _ = ring.unlock(0, &Secret::new("000111"), t);
            t += SLOW_DOWN + Duration::seconds(1);
        }
        match ring.unlock(0, &Secret::new("482916"), t) {
            Err(StoreError::LockedOut { seconds }) => assert!(seconds > 600, "{seconds}"),
            other => panic!("expected a lock, got {:?}", other.map(|_| ())),
        }
    }
}
