//! Commands of the eligibility screens: a household's decisions, answering a screening
//! question, and the village's per-scheme tally.

use chrono::{Local, Utc};
use samanvaya_core::ErrorReply;
use samanvaya_core::eligibility::FactAnswer;
use samanvaya_core::eligibility::view::{HouseholdEligibility, VillageEligibility};
use samanvaya_domain::HouseholdId;
use tauri::State;

use crate::state::AppState;

#[tauri::command]
pub fn household_eligibility(
    state: State<'_, AppState>,
    id: HouseholdId,
) -> Result<HouseholdEligibility, ErrorReply> {
    state.with(|s| s.household_eligibility(id, Local::now().date_naive()))
}

#[tauri::command]
pub fn answer_fact(
    state: State<'_, AppState>,
    answer: FactAnswer,
) -> Result<HouseholdEligibility, ErrorReply> {
    state.with(|s| s.answer(&answer, Utc::now()))
}

#[tauri::command]
pub fn village_eligibility(state: State<'_, AppState>) -> Result<VillageEligibility, ErrorReply> {
    state.with(|s| s.village_eligibility(Local::now().date_naive(), |_, _, _| {}))
}
