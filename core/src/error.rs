//! The store's error type, and the one serializable reply every caller (app, CLI) shows the user.

use samanvaya_domain::{FieldError, ValidationError};
use samanvaya_eligibility::view::Bilingual;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot use the data folder {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database could not be set up as required: {0}")]
    Pragma(String),
    #[error(
        "this data folder was written by a newer version of Samanvaya (schema {found}, this version knows {known}); install the newer version"
    )]
    NewerSchema { found: u32, known: u32 },
    #[error(
        "migration {version} ({name}) differs from the one this database applied; shipped migrations must never be edited"
    )]
    MigrationEdited { version: u32, name: &'static str },
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: String },
    #[error("the store already holds {households} households; the demo village only fills an empty store")]
    NotEmpty { households: i64 },
    #[error("this centre serves no village yet; fill the demo village or enroll the laptop")]
    NoVillage,
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("the scheme catalogue built into this version does not load:\n{0}")]
    Catalogue(String),
    /// A district's catalogue bundle that this laptop does not install; the sentence says why.
    #[error("the district's scheme rules were not installed: {0}")]
    Bundle(String),
    #[error("the survey form built into this version does not load:\n{0}")]
    Form(String),
    #[error(
        "the survey cannot be finished: {count} answer(s) are missing or refused; each is marked on its question"
    )]
    SurveyUnfinished { count: usize },
    #[error("the survey form was not installed: {0}")]
    FormRefused(String),
    #[error(
        "this is a demo store: its households are invented and can never be sent to a block server; to enroll this laptop, leave the practice village on the app's sync screen (it is put aside, not deleted), or start with an empty data folder"
    )]
    DemoStore,
    #[error("this laptop is enrolled with {url} already; its changes go there")]
    AlreadyEnrolled { url: String },
    #[error(
        "this laptop is not enrolled with a block server yet; enroll it with a code from the block office"
    )]
    NotEnrolled,
    #[error(
        "only a demo store takes numbers from a local lease; a real laptop gets them from its block server"
    )]
    NotDemo,
    #[error(
        "this change was made by a newer version of Samanvaya ({kind} version {version}); update the app"
    )]
    NewerChange { kind: &'static str, version: u16 },
    #[error("the file {path} could not be written: {source}; choose another folder or free some space")]
    Export { path: String, source: std::io::Error },
    #[error(
        "there is not enough room in {path} for the backup: it needs {} MB and {} MB are free; free some space or use another USB stick",
        megabytes(*needed),
        free / (1 << 20)
    )]
    NoSpace { path: String, needed: u64, free: u64 },
    #[error("{reason}")]
    WeakSecret { reason: &'static str },
    #[error(
        "the PIN or passphrase is not right ({attempts_left} attempt(s) before the account locks for a while)"
    )]
    WrongSecret { attempts_left: u32 },
    #[error("too many wrong attempts: try again in {seconds} seconds")]
    LockedOut { seconds: u64 },
    #[error("no account called {name:?} on this laptop; give the name the account was set up with")]
    NoAccount { name: String },
    #[error("an account needs a name of its own; {name:?} is empty or already used on this laptop")]
    AccountName { name: String },
    #[error("this laptop has several accounts ({}): say which one (the CLI's --account NAME)", names.join(", "))]
    WhichAccount { names: Vec<String> },
    #[error(
        "this data folder is not set up yet: set a PIN first (the app asks for one at first start; the CLI uses SAMANVAYA_PIN)"
    )]
    NotSetUp,
    #[error("this data folder is already set up; unlock it with its PIN instead")]
    AlreadySetUp,
    #[error(
        "the store does not open with the key from its keyring: the keyring or the database was replaced or damaged; restore both from the same backup"
    )]
    WrongKey,
    #[error("the app is locked: unlock it with the PIN")]
    Locked,
    #[error(
        "{path} already holds a store; restore a backup only into an empty data folder (a new laptop, or a new folder)"
    )]
    RestoreNotEmpty { path: String },
    #[error(
        "the family's consent is not on record: ask them first, then record who agreed (the household's page, or `samanvaya consent record`)"
    )]
    NoConsent,
    #[error("{0}")]
    UnknownNeed(String),
    #[error("this person already has an open referral for it ({number}); open that one instead")]
    AlreadyReferred { number: String },
    #[error("this step does not fit the case now: {0}")]
    Refused(samanvaya_domain::referral::Refused),
    #[error("a {role} account may not {action}")]
    NotAllowed { role: &'static str, action: &'static str },
    #[error(
        "this is a demo store: its households are invented and can never be sent to a block server, so a real list would be stranded in it; leave the practice village on the app's sync screen (it is put aside, not deleted) and import the list into the store set up for your village"
    )]
    DemoImport,
    #[error("the list cannot be imported; nothing was written:\n{}", problems.iter().map(|p| format!("  {}", p.en)).collect::<Vec<_>>().join("\n"))]
    ListRefused { problems: Vec<Bilingual> },
    #[error("the list cannot be read; nothing was written: {problem}")]
    ListUnreadable { problem: String },
    #[error("the two records were not made one; nothing was changed: {0}")]
    MergeRefused(MergeRefusal),
}

// Not `#[from]`: that would make the refusal the error's source too, and every report would
// say the same sentence twice.
impl From<samanvaya_schema::migrate::MigrateError> for StoreError {
    fn from(e: samanvaya_schema::migrate::MigrateError) -> StoreError {
        use samanvaya_schema::migrate::MigrateError;
        match e {
            MigrateError::Sql(e) => StoreError::Sqlite(e),
            MigrateError::Newer { found, known } => StoreError::NewerSchema { found, known },
            MigrateError::Edited { version, name } => StoreError::MigrationEdited { version, name },
        }
    }
}

impl From<samanvaya_domain::referral::Refused> for StoreError {
    fn from(r: samanvaya_domain::referral::Refused) -> Self {
        StoreError::Refused(r)
    }
}

/// Why a file could not be written, in Hindi where the reason is one she can act on (the drive
/// full, read-only or gone, the folder closed to her); any other reason is the system's own
/// English, marked as such.
fn io_words_hi(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => "ड्राइव में जगह नहीं बची".to_owned(),
        ErrorKind::ReadOnlyFilesystem => "यह ड्राइव केवल पढ़ने के लिए है".to_owned(),
        ErrorKind::PermissionDenied => "इस फ़ोल्डर में लिखने की अनुमति नहीं है".to_owned(),
        ErrorKind::NotFound => "फ़ोल्डर नहीं मिला (USB स्टिक निकाल ली गई हो तो उसे फिर लगाएँ)".to_owned(),
        // A stick formatted FAT32 takes no file of 4 GB or more.
        ErrorKind::FileTooLarge => "फ़ाइल इस ड्राइव के लिए बहुत बड़ी है".to_owned(),
        _ => format!("सिस्टम का कारण (अंग्रेज़ी में): {e}"),
    }
}

/// `bytes` in whole megabytes, rounded up: a stick with room for "5 MB" must have room for it.
fn megabytes(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

/// What kind of failure the interface must explain; it picks the sentence in the user's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    Invalid,
    NotFound,
    NotEmpty,
    NoVillage,
    NewerSchema,
    DemoStore,
    AlreadyEnrolled,
    NotEnrolled,
    /// Sync failed; the detail starts with a code word (`unreachable`, `revoked`...).
    Sync,
    Storage,
    Export,
    WeakSecret,
    WrongSecret,
    LockedOut,
    NoAccount,
    /// A new account's name is empty or already taken.
    AccountName,
    NotSetUp,
    AlreadySetUp,
    Locked,
    NotAllowed,
    /// The family's consent is not on record, so nothing more is recorded of it yet.
    NoConsent,
    AlreadyReferred,
    Refused,
    /// The system's print window could not be opened.
    Print,
    /// The drive has no room for the backup; `count` is the megabytes it needs.
    NoSpace,
    /// A backup is restored only into an empty data folder, and this one holds a store.
    RestoreNotEmpty,
    /// A household list cannot be imported with its mapping file (the mapping does not fit the
    /// list, or the mapping file itself is refused); the detail says why.
    ListRefused,
    /// The list file itself cannot be read (damaged, not a spreadsheet, not UTF-8 text); the
    /// detail says why. Its mapping file is not at fault.
    ListUnreadable,
    /// Two records of a member were not made one: the record to remove has referrals.
    MergeReferrals,
    /// Two records of a member were not made one: the household's survey is in progress.
    SurveyInProgress,
    /// Two records of a member were not made one: the head's record would go, and the record
    /// kept says the person left the household.
    MergeHeadLeft,
}

/// The error every command returns over IPC: a typed code, the English detail for the log,
/// the detail in Hindi where the store says it in both languages, and for invalid input the
/// refused fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ErrorReply {
    pub code: ErrorCode,
    pub detail: String,
    /// The detail in Hindi, where the screen shows the detail itself as what to do (a list's
    /// mapping refused: which column to correct; the referral already open; a step the case
    /// does not take now; a file not written; the server already enrolled with): the interface
    /// says it in Hindi in place of `detail`. `None` where the detail is for support only (the
    /// Hindi sentence then marks it as technical detail in English).
    pub detail_hi: Option<String>,
    pub fields: Vec<FieldError>,
    /// The number the message needs, when it needs one: attempts left before the account
    /// locks, or seconds to wait.
    pub count: Option<u32>,
}

impl From<StoreError> for ErrorReply {
    fn from(e: StoreError) -> Self {
        let detail = e.to_string();
        let detail_hi = match &e {
            StoreError::ListRefused { problems } => {
                Some(problems.iter().map(|p| p.hi.as_str()).collect::<Vec<_>>().join("\n"))
            }
            StoreError::AlreadyReferred { number } => Some(format!("खुला रेफ़रल: {number}")),
            StoreError::Refused(refused) => Some(refused.sentence_hi()),
            StoreError::AlreadyEnrolled { url } => Some(format!("सर्वर: {url}; इस लैपटॉप के बदलाव वहीं जाते हैं")),
            StoreError::Export { path, .. } if path == crate::paths::NO_FOLDER => {
                Some("इस खाते का डाउनलोड या होम फ़ोल्डर नहीं मिला; कोई USB स्टिक लगाकर उसे चुनें".to_owned())
            }
            StoreError::Export { path, source } => {
                Some(format!("{path} नहीं लिखी जा सकी: {}", io_words_hi(source)))
            }
            _ => None,
        };
        let count = match &e {
            StoreError::WrongSecret { attempts_left } => Some(*attempts_left),
            StoreError::LockedOut { seconds } => Some(u32::try_from(*seconds).unwrap_or(u32::MAX)),
            StoreError::SurveyUnfinished { count } => Some(u32::try_from(*count).unwrap_or(u32::MAX)),
            StoreError::NoSpace { needed, .. } => Some(u32::try_from(megabytes(*needed)).unwrap_or(u32::MAX)),
            _ => None,
        };
        let (code, fields) = match e {
            StoreError::Invalid(ValidationError(fields)) => (ErrorCode::Invalid, fields),
            StoreError::NotFound { .. } => (ErrorCode::NotFound, vec![]),
            StoreError::SurveyUnfinished { .. } | StoreError::FormRefused(_) => (ErrorCode::Invalid, vec![]),
            StoreError::NotEmpty { .. } => (ErrorCode::NotEmpty, vec![]),
            StoreError::NoVillage => (ErrorCode::NoVillage, vec![]),
            StoreError::NewerSchema { .. } | StoreError::NewerChange { .. } => {
                (ErrorCode::NewerSchema, vec![])
            }
            StoreError::DemoStore | StoreError::DemoImport => (ErrorCode::DemoStore, vec![]),
            StoreError::ListRefused { .. } => (ErrorCode::ListRefused, vec![]),
            StoreError::ListUnreadable { .. } => (ErrorCode::ListUnreadable, vec![]),
            StoreError::AlreadyEnrolled { .. } => (ErrorCode::AlreadyEnrolled, vec![]),
            StoreError::NotEnrolled => (ErrorCode::NotEnrolled, vec![]),
            StoreError::Export { .. } => (ErrorCode::Export, vec![]),
            StoreError::NoSpace { .. } => (ErrorCode::NoSpace, vec![]),
            StoreError::RestoreNotEmpty { .. } => (ErrorCode::RestoreNotEmpty, vec![]),
            StoreError::WeakSecret { .. } => (ErrorCode::WeakSecret, vec![]),
            StoreError::WrongSecret { .. } => (ErrorCode::WrongSecret, vec![]),
            StoreError::LockedOut { .. } => (ErrorCode::LockedOut, vec![]),
            StoreError::NoAccount { .. } | StoreError::WhichAccount { .. } => (ErrorCode::NoAccount, vec![]),
            StoreError::AccountName { .. } => (ErrorCode::AccountName, vec![]),
            StoreError::NotSetUp => (ErrorCode::NotSetUp, vec![]),
            StoreError::AlreadySetUp => (ErrorCode::AlreadySetUp, vec![]),
            StoreError::Locked => (ErrorCode::Locked, vec![]),
            StoreError::NotAllowed { .. } => (ErrorCode::NotAllowed, vec![]),
            StoreError::NoConsent => (ErrorCode::NoConsent, vec![]),
            StoreError::UnknownNeed(_) => (ErrorCode::Invalid, vec![]),
            StoreError::MergeRefused(why) => match why {
                MergeRefusal::Referrals(_) => (ErrorCode::MergeReferrals, vec![]),
                MergeRefusal::SurveyInProgress => (ErrorCode::SurveyInProgress, vec![]),
                MergeRefusal::SameRecord => (ErrorCode::Invalid, vec![]),
                MergeRefusal::HeadLeft => (ErrorCode::MergeHeadLeft, vec![]),
            },
            StoreError::AlreadyReferred { .. } => (ErrorCode::AlreadyReferred, vec![]),
            StoreError::Refused(_) | StoreError::Bundle(_) => (ErrorCode::Refused, vec![]),
            StoreError::DataDir { .. }
            | StoreError::Sqlite(_)
            | StoreError::Pragma(_)
            | StoreError::MigrationEdited { .. }
            | StoreError::Corrupt(_)
            | StoreError::NotDemo
            | StoreError::WrongKey
            | StoreError::Catalogue(_)
            | StoreError::Form(_) => (ErrorCode::Storage, vec![]),
        };
        ErrorReply { code, detail, detail_hi, fields, count }
    }
}

/// Why two records of a member were not made one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeRefusal {
    #[error("the two records are one and the same: choose the other record of this person")]
    SameRecord,
    #[error(
        "the record that would go has referrals ({}), which would lose their person: choose it as the record kept instead (two records that both have referrals cannot be made one)",
        .0.join(", ")
    )]
    Referrals(Vec<String>),
    #[error(
        "the record that would go is the head's, and the record kept says the person left the household: correct one of them first (does she live there?), then merge"
    )]
    HeadLeft,
    #[error(
        "a survey of this household is in progress, and its roster holds both records: finish it first, then merge"
    )]
    SurveyInProgress,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The screen shows these details as what to do, so they come in Hindi too; a detail for
    /// the log only does not.
    #[test]
    fn a_detail_the_screen_shows_comes_in_hindi_too() {
        let refused = StoreError::ListRefused {
            problems: vec![
                Bilingual { en: "the column 'Tola': …".into(), hi: "कॉलम 'Tola': …".into() },
                Bilingual {
                    en: "[sex] maps 'X' to 'x'; …".into(),
                    hi: "[sex] में 'X' को 'x' लिखा है; …".into(),
                },
            ],
        };
        let reply = ErrorReply::from(refused);
        assert_eq!(reply.code, ErrorCode::ListRefused);
        assert_eq!(reply.detail_hi.as_deref(), Some("कॉलम 'Tola': …\n[sex] में 'X' को 'x' लिखा है; …"));
        assert!(reply.detail.contains("the column 'Tola'") && !reply.detail.contains("कॉलम"));
        let open = ErrorReply::from(StoreError::AlreadyReferred { number: "D-5".into() });
        assert_eq!(open.detail_hi.as_deref(), Some("खुला रेफ़रल: D-5"));
        assert_eq!(ErrorReply::from(StoreError::Locked).detail_hi, None);
        let full = StoreError::Export {
            path: "/media/stick/backup.zip".into(),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        };
        assert_eq!(
            ErrorReply::from(full).detail_hi.as_deref(),
            Some("/media/stick/backup.zip नहीं लिखी जा सकी: ड्राइव में जगह नहीं बची")
        );
        // No folder to save into is said as such, not as the path "(no folder)".
        let nowhere = ErrorReply::from(crate::paths::no_folder()).detail_hi.unwrap();
        assert!(nowhere.starts_with("इस खाते का डाउनलोड") && !nowhere.contains("no folder"), "{nowhere}");
    }
}
