//! The district's scheme rules as signed bundles: the district publishes one from a folder of
//! scheme files (checked against this version's vocabulary and example cases, then signed with
//! its key), every server keeps the bundles it holds as the signed file, offers the newest in
//! each session, and serves it in pieces; a block fetches its district's the same way a laptop
//! fetches the block's (`upstream.rs`).

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use samanvaya_rules::Catalogue;
use samanvaya_sync_protocol::bundle::{
    self, BundleFile, BundleForm, CatalogueBundle, CatalogueOffer, CataloguePiece,
};
use samanvaya_sync_protocol::parcel::{hex, unhex};
use samanvaya_sync_protocol::{RefusalCode, Role};

use crate::error::ServerError;
use crate::sql::{Db, Mode, args};
use crate::store::Store;

/// The district's signing key, in its data folder beside the TLS identity.
const KEY_FILE: &str = "catalogue-key.pk8";

/// What keeping a bundle did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub label: String,
    pub digest: String,
    pub schemes: usize,
    /// False when the server held this bundle already.
    pub new: bool,
}

fn invalid(e: &bundle::BundleError) -> ServerError {
    ServerError::Invalid(e.to_string())
}

/// The district's signing key, made in `dir` on the first publication. Losing it means every
/// block and laptop must be enrolled again before they take the district's next bundle, so it
/// belongs in the server's backup with the TLS identity.
pub fn signing_key(dir: &Path) -> Result<Vec<u8>, ServerError> {
    let path = dir.join(KEY_FILE);
    if path.exists() {
        return std::fs::read(&path)
            .map_err(|e| ServerError::Invalid(format!("cannot read {}: {e}", path.display())));
    }
    let key = bundle::new_signing_key().map_err(|e| invalid(&e))?;
    crate::tls::write_whole(&path, &key)?;
    Ok(key)
}

/// The district's survey forms under `folder/forms` (`*.xlsx`, or pyxform's `*.md`), in name
/// order.
pub fn forms_in(folder: &Path) -> Result<Vec<BundleForm>, ServerError> {
    let dir = folder.join("forms");
    names_in(&dir, |n| n.ends_with(".xlsx") || n.ends_with(".md"))?
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.join(&name)).map_err(|e| unreadable(&dir, &e))?;
            Ok(BundleForm::new(&name, &bytes))
        })
        .collect()
}

fn unreadable(dir: &Path, e: &std::io::Error) -> ServerError {
    ServerError::Invalid(format!("cannot read {}: {e}", dir.display()))
}

/// The names of the files in `dir` that `wanted` accepts, in order; none when there is no such
/// folder (a bundle without groups or forms).
fn names_in(dir: &Path, wanted: impl Fn(&str) -> bool) -> Result<Vec<String>, ServerError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| unreadable(dir, &e))?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| wanted(n))
        .collect();
    names.sort();
    Ok(names)
}

/// Every reason a bundle's survey forms are refused: a form that does not load against the
/// bundle's rules, another survey than the app's, or a version the app or another form has.
fn form_problems(forms: &[BundleForm], cat: &Catalogue) -> Vec<String> {
    let (name, bytes) = samanvaya_schema::BASELINE_FORM;
    let built_in = match samanvaya_forms::load_file(name, bytes, cat) {
        Ok(form) => form,
        Err(e) => return vec![format!("the app's own survey does not load with these rules: {e}")],
    };
    let mut problems = Vec::new();
    let mut versions = vec![built_in.version.clone()];
    for f in forms {
        let Some(bytes) = f.bytes() else { continue };
        match samanvaya_forms::load_file(&f.file_name, &bytes, cat) {
            Err(e) => problems.push(format!("forms/{}: {e}", f.file_name)),
            Ok(form) if form.id != built_in.id => problems.push(format!(
                "forms/{}: the form is \"{}\", not the app's survey \"{}\"; set form_id to {} in its settings sheet",
                f.file_name, form.id, built_in.id, built_in.id
            )),
            Ok(form) if versions.contains(&form.version) => problems.push(format!(
                "forms/{}: version {} is the app's own or another form's; give the changed form a new version in its settings sheet",
                f.file_name, form.version
            )),
            Ok(form) => versions.push(form.version),
        }
    }
    problems
}

/// The scheme and group files under `folder` (`schemes/*.toml`, `groups/*.toml`, as in the
/// app's own `schema/`), in name order.
pub fn files_in(folder: &Path) -> Result<(Vec<BundleFile>, Vec<BundleFile>), ServerError> {
    let read = |sub: &str| -> Result<Vec<BundleFile>, ServerError> {
        let dir = folder.join(sub);
        names_in(&dir, |n| n.ends_with(".toml"))?
            .into_iter()
            .map(|name| {
                let text = std::fs::read_to_string(dir.join(&name)).map_err(|e| unreadable(&dir, &e))?;
                Ok(BundleFile { path: format!("{sub}/{name}"), text })
            })
            .collect()
    };
    Ok((read("schemes")?, read("groups")?))
}

/// Every reason the rules and forms of a bundle are refused, as one message; the number of
/// schemes when there is none.
fn check(b: &CatalogueBundle) -> Result<usize, ServerError> {
    fn pairs(files: &[BundleFile]) -> Vec<(&str, &str)> {
        files.iter().map(|f| (f.path.as_str(), f.text.as_str())).collect()
    }
    let problems = match samanvaya_eligibility::bundle::check(&pairs(&b.schemes), &pairs(&b.groups)) {
        Ok(cat) => {
            let problems = form_problems(&b.forms, &cat);
            if problems.is_empty() {
                return Ok(cat.schemes.len());
            }
            problems
        }
        Err(problems) => problems,
    };
    Err(ServerError::Invalid(format!(
        "the scheme rules are refused and nothing was kept; mend these and try again:\n{}",
        problems.join("\n")
    )))
}

/// The newest bundle `db` holds, as a session offers it.
pub(crate) fn offer(db: &mut dyn Db) -> Result<Option<CatalogueOffer>, ServerError> {
    let row = db.query_opt(
        "SELECT b.digest, b.label, b.made_at, b.bytes, b.signer FROM catalogue_bundle b
         ORDER BY b.made_at DESC, b.received_at DESC LIMIT 1",
        &[],
    )?;
    row.map(|r| {
        Ok(CatalogueOffer {
            digest: r.text(0)?,
            label: r.text(1)?,
            made_at: r.time(2)?,
            bytes: r.int(3)? as u64,
            key: r.text(4)?,
        })
    })
    .transpose()
}

impl Store {
    /// Makes, signs and keeps a bundle of the scheme files under `folder`: a district's
    /// publication. Refused, with nothing kept, at a block or when any rule does not pass.
    pub fn publish_catalogue(
        &mut self,
        folder: &Path,
        label: &str,
        key: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(Kept, Vec<u8>), ServerError> {
        if self.role() != Role::District {
            return Err(ServerError::Invalid(
                "only a district publishes scheme rules; a block receives them from its district".into(),
            ));
        }
        if label.trim().is_empty() {
            return Err(ServerError::Invalid(
                "give the rules a name people will recognise: --label \"Bihar rules, December 2026\"".into(),
            ));
        }
        let (schemes, groups) = files_in(folder)?;
        let b = CatalogueBundle {
            label: label.trim().to_owned(),
            made_at: now,
            schemes,
            groups,
            forms: forms_in(folder)?,
        };
        check(&b)?;
        let file = bundle::seal(&b, key).map_err(|e| invalid(&e))?;
        let kept = self.keep_catalogue(&file, now)?;
        Ok((kept, file))
    }

    /// Keeps a signed bundle (the district's own, or one its district offered a block), after
    /// checking its signature against the key this server trusts (learned with the first one)
    /// and its rules against this version.
    pub fn keep_catalogue(&mut self, file: &[u8], now: DateTime<Utc>) -> Result<Kept, ServerError> {
        let trusted = self.catalogue_signer()?;
        let signed = bundle::open(file, trusted.as_deref()).map_err(|e| invalid(&e))?;
        let schemes = check(&signed.bundle)?;
        let mut tx = self.db.transaction(Mode::Write)?;
        if trusted.is_none() {
            tx.execute("INSERT INTO catalogue_signer (id, public_key) VALUES (1, ?1)", args![&signed.key])?;
        }
        let inserted = tx.execute(
            "INSERT INTO catalogue_bundle (digest, label, made_at, signer, file_hex, bytes, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (digest) DO NOTHING",
            args![
                &signed.digest,
                &signed.bundle.label,
                signed.bundle.made_at,
                &signed.key,
                hex(file),
                file.len() as i64,
                now
            ],
        )?;
        tx.commit()?;
        Ok(Kept { label: signed.bundle.label, digest: signed.digest, schemes, new: inserted > 0 })
    }

    /// The district key this server trusts for scheme rules (hex), learnt with the first bundle it
    /// kept; a district's own once it has published.
    pub fn catalogue_signer(&mut self) -> Result<Option<String>, ServerError> {
        self.db
            .query_opt("SELECT public_key FROM catalogue_signer WHERE id = 1", &[])?
            .map(|r| r.text(0))
            .transpose()
    }

    /// Why this server refused the district's bundle `digest` before, while nothing that decided
    /// it changed (this version of the server, the key it trusts): its forwarding does not fetch
    /// it again.
    pub fn catalogue_refused(&mut self, digest: &str) -> Result<Option<String>, ServerError> {
        let key = self.catalogue_signer()?.unwrap_or_default();
        self.db
            .query_opt(
                "SELECT reason FROM catalogue_refused WHERE digest = ?1 AND app_version = ?2 AND trusted_key = ?3",
                args![digest, env!("CARGO_PKG_VERSION"), key],
            )?
            .map(|r| r.text(0))
            .transpose()
    }

    /// Remembers that this server refused the district's bundle `digest` (fetched whole, its
    /// digest checked), and why, so that a block does not fetch it again at every round over 2G.
    pub fn refuse_catalogue(
        &mut self,
        digest: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), ServerError> {
        let key = self.catalogue_signer()?.unwrap_or_default();
        self.db.execute(
            "INSERT INTO catalogue_refused (digest, app_version, trusted_key, reason, refused_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (digest, app_version, trusted_key) DO UPDATE SET reason = ?4, refused_at = ?5",
            args![digest, env!("CARGO_PKG_VERSION"), key, reason, at],
        )?;
        Ok(())
    }

    /// The newest bundle this server holds: its digest and the day it was made.
    pub fn catalogue_held(&mut self) -> Result<Option<(String, DateTime<Utc>)>, ServerError> {
        Ok(offer(&mut *self.db)?.map(|o| (o.digest, o.made_at)))
    }

    /// The newest bundle's file, for `publish-catalogue --out` and tests.
    pub fn catalogue_file(&mut self, digest: &str) -> Result<Vec<u8>, ServerError> {
        let row =
            self.db.query_opt("SELECT file_hex FROM catalogue_bundle WHERE digest = ?1", args![digest])?;
        let Some(row) = row else { return Err(no_longer_held()) };
        unhex(&row.text(0)?)
            .ok_or_else(|| ServerError::Invalid(format!("catalogue bundle {digest} is damaged")))
    }

    /// One piece of the bundle `digest`. A laptop fetches a bundle a piece at a time, and
    /// reading the whole bundle from the database for each piece made a bundle of n pieces cost
    /// n times its size in reads under the store's lock. The bundle is read once and kept until
    /// another is asked for: a bundle never changes under its digest, and whether the server
    /// still holds it is asked each time (its index answers, without reading the file).
    pub fn catalogue_piece(&mut self, digest: &str, offset: u64) -> Result<CataloguePiece, ServerError> {
        if self.db.query_opt("SELECT 1 FROM catalogue_bundle WHERE digest = ?1", args![digest])?.is_none() {
            return Err(no_longer_held());
        }
        let file = match &self.bundle_in_pieces {
            Some((kept, file)) if kept == digest => file.clone(),
            _ => {
                let file: Arc<[u8]> = self.catalogue_file(digest)?.into();
                self.bundle_in_pieces = Some((digest.to_owned(), file.clone()));
                file
            }
        };
        Ok(bundle::piece(&file, digest, offset))
    }
}

fn no_longer_held() -> ServerError {
    ServerError::refused(
        RefusalCode::BadBody,
        "this server no longer holds those scheme rules; the next sync fetches the newest",
    )
}
