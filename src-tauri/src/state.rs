//! The store as the commands see it: opened once at start, shared behind a lock.

use std::path::PathBuf;
use std::sync::Mutex;

use samanvaya_core::{ErrorCode, ErrorReply, Store, StoreError};

/// The seed of the demo village that fills an empty store on first start.
const DEMO_SEED: u64 = 1;

pub struct AppState {
    /// The store, or why it could not be opened; the window shows the reason instead of vanishing.
    store: Result<Mutex<Store>, ErrorReply>,
}

impl AppState {
    pub fn open(data_dir: Option<PathBuf>) -> AppState {
        let store = match data_dir {
            Some(dir) => open_with_demo(&dir).map(Mutex::new).map_err(ErrorReply::from),
            None => Err(ErrorReply {
                code: ErrorCode::Storage,
                detail: "no data folder: start the app with --data-dir DIR or set SAMANVAYA_DATA_DIR".into(),
                fields: vec![],
            }),
        };
        AppState { store }
    }

    /// Runs `f` on the store, turning any failure into the one reply the interface understands.
    pub fn with<T>(&self, f: impl FnOnce(&mut Store) -> Result<T, StoreError>) -> Result<T, ErrorReply> {
        let lock = self.store.as_ref().map_err(Clone::clone)?;
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll back),
        // so the store stays usable after one.
        let mut store = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut store).map_err(ErrorReply::from)
    }
}

fn open_with_demo(dir: &std::path::Path) -> Result<Store, StoreError> {
    let mut store = Store::open(dir)?;
    if store.villages()?.is_empty() && store.household_count()? == 0 {
        samanvaya_demo::fill(&mut store, DEMO_SEED)?;
    }
    Ok(store)
}
