//! Commands of the village home screen.

use samanvaya_core::{ErrorReply, VillageOverview};
use tauri::State;

use crate::state::AppState;

#[tauri::command(async)]
pub fn village_overview(state: State<'_, AppState>) -> Result<VillageOverview, ErrorReply> {
    state.with(|s| s.village_overview())
}

/// The centre's calendar day, as `Store::now` reads it: the screens work out ages on this day,
/// never on the machine's own date, so that the form and the store agree after midnight IST.
#[tauri::command(async)]
pub fn today(state: State<'_, AppState>) -> Result<chrono::NaiveDate, ErrorReply> {
    state.with(|s| Ok(s.now()?.today))
}
