//! Commands of the survey screen: the form to draw, a household's draft opened, saved at every
//! answer and finished, or thrown away.

use samanvaya_core::survey::{Draft, Submission, SurveyFinished};
use samanvaya_core::{ErrorReply, StoreError};
use samanvaya_domain::HouseholdId;
use samanvaya_forms::Answers;
use samanvaya_forms::view::{self, SurveyForm, SurveyState};
use serde::Serialize;
use tauri::State;

use crate::state::AppState;

/// A household's survey in progress, as the screen shows it (`SurveyDraft` in `ui/src/ipc.ts`).
#[derive(Serialize)]
pub struct SurveyDraft {
    pub household_id: HouseholdId,
    pub answers: Answers,
    pub state: SurveyState,
}

fn shown(d: Draft) -> SurveyDraft {
    SurveyDraft { household_id: d.household_id, state: view::state(&d.state), answers: d.answers }
}

/// The form household `id`'s survey is on: the one its draft started on, or the one a new
/// survey would start on (a district's installed version, or the built-in one).
#[tauri::command(async)]
pub fn survey_form(state: State<'_, AppState>, id: Option<HouseholdId>) -> Result<SurveyForm, ErrorReply> {
    state.with(|s| {
        let draft = match id {
            Some(id) => s.survey_draft(id, s.now()?)?,
            None => None,
        };
        let form = match draft {
            Some(d) => s.form_named(&d.form_id, &d.form_version)?,
            None => s.survey_form()?,
        };
        Ok(view::form(form))
    })
}

#[tauri::command(async)]
pub fn survey_start(state: State<'_, AppState>, id: HouseholdId) -> Result<SurveyDraft, ErrorReply> {
    state.with(|s| s.start_survey(id, s.now()?)).map(shown)
}

#[tauri::command(async)]
pub fn survey_save(
    state: State<'_, AppState>,
    id: HouseholdId,
    answers: Answers,
) -> Result<SurveyDraft, ErrorReply> {
    state.with(|s| s.save_survey(id, &answers, s.now()?)).map(shown)
}

#[tauri::command(async)]
pub fn survey_finish(state: State<'_, AppState>, id: HouseholdId) -> Result<SurveyFinished, ErrorReply> {
    state.with(|s| s.finish_survey_on_screen(id, s.now()?))
}

#[tauri::command(async)]
pub fn survey_discard(state: State<'_, AppState>, id: HouseholdId) -> Result<(), ErrorReply> {
    state.with(|s: &mut samanvaya_core::Store| -> Result<(), StoreError> { s.discard_survey(id) })
}

/// The household's finished surveys, newest first, for its survey history.
#[tauri::command(async)]
pub fn survey_history(state: State<'_, AppState>, id: HouseholdId) -> Result<Vec<Submission>, ErrorReply> {
    state.with(|s| s.survey_history(id))
}

/// The form a submission names (`form_id` at `version`), for reading it back with its own labels.
#[tauri::command(async)]
pub fn survey_form_named(
    state: State<'_, AppState>,
    form_id: String,
    version: String,
) -> Result<SurveyForm, ErrorReply> {
    state.with(|s| Ok(view::form(s.form_named(&form_id, &version)?)))
}
