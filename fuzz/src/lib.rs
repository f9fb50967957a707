//! What the fuzz targets share.

/// Puts back the default panic hook for a target's run. libfuzzer-sys's hook aborts at once; the
/// default one, which prints and unwinds, lets a panic the code under test catches itself (a
/// damaged spreadsheet read through calamine) stay caught, while one that escapes still ends the
/// run as a crash.
pub fn keep_caught_panics() {
    let _ = std::panic::take_hook();
}
