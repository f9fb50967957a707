//! The block and district server as a library: its store (`store.rs`, with enrollment,
//! ingest, the derived state and the pull feed, written once against the storage interface of
//! `sql.rs` that SQLite and PostgreSQL implement), the HTTP routes (`routes.rs`), its TLS
//! certificate and listener (`tls.rs`), the bounds on what one connection or request may hold
//! (`limits.rs`), the villages a block serves (`village.rs`) and the block's
//! forwarding to its district (`upstream.rs`), so that tests and the binary build the same
//! thing. It never links the laptop's `core`: what the two share is the wire contract in
//! `samanvaya-sync-protocol`, the link in `samanvaya-sync-client`, and the engine with its
//! catalogue and views in `samanvaya-eligibility`.

pub mod audit;
pub mod audit_branch;
pub mod batch;
pub mod block_village;
pub mod catalogue;
pub mod certificate;
pub mod clock_cap;
pub mod consent;
pub mod crossing_merge;
pub mod device_restore;
pub mod enroll;
pub mod error;
pub mod feed;
pub mod feed_epoch;
pub mod feed_file;
pub mod field_clocks;
pub mod forwarded_audit;
pub mod given_back;
pub mod import;
pub mod ingest;
pub mod limits;
pub mod many;
pub mod merge;
pub mod named;
pub mod old_copy;
pub mod own_departure;
pub mod postgresql;
pub mod read;
pub mod review;
pub mod routes;
pub mod seal;
pub mod single;
pub mod sql;
pub mod sqlite;
pub mod state;
pub mod step;
pub mod store;
pub mod stored_change;
pub mod tls;
pub mod upstream;
pub mod upstream_seal;
pub mod village;
pub mod vouch;
pub mod waiting;

pub use error::ServerError;
pub use routes::{ServerConfig, router};
pub use store::Store;
