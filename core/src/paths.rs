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
