//! Commands of the referral screens: open a referral (one, or all the household's eligible at
//! once), take a step on it, read one with its timeline, the lists, the to-do list, the village
//! funnel and its export, the filtered list of cases and the printable slip.

use samanvaya_core::ErrorReply;
use samanvaya_core::referral::{
    NewReferral, ReferralDetail, ReferralFilter, ReferralFunnel, ReferralPage, ReferralQuery,
    ReferralSummary, SheetFormat, Step, Todo, funnel_file_name,
};
use samanvaya_eligibility::referral::ReferralKinds;
use samanvaya_eligibility::review::Lang;
use samanvaya_eligibility::slip;
use serde::Serialize;
use tauri::State;
use uuid::Uuid;

use crate::state::AppState;

#[tauri::command(async)]
pub fn referral_kinds() -> Result<ReferralKinds, ErrorReply> {
    samanvaya_eligibility::referral::embedded()
        .cloned()
        .map_err(|e| ErrorReply::from(samanvaya_core::StoreError::Catalogue(e.to_string())))
}

#[tauri::command(async)]
pub fn referral_open(
    state: State<'_, AppState>,
    referral: NewReferral,
) -> Result<ReferralDetail, ErrorReply> {
    state.with(|s| s.open_referral(&referral, s.now()?))
}

#[tauri::command(async)]
pub fn referral_open_all(state: State<'_, AppState>, referrals: Vec<NewReferral>) -> Result<u32, ErrorReply> {
    state
        .with(|s| s.open_referrals(&referrals, s.now()?))
        .map(|ids| u32::try_from(ids.len()).unwrap_or(u32::MAX))
}

#[tauri::command(async)]
pub fn referral_act(state: State<'_, AppState>, id: Uuid, step: Step) -> Result<ReferralDetail, ErrorReply> {
    state.with(|s| s.act_on_referral(id, &step, s.now()?))
}

#[tauri::command(async)]
pub fn referral_get(state: State<'_, AppState>, id: Uuid) -> Result<ReferralDetail, ErrorReply> {
    state.with(|s| s.referral(id, s.now()?.today))
}

#[tauri::command(async)]
pub fn referrals_list(
    state: State<'_, AppState>,
    query: ReferralQuery,
) -> Result<Vec<ReferralSummary>, ErrorReply> {
    state.with(|s| s.referrals(&query, s.now()?.today))
}

#[tauri::command(async)]
pub fn referral_todo(state: State<'_, AppState>) -> Result<Todo, ErrorReply> {
    state.with(|s| s.todo(s.now()?.today))
}

#[tauri::command(async)]
pub fn referral_funnel(state: State<'_, AppState>) -> Result<ReferralFunnel, ErrorReply> {
    state.with(|s| s.referral_funnel(s.now()?.today))
}

/// The slip's style and body, drawn inside the window and printed from there
/// (`ReferralSlip` in `ui/src/ipc.ts`).
#[derive(Serialize)]
pub struct ReferralSlip {
    pub style: String,
    pub body: String,
}

#[tauri::command(async)]
pub fn referral_slip(state: State<'_, AppState>, id: Uuid, lang: String) -> Result<ReferralSlip, ErrorReply> {
    let lang = if lang == "en" { Lang::En } else { Lang::Hi };
    state
        .with(|s| {
            let data = s.referral_slip(id, s.now()?.today)?;
            // The slip is made to be printed and handed over: an export, as `samanvaya
            // referrals slip` records it.
            s.audit("export:slip", &data.number)?;
            Ok(data)
        })
        .map(|data| ReferralSlip { style: slip::style(), body: slip::body(&data, lang) })
}

/// Saves the village funnel as CSV or XLSX in the export folder (the user's Downloads, else
/// Documents, where backups go too); returns the file's path.
#[tauri::command(async)]
pub fn save_funnel(
    state: State<'_, AppState>,
    format: SheetFormat,
    language: samanvaya_core::Language,
) -> Result<String, ErrorReply> {
    state.with(|s| {
        let dir = samanvaya_core::export_dir()?;
        let today = s.now()?.today;
        let name = funnel_file_name(today, format);
        Ok(s.save_referral_funnel(&dir, &name, format, language, today)?.display().to_string())
    })
}

/// One page of the village's cases that pass the list screen's filters.
#[tauri::command(async)]
pub fn referral_page(state: State<'_, AppState>, filter: ReferralFilter) -> Result<ReferralPage, ErrorReply> {
    state.with(|s| s.referral_list(&filter, s.now()?.today))
}
