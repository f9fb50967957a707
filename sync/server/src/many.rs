//! Statements over many rows at once, in few shapes. A pushed batch's lookups and writes go to
//! the database as one statement per table instead of one per change: on PostgreSQL every
//! statement is a round trip (about 75 µs on one machine), which held ingest to about 1,900
//! changes a second (docs/benchmarks.md, "Sync"). Both databases read the same text: a list of
//! rows is a `VALUES` list (both name its columns `column1`, `column2`…), and a lookup is
//! `FROM (VALUES …) AS v CROSS JOIN table t WHERE t.key = v.column1`. The `CROSS JOIN` matters
//! to SQLite, which keeps the order it is written in: with a plain `JOIN` of 256 keys against
//! 200,000 changes it chose to scan the whole table (4.5 ms a lookup instead of 0.08 ms).
//! PostgreSQL plans it as any join, and looks each key up in the index.
//!
//! A statement's text depends on how many rows it carries, and each database prepares a text
//! once and keeps it; so a list is padded to a power of two (up to [`MOST`] rows a statement),
//! and any count takes one of nine shapes. A lookup is padded with its last key, asked twice; a
//! write with rows of nothing, which its `WHERE v.column1 IS NOT NULL` leaves out: one statement
//! for a batch instead of one per power of two in its count, which cost a round trip and a plan
//! each.

use crate::error::ServerError;
use crate::sql::{Db, Row, Value};

/// The most rows one statement carries: 256 rows of 11 values stay far below both databases'
/// limits on parameters (32,766 for SQLite, 65,535 for PostgreSQL).
const MOST: usize = 256;

/// What a statement over many rows is for, which says how a list shorter than a power of two is
/// padded and how the statement is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A lookup, padded with its last key (a key asked twice finds the same rows, and the caller
    /// keys what it reads), and planned at each call for the tables' size then
    /// ([`Db::lookup`]).
    Lookup,
    /// A write `INSERT … SELECT * FROM (VALUES {rows}) AS v WHERE v.column1 IS NOT NULL`, padded
    /// with rows of nothing, which its `WHERE` leaves out (a row must not be written twice).
    Write,
}

/// Runs `template` over all `rows`, its `{rows}` replaced by a piece of them, each row written
/// as `shape` (a parenthesised row of `?`, numbered here in order); returns every row the
/// statements returned. Every row must have as many values as `shape` has `?`.
pub fn run(
    db: &mut dyn Db,
    template: &str,
    shape: &str,
    rows: &[Vec<Value>],
    kind: Kind,
) -> Result<Vec<Row>, ServerError> {
    let width = shape.matches('?').count();
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let take = (rows.len() - start).min(MOST);
        let size = take.next_power_of_two();
        let piece = &rows[start..start + take];
        let nothing = vec![Value::Null; width];
        let mut params = Vec::with_capacity(size * width);
        let mut list = Vec::with_capacity(size);
        for i in 0..size {
            let row = match (piece.get(i), kind) {
                (Some(row), _) => row,
                (None, Kind::Lookup) => &piece[take - 1],
                (None, Kind::Write) => &nothing,
            };
            if row.len() != width {
                return Err(ServerError::Invalid(format!(
                    "a row of {} values for a statement of {width}: {}",
                    row.len(),
                    template.lines().next().unwrap_or_default()
                )));
            }
            list.push(numbered(shape, params.len()));
            params.extend(row.iter().cloned());
        }
        let sql = template.replace("{rows}", &list.join(", "));
        out.extend(match kind {
            Kind::Lookup => db.lookup(&sql, &params)?,
            Kind::Write => db.query(&sql, &params)?,
        });
        start += take;
    }
    Ok(out)
}

/// `shape` with its `?` numbered from `before + 1`.
fn numbered(shape: &str, before: usize) -> String {
    let mut out = String::with_capacity(shape.len() + 8);
    let mut n = before;
    for c in shape.chars() {
        out.push(c);
        if c == '?' {
            n += 1;
            out.push_str(&n.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database that records the statements it was given.
    #[derive(Default)]
    struct Seen(Vec<(String, usize)>);

    impl Db for Seen {
        fn execute(&mut self, _: &str, _: &[Value]) -> Result<u64, ServerError> {
            Ok(0)
        }
        fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, ServerError> {
            self.0.push((sql.to_owned(), params.len()));
            Ok(Vec::new())
        }
        fn begin(&mut self, _: crate::sql::Mode) -> Result<(), ServerError> {
            Ok(())
        }
        fn commit(&mut self) -> Result<(), ServerError> {
            Ok(())
        }
        fn rollback(&mut self) -> Result<(), ServerError> {
            Ok(())
        }
        fn kind(&self) -> &'static str {
            "seen"
        }
    }

    fn rows(n: i64) -> Vec<Vec<Value>> {
        (0..n).map(|i| vec![Value::Int(i), Value::Text(format!("r{i}"))]).collect()
    }

    #[test]
    fn lists_are_padded_to_a_power_of_two_in_pieces_of_at_most_256() {
        let mut db = Seen::default();
        run(
            &mut db,
            "INSERT INTO t (a, b) SELECT * FROM (VALUES {rows}) AS v",
            "(?, ?)",
            &rows(13),
            Kind::Write,
        )
        .unwrap();
        assert_eq!(db.0.len(), 1);
        assert_eq!(db.0[0].1, 32);
        assert!(db.0[0].0.ends_with("(?29, ?30), (?31, ?32)) AS v"));

        let mut db = Seen::default();
        run(&mut db, "SELECT {rows}", "(?, ?)", &rows(300), Kind::Lookup).unwrap();
        let sizes: Vec<usize> = db.0.iter().map(|(_, n)| n / 2).collect();
        assert_eq!(sizes, [256, 64]);
    }
}
