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
//!
//! PostgreSQL takes the rows as one array per column instead (`unnest`, [`Db::takes_columns`]):
//! the statement's text is then the same for any number of rows, so every row of a batch goes in
//! one statement without padding, with a parameter per column where the `VALUES` list had one
//! per value. That made its ingest about a tenth faster (docs/benchmarks.md); SQLite, which has
//! no arrays, keeps the `VALUES` list.

use crate::error::ServerError;
use crate::sql::{Column, Db, Row, Value};

/// The most rows one `VALUES` statement carries (SQLite's; PostgreSQL takes any number as
/// arrays, [`run_columns`]): 256 rows of 11 values stay far below SQLite's limit of 32,766
/// parameters.
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
    if db.takes_columns() && template.contains(VALUES) {
        return run_columns(db, template, shape, width, rows.to_vec(), kind);
    }
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

/// [`run`] for a write ([`Kind::Write`]) whose rows the caller has no more use for: a database
/// that takes columns gets the rows' values moved into its arrays, not copied (a pushed batch's
/// change rows carry each change's whole text).
pub fn write(
    db: &mut dyn Db,
    template: &str,
    shape: &str,
    rows: Vec<Vec<Value>>,
) -> Result<Vec<Row>, ServerError> {
    if db.takes_columns() && template.contains(VALUES) {
        return run_columns(db, template, shape, shape.matches('?').count(), rows, Kind::Write);
    }
    run(db, template, shape, &rows, Kind::Write)
}

/// Where a template takes its rows.
const VALUES: &str = "(VALUES {rows})";

/// [`run`] for a database that takes each column of the rows as one array: the rows become
/// `(SELECT … FROM unnest(?1::text[], ?2::bigint[], …))`, whose columns are named as a `VALUES`
/// list's, so that the same template reads them. The statement's text is the same for any
/// number of rows, so one statement carries them all, without padding, and PostgreSQL reads a
/// parameter per column instead of one per value: 2,816 for 256 rows of eleven.
fn run_columns(
    db: &mut dyn Db,
    template: &str,
    shape: &str,
    width: usize,
    rows: Vec<Vec<Value>>,
    kind: Kind,
) -> Result<Vec<Row>, ServerError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(row) = rows.iter().find(|r| r.len() != width) {
        return Err(ServerError::Invalid(format!(
            "a row of {} values for a statement of {width}: {}",
            row.len(),
            template.lines().next().unwrap_or_default()
        )));
    }
    let (mut select, mut arrays, mut names, mut numbers) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut n = 0;
    for (i, part) in elements(shape).into_iter().enumerate() {
        if !part.contains('?') {
            // A constant of every row, such as an outcome.
            select.push(format!("{part} AS column{}", i + 1));
            continue;
        }
        n += 1;
        // A number is cast in the shape (`CAST(? AS BIGINT)`); anything else is text.
        let number = part.contains("AS BIGINT");
        arrays.push(format!("?{n}::{}[]", if number { "bigint" } else { "text" }));
        names.push(format!("c{n}"));
        select.push(format!("{} AS column{}", part.replacen('?', &format!("u.c{n}"), 1), i + 1));
        numbers.push(number);
    }
    let columns = columns(rows, &numbers)?;
    let list = format!(
        "(SELECT {} FROM unnest({}) AS u({}))",
        select.join(", "),
        arrays.join(", "),
        names.join(", ")
    );
    db.query_columns(&template.replace(VALUES, &list), columns, kind == Kind::Lookup)
}

/// The rows' values moved into one array per column, `numbers` saying which are numbers and
/// which texts.
fn columns(rows: Vec<Vec<Value>>, numbers: &[bool]) -> Result<Vec<Column>, ServerError> {
    let count = rows.len();
    let mut columns: Vec<Column> = numbers
        .iter()
        .map(|&number| {
            if number {
                Column::Ints(Vec::with_capacity(count))
            } else {
                Column::Texts(Vec::with_capacity(count))
            }
        })
        .collect();
    for row in rows {
        for (i, (value, column)) in row.into_iter().zip(columns.iter_mut()).enumerate() {
            match (column, value) {
                (Column::Ints(values), Value::Int(v)) => values.push(Some(v)),
                (Column::Texts(values), Value::Text(v)) => values.push(Some(v)),
                (Column::Ints(values), Value::Null) => values.push(None),
                (Column::Texts(values), Value::Null) => values.push(None),
                (column, other) => {
                    return Err(ServerError::Invalid(format!(
                        "value {i} of a row is {other:?}, not a {}",
                        if matches!(column, Column::Ints(_)) { "number" } else { "text" }
                    )));
                }
            }
        }
    }
    Ok(columns)
}

/// The parts of a row's shape, `(?, CAST(? AS BIGINT), 'applied')`, split at its own commas.
fn elements(shape: &str) -> Vec<&str> {
    let inner = shape.trim().strip_prefix('(').and_then(|s| s.strip_suffix(')')).unwrap_or(shape);
    let (mut out, mut depth, mut start, mut quoted) = (Vec::new(), 0, 0, false);
    for (i, c) in inner.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(inner[start..].trim());
    out
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

    /// A database that takes columns, and records the statements it was given with them.
    #[derive(Default)]
    struct Arrays(Vec<(String, Vec<Column>)>);

    impl Db for Arrays {
        fn execute(&mut self, _: &str, _: &[Value]) -> Result<u64, ServerError> {
            Ok(0)
        }
        fn query(&mut self, sql: &str, _: &[Value]) -> Result<Vec<Row>, ServerError> {
            panic!("a list of rows went as a VALUES list: {sql}")
        }
        fn takes_columns(&self) -> bool {
            true
        }
        fn query_columns(
            &mut self,
            sql: &str,
            columns: Vec<Column>,
            _: bool,
        ) -> Result<Vec<Row>, ServerError> {
            self.0.push((sql.to_owned(), columns));
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
            "arrays"
        }
    }

    #[test]
    fn a_database_taking_columns_gets_every_row_in_one_statement_of_an_array_per_column() {
        let mut db = Arrays::default();
        let rows: Vec<Vec<Value>> = (0..300)
            .map(|i| {
                vec![
                    Value::Text(format!("d{i}")),
                    Value::Int(i),
                    if i % 2 == 0 { Value::Null } else { "x".into() },
                ]
            })
            .collect();
        run(
            &mut db,
            "INSERT INTO t (a, b, c, outcome) SELECT * FROM (VALUES {rows}) AS v WHERE v.column1 IS NOT NULL",
            "(?, CAST(? AS BIGINT), ?, 'applied')",
            &rows,
            Kind::Write,
        )
        .unwrap();
        assert_eq!(db.0.len(), 1, "one statement for 300 rows");
        let (sql, columns) = &db.0[0];
        assert_eq!(
            sql,
            "INSERT INTO t (a, b, c, outcome) SELECT * FROM (SELECT u.c1 AS column1, CAST(u.c2 AS BIGINT) AS column2, \
             u.c3 AS column3, 'applied' AS column4 FROM unnest(?1::text[], ?2::bigint[], ?3::text[]) AS u(c1, c2, c3)) \
             AS v WHERE v.column1 IS NOT NULL"
        );
        match &columns[..] {
            [Column::Texts(a), Column::Ints(b), Column::Texts(c)] => {
                assert_eq!((a.len(), b.len(), c.len()), (300, 300, 300));
                assert_eq!(
                    (a[7].as_deref(), b[7], c[6].as_deref(), c[7].as_deref()),
                    (Some("d7"), Some(7), None, Some("x"))
                );
            }
            other => panic!("columns {other:?}"),
        }
        // A number where the shape wants a text is refused, not sent as something else.
        let wrong = vec![vec![Value::Int(1), Value::Int(2), Value::Null]];
        assert!(
            run(
                &mut db,
                "SELECT * FROM (VALUES {rows}) AS v",
                "(?, CAST(? AS BIGINT), ?)",
                &wrong,
                Kind::Lookup
            )
            .is_err()
        );
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
