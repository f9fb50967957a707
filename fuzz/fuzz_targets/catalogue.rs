//! The catalogue loader on one scheme file of any content, beside the app's other files: it must
//! load the catalogue or refuse it with its problems, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    // libfuzzer-sys's panic hook aborts at once; the default hook, which prints and unwinds, lets
    // a panic the code under test catches itself (a damaged spreadsheet) stay caught, while one
    // that escapes still ends the run as a crash.
    init: {
        let _ = std::panic::take_hook();
    },
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
