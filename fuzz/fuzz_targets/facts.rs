//! A household facts file (`samanvaya check` and the district's batch runs read them) of any
//! content: read against the vocabulary, and decided when it reads, never a panic.
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
    let Ok(cat) = samanvaya_eligibility::embedded() else { return };
    if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = samanvaya_rules::HouseholdFacts::from_json(&cat.vocab, &doc);
    }
}
);
