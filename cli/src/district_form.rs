//! `samanvaya form install` and `form list`: a district's version of the survey on this
//! laptop's store. Kept apart from `form.rs`, which checks forms with no store at all.

use std::path::Path;

use anyhow::{Context, Result};
use samanvaya_core::{FormInfo, Store};

/// Installs the form in `file` and says what new surveys start on.
pub fn install(store: &mut Store, file: &Path) -> Result<String> {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("form.xlsx").to_owned();
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let at = store.now()?;
    let info = store.install_form(&name, &bytes, at)?;
    Ok(format!(
        "Installed {} version {} ({}): new surveys start on it; surveys in progress finish on the version they started on.\n",
        info.form_id, info.version, info.title_en
    ))
}

/// The survey forms on this laptop, one line each, the one new surveys start on marked.
pub fn list(forms: &[FormInfo]) -> String {
    let mut out = String::new();
    for f in forms {
        let whence = match (&f.installed_at, &f.installed_by) {
            (Some(at), Some(by)) => format!("installed {} by {by}", at.format("%Y-%m-%d %H:%M UTC")),
            _ => "built into the app".to_owned(),
        };
        out.push_str(&format!(
            "{} {} {} — {} ({whence})\n",
            if f.in_use { "*" } else { " " },
            f.form_id,
            f.version,
            f.title_en
        ));
    }
    out.push_str("* new surveys start on this one\n");
    out
}
