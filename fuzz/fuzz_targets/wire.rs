//! The sync wire form as a server reads it: a push batch or a single change as JSON, and a sealed
//! body (zstd, checked against its digest, which is computed here so that damaged bytes reach
//! the decompression and the parser rather than stopping at the digest). Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use samanvaya_sync_protocol::{Change, PushBatch, body};

fuzz_target!(
    // libfuzzer-sys's panic hook aborts at once; the default hook, which prints and unwinds, lets
    // a panic the code under test catches itself (a damaged spreadsheet) stay caught, while one
    // that escapes still ends the run as a crash.
    init: {
        let _ = std::panic::take_hook();
    },
    |data: &[u8]| {
    if let Ok(batch) = serde_json::from_slice::<PushBatch>(data) {
        for c in &batch.changes {
            let _ = c.change.is_supported();
        }
    }
    if let Ok(c) = serde_json::from_slice::<Change>(data) {
        let _ = c.change.is_supported();
    }
    let _ = body::open::<PushBatch>(data, &body::digest(data));
}
);
