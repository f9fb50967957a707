//! The eligibility engine applied to Samanvaya's own records, usable by the laptop, the CLI and
//! the block and district servers alike.
//!
//! `rules` knows facts and schemes; this crate knows how a household record and its recorded
//! facts become those facts (`record`), how a household's facts are packed into a compact
//! profile and read back into columns (`profile`, `population`), and how decisions are shown in
//! English and Hindi (`view`). It does no IO: the store, the CLI and the server read and write,
//! and hand the rows over.

pub mod bundle;
pub mod catalogue;
pub mod csv;
pub mod household;
pub mod known;
pub mod population;
pub mod profile;
pub mod record;
pub mod referral;
pub mod review;
pub mod slip;
pub mod view;
pub mod vulnerability;
pub mod worklist;

pub use catalogue::{CatalogueError, catalogue_version, embedded, vulnerability};
