//! The store as the commands see it: none until the facilitator sets up or unlocks it with her
//! PIN, then shared behind a lock; locking drops it, and with it the key.

use std::path::PathBuf;
use std::sync::Mutex;

use samanvaya_core::{ErrorCode, ErrorReply, Folder, OpenProgress, Secret, Store, StoreError};

/// The seed of the demo village that fills an empty store on first start.
const DEMO_SEED: u64 = 1;

/// How long the window may sit untouched before it locks itself, unless
/// `SAMANVAYA_IDLE_LOCK_SECONDS` says otherwise (the window test uses a few seconds).
const IDLE_LOCK_SECONDS: u64 = 5 * 60;

pub struct AppState {
    /// The data folder, or why there is none; the window shows the reason instead of vanishing.
    dir: Result<PathBuf, ErrorReply>,
    /// The open store; `None` while locked.
    store: Mutex<Option<Store>>,
}

impl AppState {
    pub fn new(data_dir: Option<PathBuf>) -> AppState {
        let dir = data_dir.ok_or_else(|| ErrorReply {
            code: ErrorCode::Storage,
            detail: "no data folder: start the app with --data-dir DIR or set SAMANVAYA_DATA_DIR".into(),
            detail_hi: None,
            fields: vec![],
            count: None,
        });
        AppState { dir, store: Mutex::new(None) }
    }

    fn dir(&self) -> Result<&std::path::Path, ErrorReply> {
        self.dir.as_deref().map_err(Clone::clone)
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Store>> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so the store stays usable after one.
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the open store, turning any failure into the one reply the interface
    /// understands; while the app is locked, every command is refused.
    pub fn with<T>(&self, f: impl FnOnce(&mut Store) -> Result<T, StoreError>) -> Result<T, ErrorReply> {
        self.dir()?;
        let mut slot = self.slot();
        let store = slot.as_mut().ok_or_else(|| ErrorReply::from(StoreError::Locked))?;
        f(store).map_err(ErrorReply::from)
    }

    /// What the data folder holds: nothing yet, a store from before encryption, or one to unlock.
    pub fn folder(&self) -> Result<Folder, ErrorReply> {
        Ok(Store::folder(self.dir()?)?)
    }

    /// Sets the store up for its first account and returns the recovery code to show once. An
    /// empty store gets the demo village, unless she chose to receive her village from the block
    /// office: then it stays empty, marked so, until the laptop enrolls.
    pub fn set_up(
        &self,
        name: &str,
        secret: &Secret,
        demo: bool,
        progress: &mut dyn FnMut(OpenProgress),
    ) -> Result<String, ErrorReply> {
        let (mut store, code) = Store::create_reporting(self.dir()?, name, secret, progress)?;
        if demo {
            fill_demo_if_empty(&mut store)?;
        } else if store.villages()?.is_empty() && store.household_count()? == 0 {
            store.wait_for_block_village()?;
        }
        *self.slot() = Some(store);
        Ok(code.expose().to_owned())
    }

    pub fn unlock(
        &self,
        account: Option<&str>,
        secret: &Secret,
        progress: &mut dyn FnMut(OpenProgress),
    ) -> Result<(), ErrorReply> {
        let mut store = Store::unlock_reporting(self.dir()?, account, secret, progress)?;
        fill_demo_if_empty(&mut store)?;
        snapshot(&store);
        read_ahead(&store);
        *self.slot() = Some(store);
        Ok(())
    }

    pub fn recover(
        &self,
        account: Option<&str>,
        code: &Secret,
        secret: &Secret,
        progress: &mut dyn FnMut(OpenProgress),
    ) -> Result<(), ErrorReply> {
        let store = Store::recover_reporting(self.dir()?, account, code, secret, progress)?;
        *self.slot() = Some(store);
        Ok(())
    }

    /// Restores the backup at `path` into the empty data folder and opens it; only a backup the
    /// app found itself is taken (see `samanvaya_core::found_backup`).
    pub fn restore(
        &self,
        path: &str,
        account: Option<&str>,
        secret: &Secret,
        progress: &mut dyn FnMut(OpenProgress),
    ) -> Result<(), ErrorReply> {
        let found =
            samanvaya_core::found_backup(&samanvaya_core::Places::from_env(), path).ok_or_else(|| {
                ErrorReply::from(StoreError::NotFound { what: "backup file", id: path.to_owned() })
            })?;
        let store = Store::restore_reporting(
            std::path::Path::new(&found.path),
            self.dir()?,
            account,
            secret,
            progress,
        )?;
        *self.slot() = Some(store);
        Ok(())
    }

    /// Closes the store; its connection, and the key with it, are dropped.
    /// Puts the practice village aside (see `Store::put_practice_aside`) and leaves the app as
    /// on a new laptop, for a new setup; returns where the practice store went. A real store, or
    /// a viewer's, is refused with the store still open.
    pub fn put_practice_aside(&self) -> Result<String, ErrorReply> {
        self.dir()?;
        let mut slot = self.slot();
        let store = slot.as_ref().ok_or_else(|| ErrorReply::from(StoreError::Locked))?;
        if !store.is_demo()? {
            return Err(StoreError::NotDemo.into());
        }
        store.require_write("leave the practice village")?;
        let store = slot.take().ok_or_else(|| ErrorReply::from(StoreError::Locked))?;
        Ok(store.put_practice_aside()?.display().to_string())
    }

    pub fn lock(&self) {
        *self.slot() = None;
    }

    pub fn idle_lock_seconds() -> u64 {
        std::env::var("SAMANVAYA_IDLE_LOCK_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(IDLE_LOCK_SECONDS)
    }
}

/// Today's snapshot, the first time the store is opened on a day. A snapshot that cannot be
/// written (a full disk) must not keep her from her work, so it is reported on the console only.
fn snapshot(store: &Store) {
    let taken = store.now().and_then(|now| store.snapshot_if_due(now.today));
    if let Err(e) = taken {
        eprintln!("the daily snapshot was not taken: {e}");
    }
}

/// On a second connection, beside the window: reads the register's copy of the name keys, which
/// the window's connection shares, so that the first name search finds it ready; then decides the
/// day's tally for the referral funnel, whose slices the funnel's first drawing reads. A failure
/// costs only that first search's or drawing's time, so it is reported on the console only.
fn read_ahead(store: &Store) {
    let second = match store.second_connection() {
        Ok(second) => second,
        Err(e) => return eprintln!("the register and the day's tally were not read ahead: {e}"),
    };
    std::thread::spawn(move || {
        if let Err(e) = second.read_register_names() {
            eprintln!("the register's names were not read ahead: {e}");
        }
        if let Err(e) = second.now().and_then(|now| second.keep_tally(now.today)) {
            eprintln!("the day's tally was not kept ahead: {e}");
        }
    });
}

fn fill_demo_if_empty(store: &mut Store) -> Result<(), StoreError> {
    if store.villages()?.is_empty() && store.household_count()? == 0 && !store.waits_for_block_village()? {
        samanvaya_demo::fill(store, DEMO_SEED)?;
    }
    Ok(())
}
