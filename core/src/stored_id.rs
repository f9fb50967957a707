//! An id as the compact tables keep it (`field_clock`, `audit`, `fact_row`, `receiving_row`): its
//! 16 bytes when its text is an id in the form the app writes (hyphenated, lower case), or else
//! its text, exactly as local migrations 0024, 0025, 0030 and 0032 decide, so that a row reads
//! back as the text it was written from.

use rusqlite::types::Value;
use uuid::Uuid;

/// `text` as a compact column keeps it.
pub fn key(text: &str) -> Value {
    match Uuid::try_parse(text) {
        Ok(id) if id.hyphenated().to_string() == text => Value::Blob(id.as_bytes().to_vec()),
        _ => Value::Text(text.to_owned()),
    }
}

/// The text a compact column's `value` was kept from.
pub fn text(value: Value) -> Result<String, rusqlite::types::FromSqlError> {
    match value {
        Value::Blob(bytes) => Uuid::from_slice(&bytes)
            .map(|id| id.hyphenated().to_string())
            .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e))),
        Value::Text(text) => Ok(text),
        _ => Err(rusqlite::types::FromSqlError::InvalidType),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_the_app_writes_is_kept_as_bytes_and_anything_else_as_text() {
        let id = "0190ffff-0000-7000-8000-000000000001";
        assert!(matches!(key(id), Value::Blob(ref b) if b.len() == 16));
        for other in ["0190FFFF-0000-7000-8000-000000000001", "0190ffff00007000800000000000001", "backup", ""]
        {
            assert_eq!(key(other), Value::Text(other.to_owned()), "{other}");
        }
        for any in [id, "0190FFFF-0000-7000-8000-000000000001", "backup"] {
            assert_eq!(text(key(any)).unwrap(), any);
        }
    }
}
