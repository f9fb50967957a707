//! Commands of the installation's preferences.

use samanvaya_core::{ErrorReply, Language};
use tauri::State;

use crate::state::AppState;

#[tauri::command(async)]
pub fn get_language(state: State<'_, AppState>) -> Result<Language, ErrorReply> {
    state.with(|s| s.language())
}

#[tauri::command(async)]
pub fn set_language(state: State<'_, AppState>, language: Language) -> Result<(), ErrorReply> {
    state.with(|s| s.set_language(language))
}
