//! The village laptop's local store and the API that the desktop shell and the CLI call.
//!
//! The only IO here is SQLite (and creating the data folder). Nothing in this crate knows of
//! HTTP, Tauri or async: the shell and the CLI are thin adapters over [`Store`].

mod centre;
mod db;
pub mod demo;
pub mod eligibility;
mod error;
mod fact;
mod household;
mod location;
mod migrate;
mod number_lease;
pub mod outbox;
mod paths;
mod person;
mod profile;
mod setting;
mod sql;
mod store;
mod village;

pub use error::{ErrorCode, ErrorReply, StoreError};
pub use household::{HouseholdPage, HouseholdQuery};
pub use paths::{DATA_DIR_ENV, DB_FILE_NAME, default_data_dir};
pub use setting::Language;
pub use store::Store;
pub use village::VillageOverview;
