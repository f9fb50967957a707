//! The sync link between a device and its server, without any store: `link.rs` speaks the
//! protocol over HTTPS (enroll, session, push, pull, each with an application-level timeout and
//! a silent session renewal), `pin.rs` trusts exactly the certificate pinned at enrollment, `plan.rs` holds the pure policy (batches, their size adapting to
//! the link, backoff with jitter), and `run.rs` drives one sync over any local end that
//! implements [`Local`]: the laptop's store (`samanvaya-sync-laptop`) or a block server
//! forwarding to its district (`samanvaya-server`), with any server end that implements
//! [`Remote`]: the HTTPS link, or a server in the same process for the simulation. At the end
//! of a block's sync, `forward_audit.rs` forwards its laptops' audit logs to the district.

mod forward_audit;
pub mod link;
pub mod pin;
pub mod plan;
pub mod run;
#[cfg(test)]
mod test_ends;

pub use link::{Link, Received, SyncError};
pub use run::{Exchange, Local, Numbers, Remote, Report, Tuning, sync_once};
