//! Commands of the sync panel: where sync stands, "sync now", and enrolling the laptop with a
//! code from the block office. The network part runs on a second connection to the store, so
//! the window keeps working while a slow link takes its time.

use samanvaya_core::{
    Drive, ErrorCode, ErrorReply, FoundFile, Places, Store, SyncStatus, found_file, found_files,
};
use samanvaya_sync_client::Tuning;
use samanvaya_sync_laptop::{LaptopSyncError, block_on};
use tauri::State;

use crate::state::AppState;

/// A sync failure as the one reply the interface understands: the code word first, which the
/// panel says in the user's language, then the detail.
fn reply(e: LaptopSyncError) -> ErrorReply {
    match e {
        LaptopSyncError::Store(e) => ErrorReply::from(e),
        // The panel says the following on its own line; the failure is what the reply is.
        LaptopSyncError::AfterFollowing { then, .. } => reply(*then),
        other => ErrorReply {
            code: ErrorCode::Sync,
            detail: format!("{}: {other}", other.code()),
            detail_hi: None,
            fields: vec![],
            count: None,
        },
    }
}

fn run<T>(f: impl Future<Output = Result<T, LaptopSyncError>>) -> Result<T, ErrorReply> {
    block_on(f)
        .map_err(|e| ErrorReply {
            code: ErrorCode::Storage,
            detail: e.to_string(),
            detail_hi: None,
            fields: vec![],
            count: None,
        })?
        .map_err(reply)
}

#[tauri::command(async)]
pub fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus, ErrorReply> {
    state.with(|s| s.sync_status())
}

/// Runs `job`, which starts a runtime of its own for the network, on a blocking thread: commands
/// run on Tauri's async runtime, inside which another runtime cannot block, and a slow link must
/// not hold up the window's other commands.
async fn off_runtime<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, ErrorReply> + Send + 'static,
) -> Result<T, ErrorReply> {
    tauri::async_runtime::spawn_blocking(job).await.map_err(|e| ErrorReply {
        code: ErrorCode::Storage,
        detail: format!("the sync stopped unexpectedly: {e}"),
        detail_hi: None,
        fields: vec![],
        count: None,
    })?
}

/// One sync now; the status after it either way (a failure is in `last_error`).
#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> Result<SyncStatus, ErrorReply> {
    let mut second: Store = state.with(|s| s.second_connection())?;
    off_runtime(move || {
        let result = run(samanvaya_sync_laptop::sync(&mut second, Tuning::default()));
        let status = second.sync_status().map_err(ErrorReply::from)?;
        result.map(|_| status)
    })
    .await
}

/// The block's answers (`*.samanvaya-feed`) on the USB sticks and in Downloads.
#[tauri::command(async)]
pub fn sync_feed_files() -> Vec<FoundFile> {
    found_files(&Places::from_env(), is_feed)
}

fn is_feed(name: &str) -> bool {
    name.ends_with(".samanvaya-feed")
}

/// Applies the block's answer at `path`, one of [`sync_feed_files`]; the status after it and how
/// many of its changes were new here.
#[tauri::command]
pub async fn sync_import_feed(
    state: State<'_, AppState>,
    path: String,
) -> Result<(SyncStatus, usize), ErrorReply> {
    // A stick taken out since the files were listed: the stick's sentence, not a record's.
    let Some(found) = found_file(&Places::from_env(), &path, is_feed) else {
        return Err(ErrorReply {
            code: ErrorCode::Sync,
            detail: format!("file: {path} is no longer on the USB stick or in Downloads"),
            detail_hi: None,
            fields: vec![],
            count: None,
        });
    };
    // Refused before it is read: a file of gigabytes is not read into memory to be refused.
    if found.bytes > samanvaya_sync_laptop::MAX_ANSWER_BYTES as u64 {
        return Err(ErrorReply {
            code: ErrorCode::Sync,
            detail: format!(
                "file_damaged: {path} is larger than {} MB, more than any answer from the block",
                samanvaya_sync_laptop::MAX_ANSWER_BYTES >> 20
            ),
            detail_hi: None,
            fields: vec![],
            count: None,
        });
    }
    let bytes = std::fs::read(&path).map_err(|e| ErrorReply {
        code: ErrorCode::Storage,
        detail: format!("cannot read {path}: {e}"),
        detail_hi: None,
        fields: vec![],
        count: None,
    })?;
    let mut second: Store = state.with(|s| s.second_connection())?;
    // It waits for a sync with the block that is running (`import_feed`): on a thread of its
    // own, not one of the few that answer the window.
    off_runtime(move || {
        let done = samanvaya_sync_laptop::import_feed(&mut second, &bytes).map_err(reply)?;
        Ok((second.sync_status()?, done.applied))
    })
    .await
}

#[tauri::command]
pub async fn sync_enroll(
    state: State<'_, AppState>,
    url: String,
    code: String,
) -> Result<SyncStatus, ErrorReply> {
    let mut second: Store = state.with(|s| s.second_connection())?;
    off_runtime(move || {
        run(samanvaya_sync_laptop::enroll(&mut second, url.trim(), &code, "village centre laptop"))?;
        second.sync_status().map_err(ErrorReply::from)
    })
    .await
}

/// Enrolls this laptop again with its block, with a code the block office made for it: for a
/// block that presents another certificate because it lost its own (`sync_link.rs`,
/// `renew_enrollment`). Everything the laptop holds stays.
#[tauri::command]
pub async fn sync_enroll_again(state: State<'_, AppState>, code: String) -> Result<SyncStatus, ErrorReply> {
    let mut second: Store = state.with(|s| s.second_connection())?;
    off_runtime(move || {
        run(samanvaya_sync_laptop::enroll_again(&mut second, code.trim(), "village centre laptop"))?;
        second.sync_status().map_err(ErrorReply::from)
    })
    .await
}

/// What "a file for the USB stick" wrote: where, how many changes it holds, how many wait for
/// the block's answer first (on a laptop restored from a backup), and how many the block holds
/// already that it carries again, not yet known to have reached the district.
#[derive(serde::Serialize)]
pub struct SyncFile {
    path: String,
    file_name: String,
    /// The stick's label, or `None` for Downloads.
    drive: Option<String>,
    changes: usize,
    held_back: usize,
    carried_again: usize,
}

/// The sync file's name: the day, and the end of the laptop's device id, so that the files of
/// two laptops on one stick (a stick shared in the village, or the block's stick taken round
/// its villages) do not overwrite each other (found by a review). The same laptop's file of the
/// same day replaces its earlier one, which holds nothing the later one lacks.
fn sync_file_name(device: uuid::Uuid, today: chrono::NaiveDate) -> String {
    // The end of a version-7 id is random; its start is the time it was made, alike for two
    // laptops set up in the same minute.
    let id = device.simple().to_string();
    format!("samanvaya-sync-{today}-{}.samanvaya-sync", &id[id.len() - 8..])
}

/// The USB sticks mounted now, for "a file for the USB stick" to offer each by its name.
#[tauri::command(async)]
pub fn sync_drives() -> Vec<Drive> {
    Places::from_env().drives()
}

/// Writes what the block has not acknowledged to a sync file on the stick mounted at `drive`
/// (one of [`sync_drives`]), or in the export folder (the user's Downloads, else Documents)
/// when `drive` is null, for the block office when there is no network.
#[tauri::command]
pub async fn sync_export(state: State<'_, AppState>, drive: Option<String>) -> Result<SyncFile, ErrorReply> {
    // A stick is named by the folder the panel offered, and only a stick mounted there now is
    // written to: one pulled out since is said so, and nothing else is written instead.
    let stick_gone = |path: &str| ErrorReply {
        code: ErrorCode::Sync,
        detail: format!("stick_gone: the USB stick at {path} is no longer plugged in"),
        detail_hi: None,
        fields: vec![],
        count: None,
    };
    let stick = drive.clone();
    let (dir, label) = match drive {
        Some(path) => {
            let found = Places::from_env().drive(&path).ok_or_else(|| stick_gone(&path))?;
            (std::path::PathBuf::from(found.path), Some(found.label))
        }
        None => {
            let dir = samanvaya_core::export_dir()?;
            // The export folder may not exist yet on a new laptop (Downloads is made on first
            // use). A stick's folder is never made: one pulled out would leave its mount folder
            // on the laptop's own disk to write into.
            std::fs::create_dir_all(&dir).map_err(|source| {
                ErrorReply::from(samanvaya_core::StoreError::Export {
                    path: dir.display().to_string(),
                    source,
                })
            })?;
            (dir, None)
        }
    };
    let (today, device) = state.with(|s| Ok((s.now()?.today, s.device_id()?)))?;
    let file_name = sync_file_name(device, today);
    let path = dir.join(&file_name);
    let mut second: Store = state.with(|s| s.second_connection())?;
    // It waits for a sync with the block that is running (`export_file`): on a thread of its
    // own, not one of the few that answer the window.
    off_runtime(move || {
        let written = samanvaya_sync_laptop::export_file(&mut second, &path);
        // A stick pulled out while the file was packed may leave its mount folder behind on the
        // laptop's own disk, and the file written into it: she would carry an empty stick to
        // the block office, told it held the file. Asked again once the file is written (or
        // failed to be), the stick must still be mounted there; if not, the file is taken off
        // the laptop's disk and she is told to plug it in again, not of a file error (the
        // changes still wait here).
        if let Some(stick) = stick.filter(|s| Places::from_env().drive(s).is_none()) {
            let _ = std::fs::remove_file(&path);
            return Err(stick_gone(&stick));
        }
        let done = written.map_err(reply)?;
        Ok(SyncFile {
            path: path.display().to_string(),
            file_name,
            drive: label,
            changes: done.changes,
            held_back: done.held_back,
            carried_again: done.carried_again,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_laptops_made_in_the_same_minute_write_files_of_their_own_names() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let [a, b] = [(); 2].map(|()| uuid::Uuid::now_v7());
        assert_eq!(a.simple().to_string()[..8], b.simple().to_string()[..8], "made in the same minute");
        assert_ne!(sync_file_name(a, today), sync_file_name(b, today));
        assert!(sync_file_name(a, today).starts_with("samanvaya-sync-2026-12-06-"));
        assert!(sync_file_name(a, today).ends_with(".samanvaya-sync"));
    }
}
