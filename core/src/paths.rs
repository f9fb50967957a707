//! Where the store lives: the OS per-user data folder unless the user says otherwise.

use std::path::PathBuf;

/// The environment variable that overrides the data folder (the CLI's `--data-dir` reads it too).
pub const DATA_DIR_ENV: &str = "SAMANVAYA_DATA_DIR";

/// The database file inside the data folder.
pub const DB_FILE_NAME: &str = "samanvaya.sqlite3";

/// The data folder when none is given: `$SAMANVAYA_DATA_DIR`, else the OS per-user data folder
/// (`~/.local/share/samanvaya` on Linux, `%APPDATA%\samanvaya` on Windows).
pub fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    dirs::data_dir().map(|d| d.join("samanvaya"))
}

/// The environment variable that overrides where exported files go (tests set it).
pub const EXPORT_DIR_ENV: &str = "SAMANVAYA_EXPORT_DIR";

/// Where exported lists are saved when the user does not say: `$SAMANVAYA_EXPORT_DIR`, else the
/// user's Downloads folder, where a facilitator looks for a file to copy to a USB stick, else
/// her documents.
pub fn default_export_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(EXPORT_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    dirs::download_dir().or_else(dirs::document_dir).or_else(dirs::home_dir)
}

/// The path an export names when this user has no Downloads, documents or home folder: the
/// screen says so in her language by it (`ErrorReply`'s Hindi detail).
pub const NO_FOLDER: &str = "(no folder)";

/// The error a screen shows when this user has no folder to save into.
pub fn no_folder() -> crate::StoreError {
    crate::StoreError::Export {
        path: NO_FOLDER.into(),
        source: std::io::Error::other("no Downloads or home folder is known for this user"),
    }
}

/// [`default_export_dir`], or the error a screen shows when this user has no such folder.
pub fn export_dir() -> Result<PathBuf, crate::StoreError> {
    default_export_dir().ok_or_else(no_folder)
}
