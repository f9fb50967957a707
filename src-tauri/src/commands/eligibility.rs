//! Commands of the eligibility screens: a household's decisions, answering a screening
//! question, and the village's per-scheme tally.

use samanvaya_core::ErrorReply;
use samanvaya_core::eligibility::FactAnswer;
use samanvaya_domain::HouseholdId;
use samanvaya_eligibility::view::{HouseholdEligibility, VillageEligibility};
use serde::Serialize;
use tauri::{Emitter, State, Window};

use crate::state::AppState;

#[tauri::command(async)]
pub fn household_eligibility(
    state: State<'_, AppState>,
    id: HouseholdId,
) -> Result<HouseholdEligibility, ErrorReply> {
    state.with(|s| s.household_eligibility(id, s.now()?.today))
}

#[tauri::command(async)]
pub fn answer_fact(
    state: State<'_, AppState>,
    answer: FactAnswer,
) -> Result<HouseholdEligibility, ErrorReply> {
    state.with(|s| s.answer(&answer, s.now()?))
}

/// What the window hears while a village tally reads the store.
#[derive(Clone, Serialize)]
struct Progress {
    done: usize,
    total: usize,
}

#[tauri::command(async)]
pub fn village_eligibility(
    window: Window,
    state: State<'_, AppState>,
) -> Result<VillageEligibility, ErrorReply> {
    state.with(|s| {
        // A lost progress event only leaves the bar behind; the tally itself carries on.
        s.village_eligibility(s.now()?.today, |done, total| {
            let _ = window.emit("village-progress", Progress { done, total });
        })
    })
}
