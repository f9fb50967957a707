//! Statements over many rows at once, in few shapes. A pushed batch's lookups and writes go to
//! the database as one statement per table instead of one per change: on PostgreSQL every
//! statement is a round trip (about 75 µs on one machine), which held ingest to about 1,900
//! changes a second (docs/benchmarks.md, "Sync"). Both databases read the same text: a list of
//! rows is a `VALUES` list, a lookup joins it to the table (PostgreSQL and SQLite both name its
//! columns `column1`, `column2`…, and both look each row up in the table's index).
//!
//! A statement's text depends on how many rows it carries, and each database prepares a text
//! once and keeps it; so the rows go in pieces whose sizes are powers of two up to [`MOST`],
//! and any count takes one of nine shapes.

use crate::error::ServerError;
use crate::sql::{Db, Row, Value};

/// The most rows one statement carries: 256 rows of 11 values stay far below both databases'
/// limits on parameters (32,766 for SQLite, 65,535 for PostgreSQL).
const MOST: usize = 256;

/// What to do with a count of rows that is not a power of two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// Repeat the last row up to the next power of two: one statement for a lookup, where a key
    /// asked twice finds the same rows (the caller keys what it reads, so a repeat changes nothing).
    Repeat,
    /// Cut the rows into powers of two: for writes, where a row must not come twice.
    Cut,
}

/// Runs `template` over all `rows`, its `{rows}` replaced by a piece of them, each row written
/// as `shape` (a parenthesised row of `?`, numbered here in order); returns every row the
/// statements returned. Every row must have as many values as `shape` has `?`.
pub fn run(
    db: &mut dyn Db,
    template: &str,
    shape: &str,
    rows: &[Vec<Value>],
    fill: Fill,
) -> Result<Vec<Row>, ServerError> {
    let width = shape.matches('?').count();
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let left = rows.len() - start;
        let (take, size) = match fill {
            Fill::Repeat => {
                let take = left.min(MOST);
                (take, take.next_power_of_two())
            }
            Fill::Cut => {
                // The largest power of two that is not more than what is left.
                let size = if left >= MOST { MOST } else { 1 << left.ilog2() };
                (size, size)
            }
        };
        let piece = &rows[start..start + take];
        let mut params = Vec::with_capacity(size * width);
        let mut list = Vec::with_capacity(size);
        for i in 0..size {
            let row = &piece[i.min(take - 1)];
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
        out.extend(db.query(&template.replace("{rows}", &list.join(", ")), &params)?);
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
    fn writes_are_cut_into_powers_of_two_and_lookups_padded_to_one() {
        let mut db = Seen::default();
        run(&mut db, "INSERT INTO t (a, b) VALUES {rows}", "(?, ?)", &rows(13), Fill::Cut).unwrap();
        let sizes: Vec<usize> = db.0.iter().map(|(_, n)| n / 2).collect();
        assert_eq!(sizes, [8, 4, 1]);
        assert_eq!(db.0[2].0, "INSERT INTO t (a, b) VALUES (?1, ?2)");
        assert!(db.0[1].0.ends_with("(?1, ?2), (?3, ?4), (?5, ?6), (?7, ?8)"));

        let mut db = Seen::default();
        run(&mut db, "SELECT {rows}", "(?, ?)", &rows(300), Fill::Repeat).unwrap();
        let sizes: Vec<usize> = db.0.iter().map(|(_, n)| n / 2).collect();
        assert_eq!(sizes, [256, 64]);
    }
}
