//! A household list and its mapping file as files: read from a path (the CLI's argument, or a
//! file the import screen found on a USB stick or in Downloads), and the files the screen offers.

use std::path::{Path, PathBuf};

use samanvaya_forms::workbook::Sheet;
use serde::Serialize;
use ts_rs::TS;

use super::mapping::ListMapping;
use crate::error::StoreError;
use crate::removable::Places;

fn refused(problem: String) -> StoreError {
    StoreError::ListRefused { problems: vec![problem] }
}

/// Reads the list: `.xlsx` by its first sheet, anything else as CSV text in UTF-8.
pub fn read_list(path: &Path) -> Result<Sheet, StoreError> {
    let bytes = std::fs::read(path).map_err(|e| refused(format!("cannot read {}: {e}", path.display())))?;
    let is_xlsx = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let sheet = if is_xlsx {
        samanvaya_forms::table::read_xlsx_table(&bytes)
    } else {
        let text = String::from_utf8(bytes).map_err(|_| {
            refused(format!(
                "{} is not UTF-8 text; save it from the spreadsheet as \"CSV UTF-8\", or as .xlsx",
                path.display()
            ))
        })?;
        samanvaya_forms::table::read_csv(&text)
    };
    sheet.map_err(|e| refused(format!("{} cannot be read: {e}", path.display())))
}

/// Reads the column-mapping file (docs/import.md).
pub fn read_mapping(path: &Path) -> Result<ListMapping, StoreError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| refused(format!("cannot read {}: {e}", path.display())))?;
    ListMapping::parse(&text).map_err(|e| refused(format!("{} is refused: {}", path.display(), e.0)))
}

/// A list or mapping file the import screen offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ImportFile {
    pub path: String,
    pub file_name: String,
    /// The stick's label, or `None` for Downloads.
    pub drive: Option<String>,
    #[ts(type = "number")]
    pub bytes: u64,
}

/// The lists (`.csv`, `.xlsx`) and mapping files (`.toml`) at the top of each USB stick mounted
/// now and in Downloads, by name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, TS)]
#[ts(export)]
pub struct ImportFiles {
    pub lists: Vec<ImportFile>,
    pub mappings: Vec<ImportFile>,
}

/// The files the import screen offers.
pub fn import_files(places: &Places) -> ImportFiles {
    let mut dirs: Vec<(PathBuf, Option<String>)> =
        places.drives().into_iter().map(|d| (PathBuf::from(d.path), Some(d.label))).collect();
    if let Some(dir) = &places.downloads {
        dirs.push((dir.clone(), None));
    }
    let mut out = ImportFiles::default();
    for (dir, drive) in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(file_name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            let Ok(meta) = entry.metadata() else { continue };
            if file_name.starts_with('.') || !meta.is_file() {
                continue;
            }
            let lower = file_name.to_lowercase();
            let found = ImportFile {
                path: path.display().to_string(),
                file_name,
                drive: drive.clone(),
                bytes: meta.len(),
            };
            if lower.ends_with(".csv") || lower.ends_with(".xlsx") {
                out.lists.push(found);
            } else if lower.ends_with(".toml") {
                out.mappings.push(found);
            }
        }
    }
    out.lists.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    out.mappings.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    out
}
