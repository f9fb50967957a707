//! The village laptop's local store and the API that the desktop shell and the CLI call.
//!
//! The only IO here is SQLite, creating the data folder, writing exported files and backups,
//! listing the USB sticks mounted for the user, and reading the clock in `Store::now`. Nothing
//! in this crate knows of HTTP, Tauri or async: the shell and the CLI are thin adapters over
//! [`Store`].

mod audit;
mod backup;
mod backup_found;
mod backup_place;
mod catalogue;
mod centre;
mod change_log;
mod consent;
mod db;
mod duplicate;
pub mod eligibility;
mod error;
mod export;
mod fact;
mod field_clock;
mod found_file;
mod household;
mod import;
mod installed_form;
mod keyring;
pub mod list_import;
mod location;
mod member_merge;
mod merged_person;
mod name_search;
mod number_lease;
mod numbered;
mod own_departure;
mod packed_answers;
mod paths;
mod person;
mod practice;
mod profile;
mod pulled;
pub mod referral;
mod register;
mod removable;
mod removed_member;
mod restored;
mod setting;
mod sheet;
mod sql;
mod stick_answer;
mod store;
mod stored_id;
pub mod survey;
mod sync_link;
mod tally;
mod village;

pub use audit::Verdict;
pub use backup::{BackupInfo, BackupProgress};
pub use backup_found::{FoundBackup, found_backup, found_backups};
pub use backup_place::{BackupDone, BackupPlaces};
pub use catalogue::{CatalogueInUse, Installed, Rules, VerifiedBundle};
pub use change_log::Queued;
pub use consent::Withdrawal;
pub use db::OpenProgress;
pub use duplicate::Duplicate;
pub use error::{ErrorCode, ErrorReply, MergeRefusal, StoreError};
pub use export::save_csv;
pub use found_file::{FoundFile, found_file, found_files};
pub use household::{HouseholdPage, HouseholdQuery, RegisterFilter};
pub use import::ImportedHousehold;
pub use installed_form::FormInfo;
pub use keyring::{KEYRING_FILE, Role, Secret, new_recovery_code};
pub use list_import::{ListMapping, ListOptions, ListReport, RowProblem};
pub use member_merge::MemberMerged;
pub use paths::{
    DATA_DIR_ENV, DB_FILE_NAME, EXPORT_DIR_ENV, default_data_dir, default_export_dir, export_dir,
};
pub use pulled::PulledFrom;
pub use register::register_file_name;
pub use removable::{Drive, MEDIA_ROOT_ENV, Places};
pub use samanvaya_domain::Moment;
pub use setting::Language;
pub use sheet::SheetFormat;
pub use stick_answer::StickAnswer;
pub use store::{Folder, Store, Who};
pub use sync_link::{
    AskedRun, Enrollment, Incoming, KEEP_ACKED_DAYS, SaidAtSession, SealedChange, SyncStatus, Told,
};
pub use village::VillageOverview;
