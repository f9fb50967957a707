//! Leaving the practice village. A laptop set up with the made-up village (the setup's default,
//! to learn the app on) can never be enrolled, since its invented households must never reach a
//! block server. When the facilitator is ready for her real village, the practice store is put
//! aside whole, beside the data folder, and the folder is left empty for a new setup: nothing is
//! deleted, and no invented household can leak into the real store.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::{Store, StoreError};

impl Store {
    /// Closes this practice store and moves its data folder aside, to a sibling named
    /// `<folder>-practice-<UTC time>`, leaving an empty folder at the old place; returns where
    /// the practice store went. A real store, or an account that may only read, is refused
    /// before anything moves.
    pub fn put_practice_aside(self) -> Result<PathBuf, StoreError> {
        if !self.is_demo()? {
            return Err(StoreError::NotDemo);
        }
        self.require_write("leave the practice village")?;
        let dir = self.data_dir().to_owned();
        // Named before anything is written: a folder with no name to put aside under is refused
        // with the store still open.
        let aside = aside_name(&dir, self.now()?.utc)?;
        // Recorded as asked: should the move fail, the practice store is where it was, closed,
        // and opens again with her PIN.
        self.audit(
            "practice:put_aside",
            &format!("asked to put the practice village aside in {}", aside.display()),
        )?;
        // The connections close before the folder moves, so that nothing is written to the
        // practice store's files after they left.
        drop(self);
        let failed = |source| StoreError::DataDir { path: dir.display().to_string(), source };
        std::fs::rename(&dir, &aside).map_err(failed)?;
        std::fs::create_dir_all(&dir).map_err(failed)?;
        Ok(aside)
    }
}

/// A sibling of `dir` not taken yet, named for the practice and the time it was put aside.
fn aside_name(dir: &Path, at: DateTime<Utc>) -> Result<PathBuf, StoreError> {
    let name =
        dir.file_name().map(|n| n.to_string_lossy().into_owned()).ok_or_else(|| StoreError::DataDir {
            path: dir.display().to_string(),
            source: std::io::Error::other("the data folder has no name to put a practice store aside under"),
        })?;
    let stem = format!("{name}-practice-{}", at.format("%Y%m%d-%H%M%S"));
    let mut aside = dir.with_file_name(&stem);
    let mut n = 2;
    while aside.exists() {
        aside = dir.with_file_name(format!("{stem}-{n}"));
        n += 1;
    }
    Ok(aside)
}
