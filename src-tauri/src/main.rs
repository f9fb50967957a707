//! `samanvaya-app`: the desktop window of the village centre.
//!
//! The shell is thin on purpose: it opens the store when the facilitator sets it up or unlocks it
//! with her PIN, fills the demo village into an empty store, and exposes one-line commands over
//! `samanvaya-core`. All behaviour lives in the libraries.

// Without this a console window opens beside the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod state;

use std::path::PathBuf;

use samanvaya_core::default_data_dir;

/// The data folder: `--data-dir DIR` on the command line, else `$SAMANVAYA_DATA_DIR`, else the
/// per-user data folder.
fn data_dir() -> Option<PathBuf> {
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            return args.next().map(PathBuf::from);
        }
        if let Some(dir) = arg.to_str().and_then(|a| a.strip_prefix("--data-dir=")) {
            return Some(PathBuf::from(dir));
        }
    }
    default_data_dir()
}

/// How often the app tries to sync by itself while unlocked and enrolled, unless
/// `SAMANVAYA_SYNC_SECONDS` says otherwise. A failed try costs two short requests at most
/// ([`BACKGROUND_RETRIES`]).
const SYNC_EVERY_SECONDS: u64 = 5 * 60;

/// How many times a request of a sync the app tries by itself is sent again. A sync holds the
/// laptop's sync (one at a time): with the eight of "sync now", a block out of reach held it
/// for a minute and a half of every five, and the USB stick's buttons, which wait for it,
/// with it (found by a review). The next try comes in five minutes, and resumes where this
/// one stopped.
const BACKGROUND_RETRIES: u32 = 1;

/// Syncs by itself whenever the block server can be reached: a thread that tries every few
/// minutes on a second connection to the store, so the window never waits for the network.
fn background_sync(app: tauri::AppHandle) {
    use tauri::Manager;
    let every = std::env::var("SAMANVAYA_SYNC_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SYNC_EVERY_SECONDS)
        .max(1);
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(every));
            let state = app.state::<state::AppState>();
            let Ok(Some(mut second)) = state.with(|s| {
                if s.is_demo()? || s.enrollment()?.is_none() {
                    Ok(None)
                } else {
                    s.second_connection().map(Some)
                }
            }) else {
                continue;
            };
            // The outcome is recorded in the store for the panel; nothing to do with it here.
            let tuning = samanvaya_sync_client::Tuning {
                retries: BACKGROUND_RETRIES,
                ..samanvaya_sync_client::Tuning::default()
            };
            let _ = samanvaya_sync_laptop::block_on(samanvaya_sync_laptop::sync(&mut second, tuning));
        }
    });
}

fn main() {
    let state = state::AppState::new(data_dir());
    tauri::Builder::default()
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::session::folder_state,
            commands::session::set_up,
            commands::session::unlock,
            commands::session::recover,
            commands::session::lock,
            commands::session::put_practice_aside,
            commands::village::village_overview,
            commands::village::today,
            commands::households::list_households,
            commands::households::get_household,
            commands::households::check_household,
            commands::households::save_household,
            commands::households::withdraw_consent,
            commands::households::merge_member,
            commands::households::record_consent,
            commands::settings::get_language,
            commands::settings::set_language,
            commands::backup::backup_places,
            commands::backup::backup_to,
            commands::backup::backup_files,
            commands::import::import_files_found,
            commands::import::import_list,
            commands::sync::sync_feed_files,
            commands::sync::sync_import_feed,
            commands::backup::restore_backup,
            commands::eligibility::household_eligibility,
            commands::eligibility::answer_fact,
            commands::eligibility::village_eligibility,
            commands::eligibility::scheme_worklist,
            commands::eligibility::save_worklist,
            commands::eligibility::vulnerability_list,
            commands::eligibility::save_vulnerability_list,
            commands::account::accounts,
            commands::account::change_pin,
            commands::account::add_account,
            commands::survey::survey_history,
            commands::survey::survey_form_named,
            commands::eligibility::household_profile,
            commands::survey::survey_form,
            commands::survey::survey_start,
            commands::survey::survey_save,
            commands::survey::survey_finish,
            commands::survey::survey_discard,
            commands::referral::referral_kinds,
            commands::referral::referral_open,
            commands::referral::referral_open_all,
            commands::referral::referral_act,
            commands::referral::referral_get,
            commands::referral::referrals_list,
            commands::referral::referral_todo,
            commands::referral::referral_funnel,
            commands::referral::referral_slip,
            commands::referral::save_funnel,
            commands::referral::referral_page,
            commands::print::print_page,
            commands::households::save_register,
            commands::households::household_duplicates,
            commands::sync::sync_status,
            commands::sync::sync_now,
            commands::sync::sync_enroll,
            commands::sync::sync_enroll_again,
            commands::sync::sync_drives,
            commands::sync::sync_export,
        ])
        .setup(|app| {
            background_sync(app.handle().clone());
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("the Samanvaya window could not start");
}
