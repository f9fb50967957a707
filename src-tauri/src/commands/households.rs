//! Commands of the household list and the household form.

use samanvaya_core::{ErrorReply, HouseholdPage, HouseholdQuery};
use samanvaya_domain::{Household, HouseholdId, HouseholdInput};
use tauri::State;

use crate::state::AppState;

#[tauri::command(async)]
pub fn list_households(
    state: State<'_, AppState>,
    query: HouseholdQuery,
) -> Result<HouseholdPage, ErrorReply> {
    state.with(|s| s.households(&query))
}

#[tauri::command(async)]
pub fn get_household(state: State<'_, AppState>, id: HouseholdId) -> Result<Household, ErrorReply> {
    state.with(|s| s.household(id))
}

#[tauri::command(async)]
pub fn check_household(state: State<'_, AppState>, input: HouseholdInput) -> Result<(), ErrorReply> {
    state.with(|s| s.check_household(input, s.now()?))
}

#[tauri::command(async)]
pub fn save_household(state: State<'_, AppState>, input: HouseholdInput) -> Result<Household, ErrorReply> {
    state.with(|s| s.save_household(input, s.now()?))
}
