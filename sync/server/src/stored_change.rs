//! How the server's tables keep a change and a clock reading as text.
//!
//! A change row has columns for the change's kind, version and clock reading, and kept the whole
//! change again in its `change` column: the reading twice, 83 bytes each time. What PostgreSQL
//! writes per change is most of what a district's ingest costs (docs/benchmarks.md), so the
//! `change` column now keeps the change's body alone, and a reading is kept as
//! `[wall_ms, counter, "device"]` instead of an object naming its fields. Rows written before
//! keep their old text, which is read as before: a district's millions of rows are not
//! rewritten at an upgrade. The wire form of a change is unchanged: it is read back whole.

use samanvaya_domain::Hlc;
use samanvaya_domain::change::{Change, ChangeBody};

use crate::error::ServerError;

/// A clock reading as the tables keep it. serde reads it back into an [`Hlc`] as it reads the
/// object form rows written before keep, so every reader of a reading takes both.
pub fn hlc_text(hlc: &Hlc) -> Result<String, serde_json::Error> {
    serde_json::to_string(&(hlc.wall_ms, hlc.counter, hlc.node))
}

/// The `change` column of a change's row: its body's JSON, without the tag the `kind` column
/// holds.
pub fn body_text(change: &Change) -> Result<String, serde_json::Error> {
    match &change.body {
        ChangeBody::Household(c) => serde_json::to_string(c),
        ChangeBody::Member(c) => serde_json::to_string(c),
        ChangeBody::MemberRemoved(c) => serde_json::to_string(c),
        ChangeBody::Fact(c) => serde_json::to_string(c),
        ChangeBody::Receiving(c) => serde_json::to_string(c),
        ChangeBody::Submission(c) => serde_json::to_string(c),
        ChangeBody::Referral(c) => serde_json::to_string(c),
        ChangeBody::ReferralEvent(c) => serde_json::to_string(c),
        ChangeBody::ConsentWithdrawn(c) => serde_json::to_string(c),
        ChangeBody::Redacted(c) => serde_json::to_string(c),
    }
}

/// A stored change read back whole from its row's `version`, `hlc`, `kind` and `change`
/// columns. A row written before the body was kept alone holds the whole change, which begins
/// with its version (its first field); no body begins so (each begins with an id).
pub fn read(version: i64, hlc: &str, kind: &str, text: &str) -> Result<Change, ServerError> {
    if text.starts_with("{\"version\":") {
        return Ok(serde_json::from_str(text)?);
    }
    // The kind is a word of the server's own writing (`ChangeBody::kind`), never quoted text.
    if !kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return Err(ServerError::Invalid(format!("a stored change's kind is damaged: {kind:?}")));
    }
    let whole = format!("{{\"version\":{version},\"hlc\":{hlc},\"kind\":\"{kind}\",\"body\":{text}}}");
    Ok(serde_json::from_str(&whole)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of change the wire's golden files pin, read as the laptop sent it.
    fn every_kind() -> Vec<Change> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../protocol/tests/golden");
        let mut changes = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            collect(&value, &mut changes);
        }
        changes
    }

    fn collect(value: &serde_json::Value, changes: &mut Vec<Change>) {
        match value {
            serde_json::Value::Object(map) if map.contains_key("hlc") && map.contains_key("kind") => {
                changes.push(serde_json::from_value(value.clone()).unwrap());
            }
            serde_json::Value::Object(map) => map.values().for_each(|v| collect(v, changes)),
            serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, changes)),
            _ => {}
        }
    }

    #[test]
    fn every_kind_of_change_is_read_back_whole_from_its_row() {
        let changes = every_kind();
        let kinds: std::collections::BTreeSet<&str> = changes.iter().map(|c| c.body.kind()).collect();
        assert_eq!(kinds.len(), 10, "a change of each kind: {kinds:?}");
        for change in &changes {
            let (hlc, body) = (hlc_text(&change.hlc).unwrap(), body_text(change).unwrap());
            assert!(!body.starts_with("{\"version\":"), "{body}");
            let back = read(i64::from(change.version), &hlc, change.body.kind(), &body).unwrap();
            assert_eq!(&back, change);
        }
    }

    #[test]
    fn a_row_written_before_is_read_as_it_was_written() {
        for change in every_kind() {
            let old_hlc = serde_json::to_string(&change.hlc).unwrap();
            let old_text = serde_json::to_string(&change).unwrap();
            let back = read(i64::from(change.version), &old_hlc, change.body.kind(), &old_text).unwrap();
            assert_eq!(back, change);
            let reading: Hlc = serde_json::from_str(&old_hlc).unwrap();
            assert_eq!(reading, change.hlc);
            assert_eq!(serde_json::from_str::<Hlc>(&hlc_text(&change.hlc).unwrap()).unwrap(), change.hlc);
        }
    }

    #[test]
    fn a_damaged_row_is_an_error() {
        let change = every_kind().remove(0);
        let (hlc, body) = (hlc_text(&change.hlc).unwrap(), body_text(&change).unwrap());
        assert!(read(1, &hlc, "fact\",\"x\":\"", &body).is_err());
        assert!(read(1, &hlc, change.body.kind(), &body[..body.len() - 1]).is_err());
        assert!(read(1, "[1,2]", change.body.kind(), &body).is_err());
    }
}
