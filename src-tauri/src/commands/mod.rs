//! Tauri commands, grouped by screen area; each is a one-line call into `samanvaya-core`.
//!
//! Every command is `async` in Tauri's sense: it runs on the runtime's worker threads, never on
//! the main thread, so a village tally or an import never freezes the window.

// Tauri deserializes each argument and hands it to the command by value, so a command that only
// borrows its arguments is the normal shape here, not a missed optimisation.
#![allow(clippy::needless_pass_by_value)]

pub mod account;
pub mod backup;
pub mod eligibility;
pub mod households;
pub mod import;
pub mod print;
pub mod referral;
pub mod session;
pub mod settings;
pub mod survey;
pub mod sync;
pub mod village;
