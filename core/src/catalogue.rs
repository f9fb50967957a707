//! The scheme catalogue the store judges with: the one built into the app, until the district
//! sends a bundle of its own (by sync or on a USB stick), which is then used until a newer one
//! arrives. Installing a bundle moves the in-use mark in one transaction, so every screen and
//! every connection to the store (the window's and the sync's) judge with the new rules from the
//! next call on, and no decision is ever made on half of one and half of the other.
//!
//! Checking the signature is the sync side's job (`samanvaya-sync-laptop`); this module keeps
//! the signer the laptop trusts and refuses a bundle signed by another, so that no path into the
//! store skips that rule.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use samanvaya_rules::Catalogue;
use serde::Serialize;
use ts_rs::TS;

use crate::error::StoreError;
use crate::store::Store;

/// A bundle whose signature the sync side checked, with its files, ready to be installed.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    pub digest: String,
    pub label: String,
    pub made_at: DateTime<Utc>,
    /// The district's public key that signed it, hex.
    pub signer: String,
    /// The file as it arrived, kept so that the rules can be loaded again at the next start.
    pub file: Vec<u8>,
    pub schemes: Vec<(String, String)>,
    pub groups: Vec<(String, String)>,
    /// The district's versions of the survey form: file name and bytes.
    pub forms: Vec<(String, Vec<u8>)>,
}

/// The rules one decision is made with: the catalogue and the version a referral records.
#[derive(Clone, Copy)]
pub struct Rules {
    pub catalogue: &'static Catalogue,
    pub version: &'static str,
}

/// Which catalogue is in use, for the sync panel and `samanvaya catalogue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct CatalogueInUse {
    /// The district's name for the bundle; none for the catalogue built into the app.
    pub label: Option<String>,
    #[ts(type = "string | null")]
    pub made_at: Option<DateTime<Utc>>,
    #[ts(type = "string | null")]
    pub installed_at: Option<DateTime<Utc>>,
    /// The version referrals record (`builtin-…` or `district-…`).
    pub version: String,
    pub schemes: usize,
}

/// What installing a bundle did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// The bundle is now in use.
    New { label: String, schemes: usize, forms: usize },
    /// The bundle was in use already; nothing changed.
    Already { label: String },
    /// A newer bundle is in use (one brought on a USB stick before the block had it); the older
    /// one is not put back.
    Older { label: String, in_use: String },
}

/// The catalogues of bundles loaded in this process, by digest. Each is loaded once and kept for
/// the life of the process (`Box::leak`), so that a decision can hold `&'static Catalogue` like
/// the built-in one: a district sends a new bundle a few times a year, and a process keeps at
/// most the few it has seen.
fn loaded() -> &'static Mutex<HashMap<String, Rules>> {
    static LOADED: OnceLock<Mutex<HashMap<String, Rules>>> = OnceLock::new();
    LOADED.get_or_init(|| Mutex::new(HashMap::new()))
}

fn as_pairs(files: &[(String, String)]) -> Vec<(&str, &str)> {
    files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect()
}

/// The rules of a bundle's files, loaded and checked once per process.
fn load(
    digest: &str,
    schemes: &[(String, String)],
    groups: &[(String, String)],
) -> Result<Rules, StoreError> {
    if let Some(rules) = loaded().lock().map_err(|_| poisoned())?.get(digest) {
        return Ok(*rules);
    }
    let catalogue = samanvaya_eligibility::bundle::check(&as_pairs(schemes), &as_pairs(groups))
        .map_err(|problems| StoreError::Bundle(problems.join("\n")))?;
    let rules = Rules {
        catalogue: Box::leak(Box::new(catalogue)),
        version: Box::leak(samanvaya_eligibility::bundle::version(digest).into_boxed_str()),
    };
    loaded().lock().map_err(|_| poisoned())?.insert(digest.to_owned(), rules);
    Ok(rules)
}

fn poisoned() -> StoreError {
    StoreError::Corrupt("the catalogue cache's lock was poisoned".into())
}

fn builtin() -> Result<Rules, StoreError> {
    Ok(Rules {
        catalogue: samanvaya_eligibility::embedded().map_err(|e| StoreError::Catalogue(e.0))?,
        version: samanvaya_eligibility::catalogue_version(),
    })
}

/// The files of a stored bundle, from its JSON as the sync side unpacked it.
#[derive(serde::Deserialize)]
struct StoredFiles {
    schemes: Vec<(String, String)>,
    groups: Vec<(String, String)>,
}

/// The rules in use in the store on `conn`.
pub(crate) fn rules(conn: &Connection) -> Result<Rules, StoreError> {
    let in_use: Option<(String, String)> = conn
        .query_row("SELECT digest, files FROM catalogue_bundle WHERE in_use = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    match in_use {
        None => builtin(),
        Some((digest, files)) => {
            if let Some(rules) = loaded().lock().map_err(|_| poisoned())?.get(&digest) {
                return Ok(*rules);
            }
            // A bundle that no longer loads (a later release of the app renamed a fact its rules
            // read) must not leave the laptop without decisions: the rules built into this
            // release are used, once per process, until the district sends a bundle for it, and
            // the sync panel then names the built-in rules as the ones in use.
            let stored = serde_json::from_str::<StoredFiles>(&files)
                .map_err(|e| StoreError::Corrupt(format!("catalogue bundle {digest}: {e}")))
                .and_then(|files| load(&digest, &files.schemes, &files.groups));
            match stored {
                Ok(rules) => Ok(rules),
                Err(_) => {
                    let rules = builtin()?;
                    loaded().lock().map_err(|_| poisoned())?.insert(digest, rules);
                    Ok(rules)
                }
            }
        }
    }
}

impl Store {
    /// The rules decisions are made with now.
    pub fn rules(&self) -> Result<Rules, StoreError> {
        rules(&self.conn)
    }

    /// The district key this laptop trusts for catalogue bundles: learned with the first bundle
    /// its block offered over the connection pinned at enrollment.
    pub fn catalogue_signer(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT catalogue_key FROM sync_link WHERE id = 1", [], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// Why this laptop refused the district's bundle `digest` before, if it did and nothing that
    /// decided it has changed since: the app's version (a newer one may read its rules) and the
    /// key it trusts.
    pub fn catalogue_refused(&self, digest: &str) -> Result<Option<String>, StoreError> {
        let key = self.catalogue_signer()?.unwrap_or_default();
        Ok(self
            .conn
            .query_row(
                "SELECT reason FROM catalogue_refused WHERE digest = ?1 AND app_version = ?2 AND trusted_key = ?3",
                params![digest, env!("CARGO_PKG_VERSION"), key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Remembers that this laptop refused the district's bundle `digest` (whole, its digest
    /// checked), and why, in the audit log too: a sync does not fetch it again over 2G while
    /// [`Store::catalogue_refused`] says so. It is the sync's own record, kept whoever is signed in.
    pub fn refuse_catalogue(
        &mut self,
        digest: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let key = self.catalogue_signer()?.unwrap_or_default();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO catalogue_refused (digest, app_version, trusted_key, reason, refused_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (digest, app_version, trusted_key) DO UPDATE SET reason = ?4, refused_at = ?5",
            params![digest, env!("CARGO_PKG_VERSION"), key, reason, at],
        )?;
        crate::audit::append(&tx, "catalogue:refused", &format!("{digest}: {reason}"), at)?;
        tx.commit()?;
        Ok(())
    }

    /// The digest and day of the bundle in use; none while the built-in catalogue is.
    pub fn catalogue_bundle_in_use(&self) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT digest, made_at FROM catalogue_bundle WHERE in_use = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    /// Which catalogue is in use.
    pub fn catalogue_in_use(&self) -> Result<CatalogueInUse, StoreError> {
        let rules = self.rules()?;
        let bundle: Option<(String, DateTime<Utc>, DateTime<Utc>)> = self
            .conn
            .query_row(
                "SELECT label, made_at, installed_at FROM catalogue_bundle WHERE in_use = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        // A bundle set aside because it no longer loads is not the rules in use.
        let bundle = bundle.filter(|_| rules.version != samanvaya_eligibility::catalogue_version());
        let (label, made_at, installed_at) = match bundle {
            Some((l, m, i)) => (Some(l), Some(m), Some(i)),
            None => (None, None, None),
        };
        Ok(CatalogueInUse {
            label,
            made_at,
            installed_at,
            version: rules.version.to_owned(),
            schemes: rules.catalogue.schemes.len(),
        })
    }

    /// Installs a district's bundle and judges with it from now on; the survey forms it carries
    /// are installed with it, in the same transaction (new surveys start on the newest). Refused, with nothing
    /// changed: on a laptop not enrolled with a block (the district's key is learned there), a
    /// bundle signed by another key than the one trusted, and rules this app cannot use (every
    /// reason given). An older bundle than the one in use is kept out.
    pub fn install_catalogue(
        &mut self,
        bundle: &VerifiedBundle,
        at: DateTime<Utc>,
    ) -> Result<Installed, StoreError> {
        self.require_write("install the district's scheme rules")?;
        // Loading checks the files against this app's vocabulary before anything is written.
        let rules = load(&bundle.digest, &bundle.schemes, &bundle.groups)?;
        let forms = bundle
            .forms
            .iter()
            .map(|(name, bytes)| crate::installed_form::check_from_bundle(name, bytes))
            .collect::<Result<Vec<_>, _>>()?;
        let by = self.who().name.clone();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let trusted: Option<Option<String>> =
            tx.query_row("SELECT catalogue_key FROM sync_link WHERE id = 1", [], |r| r.get(0)).optional()?;
        match trusted {
            None => return Err(StoreError::Bundle(NOT_ENROLLED.into())),
            Some(Some(key)) if key != bundle.signer => {
                return Err(StoreError::Bundle(format!(
                    "the bundle was signed by another district key ({}) than the one this laptop trusts ({key}); it is not installed",
                    bundle.signer
                )));
            }
            Some(Some(_)) => {}
            Some(None) => {
                tx.execute("UPDATE sync_link SET catalogue_key = ?1 WHERE id = 1", params![bundle.signer])?;
            }
        }
        let in_use: Option<(String, String, DateTime<Utc>)> = tx
            .query_row("SELECT digest, label, made_at FROM catalogue_bundle WHERE in_use = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        if let Some((digest, label, made_at)) = &in_use {
            if *digest == bundle.digest {
                return Ok(Installed::Already { label: label.clone() });
            }
            if *made_at > bundle.made_at {
                return Ok(Installed::Older { label: bundle.label.clone(), in_use: label.clone() });
            }
        }
        let files = serde_json::json!({ "schemes": bundle.schemes, "groups": bundle.groups }).to_string();
        tx.execute("UPDATE catalogue_bundle SET in_use = 0 WHERE in_use = 1", [])?;
        tx.execute(
            "INSERT INTO catalogue_bundle (digest, label, made_at, signer, file, files, installed_at, in_use)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)
             ON CONFLICT (digest) DO UPDATE SET in_use = 1",
            params![bundle.digest, bundle.label, bundle.made_at, bundle.signer, bundle.file, files, at],
        )?;
        crate::audit::append(&tx, "catalogue:install", &format!("{} ({})", bundle.label, rules.version), at)?;
        let mut new_forms = 0;
        for ((name, bytes), form) in bundle.forms.iter().zip(&forms) {
            if crate::installed_form::keep_from_bundle(&tx, name, bytes, form, at, &by)? {
                new_forms += 1;
            }
        }
        tx.commit()?;
        Ok(Installed::New {
            label: bundle.label.clone(),
            schemes: rules.catalogue.schemes.len(),
            forms: new_forms,
        })
    }
}

const NOT_ENROLLED: &str = "this laptop is not enrolled with a block yet: the district's key for its scheme rules is learned at the first sync after enrollment. Enroll the laptop, sync once, then install the file";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::Secret;

    #[test]
    fn a_stored_bundle_that_no_longer_loads_leaves_the_built_in_rules_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::create(dir.path(), "Asha", &Secret::new("482916")).unwrap();
        // As a later release would find it: a bundle whose rules read a fact it no longer has.
        let files = serde_json::json!({
            "schemes": [["schemes/x.toml", "code = \"X\"\nunit = \"person\"\n[[version]]\nvalid_from = 2020-01-01\n  [[version.criterion]]\n  when = \"person.renamed_fact\"\n"]],
            "groups": []
        });
        store
            .conn
            .execute(
                "INSERT INTO catalogue_bundle (digest, label, made_at, signer, file, files, installed_at, in_use)
                 VALUES ('0badbundle', 'Gaya rules', ?1, 'key', x'00', ?2, ?1, 1)",
                params!["2026-12-01T05:00:00Z".parse::<DateTime<Utc>>().unwrap(), files.to_string()],
            )
            .unwrap();
        let rules = store.rules().unwrap();
        assert_eq!(rules.version, samanvaya_eligibility::catalogue_version());
        let shown = store.catalogue_in_use().unwrap();
        assert_eq!((shown.label, shown.version.starts_with("builtin-")), (None, true));
    }
}
