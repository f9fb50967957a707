//! Survey forms a district sends, installed on the laptop without a new release of the app
//! (issue 17: "districts will want to change questions without a new release").
//!
//! An installed form is checked whole against the catalogue first, exactly as the built-in one
//! is, and refused with every problem's sheet, row and column; it must be the same survey (the
//! same `form_id`) under a version of its own. The file is kept in the store as it came, so the
//! form a draft or a submission names can always be read again: a survey started on one version
//! is finished on it, and the next one starts on the newest.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use samanvaya_domain::Moment;
use samanvaya_forms::Form;
use serde::Serialize;

use crate::error::StoreError;
use crate::store::Store;
use crate::survey::baseline;

/// A form the laptop can use, as `samanvaya form list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormInfo {
    pub form_id: String,
    pub version: String,
    pub title_en: String,
    pub title_hi: String,
    /// None for the form built into the app.
    pub installed_at: Option<DateTime<Utc>>,
    pub installed_by: Option<String>,
    /// The form new surveys start on.
    pub in_use: bool,
}

/// Forms read from the store, kept for the life of the process. A laptop installs a handful of
/// versions in its life, so each is leaked once rather than reloaded at every answer: the
/// survey's logic runs at every keystroke and reads its form by reference.
fn loaded() -> &'static Mutex<HashMap<(String, String), &'static Form>> {
    static FORMS: OnceLock<Mutex<HashMap<(String, String), &'static Form>>> = OnceLock::new();
    FORMS.get_or_init(|| Mutex::new(HashMap::new()))
}

fn load(file_name: &str, bytes: &[u8]) -> Result<Form, StoreError> {
    let catalogue = samanvaya_eligibility::embedded().map_err(|e| StoreError::Catalogue(e.0))?;
    samanvaya_forms::load_file(file_name, bytes, catalogue)
        .map_err(|e| StoreError::FormRefused(e.to_string()))
}

/// The installed form `id` at `version`, read from the store once per process.
fn installed(conn: &Connection, id: &str, version: &str) -> Result<Option<&'static Form>, StoreError> {
    let key = (id.to_owned(), version.to_owned());
    if let Some(form) = loaded().lock().expect("the form cache is never poisoned").get(&key) {
        return Ok(Some(form));
    }
    let row: Option<(String, Vec<u8>)> = conn
        .query_row(
            "SELECT file_name, bytes FROM installed_form WHERE form_id = ?1 AND version = ?2",
            params![id, version],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((file_name, bytes)) = row else { return Ok(None) };
    // It loaded when it was installed; one that no longer does (a catalogue fact it reads was
    // renamed by a later release) is said as such rather than half-used.
    let form: &'static Form = Box::leak(Box::new(load(&file_name, &bytes)?));
    loaded().lock().expect("the form cache is never poisoned").insert(key, form);
    Ok(Some(form))
}

/// Checks a form a district's catalogue bundle carries: it loads, and it is the app's survey.
pub(crate) fn check_from_bundle(file_name: &str, bytes: &[u8]) -> Result<Form, StoreError> {
    let form = load(file_name, bytes)?;
    let built_in = baseline()?;
    if form.id != built_in.id {
        return Err(StoreError::FormRefused(format!(
            "the bundle's form {file_name} is \"{}\", not the app's survey \"{}\"",
            form.id, built_in.id
        )));
    }
    Ok(form)
}

/// Keeps a bundle's form unless its version is on the laptop already (the built-in one, or
/// installed by hand or by an earlier bundle); the caller owns the transaction. Whether it was
/// new.
pub(crate) fn keep_from_bundle(
    conn: &Connection,
    file_name: &str,
    bytes: &[u8],
    form: &Form,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, StoreError> {
    if form.version == baseline()?.version {
        return Ok(false);
    }
    let added = conn.execute(
        "INSERT INTO installed_form (form_id, version, file_name, bytes, installed_at, installed_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        params![form.id, form.version, file_name, bytes, at, by],
    )?;
    if added > 0 {
        crate::audit::append(
            conn,
            "form:install",
            &format!("{} {} from the district's bundle", form.id, form.version),
            at,
        )?;
    }
    Ok(added > 0)
}

/// The version new surveys start on: the newest installed, if any.
fn newest(conn: &Connection) -> rusqlite::Result<Option<(String, String)>> {
    conn.query_row(
        "SELECT form_id, version FROM installed_form ORDER BY installed_at DESC, version DESC LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

impl Store {
    /// Installs a district's version of the survey from `file_name` (`.xlsx`, or pyxform's
    /// `.md`): refused whole, with every problem, unless it loads against the catalogue as the
    /// same survey under a version not yet on this laptop. New surveys start on it; surveys in
    /// progress finish on the version they started on.
    pub fn install_form(
        &mut self,
        file_name: &str,
        bytes: &[u8],
        at: Moment,
    ) -> Result<FormInfo, StoreError> {
        self.require_write("install a survey form")?;
        let form = load(file_name, bytes)?;
        let built_in = baseline()?;
        if form.id != built_in.id {
            return Err(StoreError::FormRefused(format!(
                "this form is \"{}\", not the app's survey \"{}\": set form_id to {} in the settings sheet",
                form.id, built_in.id, built_in.id
            )));
        }
        let taken = form.version == built_in.version
            || self
                .conn
                .query_row(
                    "SELECT 1 FROM installed_form WHERE form_id = ?1 AND version = ?2",
                    params![form.id, form.version],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
        if taken {
            return Err(StoreError::FormRefused(format!(
                "version {} of this form is already on this laptop: give the changed form a new version in the settings sheet (for example {}01)",
                form.version,
                at.today.format("%Y%m%d")
            )));
        }
        self.conn.execute(
            "INSERT INTO installed_form (form_id, version, file_name, bytes, installed_at, installed_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![form.id, form.version, file_name, bytes, at.utc, self.who().name],
        )?;
        self.audit("form:install", &format!("{} {} from {file_name}", form.id, form.version))?;
        Ok(FormInfo {
            form_id: form.id.clone(),
            version: form.version.clone(),
            title_en: form.title.en.clone(),
            title_hi: form.title.hi.clone(),
            installed_at: Some(at.utc),
            installed_by: Some(self.who().name.clone()),
            in_use: true,
        })
    }

    /// The form new surveys start on: the newest installed, or the one built into the app.
    pub fn survey_form(&self) -> Result<&'static Form, StoreError> {
        match newest(&self.conn)? {
            Some((id, version)) => installed(&self.conn, &id, &version)?.map_or_else(baseline, Ok),
            None => baseline(),
        }
    }

    /// The form a draft or submission names. One this laptop does not hold (a backup restored
    /// from before it was installed) is read with the form in use, so that no answer is lost:
    /// the logic then works out what it can of them.
    pub fn form_named(&self, id: &str, version: &str) -> Result<&'static Form, StoreError> {
        let built_in = baseline()?;
        if built_in.id == id && built_in.version == version {
            return Ok(built_in);
        }
        match installed(&self.conn, id, version)? {
            Some(form) => Ok(form),
            None => self.survey_form(),
        }
    }

    /// The built-in form and every installed one, the one in use marked.
    pub fn forms(&self) -> Result<Vec<FormInfo>, StoreError> {
        let built_in = baseline()?;
        let in_use = newest(&self.conn)?;
        let mut out = vec![FormInfo {
            form_id: built_in.id.clone(),
            version: built_in.version.clone(),
            title_en: built_in.title.en.clone(),
            title_hi: built_in.title.hi.clone(),
            installed_at: None,
            installed_by: None,
            in_use: in_use.is_none(),
        }];
        let mut stmt = self.conn.prepare(
            "SELECT form_id, version, installed_at, installed_by FROM installed_form ORDER BY installed_at, version",
        )?;
        let rows: Vec<(String, String, DateTime<Utc>, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        for (id, version, at, by) in rows {
            let form = installed(&self.conn, &id, &version)?;
            let used = in_use.as_ref().is_some_and(|(i, v)| *i == id && *v == version);
            out.push(FormInfo {
                title_en: form.map(|f| f.title.en.clone()).unwrap_or_default(),
                title_hi: form.map(|f| f.title.hi.clone()).unwrap_or_default(),
                form_id: id,
                version,
                installed_at: Some(at),
                installed_by: Some(by),
                in_use: used,
            });
        }
        Ok(out)
    }
}
