//! Files the window may read from outside the data folder: those at the top of each USB stick
//! mounted now and in Downloads, found by their names. A command that reads a file the window
//! names checks it is one of these first, so the window can read nothing else of the disk.

use std::path::PathBuf;

use serde::Serialize;
use ts_rs::TS;

use crate::removable::Places;

/// A file found on a stick or in Downloads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FoundFile {
    pub path: String,
    pub file_name: String,
    /// The stick's label, or `None` for Downloads.
    pub drive: Option<String>,
    #[ts(type = "number")]
    pub bytes: u64,
}

/// The files whose lower-case name `wanted` accepts, by name; hidden files (a copy still being
/// written) are left out.
pub fn found_files(places: &Places, wanted: impl Fn(&str) -> bool) -> Vec<FoundFile> {
    let mut dirs: Vec<(PathBuf, Option<String>)> =
        places.drives().into_iter().map(|d| (PathBuf::from(d.path), Some(d.label))).collect();
    if let Some(dir) = &places.downloads {
        dirs.push((dir.clone(), None));
    }
    let mut out = Vec::new();
    for (dir, drive) in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(file_name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            let Ok(meta) = entry.metadata() else { continue };
            if file_name.starts_with('.') || !meta.is_file() || !wanted(&file_name.to_lowercase()) {
                continue;
            }
            out.push(FoundFile {
                path: path.display().to_string(),
                file_name,
                drive: drive.clone(),
                bytes: meta.len(),
            });
        }
    }
    out.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    out
}

/// The file at `path` if it is one `found_files` offers now.
pub fn found_file(places: &Places, path: &str, wanted: impl Fn(&str) -> bool) -> Option<FoundFile> {
    found_files(places, wanted).into_iter().find(|f| f.path == path)
}
