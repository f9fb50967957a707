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

/// Member `respondent` agreed, for the family, to what is recorded of it (a household taken
/// from a list, at its first visit); the household comes back with its consent on record.
#[tauri::command(async)]
pub fn record_consent(
    state: State<'_, AppState>,
    household: HouseholdId,
    respondent: PersonId,
) -> Result<Household, ErrorReply> {
    state.with(|s| s.record_consent(household, respondent, s.now()?))
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

/// `duplicate` is a second record of the member `keep` of `household`: a supervisor makes them
/// one (the library refuses anyone else), the kept record taking what it lacks from the other.
#[tauri::command(async)]
pub fn merge_member(
    state: State<'_, AppState>,
    household: HouseholdId,
    keep: PersonId,
    duplicate: PersonId,
) -> Result<samanvaya_core::MemberMerged, ErrorReply> {
    state.with(|s| s.merge_member(household, keep, duplicate, s.now()?))
}

/// Saves the household register (households, members, facts) as CSV or XLSX in the export
/// folder (the user's Downloads, else Documents); returns the file's path. The library refuses
/// an account that may only read.
#[tauri::command(async)]
pub fn save_register(
    state: State<'_, AppState>,
    format: samanvaya_core::SheetFormat,
    language: samanvaya_core::Language,
) -> Result<String, ErrorReply> {
    state.with(|s| {
        let dir = samanvaya_core::export_dir()?;
        let today = s.now()?.today;
        let name = samanvaya_core::register_file_name(today, format);
        // The window's export leaves the sensitive facts out; a supervisor takes them with the CLI.
        Ok(s.save_register(&dir, &name, format, language, today, false)?.display().to_string())
    })
}

/// Members already recorded in the village who may be the new household's: the form warns
/// before saving a family twice.
#[tauri::command(async)]
pub fn household_duplicates(
    state: State<'_, AppState>,
    input: HouseholdInput,
) -> Result<Vec<samanvaya_core::Duplicate>, ErrorReply> {
    state.with(|s| s.possible_duplicates(&input, s.now()?.today))
}
