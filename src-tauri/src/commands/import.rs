//! Commands of the import screen: the household lists and mapping files on the USB sticks and in
//! Downloads, and importing one list with one mapping (checked only, or written), with
//! `import-progress` events while the households are written.

use std::path::Path;

use samanvaya_core::list_import::{ImportFiles, import_files, read_list, read_mapping};
use samanvaya_core::{ErrorReply, ListOptions, ListReport, Places, StoreError};
use samanvaya_eligibility::view::Bilingual;
use tauri::{Emitter, State, Window};

use crate::state::AppState;

/// The lists and mapping files found now.
#[tauri::command(async)]
pub fn import_files_found() -> ImportFiles {
    import_files(&Places::from_env())
}

/// Checks (`dry_run`) or imports the list at `list` with the mapping at `mapping`: only files
/// that [`import_files_found`] offers, so the window can read nothing else of the disk.
#[tauri::command(async)]
pub fn import_list(
    window: Window,
    state: State<'_, AppState>,
    list: String,
    mapping: String,
    dry_run: bool,
) -> Result<ListReport, ErrorReply> {
    let found = import_files(&Places::from_env());
    let offered =
        found.lists.iter().any(|f| f.path == list) && found.mappings.iter().any(|f| f.path == mapping);
    if !offered {
        return Err(StoreError::ListRefused {
            problems: vec![Bilingual {
                en: "that file is no longer on the stick or in Downloads; look again".into(),
                hi: "वह फ़ाइल अब स्टिक पर या डाउनलोड में नहीं है; फिर से देखें".into(),
            }],
        }
        .into());
    }
    let (sheet, mapping) = (read_list(Path::new(&list))?, read_mapping(Path::new(&mapping))?);
    state.with(|s| {
        // A lost progress event only leaves the bar behind; the import itself carries on.
        s.import_list(&sheet, &mapping, ListOptions { dry_run }, |done, total| {
            let _ = window.emit("import-progress", (done, total));
        })
    })
}
