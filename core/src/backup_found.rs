//! The backups a fresh install can be restored from: the backup files at the top of each USB
//! stick mounted now and in the export folder (Downloads), newest first, each with the accounts
//! its keyring names (their PINs open it). Nothing is decrypted here.

use std::path::PathBuf;
use std::time::SystemTime;

use serde::Serialize;
use ts_rs::TS;

use crate::backup::read_header;
use crate::removable::Places;

/// One backup file found, as the restore choice lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FoundBackup {
    pub path: String,
    pub file_name: String,
    /// The stick's label, or `None` for the export folder.
    pub drive: Option<String>,
    #[ts(type = "number")]
    pub bytes: u64,
    /// The day it was written (YYYY-MM-DD, India Standard Time), when the drive keeps it.
    pub day: Option<String>,
    /// The accounts whose PIN opens it; the first is asked for when there is only one.
    pub accounts: Vec<String>,
}

/// The backup files on the sticks mounted now and in the export folder, newest first.
pub fn found_backups(places: &Places) -> Vec<FoundBackup> {
    let mut dirs: Vec<(PathBuf, Option<String>)> =
        places.drives().into_iter().map(|d| (PathBuf::from(d.path), Some(d.label))).collect();
    if let Some(dir) = &places.downloads {
        dirs.push((dir.clone(), None));
    }
    backups_in(&dirs)
}

/// The backup found at `path` now, if it is one of [`found_backups`]: the window restores only a
/// file the app itself offered.
pub fn found_backup(places: &Places, path: &str) -> Option<FoundBackup> {
    found_backups(places).into_iter().find(|b| b.path == path)
}

fn backups_in(places: &[(PathBuf, Option<String>)]) -> Vec<FoundBackup> {
    let mut found: Vec<(SystemTime, FoundBackup)> = Vec::new();
    for (dir, drive) in places {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(file_name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            // A hidden name is a backup still being written (or stopped half-way).
            if file_name.starts_with('.') || !file_name.ends_with(".backup") {
                continue;
            }
            let (Ok(meta), Ok((ring, _))) = (entry.metadata(), read_header(&path)) else { continue };
            let modified = meta.modified().ok();
            found.push((
                modified.unwrap_or(SystemTime::UNIX_EPOCH),
                FoundBackup {
                    path: path.display().to_string(),
                    file_name,
                    drive: drive.clone(),
                    bytes: meta.len(),
                    day: modified.map(india_day),
                    accounts: ring.accounts.iter().map(|a| a.name.clone()).collect(),
                },
            ));
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.path.cmp(&b.1.path)));
    found.into_iter().map(|(_, b)| b).collect()
}

/// The calendar day of `at` in India Standard Time, the centre's day unless its store says
/// otherwise (and on a fresh install there is no store yet to say so).
fn india_day(at: SystemTime) -> String {
    let offset = chrono::FixedOffset::east_opt(samanvaya_domain::clock::IST_OFFSET_SECONDS)
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).unwrap());
    chrono::DateTime::<chrono::Utc>::from(at).with_timezone(&offset).date_naive().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_named_backup_files_are_found() {
        let usb = tempfile::tempdir().unwrap();
        std::fs::write(usb.path().join("notes.backup"), "not a backup").unwrap();
        std::fs::write(usb.path().join(".samanvaya-backup-2026-12-01.backup.part"), "half").unwrap();
        std::fs::write(usb.path().join("photo.jpg"), "").unwrap();
        assert!(backups_in(&[(usb.path().to_owned(), Some("USB".into()))]).is_empty());
    }

    #[test]
    fn a_missing_folder_holds_no_backup() {
        let gone = tempfile::tempdir().unwrap().path().join("gone");
        assert!(backups_in(&[(gone, None)]).is_empty());
    }

    #[test]
    fn the_day_is_india_s() {
        // 20:00 UTC on 30 November is already 1 December in India.
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_796_068_800);
        assert_eq!(india_day(at), "2026-12-01");
    }
}
