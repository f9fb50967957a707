//! `samanvaya worklist`: one scheme's families as CSV, for the Samiti's meeting.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use samanvaya_core::Store;
use samanvaya_eligibility::review::Lang;
use samanvaya_eligibility::worklist;

/// The worklist of `scheme` as CSV, kept to the hamlet named `hamlet` (in English or Hindi).
pub fn csv(
    store: &Store,
    scheme: &str,
    hamlet: Option<&str>,
    lang: Lang,
    as_of: chrono::NaiveDate,
) -> Result<String> {
    let hamlet_id = match hamlet {
        None => None,
        Some(name) => {
            let hamlets = store.village_overview()?.hamlets;
            let wanted = name.trim().to_lowercase();
            let found = hamlets
                .iter()
                .find(|h| h.name_en.to_lowercase() == wanted || h.name_hi == name.trim())
                .map(|h| h.id.to_string());
            match found {
                Some(id) => Some(id),
                None => {
                    let known: Vec<String> =
                        hamlets.iter().map(|h| format!("{} ({})", h.name_en, h.name_hi)).collect();
                    bail!(
                        "no hamlet is called \"{name}\" in this village; its hamlets are: {}",
                        known.join(", ")
                    )
                }
            }
        }
    };
    let list = store
        .worklist(scheme, as_of, |_, _| {})
        .with_context(|| format!("no worklist for {scheme}; the scheme codes are listed by `samanvaya catalogue review --format csv`"))?;
    Ok(worklist::csv(&list, lang, hamlet_id.as_deref()))
}

/// The folder and file name of `path`, the folder being the current one when none is given.
pub fn split(path: &Path) -> Result<(PathBuf, String)> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} is not a file name; give one such as worklist.csv", path.display()))?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Ok((dir.to_path_buf(), name.to_owned()))
}
