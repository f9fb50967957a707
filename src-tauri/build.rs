//! Builds the Tauri context and declares our commands, so the capability file can allow exactly
//! these and nothing else.

/// Every command the shell exposes; `capabilities/default.json` allows each by name.
const COMMANDS: &[&str] = &[
    "folder_state",
    "set_up",
    "unlock",
    "recover",
    "lock",
    "village_overview",
    "list_households",
    "get_household",
    "check_household",
    "save_household",
    "withdraw_consent",
    "get_language",
    "set_language",
    "backup_places",
    "backup_to",
    "backup_files",
    "restore_backup",
    "household_eligibility",
    "answer_fact",
    "village_eligibility",
    "today",
    "scheme_worklist",
    "save_worklist",
    "vulnerability_list",
    "save_vulnerability_list",
    "accounts",
    "change_pin",
    "add_account",
    "survey_history",
    "survey_form",
    "survey_start",
    "survey_save",
    "survey_finish",
    "survey_discard",
    "referral_kinds",
    "referral_open",
    "referral_open_all",
    "referral_act",
    "referral_get",
    "referrals_list",
    "referral_todo",
    "referral_funnel",
    "sync_status",
    "sync_now",
    "sync_enroll",
    "referral_slip",
    "save_funnel",
    "referral_page",
    "print_page",
    "save_register",
    "household_duplicates",
    "sync_export",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("the Tauri build step failed; is ui/dist built (npm run build in ui/)?");
}
