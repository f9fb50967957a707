//! Commands of the account screen: who is working, the laptop's accounts, changing one's own PIN
//! and adding an account with the laptop's recovery code.

use samanvaya_core::{ErrorReply, Role, Secret, Who};
use serde::Serialize;
use tauri::State;

use crate::state::AppState;

/// What the account screen shows.
#[derive(Serialize)]
pub struct Accounts {
    me: Who,
    accounts: Vec<Who>,
}

#[tauri::command(async)]
pub fn accounts(state: State<'_, AppState>) -> Result<Accounts, ErrorReply> {
    state.with(|s| Ok(Accounts { me: s.who().clone(), accounts: s.accounts()? }))
}

/// Gives the account at work a new PIN after checking its current one; the data is not
/// re-encrypted, only its key wrapped again.
#[tauri::command(async)]
pub fn change_pin(state: State<'_, AppState>, old: String, new: String) -> Result<(), ErrorReply> {
    state.with(|s| s.change_secret(&Secret::new(old), &Secret::new(new)))
}

/// Adds an account with its role and PIN, proven by the laptop's recovery code.
#[tauri::command(async)]
pub fn add_account(
    state: State<'_, AppState>,
    code: String,
    name: String,
    role: Role,
    secret: String,
) -> Result<(), ErrorReply> {
    state.with(|s| s.add_account(&Secret::new(code), name.trim(), role, &Secret::new(secret)))
}
