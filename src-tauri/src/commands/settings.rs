//! Commands of the installation's preferences.

use samanvaya_core::{ErrorReply, Language, StoreError, default_export_dir};
use serde::Serialize;
use tauri::State;

use crate::state::AppState;

#[tauri::command(async)]
pub fn get_language(state: State<'_, AppState>) -> Result<Language, ErrorReply> {
    state.with(|s| s.language())
}

#[tauri::command(async)]
pub fn set_language(state: State<'_, AppState>, language: Language) -> Result<(), ErrorReply> {
    state.with(|s| s.set_language(language))
}

/// Where a backup went and how much it holds.
#[derive(Serialize)]
pub struct BackupDone {
    path: String,
    households: i64,
}

/// A checked, encrypted backup of the store in the export folder (the user's Downloads), from
/// which she copies it to a USB stick.
#[tauri::command(async)]
pub fn backup_now(state: State<'_, AppState>) -> Result<BackupDone, ErrorReply> {
    state.with(|s| {
        let dir = default_export_dir().ok_or_else(|| StoreError::Export {
            path: "(no folder)".into(),
            source: std::io::Error::other("no Downloads or home folder is known for this user"),
        })?;
        let info = s.backup(&dir.join(format!("samanvaya-backup-{}.backup", s.now()?.today)))?;
        Ok(BackupDone { path: info.path.display().to_string(), households: info.households })
    })
}
