//! The clock of each field's last write of a household or member row, as the row keeps it in
//! its `clocks` column.
//!
//! The column was a JSON object of every field with its reading and the change's number: about
//! 100 bytes a field, most of a member's row of 1,090 bytes, written again at every change of
//! the row. Most fields of a row are written by one change (the one that made the record), so
//! the column is now written as groups: one array per distinct write, its wall time, counter,
//! device and change number once, then the fields it is the last write of. A member made in one change keeps
//! one group of about 150 bytes. Rows written before keep the object, which is read as before:
//! rewriting every row of a district to the new form would cost more than reading both.

use std::collections::BTreeMap;

use samanvaya_domain::Hlc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The last write of one field: its clock reading, and the server's number for the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    pub hlc: Hlc,
    pub seq: i64,
}

/// One write with the fields it is the last write of, as the column keeps it:
/// `[wall_ms, counter, "device", seq, ["field", …]]`.
#[derive(Serialize, Deserialize)]
struct Group<'a>(i64, u32, Uuid, i64, #[serde(borrow)] Vec<std::borrow::Cow<'a, str>>);

/// The fields of one row by name, each with its last write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldClocks(BTreeMap<String, Written>);

impl FieldClocks {
    pub fn new() -> FieldClocks {
        FieldClocks::default()
    }

    pub fn get(&self, field: &str) -> Option<&Written> {
        self.0.get(field)
    }

    pub fn insert(&mut self, field: String, written: Written) {
        self.0.insert(field, written);
    }

    pub fn remove(&mut self, field: &str) {
        self.0.remove(field);
    }

    /// The clocks read from the column, in either form it has been written in.
    pub fn from_text(text: &str) -> Result<FieldClocks, serde_json::Error> {
        if text.trim_start().starts_with('{') {
            return Ok(FieldClocks(serde_json::from_str(text)?));
        }
        let groups: Vec<Group<'_>> = serde_json::from_str(text)?;
        let mut clocks = BTreeMap::new();
        for Group(wall_ms, counter, node, seq, fields) in groups {
            let written = Written { hlc: Hlc { wall_ms, counter, node }, seq };
            clocks.extend(fields.into_iter().map(|f| (f.into_owned(), written)));
        }
        Ok(FieldClocks(clocks))
    }

    /// The clocks as the column keeps them: one group per distinct write, in the order of the
    /// first field (by name) each is the last write of, so one row's text is always the same.
    pub fn to_text(&self) -> Result<String, serde_json::Error> {
        let mut groups: Vec<(Written, Vec<&str>)> = Vec::new();
        for (field, written) in &self.0 {
            match groups.iter_mut().find(|(w, _)| w == written) {
                Some((_, fields)) => fields.push(field),
                None => groups.push((*written, vec![field])),
            }
        }
        let groups: Vec<Group<'_>> = groups
            .into_iter()
            .map(|(w, fields)| {
                Group(
                    w.hlc.wall_ms,
                    w.hlc.counter,
                    w.hlc.node,
                    w.seq,
                    fields.into_iter().map(Into::into).collect(),
                )
            })
            .collect();
        serde_json::to_string(&groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(wall_ms: i64, counter: u32, node: u128, seq: i64) -> Written {
        Written { hlc: Hlc { wall_ms, counter, node: Uuid::from_u128(node) }, seq }
    }

    #[test]
    fn fields_written_by_one_change_are_kept_once_and_read_back_each() {
        let made = at(1_764_800_000_000, 0, 7, 41);
        let renamed = at(1_764_800_000_123, 2, 9, 57);
        let mut clocks = FieldClocks::new();
        for field in ["position", "name", "relation", "sex", "birth_date", "birth_date_estimated"] {
            clocks.insert(field.to_owned(), made);
        }
        clocks.insert("name".to_owned(), renamed);
        let text = clocks.to_text().unwrap();
        assert_eq!(
            text,
            "[[1764800000000,0,\"00000000-0000-0000-0000-000000000007\",41,\
             [\"birth_date\",\"birth_date_estimated\",\"position\",\"relation\",\"sex\"]],\
             [1764800000123,2,\"00000000-0000-0000-0000-000000000009\",57,[\"name\"]]]"
        );
        assert_eq!(FieldClocks::from_text(&text).unwrap(), clocks);
        assert_eq!(FieldClocks::from_text("[]").unwrap(), FieldClocks::new());
    }

    #[test]
    fn a_row_written_before_the_groups_is_read_as_it_was_written() {
        // The form every row had before: an object of each field's write.
        let old = r#"{"name":{"hlc":{"wall_ms":1764800000123,"counter":2,"node":"00000000-0000-0000-0000-000000000009"},"seq":57},
                      "sex":{"hlc":{"wall_ms":1764800000000,"counter":0,"node":"00000000-0000-0000-0000-000000000007"},"seq":41}}"#;
        let clocks = FieldClocks::from_text(old).unwrap();
        assert_eq!(clocks.get("name"), Some(&at(1_764_800_000_123, 2, 9, 57)));
        assert_eq!(clocks.get("sex"), Some(&at(1_764_800_000_000, 0, 7, 41)));
        assert_eq!(FieldClocks::from_text("{}").unwrap(), FieldClocks::new());
        // Written again, it takes the groups, and reads back the same.
        assert_eq!(FieldClocks::from_text(&clocks.to_text().unwrap()).unwrap(), clocks);
    }

    #[test]
    fn a_damaged_column_is_an_error_not_an_empty_row() {
        assert!(FieldClocks::from_text("[[1,0,\"not a device\",3,[\"name\"]]]").is_err());
        assert!(FieldClocks::from_text("{\"name\":").is_err());
        assert!(FieldClocks::from_text("").is_err());
    }
}
