//! What can go wrong on the server, and how each failure is answered on the wire.

use samanvaya_sync_protocol::{Refusal, RefusalCode};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A refusal the client can act on; the message says how.
    #[error("{message}")]
    Refused { code: RefusalCode, message: String },
    #[error("the server's database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the server's PostgreSQL database failed: {}", postgres_words(.0))]
    Postgres(#[from] postgres::Error),
    #[error(transparent)]
    Migrate(#[from] samanvaya_schema::migrate::MigrateError),
    #[error("a stored record could not be read: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot use the data folder {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("{0}")]
    Invalid(String),
}

impl ServerError {
    pub fn refused(code: RefusalCode, message: impl Into<String>) -> ServerError {
        ServerError::Refused { code, message: message.into() }
    }

    /// Whether the database said its disk is full: SQLite's `SQLITE_FULL` (a write found no
    /// room), PostgreSQL's `disk_full`.
    pub fn disk_full(&self) -> bool {
        match self {
            ServerError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            ServerError::Postgres(e) => e.code() == Some(&postgres::error::SqlState::DISK_FULL),
            _ => false,
        }
    }

    /// Whether PostgreSQL could not be reached: the connection ended, or could not be made,
    /// without a word from PostgreSQL (a PANIC's word is read for what it says).
    fn database_down(&self) -> bool {
        matches!(self, ServerError::Postgres(e) if e.as_db_error().is_none() && connection_ended(e))
    }

    /// What the operator must read in the server's log, where only the operator can act: a full
    /// disk to free, PostgreSQL to start again.
    pub fn for_the_operator(&self) -> Option<&'static str> {
        match self {
            ServerError::Postgres(e) if self.disk_full() => Some(
                if e.as_db_error().and_then(|d| d.parsed_severity()) == Some(postgres::error::Severity::Panic)
                {
                    LOG_FULL_OPERATOR
                } else {
                    DISK_FULL_OPERATOR
                },
            ),
            full if full.disk_full() => Some(DISK_FULL_OPERATOR),
            down if down.database_down() => Some(POSTGRES_DOWN_OPERATOR),
            _ => None,
        }
    }

    /// The refusal sent to the client. A full disk is said plainly, to the device (nothing of
    /// the request was kept; it keeps its changes and sends them once there is room) and, through
    /// the sentence the server logs, to the operator who must free the space.
    pub fn refusal(&self) -> Refusal {
        match self {
            ServerError::Refused { code, message } => Refusal { code: *code, message: message.clone() },
            full if full.disk_full() => Refusal { code: RefusalCode::DiskFull, message: DISK_FULL.into() },
            down if down.database_down() => {
                Refusal { code: RefusalCode::Unavailable, message: DATABASE_DOWN.into() }
            }
            other => Refusal {
                code: RefusalCode::Unavailable,
                message: format!("the server could not store this request ({other}); it will be sent again"),
            },
        }
    }
}

/// What a device is told when the server's disk is full.
pub const DISK_FULL: &str = "the server's disk is full: nothing of this request was kept, and the \
     changes wait on this device; they are sent again at a later sync, once the server's office \
     has freed space on its disk";

/// What a device is told while the server's PostgreSQL cannot be reached (stopped, or starting
/// again after a crash).
pub const DATABASE_DOWN: &str = "the server's database is not running just now: nothing of this \
     request was kept, and the changes wait on this device; they are sent again at a later sync";

/// What the operator reads in the server's log when a request found the disk full.
pub const DISK_FULL_OPERATOR: &str = "the disk holding the server's data folder is full: a device's \
     request was refused and nothing of it was kept. Free space on that disk (old backups, logs, \
     other files; `df -h` shows how much is left); the server needs no restart, and devices send \
     their changes again at their next sync";

/// What the operator reads when PostgreSQL stopped because the disk of its write-ahead log is
/// full: it cannot start again by itself, since its recovery writes to the log too.
pub const LOG_FULL_OPERATOR: &str = "PostgreSQL stopped: the disk holding its write-ahead log (the \
     pg_wal folder of its data directory) is full, and a device's request was refused with nothing \
     of it kept. Free space on that disk (`df -h` shows how much is left; never delete files of \
     pg_wal itself), then start PostgreSQL again (for example `systemctl start postgresql`); this \
     server needs no restart, it connects again by itself, and devices send their changes again at \
     their next sync";

/// What the operator reads while PostgreSQL cannot be reached.
pub const POSTGRES_DOWN_OPERATOR: &str = "PostgreSQL does not answer, so every device's request is \
     refused and its changes wait on the device: start PostgreSQL (for example `systemctl start \
     postgresql`), or read its log for why it stopped; this server needs no restart and connects \
     again by itself";

/// What PostgreSQL said: the client's own words for an error from the server are only "db
/// error", and the operator needs the server's ("duplicate key value violates…", "could not
/// extend file…: No space left on device"). Its message, code and the table and constraint it
/// names, never its detail: a failed row's detail quotes the row (an address, a name), and this
/// text reaches the server's log and, in a refusal, the device.
fn postgres_words(e: &postgres::Error) -> String {
    // PostgreSQL's own words come first when it sent some, a PANIC too: "could not write to file
    // pg_wal/…: No space left on device" is what the operator must read.
    let Some(db) = e.as_db_error() else {
        if connection_ended(e) {
            return "the connection to PostgreSQL was lost; the server connects again at the next request, \
                    once PostgreSQL runs again"
                .into();
        }
        return match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        };
    };
    let mut said = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    if let Some(table) = db.table() {
        said.push_str(&format!(" (table {table}"));
        said.push_str(&db.constraint().map(|c| format!(", constraint {c})")).unwrap_or(")".into()));
    }
    said
}

/// Whether `e` says the connection to PostgreSQL is over: closed, broken under it, or ended by
/// PostgreSQL with a fatal error or a panic (it was stopped or restarted, or its administrator
/// ended the session). The severity is read as PostgreSQL sends it untranslated.
pub(crate) fn connection_ended(e: &postgres::Error) -> bool {
    use postgres::error::Severity;
    e.is_closed()
        || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
        || matches!(
            e.as_db_error().and_then(|d| d.parsed_severity()),
            Some(Severity::Fatal | Severity::Panic)
        )
}
