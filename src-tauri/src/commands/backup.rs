//! Commands of the backup panel and of restoring onto a fresh install: where a backup can go,
//! writing one there (with `backup-progress` events while it writes), and the backups a new
//! laptop can be restored from.

use samanvaya_core::{BackupDone, BackupPlaces, ErrorReply, FoundBackup, Places, Secret, found_backups};
use tauri::{Emitter, State, Window};

use crate::commands::session::Session;
use crate::state::AppState;

/// The USB sticks mounted now, the Downloads folder, and the room a backup needs.
#[tauri::command(async)]
pub fn backup_places(state: State<'_, AppState>) -> Result<BackupPlaces, ErrorReply> {
    state.with(|s| s.backup_places(&Places::from_env()))
}

/// A checked, encrypted backup on the stick mounted at `drive`, or in Downloads when `drive` is
/// null.
#[tauri::command(async)]
pub fn backup_to(
    window: Window,
    state: State<'_, AppState>,
    drive: Option<String>,
) -> Result<BackupDone, ErrorReply> {
    state.with(|s| {
        // A lost progress event only leaves the bar behind; the backup itself carries on.
        s.backup_to_place(&Places::from_env(), drive.as_deref(), &mut |p| {
            let _ = window.emit("backup-progress", p);
        })
    })
}

/// The backups on the sticks and in Downloads, newest first; asked before any store exists.
#[tauri::command(async)]
pub fn backup_files() -> Vec<FoundBackup> {
    found_backups(&Places::from_env())
}

/// Restores the backup at `path` (one of [`backup_files`]') into this install's empty data
/// folder with the PIN of `account`, and opens it.
#[tauri::command(async)]
pub fn restore_backup(
    window: Window,
    state: State<'_, AppState>,
    path: String,
    account: Option<String>,
    secret: String,
) -> Result<Session, ErrorReply> {
    state.restore(
        &path,
        account.as_deref(),
        &Secret::new(secret),
        &mut super::session::reporting(&window),
    )?;
    Session::opened(&state)
}
