//! An XLSForm `.xlsx` of any content (a zip of XML sheets): read, loaded whole or refused, and a
//! form that loads worked out on no answers, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: samanvaya_fuzz::keep_caught_panics(),
    |data: &[u8]| {
    let Ok(cat) = samanvaya_eligibility::embedded() else { return };
    if let Ok(form) = samanvaya_forms::load_file("form.xlsx", data, cat) {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a real day");
        let _ = samanvaya_forms::evaluate(&form, &samanvaya_forms::Answers::default(), today);
    }
}
);
