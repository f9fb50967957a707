//! A household facts file (`samanvaya check` and the district's batch runs read them) of any
//! content: read against the vocabulary, and decided when it reads, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: samanvaya_fuzz::keep_caught_panics(),
    |data: &[u8]| {
    let Ok(cat) = samanvaya_eligibility::embedded() else { return };
    if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = samanvaya_rules::HouseholdFacts::from_json(&cat.vocab, &doc);
    }
}
);
