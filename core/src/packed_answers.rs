//! A finished survey's answers as the store keeps them: JSON compressed with zstd in the
//! submission's `packed` column (local migration 0029). A household's answers repeat the same
//! question names and codes for every member, which compress to about a third; rows written
//! before 0029 keep their JSON in `answers`, and both read back the same.

use serde_json::Value;

/// zstd's level for the answers: a survey is packed once, when it is finished, and read on the
/// household's page, so a higher level than the default costs little.
const LEVEL: i32 = 9;

/// The answers packed for the `packed` column. In one call, so that zstd knows their size and
/// sizes its tables to it: the streaming encoder prepares for megabytes at this level.
pub fn pack(answers: &Value) -> std::io::Result<Vec<u8>> {
    zstd::bulk::compress(answers.to_string().as_bytes(), LEVEL)
}

/// The answers of a row: from `packed` when it holds them, else from the JSON of `answers`.
/// None when neither reads (a damaged row).
pub fn read(answers: &str, packed: Option<&[u8]>) -> Option<Value> {
    match packed {
        Some(bytes) => serde_json::from_slice(&zstd::decode_all(bytes).ok()?).ok(),
        None => serde_json::from_str(answers).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_back_the_same_packed_or_as_json() {
        let answers = serde_json::json!({
            "values": {"consent": "yes", "hamlet": "पूरब टोला"},
            "repeats": {"members": [{"_member": "0190ffff-0000-7000-8000-000000000001"}]}
        });
        let packed = pack(&answers).unwrap();
        assert_eq!(read("", Some(&packed)), Some(answers.clone()));
        assert_eq!(read(&answers.to_string(), None), Some(answers));
        assert_eq!(read("", Some(b"not zstd")), None, "a damaged row reads as nothing");
        assert_eq!(read("{", None), None);
    }
}
