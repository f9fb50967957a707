//! The one storage interface the server's logic is written against: statements with numbered
//! parameters (`?1`), values that are a number, a text or nothing, and rows of them. SQLite
//! (`sqlite.rs`) and PostgreSQL (`postgresql.rs`) both implement it, so enrollment, ingest, the
//! derived state and the pull feed exist once and the conformance suite runs the same stories
//! over both.
//!
//! The statements keep to what both databases understand the same way: `ON CONFLICT … DO
//! NOTHING/UPDATE` instead of SQLite's `INSERT OR …`, `RETURNING` instead of the last row id,
//! `CASE` instead of SQLite's two-argument `max`. Times are kept as the same sortable UTC text
//! on both, so every comparison of times means the same thing on both.

use std::ops::{Deref, DerefMut};

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::error::ServerError;

/// A value that travels into or out of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

/// The values of one column of many rows, for a database that takes them as an array
/// ([`Db::query_columns`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    Texts(Vec<Option<String>>),
    Ints(Vec<Option<i64>>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Int(i64::from(v))
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}

impl From<Uuid> for Value {
    fn from(v: Uuid) -> Value {
        Value::Text(v.to_string())
    }
}

impl From<DateTime<Utc>> for Value {
    /// Times are written in UTC to the microsecond, `2026-12-01 03:04:05.000001+00:00`, so that
    /// their text sorts as the times do. Field by field, not with chrono's `format`, which reads
    /// the format's text again at every call: that took a tenth of a push's own time on
    /// PostgreSQL, where every change carries the time it was recorded. A year outside 0 to
    /// 9999 (a laptop's broken clock) is written by chrono, with its sign, so that it reads back.
    fn from(v: DateTime<Utc>) -> Value {
        use chrono::{Datelike, Timelike};
        let (d, t) = (v.date_naive(), v.time());
        if !(0..=9999).contains(&d.year()) {
            return Value::Text(v.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string());
        }
        // A leap second is kept past the 59th, as chrono writes it.
        let (second, nanos) = (t.second() + t.nanosecond() / 1_000_000_000, t.nanosecond() % 1_000_000_000);
        Value::Text(format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{second:02}.{:06}+00:00",
            d.year(),
            d.month(),
            d.day(),
            t.hour(),
            t.minute(),
            nanos / 1_000
        ))
    }
}

impl From<NaiveDate> for Value {
    fn from(v: NaiveDate) -> Value {
        Value::Text(v.to_string())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// The parameters of a statement, in order: `args![a, b]`.
macro_rules! args {
    ($($v:expr),* $(,)?) => { &[$($crate::sql::Value::from($v)),*] };
}
pub(crate) use args;

/// One row of a result, its columns in the order of the `SELECT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

fn column_error(i: usize, wanted: &str, found: &Value) -> ServerError {
    ServerError::Invalid(format!("column {i} of a stored row is not {wanted}: {found:?}"))
}

impl Row {
    fn at(&self, i: usize) -> &Value {
        self.0.get(i).unwrap_or(&Value::Null)
    }

    pub fn int(&self, i: usize) -> Result<i64, ServerError> {
        match self.at(i) {
            Value::Int(v) => Ok(*v),
            other => Err(column_error(i, "a number", other)),
        }
    }

    pub fn text(&self, i: usize) -> Result<String, ServerError> {
        match self.at(i) {
            Value::Text(v) => Ok(v.clone()),
            other => Err(column_error(i, "a text", other)),
        }
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, ServerError> {
        match self.at(i) {
            Value::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, ServerError> {
        match self.at(i) {
            Value::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    pub fn flag(&self, i: usize) -> Result<bool, ServerError> {
        Ok(self.int(i)? != 0)
    }

    pub fn uuid(&self, i: usize) -> Result<Uuid, ServerError> {
        let text = self.text(i)?;
        Uuid::parse_str(&text)
            .map_err(|e| ServerError::Invalid(format!("a stored id {text} is damaged: {e}")))
    }

    pub fn time(&self, i: usize) -> Result<DateTime<Utc>, ServerError> {
        parse_time(&self.text(i)?)
    }

    pub fn value(&self, i: usize) -> Value {
        self.at(i).clone()
    }
}

/// A stored time: in the format above (or with fewer fractional digits, as the SQLite stores of
/// earlier versions wrote it), or RFC 3339 with a `T`.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, ServerError> {
    DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ServerError::Invalid(format!("a stored time {text:?} is damaged: {e}")))
}

/// What a transaction is for. A write transaction takes the write lock at its start, so that two
/// writers wait for each other instead of failing halfway, and the feed's order is the order of
/// commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Read,
    Write,
}

/// A database the server's logic runs on.
pub trait Db: Send {
    /// Runs a statement that returns no rows; returns how many rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, ServerError>;
    /// Runs a statement and returns all its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, ServerError>;
    /// Runs a lookup whose best plan depends on how large its tables are now (a batch's keys
    /// against a table that grows): planned at each call, not once for all calls. Where the
    /// database plans a statement when it is prepared and keeps that plan, as SQLite does, it is
    /// [`Db::query`].
    fn lookup(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, ServerError> {
        self.query(sql, params)
    }
    /// Whether the database takes a statement's many rows as one array per column
    /// ([`Db::query_columns`]); SQLite has no arrays and takes them as a `VALUES` list.
    fn takes_columns(&self) -> bool {
        false
    }
    /// Runs `sql`, whose parameters are whole columns of values (`?1::text[]`, `?2::bigint[]`),
    /// planned at each call when `plan_each` (a lookup, as [`Db::lookup`]).
    fn query_columns(
        &mut self,
        _sql: &str,
        _columns: Vec<Column>,
        _plan_each: bool,
    ) -> Result<Vec<Row>, ServerError> {
        Err(ServerError::Invalid(format!("{} takes no columns of values as parameters", self.kind())))
    }
    /// Starts a transaction.
    fn begin(&mut self, mode: Mode) -> Result<(), ServerError>;
    fn commit(&mut self) -> Result<(), ServerError>;
    fn rollback(&mut self) -> Result<(), ServerError>;
    /// Which database this is, for messages and the conformance suite.
    fn kind(&self) -> &'static str;
    /// After an erasure (a withdrawal of consent): leaves no earlier version of what was erased
    /// on the disk beyond the database's own rows. Nothing to do unless the database keeps such
    /// versions in a log of its own; PostgreSQL's old row versions go with its vacuum.
    fn forget_old_versions(&mut self) -> Result<(), ServerError> {
        Ok(())
    }
}

impl dyn Db + '_ {
    /// The first row, if any.
    pub fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, ServerError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The one row a statement must return.
    pub fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row, ServerError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| ServerError::Invalid(format!("a stored row is missing ({})", first_line(sql))))
    }

    /// Starts a transaction that rolls back unless committed.
    pub fn transaction(&mut self, mode: Mode) -> Result<Tx<'_>, ServerError> {
        self.begin(mode)?;
        Ok(Tx { db: self, done: false })
    }
}

fn first_line(sql: &str) -> &str {
    sql.trim().lines().next().unwrap_or_default()
}

/// An open transaction: dropped without [`Tx::commit`], it rolls back, so an error halfway
/// leaves nothing half-written.
pub struct Tx<'a> {
    db: &'a mut (dyn Db + 'a),
    done: bool,
}

impl Tx<'_> {
    pub fn commit(mut self) -> Result<(), ServerError> {
        let committed = self.db.commit();
        // A COMMIT that fails can leave the transaction open (SQLite keeps it on a deferred
        // constraint or a busy lock), and every later BEGIN on the connection would then fail
        // until a restart: rolled back on drop like any other failure. Where the database ended
        // it already, the rollback's own error is ignored.
        self.done = committed.is_ok();
        committed
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.done {
            // A failed rollback leaves the connection to end the transaction when it closes;
            // there is nothing better to do with the error while unwinding.
            let _ = self.db.rollback();
        }
    }
}

impl<'a> Deref for Tx<'a> {
    type Target = dyn Db + 'a;
    fn deref(&self) -> &Self::Target {
        self.db
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.db
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_sort_as_text_the_way_they_sort_as_times() {
        let a: DateTime<Utc> = "2026-12-01T03:04:05Z".parse().unwrap();
        let b = a + chrono::Duration::microseconds(1);
        let c = a + chrono::Duration::seconds(1);
        let text = |t: DateTime<Utc>| match Value::from(t) {
            Value::Text(s) => s,
            other => panic!("{other:?}"),
        };
        assert!(text(a) < text(b) && text(b) < text(c));
        // Written as chrono writes the format, to the microsecond, a leap second too.
        use chrono::SubsecRound;
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_123))
            .map(|t| t.and_utc())
            .unwrap();
        let far = |y: i32| {
            chrono::NaiveDate::from_ymd_opt(y, 3, 4).unwrap().and_hms_opt(5, 6, 7).unwrap().and_utc()
        };
        for t in [
            a,
            b,
            c,
            leap,
            "0999-01-02T00:00:00.000999999Z".parse().unwrap(),
            far(0),
            far(9999),
            far(10_000),
            far(-1),
        ] {
            assert_eq!(text(t), t.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string());
            assert_eq!(parse_time(&text(t)).unwrap(), t.trunc_subsecs(6), "{} reads back", text(t));
        }
        assert_eq!(parse_time(&text(b)).unwrap(), b);
        assert_eq!(parse_time("2026-12-01T03:04:05Z").unwrap(), a);
    }
}
