//! The district vouching for a block's new TLS certificate (`samanvaya_sync_protocol::vouch`).
//!
//! Each server notes the certificates it presents (`Store::certificate_in_use`, at each start),
//! and a block says them to its district at each session (`SessionRequest::certificates`). After
//! a theft the block's operator makes its `tls` folder anew and reads the new fingerprint (its
//! start line) to the district's operator, who runs `vouch-certificate`: the district signs, with
//! its catalogue key, that the block presents that certificate in place of those it reported
//! before, and sends the statement down at the block's next session. The block serves it to
//! anyone who asks (`GET /v1/vouch`): a laptop that meets the new certificate has no session
//! and checks the statement itself.
//!
//! The district vouches only for the fingerprint its operator typed, and only if it is the one
//! the block said last: a thief holding the block's secret as well as its key could report a
//! certificate of their own, and the operator's reading from the real block's screen stands
//! against it. What the block reported before is taken as said: a false old fingerprint moves
//! only laptops pinned to it, and only to the real new certificate.

use chrono::{DateTime, Utc};
use samanvaya_sync_protocol::Role;
use samanvaya_sync_protocol::vouch::{self, MAX_CERTIFICATES, MAX_STATEMENTS, Vouch, is_fingerprint};
use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Db, args};
use crate::store::Store;

/// A statement the district made (`Store::vouch_certificate`).
#[derive(Debug)]
pub struct Vouched {
    pub statement: String,
    /// The certificates the block's laptops may be pinned to, which they leave for the new one.
    pub replaces: Vec<String>,
    /// Whether the key that signed it signed the district's scheme rules too, which laptops
    /// trust from the first bundle they installed: with no rules published, none trusts it yet.
    pub trusted_by_laptops: bool,
}

/// Keeps, at a district, the certificates block `block` says it presented (`reported`, oldest
/// first, the one it presents now last), after those it said before: a block restored from a
/// backup, or a report that lost some on the way, forgets none it said once.
pub(crate) fn block_reported(db: &mut dyn Db, block: Uuid, reported: &[String]) -> Result<(), ServerError> {
    // The newest alone, before anything is compared: a session's body could name thousands.
    let from = reported.len().saturating_sub(MAX_CERTIFICATES);
    let reported: Vec<&str> =
        reported[from..].iter().map(String::as_str).filter(|f| is_fingerprint(f)).collect();
    let Some(&now_presented) = reported.last() else {
        return Ok(());
    };
    let before = db
        .query_one("SELECT certificates FROM device WHERE id = ?1", args![block])?
        .opt_text(0)?
        .unwrap_or_default();
    let mut kept: Vec<&str> = before.split_whitespace().filter(|f| *f != now_presented).collect();
    for f in &reported {
        if *f != now_presented && !kept.contains(f) {
            kept.push(f);
        }
    }
    kept.push(now_presented);
    let from = kept.len().saturating_sub(MAX_CERTIFICATES);
    let kept = kept[from..].join(" ");
    if kept != before {
        db.execute("UPDATE device SET certificates = ?1 WHERE id = ?2", args![kept, block])?;
    }
    Ok(())
}

/// The statements about block `block`'s certificates held here, oldest first: at a district
/// those it made, at the block those its district sent.
pub(crate) fn statements_of(db: &mut dyn Db, block: Uuid) -> Result<Vec<String>, ServerError> {
    let mut newest_first = db
        .query(
            &format!(
                "SELECT statement FROM certificate_vouch WHERE block_id = ?1 ORDER BY made_at DESC LIMIT {MAX_STATEMENTS}"
            ),
            args![block],
        )?
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<Vec<_>, _>>()?;
    newest_first.reverse();
    Ok(newest_first)
}

/// A certificate this block presents that the laptops pinned to an earlier one refuse, by what
/// would move them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Awaiting {
    /// The district's word: its operator vouches for it (`vouch-certificate`).
    Vouch(String),
    /// A statement of the district replaced it, and a replaced certificate is never vouched for
    /// again: the `tls` folder made anew, or the newer one put back.
    Replaced(String),
    /// Codes alone: the block has no district, or trusts no key for the district's rules, which
    /// its laptops would check a statement against.
    Codes(String),
}

impl Store {
    /// The certificates this server has presented, oldest first, the one of its latest start
    /// last.
    pub fn own_certificates(&mut self) -> Result<Vec<String>, ServerError> {
        self.db
            .query("SELECT fingerprint FROM own_certificate ORDER BY presented", &[])?
            .iter()
            .map(|r| r.text(0))
            .collect()
    }

    /// The certificate this server presents, when the laptops that pinned the one it presented
    /// before refuse it (it is not the first it presented, and it was not switched to as
    /// planned), with what would move them; `None` once a statement of the district they trust
    /// vouches for it. Its operator is told at each start and in `status`.
    pub fn certificate_awaiting_vouch(&mut self) -> Result<Option<Awaiting>, ServerError> {
        let Some(presented) = self
            .db
            .query_one(
                "SELECT max(n.fingerprint) FROM own_certificate n
                 WHERE n.presented = (SELECT max(presented) FROM own_certificate)
                   AND n.planned = 0
                   AND EXISTS (SELECT 1 FROM own_certificate o WHERE o.presented < n.presented)",
                &[],
            )?
            .opt_text(0)?
        else {
            return Ok(None);
        };
        // The statements kept were checked against the district's key when they came; while
        // this block trusts no key for the rules, neither do its laptops, and a statement moves
        // none of them.
        let statements: Vec<Vouch> = self
            .vouched_for_self()?
            .iter()
            .filter_map(|text| vouch::open(text, None).ok())
            .map(|signed| signed.vouch)
            .collect();
        let trusted = self.catalogue_signer()?.is_some();
        if trusted && statements.iter().any(|v| v.by == presented) {
            return Ok(None);
        }
        Ok(Some(if statements.iter().any(|v| v.replaces.contains(&presented)) {
            Awaiting::Replaced(presented)
        } else if !trusted || self.upstream()?.is_none() {
            Awaiting::Codes(presented)
        } else {
            Awaiting::Vouch(presented)
        }))
    }

    /// The statements about this server's own certificates, as it serves them (`GET /v1/vouch`).
    pub fn vouched_for_self(&mut self) -> Result<Vec<String>, ServerError> {
        let me = self.device();
        statements_of(&mut *self.db, me)
    }

    /// At a district: signs with `key` (the catalogue's) that block `block` presents certificate
    /// `fingerprint` (as its operator read it from the block's start line) in place of the others
    /// it reported, and keeps the statement for the block's next session. Refused, with nothing
    /// kept, for a device that is not a block of this district, a revoked one, one that has not
    /// reported its certificates, and a fingerprint that is not the one it reported last.
    pub fn vouch_certificate(
        &mut self,
        block: Uuid,
        fingerprint: &str,
        key: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Vouched, ServerError> {
        if self.role() != Role::District {
            return Err(ServerError::Invalid(
                "only a district vouches for a block's certificate; run this at the district's server".into(),
            ));
        }
        let row = self
            .db
            .query_opt("SELECT kind, revoked_at, certificates FROM device WHERE id = ?1", args![block])?
            .ok_or_else(|| {
                ServerError::Invalid(format!(
                    "no block {block} is enrolled here; `samanvaya-server devices` lists them"
                ))
            })?;
        if row.text(0)? != "block" {
            return Err(ServerError::Invalid(format!(
                "{block} is a laptop; a district vouches for its blocks' certificates, and a block's laptops follow them"
            )));
        }
        if row.opt_text(1)?.is_some() {
            return Err(ServerError::Invalid(format!(
                "block {block} was revoked here; enroll it again with a code (`enroll-code --block … --again {block}`) instead"
            )));
        }
        let reported = row.opt_text(2)?.unwrap_or_default();
        let reported: Vec<String> = reported.split_whitespace().map(str::to_owned).collect();
        let Some((presented, before)) = reported.split_last() else {
            return Err(ServerError::Invalid(format!(
                "block {block} has not said which certificate it presents: a block of this version says it at each sync with its district; let it sync once, then run this again"
            )));
        };
        if presented != fingerprint {
            return Err(ServerError::Invalid(format!(
                "block {block} said at its last sync that it presents certificate {presented}, not {fingerprint}: read the fingerprint again from the block's start line (`certificate sha256 …`); if it was started with a new certificate since, let it sync once and run this again. If the block's screen shows {fingerprint} and this keeps coming back, another machine syncs as this block: revoke it (`revoke {block}`) and enroll the block again with a code"
            )));
        }
        // What was vouched for before: a certificate a statement replaced is never vouched for
        // again (its holder could then move the laptops that followed away from it back onto
        // it with the older statement), and every certificate named before is replaced again.
        let mut earlier: Vec<String> = Vec::new();
        for text in statements_of(&mut *self.db, block)? {
            let signed = vouch::open(&text, None).map_err(|e| ServerError::Invalid(e.to_string()))?;
            if signed.vouch.replaces.iter().any(|r| r == fingerprint) {
                return Err(ServerError::Invalid(format!(
                    "certificate {fingerprint} of block {block} was replaced by the district's statement of {}: a replaced certificate is never vouched for again; make the block's certificate anew (remove its `tls` folder and start it), and vouch for the new one",
                    signed.vouch.made_at.format("%Y-%m-%d %H:%M UTC")
                )));
            }
            earlier.push(signed.vouch.by);
            earlier.extend(signed.vouch.replaces);
        }
        // Oldest first, those named only by earlier statements before those the block said, so
        // that the cap keeps the newest.
        let mut replaces: Vec<String> = Vec::new();
        for f in earlier.iter().filter(|f| !before.contains(f)).chain(before) {
            if f != fingerprint && !replaces.contains(f) {
                replaces.push(f.clone());
            }
        }
        if replaces.is_empty() {
            return Err(ServerError::Invalid(format!(
                "block {block} has presented no other certificate than {presented}: its laptops have nothing to follow it from"
            )));
        }
        let from = replaces.len().saturating_sub(MAX_CERTIFICATES);
        let replaces = replaces.split_off(from);
        let signer = samanvaya_sync_protocol::bundle::public_key(key)
            .map_err(|e| ServerError::Invalid(format!("the catalogue key cannot sign: {e}")))?;
        let trusted = self.catalogue_signer()?;
        if trusted.as_deref().is_some_and(|t| t != signer) {
            return Err(ServerError::Invalid(
                "the key in this data folder's catalogue-key.pk8 is not the one this district's scheme rules were signed with, which its laptops trust; put that key back before vouching".into(),
            ));
        }
        let statement = vouch::seal(
            &Vouch {
                block: vouch::block_digest(block),
                by: presented.clone(),
                replaces: replaces.clone(),
                made_at: now,
            },
            key,
        )
        .map_err(|e| ServerError::Invalid(e.to_string()))?;
        self.db.execute(
            "INSERT INTO certificate_vouch (block_id, made_at, statement) VALUES (?1, ?2, ?3)",
            args![block, now, &statement],
        )?;
        Ok(Vouched { statement, replaces, trusted_by_laptops: trusted.is_some() })
    }

    /// At a block: keeps the statements its district sent about its certificates, each checked
    /// against the key it trusts for the scheme rules (where it holds one) and for naming this
    /// block; returns how many were new. One that does not hold is not kept: the laptops would
    /// refuse it anyway, and a block serving it would look vouched for when it is not.
    pub fn keep_vouched(&mut self, statements: &[String]) -> Result<u64, ServerError> {
        let trusted = self.catalogue_signer()?;
        let me = self.device();
        let mut new = 0;
        for text in statements.iter().take(MAX_STATEMENTS) {
            let Ok(signed) = vouch::open(text, trusted.as_deref()) else { continue };
            if signed.vouch.block != vouch::block_digest(me) {
                continue;
            }
            new += self.db.execute(
                "INSERT INTO certificate_vouch (block_id, made_at, statement) VALUES (?1, ?2, ?3)
                 ON CONFLICT (block_id, made_at) DO NOTHING",
                args![me, signed.vouch.made_at, text],
            )?;
        }
        Ok(new)
    }
}
