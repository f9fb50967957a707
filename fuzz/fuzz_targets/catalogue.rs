//! The catalogue loader on one scheme file of any content, beside the app's other files: it must
//! load the catalogue or refuse it with its problems, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: samanvaya_fuzz::keep_caught_panics(),
    |data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut files: Vec<(&str, &str)> = samanvaya_schema::SCHEME_FILES
        .iter()
        .filter(|(path, _)| !path.ends_with("pm_kisan.toml"))
        .copied()
        .collect();
    files.push(("schemes/pm_kisan.toml", &text));
    let _ = samanvaya_rules::load(samanvaya_schema::FACT_FILES, &files, samanvaya_schema::GROUP_FILES);
}
);
