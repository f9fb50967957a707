//! Tauri commands, grouped by screen area; each is a one-line call into `samanvaya-core`.

pub mod households;
pub mod settings;
pub mod village;
