//! The sync wire form as a server reads it: a push batch or a single change as JSON, and a sealed
//! body (zstd, checked against its digest, which is computed here so that damaged bytes reach
//! the decompression and the parser rather than stopping at the digest), and a sync file from a
//! USB stick up to its cipher (which no fuzzer gets through, so its header is what is tried).
//! Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use samanvaya_sync_protocol::{Change, PushBatch, body, parcel};

fuzz_target!(
    init: samanvaya_fuzz::keep_caught_panics(),
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
    let _ = parcel::device_of(data);
    let _ = parcel::open(data, &[7; 32]);
}
);
