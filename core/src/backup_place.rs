//! Where a backup can be written: each USB stick mounted now, or the export folder (the user's
//! Downloads), as the backup panel offers them, and the backup written to the one she chose.

use std::path::PathBuf;

use serde::Serialize;
use ts_rs::TS;

use crate::backup::BackupProgress;
use crate::error::StoreError;
use crate::removable::{Drive, Places};
use crate::store::Store;

/// What the backup panel offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct BackupPlaces {
    /// The USB sticks mounted now, by label; empty when none is plugged in.
    pub drives: Vec<Drive>,
    /// The export folder (Downloads), when this user has one.
    pub downloads: Option<String>,
    /// About how many bytes the backup will take, to compare with each stick's free space.
    #[ts(type = "number")]
    pub needed_bytes: u64,
}

/// A backup written and read back whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct BackupDone {
    pub path: String,
    pub file_name: String,
    /// The stick's label, or `None` for the export folder.
    pub drive: Option<String>,
    #[ts(type = "number")]
    pub households: i64,
    #[ts(type = "number")]
    pub bytes: u64,
}

impl Store {
    /// The places a backup of this store can go now, and how much room it needs.
    pub fn backup_places(&self, places: &Places) -> Result<BackupPlaces, StoreError> {
        Ok(BackupPlaces {
            drives: places.drives(),
            downloads: places.downloads.as_ref().map(|d| d.display().to_string()),
            needed_bytes: self.backup_size_estimate()?,
        })
    }

    /// Writes today's backup onto the stick mounted at `drive` (one of `places`' sticks; anything
    /// else is refused) or, when `drive` is `None`, into the export folder; a backup made earlier
    /// the same day in the same place is replaced once the new one has been checked.
    pub fn backup_to_place(
        &self,
        places: &Places,
        drive: Option<&str>,
        progress: &mut dyn FnMut(BackupProgress),
    ) -> Result<BackupDone, StoreError> {
        let (dir, label): (PathBuf, _) = match drive {
            Some(path) => {
                let found = places
                    .drive(path)
                    .ok_or_else(|| StoreError::NotFound { what: "USB stick", id: path.to_owned() })?;
                (found.path.into(), Some(found.label))
            }
            None => (places.downloads.clone().ok_or_else(crate::paths::no_folder)?, None),
        };
        let file_name = format!("samanvaya-backup-{}.backup", self.now()?.today);
        let info = self.backup_with_progress(&dir.join(&file_name), progress)?;
        Ok(BackupDone {
            path: info.path.display().to_string(),
            file_name,
            drive: label,
            households: info.households,
            bytes: info.bytes,
        })
    }
}
