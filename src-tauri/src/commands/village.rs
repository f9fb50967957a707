//! Commands of the village home screen.

use samanvaya_core::{ErrorReply, VillageOverview};
use tauri::State;

use crate::state::AppState;

#[tauri::command(async)]
pub fn village_overview(state: State<'_, AppState>) -> Result<VillageOverview, ErrorReply> {
    state.with(|s| s.village_overview())
}
