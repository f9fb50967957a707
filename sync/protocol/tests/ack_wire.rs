//! A push's acknowledgement on the wire: each change's result, and where the server capped a
//! reading that ran past its clock, the reading it keeps. A result without one reads as none
//! capped (an older server), and one with it is what a laptop needs to keep the same reading.

use samanvaya_domain::Hlc;
use samanvaya_sync_protocol::{ChangeResult, Outcome};
use uuid::Uuid;

#[test]
fn a_result_names_the_reading_kept_only_where_it_was_capped() {
    let plain = ChangeResult { seq: 7, outcome: Outcome::Applied, capped: None };
    let text = serde_json::to_string(&plain).unwrap();
    assert_eq!(text, r#"{"seq":7,"outcome":"applied"}"#, "the form of protocol 8 is unchanged");
    assert_eq!(serde_json::from_str::<ChangeResult>(&text).unwrap(), plain);

    let node = Uuid::from_u128(0x0193_5f2a_7c00_7000_8000_0000_0000_0001);
    let kept = Hlc { wall_ms: 1_764_660_600_000, counter: 1, node };
    let capped = ChangeResult { capped: Some(kept), ..plain };
    let text = serde_json::to_string(&capped).unwrap();
    assert!(text.contains(r#""capped":{"wall_ms":1764660600000,"counter":1"#), "{text}");
    assert_eq!(serde_json::from_str::<ChangeResult>(&text).unwrap(), capped);
}
