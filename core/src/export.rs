//! Files the facilitator takes away: written whole or not at all, so that a full USB stick or a
//! power cut never leaves a half-written list that looks complete.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::StoreError;

/// Writes `text` as `dir/name` with a UTF-8 byte-order mark in front (a spreadsheet then reads
/// Hindi correctly), through a temporary file renamed into place. Returns the file's path.
pub fn save_csv(dir: &Path, name: &str, text: &str) -> Result<PathBuf, StoreError> {
    let mut bytes = Vec::with_capacity(text.len() + 3);
    bytes.extend_from_slice(samanvaya_eligibility::csv::BOM.as_bytes());
    bytes.extend_from_slice(text.as_bytes());
    save(dir, name, &bytes)
}

/// Writes `bytes` as `dir/name`: first beside it as a hidden `.part` file, synced to the disk,
/// then renamed over the name, so the name holds the whole file or what it held before.
pub fn save(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, StoreError> {
    let path = dir.join(name);
    let failed = |source| StoreError::Export { path: path.display().to_string(), source };
    std::fs::create_dir_all(dir).map_err(failed)?;
    let tmp = dir.join(format!(".{name}.part"));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        failed(e)
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_list_starts_with_the_mark_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = save_csv(dir.path(), "list.csv", "नाम,टोला\nसुनीता,पूरब\n").unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with("\u{feff}नाम".as_bytes()));
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("list.csv")]);
    }

    #[test]
    fn a_folder_that_cannot_be_written_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let e = save_csv(&blocker.join("sub"), "list.csv", "a\n").unwrap_err();
        assert!(e.to_string().contains("could not be written"), "{e}");
    }
}
