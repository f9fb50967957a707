//! An XLSForm survey as pyxform's markdown tables, of any content: the form loads whole or is
//! refused with its problems; a form that loads is worked out on no answers and laid out for the
//! screen, as the survey does when it opens.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: samanvaya_fuzz::keep_caught_panics(),
    |data: &[u8]| {
    let Ok(cat) = samanvaya_eligibility::embedded() else { return };
    if let Ok(form) = samanvaya_forms::load_file("form.md", data, cat) {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a real day");
        let _ = samanvaya_forms::evaluate(&form, &samanvaya_forms::Answers::default(), today);
        let _ = samanvaya_forms::view::form(&form);
    }
}
);
