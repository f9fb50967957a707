//! The storage interface on PostgreSQL, for a district or a state: `--database postgres://…`.
//!
//! The synchronous `postgres` client drives a small runtime of its own, which must never run
//! inside another runtime's task. The server calls its store from tasks, from blocking threads
//! and from the forwarding thread alike, so the client lives on a thread of its own and each call
//! is handed to it: the store then behaves like SQLite, a plain blocking call, wherever it is
//! made from.

use std::collections::HashMap;
use std::error::Error;
use std::sync::mpsc;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};
use samanvaya_schema::Migration;
use samanvaya_schema::migrate::MigrateError;

use crate::error::ServerError;
use crate::sql::{Column, Db, Mode, Row, Value};

/// The key of the advisory lock every write transaction takes. Changes are numbered from a
/// sequence, and the pull feed reads "everything after seq N": if two writers could interleave,
/// a change numbered 5 could commit after one numbered 6 had been read, and the reader would
/// never see it. One writer at a time makes the order of numbers the order of commits.
const WRITE_LOCK: i64 = 0x5341_4d41; // "SAMA"

/// How long a write waits for [`WRITE_LOCK`] and the rows it takes.
const LOCK_WAIT: &str = "10s";

/// A connection and its prepared statements, owned by the client's thread, with where it
/// connects to, to connect again.
struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
    url: String,
    /// Whether a transaction was opened and not yet ended: statements in it must never run on
    /// another connection.
    in_transaction: bool,
}

impl Conn {
    /// Runs `sql` (a transaction's opening statements), first connecting again if PostgreSQL
    /// closed the connection: restarted for an upgrade, or stopped by a disk too full for its
    /// log and started again. Only a transaction's start may do so, since nothing of it has run
    /// yet; a statement in the middle of one fails with the connection, and so does its request,
    /// which the device sends again.
    fn open_transaction(&mut self, sql: &str) -> Result<(), ServerError> {
        if !self.client.is_closed() {
            match self.client.batch_execute(sql) {
                Err(e) if crate::error::connection_ended(&e) => {}
                done => {
                    self.in_transaction = done.is_ok();
                    return Ok(done?);
                }
            }
        }
        self.connect_again()?;
        self.client.batch_execute(sql)?;
        self.in_transaction = true;
        Ok(())
    }

    /// Runs the statement `sql` (`statement` sends it). Outside a transaction it stands alone
    /// (a session token's check, which every request starts with), and when PostgreSQL closed the
    /// connection it runs on a new one: at once when the client knows the connection closed, and,
    /// for a read, once more when it fails with PostgreSQL's word that it ended the session
    /// (stopped, or restarted after a crash; the word waits unread until the next statement).
    /// Before, such a statement failed until a transaction opened another connection, so a
    /// device's requests were refused until one did. A write that failed so is not sent again,
    /// since whether it committed is unknown; the next statement finds the connection closed.
    fn run<T>(
        &mut self,
        sql: &str,
        statement: impl Fn(&mut Conn) -> Result<T, ServerError>,
    ) -> Result<T, ServerError> {
        if self.in_transaction {
            return statement(self);
        }
        if self.client.is_closed() {
            self.connect_again()?;
        }
        match statement(self) {
            Err(ServerError::Postgres(e)) if ended_by_postgresql(&e) && reads_only(sql) => {
                self.connect_again()?;
                statement(self)
            }
            done => done,
        }
    }

    fn connect_again(&mut self) -> Result<(), ServerError> {
        self.client = Client::connect(&self.url, NoTls)?;
        self.statements.clear();
        Ok(())
    }

    /// Ends the transaction (`COMMIT` or `ROLLBACK`): it is over whatever PostgreSQL answers.
    fn end_transaction(&mut self, sql: &str) -> Result<(), ServerError> {
        self.in_transaction = false;
        Ok(self.client.batch_execute(sql)?)
    }
}

/// Whether PostgreSQL ended the session: its administrator, a shutdown, or a crash of another
/// of its processes.
fn ended_by_postgresql(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    e.code().is_some_and(|c| *c == SqlState::ADMIN_SHUTDOWN || *c == SqlState::CRASH_SHUTDOWN)
}

/// Whether `sql` only reads: a query, which commits nothing outside a transaction.
fn reads_only(sql: &str) -> bool {
    sql.trim_start().get(..7).is_some_and(|w| w.eq_ignore_ascii_case("SELECT "))
}

type Job = Box<dyn FnOnce(&mut Conn) + Send>;

pub struct Postgres {
    jobs: mpsc::Sender<Job>,
}

fn gone() -> ServerError {
    ServerError::Invalid("the connection to PostgreSQL was lost; restart the server".into())
}

impl Postgres {
    /// Connects to `url` (`postgres://user@host/db` or `host=… user=… dbname=…`) and brings the
    /// schema up to date.
    pub fn open(url: &str) -> Result<Postgres, ServerError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready_tx, ready) = mpsc::sync_channel(1);
        let url = url.to_owned();
        std::thread::Builder::new()
            .name("postgres".into())
            .spawn(move || {
                let client = match Client::connect(&url, NoTls) {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = ready_tx.send(Err(ServerError::Postgres(e)));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                let mut conn = Conn { client, statements: HashMap::new(), url, in_transaction: false };
                // The thread ends when the store is dropped and the queue closes.
                while let Ok(job) = queue.recv() {
                    job(&mut conn);
                }
            })
            .map_err(|e| ServerError::Invalid(format!("cannot start the PostgreSQL thread: {e}")))?;
        ready.recv().map_err(|_| gone())??;
        let mut db = Postgres { jobs };
        db.migrate(samanvaya_schema::SERVER_POSTGRES_MIGRATIONS)?;
        Ok(db)
    }

    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, ServerError> + Send + 'static,
    ) -> Result<T, ServerError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.jobs
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| gone())?;
        rx.recv().map_err(|_| gone())?
    }

    fn batch(&mut self, sql: &'static str) -> Result<(), ServerError> {
        self.call(move |c| Ok(c.client.batch_execute(sql)?))
    }

    /// The same bookkeeping as the SQLite stores (`samanvaya_schema::migrate`): each applied
    /// migration's text is recorded, an edited one or a newer database is refused.
    fn migrate(&mut self, migrations: &'static [Migration]) -> Result<(), ServerError> {
        self.batch(
            "CREATE TABLE IF NOT EXISTS schema_migration (
                 version    INTEGER PRIMARY KEY,
                 name       TEXT NOT NULL,
                 sql        TEXT NOT NULL,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )?;
        // Under the write lock, as any write, but with the planner's own choice of joins: a
        // migration may rewrite whole tables, where hashing is right.
        let begin = format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})");
        self.call(move |c| c.open_transaction(&begin)).inspect_err(|_| {
            let _ = self.rollback();
        })?;
        let result = self.call(move |c| {
            let applied: Vec<(i32, String)> = c
                .client
                .query("SELECT version, sql FROM schema_migration ORDER BY version", &[])?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            if let Some((newest, _)) = applied.last()
                && *newest as usize > migrations.len()
            {
                return Err(
                    MigrateError::Newer { found: *newest as u32, known: migrations.len() as u32 }.into()
                );
            }
            for (version, sql) in &applied {
                let embedded = &migrations[*version as usize - 1];
                if embedded.sql != sql {
                    return Err(MigrateError::Edited { version: *version as u32, name: embedded.name }.into());
                }
            }
            for m in &migrations[applied.len()..] {
                c.client.batch_execute(m.sql)?;
                c.client.execute(
                    "INSERT INTO schema_migration (version, name, sql) VALUES ($1, $2, $3)",
                    &[&(m.version as i32), &m.name, &m.sql],
                )?;
            }
            Ok(())
        });
        match result {
            Ok(()) => self.commit(),
            Err(e) => {
                let _ = self.rollback();
                Err(e)
            }
        }
    }
}

/// `?1` as PostgreSQL writes it, `$1`; quoted text is left alone.
fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == '?' && !quoted && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

impl Conn {
    fn statement(&mut self, sql: &str) -> Result<Statement, ServerError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(&dollar_params(sql))?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                _ => Err(format!("the number {v} cannot be stored as {ty}").into()),
            },
            Value::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    s.as_str().to_sql(ty, out)
                }
                _ => Err(format!("the text {s:?} cannot be stored as {ty}").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl ToSql for Column {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Column::Texts(v) => v.to_sql(ty, out),
            Column::Ints(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::TEXT_ARRAY | Type::INT8_ARRAY)
    }

    to_sql_checked!();
}

fn row(r: &postgres::Row) -> Result<Row, ServerError> {
    let mut values = Vec::with_capacity(r.len());
    for (i, column) in r.columns().iter().enumerate() {
        let v = match *column.type_() {
            Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map(Value::Int),
            Type::INT4 => r.try_get::<_, Option<i32>>(i)?.map(|v| Value::Int(v.into())),
            Type::INT2 => r.try_get::<_, Option<i16>>(i)?.map(|v| Value::Int(v.into())),
            Type::BOOL => r.try_get::<_, Option<bool>>(i)?.map(|v| Value::Int(v.into())),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                r.try_get::<_, Option<String>>(i)?.map(Value::Text)
            }
            ref other => {
                return Err(ServerError::Invalid(format!(
                    "column {} is of type {other}, which the server does not read",
                    column.name()
                )));
            }
        };
        values.push(v.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

fn refs(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Db for Postgres {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, ServerError> {
        let (sql, params) = (sql.to_owned(), params.to_vec());
        self.call(move |c| {
            c.run(&sql, |c| {
                let s = c.statement(&sql)?;
                Ok(c.client.execute(&s, &refs(&params))?)
            })
        })
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, ServerError> {
        let (sql, params) = (sql.to_owned(), params.to_vec());
        self.call(move |c| {
            c.run(&sql, |c| {
                let s = c.statement(&sql)?;
                c.client.query(&s, &refs(&params))?.iter().map(row).collect()
            })
        })
    }

    /// Sent as an unnamed statement with its parameters' types, in one round trip: PostgreSQL
    /// plans it for these values and the tables' size now. A prepared statement would keep a
    /// generic plan made in its first calls; in a new district, whose tables were empty then, a
    /// lookup of a batch's 256 origins kept scanning the whole change table (12 ms instead of
    /// 0.5 ms) until autovacuum's next ANALYZE, a minute later at the soonest.
    fn lookup(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, ServerError> {
        let (sql, params) = (dollar_params(sql), params.to_vec());
        self.call(move |c| {
            c.run(&sql, |c| {
                let typed: Vec<(&(dyn ToSql + Sync), Type)> = params
                    .iter()
                    .map(|p| {
                        let ty = if matches!(p, Value::Int(_)) { Type::INT8 } else { Type::TEXT };
                        (p as &(dyn ToSql + Sync), ty)
                    })
                    .collect();
                c.client.query_typed(&sql, &typed)?.iter().map(row).collect()
            })
        })
    }

    fn takes_columns(&self) -> bool {
        true
    }

    /// A write is prepared once, as any statement; a lookup goes as [`Db::lookup`] does, planned
    /// for the values it carries.
    fn query_columns(
        &mut self,
        sql: &str,
        columns: Vec<Column>,
        plan_each: bool,
    ) -> Result<Vec<Row>, ServerError> {
        let sql = dollar_params(sql);
        self.call(move |c| {
            c.run(&sql, |c| {
                if plan_each {
                    let typed: Vec<(&(dyn ToSql + Sync), Type)> = columns
                        .iter()
                        .map(|col| {
                            let ty = match col {
                                Column::Ints(_) => Type::INT8_ARRAY,
                                Column::Texts(_) => Type::TEXT_ARRAY,
                            };
                            (col as &(dyn ToSql + Sync), ty)
                        })
                        .collect();
                    return c.client.query_typed(&sql, &typed)?.iter().map(row).collect();
                }
                let s = c.statement(&sql)?;
                let params: Vec<&(dyn ToSql + Sync)> =
                    columns.iter().map(|col| col as &(dyn ToSql + Sync)).collect();
                c.client.query(&s, &params)?.iter().map(row).collect()
            })
        })
    }

    fn begin(&mut self, mode: Mode) -> Result<(), ServerError> {
        match mode {
            // One snapshot for the whole read: the feed's rows and its newest seq agree.
            Mode::Read => {
                self.call(|c| c.open_transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            }
            // A write's lookups are a batch's keys against tables that grow from nothing:
            // while a table holds some thousands of rows, the planner prices hashing all of it
            // below probing its index for each of a few hundred keys, and was wrong by about
            // eight times (3.1 ms against 0.4 ms for 414 facts among 11,000; docs/benchmarks.md,
            // "PostgreSQL's lookups go through the index"). Every statement of a write
            // transaction is led by keys, so joins by hash or merge are priced out of it; reads
            // (the feed, and the console to come) keep the planner's choice. One round trip.
            Mode::Write => {
                // A writer waits at most ten seconds for the write lock (a write takes well
                // under one): held by a process stopped in the middle of its transaction, or a
                // connection gone silent that PostgreSQL keeps until its keepalive gives up, the
                // lock held up every request behind the store for hours (found by a review);
                // now each is told the server is busy, and is sent again.
                let sql = format!(
                    "BEGIN; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off;
                     SET LOCAL lock_timeout = '{LOCK_WAIT}'; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
                );
                // No transaction is handed out when a statement after `BEGIN` failed (a lock
                // wait cancelled), so nothing else would end it: every later `BEGIN` on the
                // connection would fail.
                self.call(move |c| c.open_transaction(&sql)).inspect_err(|_| {
                    let _ = self.rollback();
                })
            }
        }
    }

    fn commit(&mut self) -> Result<(), ServerError> {
        self.call(|c| c.end_transaction("COMMIT"))
    }

    fn rollback(&mut self) -> Result<(), ServerError> {
        self.call(|c| c.end_transaction("ROLLBACK"))
    }

    fn kind(&self) -> &'static str {
        "PostgreSQL"
    }
}

#[cfg(test)]
mod tests {
    use super::dollar_params;

    #[test]
    fn numbered_parameters_become_dollars_outside_quotes() {
        assert_eq!(
            dollar_params("SELECT '?1', x FROM t WHERE a = ?1 AND b LIKE 'r?%' AND c = ?12"),
            "SELECT '?1', x FROM t WHERE a = $1 AND b LIKE 'r?%' AND c = $12"
        );
    }
}
