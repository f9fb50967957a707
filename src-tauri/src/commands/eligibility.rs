//! Commands of the eligibility screens: a household's decisions, answering a screening
//! question, and the village's per-scheme tally.

use samanvaya_core::eligibility::FactAnswer;
use samanvaya_core::{ErrorReply, Language, export_dir, save_csv};
use samanvaya_domain::HouseholdId;
use samanvaya_eligibility::known::HouseholdProfile;
use samanvaya_eligibility::review::Lang;
use samanvaya_eligibility::view::{HouseholdEligibility, VillageEligibility};
use samanvaya_eligibility::vulnerability::{self, VulnerabilityList};
use samanvaya_eligibility::worklist::{self, Worklist};
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

/// What is known of a household and each member, for the household page's profile.
#[tauri::command(async)]
pub fn household_profile(
    state: State<'_, AppState>,
    id: HouseholdId,
) -> Result<HouseholdProfile, ErrorReply> {
    state.with(|s| s.household_profile(id, s.now()?.today))
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

/// The families behind one scheme's tally, for the Samiti's worklist.
#[tauri::command(async)]
pub fn scheme_worklist(
    window: Window,
    state: State<'_, AppState>,
    code: String,
) -> Result<Worklist, ErrorReply> {
    state.with(|s| {
        s.worklist(&code, s.now()?.today, |done, total| {
            let _ = window.emit("village-progress", Progress { done, total });
        })
    })
}

/// Saves one scheme's worklist (one hamlet's rows when `hamlet` is given) as a CSV file in the
/// chosen language in the export folder, and returns where it went so the screen can say so.
#[tauri::command(async)]
pub fn save_worklist(
    state: State<'_, AppState>,
    code: String,
    hamlet: Option<String>,
    language: Language,
) -> Result<String, ErrorReply> {
    state.with(|s| {
        let list = s.worklist(&code, s.now()?.today, |_, _| {})?;
        let lang = match language {
            Language::Hi => Lang::Hi,
            Language::En => Lang::En,
        };
        let text = worklist::csv(&list, lang, hamlet.as_deref());
        let dir = export_dir()?;
        let name = format!("worklist-{}-{}.csv", code.to_lowercase(), list.as_of);
        let saved = save_csv(&dir, &name, &text)?;
        s.audit("export:worklist", &format!("{code} {} rows", list.rows.len()))?;
        Ok(saved.display().to_string())
    })
}

/// The village's households on the vulnerability profile, most vulnerable first.
#[tauri::command(async)]
pub fn vulnerability_list(
    window: Window,
    state: State<'_, AppState>,
) -> Result<VulnerabilityList, ErrorReply> {
    state.with(|s| {
        let list = s.vulnerability_list(s.now()?.today, |done, total| {
            let _ = window.emit("village-progress", Progress { done, total });
        })?;
        // Who looked at the village's most vulnerable households, and when: a reveal of what
        // placed them there, as each showing of a household's sensitive facts is.
        s.audit("reveal:vulnerability", &format!("{} households", list.rows.len()))?;
        Ok(list)
    })
}

/// Saves the vulnerability list (one hamlet's rows when `hamlet` is given) as a CSV file in the
/// chosen language in the export folder, and returns where it went so the screen can say so.
#[tauri::command(async)]
pub fn save_vulnerability_list(
    state: State<'_, AppState>,
    hamlet: Option<String>,
    language: Language,
) -> Result<String, ErrorReply> {
    state.with(|s| {
        let list = s.vulnerability_list(s.now()?.today, |_, _| {})?;
        let lang = match language {
            Language::Hi => Lang::Hi,
            Language::En => Lang::En,
        };
        let dir = export_dir()?;
        let name = format!("vulnerable-households-{}.csv", list.as_of);
        let saved = save_csv(&dir, &name, &vulnerability::csv(&list, lang, hamlet.as_deref()))?;
        s.audit("export:vulnerability", &format!("{} rows", list.rows.len()))?;
        Ok(saved.display().to_string())
    })
}
