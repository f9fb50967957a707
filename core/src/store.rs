//! [`Store`]: the API over the local database that the desktop shell and the CLI call.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::Utc;
use rusqlite::{Connection, TransactionBehavior};
use samanvaya_domain::household::FieldErrorCode;
use samanvaya_domain::name_key::name_key;
use samanvaya_domain::{
    Consent, FieldError, Household, HouseholdId, HouseholdInput, Location, LocationId, LocationLevel, Moment,
    Person, PersonId, ValidationError,
};
use uuid::Uuid;

use serde::Serialize;
use ts_rs::TS;

use crate::db::OpenProgress;
use crate::error::StoreError;
use crate::household::{HouseholdPage, HouseholdQuery};
use crate::keyring::{self, DbKey, Keyring, Role, Secret};
use crate::name_search::{self, NameIndex};
use crate::setting::Language;
use crate::village::VillageOverview;
use crate::{centre, change_log, db, household, location, number_lease, paths, setting, village};

/// The village laptop's store, one SQLite file in the data folder, encrypted with a key that
/// the keyring beside it holds wrapped under each account's PIN.
pub struct Store {
    pub(crate) conn: Connection,
    data_dir: PathBuf,
    /// The account that unlocked the store.
    who: Who,
    /// The database key, kept while the store is open so that backups are encrypted with it.
    pub(crate) key: DbKey,
    /// The register's name keys, read once and caught up with the register's writes, so that a
    /// search as the user types scans memory rather than the store (`name_search`); shared with
    /// the second connections made from this one.
    names: Arc<Mutex<Option<NameIndex>>>,
}

/// The account a store was unlocked by: what it may do is checked against this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Who {
    pub name: String,
    pub role: Role,
}

/// What a data folder holds, as the first screen needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum Folder {
    /// Nothing yet: set-up creates the store.
    New,
    /// A store written before encryption: set-up encrypts it in place, keeping every row.
    Plain,
    /// A store to unlock, with the names of its accounts and the language last chosen.
    Locked { accounts: Vec<String>, language: Option<Language> },
}

impl Store {
    /// What `data_dir` holds.
    pub fn folder(data_dir: &Path) -> Result<Folder, StoreError> {
        if let Some(ring) = Keyring::read(data_dir)? {
            let accounts = ring.accounts.iter().map(|a| a.name.clone()).collect();
            return Ok(Folder::Locked { accounts, language: ring.language });
        }
        Ok(if data_dir.join(paths::DB_FILE_NAME).exists() { Folder::Plain } else { Folder::New })
    }

    /// Sets up the store in `data_dir` for a first account, `name`, with `secret` as its PIN or
    /// passphrase: a new, empty store, or the store already there from before encryption,
    /// encrypted in place. Returns the store and the recovery code, which is shown once and
    /// never stored in the clear.
    pub fn create(data_dir: &Path, name: &str, secret: &Secret) -> Result<(Store, Secret), StoreError> {
        Store::create_reporting(data_dir, name, secret, &mut |_| {})
    }

    /// As [`Store::create`], telling `progress` how the encryption of a store from before, and
    /// its upgrade, go.
    pub fn create_reporting(
        data_dir: &Path,
        name: &str,
        secret: &Secret,
        progress: &mut dyn FnMut(OpenProgress),
    ) -> Result<(Store, Secret), StoreError> {
        secret.check_strength()?;
        if name.trim().is_empty() {
            return Err(StoreError::NoAccount { name: String::new() });
        }
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::DataDir { path: data_dir.display().to_string(), source })?;
        if Keyring::read(data_dir)?.is_some() {
            return Err(StoreError::AlreadySetUp);
        }
        let key = DbKey::random();
        let code = keyring::new_recovery_code();
        let ring = Keyring::new(&key, name, Role::Facilitator, secret, &code)?;
        // The keyring first: should the laptop stop during the encryption below, the next unlock
        // finds the key and the plain file, and finishes the job.
        ring.write(data_dir)?;
        let store = Store::open_with(data_dir, &key, &ring, 0, progress)?;
        Ok((store, code))
    }

    /// Opens the store with the PIN or passphrase of account `name` (the only account when
    /// `None`). A wrong secret counts against the account: after three, each try must wait, and
    /// after six the account is locked for a quarter of an hour.
    pub fn unlock(data_dir: &Path, name: Option<&str>, secret: &Secret) -> Result<Store, StoreError> {
        Store::unlock_reporting(data_dir, name, secret, &mut |_| {})
    }

    /// As [`Store::unlock`], telling `progress` how the store's upgrade goes, the first time an
    /// updated app opens it.
    pub fn unlock_reporting(
        data_dir: &Path,
        name: Option<&str>,
        secret: &Secret,
        progress: &mut dyn FnMut(OpenProgress),
    ) -> Result<Store, StoreError> {
        let mut ring = Keyring::read(data_dir)?.ok_or(StoreError::NotSetUp)?;
        let i = ring.find(name)?;
        let key = ring.unlock(i, secret, Utc::now());
        ring.write(data_dir)?;
        Store::open_with(data_dir, &key?, &ring, i, progress)
    }

    /// For scripts and tests: unlocks the store in `data_dir` with `secret`, or sets it up with
    /// `secret` for account `name` when the folder holds no keyring yet; then the recovery code
    /// comes back too, and the caller must show it once.
    pub fn open_or_create(
        data_dir: &Path,
        name: &str,
        secret: &Secret,
    ) -> Result<(Store, Option<Secret>), StoreError> {
        match Store::folder(data_dir)? {
            Folder::Locked { .. } => Ok((Store::unlock(data_dir, None, secret)?, None)),
            Folder::New | Folder::Plain => {
                let (store, code) = Store::create(data_dir, name, secret)?;
                Ok((store, Some(code)))
            }
        }
    }

    /// Opens the store with the recovery code, and gives account `name` the new `secret`.
    pub fn recover(
        data_dir: &Path,
        name: Option<&str>,
        code: &Secret,
        secret: &Secret,
    ) -> Result<Store, StoreError> {
        Store::recover_reporting(data_dir, name, code, secret, &mut |_| {})
    }

    /// As [`Store::recover`], telling `progress` how the store's upgrade goes.
    pub fn recover_reporting(
        data_dir: &Path,
        name: Option<&str>,
        code: &Secret,
        secret: &Secret,
        progress: &mut dyn FnMut(OpenProgress),
    ) -> Result<Store, StoreError> {
        secret.check_strength()?;
        let mut ring = Keyring::read(data_dir)?.ok_or(StoreError::NotSetUp)?;
        let i = ring.find(name)?;
        let block_had = ring.has_block_recovery();
        let key = ring.recover(code)?;
        ring.set_secret(i, &key, secret)?;
        ring.write(data_dir)?;
        let store = Store::open_with(data_dir, &key, &ring, i, progress)?;
        if block_had && !ring.has_block_recovery() {
            store.audit(
                "recovery:block-used",
                "the block's recovery code set a new PIN; the next sync gives it another",
            )?;
        }
        Ok(store)
    }

    /// Gives this store's account a new PIN or passphrase after checking the old one. The key is
    /// wrapped again; the data is not touched.
    pub fn change_secret(&self, old: &Secret, new: &Secret) -> Result<(), StoreError> {
        new.check_strength()?;
        let mut ring = Keyring::read(&self.data_dir)?.ok_or(StoreError::NotSetUp)?;
        let i = ring.find(Some(&self.who.name))?;
        let key = ring.unlock(i, old, Utc::now());
        let result = key.and_then(|key| ring.set_secret(i, &key, new));
        ring.write(&self.data_dir)?;
        result?;
        self.audit("account:pin", &self.who.name)
    }

    /// The whole audit log, oldest first, for a facilitator or a supervisor to read (what was
    /// done on this laptop, by whom, to which record): not for the Samiti's read-only accounts.
    pub fn read_audit(&self) -> Result<Vec<samanvaya_domain::audit::AuditEntry>, StoreError> {
        self.require_write("read the laptop's audit log")?;
        Ok(crate::audit::after(&self.conn, 0, usize::MAX >> 1)?)
    }

    /// Checks the audit log's chain from its first row.
    pub fn verify_audit(&self) -> Result<crate::audit::Verdict, StoreError> {
        Ok(crate::audit::verify(&self.conn)?)
    }

    /// The audit log's entries after `after`, at most `limit`: what the sync sends to the block.
    pub fn audit_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<samanvaya_domain::audit::AuditEntry>, StoreError> {
        // A store restored from a backup sends nothing before the block has said how much of
        // the log it holds, which settles where the log goes on (`restored::settle_audit`).
        if crate::restored::audit_unsettled(&self.conn)? {
            return Ok(Vec::new());
        }
        Ok(crate::audit::after(&self.conn, after, limit)?)
    }

    /// Records in the audit log something done outside the change log (an export).
    pub fn audit(&self, action: &str, detail: &str) -> Result<(), StoreError> {
        Ok(crate::audit::append(&self.conn, action, detail, Utc::now())?)
    }

    /// Who unlocked this store.
    pub fn who(&self) -> &Who {
        &self.who
    }

    /// Refuses village work to an account that may only read (the Samiti's meeting mode).
    pub fn require_write(&self, action: &'static str) -> Result<(), StoreError> {
        if self.who.role.may_write() {
            Ok(())
        } else {
            Err(StoreError::NotAllowed { role: self.who.role.as_str(), action })
        }
    }

    /// Every account of this laptop, by name and role, in the order they were added: what the
    /// account screen lists. No secret or lock state leaves the keyring.
    pub fn accounts(&self) -> Result<Vec<Who>, StoreError> {
        let ring = Keyring::read(&self.data_dir)?.ok_or(StoreError::NotSetUp)?;
        Ok(ring.accounts.iter().map(|a| Who { name: a.name.clone(), role: a.role }).collect())
    }

    /// Adds an account to this laptop, with its role and its own PIN. Proven by the recovery
    /// code, which the person who set the laptop up keeps: an account cannot grant itself more.
    pub fn add_account(
        &self,
        code: &Secret,
        name: &str,
        role: Role,
        secret: &Secret,
    ) -> Result<(), StoreError> {
        let mut ring = Keyring::read(&self.data_dir)?.ok_or(StoreError::NotSetUp)?;
        let key = ring.setup_code(code)?;
        ring.add_account(&key, name, role, secret)?;
        ring.write(&self.data_dir)?;
        self.audit("account:add", &format!("{name} ({})", role.as_str()))
    }

    /// The places from the state down to `id`.
    pub fn place_path(&self, id: LocationId) -> Result<Vec<Location>, StoreError> {
        Ok(crate::location::path(&self.conn, id)?)
    }

    /// A second connection to the same store, for the same account: sync runs on it for
    /// minutes over a slow link while the window keeps working on the first. SQLite's WAL lets
    /// both read at once; their writes take turns.
    pub fn second_connection(&self) -> Result<Store, StoreError> {
        let conn = db::open(&self.data_dir.join(paths::DB_FILE_NAME), &self.key)?;
        crate::audit::begin_session(&conn, &self.who.name)?;
        Ok(Store {
            conn,
            data_dir: self.data_dir.clone(),
            who: self.who.clone(),
            key: self.key.copy(),
            names: Arc::clone(&self.names),
        })
    }

    fn open_with(
        data_dir: &Path,
        key: &DbKey,
        ring: &Keyring,
        account: usize,
        progress: &mut dyn FnMut(OpenProgress),
    ) -> Result<Store, StoreError> {
        let path = data_dir.join(paths::DB_FILE_NAME);
        if db::is_plain(&path) {
            progress(OpenProgress::Encrypting);
            db::encrypt_plain(&path, key)?;
        }
        let mut conn = db::open_reporting(&path, key, progress)?;
        crate::audit::begin_session(&conn, &ring.accounts[account].name)?;
        backfill_profiles(&mut conn)?;
        crate::field_clock::fill_once(&mut conn)?;
        centre::device_id(&conn, Utc::now())?;
        let a = &ring.accounts[account];
        let who = Who { name: a.name.clone(), role: a.role };
        let mut store =
            Store { conn, data_dir: data_dir.to_owned(), who, key: key.copy(), names: Arc::default() };
        store.requeue_after_upgrade()?;
        Ok(store)
    }

    /// Now, in the centre's time zone: the one place the app and the CLI read the clock. Every
    /// command of one action takes this one moment, so a save and the decisions shown after it
    /// are made on the same day.
    pub fn now(&self) -> Result<Moment, StoreError> {
        Ok(Moment::at(Utc::now(), setting::utc_offset_seconds(&self.conn)?))
    }

    /// Whether this is a demo store: its changes never travel, and it cannot be enrolled.
    pub fn is_demo(&self) -> Result<bool, StoreError> {
        Ok(centre::is_demo(&self.conn)?)
    }

    /// Records, on a store set up empty, that its village will come from the block office when
    /// the laptop enrolls, so that it is never filled with the demo village meanwhile (a demo
    /// store can never be enrolled). Refused on a demo store.
    pub fn wait_for_block_village(&mut self) -> Result<(), StoreError> {
        self.require_write("set up villages or the demo")?;
        self.check_enrollable()?;
        Ok(setting::choose_village_from_block(&self.conn)?)
    }

    /// Whether set-up chose to receive the village from the block office (see
    /// [`Store::wait_for_block_village`]).
    pub fn waits_for_block_village(&self) -> Result<bool, StoreError> {
        Ok(setting::village_from_block(&self.conn)?)
    }

    /// Refuses to enroll a demo store with a block server; the sync issue's enrollment calls
    /// this first, so demo households can never reach a real block.
    pub fn check_enrollable(&self) -> Result<(), StoreError> {
        self.require_write("enroll this laptop with a block")?;
        if self.is_demo()? {
            return Err(StoreError::DemoStore);
        }
        Ok(())
    }

    /// How many changes made on this laptop wait in the change log: what sync would push.
    pub fn queued_changes(&self) -> Result<i64, StoreError> {
        Ok(change_log::queued_count(&self.conn)?)
    }

    /// Up to `limit` local changes after the device sequence number `after`, oldest first.
    pub fn queued_after(&self, after: i64, limit: u32) -> Result<Vec<change_log::Queued>, StoreError> {
        Ok(change_log::queued_after(&self.conn, after, limit)?)
    }

    /// Up to `limit` changes a sync file carries again of the work the block holds, numbered
    /// after `after` and up to `through`, oldest first (`change_log::carried_again`).
    pub fn carried_again(
        &self,
        after: i64,
        through: i64,
        limit: u32,
    ) -> Result<Vec<change_log::Queued>, StoreError> {
        Ok(change_log::carried_again(&self.conn, after, through, limit)?)
    }

    /// A store upgraded from the outbox to the change log queues its households again, as typed
    /// changes, once (migration 0004 explains why).
    fn requeue_after_upgrade(&mut self) -> Result<(), StoreError> {
        // Checked before taking the write lock, so that opening a store never writes otherwise.
        if !centre::requeue_due(&self.conn)? {
            return Ok(());
        }
        let at = self.now()?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if centre::take_requeue(&tx)? {
            let ids: Vec<String> = tx
                .prepare("SELECT id FROM household ORDER BY created_at, id")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for id in ids {
                let id: HouseholdId =
                    id.parse().map_err(|_| StoreError::Corrupt(format!("household id {id}")))?;
                if let Some(h) = household::get(&tx, id)? {
                    for body in household::changes(None, &h, &Default::default()) {
                        change_log::record(&tx, body, at)?;
                    }
                    for body in crate::fact::snapshot(&tx, &h)? {
                        change_log::record(&tx, body, at)?;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The underlying connection, for crates that read in bulk (sync, eligibility) and for tests.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub fn device_id(&self) -> Result<Uuid, StoreError> {
        Ok(centre::device_id(&self.conn, Utc::now())?)
    }

    pub fn language(&self) -> Result<Language, StoreError> {
        Ok(setting::language(&self.conn)?)
    }

    pub fn set_language(&self, language: Language) -> Result<(), StoreError> {
        setting::set_language(&self.conn, language)?;
        // The lock screen shows before the store is open, so it reads the choice from the keyring.
        if let Some(mut ring) = Keyring::read(&self.data_dir)?
            && ring.language != Some(language)
        {
            ring.language = Some(language);
            ring.write(&self.data_dir)?;
        }
        Ok(())
    }

    /// The villages this centre serves.
    pub fn villages(&self) -> Result<Vec<Location>, StoreError> {
        Ok(centre::villages(&self.conn)?)
    }

    /// The overview of the centre's first village: the app's home screen.
    pub fn village_overview(&self) -> Result<VillageOverview, StoreError> {
        let village = self.villages()?.into_iter().next().ok_or(StoreError::NoVillage)?;
        Ok(village::overview(&self.conn, village)?)
    }

    pub fn household_count(&self) -> Result<i64, StoreError> {
        Ok(household::count(&self.conn, None)?)
    }

    pub fn households(&self, query: &HouseholdQuery) -> Result<HouseholdPage, StoreError> {
        // Listing the households with a disabled member, or a pregnant one, would tell a Samiti
        // viewer who has one: sensitive facts she is not shown anywhere else.
        let sensitive = match query.filter {
            Some(crate::RegisterFilter::Disability) => {
                Some("list the households with a disability (a sensitive fact)")
            }
            Some(crate::RegisterFilter::Pregnant) => {
                Some("list the households with a pregnant woman (a sensitive fact)")
            }
            _ => None,
        };
        if let Some(action) = sensitive
            && !self.who.role.may_write()
        {
            return Err(StoreError::NotAllowed { role: self.who.role.as_str(), action });
        }
        let key = name_key(query.search.trim());
        if let Some(page) = name_search::page(&self.conn, &mut self.names(), query, &key)? {
            return Ok(page);
        }
        Ok(household::list(&self.conn, query, self.now()?.today)?)
    }

    /// Reads the register's copy of the name keys now, or catches it up, so that the next name
    /// search finds it ready: the app calls it at unlock on a second connection, beside the
    /// window (the copy is shared), since reading it takes about 0.1 s on a block-sized store.
    pub fn read_register_names(&self) -> Result<(), StoreError> {
        name_search::ready(&self.conn, &mut self.names())?;
        Ok(())
    }

    /// The shared copy of the name keys. A connection that panicked while holding it left it
    /// unread, or caught up in part with its mark not moved, which the next catch-up mends; so it
    /// is used on.
    fn names(&self) -> MutexGuard<'_, Option<NameIndex>> {
        self.names.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn household(&self, id: HouseholdId) -> Result<Household, StoreError> {
        household::get(&self.conn, id)?
            .ok_or_else(|| StoreError::NotFound { what: "household", id: id.to_string() })
    }

    /// Every problem of `input` at once, as saving would report them, without saving: the form
    /// asks this while its own checks have refused a field, so that she sees all of them in one
    /// round rather than the next ones only after correcting the first.
    pub fn check_household(&self, input: HouseholdInput, at: Moment) -> Result<(), StoreError> {
        let stored = match input.id {
            Some(id) => household::get(&self.conn, id)?,
            None => None,
        };
        let consent = check_consent(&input, stored.as_ref()).err();
        let input = match (input.validate(at.today), consent) {
            (Err(ValidationError(mut errors)), Some(StoreError::Invalid(ValidationError(missing)))) => {
                errors.extend(missing);
                return Err(StoreError::Invalid(ValidationError(errors)));
            }
            (Err(e), _) => return Err(e.into()),
            (Ok(_), Some(e)) => return Err(e),
            (Ok(input), None) => input,
        };
        check_place(&self.conn, input.village_id, input.hamlet_id)
    }

    /// Validates and saves a new or edited household with its members, in one transaction with
    /// its changes: either all of it is saved, or nothing is.
    pub fn save_household(&mut self, input: HouseholdInput, at: Moment) -> Result<Household, StoreError> {
        self.require_write("change a household")?;
        let (now, today) = (at.utc, at.today);
        let input = input.validate(today)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        check_place(&tx, input.village_id, input.hamlet_id)?;

        let existing = match input.id {
            Some(id) => Some(
                household::get(&tx, id)?
                    .ok_or_else(|| StoreError::NotFound { what: "household", id: id.to_string() })?,
            ),
            None => None,
        };
        check_consent(&input, existing.as_ref())?;
        let (id, number, created_at) = match &existing {
            Some(h) => (h.id, h.number, h.created_at),
            None => (HouseholdId(Uuid::now_v7()), number_lease::take(&tx, number_lease::HOUSEHOLD)?, now),
        };
        let stored: Vec<&Person> = existing.iter().flat_map(|h| &h.members).collect();
        let mut members = Vec::with_capacity(input.members.len());
        for m in input.members {
            let before = match m.id {
                Some(pid) => Some(*stored.iter().find(|p| p.id == pid).ok_or_else(|| {
                    StoreError::NotFound { what: "member of this household", id: pid.to_string() }
                })?),
                None => None,
            };
            let (birth_date, birth_date_estimated) = match before {
                // A stated age sent back unchanged keeps the estimate it was first given, so that
                // editing a name does not move an estimated birthday.
                Some(p) if p.birth_date_estimated && m.birth == age_of(p, today) => (p.birth_date, true),
                _ => m.birth.resolve(today),
            };
            members.push(Person {
                id: m.id.unwrap_or_else(|| PersonId(Uuid::now_v7())),
                name: m.name,
                relation: m.relation,
                sex: m.sex,
                birth_date,
                birth_date_estimated,
                left: m.left,
            });
        }
        // Removing a member who was saved deletes what was recorded of them: a supervisor's
        // decision. A facilitator marks the member as died or moved away instead.
        if stored.iter().any(|p| !members.iter().any(|m| m.id == p.id)) && !self.who.role.may_delete() {
            return Err(StoreError::NotAllowed {
                role: self.who.role.as_str(),
                action: "remove a saved member",
            });
        }
        // The consent taken at this visit, from the member the form names; else the one on
        // record (`check_consent` refused an input with neither).
        let consent = match input.consent {
            Some(c) => Some(Consent {
                respondent: members.get(c.respondent as usize).map(|p| p.id),
                taken_by: self.who.name.clone(),
                taken_at: now,
            }),
            None => existing.as_ref().and_then(|h| h.consent.clone()),
        };
        let household = Household {
            id,
            number,
            village_id: input.village_id,
            hamlet_id: input.hamlet_id,
            address: input.address,
            phone: input.phone,
            members,
            created_at,
            updated_at: now,
            consent,
        };
        household::write(&tx, existing.as_ref(), &household, at)?;
        tx.commit()?;
        Ok(household)
    }
}

/// Writes the profiles a store opened before they existed is missing (once, on open).
fn backfill_profiles(conn: &mut Connection) -> Result<(), StoreError> {
    let missing: Vec<String> = conn
        .prepare("SELECT id FROM household WHERE id NOT IN (SELECT household_id FROM profile)")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if missing.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    for id in missing {
        let id = id.parse().map_err(|_| StoreError::Corrupt(format!("household id {id}")))?;
        if let Some(h) = household::get(&tx, id)? {
            crate::profile::refresh(&tx, &h)?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn age_of(p: &Person, today: chrono::NaiveDate) -> samanvaya_domain::Birth {
    match p.age_on(today) {
        Some(years) => samanvaya_domain::Birth::Age { years },
        None => samanvaya_domain::Birth::Unknown,
    }
}

/// A household's details are recorded only with the family's consent: taken at this visit
/// (`input.consent`), or on record from an earlier one. A household taken from a list has none
/// until its first visit, so its first edit in the form asks for it too.
fn check_consent(input: &HouseholdInput, stored: Option<&Household>) -> Result<(), StoreError> {
    if input.consent.is_none() && stored.is_none_or(|h| h.consent.is_none()) {
        return Err(StoreError::Invalid(ValidationError(vec![FieldError {
            field: "consent".into(),
            code: FieldErrorCode::ConsentRequired,
        }])));
    }
    Ok(())
}

/// The village must be one this centre serves, and the hamlet one of that village's hamlets.
fn check_place(conn: &Connection, village: LocationId, hamlet: Option<LocationId>) -> Result<(), StoreError> {
    let served: HashSet<LocationId> = centre::villages(conn)?.into_iter().map(|v| v.id).collect();
    let refuse = |field: &str, code| {
        StoreError::Invalid(ValidationError(vec![FieldError { field: field.into(), code }]))
    };
    if !served.contains(&village) {
        return Err(refuse("village_id", FieldErrorCode::UnknownVillage));
    }
    if let Some(hamlet) = hamlet {
        let ok = location::get(conn, hamlet)?
            .is_some_and(|h| h.level == LocationLevel::Hamlet && h.parent_id == Some(village));
        if !ok {
            return Err(refuse("hamlet_id", FieldErrorCode::UnknownHamlet));
        }
    }
    Ok(())
}
