//! Commands of the household list and the household form (with the withdrawal of consent).

use samanvaya_core::{ErrorReply, HouseholdPage, HouseholdQuery, Withdrawal};
use samanvaya_domain::{Household, HouseholdId, HouseholdInput, PersonId};
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

/// A member (`person`), or the whole household when `None`, withdrew consent: what was recorded
/// of them is erased, and the withdrawal waits to be sent.
#[tauri::command(async)]
pub fn withdraw_consent(
    state: State<'_, AppState>,
    household: HouseholdId,
    person: Option<PersonId>,
) -> Result<Withdrawal, ErrorReply> {
    state.with(|s| s.withdraw_consent(household, person, s.now()?))
}
