//! Commands of the lock screen: what the data folder holds, setting up the first account,
//! unlocking with a PIN, recovering with the recovery code, and locking.

use samanvaya_core::{ErrorReply, Folder, OpenProgress, Secret};
use serde::Serialize;
use tauri::{Emitter, State, Window};

use crate::state::AppState;

#[tauri::command(async)]
pub fn folder_state(state: State<'_, AppState>) -> Result<Folder, ErrorReply> {
    state.folder()
}

/// What the window needs once the store is open.
#[derive(Serialize)]
pub struct Session {
    /// Seconds without a touch before the window locks itself.
    idle_lock_seconds: u64,
    /// The recovery code, only right after set-up: shown once, never again.
    recovery_code: Option<String>,
    /// False for an account that may only read (the Samiti's): the window hides what it could
    /// not do, and the library refuses it anyway.
    may_write: bool,
    /// True for a supervisor, who may delete what was recorded (a saved member): the window
    /// offers "remove" for saved members only to her.
    may_delete: bool,
}

fn may_write(state: &AppState) -> Result<bool, ErrorReply> {
    state.with(|s| Ok(s.who().role.may_write()))
}

fn may_delete(state: &AppState) -> Result<bool, ErrorReply> {
    state.with(|s| Ok(s.who().role.may_delete()))
}

impl Session {
    /// The session of a store just opened without set-up: no recovery code to show.
    pub fn opened(state: &AppState) -> Result<Session, ErrorReply> {
        Ok(Session {
            idle_lock_seconds: AppState::idle_lock_seconds(),
            recovery_code: None,
            may_write: may_write(state)?,
            may_delete: may_delete(state)?,
        })
    }
}

/// What the window is told while a store opens slowly (see [`OpenProgress`]), as
/// `open-progress` events. A lost event only leaves the line behind; the store opens either way.
pub fn reporting(window: &Window) -> impl FnMut(OpenProgress) + '_ {
    move |p| {
        let _ = window.emit("open-progress", p);
    }
}

#[tauri::command(async)]
pub fn set_up(
    window: Window,
    state: State<'_, AppState>,
    name: String,
    secret: String,
    demo: bool,
) -> Result<Session, ErrorReply> {
    let code = state.set_up(&name, &Secret::new(secret), demo, &mut reporting(&window))?;
    Ok(Session {
        idle_lock_seconds: AppState::idle_lock_seconds(),
        recovery_code: Some(code),
        may_write: may_write(&state)?,
        may_delete: may_delete(&state)?,
    })
}

#[tauri::command(async)]
pub fn unlock(
    window: Window,
    state: State<'_, AppState>,
    account: Option<String>,
    secret: String,
) -> Result<Session, ErrorReply> {
    state.unlock(account.as_deref(), &Secret::new(secret), &mut reporting(&window))?;
    Session::opened(&state)
}

#[tauri::command(async)]
pub fn recover(
    window: Window,
    state: State<'_, AppState>,
    account: Option<String>,
    code: String,
    secret: String,
) -> Result<Session, ErrorReply> {
    state.recover(account.as_deref(), &Secret::new(code), &Secret::new(secret), &mut reporting(&window))?;
    Session::opened(&state)
}

#[tauri::command(async)]
pub fn lock(state: State<'_, AppState>) {
    state.lock();
}

/// Puts the practice village aside, beside the data folder, and leaves the folder empty for her
/// real village's setup; returns where the practice went.
#[tauri::command(async)]
pub fn put_practice_aside(state: State<'_, AppState>) -> Result<String, ErrorReply> {
    state.put_practice_aside()
}
