//! A household list and its mapping file as files: read from a path (the CLI's argument, or a
//! file the import screen found on a USB stick or in Downloads), and the files the screen offers.

use std::path::Path;

use samanvaya_forms::workbook::Sheet;
use serde::Serialize;
use ts_rs::TS;

use super::mapping::ListMapping;
use samanvaya_eligibility::view::Bilingual;

use crate::error::StoreError;
use crate::found_file::{FoundFile, found_files};
use crate::removable::Places;

fn refused(en: String, hi: String) -> StoreError {
    StoreError::ListRefused { problems: vec![Bilingual { en, hi }] }
}

/// The list itself cannot be read: a refusal that names the list, not its mapping file.
fn unreadable(problem: String) -> StoreError {
    StoreError::ListUnreadable { problem }
}

/// Reads the list: `.xlsx` by its first sheet, anything else as CSV text in UTF-8.
pub fn read_list(path: &Path) -> Result<Sheet, StoreError> {
    let bytes =
        std::fs::read(path).map_err(|e| unreadable(format!("cannot read {}: {e}", path.display())))?;
    let is_xlsx = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let sheet = if is_xlsx {
        samanvaya_forms::table::read_xlsx_table(&bytes)
    } else {
        let text = String::from_utf8(bytes).map_err(|_| {
            unreadable(format!(
                "{} is not UTF-8 text; save it from the spreadsheet as \"CSV UTF-8\", or as .xlsx",
                path.display()
            ))
        })?;
        samanvaya_forms::table::read_csv(&text)
    };
    sheet.map_err(|e| unreadable(format!("{} cannot be read: {e}", path.display())))
}

/// Reads the column-mapping file (docs/import.md).
pub fn read_mapping(path: &Path) -> Result<ListMapping, StoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        refused(
            format!("cannot read {}: {e}", path.display()),
            format!("{} पढ़ी नहीं जा सकी: {e}", path.display()),
        )
    })?;
    // The reader's own words of what is wrong in the file (its line and column) stay in English.
    ListMapping::parse(&text).map_err(|e| {
        refused(
            format!("{} is refused: {}", path.display(), e.0),
            format!("मैपिंग फ़ाइल {} में गलती है: {}", path.display(), e.0),
        )
    })
}

/// The lists (`.csv`, `.xlsx`) and mapping files (`.toml`) at the top of each USB stick mounted
/// now and in Downloads, by name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, TS)]
#[ts(export)]
pub struct ImportFiles {
    pub lists: Vec<FoundFile>,
    pub mappings: Vec<FoundFile>,
}

/// The files the import screen offers.
pub fn import_files(places: &Places) -> ImportFiles {
    ImportFiles {
        lists: found_files(places, |name| name.ends_with(".csv") || name.ends_with(".xlsx")),
        mappings: found_files(places, |name| name.ends_with(".toml")),
    }
}
